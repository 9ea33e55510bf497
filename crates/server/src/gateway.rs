//! The Open API entry point: read the request, verify its signature and nonce,
//! run the action, and answer in Alibaba's envelope. A request is signed with a
//! permanent AccessKey of the store, or with the temporary (STS) credentials of
//! `GetSmsAuthTokens`, which may only send a code as their grant allows.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::{HeaderMap, Method, StatusCode, Uri};
use numgate_acs::request::{parse, ParsedRequest, RawRequest};
use numgate_acs::{envelope, AcsError};
use numgate_domain::access_token::{SmsAuthGrant, TokenError};
use numgate_store::AccessKeyRecord;
use subtle::ConstantTimeEq;

use crate::actions::{Action, Caller, Payload, IGNORED};
use crate::error::{ApiError, Refusal};
use crate::params::Params;
use crate::service::sms_auth;
use crate::state::AppState;

/// How long a nonce is remembered after the request's own time: the timestamp
/// window is ±15 minutes, so 30 minutes outlives every request that could replay it.
const NONCE_KEEP_MS: i64 = 30 * 60 * 1000;

/// How stale an AccessKey's recorded last use may get.
const TOUCH_EVERY_MS: i64 = 60 * 1000;

pub async fn open_api(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let request_id = envelope::new_request_id();
    let mut seen = None;
    let outcome = handle(
        &state,
        &request_id,
        &method,
        &uri,
        &headers,
        body,
        &mut seen,
    )
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    let elapsed_ms = elapsed * 1000.0;
    let action_label = seen.map_or("-", Action::name);
    let code = match &outcome {
        Ok(_) => std::borrow::Cow::Borrowed("OK"),
        Err(e) => match e.refusal() {
            Refusal::Business { code, .. } => std::borrow::Cow::Borrowed(code),
            Refusal::Gateway(err) => err.code(),
        },
    };
    crate::metrics::record_request(action_label, &code, elapsed);
    match outcome {
        Ok((action, payload)) => {
            tracing::info!(
                request_id,
                action = action.name(),
                code = "OK",
                elapsed_ms,
                "open api"
            );
            (
                StatusCode::OK,
                Json(envelope::success(&request_id, payload)),
            )
                .into_response()
        }
        Err(e) => {
            match &e {
                ApiError::Internal(cause) => {
                    tracing::error!(request_id, error = ?cause, "open api request failed")
                }
                ApiError::Unavailable(cause) => {
                    tracing::warn!(request_id, error = ?cause, "open api: database unavailable")
                }
                _ => {}
            }
            match e.refusal() {
                Refusal::Business { code, message } => {
                    tracing::info!(request_id, code, elapsed_ms, "open api refused");
                    let body =
                        envelope::business_error(&request_id, code, &message, Default::default());
                    (StatusCode::OK, Json(body)).into_response()
                }
                Refusal::Gateway(err) => {
                    tracing::info!(request_id, code = %err.code(), elapsed_ms, "open api refused");
                    let host = headers
                        .get(http::header::HOST)
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or("numgate");
                    let body = envelope::gateway_error(&request_id, host, &err);
                    (err.http_status(), Json(body)).into_response()
                }
            }
        }
    }
}

async fn read_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let limit = state.config.max_body_bytes;
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large = || ApiError::Gateway(AcsError::RequestEntityTooLarge { limit });
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())
}

