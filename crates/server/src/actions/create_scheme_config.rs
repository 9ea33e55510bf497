//! `CreateSchemeConfig`: register an app (Android, iOS or Web) for Fusion-Auth;
//! the rules are in [`crate::service::fusion_schemes`].

use serde_json::{json, Value};

use super::{payload, Caller, Payload};
use crate::error::ApiError;
use crate::params::Params;
use crate::service::fusion_schemes::{self, FusionSchemeInput};
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let input = FusionSchemeInput {
        scheme_name: p.opt("SchemeName"),
        app_name: p.opt("AppName"),
        platform: p.opt("Platform"),
        android_package_name: p.opt("AndroidPackageName"),
        android_package_sign: p.opt("AndroidPackageSign"),
        ios_bundle_id: p.opt("IosBundleId"),
        h5_url: p.opt("H5Url"),
        h5_origin: p.opt("H5Origin"),
    };
    let s = fusion_schemes::create(state, caller.tenant.id, &input, &caller.actor()).await?;
    Ok(payload([
        ("Success", Value::Bool(true)),
        ("Model", json!({ "SchemeCode": s.code })),
    ]))
}
