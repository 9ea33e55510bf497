//! `VerifyWithFusionAuthToken`: the result of a finished Fusion-Auth scene, once.
//! The tenant's backend compares `PhoneNumber` with the number it expects (the
//! account's, in scene 100005).

use numgate_domain::access_token::FusionVerifyToken;
use serde_json::{json, Value};

use super::{payload, Caller, Payload};
use crate::error::{ApiError, BizCode};
use crate::params::Params;
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let invalid = || {
        ApiError::biz(
            BizCode::TokenInvalid,
            "the token is invalid, expired or used",
        )
    };
    let token = p.required("VerifyToken")?;
    let now = state.clock.now_millis();
    let token =
        FusionVerifyToken::open_verify(token, &state.secrets, now).map_err(|_| invalid())?;
    if token.tenant_id != caller.tenant.id {
        return Err(invalid());
    }
    if !state
        .store
        .consume_token(&token.id, token.expires_at)
        .await?
    {
        return Err(invalid());
    }
    Ok(payload([
        ("Success", Value::Bool(true)),
        (
            "Model",
            json!({
                "PhoneNumber": token.number,
                "VerifyResult": token.result,
                "PhoneScore": token.score,
            }),
        ),
    ]))
}
