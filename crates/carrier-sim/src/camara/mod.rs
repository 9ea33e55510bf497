//! The CAMARA operator (`/camara`): OIDC endpoints, Number Verification and SIM Swap.
//!
//! API versions `v0` and `vwip` (the feature files' base path) are both served.

pub(crate) mod auth;
mod body;
mod number_verification;
mod oidc;
mod sim_swap;
pub(crate) mod store;

use std::sync::Arc;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::errors::ApiError;
use crate::state::SimState;

/// The header CAMARA uses to correlate calls; echoed on every API response.
const X_CORRELATOR: &str = "x-correlator";

/// The routes, relative to `/camara`.
pub(crate) fn routes() -> Router<Arc<SimState>> {
    let mut api = Router::new();
    for version in ["v0", "vwip"] {
        api = api
            .route(
                &format!("/number-verification/{version}/verify"),
                post(number_verification::verify),
            )
            .route(
                &format!("/number-verification/{version}/device-phone-number"),
                get(number_verification::device_phone_number),
            )
            .route(&format!("/sim-swap/{version}/check"), post(sim_swap::check))
            .route(
                &format!("/sim-swap/{version}/retrieve-date"),
                post(sim_swap::retrieve_date),
            );
    }
    Router::new()
        .route("/authorize", get(oidc::authorize))
        .route("/token", post(oidc::token))
        .merge(
            api.fallback(|| async { ApiError::not_found() })
                .layer(middleware::from_fn(correlator)),
        )
}

/// `^[a-zA-Z0-9-_:;.\/<>{}]{0,256}$`, the spec's `XCorrelator` pattern.
fn is_valid_correlator(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    bytes.len() <= 256
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_:;./<>{}".contains(b))
}

/// Refuses a malformed `x-correlator` and echoes a valid one on the response.
async fn correlator(request: Request, next: Next) -> Response {
    let correlator = request.headers().get(X_CORRELATOR).cloned();
    if let Some(value) = &correlator {
        if !is_valid_correlator(value) {
            return ApiError::invalid_argument(
                "x-correlator does not match the XCorrelator pattern.",
            )
            .into_response();
        }
    }
    let mut response = next.run(request).await;
    if let Some(value) = correlator {
        response.headers_mut().insert(X_CORRELATOR, value);
    }
    response
}
