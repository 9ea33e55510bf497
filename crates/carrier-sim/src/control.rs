//! The control API (`/control`): change the subscriber table, move the clock, inject faults.
//!
//! JSON in and out, bearer-authenticated with `control_token`; disabled (404) without one.
//! Errors are `{"error": "<kind>", "message": "..."}`.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use chrono::SecondsFormat;
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::config::SubscriberConfig;
use crate::faults::FaultRule;
use crate::state::{lock, SimState};

fn error(status: StatusCode, kind: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({ "error": kind, "message": message.into() })),
    )
        .into_response()
}

fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "bad_request", message)
}

/// The routes, relative to `/control`.
pub(crate) fn routes(state: Arc<SimState>) -> Router<Arc<SimState>> {
    Router::new()
        .route("/subscribers", get(list_subscribers).put(upsert_subscriber))
        .route("/subscribers/{address}", delete(remove_subscriber))
        .route("/clock", get(clock).post(move_clock))
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .layer(middleware::from_fn_with_state(state, require_token))
}

async fn require_token(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = &state.control_token else {
        return error(
            StatusCode::NOT_FOUND,
            "disabled",
            "the control API is disabled (no control_token)",
        );
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        return error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid control token is required",
        );
    }
    next.run(request).await
}

async fn list_subscribers(State(state): State<Arc<SimState>>) -> Response {
    let mut all: Vec<SubscriberConfig> = lock(&state.subscribers).values().cloned().collect();
    all.sort_by_key(|s| s.address);
    Json(all).into_response()
}

/// `PUT /control/subscribers` with a whole subscriber record: inserts or replaces by address.
async fn upsert_subscriber(State(state): State<Arc<SimState>>, body: Bytes) -> Response {
    let subscriber: SubscriberConfig = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => return bad_request(format!("invalid subscriber: {e}")),
    };
    if let Err(e) = subscriber.validate("subscriber") {
        return bad_request(e.to_string());
    }
    let address = subscriber.address.to_canonical();
    let replaced = lock(&state.subscribers)
        .insert(address, subscriber.clone())
        .is_some();
    let status = if replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    (status, Json(subscriber)).into_response()
}

async fn remove_subscriber(
    State(state): State<Arc<SimState>>,
    Path(address): Path<String>,
) -> Response {
    let Ok(address) = address.parse::<IpAddr>() else {
        return bad_request(format!("`{address}` is not an IP address"));
    };
    match lock(&state.subscribers).remove(&address.to_canonical()) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no subscriber at {address}"),
        ),
    }
}

fn clock_body(state: &SimState) -> Response {
    Json(json!({
        "offset_secs": state.clock.offset_secs(),
        "now": state.clock.now().to_rfc3339_opts(SecondsFormat::Millis, true),
    }))
    .into_response()
}

async fn clock(State(state): State<Arc<SimState>>) -> Response {
    clock_body(&state)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    #[serde(default)]
    advance_secs: Option<i64>,
    #[serde(default)]
    offset_secs: Option<i64>,
}

/// `POST /control/clock` with `{"advance_secs": N}` or `{"offset_secs": N}`.
async fn move_clock(State(state): State<Arc<SimState>>, body: Bytes) -> Response {
    match serde_json::from_slice::<ClockChange>(&body) {
        Ok(ClockChange {
            advance_secs: Some(n),
            offset_secs: None,
        }) => state.clock.advance(n),
        Ok(ClockChange {
            advance_secs: None,
            offset_secs: Some(n),
        }) => state.clock.set_offset(n),
        Ok(_) => return bad_request("give exactly one of advance_secs and offset_secs"),
        Err(e) => return bad_request(format!("invalid clock change: {e}")),
    }
    clock_body(&state)
}

async fn list_faults(State(state): State<Arc<SimState>>) -> Response {
    Json(lock(&state.faults).list()).into_response()
}

/// `POST /control/faults` with one rule; it goes after the existing ones.
async fn add_fault(State(state): State<Arc<SimState>>, body: Bytes) -> Response {
    let rule: FaultRule = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(format!("invalid fault rule: {e}")),
    };
    if let Err(e) = rule.validate() {
        return bad_request(e);
    }
    let mut faults = lock(&state.faults);
    faults.add(rule);
    (StatusCode::CREATED, Json(faults.list())).into_response()
}

async fn clear_faults(State(state): State<Arc<SimState>>) -> Response {
    lock(&state.faults).clear();
    StatusCode::NO_CONTENT.into_response()
}
