//! numgate's domain: the types and rules of phone number verification, with no I/O.
//!
//! # Layout
//! - [`phone`]: country codes, phone numbers and the carrier segment table.
//! - [`code`]: verification codes — their alphabets, lengths and generation.
//! - [`template`]: rendering SMS templates from a tenant's `TemplateParam`.
//! - [`clock`]: time as an injected dependency.
//! - [`access_token`]: the sealed AccessToken of the carrier flows.
//! - [`secrets`]: the master key, sealing of stored secrets, keyed hashes of codes.
//! - [`sms_catalog`]: rules of custom SMS signatures and templates submitted for approval.
//! - [`names`]: small validated identifiers (scheme names, OutId, sign names).
//! - [`fusion`]: Fusion-Auth's scenes, policy graph, risk scoring and walker.
//! - [`captcha`]: ALTCHA proof-of-work challenges, signed, session-bound, short-lived.
//! - [`stats`]: what an attempt counts as (method, outcome, OS type, day) for statistics and billing.
#![forbid(unsafe_code)]

pub mod access_token;
pub mod captcha;
pub mod clock;
pub mod code;
pub mod fusion;
pub mod names;
pub mod phone;
pub mod secrets;
pub mod sms_catalog;
pub mod stats;
pub mod template;

pub use clock::{Clock, FakeClock, SystemClock};
pub use code::{CaseAuthPolicy, CodeLength, CodeType, DuplicatePolicy, VerifyCode};
pub use phone::{Carrier, CountryCode, PhoneNumber};

/// A parameter that failed validation: which one, and why, in words fit for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{param}: {reason}")]
pub struct InvalidParam {
    pub param: &'static str,
    pub reason: String,
}

impl InvalidParam {
    pub fn new(param: &'static str, reason: impl Into<String>) -> Self {
        Self {
            param,
            reason: reason.into(),
        }
    }
}
