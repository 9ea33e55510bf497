//! The Rust client of numgate's Open API (and of Alibaba's `Dypnsapi`): typed
//! methods for each action, requests signed with either of Alibaba's schemes.
//!
//! ```no_run
//! # async fn demo() -> Result<(), numgate_client::ClientError> {
//! use numgate_client::{OpenApi, SendSmsVerifyCode};
//! let api = OpenApi::new("http://127.0.0.1:8080", "LTAI…", "secret");
//! let sent = api
//!     .send_sms_verify_code(&SendSmsVerifyCode::new("13800138000", "速通互联验证码", "100001"))
//!     .await?;
//! println!("{}", sent.code);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod actions;
mod api;
pub mod device;

pub use actions::*;
pub use api::{ClientError, OpenApi, Response, SignatureScheme, TimeSource};
