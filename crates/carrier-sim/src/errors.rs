//! Error bodies of the CAMARA APIs: `{"status", "code", "message"}` exactly as the specs list them.
//!
//! Messages are the specs' example texts, so a client comparing them against the yaml sees what a
//! conformant operator would send.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// One CAMARA error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    /// HTTP status, repeated in the body's `status`.
    pub(crate) status: StatusCode,
    /// The spec's machine-readable code.
    pub(crate) code: &'static str,
    /// Human-readable text.
    pub(crate) message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 `INVALID_ARGUMENT`, saying which argument.
    pub(crate) fn invalid_argument(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
    }

    /// 400 `OUT_OF_RANGE`.
    pub(crate) fn out_of_range(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "OUT_OF_RANGE", message)
    }

    /// 401 `UNAUTHENTICATED`: missing, invalid, expired or used token.
    pub(crate) fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "Request not authenticated due to missing, invalid, or expired credentials. A new authentication is required.",
        )
    }

    /// 403 `PERMISSION_DENIED`: the token lacks the operation's scope.
    pub(crate) fn permission_denied() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "Client does not have sufficient permissions to perform this action.",
        )
    }

    /// 403 `NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK`.
    pub(crate) fn not_authenticated_by_network() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK",
            "Client must authenticate via the mobile network to use this service",
        )
    }

    /// 404 `IDENTIFIER_NOT_FOUND`.
    pub(crate) fn identifier_not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "IDENTIFIER_NOT_FOUND",
            "Device identifier not found.",
        )
    }

    /// 404 `NOT_FOUND`, for paths under `/camara` that do not exist.
    pub(crate) fn not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The specified resource is not found.",
        )
    }

    /// 422 `MISSING_IDENTIFIER`.
    pub(crate) fn missing_identifier() -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "MISSING_IDENTIFIER",
            "The device cannot be identified.",
        )
    }

    /// 422 `UNNECESSARY_IDENTIFIER`.
    pub(crate) fn unnecessary_identifier() -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "UNNECESSARY_IDENTIFIER",
            "The device is already identified by the access token.",
        )
    }

    /// 422 `SERVICE_NOT_APPLICABLE`.
    pub(crate) fn service_not_applicable() -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "SERVICE_NOT_APPLICABLE",
            "The service is not available for the provided identifier.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            json!({ "status": self.status.as_u16(), "code": self.code, "message": self.message });
        (self.status, Json(body)).into_response()
    }
}
