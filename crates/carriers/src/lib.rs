//! numgate's carrier adapters: how the service asks a carrier who holds a device
//! token, or whether it holds a given number. One trait, [`CarrierGateway`], two
//! protocols: the token exchange of China Mobile, Unicom and Telecom
//! ([`token_exchange`]) and the GSMA Open Gateway CAMARA APIs ([`camara`]).
//!
//! The wire protocols are those of `crates/carrier-sim/PROTOCOL.md`, which the
//! simulator plays; the adapters are tested against it.
//!
//! Timeouts are always bounded; a request is retried only where that is safe:
//! a device token is single use, so an exchange is retried only when the request
//! never reached the carrier (connection refused), never after a timeout.
#![forbid(unsafe_code)]

pub mod camara;
pub mod token_exchange;

use std::time::Duration;

use async_trait::async_trait;

/// What a carrier answered that numgate must tell apart.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CarrierError {
    /// The token is unknown, expired, already used, or minted for another app.
    #[error("the carrier token is invalid, expired or used")]
    TokenInvalid,
    /// A number-check token used for one-click logon, or the other way round.
    #[error("the carrier token was minted for another purpose")]
    TokenWrongPurpose,
    /// The carrier could not be asked or gave no usable answer (timeout,
    /// connection, 5xx, malformed body): the outcome is unknown.
    #[error("the carrier is unavailable: {0}")]
    Unavailable(String),
    /// The carrier refused numgate itself (bad signature, unknown app, clock
    /// skew): a configuration error on numgate's side, with the carrier's code.
    #[error("the carrier refused the request: {0}")]
    Refused(String),
}

/// One carrier, as numgate's services use it.
#[async_trait]
pub trait CarrierGateway: Send + Sync {
    /// One-click logon: the full number of the SIM that obtained `token`
    /// (national digits for the token-exchange carriers, E.164 for CAMARA).
    async fn exchange(&self, token: &str) -> Result<String, CarrierError>;

    /// Number check: whether the SIM that obtained `token` has `number` (same
    /// form as [`Self::exchange`] returns).
    async fn verify(&self, token: &str, number: &str) -> Result<bool, CarrierError>;
}

/// Time limits of carrier calls.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// The whole request, answer included.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(1),
            request: Duration::from_secs(3),
        }
    }
}

fn http_client(t: Timeouts) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(t.connect)
        .timeout(t.request)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client with timeouts and no TLS builds")
}

/// A transport failure as the outcome it means.
fn unavailable(e: &reqwest::Error) -> CarrierError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_decode() {
        "malformed answer"
    } else {
        "request failed"
    };
    CarrierError::Unavailable(what.into())
}
