//! `POST /client/v1/fusion/start` and `POST /client/v1/fusion/step`: a
//! Fusion-Auth scene, step by step. Each answer says what the client must show
//! next (`Step`: `carrier_consent`, `number_check`, `captcha`, `enter_number`,
//! `sms_code`, `upstream_sms`, `done` with the VerifyToken, or `refused`).
//!
//! Start: `{"Token" (GetFusionAuthToken's), "Scene", "Number"? (scenes
//! 100002–100005: the number the user entered, or the bound number),
//! "DeviceId"?, "Signals"? {"emulator", "root_or_jailbreak", "hooking",
//! "proxy_or_vpn", "app_signature_mismatch"}}`.
//! Step: `{"Session", "Action": "carrier"|"captcha"|"number"|"sms_code"|
//! "upstream"|"give_up", …}` (see [`crate::service::fusion::client::Action`]).

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use numgate_domain::access_token::FusionAuthToken;
use numgate_domain::fusion::{EndpointSignals, Scene};
use numgate_domain::{CountryCode, PhoneNumber};
use serde::Deserialize;
use serde_json::Value;

use super::{ClientError, BAD_REQUEST, MAX_BODY};
use crate::service::fusion::{self, client, Start, StartError};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartRequest {
    #[serde(rename = "Token")]
    token: String,
    #[serde(rename = "Scene")]
    scene: String,
    #[serde(rename = "Number", default)]
    number: Option<String>,
    #[serde(rename = "DeviceId", default)]
    device_id: Option<String>,
    #[serde(rename = "Signals", default)]
    signals: Option<Signals>,
}

/// What the SDK detected on the device; anything left out is "not detected".
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct Signals {
    emulator: bool,
    root_or_jailbreak: bool,
    hooking: bool,
    proxy_or_vpn: bool,
    app_signature_mismatch: bool,
}

const UNAVAILABLE: ClientError = ClientError::new(
    StatusCode::SERVICE_UNAVAILABLE,
    "ServiceUnavailable",
    "try again later",
);

const SESSION_INVALID: ClientError = ClientError::new(
    StatusCode::UNAUTHORIZED,
    "SessionInvalid",
    "the session is unknown, finished or expired",
);

fn internal(e: crate::error::ApiError) -> ClientError {
    match e {
        crate::error::ApiError::Unavailable(_) => UNAVAILABLE,
        e => {
            tracing::error!(error = ?e, "a Fusion-Auth step failed");
            ClientError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "try again later",
            )
        }
    }
}

/// A web page may call from its scheme's origin (the app identity of a Web
/// scheme's token is its origin): the answer lets that origin read it. A page on
/// another origin is refused; apps (no `Origin`) are not concerned.
fn web_origin<'a>(headers: &HeaderMap, app: &'a str) -> Result<Option<&'a str>, ClientError> {
    match headers.get("origin").and_then(|o| o.to_str().ok()) {
        None => Ok(None),
        Some(o) if o == app => Ok(Some(app)),
        Some(_) => Err(ClientError::new(
            StatusCode::FORBIDDEN,
            "OriginMismatch",
            "the page is not on the scheme's origin",
        )),
    }
}

/// The answer, readable by the scheme's web origin once it is known (refusals
/// too: the page must be able to tell the user why).
fn respond(answer: Result<Json<Value>, ClientError>, origin: Option<&str>) -> Response {
    let mut resp = match answer {
        Ok(v) => v.into_response(),
        Err(e) => e.into_response(),
    };
    if let Some(o) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        resp.headers_mut().insert("access-control-allow-origin", o);
    }
    resp
}

pub async fn start(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut origin = None;
    let answer = start_scene(&state, peer, &headers, &body, &mut origin).await;
    respond(answer, origin.as_deref())
}