async fn handle(
    state: &AppState,
    request_id: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
    seen: &mut Option<Action>,
) -> Result<(Action, Payload), ApiError> {
    let body = read_body(state, headers, body).await?;
    let raw = RawRequest {
        method,
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        headers,
        body: &body,
    };
    let req = parse(&raw)?;
    let action = Action::from_name(req.action()).ok_or_else(|| AcsError::ActionNotFound {
        action: req.action().to_owned(),
    })?;
    *seen = Some(action);

    let now = state.clock.now_millis();
    let (key_id, tenant_id, grant) = if sms_auth::is_sts_key(req.access_key_id()) {
        let grant = authenticate_sts(state, &req, now).await?;
        // Only the send, held to the grant below: nothing else is granted.
        if action != Action::SendSmsVerifyCode || !grant.allows(action.name()) {
            return Err(AcsError::Forbidden {
                action: action.name().to_owned(),
            }
            .into());
        }
        (grant.sts_key_id.clone(), grant.tenant_id, Some(grant))
    } else {
        let key = authenticate_key(state, &req, now).await?;
        (key.id, key.tenant_id, None)
    };
    let keep_until = now.max(req.timestamp().timestamp_millis()) + NONCE_KEEP_MS;
    if !state
        .store
        .claim_nonce(&key_id, req.nonce(), keep_until)
        .await?
    {
        return Err(AcsError::SignatureNonceUsed.into());
    }
    let tenant = state.tenants.get(state.store.as_ref(), tenant_id).await?;

    let params: BTreeMap<String, String> = req
        .params()
        .iter()
        .filter(|(k, _)| !IGNORED.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let params = match &grant {
        Some(grant) => sms_auth::constrain_send(&state.config.sms, grant, params)?,
        None => params,
    };
    let caller = Caller {
        tenant,
        access_key_id: key_id,
        request_id: request_id.to_owned(),
    };
    let payload = action.run(state, &caller, &Params::new(params)).await?;
    Ok((action, payload))
}

/// A permanent AccessKey: found, its signature right, enabled, and no security
/// token (a token belongs to temporary credentials only). Records its last use.
async fn authenticate_key(
    state: &AppState,
    req: &ParsedRequest,
    now: i64,
) -> Result<AccessKeyRecord, ApiError> {
    let key = state
        .store
        .find_access_key(req.access_key_id())
        .await?
        .ok_or(AcsError::AccessKeyNotFound)?;
    let secret = state.secrets.open_string(&key.sealed_secret).map_err(|e| {
        ApiError::Internal(anyhow::Error::new(e).context("opening an AccessKey secret"))
    })?;
    req.verify(&secret, utc(now))?;
    // A disabled key is told only to whoever holds its secret.
    if !key.enabled {
        return Err(AcsError::AccessKeyInactive.into());
    }
    if req.security_token().is_some() {
        return Err(AcsError::SecurityTokenMismatch.into());
    }
    // Best effort and coarse: the key's last use is written at most once a minute.
    if key.last_used_at.is_none_or(|at| at < now - TOUCH_EVERY_MS) {
        let store = state.store.clone();
        let id = key.id.clone();
        tokio::spawn(async move {
            if let Err(e) = store.touch_access_key(&id, now).await {
                tracing::debug!(error = %e, "could not record an AccessKey's last use");
            }
        });
    }
    Ok(key)
}

/// Temporary credentials of `GetSmsAuthTokens` (`STS.…`): never in the store.
/// The signature must verify with the secret derived from the key id (before
/// anything about the token is told), the token must open as a grant made for
/// this key id and not be expired, and the AccessKey that asked for the grant
/// must still be enabled.
async fn authenticate_sts(
    state: &AppState,
    req: &ParsedRequest,
    now: i64,
) -> Result<SmsAuthGrant, ApiError> {
    let token = req.security_token().ok_or(AcsError::Missing {
        name: Cow::Borrowed("SecurityToken"),
    })?;
    let secret = state.secrets.sts_secret(req.access_key_id());
    req.verify(&secret, utc(now))?;
    let grant = SmsAuthGrant::open_grant(token, &state.secrets, now).map_err(|e| match e {
        TokenError::Invalid => AcsError::SecurityTokenMalformed,
        TokenError::Expired => AcsError::SecurityTokenExpired,
    })?;
    if !bool::from(
        grant
            .sts_key_id
            .as_bytes()
            .ct_eq(req.access_key_id().as_bytes()),
    ) {
        return Err(AcsError::SecurityTokenMismatch.into());
    }
    let issuer = state.store.find_access_key(&grant.issuer_key_id).await?;
    if !issuer.is_some_and(|k| k.enabled && k.tenant_id == grant.tenant_id) {
        return Err(AcsError::AccessKeyInactive.into());
    }
    Ok(grant)
}

fn utc(millis: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default()
}
