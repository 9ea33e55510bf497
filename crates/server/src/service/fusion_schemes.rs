//! Fusion-Auth schemes (`CreateSchemeConfig`): the rules of creating one (what each
//! `Platform` must identify; the identity rules are those of phone number
//! verification schemes, [`super::schemes`]), changing its name and app identity,
//! and deleting one (with its per-scheme policies); each change audited
//! (`fusion_scheme.create|update|delete`).

use numgate_domain::names::bounded_text;
use numgate_store::{CreateFusionScheme, FusionSchemeRecord, NewFusionScheme, UpdateScheme};
use rand::rngs::OsRng;
use rand::Rng;

use super::audit::{self, Actor, Change};
use super::schemes;
use crate::error::{ApiError, BizCode};
use crate::state::AppState;

/// `CreateSchemeConfig`'s parameters as sent (empty values already dropped).
#[derive(Debug, Default, Clone)]
pub struct FusionSchemeInput<'a> {
    pub scheme_name: Option<&'a str>,
    pub app_name: Option<&'a str>,
    pub platform: Option<&'a str>,
    pub android_package_name: Option<&'a str>,
    pub android_package_sign: Option<&'a str>,
    pub ios_bundle_id: Option<&'a str>,
    pub h5_url: Option<&'a str>,
    pub h5_origin: Option<&'a str>,
}

fn invalid(e: numgate_domain::InvalidParam) -> ApiError {
    ApiError::invalid(BizCode::InvalidParameters, e)
}

fn required<'a>(name: &'static str, v: Option<&'a str>) -> Result<&'a str, ApiError> {
    v.filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::missing(name))
}

/// `Platform`, as stored: `Android`, `iOS` or `Web` (also `H5`).
pub fn platform(s: &str) -> Result<&'static str, ApiError> {
    match s.trim() {
        "Android" | "android" => Ok("Android"),
        "iOS" | "ios" | "IOS" => Ok("iOS"),
        "Web" | "web" | "H5" | "h5" => Ok("Web"),
        _ => Err(ApiError::biz(
            BizCode::InvalidParameters,
            "Platform must be Android, iOS or Web",
        )),
    }
}

/// Sets name, app name and the platform's identity (the others cleared).
fn apply(
    r: &mut FusionSchemeRecord,
    platform: &str,
    input: &FusionSchemeInput<'_>,
) -> Result<(), ApiError> {
    r.name = bounded_text(
        "SchemeName",
        required("SchemeName", input.scheme_name)?.trim(),
        20,
    )
    .map_err(invalid)?;
    r.app_name = bounded_text("AppName", required("AppName", input.app_name)?.trim(), 64)
        .map_err(invalid)?;
    r.android_package_name = None;
    r.android_package_sign = None;
    r.ios_bundle_id = None;
    r.h5_url = None;
    r.h5_origin = None;
    match platform {
        "Android" => {
            r.android_package_name = Some(
                schemes::app_id(
                    "AndroidPackageName",
                    required("AndroidPackageName", input.android_package_name)?,
                )
                .map_err(invalid)?,
            );
            r.android_package_sign = Some(
                schemes::pack_sign(required("AndroidPackageSign", input.android_package_sign)?)
                    .map_err(invalid)?,
            );
        }
        "iOS" => {
            r.ios_bundle_id = Some(
                schemes::app_id("IosBundleId", required("IosBundleId", input.ios_bundle_id)?)
                    .map_err(invalid)?,
            );
        }
        _ => {
            let (url, origin) = schemes::url_and_origin(
                required("H5Url", input.h5_url)?,
                required("H5Origin", input.h5_origin)?,
            )
            .map_err(invalid)?;
            r.h5_url = Some(url);
            r.h5_origin = Some(origin);
        }
    }
    Ok(())
}

/// What the audit log keeps of a Fusion-Auth scheme.
pub fn audit_view(r: &FusionSchemeRecord) -> String {
    serde_json::json!({
        "SchemeName": r.name,
        "AppName": r.app_name,
        "Platform": r.platform,
        "AndroidPackageName": r.android_package_name,
        "AndroidPackageSign": r.android_package_sign,
        "IosBundleId": r.ios_bundle_id,
        "H5Url": r.h5_url,
        "H5Origin": r.h5_origin,
    })
    .to_string()
}

fn conflict(what: &str, code: BizCode) -> ApiError {
    ApiError::biz(
        code,
        format!("the account has a Fusion-Auth scheme with this {what}"),
    )
}

fn not_exist() -> ApiError {
    ApiError::biz(
        BizCode::VerifySchemeNotExist,
        "the Fusion-Auth scheme does not exist in this account",
    )
}

