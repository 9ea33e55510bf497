//! `GetSmsAuthTokens`: temporary (STS) credentials with which the tenant's app
//! sends an SMS code to the device's number (see `service::sms_auth`).

use serde_json::json;

use super::{payload, Caller, Payload};
use crate::error::ApiError;
use crate::params::Params;
use crate::service::sms_auth::{self, GrantInput};
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let input = GrantInput {
        scene_code: p.required("SceneCode")?,
        os_type: p.required("OsType")?,
        package_name: p.opt("PackageName"),
        bundle_id: p.opt("BundleId"),
        sign_name: p.opt("SignName"),
        template_code: p.required("SmsTemplateCode")?,
        code_valid_secs: p.int("SmsCodeExpire")?,
        expire_secs: p.required_int("Expire")?,
    };
    let granted = sms_auth::grant(state, &caller.tenant, &caller.access_key_id, &input).await?;
    Ok(payload([(
        "Data",
        json!({
            "BizToken": granted.biz_token,
            "StsAccessKeyId": granted.sts_key_id,
            "StsAccessKeySecret": granted.sts_secret.as_str(),
            "StsToken": granted.sts_token,
            "ExpireTime": granted.expires_at,
        }),
    )]))
}
