//! `CreateSchemeConfig`: register an app (Android, iOS or Web) for Fusion-Auth.
//! The identity rules are those of phone number verification schemes
//! ([`crate::service::schemes`]); the schemes themselves are apart.

use numgate_domain::names::bounded_text;
use numgate_store::{AuditEntry, CreateFusionScheme, NewFusionScheme};
use rand::rngs::OsRng;
use rand::Rng;
use serde_json::{json, Value};

use super::{payload, Caller, Payload};
use crate::error::{ApiError, BizCode};
use crate::params::Params;
use crate::service::schemes;
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let invalid = |e| ApiError::invalid(BizCode::InvalidParameters, e);
    let name = bounded_text("SchemeName", p.required("SchemeName")?.trim(), 20).map_err(invalid)?;
    let app_name = bounded_text("AppName", p.required("AppName")?.trim(), 64).map_err(invalid)?;
    let platform = match p.required("Platform")?.trim() {
        "Android" | "android" => "Android",
        "iOS" | "ios" | "IOS" => "iOS",
        "Web" | "web" | "H5" | "h5" => "Web",
        _ => {
            return Err(ApiError::biz(
                BizCode::InvalidParameters,
                "Platform must be Android, iOS or Web",
            ))
        }
    };
    let mut new = NewFusionScheme {
        code: String::new(),
        tenant_id: caller.tenant.id,
        name,
        app_name,
        platform: platform.to_owned(),
        android_package_name: None,
        android_package_sign: None,
        ios_bundle_id: None,
        h5_url: None,
        h5_origin: None,
        created_at: state.clock.now_millis(),
    };
    match platform {
        "Android" => {
            new.android_package_name = Some(
                schemes::app_id("AndroidPackageName", p.required("AndroidPackageName")?)
                    .map_err(invalid)?,
            );
            new.android_package_sign =
                Some(schemes::pack_sign(p.required("AndroidPackageSign")?).map_err(invalid)?);
        }
        "iOS" => {
            new.ios_bundle_id =
                Some(schemes::app_id("IosBundleId", p.required("IosBundleId")?).map_err(invalid)?);
        }
        _ => {
            let (url, origin) =
                schemes::url_and_origin(p.required("H5Url")?, p.required("H5Origin")?)
                    .map_err(invalid)?;
            new.h5_url = Some(url);
            new.h5_origin = Some(origin);
        }
    }
    for _ in 0..5 {
        new.code = format!("FA{:015}", OsRng.gen_range(0..1_000_000_000_000_000u64));
        let conflict = |code, what: &str| {
            Err(ApiError::biz(
                code,
                format!("the account has a Fusion-Auth scheme with this {what}"),
            ))
        };
        match state.store.create_fusion_scheme(new.clone()).await? {
            CreateFusionScheme::Created(s) => {
                state
                    .store
                    .append_audit(AuditEntry {
                        tenant_id: caller.tenant.id,
                        actor: crate::service::audit::Actor::AccessKey(
                            caller.access_key_id.clone(),
                        )
                        .tag(),
                        action: "fusion_scheme.create".into(),
                        target: format!("scheme {}", s.code),
                        before: None,
                        after: Some(
                            json!({"SchemeName": s.name, "Platform": s.platform}).to_string(),
                        ),
                        at: state.clock.now_millis(),
                    })
                    .await?;
                return Ok(payload([
                    ("Success", Value::Bool(true)),
                    ("Model", json!({ "SchemeCode": s.code })),
                ]));
            }
            CreateFusionScheme::CodeTaken => continue,
            CreateFusionScheme::NameTaken => {
                return conflict(BizCode::VerifySchemeConflict, "name")
            }
            CreateFusionScheme::PackSignTaken => {
                return conflict(BizCode::PackSignConflict, "package name and signature")
            }
            CreateFusionScheme::BundleIdTaken => {
                return conflict(BizCode::BundleIdConflict, "bundle id")
            }
            CreateFusionScheme::UrlTaken => {
                return conflict(BizCode::VerifySchemeConflict, "H5 URL and origin")
            }
        }
    }
    Err(ApiError::Internal(anyhow::anyhow!(
        "no free scheme code in five draws"
    )))
}
