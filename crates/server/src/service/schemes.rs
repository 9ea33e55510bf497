//! Phone number verification schemes: the rules of creating one (what each
//! `OsType` must identify, the shapes of every parameter), changing its name and
//! app identity, describing one (its `AppEncryptInfo`) and deleting one; each
//! change audited (`scheme.create|update|delete`), whoever made it (the Open API,
//! the console).
//!
//! # Key material
//! Each scheme gets 64 random bytes from the OS CSPRNG, sealed with the master key
//! before the store sees them: the first 32 are the **app key**, handed to the
//! tenant in `AppEncryptInfo` for the client SDK; the last 32 are the **signing
//! key** with which numgate signs the scheme's tokens, and never leave the server
//! (so an app that knows its app key still cannot mint tokens).
//!
//! # `AppEncryptInfo`
//! Standard base64 of the JSON `{"v":1,"scheme":"FC…","key":"<app key, base64url
//! without padding>"}`: what the client SDK initialises with. Never the master key,
//! never the signing key.
//!
//! # Conflicts
//! Within a tenant: the name (`isv.VERIFY_SCHEME_CONFLICT`), the Android package
//! name + signature (`isv.PACK_SIGN_CONFLICT`), the iOS bundle id
//! (`isv.BUNDLE_ID_CONFLICT`) and the H5 URL + origin (`isv.VERIFY_SCHEME_CONFLICT`:
//! the H5 flow finds its scheme by them). Other tenants' schemes never conflict.
//! Deleted schemes are gone: they conflict with nothing.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use numgate_domain::access_token::{CarrierAccounts, TokenCarrier};
use numgate_domain::names::bounded_text;
use numgate_domain::InvalidParam;
use numgate_store::{CreateScheme, NewScheme, SchemeRecord, Tenant, UpdateScheme};
use rand::rngs::OsRng;
use rand::{Rng, RngCore};

use crate::error::{ApiError, BizCode};
use crate::service::audit::{self, Actor, Change};
use crate::state::AppState;

/// Bytes of a scheme's secret: app key, then signing key.
const SECRET_LEN: usize = 64;
const APP_KEY_LEN: usize = 32;

/// `CreateVerifyScheme`'s parameters as sent (empty values already dropped).
#[derive(Debug, Default, Clone)]
pub struct SchemeInput<'a> {
    pub scheme_name: Option<&'a str>,
    pub app_name: Option<&'a str>,
    pub os_type: Option<&'a str>,
    pub pack_name: Option<&'a str>,
    pub pack_sign: Option<&'a str>,
    pub bundle_id: Option<&'a str>,
    pub url: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub hm_app_identifier: Option<&'a str>,
    pub hm_package_name: Option<&'a str>,
    pub hm_sign_name: Option<&'a str>,
    pub auth_type: Option<&'a str>,
    pub scene_type: Option<&'a str>,
    pub sms_sign_name: Option<&'a str>,
    pub ip_white_list: Option<&'a str>,
    pub email: Option<&'a str>,
    pub cm_api_code: Option<i64>,
    pub ct_api_code: Option<i64>,
    pub cu_api_code: Option<i64>,
}

fn invalid(e: InvalidParam) -> ApiError {
    ApiError::invalid(BizCode::InvalidParameters, e)
}

fn bad(param: &'static str, reason: impl Into<String>) -> ApiError {
    invalid(InvalidParam::new(param, reason))
}

/// A value required for the `OsType`: its absence is a business refusal (the
/// parameter is optional for the gateway).
fn needed<'a>(param: &'static str, v: Option<&'a str>, os: &str) -> Result<&'a str, ApiError> {
    v.map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| bad(param, format!("is required when OsType is {os}")))
}

/// `OsType`, as stored: `Android`, `iOS`, `HarmonyOS` (also `Harmony`), `Web` (also `H5`).
pub fn os_type(s: &str) -> Result<&'static str, InvalidParam> {
    Ok(match s.trim().to_ascii_lowercase().as_str() {
        "android" => "Android",
        "ios" => "iOS",
        "harmony" | "harmonyos" => "HarmonyOS",
        "web" | "h5" => "Web",
        _ => {
            return Err(InvalidParam::new(
                "OsType",
                "must be Android, iOS, HarmonyOS or Web",
            ))
        }
    })
}

