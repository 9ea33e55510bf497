//! The token-exchange gateway shared by China Mobile, China Unicom and China Telecom.
//!
//! The three carriers run the same flow (prefetch → token on the device's bearer, then a signed
//! `exchange` or `verify` from the app's server); what differs — token format, lifetime, result
//! codes, response envelope — is a [`Profile`] defined in `cm.rs`, `cu.rs` and `ct.rs`. Business
//! outcomes are always HTTP 200 with the carrier's result code, as the real gateways answer.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, OriginalUri, State};
use axum::http::{HeaderMap, Method};
use axum::routing::post;
use axum::{Json, Router};
use chrono::TimeDelta;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::config::{is_national_mobile, Carrier, SubscriberConfig, SubscriberStatus};
use crate::signature;
use crate::state::{lock, SimState};
use crate::tokens::{Purpose, RedeemError};

/// Every way a gateway call can end other than success; each carrier maps these to its codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Malformed body, missing field or header, bad value.
    BadRequest(String),
    /// Signature missing or wrong.
    BadSignature,
    /// `X-Timestamp` more than 5 minutes from the carrier's clock.
    TimestampSkew,
    /// `X-Nonce` already used.
    NonceReplayed,
    /// App id not registered with this carrier.
    UnknownApp,
    /// Token unknown, expired or already used.
    TokenInvalid,
    /// Token minted for another app.
    TokenWrongApp,
    /// A `login` token sent to `verify` or a `verify` token sent to `exchange`.
    TokenWrongPurpose,
    /// The bearer address is no SIM of this carrier (unknown address, another carrier, or a
    /// number not attached to a SIM).
    NotSubscriber,
    /// The SIM is known but mobile data is off: the gateway cannot see the device.
    MobileDataOff,
    /// The line is barred.
    Suspended,
}

/// What makes one carrier different from another.
pub(crate) struct Profile {
    /// Which carrier.
    pub(crate) carrier: Carrier,
    /// Token lifetime in seconds.
    pub(crate) token_lifetime_secs: i64,
    /// Mints a fresh token in the carrier's format.
    pub(crate) mint_token: fn() -> String,
    /// Wraps a success payload or an outcome in the carrier's envelope and codes.
    pub(crate) envelope: fn(Result<Value, Outcome>) -> Value,
}

/// How far `X-Timestamp` may be from the carrier's clock.
const MAX_SKEW: TimeDelta = TimeDelta::minutes(5);

/// The device endpoints answer any origin: an H5 page calls them from the
/// browser, on the phone's bearer, as real carriers' H5 gateways allow.
const CORS: [(&str, &str); 1] = [("access-control-allow-origin", "*")];

/// The CORS preflight of a page's call to a device endpoint.
async fn preflight() -> impl axum::response::IntoResponse {
    (
        axum::http::StatusCode::NO_CONTENT,
        [
            ("access-control-allow-origin", "*"),
            ("access-control-allow-methods", "POST"),
            ("access-control-allow-headers", "content-type"),
            ("access-control-max-age", "600"),
        ],
    )
}

/// The routes of one carrier, relative to its prefix (`/prefetch`, `/token`, `/exchange`, `/verify`).
pub(crate) fn routes(profile: &'static Profile) -> Router<Arc<SimState>> {
    Router::new()
        .route(
            "/prefetch",
            post(
                move |State(state): State<Arc<SimState>>,
                      ConnectInfo(peer): ConnectInfo<SocketAddr>,
                      body: Bytes| async move {
                    (
                        CORS,
                        Json((profile.envelope)(prefetch(profile, &state, peer, &body))),
                    )
                },
            )
            .options(preflight),
        )
        .route(
            "/token",
            post(
                move |State(state): State<Arc<SimState>>,
                      ConnectInfo(peer): ConnectInfo<SocketAddr>,
                      body: Bytes| async move {
                    (
                        CORS,
                        Json((profile.envelope)(token(profile, &state, peer, &body))),
                    )
                },
            )
            .options(preflight),
        )
        .route(
            "/exchange",
            post(
                move |State(state): State<Arc<SimState>>,
                      uri: OriginalUri,
                      method: Method,
                      headers: HeaderMap,
                      body: Bytes| async move {
                    let call = SignedCall {
                        method: &method,
                        path: uri.path(),
                        headers: &headers,
                        body: &body,
                    };
                    Json((profile.envelope)(exchange(profile, &state, call)))
                },
            ),
        )
        .route(
            "/verify",
            post(
                move |State(state): State<Arc<SimState>>,
                      uri: OriginalUri,
                      method: Method,
                      headers: HeaderMap,
                      body: Bytes| async move {
                    let call = SignedCall {
                        method: &method,
                        path: uri.path(),
                        headers: &headers,
                        body: &body,
                    };
                    Json((profile.envelope)(verify(profile, &state, call)))
                },
            ),
        )
}

