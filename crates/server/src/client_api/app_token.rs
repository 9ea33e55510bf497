//! `POST /client/v1/app/token`: an app wraps the carrier token it got over its
//! bearer into numgate's AccessToken, which it hands its own backend.
//!
//! Body (JSON): `scheme_code`, `app` (the package name, bundle id or origin the
//! scheme registered), `carrier` (`cm`|`cu`|`ct`|`camara`), `carrier_token` (or
//! the CAMARA authorization code), `purpose` (`login`|`verify`), `timestamp`
//! (Unix seconds). Header `X-Numgate-Signature`: hex HMAC-SHA256 of the raw body
//! with the scheme's app key. Answer: `{"AccessToken", "ExpiresIn"}`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use hmac::{Hmac, Mac};
use numgate_domain::access_token::{AccessToken, Purpose, TokenCarrier};
use serde::Deserialize;
use sha2::Sha256;

use super::ClientError;
use crate::service::{carrier_tokens, schemes};
use crate::state::AppState;

/// How far a device's clock may be off.
const SKEW_SECS: i64 = 300;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    scheme_code: String,
    app: String,
    carrier: TokenCarrier,
    carrier_token: String,
    purpose: Purpose,
    timestamp: i64,
}

const BAD_REQUEST: ClientError = ClientError::new(
    StatusCode::BAD_REQUEST,
    "InvalidRequest",
    "the request body is not a valid token request",
);
const UNAUTHENTICATED: ClientError = ClientError::new(
    StatusCode::UNAUTHORIZED,
    "Unauthenticated",
    "unknown scheme or bad signature",
);

pub async fn handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ClientError> {
    let internal = |_| {
        ClientError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "try again later",
        )
    };
    if body.len() > 8 * 1024 {
        return Err(BAD_REQUEST);
    }
    let req: Request = serde_json::from_slice(&body).map_err(|_| BAD_REQUEST)?;
    if req.carrier_token.is_empty() || req.carrier_token.len() > 2048 || req.scheme_code.len() > 32
    {
        return Err(BAD_REQUEST);
    }
    // The same answer for an unknown scheme and a bad signature: devices learn
    // nothing about which schemes exist.
    let scheme = state
        .store
        .find_scheme_by_code(&req.scheme_code)
        .await
        .map_err(|_| {
            ClientError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "try again later",
            )
        })?
        .ok_or(UNAUTHENTICATED)?;
    let key = schemes::app_key(&state, &scheme).map_err(internal)?;
    let signature = headers
        .get("x-numgate-signature")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| hex::decode(v).ok())
        .ok_or(UNAUTHENTICATED)?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(&body);
    mac.verify_slice(&signature).map_err(|_| UNAUTHENTICATED)?;

    let now = state.clock.now_millis();
    if (now / 1000 - req.timestamp).abs() > SKEW_SECS {
        return Err(ClientError::new(
            StatusCode::BAD_REQUEST,
            "TimestampExpired",
            "the device clock is more than 5 minutes off",
        ));
    }
    if schemes::app_identity(&scheme) != Some(req.app.as_str()) {
        return Err(ClientError::new(
            StatusCode::FORBIDDEN,
            "AppMismatch",
            "the app is not the one its scheme registered",
        ));
    }
    let wanted = match req.purpose {
        Purpose::Login => "1",
        Purpose::Verify => "2",
    };
    if !scheme.auth_type.split(',').any(|t| t.trim() == wanted) {
        return Err(ClientError::new(
            StatusCode::FORBIDDEN,
            "AuthTypeNotAllowed",
            "the scheme does not allow this kind of verification",
        ));
    }
    if state.carriers.get(req.carrier).is_none() {
        return Err(ClientError::new(
            StatusCode::BAD_REQUEST,
            "CarrierUnavailable",
            "this carrier is not offered",
        ));
    }
    let lifetime = carrier_tokens::lifetime_secs(req.carrier);
    let token = AccessToken {
        id: AccessToken::new_id(),
        scheme: scheme.code,
        app: req.app,
        carrier: req.carrier,
        purpose: req.purpose,
        carrier_token: req.carrier_token,
        expires_at: now + lifetime * 1000,
    };
    Ok(Json(serde_json::json!({
        "AccessToken": token.seal(&state.secrets),
        "ExpiresIn": lifetime,
    })))
}
