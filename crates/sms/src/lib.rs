//! numgate's SMS delivery: the [`SmsSender`] trait, its senders, and the
//! [`Dispatcher`] that takes messages from the durable queue and delivers them.
//!
//! # Layout
//! - [`sender`]: the trait and what a delivery attempt can answer.
//! - [`outbox`]: the development channel: delivered messages land in a table
//!   that `numgate outbox` lists.
//! - [`dispatch`]: leases queued messages, delivers them, settles or retries.
//! - [`routes`]: which providers (in order) take a tenant's messages to a country.
//! - [`receipts`]: receipts and upstream messages into the store.
//! - [`reports`]: delivery reports pushed to tenants.
//! - [`http`]: the HTTP provider channel: signed sends with retries, signed
//!   receipt callbacks.
//! - [`segment`]: GSM 7-bit / UCS-2 choice, concatenated parts, segment counts.
//! - [`smpp`]: the SMPP 3.4 sender, its receipts and upstream messages.
#![forbid(unsafe_code)]

pub mod dispatch;
pub mod http;
pub mod outbox;
mod poll;
pub mod receipts;
pub mod reports;
pub mod routes;
pub mod segment;
pub mod sender;
pub mod smpp;

pub use dispatch::{billing_day, Dispatcher, DispatcherConfig};
pub use http::{HttpProviderConfig, HttpSender};
pub use outbox::OutboxSender;
pub use receipts::StoreReports;
pub use reports::{ReportPusher, ReportPusherConfig, SmsReport};
pub use routes::{Provider, Routes};
pub use sender::{
    receipt_id_forms, Inbound, OutgoingSms, Receipt, ReportError, ReportSink, SendError, SmsSender,
    Submitted,
};
pub use smpp::{SmppConfig, SmppSender};
