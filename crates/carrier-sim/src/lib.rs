//! `numgate-carrier-sim`: the simulated carrier networks numgate's adapters talk to in tests and
//! in `numgate serve --dev`.
//!
//! The simulator plays the *network* side. It identifies the device (the SIM) by the **source
//! address** of the TCP connection, as a carrier's data gateway identifies the SIM on the bearer:
//! each `[[subscriber]]` of the configuration is one address (any of 127.0.0.0/8 in tests).
//! `PROTOCOL.md` beside this crate is the wire contract; the summary:
//!
//! - **China Mobile `/cm`, China Unicom `/cu`, China Telecom `/ct`** — token exchange. From the
//!   device's bearer: `POST /{c}/prefetch {"app_id"}` → masked number; `POST /{c}/token
//!   {"app_id","purpose":"login"|"verify"}` → a single-use token (cm `STsid…` 2 min, cu 64 hex
//!   30 min, ct `nm…` base64url 10 min). From the app's server, signed with HMAC-SHA256
//!   (see [`signature`]): `POST /{c}/exchange {"token"}` → `phone_number` (login tokens);
//!   `POST /{c}/verify {"token","phone_number"|"phone_number_sha256"}` → `match` (verify
//!   tokens). Always HTTP 200 with the carrier's envelope and result codes (`cm.rs`, `cu.rs`,
//!   `ct.rs`).
//! - **CAMARA operator `/camara`** — `GET /authorize` (network-based, `prompt=none`, 302 to the
//!   redirect URI), `POST /token` (client_secret_basic; `authorization_code`,
//!   `client_credentials`), Number Verification `POST /number-verification/v0/verify`,
//!   `GET /number-verification/v0/device-phone-number`, SIM Swap `POST /sim-swap/v0/check`,
//!   `POST /sim-swap/v0/retrieve-date`, with the specs' error bodies and `x-correlator` echo.
//! - **Control `/control`** — bearer `control_token`: subscribers, the simulated clock, faults.
//! - **SMSC** ([`smsc`]) — a separate server: an SMPP 3.4 SMSC with its own control API
//!   (`numgate smsc-sim`).
//!
//! # Layout
//!
//! - [`config`]: the TOML configuration and its checks.
//! - `state`: the shared state of one simulator (no globals: run as many as you like).
//! - `clock`: simulated time = wall clock + offset, so tests expire tokens without sleeping.
//! - `gateway`: the token-exchange flow; `cm`, `cu`, `ct`: what differs per carrier.
//! - `tokens`, [`signature`]: one-time carrier tokens and the signed-call scheme.
//! - `camara`: OIDC, Number Verification, SIM Swap; `errors`: the CAMARA error bodies.
//! - `faults`: latency, held requests, 5xx, malformed bodies; `control`: the control API.
//! - [`sms_http`]: a simulated HTTP SMS provider (signed sends, idempotency, signed receipts),
//!   a server of its own.

#![forbid(unsafe_code)]

mod camara;
mod clock;
mod cm;
pub mod config;
mod control;
mod ct;
mod cu;
mod errors;
pub mod faults;
mod gateway;
pub mod signature;
pub mod sms_http;
pub mod smsc;
mod state;
mod tokens;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::middleware;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{
    AppConfig, CamaraClientConfig, CamaraSettings, Carrier, ConfigError, SimConfig,
    SubscriberConfig, SubscriberStatus,
};
pub use faults::{FaultKind, FaultRule, MalformedShape};

use state::SimState;

/// Serves the simulator on `listener` until `shutdown` completes.
///
/// The configuration is validated first (an invalid one is an `InvalidInput` error). Requests
/// held by `timeout` faults are released as soon as shutdown starts.
pub async fn run(
    config: SimConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    config
        .validate()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let (shutting_down, shutdown_seen) = watch::channel(false);
    let app = router(Arc::new(SimState::new(config, shutdown_seen)));
    let signal = async move {
        shutdown.await;
        let _ = shutting_down.send(true);
    };
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(signal)
    .await
}

fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .nest("/cm", gateway::routes(&cm::PROFILE))
        .nest("/cu", gateway::routes(&cu::PROFILE))
        .nest("/ct", gateway::routes(&ct::PROFILE))
        .nest("/camara", camara::routes())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            faults::inject,
        ))
        .nest("/control", control::routes(state.clone()))
        .with_state(state)
}
