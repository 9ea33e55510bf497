//! The operator's OpenID Connect endpoints: network-based `authorize` and the `token` endpoint.
//!
//! `authorize` never shows a page: the subscriber is whoever the bearer address belongs to, so it
//! always answers at once, as `prompt=none` demands (and as Number Verification implies even when
//! `prompt` is absent). Errors that concern the client itself (unknown `client_id`, unregistered
//! `redirect_uri`) are not redirected, per RFC 6749 §4.1.2.1; the rest are.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use chrono::TimeDelta;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::store::{AccessToken, AuthCode};
use crate::config::{Carrier, SubscriberStatus};
use crate::state::{lock, SimState};
use crate::tokens::random_bytes;

/// Lifetime of an authorization code.
const CODE_LIFETIME: TimeDelta = TimeDelta::seconds(60);

fn random_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(32))
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// An OAuth error body (`{"error", "error_description"}`).
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"camara\""),
        );
    }
    response
}

/// A 302 to the client's redirect URI with the given parameters (and `state`, if any).
fn redirect<'a>(
    redirect_uri: &str,
    mut pairs: Vec<(&'a str, &'a str)>,
    state: Option<&'a str>,
) -> Response {
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{separator}{query}");
    match header::HeaderValue::from_str(&location) {
        Ok(value) => (StatusCode::FOUND, [(header::LOCATION, value)]).into_response(),
        Err(_) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri cannot be used",
        ),
    }
}

/// `GET /camara/authorize`.
pub(crate) async fn authorize(
    State(state): State<Arc<SimState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
) -> Response {
    let Ok(params) =
        serde_urlencoded::from_str::<Vec<(String, String)>>(query.as_deref().unwrap_or(""))
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "malformed query string",
        );
    };
    let Some(client) = param(&params, "client_id").and_then(|id| state.camara_clients.get(id))
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "unknown client_id",
        );
    };
    let Some(redirect_uri) =
        param(&params, "redirect_uri").filter(|uri| client.redirect_uris.iter().any(|r| r == uri))
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri is not registered for this client",
        );
    };
    let oauth_state = param(&params, "state");
    let fail = |error: &str, description: &str| {
        redirect(
            redirect_uri,
            vec![("error", error), ("error_description", description)],
            oauth_state,
        )
    };
    if param(&params, "response_type") != Some("code") {
        return fail(
            "unsupported_response_type",
            "only response_type=code is supported",
        );
    }
    let scopes: Vec<String> = param(&params, "scope")
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if !scopes.iter().any(|s| s == "openid") {
        return fail("invalid_scope", "scope must include openid");
    }
    if scopes
        .iter()
        .any(|s| s != "openid" && !client.scopes.contains(s))
    {
        return fail(
            "invalid_scope",
            "a requested scope is not allowed for this client",
        );
    }
    // Network-based authentication: the bearer address is the SIM. Without mobile data the
    // request arrives from somewhere the operator cannot attribute, so the user would have to log
    // in — which prompt=none (explicit or implied) forbids.
    let subscriber = match state.subscriber_at(peer.ip()) {
        Some(s)
            if s.carrier == Carrier::Camara
                && s.mobile_data
                && s.status != SubscriberStatus::Unknown =>
        {
            s
        }
        _ => {
            return fail(
                "login_required",
                "the device could not be identified by the mobile network",
            )
        }
    };
    if subscriber.status == SubscriberStatus::Suspended {
        return fail("access_denied", "the subscription is suspended");
    }
    let code = random_token();
    let now = state.clock.now();
    lock(&state.camara).insert_code(
        code.clone(),
        AuthCode {
            client_id: client.client_id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            scopes,
            number: subscriber.number,
            expires_at: now + CODE_LIFETIME,
        },
        now,
    );
    redirect(redirect_uri, vec![("code", &code)], oauth_state)
}

/// The client authenticated by `client_secret_basic`.
fn authenticate_client(state: &SimState, headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let client = state.camara_clients.get(id)?;
    bool::from(client.client_secret.as_bytes().ct_eq(secret.as_bytes())).then(|| id.to_owned())
}

/// `POST /camara/token` (form-encoded; `authorization_code` or `client_credentials`).
pub(crate) async fn token(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(client_id) = authenticate_client(&state, &headers) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
    };
    let Ok(params) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "body must be application/x-www-form-urlencoded",
        );
    };
    let now = state.clock.now();
    let settings = &state.camara_settings;
    let (scopes, subject, lifetime) = match param(&params, "grant_type") {
        Some("authorization_code") => {
            let (Some(code), Some(redirect_uri)) =
                (param(&params, "code"), param(&params, "redirect_uri"))
            else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "code and redirect_uri are required",
                );
            };
            let grant = lock(&state.camara).take_code(code);
            let Some(grant) = grant.filter(|g| {
                g.client_id == client_id && g.redirect_uri == redirect_uri && now < g.expires_at
            }) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "authorization code is invalid, expired, used, or issued to another client or redirect_uri",
                );
            };
            (
                grant.scopes,
                Some(grant.number),
                settings.access_token_lifetime_secs,
            )
        }
        Some("client_credentials") => {
            let allowed = state
                .camara_clients
                .get(&client_id)
                .map(|c| c.scopes.clone())
                .unwrap_or_default();
            let scopes: Vec<String> = match param(&params, "scope") {
                Some(s) => s.split_whitespace().map(str::to_owned).collect(),
                None => allowed.clone(),
            };
            if scopes.is_empty() || scopes.iter().any(|s| !allowed.contains(s)) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    "a requested scope is not allowed for this client",
                );
            }
            (scopes, None, settings.client_token_lifetime_secs)
        }
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be authorization_code or client_credentials",
            )
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            )
        }
    };
    let token = random_token();
    let scope = scopes.join(" ");
    let single_use =
        subject.is_some() && scopes.iter().any(|s| s.starts_with("number-verification:"));
    lock(&state.camara).insert_token(
        token.clone(),
        AccessToken {
            scopes,
            subject,
            expires_at: now + TimeDelta::seconds(i64::from(lifetime)),
            single_use,
            used: false,
        },
        now,
    );
    let body = json!({ "access_token": token, "token_type": "Bearer", "expires_in": lifetime, "scope": scope });
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(body),
    )
        .into_response()
}