/// A package name, bundle id or HarmonyOS identifier: 1 to 128 letters, digits,
/// `-`, `_`, `.` (what Alibaba documents for PackName and BundleId).
pub fn app_id(param: &'static str, s: &str) -> Result<String, InvalidParam> {
    let s = s.trim();
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(InvalidParam::new(
            param,
            "must be 1 to 128 letters, digits, '-', '_' or '.'",
        ))
    }
}

/// `PackSign`: the MD5 of the app's signing certificate, 32 hex digits; kept in
/// lower case, so that upper- and lower-case spellings are one signature.
pub fn pack_sign(s: &str) -> Result<String, InvalidParam> {
    let s = s.trim();
    if s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(InvalidParam::new(
            "PackSign",
            "must be 32 hexadecimal digits",
        ))
    }
}

/// An http(s) URL split into its normalised origin (`scheme://host[:port]`, lower
/// case, default port dropped) and the rest (path, query), as given.
fn split_url(param: &'static str, s: &str) -> Result<(String, String), InvalidParam> {
    let fail = |why: &str| InvalidParam::new(param, why.to_owned());
    let s = s.trim();
    if s.len() > 512 || s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(fail(
            "must be an http or https URL of at most 512 characters",
        ));
    }
    let (scheme, rest) = s
        .split_once("://")
        .ok_or_else(|| fail("must be an http or https URL"))?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return Err(fail("must be an http or https URL")),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => {
            let port: u16 = p
                .parse()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| fail("has an invalid port"))?;
            (h, Some(port))
        }
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
        && !host.starts_with(['.', '-'])
        && !host.ends_with(['.', '-']);
    if !host_ok {
        return Err(fail("must name a host (letters, digits, '-', '.')"));
    }
    let host = host.to_ascii_lowercase();
    let origin = match port {
        Some(p) if p != default_port => format!("{scheme}://{host}:{p}"),
        _ => format!("{scheme}://{host}"),
    };
    Ok((origin, tail.to_owned()))
}

/// `Url` and `Origin` of an H5 scheme: the URL normalised, the origin
/// `scheme://host[:port]` and the URL's own.
pub fn url_and_origin(url: &str, origin: &str) -> Result<(String, String), InvalidParam> {
    let (url_origin, tail) = split_url("Url", url)?;
    let (origin, origin_tail) = split_url("Origin", origin)?;
    if !(origin_tail.is_empty() || origin_tail == "/") {
        return Err(InvalidParam::new(
            "Origin",
            "must be scheme://host[:port], without a path",
        ));
    }
    if origin != url_origin {
        return Err(InvalidParam::new(
            "Origin",
            "must be the origin of the Url (same scheme, host and port)",
        ));
    }
    let tail = if tail.is_empty() {
        "/".to_owned()
    } else {
        tail
    };
    Ok((format!("{url_origin}{tail}"), origin))
}

/// `AuthType`: a comma list of 1 (phone number verification) and 2 (SMS
/// verification), as the SDK documents; kept sorted, without repeats. Default `1`.
pub fn auth_type(s: Option<&str>) -> Result<String, InvalidParam> {
    let Some(s) = s else {
        return Ok("1".to_owned());
    };
    let mut kinds = Vec::new();
    for item in s.split(',') {
        match item.trim() {
            k @ ("1" | "2") => kinds.push(k),
            _ => {
                return Err(InvalidParam::new(
                    "AuthType",
                    "must be a comma-separated list of 1 (phone number verification) \
                     and 2 (SMS verification)",
                ))
            }
        }
    }
    kinds.sort_unstable();
    kinds.dedup();
    Ok(kinds.join(","))
}

/// `IpWhiteList`: a comma list of IPv4 addresses and CIDR blocks (at most 100),
/// kept without spaces.
pub fn ip_white_list(s: &str) -> Result<String, InvalidParam> {
    let fail = || {
        InvalidParam::new(
            "IpWhiteList",
            "must be a comma-separated list of at most 100 IPv4 addresses or CIDR blocks",
        )
    };
    let mut items = Vec::new();
    for item in s.split(',') {
        let item = item.trim();
        let (addr, prefix) = match item.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (item, None),
        };
        addr.parse::<std::net::Ipv4Addr>().map_err(|_| fail())?;
        if let Some(p) = prefix {
            let ok = !p.is_empty()
                && p.len() <= 2
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u8>().is_ok_and(|p| p <= 32);
            if !ok {
                return Err(fail());
            }
        }
        items.push(item);
    }
    if items.len() > 100 {
        return Err(fail());
    }
    Ok(items.join(","))
}

