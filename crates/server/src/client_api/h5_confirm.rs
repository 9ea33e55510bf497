//! `POST /client/v1/h5/confirm`: the H5 JS SDK sends the page's session
//! tokens, the carrier token it got over the bearer, and the four middle digits
//! the user typed; right digits get the spToken, wrong ones use up one of the
//! session's three tries.
//!
//! Body (JSON): `access_token`, `jwt_token` (both from `GetAuthToken`),
//! `carrier` (`cm`|`cu`|`ct`), `carrier_token`, `digits`. A browser's `Origin`
//! must be the scheme's. Answer: `{"SpToken"}`, or `{"code", "message",
//! "TriesLeft"}`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use numgate_carriers::CarrierError;
use numgate_domain::access_token::TokenCarrier;
use serde::Deserialize;
use serde_json::json;

use super::MAX_BODY;
use crate::service::h5;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    access_token: String,
    jwt_token: String,
    carrier: TokenCarrier,
    carrier_token: String,
    digits: String,
}

fn answer(status: StatusCode, body: serde_json::Value, origin: Option<&str>) -> Response {
    let mut resp = (status, Json(body)).into_response();
    if let Some(o) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        resp.headers_mut().insert("access-control-allow-origin", o);
    }
    resp
}

fn refuse(status: StatusCode, code: &str, message: &str, origin: Option<&str>) -> Response {
    answer(status, json!({ "code": code, "message": message }), origin)
}

pub async fn handler(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let bad = |m: &str| refuse(StatusCode::BAD_REQUEST, "InvalidRequest", m, None);
    if body.len() > MAX_BODY {
        return bad("the request body is too large");
    }
    let Ok(req) = serde_json::from_slice::<Request>(&body) else {
        return bad("the request body is not valid");
    };
    let session = match h5::open_session(&state, &req.access_token, &req.jwt_token) {
        Some(s) => s,
        None => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "SessionInvalid",
                "the session tokens are invalid or expired",
                None,
            )
        }
    };
    let origin = Some(session.origin.as_str());
    // A browser says where the page is; it must be the scheme's site.
    if let Some(o) = headers.get("origin").and_then(|o| o.to_str().ok()) {
        if o != session.origin {
            return refuse(
                StatusCode::FORBIDDEN,
                "OriginMismatch",
                "the page is not on the scheme's origin",
                None,
            );
        }
    }
    if req.digits.len() != 4 || !req.digits.bytes().all(|b| b.is_ascii_digit()) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "InvalidDigits",
            "type the four middle digits",
            origin,
        );
    }
    let Some(carrier) = state
        .carriers
        .get(req.carrier, &session.accounts)
        .filter(|_| req.carrier != TokenCarrier::Camara)
    else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "CarrierUnavailable",
            "this carrier is not offered for H5",
            origin,
        );
    };
    let left = match h5::take_attempt(&state, &session).await {
        Ok(Some(left)) => left,
        Ok(None) => {
            return refuse(
                StatusCode::FORBIDDEN,
                "SessionDead",
                "too many wrong tries: start again",
                origin,
            )
        }
        Err(_) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "try again later",
                origin,
            )
        }
    };
    let number = match carrier.exchange(&req.carrier_token).await {
        Ok(n) => n,
        Err(CarrierError::Unavailable(_)) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "CarrierUnavailable",
                "the carrier did not answer",
                origin,
            )
        }
        Err(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "CarrierTokenInvalid",
                "the carrier token is invalid",
                origin,
            )
        }
    };
    if !h5::middle_digits_match(&number, &req.digits) {
        let body = json!({ "code": "WrongDigits", "message": "the digits do not match", "TriesLeft": left });
        return answer(StatusCode::FORBIDDEN, body, origin);
    }
    match h5::sp_token(&state, &session, &number).await {
        Ok(Some(t)) => answer(StatusCode::OK, json!({ "SpToken": t }), origin),
        Ok(None) => refuse(
            StatusCode::FORBIDDEN,
            "SessionUsed",
            "this session already has its token",
            origin,
        ),
        Err(_) => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "try again later",
            origin,
        ),
    }
}

/// The CORS preflight of a page on another origin than numgate.
pub async fn preflight(headers: HeaderMap) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    if let Some(o) = headers.get("origin") {
        let h = resp.headers_mut();
        h.insert("access-control-allow-origin", o.clone());
        h.insert(
            "access-control-allow-methods",
            HeaderValue::from_static("POST"),
        );
        h.insert(
            "access-control-allow-headers",
            HeaderValue::from_static("content-type"),
        );
        h.insert("access-control-max-age", HeaderValue::from_static("600"));
    }
    resp
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigRequest {
    access_token: String,
    jwt_token: String,
}

/// `POST /client/v1/h5/config` `{access_token, jwt_token}`: the carriers an H5
/// session may use, with numgate's app id at each (what the SDK needs to ask
/// the carrier for the masked number and a token).
pub async fn config(State(state): State<AppState>, body: Bytes) -> Response {
    if body.len() > MAX_BODY {
        return refuse(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "the request body is too large",
            None,
        );
    }
    let Ok(req) = serde_json::from_slice::<ConfigRequest>(&body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "the request body is not valid",
            None,
        );
    };
    let Some(session) = h5::open_session(&state, &req.access_token, &req.jwt_token) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "SessionInvalid",
            "the session tokens are invalid or expired",
            None,
        );
    };
    let carriers = state.carriers.offered(&session.accounts);
    answer(
        StatusCode::OK,
        json!({ "Carriers": carriers }),
        Some(session.origin.as_str()),
    )
}
