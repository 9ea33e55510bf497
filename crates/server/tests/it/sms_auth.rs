//! GetSmsAuthTokens and VerifySmsCode over HTTP: temporary (STS) credentials
//! that let an app send a code, and only that, as its grant says; the backend's
//! check of the code.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use numgate_acs::sign::{sign_v1_sts, sign_v3_sts};
use numgate_acs::Scheme;
use numgate_domain::clock::Clock;
use serde_json::Value;

use crate::gateway::{host, send_raw};
use crate::helpers::{phone, spawn_app, texted_code, TestApp, SIGN, TEMPLATE};

const PACK_SIGN: &str = "0123456789abcdef0123456789abcdef";
const TEMPLATE_PARAM: &str = r###"{"code":"##code##","min":"5"}"###;

fn map(params: &[(&str, &str)]) -> BTreeMap<String, String> {
    params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A call with the tenant's own AccessKey: the status and the decoded body.
async fn call(app: &TestApp, action: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let (status, bytes) = app
        .client()
        .call_raw(action, &map(params))
        .await
        .expect("send");
    (status, serde_json::from_slice(&bytes).expect("a JSON body"))
}

/// An Android scheme of the tenant for `package`, registered for SMS
/// verification (`AuthType` 2) unless `auth_type` says otherwise.
pub async fn android_scheme(app: &TestApp, package: &str, auth_type: &str) -> String {
    let name = format!("sms{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let (status, body) = call(
        app,
        "CreateVerifyScheme",
        &[
            ("SchemeName", &name),
            ("AppName", "Demo"),
            ("OsType", "Android"),
            ("PackName", package),
            ("PackSign", PACK_SIGN),
            ("AuthType", auth_type),
        ],
    )
    .await;
    assert_eq!((status, body["Code"].as_str()), (200, Some("OK")), "{body}");
    body["GateVerifySchemeDTO"]["SchemeCode"]
        .as_str()
        .expect("SchemeCode")
        .to_owned()
}

/// Temporary credentials as GetSmsAuthTokens hands them out.
#[derive(Clone, Debug)]
struct Sts {
    key_id: String,
    secret: String,
    token: String,
    biz_token: String,
    expire_time: i64,
}

fn grant_params<'a>(scene: &'a str, package: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("SceneCode", scene),
        ("OsType", "Android"),
        ("PackageName", package),
        ("SignName", SIGN),
        ("SmsTemplateCode", TEMPLATE),
        ("SmsCodeExpire", "300"),
        ("Expire", "900"),
    ]
}

async fn grant_with(app: &TestApp, params: &[(&str, &str)]) -> Sts {
    let (status, body) = call(app, "GetSmsAuthTokens", params).await;
    assert_eq!((status, body["Code"].as_str()), (200, Some("OK")), "{body}");
    let data = &body["Data"];
    let text = |name: &str| data[name].as_str().expect(name).to_owned();
    Sts {
        key_id: text("StsAccessKeyId"),
        secret: text("StsAccessKeySecret"),
        token: text("StsToken"),
        biz_token: text("BizToken"),
        expire_time: data["ExpireTime"].as_i64().expect("ExpireTime"),
    }
}

/// A fresh scheme and a grant for it.
async fn grant(app: &TestApp) -> Sts {
    let package = format!("com.example.sms{}", uuid::Uuid::new_v4().simple());
    let package = &package[..40];
    let scene = android_scheme(app, package, "1,2").await;
    grant_with(app, &grant_params(&scene, package)).await
}

/// A call signed with the temporary credentials, at the server's (fake) time.
async fn sts_call(
    app: &TestApp,
    sts: &Sts,
    scheme: Scheme,
    action: &str,
    params: &[(&str, &str)],
) -> (u16, Value) {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    sts_call_with(app, sts, scheme, action, params, &nonce).await
}

async fn sts_call_with(
    app: &TestApp,
    sts: &Sts,
    scheme: Scheme,
    action: &str,
    params: &[(&str, &str)],
    nonce: &str,
) -> (u16, Value) {
    let now = chrono::DateTime::from_timestamp_millis(app.clock.now_millis()).expect("time");
    let sign = match scheme {
        Scheme::V3 => sign_v3_sts,
        Scheme::V1 => sign_v1_sts,
    };
    let signed = sign(
        &sts.key_id,
        &sts.secret,
        &sts.token,
        &host(app),
        action,
        numgate_acs::VERSION,
        &map(params),
        now,
        nonce,
    );
    send_raw(app, &signed).await
}