/// `Email`: one `@`, a local part, a domain with a dot; at most 128 characters.
pub fn email(s: &str) -> Result<String, InvalidParam> {
    let s = s.trim();
    let ok = s.len() <= 128
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !local.contains(|c: char| c.is_whitespace() || c.is_control() || c == '@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && domain
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
        });
    if ok {
        Ok(s.to_owned())
    } else {
        Err(InvalidParam::new("Email", "must be an email address"))
    }
}

/// A carrier API code (`CmApiCode`, `CuApiCode`, `CtApiCode`): one of the
/// tenant's own accounts at that carrier in `[carriers]`. An unknown code and
/// another tenant's get the same answer.
pub fn api_code(
    state: &AppState,
    tenant: &str,
    carrier: TokenCarrier,
    param: &'static str,
    v: Option<i64>,
) -> Result<Option<i64>, ApiError> {
    match v {
        Some(v) if v < 0 => Err(bad(param, "must not be negative")),
        Some(v) if !state.carriers.has_account(carrier, tenant, v) => Err(bad(
            param,
            "names no carrier account of this tenant in numgate's [carriers] configuration",
        )),
        v => Ok(v),
    }
}

/// The carrier apps a scheme's devices and exchanges use.
pub fn carrier_accounts(tenant: &str, scheme: &numgate_store::SchemeRecord) -> CarrierAccounts {
    CarrierAccounts {
        tenant: tenant.to_owned(),
        cm: scheme.cm_api_code,
        cu: scheme.cu_api_code,
        ct: scheme.ct_api_code,
    }
}

/// [`carrier_accounts`] when only the scheme is known (the Client API).
pub async fn carrier_accounts_of(
    state: &AppState,
    scheme: &numgate_store::SchemeRecord,
) -> Result<CarrierAccounts, ApiError> {
    let tenant = state
        .tenants
        .get(state.store.as_ref(), scheme.tenant_id)
        .await?;
    Ok(carrier_accounts(&tenant.name, scheme))
}

/// A scheme code in Alibaba's shape: `FC` and 15 digits.
fn new_scheme_code() -> String {
    format!("FC{:015}", OsRng.gen_range(0..1_000_000_000_000_000u64))
}

/// Sets the app identity of a scheme of `os` from the input. Only the identity of
/// the OsType is kept: another platform's fields are ignored (and cleared), so
/// that they can neither conflict nor be mistaken for this app's.
fn set_identity(r: &mut SchemeRecord, os: &str, input: &SchemeInput<'_>) -> Result<(), ApiError> {
    r.pack_name = None;
    r.pack_sign = None;
    r.bundle_id = None;
    r.url = None;
    r.origin = None;
    r.hm_app_identifier = None;
    r.hm_package_name = None;
    r.hm_sign_name = None;
    match os {
        "Android" => {
            r.pack_name = Some(
                app_id("PackName", needed("PackName", input.pack_name, os)?).map_err(invalid)?,
            );
            r.pack_sign =
                Some(pack_sign(needed("PackSign", input.pack_sign, os)?).map_err(invalid)?);
        }
        "iOS" => {
            r.bundle_id = Some(
                app_id("BundleId", needed("BundleId", input.bundle_id, os)?).map_err(invalid)?,
            );
        }
        "HarmonyOS" => {
            let id = needed("HmAppIdentifier", input.hm_app_identifier, os)?;
            let pkg = needed("HmPackageName", input.hm_package_name, os)?;
            let sign = needed("HmSignName", input.hm_sign_name, os)?;
            r.hm_app_identifier = Some(app_id("HmAppIdentifier", id).map_err(invalid)?);
            r.hm_package_name = Some(app_id("HmPackageName", pkg).map_err(invalid)?);
            if sign.len() > 256 || sign.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(bad(
                    "HmSignName",
                    "must be at most 256 characters without spaces",
                ));
            }
            r.hm_sign_name = Some(sign.to_owned());
        }
        _ => {
            let url = needed("Url", input.url, os)?;
            let origin = needed("Origin", input.origin, os)?;
            let (url, origin) = url_and_origin(url, origin).map_err(invalid)?;
            r.url = Some(url);
            r.origin = Some(origin);
        }
    }
    Ok(())
}

/// `SchemeName` and `AppName`: required, trimmed, at most 20 and 64 characters.
fn names(input: &SchemeInput<'_>) -> Result<(String, String), ApiError> {
    let name = input
        .scheme_name
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing("SchemeName"))?;
    let name = bounded_text("SchemeName", name, 20).map_err(invalid)?;
    let app_name = input
        .app_name
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing("AppName"))?;
    let app_name = bounded_text("AppName", app_name, 64).map_err(invalid)?;
    Ok((name, app_name))
}

