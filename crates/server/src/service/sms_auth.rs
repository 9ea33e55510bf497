//! SMS codes sent from the tenant's app with temporary (STS) credentials: the
//! grant (`GetSmsAuthTokens`), what a send with them may do, and the check
//! (`VerifySmsCode`).
//!
//! # The flow
//! 1. The tenant's backend, with its own AccessKey, asks for a [`grant`] for
//!    one of its verification schemes (`SceneCode`, an app registered with
//!    `CreateVerifyScheme` for SMS verification, `AuthType` 2), a signature and
//!    a template. It gets a BizToken, an `STS.` AccessKey id, that key's secret,
//!    the StsToken (a sealed [`SmsAuthGrant`]) and the expiry (Unix ms).
//! 2. It hands all of them to its app, whose SDK signs with the temporary key and
//!    sends the StsToken as its security token (`x-acs-security-token`, or V1's
//!    `SecurityToken`). The gateway accepts such a call only for
//!    `SendSmsVerifyCode`, and [`constrain_send`] holds it to the grant.
//! 3. The user types the code into the app; the backend checks it with
//!    `VerifySmsCode(PhoneNumber, SmsCode, SmsToken = the BizToken)`: [`verify`].
//!
//! # Choices
//! - The temporary secret is derived from the key id and the master key
//!   (`SecretBox::sts_secret`): nothing is stored, every node agrees, and a
//!   grant ends with its expiry or with the AccessKey that asked for it.
//! - The BizToken is the code scheme of the grant's sends (a valid `SchemeName`,
//!   20 letters and digits): its codes are checked only with it, and never
//!   replace codes of the tenant's own schemes. The tenant's own AccessKey may
//!   name it as a `SchemeName` too; nobody else's can.
//! - `SmsToken` is the BizToken, not the StsToken: the backend has it already,
//!   it stays valid for the codes' whole life (a code may outlive the grant), and
//!   Alibaba's documentation describes it as the token with which the app's SDK
//!   sent the code, which the BizToken is.
//! - The app chooses the number (the API has no way to know the device's own),
//!   so the usual per-number interval, caps and country allowlist apply; the
//!   send may not weaken the code (shorter, kept alongside older ones, returned to
//!   the caller) nor change the signature, template, scheme or validity.

use std::collections::BTreeMap;

use numgate_domain::access_token::{Sealed, SmsAuthGrant};
use numgate_domain::clock::Millis;
use numgate_domain::names::{bounded_text, SchemeName};
use numgate_domain::{CaseAuthPolicy, InvalidParam, PhoneNumber, VerifyCode};
use numgate_store::Tenant;
use rand::distributions::{Alphanumeric, DistString};
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use crate::config::SmsConfig;
use crate::error::{ApiError, BizCode};
use crate::params::Params;
use crate::service::{codes, schemes};
use crate::state::AppState;

/// How temporary AccessKey ids begin (Alibaba's STS ids do too); permanent
/// keys are `LTAI…`, so the two never meet.
pub const STS_KEY_PREFIX: &str = "STS.";

/// The actions a grant allows: sending a code, nothing else.
pub const GRANTED_ACTION: &str = "SendSmsVerifyCode";

/// `Expire`: the grant's lifetime, as Alibaba documents it.
const EXPIRE_SECS: std::ops::RangeInclusive<i64> = 900..=43_200;
/// `SmsCodeExpire`: each code's validity; Alibaba's default is 180 seconds.
const CODE_VALID_SECS: std::ops::RangeInclusive<i64> = 60..=3_600;
const DEFAULT_CODE_VALID_SECS: i64 = 180;
/// Characters of a BizToken: a `SchemeName` holds at most 20.
const BIZ_TOKEN_LEN: usize = 20;

/// `GetSmsAuthTokens`'s parameters; the gateway-level required ones are there.
#[derive(Debug, Clone)]
pub struct GrantInput<'a> {
    pub scene_code: &'a str,
    pub os_type: &'a str,
    pub package_name: Option<&'a str>,
    pub bundle_id: Option<&'a str>,
    /// Defaults to the scheme's `SmsSignName`.
    pub sign_name: Option<&'a str>,
    pub template_code: &'a str,
    pub code_valid_secs: Option<i64>,
    pub expire_secs: i64,
}

