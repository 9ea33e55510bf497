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
use numgate_domain::access_token::{AccessToken, Purpose, Sealed, TokenCarrier};
use serde::Deserialize;

use super::{ClientError, BAD_REQUEST};
use crate::service::carrier_tokens;
use crate::state::AppState;

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

pub async fn handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ClientError> {
    if body.len() > super::MAX_BODY {
        return Err(BAD_REQUEST);
    }
    let req: Request = serde_json::from_slice(&body).map_err(|_| BAD_REQUEST)?;
    if req.carrier_token.is_empty() || req.carrier_token.len() > 2048 || req.scheme_code.len() > 32
    {
        return Err(BAD_REQUEST);
    }
    let scheme = super::signed_scheme(
        &state,
        &headers,
        &body,
        &req.scheme_code,
        &req.app,
        req.timestamp,
    )
    .await?;
    let now = state.clock.now_millis();
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
    let accounts = super::scheme_accounts(&state, &scheme).await?;
    if state.carriers.get(req.carrier, &accounts).is_none() {
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