/// What the audit log keeps of a scheme: its settings and app identity, never
/// its key material.
pub fn audit_view(r: &SchemeRecord) -> String {
    serde_json::json!({
        "SchemeName": r.name,
        "AppName": r.app_name,
        "OsType": r.os_type,
        "PackName": r.pack_name,
        "PackSign": r.pack_sign,
        "BundleId": r.bundle_id,
        "Url": r.url,
        "Origin": r.origin,
        "HmAppIdentifier": r.hm_app_identifier,
        "HmPackageName": r.hm_package_name,
        "HmSignName": r.hm_sign_name,
        "AuthType": r.auth_type,
        "SceneType": r.scene_type,
        "SmsSignName": r.sms_sign_name,
        "IpWhiteList": r.ip_white_list,
        "Email": r.email,
        "CmApiCode": r.cm_api_code,
        "CtApiCode": r.ct_api_code,
        "CuApiCode": r.cu_api_code,
    })
    .to_string()
}

/// Validates the input, creates the scheme and audits it (`scheme.create`); its code.
pub async fn create(
    state: &AppState,
    tenant: &Tenant,
    input: &SchemeInput<'_>,
    actor: &Actor,
) -> Result<String, ApiError> {
    let tenant_id = tenant.id;
    let (name, app_name) = names(input)?;
    let os = os_type(input.os_type.ok_or_else(|| ApiError::missing("OsType"))?).map_err(invalid)?;

    let mut new = NewScheme {
        code: String::new(),
        tenant_id,
        name,
        app_name,
        os_type: os.to_owned(),
        pack_name: None,
        pack_sign: None,
        bundle_id: None,
        url: None,
        origin: None,
        hm_app_identifier: None,
        hm_package_name: None,
        hm_sign_name: None,
        auth_type: auth_type(input.auth_type).map_err(invalid)?,
        scene_type: input
            .scene_type
            .map(|s| bounded_text("SceneType", s.trim(), 64))
            .transpose()
            .map_err(invalid)?,
        sms_sign_name: None,
        ip_white_list: input
            .ip_white_list
            .map(ip_white_list)
            .transpose()
            .map_err(invalid)?,
        email: input.email.map(email).transpose().map_err(invalid)?,
        cm_api_code: api_code(
            state,
            &tenant.name,
            TokenCarrier::Cm,
            "CmApiCode",
            input.cm_api_code,
        )?,
        ct_api_code: api_code(
            state,
            &tenant.name,
            TokenCarrier::Ct,
            "CtApiCode",
            input.ct_api_code,
        )?,
        cu_api_code: api_code(
            state,
            &tenant.name,
            TokenCarrier::Cu,
            "CuApiCode",
            input.cu_api_code,
        )?,
        sealed_secret: Vec::new(),
        created_at: state.clock.now_millis(),
    };
    set_identity(&mut new, os, input)?;
    if let Some(sign) = input.sms_sign_name {
        let sign = bounded_text("SmsSignName", sign.trim(), 64).map_err(invalid)?;
        state
            .store
            .find_signature(tenant_id, &sign)
            .await?
            .filter(|s| s.approved)
            .ok_or_else(|| {
                ApiError::biz(
                    BizCode::SmsSignatureIllegal,
                    "the SmsSignName is not an approved signature of this account",
                )
            })?;
        new.sms_sign_name = Some(sign);
    }

    let mut secret = zeroize::Zeroizing::new([0u8; SECRET_LEN]);
    OsRng.fill_bytes(secret.as_mut());
    new.sealed_secret = state.secrets.seal(secret.as_ref());

    // 10^15 codes: a collision is rare; draw again a few times.
    for _ in 0..8 {
        new.code = new_scheme_code();
        let conflict = match state.store.create_scheme(new.clone()).await? {
            CreateScheme::Created(r) => {
                audit::record(
                    state.store.as_ref(),
                    Change {
                        tenant_id,
                        actor,
                        action: "scheme.create",
                        target: format!("scheme {}", r.code),
                        before: None,
                        after: Some(audit_view(&r)),
                    },
                    state.clock.now_millis(),
                )
                .await?;
                return Ok(r.code);
            }
            CreateScheme::CodeTaken => continue,
            CreateScheme::NameTaken => (
                BizCode::VerifySchemeConflict,
                "a scheme of this SchemeName exists",
            ),
            CreateScheme::PackSignTaken => (
                BizCode::PackSignConflict,
                "a scheme for this PackName and PackSign exists",
            ),
            CreateScheme::BundleIdTaken => (
                BizCode::BundleIdConflict,
                "a scheme for this BundleId exists",
            ),
            CreateScheme::UrlTaken => (
                BizCode::VerifySchemeConflict,
                "a scheme for this Url and Origin exists",
            ),
        };
        return Err(ApiError::biz(conflict.0, conflict.1));
    }
    Err(ApiError::Internal(anyhow::anyhow!(
        "no free scheme code after 8 draws"
    )))
}