/// What `GetSmsAuthTokens` answers. `Debug` is not derived: it holds a secret.
pub struct Granted {
    pub biz_token: String,
    pub sts_key_id: String,
    pub sts_secret: Zeroizing<String>,
    pub sts_token: String,
    /// Unix milliseconds, as the SDK's `ExpireTime`.
    pub expires_at: Millis,
}

fn invalid(e: InvalidParam) -> ApiError {
    ApiError::invalid(BizCode::InvalidParameters, e)
}

fn bad(param: &'static str, reason: &str) -> ApiError {
    invalid(InvalidParam::new(param, reason))
}

/// Whether an AccessKey id names temporary credentials.
pub fn is_sts_key(access_key_id: &str) -> bool {
    access_key_id.starts_with(STS_KEY_PREFIX)
}

/// A BizToken as `VerifySmsCode` takes it (`SmsToken`): 20 letters and digits.
pub fn biz_token(s: &str) -> Result<String, InvalidParam> {
    let s = s.trim();
    if s.len() == BIZ_TOKEN_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(s.to_owned())
    } else {
        Err(InvalidParam::new(
            "SmsToken",
            "must be the BizToken of GetSmsAuthTokens (20 letters and digits)",
        ))
    }
}

/// Validates every parameter, then mints the credentials. Stores nothing.
pub async fn grant(
    state: &AppState,
    tenant: &Tenant,
    issuer_key_id: &str,
    input: &GrantInput<'_>,
) -> Result<Granted, ApiError> {
    if !EXPIRE_SECS.contains(&input.expire_secs) {
        return Err(bad("Expire", "must be 900 to 43200 seconds"));
    }
    let code_valid_secs = input.code_valid_secs.unwrap_or(DEFAULT_CODE_VALID_SECS);
    if !CODE_VALID_SECS.contains(&code_valid_secs) {
        return Err(bad("SmsCodeExpire", "must be 60 to 3600 seconds"));
    }
    let os = schemes::os_type(input.os_type).map_err(invalid)?;
    let app = match os {
        "Android" => schemes::app_id(
            "PackageName",
            input
                .package_name
                .ok_or_else(|| bad("PackageName", "is required when OsType is Android"))?,
        ),
        "iOS" => schemes::app_id(
            "BundleId",
            input
                .bundle_id
                .ok_or_else(|| bad("BundleId", "is required when OsType is iOS"))?,
        ),
        _ => return Err(bad("OsType", "must be Android or iOS")),
    }
    .map_err(invalid)?;
    let scene_code = bounded_text("SceneCode", input.scene_code.trim(), 32).map_err(invalid)?;
    let sign_name = input
        .sign_name
        .map(|s| bounded_text("SignName", s.trim(), 64))
        .transpose()
        .map_err(invalid)?;
    let template_code =
        bounded_text("SmsTemplateCode", input.template_code.trim(), 64).map_err(invalid)?;

    let store = &state.store;
    let scheme = store
        .find_scheme(tenant.id, &scene_code)
        .await?
        .ok_or_else(|| {
            ApiError::biz(
                BizCode::VerifySchemeNotExist,
                "the SceneCode names no verification scheme of this account",
            )
        })?;
    let registered = match os {
        "Android" => scheme.pack_name.as_deref(),
        _ => scheme.bundle_id.as_deref(),
    };
    if scheme.os_type != os || registered != Some(app.as_str()) {
        return Err(ApiError::biz(
            BizCode::InvalidApp,
            "the app is not the one the scheme registered",
        ));
    }
    if !scheme.auth_type.split(',').any(|t| t == "2") {
        return Err(bad(
            "SceneCode",
            "the scheme is not registered for SMS verification (AuthType 2)",
        ));
    }
    let sign_name = match (sign_name, scheme.sms_sign_name.as_deref()) {
        (Some(given), Some(own)) if given != own => {
            return Err(ApiError::biz(
                BizCode::SmsSignatureIllegal,
                "the SignName is not the SmsSignName of the scheme",
            ))
        }
        (Some(given), _) => given,
        (None, Some(own)) => own.to_owned(),
        (None, None) => return Err(ApiError::missing("SignName")),
    };
    let signature = store
        .find_signature(tenant.id, &sign_name)
        .await?
        .filter(|s| s.approved)
        .ok_or_else(|| {
            ApiError::biz(
                BizCode::SmsSignatureIllegal,
                "the SignName is not an approved signature of this account",
            )
        })?;
    let template = store
        .find_template(tenant.id, &template_code)
        .await?
        .filter(|t| t.approved)
        .ok_or_else(|| {
            ApiError::biz(
                BizCode::SmsTemplateIllegal,
                "the SmsTemplateCode is not an approved template of this account",
            )
        })?;
    if signature.complimentary && !template.complimentary {
        return Err(ApiError::biz(
            BizCode::SmsSignatureIllegal,
            "a complimentary signature can only be used with a complimentary template",
        ));
    }

    let biz_token = Alphanumeric.sample_string(&mut OsRng, BIZ_TOKEN_LEN);
    let sts_key_id = format!(
        "{STS_KEY_PREFIX}{}",
        Alphanumeric.sample_string(&mut OsRng, 24)
    );
    let expires_at = state.clock.now_millis() + input.expire_secs * 1000;
    let grant = SmsAuthGrant {
        kind: SmsAuthGrant::KIND.to_owned(),
        tenant_id: tenant.id,
        issuer_key_id: issuer_key_id.to_owned(),
        sts_key_id: sts_key_id.clone(),
        biz_token: biz_token.clone(),
        scheme: scheme.code,
        sign_name: signature.name,
        template_code: template.code,
        code_valid_secs,
        actions: vec![GRANTED_ACTION.to_owned()],
        expires_at,
    };
    Ok(Granted {
        biz_token,
        sts_secret: state.secrets.sts_secret(&sts_key_id),
        sts_key_id,
        sts_token: grant.seal(&state.secrets),
        expires_at,
    })
}

