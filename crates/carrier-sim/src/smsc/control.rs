//! The simulator's control API (`/control`), JSON in and out.

use std::sync::Arc;

use axum::extract::State as AxumState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::state::{Control, State};

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/control/messages", get(messages))
        .route("/control/stats", get(stats))
        .route("/control/fail", post(fail))
        .route("/control/drop", post(drop_all))
        .route("/control/unbind", post(unbind))
        .route("/control/hold", post(hold))
        .route("/control/release", post(release))
        .route("/control/throttle", post(throttle))
        .route("/control/mo", post(mo))
        .with_state(Control(state))
}

type C = AxumState<Control>;

async fn messages(AxumState(c): C) -> Response {
    Json(json!({ "messages": c.messages() })).into_response()
}

async fn stats(AxumState(c): C) -> Response {
    Json(c.stats()).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Numbers {
    numbers: Vec<String>,
}

async fn fail(AxumState(c): C, Json(body): Json<Numbers>) -> Response {
    let n = body.numbers.len();
    c.fail(body.numbers);
    Json(json!({ "failing_added": n })).into_response()
}

async fn drop_all(AxumState(c): C) -> Response {
    c.drop_connections();
    Json(json!({ "dropping": true })).into_response()
}

async fn unbind(AxumState(c): C) -> Response {
    c.unbind();
    Json(json!({ "unbinding": true })).into_response()
}

async fn hold(AxumState(c): C) -> Response {
    c.hold();
    Json(json!({ "held": true })).into_response()
}

async fn release(AxumState(c): C) -> Response {
    c.release();
    Json(json!({ "held": false })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Throttle {
    n: u64,
}

async fn throttle(AxumState(c): C, Json(body): Json<Throttle>) -> Response {
    c.throttle(body.n);
    Json(json!({ "throttle": body.n })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mo {
    from: String,
    to: String,
    text: String,
}

async fn mo(AxumState(c): C, Json(body): Json<Mo>) -> Response {
    match c.mo(&body.from, &body.to, &body.text) {
        Some(parts) => Json(json!({ "parts": parts })).into_response(),
        None => (
            StatusCode::CONFLICT,
            Json(json!({ "error": "no_transceiver", "message": "no transceiver is bound, or the addresses are invalid" })),
        )
            .into_response(),
    }
}