fn send_params(number: &str) -> Vec<(&str, &str)> {
    vec![("PhoneNumber", number), ("TemplateParam", TEMPLATE_PARAM)]
}

async fn verify(app: &TestApp, number: &str, code: &str, token: &str) -> Value {
    let (status, body) = call(
        app,
        "VerifySmsCode",
        &[
            ("PhoneNumber", number),
            ("SmsCode", code),
            ("SmsToken", token),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// `Data` of a VerifySmsCode answer, checked to be an answer and not a refusal.
fn data(body: &Value) -> bool {
    assert_eq!(body["Code"], "OK", "{body}");
    body["Data"].as_bool().expect("Data is a boolean")
}

/// How many sends to `number` QuerySendDetails knows of today.
async fn sends(app: &TestApp, number: &str) -> i64 {
    let today = chrono::DateTime::from_timestamp_millis(app.clock.now_millis())
        .unwrap()
        .with_timezone(
            &chrono::FixedOffset::east_opt(app.config.sms.utc_offset_hours * 3600).unwrap(),
        )
        .format("%Y%m%d")
        .to_string();
    let (_, body) = call(
        app,
        "QuerySendDetails",
        &[
            ("PhoneNumber", number),
            ("SendDate", &today),
            ("PageSize", "10"),
            ("CurrentPage", "1"),
        ],
    )
    .await;
    body["TotalCount"].as_i64().expect("TotalCount")
}

/// The gateway refusal's status and code.
fn refused(r: &(u16, Value)) -> (u16, &str) {
    (r.0, r.1["Code"].as_str().unwrap_or_default())
}

#[tokio::test]
async fn a_granted_app_sends_a_code_that_verify_sms_code_accepts_once() {
    let app = spawn_app().await;
    for scheme in [Scheme::V3, Scheme::V1] {
        let sts = grant(&app).await;
        let p = phone();
        let (status, body) =
            sts_call(&app, &sts, scheme, "SendSmsVerifyCode", &send_params(&p)).await;
        assert_eq!(status, 200, "{scheme:?}: {body}");
        assert_eq!(body["Code"], "OK", "{scheme:?}: {body}");
        assert_eq!(body["Success"], true, "{body}");
        assert!(body["Model"]["BizId"].as_str().is_some(), "{body}");
        assert!(
            body["Model"].get("VerifyCode").is_none(),
            "the app never sees the code: {body}"
        );

        let code = texted_code(&app, &p).await;
        assert_eq!(code.len(), 6, "the service's default length: {code}");
        assert!(data(&verify(&app, &p, &code, &sts.biz_token).await));
        assert!(!data(&verify(&app, &p, &code, &sts.biz_token).await));
    }
}

#[tokio::test]
async fn the_grant_has_the_sdks_shape_and_the_grants_sign_template_and_validity() {
    let app = spawn_app().await;
    let before = app.clock.now_millis();
    let sts = grant(&app).await;
    assert!(
        sts.key_id.starts_with("STS.") && sts.key_id.len() == 28,
        "{sts:?}"
    );
    assert_eq!(sts.secret.len(), 43);
    assert_eq!(sts.biz_token.len(), 20);
    assert!(sts.biz_token.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert!(sts.token.len() > 100);
    assert_eq!(sts.expire_time, before + 900_000, "Unix milliseconds");
    let other = grant(&app).await;
    assert_ne!(sts.key_id, other.key_id);
    assert_ne!(sts.secret, other.secret);
    assert_ne!(sts.biz_token, other.biz_token);

    // The send names neither sign nor template: the grant's are used, and the
    // code lives the grant's SmsCodeExpire (300 s), not the default.
    let p = phone();
    let r = sts_call(
        &app,
        &sts,
        Scheme::V3,
        "SendSmsVerifyCode",
        &send_params(&p),
    )
    .await;
    assert_eq!(r.1["Code"], "OK", "{}", r.1);
    let code = texted_code(&app, &p).await;
    let data_dir = numgate_server::open_data_dir(&app.config).await.unwrap();
    let outbox = data_dir
        .store
        .list_outbox(Some(&format!("86{p}")), 1)
        .await
        .unwrap();
    let text = data_dir
        .master_key
        .secret_box()
        .open_string(&outbox[0].sealed_text)
        .unwrap();
    assert!(
        text.starts_with(&format!("【{SIGN}】您的验证码为")),
        "{}",
        *text
    );
    app.clock.advance_secs(299);
    assert!(data(&verify(&app, &p, &code, &sts.biz_token).await));

    let p = phone();
    let r = sts_call(
        &app,
        &sts,
        Scheme::V1,
        "SendSmsVerifyCode",
        &send_params(&p),
    )
    .await;
    assert_eq!(r.1["Code"], "OK", "{}", r.1);
    let code = texted_code(&app, &p).await;
    app.clock.advance_secs(301);
    assert!(!data(&verify(&app, &p, &code, &sts.biz_token).await));
}

#[tokio::test]
async fn wrong_expired_used_and_unknown_codes_get_the_same_false() {
    let app = spawn_app().await;
    let sts = grant(&app).await;
    let p = phone();
    let r = sts_call(
        &app,
        &sts,
        Scheme::V3,
        "SendSmsVerifyCode",
        &send_params(&p),
    )
    .await;
    assert_eq!(r.1["Code"], "OK", "{}", r.1);
    let code = texted_code(&app, &p).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let unknown_token = "A1b2C3d4E5f6G7h8I9j0";
    let other = grant(&app).await;

    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("RequestId");
        v
    };
    let answers = [
        strip(verify(&app, &p, wrong, &sts.biz_token).await),
        strip(verify(&app, &p, &code, unknown_token).await),
        strip(verify(&app, &p, &code, &other.biz_token).await),
        strip(verify(&app, &phone(), &code, &sts.biz_token).await),
    ];
    // A CheckSmsVerifyCode of the default scheme does not reach the grant's codes.
    let (_, check) = call(
        &app,
        "CheckSmsVerifyCode",
        &[("PhoneNumber", &p), ("VerifyCode", &code)],
    )
    .await;
    assert_eq!(check["Model"]["VerifyResult"], "UNKNOWN", "{check}");
    assert!(data(&verify(&app, &p, &code, &sts.biz_token).await));
    let used = strip(verify(&app, &p, &code, &sts.biz_token).await);
    for a in answers.iter().chain([&used]) {
        assert_eq!(a, &answers[0]);
        assert!(!data(a));
    }
}

#[tokio::test]
async fn five_wrong_codes_kill_a_granted_code() {
    let app = spawn_app().await;
    let sts = grant(&app).await;
    let p = phone();
    let r = sts_call(
        &app,
        &sts,
        Scheme::V3,
        "SendSmsVerifyCode",
        &send_params(&p),
    )
    .await;
    assert_eq!(r.1["Code"], "OK", "{}", r.1);
    let code = texted_code(&app, &p).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        assert!(!data(&verify(&app, &p, wrong, &sts.biz_token).await));
    }
    assert!(!data(&verify(&app, &p, &code, &sts.biz_token).await));
}

#[tokio::test]
async fn sts_credentials_may_call_nothing_but_the_send() {
    let app = spawn_app().await;
    let sts = grant(&app).await;
    let p = phone();
    let code_params = [("PhoneNumber", p.as_str()), ("VerifyCode", "123456")];
    for scheme in [Scheme::V3, Scheme::V1] {
        for (action, params) in [
            ("CheckSmsVerifyCode", &code_params[..]),
            (
                "VerifySmsCode",
                &[
                    ("PhoneNumber", p.as_str()),
                    ("SmsCode", "123456"),
                    ("SmsToken", sts.biz_token.as_str()),
                ][..],
            ),
            ("GetSmsAuthTokens", &[("SceneCode", "FC1")][..]),
            ("QuerySendDetails", &[("PhoneNumber", p.as_str())][..]),
            ("CreateVerifyScheme", &[("SchemeName", "x")][..]),
            ("GetMobile", &[("AccessToken", "x")][..]),
        ] {
            let r = sts_call(&app, &sts, scheme, action, params).await;
            assert_eq!(refused(&r), (403, "Forbidden.RAM"), "{action}: {}", r.1);
            let message = r.1["Message"].as_str().unwrap_or_default();
            assert!(message.contains(action), "{message}");
            assert!(r.1["Recommend"].as_str().is_some(), "{}", r.1);
        }
    }
    // The refusals changed nothing: the grant still sends.
    let r = sts_call(
        &app,
        &sts,
        Scheme::V3,
        "SendSmsVerifyCode",
        &send_params(&p),
    )
    .await;
    assert_eq!(r.1["Code"], "OK", "{}", r.1);
}

#[tokio::test]
async fn a_tampered_foreign_missing_or_mismatched_token_is_refused() {
    let app = spawn_app().await;
    let sts = grant(&app).await;
    let other = grant(&app).await;
    let send = |sts: Sts, scheme| {
        let app = &app;
        async move {
            let p = phone();
            sts_call(app, &sts, scheme, "SendSmsVerifyCode", &send_params(&p)).await
        }
    };
    for scheme in [Scheme::V3, Scheme::V1] {
        // Tampered: one character of the sealed token changed.
        let mut tampered = sts.clone();
        let mut chars: Vec<char> = tampered.token.chars().collect();
        let at = chars.len() / 2;
        chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
        tampered.token = chars.into_iter().collect();
        let r = send(tampered, scheme).await;
        assert_eq!(
            refused(&r),
            (400, "InvalidSecurityToken.Malformed"),
            "{}",
            r.1
        );

        let mut junk = sts.clone();
        junk.token = "not a token".to_owned();
        let r = send(junk, scheme).await;
        assert_eq!(
            refused(&r),
            (400, "InvalidSecurityToken.Malformed"),
            "{}",
            r.1
        );

        // Another grant's token with this key: both were issued here, but not together.
        let mut swapped = sts.clone();
        swapped.token = other.token.clone();
        let r = send(swapped, scheme).await;
        assert_eq!(
            refused(&r),
            (400, "InvalidSecurityToken.MismatchWithAccessKey"),
            "{}",
            r.1
        );
    }

    // A token of another installation (another master key) does not open here.
    let elsewhere = spawn_app().await;
    let foreign = grant(&elsewhere).await;
    let mut with_foreign = sts.clone();
    with_foreign.token = foreign.token.clone();
    let r = send(with_foreign, Scheme::V3).await;
    assert_eq!(
        refused(&r),
        (400, "InvalidSecurityToken.Malformed"),
        "{}",
        r.1
    );
    // Nor do its credentials: their secret is derived from another master key.
    let r = send(foreign, Scheme::V3).await;
    assert_eq!(refused(&r), (400, "SignatureDoesNotMatch"), "{}", r.1);

    // No token at all: the SDK always sends one with STS credentials.
    let p = phone();
    let now = chrono::DateTime::from_timestamp_millis(app.clock.now_millis()).unwrap();
    for signed in [
        numgate_acs::sign_v3(
            &sts.key_id,
            &sts.secret,
            &host(&app),
            "SendSmsVerifyCode",
            numgate_acs::VERSION,
            &map(&send_params(&p)),
            now,
            "no-token-3",
        ),
        numgate_acs::sign_v1(
            &sts.key_id,
            &sts.secret,
            &host(&app),
            "SendSmsVerifyCode",
            numgate_acs::VERSION,
            &map(&send_params(&p)),
            now,
            "no-token-1",
        ),
    ] {
        let r = send_raw(&app, &signed).await;
        assert_eq!(refused(&r), (400, "MissingSecurityToken"), "{}", r.1);
    }

    // A token with the tenant's permanent AccessKey is refused, not ignored.
    let signed = sign_v3_sts(
        &app.key_id,
        &app.key_secret,
        &sts.token,
        &host(&app),
        "CheckSmsVerifyCode",
        numgate_acs::VERSION,
        &map(&[("PhoneNumber", &p), ("VerifyCode", "123456")]),
        now,
        "permanent-with-token",
    );
    let r = send_raw(&app, &signed).await;
    assert_eq!(
        refused(&r),
        (400, "InvalidSecurityToken.MismatchWithAccessKey"),
        "{}",
        r.1
    );
    assert_eq!(sends(&app, &p).await, 0);
}

#[tokio::test]
async fn a_wrong_secret_does_not_match_and_a_replayed_nonce_is_refused() {
    let app = spawn_app().await;
    let sts = grant(&app).await;
    let other = grant(&app).await;
    for scheme in [Scheme::V3, Scheme::V1] {
        let p = phone();
        for secret in ["not-the-secret".to_owned(), other.secret.clone()] {
            let mut wrong = sts.clone();
            wrong.secret = secret;
            let r = sts_call(&app, &wrong, scheme, "SendSmsVerifyCode", &send_params(&p)).await;
            assert_eq!(refused(&r), (400, "SignatureDoesNotMatch"), "{}", r.1);
        }
        // An unknown STS key id with a made-up secret: the same answer.
        let mut made_up = sts.clone();
        made_up.key_id = "STS.madeup0000000000000000".to_owned();
        let r = sts_call(
            &app,
            &made_up,
            scheme,
            "SendSmsVerifyCode",
            &send_params(&p),
        )
        .await;
        assert_eq!(refused(&r), (400, "SignatureDoesNotMatch"), "{}", r.1);
        assert_eq!(sends(&app, &p).await, 0);

        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let first = sts_call_with(
            &app,
            &sts,
            scheme,
            "SendSmsVerifyCode",
            &send_params(&p),
            &nonce,
        )
        .await;
        assert_eq!(first.1["Code"], "OK", "{}", first.1);
        let again = sts_call_with(
            &app,
            &sts,
            scheme,
            "SendSmsVerifyCode",
            &send_params(&phone()),
            &nonce,
        )
        .await;
        assert_eq!(refused(&again), (400, "SignatureNonceUsed"), "{}", again.1);
    }
}

#[tokio::test]
async fn sts_credentials_expire_with_their_grant_but_a_code_sent_before_still_checks() {
    let app = spawn_app().await;
    let sts = grant(&app).await;
    app.clock.advance_secs(850);
    let p = phone();
    let r = sts_call(
        &app,
        &sts,
        Scheme::V3,
        "SendSmsVerifyCode",
        &send_params(&p),
    )
    .await;
    assert_eq!(r.1["Code"], "OK", "{}", r.1);
    let code = texted_code(&app, &p).await;

    app.clock.advance_secs(50);
    for scheme in [Scheme::V3, Scheme::V1] {
        let r = sts_call(
            &app,
            &sts,
            scheme,
            "SendSmsVerifyCode",
            &send_params(&phone()),
        )
        .await;
        assert_eq!(
            refused(&r),
            (400, "InvalidSecurityToken.Expired"),
            "{}",
            r.1
        );
    }
    // The code lives its own 300 seconds from the send, past the grant's end.
    assert!(data(&verify(&app, &p, &code, &sts.biz_token).await));
}

#[tokio::test]
async fn a_send_contradicting_the_grant_is_denied_and_sends_nothing() {
    let app = spawn_app().await;
    let sts = grant(&app).await;
    let p = phone();
    let short = (app.config.sms.code_length - 1).to_string();
    let quick = (app.config.sms.interval_secs - 1).to_string();
    for scheme in [Scheme::V3, Scheme::V1] {
        for extra in [
            ("SignName", "云渚科技验证平台"),
            ("TemplateCode", "100002"),
            ("SchemeName", "default"),
            ("ValidTime", "600"),
            ("ReturnVerifyCode", "true"),
            ("DuplicatePolicy", "2"),
            ("Interval", quick.as_str()),
            ("CodeLength", short.as_str()),
            ("SmsUpExtendCode", "1234"),
        ] {
            let mut params = send_params(&p);
            params.push(extra);
            let r = sts_call(&app, &sts, scheme, "SendSmsVerifyCode", &params).await;
            assert_eq!(r.0, 200, "{}", r.1);
            assert_eq!(r.1["Code"], "isv.RAM_PERMISSION_DENY", "{extra:?}: {}", r.1);
            assert_eq!(r.1["Success"], false, "{}", r.1);
            let message = r.1["Message"].as_str().unwrap_or_default();
            assert!(message.contains(extra.0), "{message}");
            assert!(!message.contains(&sts.biz_token), "{message}");
        }
    }
    assert_eq!(sends(&app, &p).await, 0);

    // What agrees with the grant is fine, named or not.
    let mut params = send_params(&p);
    params.extend([
        ("SignName", SIGN),
        ("TemplateCode", TEMPLATE),
        ("ValidTime", "300"),
        ("SchemeName", sts.biz_token.as_str()),
        ("CodeLength", "8"),
        ("ReturnVerifyCode", "false"),
    ]);
    let r = sts_call(&app, &sts, Scheme::V3, "SendSmsVerifyCode", &params).await;
    assert_eq!(r.1["Code"], "OK", "{}", r.1);
    assert_eq!(texted_code(&app, &p).await.len(), 8);
}

#[tokio::test]
async fn the_per_number_interval_and_the_issuing_keys_state_apply() {
    let app = spawn_app().await;
    let sts = grant(&app).await;
    let p = phone();
    let r = sts_call(
        &app,
        &sts,
        Scheme::V3,
        "SendSmsVerifyCode",
        &send_params(&p),
    )
    .await;
    assert_eq!(r.1["Code"], "OK", "{}", r.1);
    let r = sts_call(
        &app,
        &sts,
        Scheme::V1,
        "SendSmsVerifyCode",
        &send_params(&p),
    )
    .await;
    assert_eq!(r.1["Code"], "biz.FREQUENCY", "{}", r.1);

    // Disabling the AccessKey that asked for the grant takes the grant along.
    let data = numgate_server::open_data_dir(&app.config).await.unwrap();
    assert!(data
        .store
        .set_access_key_enabled(&app.key_id, false)
        .await
        .unwrap());
    let r = sts_call(
        &app,
        &sts,
        Scheme::V3,
        "SendSmsVerifyCode",
        &send_params(&phone()),
    )
    .await;
    assert_eq!(refused(&r), (400, "InvalidAccessKeyId.Inactive"), "{}", r.1);
    assert!(data
        .store
        .set_access_key_enabled(&app.key_id, true)
        .await
        .unwrap());
    let r = sts_call(
        &app,
        &sts,
        Scheme::V3,
        "SendSmsVerifyCode",
        &send_params(&phone()),
    )
    .await;
    assert_eq!(r.1["Code"], "OK", "{}", r.1);
}

#[tokio::test]
async fn get_sms_auth_tokens_validates_every_parameter() {
    let app = spawn_app().await;
    let package = "com.example.validate";
    let scene = android_scheme(&app, package, "1,2").await;
    let number_only = android_scheme(&app, "com.example.numberonly", "1").await;
    let with = |changes: &[(&'static str, Option<&'static str>)]| {
        let mut params: BTreeMap<&str, String> = grant_params(&scene, package)
            .into_iter()
            .map(|(k, v)| (k, v.to_owned()))
            .collect();
        for (k, v) in changes {
            match v {
                Some(v) => params.insert(*k, (*v).to_owned()),
                None => params.remove(*k),
            };
        }
        params
    };
    let cases: Vec<(BTreeMap<&str, String>, &str)> = vec![
        (with(&[("SceneCode", None)]), "MissingSceneCode"),
        (with(&[("OsType", None)]), "MissingOsType"),
        (with(&[("SmsTemplateCode", None)]), "MissingSmsTemplateCode"),
        (with(&[("Expire", None)]), "MissingExpire"),
        (with(&[("SignName", None)]), "MissingSignName"),
        (with(&[("Expire", Some("soon"))]), "InvalidParameter"),
        (with(&[("Expire", Some("899"))]), "isv.INVALID_PARAMETERS"),
        (with(&[("Expire", Some("43201"))]), "isv.INVALID_PARAMETERS"),
        (
            with(&[("SmsCodeExpire", Some("59"))]),
            "isv.INVALID_PARAMETERS",
        ),
        (
            with(&[("SmsCodeExpire", Some("3601"))]),
            "isv.INVALID_PARAMETERS",
        ),
        (with(&[("OsType", Some("Web"))]), "isv.INVALID_PARAMETERS"),
        (
            with(&[("OsType", Some("Symbian"))]),
            "isv.INVALID_PARAMETERS",
        ),
        (with(&[("PackageName", None)]), "isv.INVALID_PARAMETERS"),
        (
            with(&[("PackageName", Some("com/example"))]),
            "isv.INVALID_PARAMETERS",
        ),
        (
            with(&[("OsType", Some("iOS")), ("BundleId", None)]),
            "isv.INVALID_PARAMETERS",
        ),
        (
            with(&[("SceneCode", Some("FC000000000000000"))]),
            "isv.VERIFY_SCHEME_NOT_EXIST",
        ),
        (
            with(&[("PackageName", Some("com.example.other"))]),
            "isv.INVALID_APP",
        ),
        (
            with(&[
                ("OsType", Some("iOS")),
                ("BundleId", Some("com.example.validate")),
            ]),
            "isv.INVALID_APP",
        ),
        (
            with(&[("SignName", Some("没有这个签名"))]),
            "isv.SMS_SIGNATURE_ILLEGAL",
        ),
        (
            with(&[("SmsTemplateCode", Some("999999"))]),
            "isv.SMS_TEMPLATE_ILLEGAL",
        ),
    ];
    for (params, expected) in cases {
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = call(&app, "GetSmsAuthTokens", &pairs).await;
        assert_eq!(body["Code"], expected, "{pairs:?}: {body}");
        assert!(body.get("Data").is_none(), "{body}");
        let message = body["Message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{body}");
        assert!(status == 200 || status == 400, "{status}");
    }
    // A scheme registered for number verification only is not for SMS.
    let params = grant_params(&number_only, "com.example.numberonly");
    let (_, body) = call(&app, "GetSmsAuthTokens", &params).await;
    assert_eq!(body["Code"], "isv.INVALID_PARAMETERS", "{body}");
    assert!(
        body["Message"].as_str().unwrap().contains("AuthType"),
        "{body}"
    );

    // The scheme's own SmsSignName is the default SignName, and the only one.
    let (_, body) = call(
        &app,
        "CreateVerifyScheme",
        &[
            ("SchemeName", "ios"),
            ("AppName", "Demo"),
            ("OsType", "iOS"),
            ("BundleId", "com.example.ios"),
            ("AuthType", "2"),
            ("SmsSignName", SIGN),
        ],
    )
    .await;
    let ios = body["GateVerifySchemeDTO"]["SchemeCode"]
        .as_str()
        .expect("SchemeCode")
        .to_owned();
    let ios_params = |sign: Option<&'static str>| {
        let mut p = vec![
            ("SceneCode", ios.as_str()),
            ("OsType", "iOS"),
            ("BundleId", "com.example.ios"),
            ("SmsTemplateCode", TEMPLATE),
            ("Expire", "43200"),
        ];
        if let Some(sign) = sign {
            p.push(("SignName", sign));
        }
        p
    };
    let sts = grant_with(&app, &ios_params(None)).await;
    let p = phone();
    let r = sts_call(
        &app,
        &sts,
        Scheme::V3,
        "SendSmsVerifyCode",
        &send_params(&p),
    )
    .await;
    assert_eq!(r.1["Code"], "OK", "{}", r.1);
    grant_with(&app, &ios_params(Some(SIGN))).await;
    let (_, body) = call(
        &app,
        "GetSmsAuthTokens",
        &ios_params(Some("云渚科技验证平台")),
    )
    .await;
    assert_eq!(body["Code"], "isv.SMS_SIGNATURE_ILLEGAL", "{body}");
}

#[tokio::test]
async fn verify_sms_code_validates_its_parameters() {
    let app = spawn_app().await;
    let p = phone();
    let token = "A1b2C3d4E5f6G7h8I9j0";
    for (params, expected) in [
        (
            vec![("SmsCode", "123456"), ("SmsToken", token)],
            "MissingPhoneNumber",
        ),
        (
            vec![("PhoneNumber", p.as_str()), ("SmsToken", token)],
            "MissingSmsCode",
        ),
        (
            vec![("PhoneNumber", p.as_str()), ("SmsCode", "123456")],
            "MissingSmsToken",
        ),
        (
            vec![
                ("PhoneNumber", "12"),
                ("SmsCode", "123456"),
                ("SmsToken", token),
            ],
            "isv.MOBILE_NUMBER_ILLEGAL",
        ),
        (
            vec![
                ("PhoneNumber", p.as_str()),
                ("SmsCode", "12"),
                ("SmsToken", token),
            ],
            "isv.INVALID_PARAMETERS",
        ),
        (
            vec![
                ("PhoneNumber", p.as_str()),
                ("SmsCode", "123456"),
                ("SmsToken", "short"),
            ],
            "isv.INVALID_PARAMETERS",
        ),
    ] {
        let (_, body) = call(&app, "VerifySmsCode", &params).await;
        assert_eq!(body["Code"], expected, "{params:?}: {body}");
        assert!(body.get("Data").is_none(), "{body}");
    }
    let (_, body) = call(
        &app,
        "VerifySmsCode",
        &[
            ("PhoneNumber", &p),
            ("SmsCode", "12345"),
            ("SmsToken", "short"),
        ],
    )
    .await;
    assert!(
        body["Message"].as_str().unwrap().contains("SmsToken"),
        "{body}"
    );
    assert!(
        !body["Message"].as_str().unwrap().contains("12345"),
        "{body}"
    );
}

/// Records every tracing event and span field, as any log output would show them
/// (up to 16 MiB: it is the process's subscriber, other tests log into it too).
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<String>>);