/// The parameters of a `SendSmsVerifyCode` made with the grant's credentials,
/// as the action will run it: the grant's SignName, TemplateCode, code validity
/// and scheme (the BizToken) filled in where left out, and refused
/// (`isv.RAM_PERMISSION_DENY`) where they differ; a shorter code than the
/// service's default, an interval below its default, a DuplicatePolicy other
/// than 1, `ReturnVerifyCode=true` and an `SmsUpExtendCode` refused too.
pub fn constrain_send(
    cfg: &SmsConfig,
    grant: &SmsAuthGrant,
    mut params: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let deny = |name: &str, what: &str| {
        ApiError::biz(
            BizCode::RamPermissionDeny,
            format!("{name} {what} with the temporary credentials of GetSmsAuthTokens"),
        )
    };
    let p = Params::new(params.clone());
    for (name, granted) in [
        ("SignName", grant.sign_name.as_str()),
        ("TemplateCode", grant.template_code.as_str()),
        ("SchemeName", grant.biz_token.as_str()),
    ] {
        if p.opt(name).is_some_and(|given| given.trim() != granted) {
            return Err(deny(name, "differs from the grant"));
        }
    }
    if p.int("ValidTime")?
        .is_some_and(|v| v != grant.code_valid_secs)
    {
        return Err(deny("ValidTime", "differs from the grant's SmsCodeExpire"));
    }
    if p.bool("ReturnVerifyCode")? == Some(true) {
        return Err(deny("ReturnVerifyCode", "cannot be true"));
    }
    if p.int("DuplicatePolicy")?.is_some_and(|v| v != 1) {
        return Err(deny("DuplicatePolicy", "must be 1"));
    }
    if p.int("Interval")?.is_some_and(|v| v < cfg.interval_secs) {
        return Err(deny(
            "Interval",
            "cannot be shorter than the service's default",
        ));
    }
    if p.int("CodeLength")?.is_some_and(|v| v < cfg.code_length) {
        return Err(deny(
            "CodeLength",
            "cannot be shorter than the service's default",
        ));
    }
    if p.opt("SmsUpExtendCode").is_some() {
        return Err(deny("SmsUpExtendCode", "is not allowed"));
    }
    for (name, value) in [
        ("SignName", grant.sign_name.clone()),
        ("TemplateCode", grant.template_code.clone()),
        ("SchemeName", grant.biz_token.clone()),
        ("ValidTime", grant.code_valid_secs.to_string()),
    ] {
        params.insert(name.to_owned(), value);
    }
    Ok(params)
}