#[derive(Deserialize)]
struct PrefetchRequest {
    app_id: String,
}

#[derive(Deserialize)]
struct TokenRequest {
    app_id: String,
    purpose: Purpose,
}

#[derive(Deserialize)]
struct ExchangeRequest {
    token: String,
}

#[derive(Deserialize)]
struct VerifyRequest {
    token: String,
    #[serde(default)]
    phone_number: Option<String>,
    #[serde(default)]
    phone_number_sha256: Option<String>,
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, Outcome> {
    serde_json::from_slice(body)
        .map_err(|e| Outcome::BadRequest(format!("invalid request body: {e}")))
}

fn require_app(profile: &Profile, state: &SimState, app_id: &str) -> Result<(), Outcome> {
    state
        .app_key(profile.carrier, app_id)
        .map(|_| ())
        .ok_or(Outcome::UnknownApp)
}

/// Identifies the SIM on the bearer, as the carrier's data gateway does.
fn identify(
    profile: &Profile,
    state: &SimState,
    peer: SocketAddr,
) -> Result<SubscriberConfig, Outcome> {
    let subscriber = state
        .subscriber_at(peer.ip())
        .ok_or(Outcome::NotSubscriber)?;
    if !subscriber.mobile_data {
        return Err(Outcome::MobileDataOff);
    }
    if subscriber.carrier != profile.carrier || subscriber.status == SubscriberStatus::Unknown {
        return Err(Outcome::NotSubscriber);
    }
    if subscriber.status == SubscriberStatus::Suspended {
        return Err(Outcome::Suspended);
    }
    Ok(subscriber)
}

fn prefetch(
    profile: &Profile,
    state: &SimState,
    peer: SocketAddr,
    body: &[u8],
) -> Result<Value, Outcome> {
    let request: PrefetchRequest = parse(body)?;
    require_app(profile, state, &request.app_id)?;
    let subscriber = identify(profile, state, peer)?;
    Ok(json!({
        "masked_number": mask(&subscriber.number),
        "carrier": profile.carrier.as_str(),
        "available": true,
    }))
}

fn token(
    profile: &Profile,
    state: &SimState,
    peer: SocketAddr,
    body: &[u8],
) -> Result<Value, Outcome> {
    let request: TokenRequest = parse(body)?;
    require_app(profile, state, &request.app_id)?;
    let subscriber = identify(profile, state, peer)?;
    let token = (profile.mint_token)();
    let lifetime = TimeDelta::seconds(profile.token_lifetime_secs);
    lock(&state.tokens).insert(
        token.clone(),
        profile.carrier,
        &request.app_id,
        request.purpose,
        &subscriber.number,
        state.clock.now(),
        lifetime,
    );
    Ok(json!({ "token": token, "expires_in": profile.token_lifetime_secs }))
}

/// The parts of a server-to-server request the signature covers.
struct SignedCall<'a> {
    method: &'a Method,
    path: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Checks app, timestamp, signature and nonce; returns the app id.
fn authenticate(
    profile: &Profile,
    state: &SimState,
    call: &SignedCall<'_>,
) -> Result<String, Outcome> {
    let app_id = header(call.headers, signature::APP_ID).ok_or(Outcome::UnknownApp)?;
    let key = state
        .app_key(profile.carrier, app_id)
        .ok_or(Outcome::UnknownApp)?;
    let timestamp = header(call.headers, signature::TIMESTAMP)
        .ok_or_else(|| Outcome::BadRequest("missing X-Timestamp".into()))?;
    let seconds: i64 = timestamp
        .parse()
        .map_err(|_| Outcome::BadRequest("X-Timestamp is not Unix seconds".into()))?;
    let skew = state
        .clock
        .wall()
        .timestamp()
        .saturating_sub(seconds)
        .saturating_abs();
    if skew > MAX_SKEW.num_seconds() {
        return Err(Outcome::TimestampSkew);
    }
    let nonce = header(call.headers, signature::NONCE)
        .ok_or_else(|| Outcome::BadRequest("missing X-Nonce".into()))?;
    if !signature::is_valid_nonce(nonce) {
        return Err(Outcome::BadRequest(
            "X-Nonce must be 8-64 of [A-Za-z0-9_-]".into(),
        ));
    }
    let given = header(call.headers, signature::SIGNATURE).ok_or(Outcome::BadSignature)?;
    let canonical = signature::canonical_string(
        call.method.as_str(),
        call.path,
        app_id,
        timestamp,
        nonce,
        call.body,
    );
    if !signature::verify(key, &canonical, given) {
        return Err(Outcome::BadSignature);
    }
    // Recorded only after the signature checks out, so nobody can burn another app's nonces.
    if !lock(&state.nonces).check_and_record(
        profile.carrier,
        app_id,
        nonce,
        state.clock.wall(),
        MAX_SKEW,
    ) {
        return Err(Outcome::NonceReplayed);
    }
    Ok(app_id.to_owned())
}

fn redeem(
    profile: &Profile,
    state: &SimState,
    token: &str,
    app_id: &str,
    purpose: Purpose,
) -> Result<String, Outcome> {
    lock(&state.tokens)
        .redeem(token, profile.carrier, app_id, purpose, state.clock.now())
        .map_err(|e| match e {
            RedeemError::Invalid => Outcome::TokenInvalid,
            RedeemError::WrongApp => Outcome::TokenWrongApp,
            RedeemError::WrongPurpose => Outcome::TokenWrongPurpose,
        })
}

fn exchange(profile: &Profile, state: &SimState, call: SignedCall<'_>) -> Result<Value, Outcome> {
    let app_id = authenticate(profile, state, &call)?;
    let request: ExchangeRequest = parse(call.body)?;
    let number = redeem(profile, state, &request.token, &app_id, Purpose::Login)?;
    Ok(json!({ "phone_number": number }))
}

fn verify(profile: &Profile, state: &SimState, call: SignedCall<'_>) -> Result<Value, Outcome> {
    let app_id = authenticate(profile, state, &call)?;
    let request: VerifyRequest = parse(call.body)?;
    // Checked before redeeming, so a malformed call does not burn the token.
    let matches: Box<dyn Fn(&str) -> bool> =
        match (request.phone_number, request.phone_number_sha256) {
            (Some(number), None) if is_national_mobile(&number) => {
                Box::new(move |held: &str| held == number)
            }
            (None, Some(hash))
                if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                let hash = hash.to_ascii_lowercase();
                Box::new(move |held: &str| hex::encode(Sha256::digest(held.as_bytes())) == hash)
            }
            (Some(_), None) => {
                return Err(Outcome::BadRequest(
                    "phone_number must be 11 national digits".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(Outcome::BadRequest(
                    "phone_number_sha256 must be 64 hex digits".into(),
                ))
            }
            _ => {
                return Err(Outcome::BadRequest(
                    "exactly one of phone_number and phone_number_sha256 is required".into(),
                ))
            }
        };
    let number = redeem(profile, state, &request.token, &app_id, Purpose::Verify)?;
    Ok(json!({ "match": matches(&number) }))
}

/// `13800000011` → `138****0011`; anything too short to mask meaningfully is masked entirely.
pub(crate) fn mask(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_national_number_is_masked_in_the_middle() {
        assert_eq!(mask("13800000011"), "138****0011");
        assert_eq!(mask("123"), "***");
    }
}
