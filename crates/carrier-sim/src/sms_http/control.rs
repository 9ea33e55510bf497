//! The simulated provider's control API (`/control`): what it received, its
//! counters, and the faults it should play next. JSON in and out; errors are
//! `{"error": "<kind>", "message": "..."}` as in the carrier simulator's.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::SimState;

/// The longest `delay` accepted: ten minutes.
const MAX_DELAY_MS: u64 = 600_000;

fn bad_request(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": "bad_request", "message": message.into() })),
    )
        .into_response()
}

/// The routes, relative to `/control`.
pub(super) fn routes(state: Arc<SimState>) -> Router<Arc<SimState>> {
    Router::new()
        .route("/messages", get(messages))
        .route("/stats", get(stats))
        .route("/fail-next", post(fail_next))
        .route("/undeliverable", post(undeliverable))
        .route("/delay", post(delay))
        .layer(middleware::from_fn_with_state(state, require_token))
}

async fn require_token(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(expected) = &state.config.control_token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
            return (
                StatusCode::UNAUTHORIZED,
                Json(
                    json!({ "error": "unauthorized", "message": "bearer control token required" }),
                ),
            )
                .into_response();
        }
    }
    next.run(request).await
}

async fn messages(State(state): State<Arc<SimState>>) -> Response {
    Json(json!({ "messages": state.lock().messages })).into_response()
}

async fn stats(State(state): State<Arc<SimState>>) -> Response {
    Json(state.lock().stats.clone()).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FailNext {
    n: u32,
    #[serde(default = "service_unavailable")]
    status: u16,
}

fn service_unavailable() -> u16 {
    503
}

/// The next `n` sends are answered with `status` (4xx or 5xx) before anything
/// is checked or recorded; `n: 0` cancels.
async fn fail_next(State(state): State<Arc<SimState>>, body: axum::body::Bytes) -> Response {
    let f: FailNext = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => return bad_request(e.to_string()),
    };
    if !(400..=599).contains(&f.status) {
        return bad_request("status must be 400..=599");
    }
    let mut inner = state.lock();
    inner.fail_next = f.n;
    inner.fail_status = f.status;
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Undeliverable {
    numbers: Vec<String>,
}

/// Replaces the numbers (with or without `+`) whose receipts say `failed`
/// with `err_code` `UNDELIV`; applies to messages taken from now on.
async fn undeliverable(State(state): State<Arc<SimState>>, body: axum::body::Bytes) -> Response {
    let u: Undeliverable = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => return bad_request(e.to_string()),
    };
    state.lock().undeliverable = u
        .numbers
        .iter()
        .map(|n| n.trim().trim_start_matches('+').to_owned())
        .collect();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Delay {
    ms: u64,
}

/// Every send waits `ms` before it is answered (0: no delay).
async fn delay(State(state): State<Arc<SimState>>, body: axum::body::Bytes) -> Response {
    let d: Delay = match serde_json::from_slice(&body) {
        Ok(d) => d,
        Err(e) => return bad_request(e.to_string()),
    };
    if d.ms > MAX_DELAY_MS {
        return bad_request(format!("ms must be at most {MAX_DELAY_MS}"));
    }
    state.lock().delay_ms = d.ms;
    StatusCode::NO_CONTENT.into_response()
}