/// Whether `code` is a live code sent to `phone` with the grant of `biz_token`
/// (of this tenant), consuming it if so. Wrong, expired, used, dead and unknown
/// all answer `false`, by the same path as `CheckSmsVerifyCode`.
pub async fn verify(
    state: &AppState,
    tenant_id: i64,
    phone: &PhoneNumber,
    code: &VerifyCode,
    biz_token: &str,
) -> Result<bool, ApiError> {
    let scheme = SchemeName::parse(biz_token).map_err(invalid)?;
    codes::check(
        state,
        tenant_id,
        &scheme,
        phone,
        code,
        CaseAuthPolicy::Insensitive,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> SmsAuthGrant {
        SmsAuthGrant {
            kind: SmsAuthGrant::KIND.into(),
            tenant_id: 1,
            issuer_key_id: "LTAIissuer".into(),
            sts_key_id: "STS.key".into(),
            biz_token: "AbCdEfGhIjKlMnOpQrSt".into(),
            scheme: "FC100000000000001".into(),
            sign_name: "sign".into(),
            template_code: "100001".into(),
            code_valid_secs: 180,
            actions: vec![GRANTED_ACTION.into()],
            expires_at: 10,
        }
    }

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn refusal(r: Result<BTreeMap<String, String>, ApiError>) -> String {
        match r {
            Ok(_) => "OK".into(),
            Err(e) => match e.refusal() {
                crate::error::Refusal::Business { code, .. } => code.into(),
                crate::error::Refusal::Gateway(g) => g.code().into_owned(),
            },
        }
    }

    #[test]
    fn a_send_gets_the_grants_sign_template_scheme_and_validity() {
        let cfg = SmsConfig::default();
        let out = constrain_send(
            &cfg,
            &grant(),
            params(&[("PhoneNumber", "13800138000"), ("SignName", "sign")]),
        )
        .unwrap();
        assert_eq!(out["SignName"], "sign");
        assert_eq!(out["TemplateCode"], "100001");
        assert_eq!(out["SchemeName"], "AbCdEfGhIjKlMnOpQrSt");
        assert_eq!(out["ValidTime"], "180");
        assert_eq!(out["PhoneNumber"], "13800138000");
    }

    #[test]
    fn a_send_contradicting_or_weakening_the_grant_is_denied() {
        let cfg = SmsConfig::default();
        let short = (cfg.code_length - 1).to_string();
        let quick = (cfg.interval_secs - 1).to_string();
        for pair in [
            ("SignName", "other"),
            ("TemplateCode", "100002"),
            ("SchemeName", "default"),
            ("ValidTime", "181"),
            ("ReturnVerifyCode", "True"),
            ("DuplicatePolicy", "2"),
            ("Interval", quick.as_str()),
            ("CodeLength", short.as_str()),
            ("SmsUpExtendCode", "12"),
        ] {
            assert_eq!(
                refusal(constrain_send(&cfg, &grant(), params(&[pair]))),
                "isv.RAM_PERMISSION_DENY",
                "{pair:?}"
            );
        }
        for pair in [
            ("ValidTime", "180"),
            ("ReturnVerifyCode", "false"),
            ("DuplicatePolicy", "1"),
            ("CodeLength", "8"),
            ("SchemeName", "AbCdEfGhIjKlMnOpQrSt"),
            ("SignName", ""),
        ] {
            assert_eq!(
                refusal(constrain_send(&cfg, &grant(), params(&[pair]))),
                "OK",
                "{pair:?}"
            );
        }
        assert_eq!(
            refusal(constrain_send(
                &cfg,
                &grant(),
                params(&[("ValidTime", "soon")])
            )),
            "InvalidParameter"
        );
    }

    #[test]
    fn denials_do_not_echo_the_biz_token() {
        let cfg = SmsConfig::default();
        let Err(e) = constrain_send(&cfg, &grant(), params(&[("SchemeName", "x")])) else {
            panic!("accepted");
        };
        assert!(!e.to_string().contains("AbCdEfGh"), "{e}");
    }

    #[test]
    fn biz_tokens_are_twenty_letters_and_digits() {
        assert!(biz_token(" AbCdEfGhIjKlMnOpQrSt ").is_ok());
        for bad in [
            "",
            "AbCdEfGhIjKlMnOpQrS",
            "AbCdEfGhIjKlMnOpQrStU",
            "AbCdEfGhIjKlMnOpQr-t",
        ] {
            assert!(biz_token(bad).is_err(), "{bad}");
        }
        assert!(is_sts_key("STS.abc"));
        assert!(!is_sts_key("LTAIabc"));
        assert!(!is_sts_key("sts.abc"));
    }
}
