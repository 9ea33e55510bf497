//! `VerifySmsCode`: `Data: true` once for a live code sent with the temporary
//! credentials of `GetSmsAuthTokens`; `false` for a wrong, expired, used or
//! unknown one, all alike. `SmsToken` is the grant's BizToken.

use numgate_domain::{InvalidParam, VerifyCode};
use serde_json::Value;

use super::{payload, phone_param, Caller, Payload};
use crate::error::{ApiError, BizCode};
use crate::params::Params;
use crate::service::sms_auth;
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let invalid = |e| ApiError::invalid(BizCode::InvalidParameters, e);
    let phone = phone_param(p)?;
    let code = VerifyCode::parse(p.required("SmsCode")?)
        .map_err(|e| invalid(InvalidParam::new("SmsCode", e.reason)))?;
    let biz_token = sms_auth::biz_token(p.required("SmsToken")?).map_err(invalid)?;
    let passed = sms_auth::verify(state, caller.tenant.id, &phone, &code, &biz_token).await?;
    Ok(payload([("Data", Value::Bool(passed))]))
}
