//! `GetFusionAuthToken`: the token that initialises the client SDK for a
//! Fusion-Auth scheme, for the app the scheme registered, for a while.

use numgate_domain::access_token::{AccessToken, FusionAuthToken, Sealed};
use serde_json::Value;

use super::{payload, Caller, Payload};
use crate::error::{ApiError, BizCode};
use crate::params::Params;
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let code = p.required("SchemeCode")?.trim();
    let duration = p
        .int("DurationSeconds")?
        .ok_or_else(|| ApiError::missing("DurationSeconds"))?;
    if !(900..=43_200).contains(&duration) {
        return Err(ApiError::biz(
            BizCode::InvalidParameters,
            "DurationSeconds must be 900 to 43200",
        ));
    }
    let scheme = state
        .store
        .find_fusion_scheme(caller.tenant.id, code)
        .await?
        .ok_or_else(|| {
            ApiError::biz(
                BizCode::VerifySchemeNotExist,
                "the scheme does not exist in this account",
            )
        })?;
    let platform = p.required("Platform")?.trim().to_ascii_lowercase();
    let wrong_app = || {
        ApiError::biz(
            BizCode::InvalidApp,
            "the app is not the one the scheme registered",
        )
    };
    let app = match scheme.platform.as_str() {
        "Android" => {
            if platform != "android"
                || p.opt("PackageName").map(str::trim) != scheme.android_package_name.as_deref()
                || p.opt("PackageSign").map(|s| s.trim().to_ascii_lowercase())
                    != scheme
                        .android_package_sign
                        .as_deref()
                        .map(str::to_ascii_lowercase)
            {
                return Err(wrong_app());
            }
            scheme.android_package_name.clone().unwrap_or_default()
        }
        "iOS" => {
            if platform != "ios"
                || p.opt("BundleId").map(str::trim) != scheme.ios_bundle_id.as_deref()
            {
                return Err(wrong_app());
            }
            scheme.ios_bundle_id.clone().unwrap_or_default()
        }
        _ => {
            if !matches!(platform.as_str(), "web" | "h5") {
                return Err(wrong_app());
            }
            scheme.h5_origin.clone().unwrap_or_default()
        }
    };
    let token = FusionAuthToken {
        kind: FusionAuthToken::KIND.to_owned(),
        id: AccessToken::new_id(),
        tenant_id: caller.tenant.id,
        scheme: scheme.code,
        app,
        expires_at: state.clock.now_millis() + duration * 1000,
    };
    Ok(payload([
        ("Success", Value::Bool(true)),
        ("Model", Value::String(token.seal(&state.secrets))),
    ]))
}
