//! The SMPP 3.4 channel: [`SmppSender`] keeps binds to an SMSC, submits
//! messages (GSM 7-bit or UCS-2, concatenated parts), and hands delivery
//! receipts and upstream messages to a [`crate::ReportSink`].
//!
//! # Layout
//! - [`config`]: [`SmppConfig`], one provider.
//! - `sender`: the [`crate::SmsSender`]: window per bind (back-pressure, never
//!   drop), round robin, throughput pacing, all parts answered or a retry.
//! - `session`: one bind's connection: bind_transceiver, enquire_link,
//!   deliver_sm → sink → deliver_sm_resp, reconnect with backoff and jitter.
//! - [`pdu`]: texts to `short_message` octets and back (shared with the
//!   SMSC simulator of `numgate-carrier-sim`).
//! - [`receipt`]: receipt texts, done dates, `command_status` meanings.
//!
//! Nothing here logs a message text or a password.

pub mod config;
pub mod pdu;
pub mod receipt;
mod sender;
mod session;

pub use config::{SmppConfig, SmppConfigError};
pub use sender::SmppSender;
pub use session::write_loop;
