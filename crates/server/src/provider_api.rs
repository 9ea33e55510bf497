//! What SMS providers call: `POST /sms/v1/providers/{name}/receipts`, the
//! delivery receipts of an HTTP provider, signed with its shared secret.
//!
//! A receipt is answered 200 only once it is recorded (durably): a provider that
//! gets anything else sends it again, and a receipt applied twice changes
//! nothing the second time.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::{HeaderMap, StatusCode};
use numgate_sms::http::{
    parse_receipts, verify_signature, DEFAULT_MAX_SKEW_SECS, SIGNATURE_HEADER,
};
use serde_json::json;

use crate::config::SmsProviderConfig;
use crate::state::AppState;

/// Largest receipt callback body: a thousand receipts of a few hundred bytes.
const MAX_BODY: usize = 1024 * 1024;

fn answer(status: StatusCode, code: i64, msg: &str) -> Response {
    (status, Json(json!({ "code": code, "msg": msg }))).into_response()
}

pub async fn receipts(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let provider = state.config.sms.providers.iter().find_map(|p| match p {
        SmsProviderConfig::Http(c) if c.name == name => Some(c),
        _ => None,
    });
    let Some(provider) = provider else {
        return answer(StatusCode::NOT_FOUND, 404, "no HTTP provider has that name");
    };
    let body: Bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return answer(StatusCode::PAYLOAD_TOO_LARGE, 413, "the body is too large"),
    };
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let now_secs = state.clock.now_millis() / 1000;
    if let Err(e) = verify_signature(
        provider.secret.as_bytes(),
        signature,
        &body,
        now_secs,
        DEFAULT_MAX_SKEW_SECS,
    ) {
        tracing::warn!(provider = %name, error = %e, "an SMS receipt callback was refused");
        metrics::counter!("numgate_sms_receipt_callbacks_total", "outcome" => "bad_signature")
            .increment(1);
        return answer(
            StatusCode::UNAUTHORIZED,
            401,
            "the signature does not verify",
        );
    }
    let receipts = match parse_receipts(&name, &body) {
        Ok(r) => r,
        Err(e) => {
            metrics::counter!("numgate_sms_receipt_callbacks_total", "outcome" => "invalid")
                .increment(1);
            return answer(StatusCode::BAD_REQUEST, 400, &e.to_string());
        }
    };
    for r in receipts {
        if let Err(e) = state.sms_reports.receipt(r).await {
            tracing::warn!(provider = %name, error = %e, "an SMS receipt could not be recorded");
            return answer(StatusCode::SERVICE_UNAVAILABLE, 503, "try again later");
        }
    }
    metrics::counter!("numgate_sms_receipt_callbacks_total", "outcome" => "recorded").increment(1);
    answer(StatusCode::OK, 0, "Success")
}
