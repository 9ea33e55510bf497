//! `SendSmsVerifyCode`: create a code for a number and send it in a template.

use numgate_domain::names::bounded_text;
use numgate_domain::template::TemplateParams;
use numgate_domain::{CodeLength, CodeType, DuplicatePolicy};
use serde_json::{json, Value};

use super::{out_id_param, payload, phone_param, scheme_param, Caller, Payload};
use crate::error::{ApiError, BizCode};
use crate::params::Params;
use crate::service::codes::{self, SendCode};
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let cfg = &state.config.sms;
    let invalid = |e| ApiError::invalid(BizCode::InvalidParameters, e);
    let phone = phone_param(p)?;
    let sign_name = bounded_text("SignName", p.required("SignName")?, 64).map_err(invalid)?;
    let template_code =
        bounded_text("TemplateCode", p.required("TemplateCode")?, 64).map_err(invalid)?;
    let template_params = TemplateParams::parse(p.required("TemplateParam")?)
        .map_err(|e| ApiError::invalid(BizCode::SmsTemplateParamsIllegal, e))?;
    let length =
        CodeLength::parse(p.int("CodeLength")?.unwrap_or(cfg.code_length)).map_err(invalid)?;
    let kind = CodeType::from_api(p.int("CodeType")?.unwrap_or(1)).map_err(invalid)?;
    let valid_secs = p.int("ValidTime")?.unwrap_or(cfg.valid_time_secs);
    if !(1..=86_400).contains(&valid_secs) {
        return Err(ApiError::biz(
            BizCode::InvalidParameters,
            "ValidTime must be 1 to 86400 seconds",
        ));
    }
    let interval_secs = p.int("Interval")?.unwrap_or(cfg.interval_secs);
    if !(0..=86_400).contains(&interval_secs) {
        return Err(ApiError::biz(
            BizCode::InvalidParameters,
            "Interval must be 0 to 86400 seconds",
        ));
    }
    let policy =
        DuplicatePolicy::from_api(p.int("DuplicatePolicy")?.unwrap_or(1)).map_err(invalid)?;
    let return_code = p.bool("ReturnVerifyCode")?.unwrap_or(false);
    let out_id = out_id_param(p)?;
    // Delivery is retried unless the caller says `AutoRetry=0`.
    let auto_retry = match p.int("AutoRetry")? {
        None | Some(1) => true,
        Some(0) => false,
        Some(_) => {
            return Err(ApiError::biz(
                BizCode::InvalidParameters,
                "AutoRetry must be 0 or 1",
            ))
        }
    };
    let up_extend_code = p.opt("SmsUpExtendCode").map(str::to_owned);
    if let Some(ext) = &up_extend_code {
        if ext.len() > 20 || !ext.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::biz(
                BizCode::InvalidParameters,
                "SmsUpExtendCode must be up to 20 digits",
            ));
        }
    }
    let scheme = scheme_param(p)?;

    let sent = codes::send(
        state,
        caller.tenant.id,
        SendCode {
            scheme,
            phone,
            sign_name,
            template_code,
            template_params,
            length,
            kind,
            valid_secs,
            interval_secs,
            policy,
            out_id: out_id.clone(),
            auto_retry,
            up_extend_code,
        },
    )
    .await?;

    let mut model = json!({
        "RequestId": caller.request_id,
        "BizId": sent.biz_id,
        "OutId": out_id,
    });
    if return_code {
        model["VerifyCode"] = Value::String(sent.code.expose().to_owned());
    }
    Ok(payload([("Success", Value::Bool(true)), ("Model", model)]))
}
