//! The Client API: what device SDKs call. Never an AccessKey: a call is signed
//! with its scheme's app key (from `AppEncryptInfo`), and all it can get is a
//! short-lived, single-use AccessToken for its own scheme.

pub mod app_config;
pub mod app_token;
pub mod fusion;
pub mod h5_confirm;

/// `GET /client/v1/h5/sdk.js`: the H5 JavaScript SDK, embedded in the binary.
pub async fn h5_sdk() -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/javascript; charset=utf-8",
        )],
        include_str!("../../../../web/h5-sdk.js"),
    )
}

/// `GET /client/v1/h5/demo.html`: a page that uses the SDK (tokens in the fragment).
pub async fn h5_demo() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("../../../../web/h5-demo.html"),
    )
}

/// `GET /client/v1/h5/fusion-demo.html`: a page that runs a Fusion-Auth scene
/// with the SDK (token and scene in the fragment).
pub async fn h5_fusion_demo() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("../../../../web/h5-fusion-demo.html"),
    )
}

/// `GET /client/v1/openapi.json`: this API as OpenAPI 3, embedded in the binary.
pub async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
}

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

const UNAUTHENTICATED: ClientError = ClientError::new(
    StatusCode::UNAUTHORIZED,
    "Unauthenticated",
    "unknown scheme or bad signature",
);

/// How far a device's clock may be off.
const SKEW_SECS: i64 = 300;

/// The scheme that signed `body`: the `X-Numgate-Signature` header must be the hex
/// HMAC-SHA256 of the raw body with the scheme's app key, the body's `timestamp`
/// within 5 minutes, and `app` the identity the scheme registered. An unknown
/// scheme and a bad signature get the same answer: devices learn nothing about
/// which schemes exist.
pub async fn signed_scheme(
    state: &crate::state::AppState,
    headers: &axum::http::HeaderMap,
    body: &[u8],
    scheme_code: &str,
    app: &str,
    timestamp: i64,
) -> Result<numgate_store::SchemeRecord, ClientError> {
    use hmac::{Hmac, Mac};
    let scheme = state
        .store
        .find_scheme_by_code(scheme_code)
        .await
        .map_err(|_| {
            ClientError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "try again later",
            )
        })?
        .ok_or(UNAUTHENTICATED)?;
    let key = crate::service::schemes::app_key(state, &scheme).map_err(|_| {
        ClientError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "try again later",
        )
    })?;
    let signature = headers
        .get("x-numgate-signature")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| hex::decode(v).ok())
        .ok_or(UNAUTHENTICATED)?;
    let mut mac =
        <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&signature).map_err(|_| UNAUTHENTICATED)?;
    if (state.clock.now_millis() / 1000 - timestamp).abs() > SKEW_SECS {
        return Err(ClientError::new(
            StatusCode::BAD_REQUEST,
            "TimestampExpired",
            "the device clock is more than 5 minutes off",
        ));
    }
    if crate::service::schemes::app_identity(&scheme) != Some(app) {
        return Err(ClientError::new(
            StatusCode::FORBIDDEN,
            "AppMismatch",
            "the app is not the one its scheme registered",
        ));
    }
    Ok(scheme)
}

/// The largest Client API body accepted.
pub const MAX_BODY: usize = 8 * 1024;

pub const BAD_REQUEST: ClientError = ClientError::new(
    StatusCode::BAD_REQUEST,
    "InvalidRequest",
    "the request body is not valid",
);

/// The carrier apps of a scheme's tenant (see [`crate::carriers`]).
pub async fn scheme_accounts(
    state: &crate::state::AppState,
    scheme: &numgate_store::SchemeRecord,
) -> Result<numgate_domain::access_token::CarrierAccounts, ClientError> {
    crate::service::schemes::carrier_accounts_of(state, scheme)
        .await
        .map_err(|_| {
            ClientError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "try again later",
            )
        })
}
