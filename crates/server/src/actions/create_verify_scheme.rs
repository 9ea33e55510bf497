//! `CreateVerifyScheme`: register an app (Android, iOS, HarmonyOS or H5) for phone
//! number verification; the rules are in [`crate::service::schemes`].

use serde_json::{json, Value};

use super::{payload, Caller, Payload};
use crate::error::ApiError;
use crate::params::Params;
use crate::service::schemes::{self, SchemeInput};
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let input = SchemeInput {
        scheme_name: p.opt("SchemeName"),
        app_name: p.opt("AppName"),
        os_type: p.opt("OsType"),
        pack_name: p.opt("PackName"),
        pack_sign: p.opt("PackSign"),
        bundle_id: p.opt("BundleId"),
        url: p.opt("Url"),
        origin: p.opt("Origin"),
        hm_app_identifier: p.opt("HmAppIdentifier"),
        hm_package_name: p.opt("HmPackageName"),
        hm_sign_name: p.opt("HmSignName"),
        auth_type: p.opt("AuthType"),
        scene_type: p.opt("SceneType"),
        sms_sign_name: p.opt("SmsSignName"),
        ip_white_list: p.opt("IpWhiteList"),
        email: p.opt("Email"),
        cm_api_code: p.int("CmApiCode")?,
        ct_api_code: p.int("CtApiCode")?,
        cu_api_code: p.int("CuApiCode")?,
    };
    let code = schemes::create(state, &caller.tenant, &input, &caller.actor()).await?;
    Ok(payload([
        ("Success", Value::Bool(true)),
        ("HttpStatusCode", json!(200)),
        ("GateVerifySchemeDTO", json!({ "SchemeCode": code })),
    ]))
}
