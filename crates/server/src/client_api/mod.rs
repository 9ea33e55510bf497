//! The Client API: what device SDKs call. Never an AccessKey: a call is signed
//! with its scheme's app key (from `AppEncryptInfo`), and all it can get is a
//! short-lived, single-use AccessToken for its own scheme.

pub mod app_token;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// A Client API refusal: `{"code", "message"}` with an HTTP status.
#[derive(Debug)]
pub struct ClientError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: &'static str,
}

impl ClientError {
    pub const fn new(status: StatusCode, code: &'static str, message: &'static str) -> Self {
        Self {
            status,
            code,
            message,
        }
    }
}

impl IntoResponse for ClientError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "code": self.code, "message": self.message });
        (self.status, Json(body)).into_response()
    }
}