const RECORDED_MAX: usize = 16 << 20;

impl Recorder {
    /// The process's global subscriber. Global, not a thread's default: tracing
    /// caches a call site's interest from the dispatchers registered when it is
    /// first hit, and a site first hit on another test's thread, with only a
    /// thread-local recorder registered, would stay silent here.
    fn global() -> &'static Recorder {
        static RECORDER: std::sync::OnceLock<Recorder> = std::sync::OnceLock::new();
        RECORDER.get_or_init(|| {
            let recorder = Recorder::default();
            tracing::subscriber::set_global_default(recorder.clone())
                .expect("no other test installs a global tracing subscriber");
            recorder
        })
    }

    fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }
}

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut log = self.0.lock().unwrap();
        if log.len() > RECORDED_MAX {
            return tracing::span::Id::from_u64(1);
        }
        span.record(&mut Fields(&mut log));
        log.push('\n');
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut log = self.0.lock().unwrap();
        if log.len() > RECORDED_MAX {
            return;
        }
        values.record(&mut Fields(&mut log));
        log.push('\n');
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut log = self.0.lock().unwrap();
        let _ = write!(
            log,
            "{} {} ",
            event.metadata().level(),
            event.metadata().target()
        );
        event.record(&mut Fields(&mut log));
        log.push('\n');
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn the_sts_secret_and_token_never_appear_in_logs() {
    let recorder = Recorder::global();
    let app = spawn_app().await;
    let sts = grant(&app).await;
    let p = phone();
    for scheme in [Scheme::V3, Scheme::V1] {
        let r = sts_call(&app, &sts, scheme, "SendSmsVerifyCode", &send_params(&p)).await;
        assert!(
            ["OK", "biz.FREQUENCY"].contains(&r.1["Code"].as_str().unwrap()),
            "{}",
            r.1
        );
        let mut wrong = sts.clone();
        wrong.secret.push('x');
        sts_call(&app, &wrong, scheme, "SendSmsVerifyCode", &send_params(&p)).await;
        let mut tampered = sts.clone();
        tampered.token.insert(10, 'x');
        sts_call(
            &app,
            &tampered,
            scheme,
            "SendSmsVerifyCode",
            &send_params(&p),
        )
        .await;
        sts_call(&app, &sts, scheme, "CheckSmsVerifyCode", &send_params(&p)).await;
    }
    let code = texted_code(&app, &p).await;
    assert!(data(&verify(&app, &p, &code, &sts.biz_token).await));
    tokio::time::sleep(Duration::from_millis(200)).await;

    let log = recorder.text();
    assert!(
        log.contains("SendSmsVerifyCode") && log.contains("VerifySmsCode"),
        "the recorder saw the requests ({} bytes recorded)",
        log.len()
    );
    for (what, secret) in [
        ("secret", sts.secret.as_str()),
        ("token", &sts.token[..60]),
        ("biz token", sts.biz_token.as_str()),
    ] {
        let line = log.lines().find(|l| l.contains(secret));
        assert!(line.is_none(), "the {what} is in the log: {line:?}");
    }
}
