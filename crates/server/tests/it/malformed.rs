//! Bad input of every kind gets a documented error code and changes nothing;
//! no input makes the server panic.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::gateway::{send_raw, v3};
use crate::helpers::{phone, spawn_app, spawn_app_with, TestApp, SIGN, TEMPLATE};

/// Every code the Open API documents for a refusal.
const DOCUMENTED: &[&str] = &[
    "InvalidAction.NotFound",
    "InvalidVersion",
    "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeyId.Inactive",
    "SignatureDoesNotMatch",
    "SignatureNonceUsed",
    "IncompleteSignature",
    "InvalidTimeStamp.Expired",
    "InvalidTimeStamp.Format",
    "InvalidParameter",
    "RequestEntityTooLarge",
    "UnsupportedHTTPMethod",
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.INVALID_PARAMETERS",
    "isv.SMS_SIGNATURE_ILLEGAL",
    "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.SMS_TEMPLATE_PARAMS_ILLEGAL",
    "biz.FREQUENCY",
    "isv.BUSINESS_LIMIT_CONTROL",
];

fn documented(code: &str) -> bool {
    DOCUMENTED.contains(&code) || code.starts_with("Missing")
}

fn send_params(p: &str) -> BTreeMap<String, String> {
    [
        ("PhoneNumber", p),
        ("SignName", SIGN),
        ("TemplateCode", TEMPLATE),
        ("TemplateParam", r###"{"code":"##code##","min":"5"}"###),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

async fn signed(app: &TestApp, action: &str, p: &BTreeMap<String, String>) -> (u16, Value) {
    send_raw(
        app,
        &v3(app, action, p, 0, &uuid::Uuid::new_v4().to_string()),
    )
    .await
}

/// Whether the number has any send record today (a refused send must leave none).
async fn sent_anything(app: &TestApp, p: &str) -> bool {
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y%m%d")
        .to_string();
    let q: BTreeMap<String, String> = [
        ("PhoneNumber", p.to_string()),
        ("SendDate", today),
        ("PageSize", "10".into()),
        ("CurrentPage", "1".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let (status, body) = signed(app, "QuerySendDetails", &q).await;
    assert_eq!(status, 200, "{body}");
    body["TotalCount"].as_u64().unwrap() > 0
}

#[tokio::test]
async fn missing_and_mistyped_parameters_are_refused_without_effect() {
    let app = spawn_app().await;
    let long_out_id = "o".repeat(65);
    let cases: Vec<(&str, Option<&str>, u16, &str)> = vec![
        ("PhoneNumber", None, 400, "MissingPhoneNumber"),
        ("SignName", None, 400, "MissingSignName"),
        ("TemplateCode", None, 400, "MissingTemplateCode"),
        ("TemplateParam", None, 400, "MissingTemplateParam"),
        ("CodeLength", Some("abc"), 400, "InvalidParameter"),
        ("CodeLength", Some("9"), 200, "isv.INVALID_PARAMETERS"),
        (
            "CodeLength",
            Some("99999999999999999999999"),
            400,
            "InvalidParameter",
        ),
        ("CodeType", Some("8"), 200, "isv.INVALID_PARAMETERS"),
        ("ValidTime", Some("-1"), 200, "isv.INVALID_PARAMETERS"),
        ("Interval", Some("1.5"), 400, "InvalidParameter"),
        ("DuplicatePolicy", Some("3"), 200, "isv.INVALID_PARAMETERS"),
        ("ReturnVerifyCode", Some("yes"), 400, "InvalidParameter"),
        (
            "SchemeName",
            Some("a-scheme-name-longer-than-twenty"),
            200,
            "isv.INVALID_PARAMETERS",
        ),
        ("OutId", Some(&long_out_id), 200, "isv.INVALID_PARAMETERS"),
        (
            "TemplateParam",
            Some("[\"##code##\"]"),
            200,
            "isv.SMS_TEMPLATE_PARAMS_ILLEGAL",
        ),
        (
            "PhoneNumber",
            Some("1380013800"),
            200,
            "isv.MOBILE_NUMBER_ILLEGAL",
        ),
        ("CountryCode", Some("x1"), 200, "isv.INVALID_PARAMETERS"),
    ];
    for (param, value, status, code) in cases {
        let p = phone();
        let mut ps = send_params(&p);
        match value {
            Some(v) => ps.insert(param.to_string(), v.to_string()),
            None => ps.remove(param),
        };
        let (got_status, body) = signed(&app, "SendSmsVerifyCode", &ps).await;
        assert_eq!(
            (got_status, body["Code"].as_str().unwrap()),
            (status, code),
            "{param}={value:?}: {body}"
        );
        assert!(!body["Message"].as_str().unwrap().is_empty());
        assert!(
            !sent_anything(&app, &p).await,
            "{param}={value:?} changed nothing"
        );
    }
}

#[tokio::test]
async fn duplicate_overlong_and_badly_encoded_parameters_are_refused() {
    let app = spawn_app().await;
    let ps = send_params(&phone());

    let mut dup = v3(
        &app,
        "SendSmsVerifyCode",
        &ps,
        0,
        &uuid::Uuid::new_v4().to_string(),
    );
    dup.path_and_query.push_str("&PhoneNumber=13800000000");
    let (s, b) = send_raw(&app, &dup).await;
    assert_eq!(
        (s, b["Code"].as_str().unwrap()),
        (400, "InvalidParameter"),
        "{b}"
    );

    // A value over 64 KiB in a form body: over the default body limit (413), and
    // over the per-value limit where the body limit is raised (400).
    let long_body = |app: &TestApp| {
        let mut r = v3(
            app,
            "SendSmsVerifyCode",
            &ps,
            0,
            &uuid::Uuid::new_v4().to_string(),
        );
        r.headers.push((
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
        r.body = format!("OutId={}", "x".repeat(70_000)).into_bytes();
        r
    };
    let (s, b) = send_raw(&app, &long_body(&app)).await;
    assert_eq!(
        (s, b["Code"].as_str().unwrap()),
        (413, "RequestEntityTooLarge"),
        "{b}"
    );
    let roomy = spawn_app_with(|c| c.max_body_bytes = 256 * 1024).await;
    let (s, b) = send_raw(&roomy, &long_body(&roomy)).await;
    assert_eq!(
        (s, b["Code"].as_str().unwrap()),
        (400, "InvalidParameter"),
        "{b}"
    );

    let mut bad_utf8 = v3(
        &app,
        "SendSmsVerifyCode",
        &ps,
        0,
        &uuid::Uuid::new_v4().to_string(),
    );
    bad_utf8.path_and_query.push_str("&OutId=%FF%FE");
    let (s, b) = send_raw(&app, &bad_utf8).await;
    assert_eq!(
        (s, b["Code"].as_str().unwrap()),
        (400, "InvalidParameter"),
        "{b}"
    );
}

#[tokio::test]
async fn a_huge_body_is_refused_before_it_is_read() {
    let app = spawn_app().await;
    let mut req = v3(
        &app,
        "SendSmsVerifyCode",
        &send_params(&phone()),
        0,
        "n-huge",
    );
    req.body = vec![b'a'; 2 * 1024 * 1024];
    let (s, b) = send_raw(&app, &req).await;
    assert_eq!(
        (s, b["Code"].as_str().unwrap()),
        (413, "RequestEntityTooLarge"),
        "{b}"
    );
}

#[tokio::test]
async fn unsigned_and_garbled_requests_get_documented_codes() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let pieces = [
        "Action=SendSmsVerifyCode",
        "Version=2017-05-25",
        "AccessKeyId=LTAIx",
        "Signature=abc",
        "SignatureMethod=HMAC-SHA1",
        "SignatureVersion=1.0",
        "SignatureNonce=1",
        "Timestamp=2020-01-01T00:00:00Z",
        "Timestamp=yesterday",
        "PhoneNumber=%FF",
        "x=%",
        "%%%",
        "a=b=c",
        "&&",
        "Format=XML",
        "=v",
    ];
    for i in 0..300 {
        let n = rng.gen_range(0..6);
        let query: Vec<&str> = (0..n)
            .map(|_| pieces[rng.gen_range(0..pieces.len())])
            .collect();
        let query = query.join("&");
        let method = if i % 3 == 0 { "GET" } else { "POST" };
        let mut req = http.request(
            method.parse().unwrap(),
            format!("{}/?{}", app.endpoint, query),
        );
        if i % 4 == 1 {
            req = req.header(
                "authorization",
                [
                    "ACS3-HMAC-SHA256",
                    "ACS3-HMAC-SHA256 Credential=",
                    "Bearer x",
                    "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=,Signature=zz",
                ][rng.gen_range(0..4)],
            );
        }
        if i % 5 == 2 {
            req = req
                .header("content-type", "application/x-www-form-urlencoded")
                .body(vec![0xff, 0xfe, b'=', 0x00]);
        }
        if i % 7 == 3 {
            req = req
                .header("x-acs-action", "SendSmsVerifyCode")
                .header("x-acs-version", "2017-05-25")
                .header("x-acs-date", "not a date");
        }
        let resp = req.send().await.expect("the server answers");
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.expect("a JSON envelope");
        let code = body["Code"].as_str().unwrap_or_default();
        assert!((400..500).contains(&status), "{query}: {status} {body}");
        assert!(documented(code), "{query}: undocumented code {body}");
    }
    let put = http.put(format!("{}/", app.endpoint)).send().await.unwrap();
    assert!((400..500).contains(&put.status().as_u16()));
    // Still serving.
    let r = reqwest::get(format!("{}/healthz", app.endpoint))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