async fn start_scene(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: &[u8],
    origin: &mut Option<String>,
) -> Result<Json<Value>, ClientError> {
    if body.len() > MAX_BODY {
        return Err(BAD_REQUEST);
    }
    let req: StartRequest = serde_json::from_slice(body).map_err(|_| BAD_REQUEST)?;
    let token = FusionAuthToken::open_fusion(&req.token, &state.secrets, state.clock.now_millis())
        .map_err(|_| {
            ClientError::new(
                StatusCode::UNAUTHORIZED,
                "TokenInvalid",
                "the token is invalid or expired",
            )
        })?;
    *origin = web_origin(headers, &token.app)?.map(str::to_owned);
    // A deleted scheme's tokens start nothing.
    if state
        .store
        .find_fusion_scheme(token.tenant_id, &token.scheme)
        .await
        .map_err(|e| internal(e.into()))?
        .is_none()
    {
        return Err(ClientError::new(
            StatusCode::UNAUTHORIZED,
            "TokenInvalid",
            "the token is invalid or expired",
        ));
    }
    let scene = Scene::parse(&req.scene).map_err(|_| {
        ClientError::new(
            StatusCode::BAD_REQUEST,
            "InvalidScene",
            "Scene must be 100001 to 100005",
        )
    })?;
    let number = match req.number.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) => Some(
            PhoneNumber::parse(&CountryCode::mainland(), n).map_err(|_| {
                ClientError::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidNumber",
                    "Number is not a valid mobile number",
                )
            })?,
        ),
    };
    let device_id = req
        .device_id
        .filter(|d| !d.is_empty())
        .map(|d| {
            if d.len() > 128 {
                Err(BAD_REQUEST)
            } else {
                Ok(d)
            }
        })
        .transpose()?;
    let s = req.signals.unwrap_or_default();
    let signals = EndpointSignals {
        device_id: device_id.is_some(),
        emulator: s.emulator,
        root_or_jailbreak: s.root_or_jailbreak,
        hooking: s.hooking,
        proxy_or_vpn: s.proxy_or_vpn,
        app_signature_mismatch: s.app_signature_mismatch,
    };
    let tenant = state
        .tenants
        .get(state.store.as_ref(), token.tenant_id)
        .await
        .map_err(internal)?;
    let started = fusion::start(
        state,
        Start {
            tenant_id: token.tenant_id,
            tenant: tenant.name,
            scheme: token.scheme,
            app: token.app,
            scene,
            number,
            ip: peer.ip().to_string(),
            device_id,
            signals,
        },
    )
    .await;
    match started {
        Ok((session, step)) => Ok(Json(client::render(state, &session, &step))),
        Err(StartError::Input(_)) => Err(ClientError::new(
            StatusCode::BAD_REQUEST,
            "NumberMismatch",
            "this scene needs the number up front (100002–100005), logon does not take one",
        )),
        Err(StartError::Api(e)) => Err(internal(e)),
    }
}

#[derive(Deserialize)]
struct StepRequest {
    #[serde(rename = "Session")]
    session: String,
    #[serde(flatten)]
    action: Value,
}

pub async fn step(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let mut origin = None;
    let answer = take_step(&state, &headers, &body, &mut origin).await;
    respond(answer, origin.as_deref())
}

async fn take_step(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    origin: &mut Option<String>,
) -> Result<Json<Value>, ClientError> {
    if body.len() > MAX_BODY {
        return Err(BAD_REQUEST);
    }
    let req: StepRequest = serde_json::from_slice(body).map_err(|_| BAD_REQUEST)?;
    let action: client::Action = serde_json::from_value(req.action).map_err(|_| BAD_REQUEST)?;
    let mut session = fusion::load(state, &req.session)
        .await
        .map_err(internal)?
        .ok_or(SESSION_INVALID)?;
    *origin = web_origin(headers, &session.run.app)?.map(str::to_owned);
    let current = session
        .run
        .walker
        .step(&session.run.graph)
        .map_err(|_| SESSION_INVALID)?;
    if current.is_final() {
        return Err(SESSION_INVALID);
    }
    let moved = ClientError::new(
        StatusCode::CONFLICT,
        "SessionMoved",
        "another request moved this session: ask again",
    );
    match client::act(state, &mut session, &current, action)
        .await
        .map_err(internal)?
    {
        client::Outcome::Event(event) => {
            let next = fusion::apply(state, &mut session, event)
                .await
                .map_err(internal)?
                .ok_or(moved)?;
            Ok(Json(client::render(state, &session, &next)))
        }
        client::Outcome::Again(message) => {
            if !fusion::save(state, &mut session).await.map_err(internal)? {
                return Err(moved);
            }
            let mut v = client::render(state, &session, &current);
            v["Error"] = Value::from(message);
            Ok(Json(v))
        }
        client::Outcome::Misplaced => Err(ClientError::new(
            StatusCode::CONFLICT,
            "StepMismatch",
            "the action does not fit the session's current step",
        )),
    }
}
