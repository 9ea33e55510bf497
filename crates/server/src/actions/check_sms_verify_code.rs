//! `CheckSmsVerifyCode`: PASS once for a live code; UNKNOWN for anything else.

use numgate_domain::{CaseAuthPolicy, VerifyCode};
use serde_json::{json, Value};

use super::{out_id_param, payload, phone_param, scheme_param, Caller, Payload};
use crate::error::{ApiError, BizCode};
use crate::params::Params;
use crate::service::codes;
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let phone = phone_param(p)?;
    let code = VerifyCode::parse(p.required("VerifyCode")?)
        .map_err(|e| ApiError::invalid(BizCode::InvalidParameters, e))?;
    let policy = CaseAuthPolicy::from_api(p.int("CaseAuthPolicy")?.unwrap_or(1))
        .map_err(|e| ApiError::invalid(BizCode::InvalidParameters, e))?;
    let scheme = scheme_param(p)?;
    let out_id = out_id_param(p)?;
    let passed = codes::check(state, caller.tenant.id, &scheme, &phone, &code, policy).await?;
    let result = if passed { "PASS" } else { "UNKNOWN" };
    Ok(payload([
        ("Success", Value::Bool(true)),
        ("Model", json!({ "VerifyResult": result, "OutId": out_id })),
    ]))
}