/// Validates the input, creates the scheme and audits it (`fusion_scheme.create`).
pub async fn create(
    state: &AppState,
    tenant_id: i64,
    input: &FusionSchemeInput<'_>,
    actor: &Actor,
) -> Result<FusionSchemeRecord, ApiError> {
    // Names first, then the platform, then its identity: the Open API's order of checks.
    bounded_text(
        "SchemeName",
        required("SchemeName", input.scheme_name)?.trim(),
        20,
    )
    .map_err(invalid)?;
    bounded_text("AppName", required("AppName", input.app_name)?.trim(), 64).map_err(invalid)?;
    let platform = platform(required("Platform", input.platform)?)?;
    let mut new = NewFusionScheme {
        code: String::new(),
        tenant_id,
        name: String::new(),
        app_name: String::new(),
        platform: platform.to_owned(),
        android_package_name: None,
        android_package_sign: None,
        ios_bundle_id: None,
        h5_url: None,
        h5_origin: None,
        created_at: state.clock.now_millis(),
    };
    apply(&mut new, platform, input)?;
    for _ in 0..5 {
        new.code = format!("FA{:015}", OsRng.gen_range(0..1_000_000_000_000_000u64));
        match state.store.create_fusion_scheme(new.clone()).await? {
            CreateFusionScheme::Created(s) => {
                audit::record(
                    state.store.as_ref(),
                    Change {
                        tenant_id,
                        actor,
                        action: "fusion_scheme.create",
                        target: format!("scheme {}", s.code),
                        before: None,
                        after: Some(audit_view(&s)),
                    },
                    state.clock.now_millis(),
                )
                .await?;
                return Ok(*s);
            }
            CreateFusionScheme::CodeTaken => continue,
            CreateFusionScheme::NameTaken => {
                return Err(conflict("name", BizCode::VerifySchemeConflict))
            }
            CreateFusionScheme::PackSignTaken => {
                return Err(conflict(
                    "package name and signature",
                    BizCode::PackSignConflict,
                ))
            }
            CreateFusionScheme::BundleIdTaken => {
                return Err(conflict("bundle id", BizCode::BundleIdConflict))
            }
            CreateFusionScheme::UrlTaken => {
                return Err(conflict("H5 URL and origin", BizCode::VerifySchemeConflict))
            }
        }
    }
    Err(ApiError::Internal(anyhow::anyhow!(
        "no free scheme code in five draws"
    )))
}

/// Changes the name, app name and app identity of the tenant's Fusion-Auth scheme
/// (the platform stays; a `Platform` other than the scheme's is refused) and
/// audits it (`fusion_scheme.update`).
pub async fn update(
    state: &AppState,
    tenant_id: i64,
    code: &str,
    input: &FusionSchemeInput<'_>,
    actor: &Actor,
) -> Result<FusionSchemeRecord, ApiError> {
    let before = state
        .store
        .find_fusion_scheme(tenant_id, code)
        .await?
        .ok_or_else(not_exist)?;
    if let Some(p) = input.platform.filter(|p| !p.trim().is_empty()) {
        if platform(p)? != before.platform {
            return Err(ApiError::biz(
                BizCode::InvalidParameters,
                "Platform cannot be changed: create another scheme",
            ));
        }
    }
    let mut changed = before.clone();
    let platform = before.platform.clone();
    apply(&mut changed, &platform, input)?;
    match state.store.update_fusion_scheme(changed).await? {
        UpdateScheme::Updated(after) => {
            audit::record(
                state.store.as_ref(),
                Change {
                    tenant_id,
                    actor,
                    action: "fusion_scheme.update",
                    target: format!("scheme {}", after.code),
                    before: Some(audit_view(&before)),
                    after: Some(audit_view(&after)),
                },
                state.clock.now_millis(),
            )
            .await?;
            Ok(*after)
        }
        UpdateScheme::NotFound => Err(not_exist()),
        UpdateScheme::NameTaken => Err(conflict("name", BizCode::VerifySchemeConflict)),
        UpdateScheme::PackSignTaken => Err(conflict(
            "package name and signature",
            BizCode::PackSignConflict,
        )),
        UpdateScheme::BundleIdTaken => Err(conflict("bundle id", BizCode::BundleIdConflict)),
        UpdateScheme::UrlTaken => Err(conflict("H5 URL and origin", BizCode::VerifySchemeConflict)),
    }
}

/// Deletes the tenant's Fusion-Auth scheme with its per-scheme policies and audits
/// it (`fusion_scheme.delete`).
pub async fn delete(
    state: &AppState,
    tenant_id: i64,
    code: &str,
    actor: &Actor,
) -> Result<(), ApiError> {
    let before = state.store.find_fusion_scheme(tenant_id, code).await?;
    if !state.store.delete_fusion_scheme(tenant_id, code).await? {
        return Err(not_exist());
    }
    audit::record(
        state.store.as_ref(),
        Change {
            tenant_id,
            actor,
            action: "fusion_scheme.delete",
            target: format!("scheme {code}"),
            before: before.as_ref().map(audit_view),
            after: None,
        },
        state.clock.now_millis(),
    )
    .await?;
    Ok(())
}
