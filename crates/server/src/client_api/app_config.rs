//! `POST /client/v1/app/config`: which carriers an app may use, and numgate's
//! app id at each, so that the device can ask the carrier over its bearer.
//!
//! Body (JSON): `scheme_code`, `app`, `timestamp`; signed as every Client API
//! call (see [`super::signed_scheme`]). Answer: `{"Carriers": [{"Carrier",
//! "Gateway", "AppId"}], "Camara": {"AuthorizeUrlLogin", "AuthorizeUrlVerify"}?}`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use numgate_carriers::camara::{SCOPE_SHARE, SCOPE_VERIFY};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ClientError, BAD_REQUEST};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    scheme_code: String,
    app: String,
    timestamp: i64,
}

pub async fn handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ClientError> {
    if body.len() > super::MAX_BODY {
        return Err(BAD_REQUEST);
    }
    let req: Request = serde_json::from_slice(&body).map_err(|_| BAD_REQUEST)?;
    let scheme = super::signed_scheme(
        &state,
        &headers,
        &body,
        &req.scheme_code,
        &req.app,
        req.timestamp,
    )
    .await?;
    let accounts = super::scheme_accounts(&state, &scheme).await?;
    let carriers = state.carriers.offered(&accounts);
    let mut answer = json!({ "Carriers": carriers });
    if let Some(camara) = state.carriers.camara() {
        // The state is the scheme: the redirect brings the device back with its code.
        answer["Camara"] = json!({
            "AuthorizeUrlLogin": camara.authorize_url(SCOPE_SHARE, &scheme.code),
            "AuthorizeUrlVerify": camara.authorize_url(SCOPE_VERIFY, &scheme.code),
        });
    }
    Ok(Json(answer))
}