fn not_exist() -> ApiError {
    ApiError::biz(
        BizCode::VerifySchemeNotExist,
        "the scheme does not exist in this account",
    )
}

/// The scheme's `AppEncryptInfo` (see the module's documentation).
pub async fn app_encrypt_info(
    state: &AppState,
    tenant_id: i64,
    code: &str,
) -> Result<String, ApiError> {
    let scheme = state
        .store
        .find_scheme(tenant_id, code)
        .await?
        .ok_or_else(not_exist)?;
    let secret = state
        .secrets
        .open(&scheme.sealed_secret)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("scheme secret: {e}")))?;
    if secret.len() != SECRET_LEN {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "scheme secret of {} bytes",
            secret.len()
        )));
    }
    let info = serde_json::json!({
        "v": 1,
        "scheme": scheme.code,
        "key": URL_SAFE_NO_PAD.encode(&secret[..APP_KEY_LEN]),
    });
    Ok(STANDARD.encode(info.to_string()))
}

/// The scheme's app key (the first half of its sealed secret): what the client
/// SDK signs Client API calls with.
pub fn app_key(
    state: &AppState,
    scheme: &numgate_store::SchemeRecord,
) -> Result<Vec<u8>, ApiError> {
    let secret = state
        .secrets
        .open(&scheme.sealed_secret)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("scheme secret: {e}")))?;
    if secret.len() != SECRET_LEN {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "scheme secret of {} bytes",
            secret.len()
        )));
    }
    Ok(secret[..APP_KEY_LEN].to_vec())
}

/// The app identity a scheme registered: package name, bundle id, origin.
pub fn app_identity(scheme: &numgate_store::SchemeRecord) -> Option<&str> {
    match scheme.os_type.as_str() {
        "Android" => scheme.pack_name.as_deref(),
        "iOS" => scheme.bundle_id.as_deref(),
        "Web" => scheme.origin.as_deref(),
        "HarmonyOS" => scheme.hm_package_name.as_deref(),
        _ => None,
    }
}

/// Changes the name, app name and app identity of the tenant's scheme (the
/// identity its OsType needs, with `CreateVerifyScheme`'s rules; the OsType, key
/// material and settings stay) and audits it (`scheme.update`); the scheme as now
/// stored. `isv.VERIFY_SCHEME_NOT_EXIST` if the tenant has none of that code; an
/// `OsType` other than the scheme's is refused.
pub async fn update(
    state: &AppState,
    tenant_id: i64,
    code: &str,
    input: &SchemeInput<'_>,
    actor: &Actor,
) -> Result<SchemeRecord, ApiError> {
    let before = state
        .store
        .find_scheme(tenant_id, code)
        .await?
        .ok_or_else(not_exist)?;
    let (name, app_name) = names(input)?;
    if let Some(os) = input.os_type {
        if os_type(os).map_err(invalid)? != before.os_type {
            return Err(bad("OsType", "cannot be changed: create another scheme"));
        }
    }
    let mut changed = before.clone();
    changed.name = name;
    changed.app_name = app_name;
    let os = before.os_type.clone();
    set_identity(&mut changed, &os, input)?;
    let conflict = match state.store.update_scheme(changed).await? {
        UpdateScheme::Updated(after) => {
            audit::record(
                state.store.as_ref(),
                Change {
                    tenant_id,
                    actor,
                    action: "scheme.update",
                    target: format!("scheme {}", after.code),
                    before: Some(audit_view(&before)),
                    after: Some(audit_view(&after)),
                },
                state.clock.now_millis(),
            )
            .await?;
            return Ok(*after);
        }
        UpdateScheme::NotFound => return Err(not_exist()),
        UpdateScheme::NameTaken => (
            BizCode::VerifySchemeConflict,
            "a scheme of this SchemeName exists",
        ),
        UpdateScheme::PackSignTaken => (
            BizCode::PackSignConflict,
            "a scheme for this PackName and PackSign exists",
        ),
        UpdateScheme::BundleIdTaken => (
            BizCode::BundleIdConflict,
            "a scheme for this BundleId exists",
        ),
        UpdateScheme::UrlTaken => (
            BizCode::VerifySchemeConflict,
            "a scheme for this Url and Origin exists",
        ),
    };
    Err(ApiError::biz(conflict.0, conflict.1))
}

/// Deletes the scheme and audits it (`scheme.delete`);
/// `isv.VERIFY_SCHEME_NOT_EXIST` if the tenant has none of that code.
pub async fn delete(
    state: &AppState,
    tenant_id: i64,
    code: &str,
    actor: &Actor,
) -> Result<(), ApiError> {
    let before = state.store.find_scheme(tenant_id, code).await?;
    if !state.store.delete_scheme(tenant_id, code).await? {
        return Err(not_exist());
    }
    audit::record(
        state.store.as_ref(),
        Change {
            tenant_id,
            actor,
            action: "scheme.delete",
            target: format!("scheme {code}"),
            before: before.as_ref().map(audit_view),
            after: None,
        },
        state.clock.now_millis(),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_types_accept_the_documented_spellings() {
        assert_eq!(os_type("android").unwrap(), "Android");
        assert_eq!(os_type("iOS").unwrap(), "iOS");
        assert_eq!(os_type("Harmony").unwrap(), "HarmonyOS");
        assert_eq!(os_type("HarmonyOS").unwrap(), "HarmonyOS");
        assert_eq!(os_type("H5").unwrap(), "Web");
        assert!(os_type("Windows").is_err());
    }

    #[test]
    fn pack_signs_are_32_hex_digits_in_lower_case() {
        assert_eq!(pack_sign(&"AB".repeat(16)).unwrap(), "ab".repeat(16));
        assert!(pack_sign(&"g".repeat(32)).is_err());
        assert!(pack_sign(&"a".repeat(31)).is_err());
    }

    #[test]
    fn urls_and_origins_must_agree() {
        let (url, origin) =
            url_and_origin("HTTPS://Example.com:443/login?x=1", "https://example.com").unwrap();
        assert_eq!(url, "https://example.com/login?x=1");
        assert_eq!(origin, "https://example.com");
        assert_eq!(
            url_and_origin("http://a.example:8080", "http://a.example:8080/").unwrap(),
            (
                "http://a.example:8080/".into(),
                "http://a.example:8080".into()
            )
        );
        assert!(url_and_origin("https://a.example/", "https://b.example").is_err());
        assert!(url_and_origin("https://a.example/", "http://a.example").is_err());
        assert!(url_and_origin("https://a.example/", "https://a.example/x").is_err());
        assert!(url_and_origin("ftp://a.example/", "ftp://a.example").is_err());
        assert!(url_and_origin("https://u@a.example/", "https://a.example").is_err());
        assert!(url_and_origin("https://a.example:0/", "https://a.example").is_err());
        assert!(url_and_origin("not a url", "https://a.example").is_err());
    }

    #[test]
    fn auth_types_are_a_list_of_one_and_two() {
        assert_eq!(auth_type(None).unwrap(), "1");
        assert_eq!(auth_type(Some("2, 1,2")).unwrap(), "1,2");
        assert!(auth_type(Some("1,5")).is_err());
        assert!(auth_type(Some("1,")).is_err());
    }

    #[test]
    fn ip_white_lists_are_ipv4_and_cidr() {
        assert_eq!(
            ip_white_list("10.0.0.1, 192.168.0.0/16").unwrap(),
            "10.0.0.1,192.168.0.0/16"
        );
        for bad in ["10.0.0.256", "10.0.0.0/33", "10.0.0.0/", "::1", "a", ""] {
            assert!(ip_white_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_have_a_local_part_and_a_domain() {
        assert!(email("ops@acme.example").is_ok());
        for bad in [
            "ops",
            "@acme.example",
            "ops@acme",
            "o ps@acme.example",
            "a@b@c.d",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scheme_codes_have_alibabas_shape() {
        let code = new_scheme_code();
        assert_eq!(code.len(), 17);
        assert!(code.starts_with("FC"));
        assert!(code[2..].bytes().all(|b| b.is_ascii_digit()));
    }
}
