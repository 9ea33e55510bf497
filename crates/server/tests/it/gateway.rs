//! The Open API transport: signatures, keys, nonces, timestamps, versions.

use std::collections::BTreeMap;

use numgate_acs::sign::{sign_v1, sign_v3, SignedRequest};
use numgate_client::{CheckSmsVerifyCode, ClientError, OpenApi};
use serde_json::Value;

use crate::helpers::{phone, spawn_app, TestApp};

fn params() -> BTreeMap<String, String> {
    [
        ("PhoneNumber", phone()),
        ("VerifyCode", "123456".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

pub fn host(app: &TestApp) -> String {
    app.endpoint.trim_start_matches("http://").to_owned()
}

/// Sends a request exactly as given; the status and the decoded body.
pub async fn send_raw(app: &TestApp, req: &SignedRequest) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut b = client.request(
        req.method.clone(),
        format!("{}{}", app.endpoint, req.path_and_query),
    );
    for (k, v) in &req.headers {
        if !k.eq_ignore_ascii_case("host") {
            b = b.header(k, v);
        }
    }
    let resp = b.body(req.body.clone()).send().await.expect("send");
    let status = resp.status().as_u16();
    let body = resp.json().await.expect("a JSON body");
    (status, body)
}

pub fn v3(
    app: &TestApp,
    action: &str,
    p: &BTreeMap<String, String>,
    skew_secs: i64,
    nonce: &str,
) -> SignedRequest {
    let at = chrono::Utc::now() + chrono::Duration::seconds(skew_secs);
    sign_v3(
        &app.key_id,
        &app.key_secret,
        &host(app),
        action,
        "2017-05-25",
        p,
        at,
        nonce,
    )
}

fn v1(
    app: &TestApp,
    action: &str,
    p: &BTreeMap<String, String>,
    skew_secs: i64,
    nonce: &str,
) -> SignedRequest {
    let at = chrono::Utc::now() + chrono::Duration::seconds(skew_secs);
    sign_v1(
        &app.key_id,
        &app.key_secret,
        &host(app),
        action,
        "2017-05-25",
        p,
        at,
        nonce,
    )
}

fn nonce() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn assert_refused(got: (u16, Value), status: u16, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["Code"], code, "{}", got.1);
    for k in ["RequestId", "HostId", "Message", "Recommend"] {
        assert!(
            got.1.get(k).is_some(),
            "the error envelope has {k}: {}",
            got.1
        );
    }
}

async fn api_error(api: &OpenApi) -> (u16, String) {
    match api
        .check_sms_verify_code(&CheckSmsVerifyCode::new(&phone(), "123456"))
        .await
    {
        Err(ClientError::Api { status, code, .. }) => (status, code),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_secret_an_unknown_key_and_a_disabled_key_are_refused() {
    let app = spawn_app().await;
    let wrong = OpenApi::new(&app.endpoint, &app.key_id, "not-the-secret");
    assert_eq!(
        api_error(&wrong).await,
        (400, "SignatureDoesNotMatch".into())
    );
    assert_eq!(
        api_error(&wrong.with_scheme(numgate_client::SignatureScheme::V1)).await,
        (400, "SignatureDoesNotMatch".into())
    );
    let unknown = OpenApi::new(&app.endpoint, "LTAInosuchkey00000000000", "x");
    assert_eq!(
        api_error(&unknown).await,
        (404, "InvalidAccessKeyId.NotFound".into())
    );

    // Disabled from a second handle on the data directory, as `numgate keys disable` does.
    let data = numgate_server::open_data_dir(&app.config).await.unwrap();
    assert!(data
        .store
        .set_access_key_enabled(&app.key_id, false)
        .await
        .unwrap());
    assert_eq!(
        api_error(&app.client()).await,
        (400, "InvalidAccessKeyId.Inactive".into())
    );
    assert!(data
        .store
        .set_access_key_enabled(&app.key_id, true)
        .await
        .unwrap());
    let r = app
        .client()
        .check_sms_verify_code(&CheckSmsVerifyCode::new(&phone(), "123456"))
        .await
        .unwrap();
    assert_eq!(r.code, "OK");
}

#[tokio::test]
async fn any_change_to_a_signed_request_breaks_its_signature() {
    let app = spawn_app().await;
    let p = params();
    let ok = v3(&app, "CheckSmsVerifyCode", &p, 0, &nonce());
    assert_eq!(send_raw(&app, &ok).await.0, 200);

    let mut changed = v3(&app, "CheckSmsVerifyCode", &p, 0, &nonce());
    changed.path_and_query = changed
        .path_and_query
        .replace("VerifyCode=123456", "VerifyCode=123457");
    assert_refused(send_raw(&app, &changed).await, 400, "SignatureDoesNotMatch");

    let mut header = v3(&app, "CheckSmsVerifyCode", &p, 0, &nonce());
    for (k, v) in header.headers.iter_mut() {
        if k.eq_ignore_ascii_case("x-acs-signature-nonce") {
            v.push('x');
        }
    }
    assert_refused(send_raw(&app, &header).await, 400, "SignatureDoesNotMatch");

    let mut body = v3(&app, "CheckSmsVerifyCode", &p, 0, &nonce());
    body.body.extend_from_slice(b"&x=1");
    assert_refused(send_raw(&app, &body).await, 400, "SignatureDoesNotMatch");

    let mut old = v1(&app, "CheckSmsVerifyCode", &p, 0, &nonce());
    old.path_and_query = old
        .path_and_query
        .replace("VerifyCode=123456", "VerifyCode=123457");
    old.body = String::from_utf8(old.body.clone())
        .unwrap()
        .replace("VerifyCode=123456", "VerifyCode=123457")
        .into_bytes();
    assert_refused(send_raw(&app, &old).await, 400, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn a_replayed_nonce_is_refused_also_after_a_restart() {
    let app = spawn_app().await;
    let p = params();
    let n = nonce();
    assert_eq!(
        send_raw(&app, &v3(&app, "CheckSmsVerifyCode", &p, 0, &n))
            .await
            .0,
        200
    );
    assert_refused(
        send_raw(&app, &v3(&app, "CheckSmsVerifyCode", &p, 0, &n)).await,
        400,
        "SignatureNonceUsed",
    );
    let n1 = nonce();
    assert_eq!(
        send_raw(&app, &v1(&app, "CheckSmsVerifyCode", &p, 0, &n1))
            .await
            .0,
        200
    );
    assert_refused(
        send_raw(&app, &v1(&app, "CheckSmsVerifyCode", &p, 0, &n1)).await,
        400,
        "SignatureNonceUsed",
    );

    let app = app.restart().await;
    assert_refused(
        send_raw(&app, &v3(&app, "CheckSmsVerifyCode", &p, 0, &n)).await,
        400,
        "SignatureNonceUsed",
    );
    assert_refused(
        send_raw(&app, &v1(&app, "CheckSmsVerifyCode", &p, 0, &n1)).await,
        400,
        "SignatureNonceUsed",
    );
    // The same nonce under the other scheme is the same nonce of the same key.
    assert_refused(
        send_raw(&app, &v1(&app, "CheckSmsVerifyCode", &p, 0, &n)).await,
        400,
        "SignatureNonceUsed",
    );
}

#[tokio::test]
async fn a_timestamp_sixteen_minutes_off_is_refused() {
    let app = spawn_app().await;
    let p = params();
    for skew in [-16 * 60, 16 * 60] {
        assert_refused(
            send_raw(&app, &v3(&app, "CheckSmsVerifyCode", &p, skew, &nonce())).await,
            400,
            "InvalidTimeStamp.Expired",
        );
        assert_refused(
            send_raw(&app, &v1(&app, "CheckSmsVerifyCode", &p, skew, &nonce())).await,
            400,
            "InvalidTimeStamp.Expired",
        );
    }
    for skew in [-14 * 60, 14 * 60] {
        assert_eq!(
            send_raw(&app, &v3(&app, "CheckSmsVerifyCode", &p, skew, &nonce()))
                .await
                .0,
            200
        );
    }
}

#[tokio::test]
async fn unknown_actions_and_versions_are_refused() {
    let app = spawn_app().await;
    let p = params();
    assert_refused(
        send_raw(&app, &v3(&app, "NoSuchAction", &p, 0, &nonce())).await,
        404,
        "InvalidAction.NotFound",
    );
    let at = chrono::Utc::now();
    let other = sign_v3(
        &app.key_id,
        &app.key_secret,
        &host(&app),
        "CheckSmsVerifyCode",
        "2099-01-01",
        &p,
        at,
        &nonce(),
    );
    assert_refused(send_raw(&app, &other).await, 400, "InvalidVersion");
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let r = reqwest::get(format!("{}{}", app.endpoint, path))
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn metrics_count_answers_by_action_and_code() {
    let app = spawn_app().await;
    let api = app.client();
    let r = api
        .check_sms_verify_code(&CheckSmsVerifyCode::new(&phone(), "123456"))
        .await
        .unwrap();
    assert_eq!(r.code, "OK");
    let unknown = OpenApi::new(&app.endpoint, "LTAInosuchkey00000000000", "x");
    let _ = unknown
        .check_sms_verify_code(&CheckSmsVerifyCode::new(&phone(), "123456"))
        .await;
    let text = reqwest::get(format!("{}/metrics", app.endpoint))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let count = |needle: &str| {
        text.lines()
            .find(|l| l.starts_with("numgate_requests_total{") && l.contains(needle))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    assert!(count(r#"code="OK""#) >= 1.0, "{text}");
    assert!(
        count(r#"code="InvalidAccessKeyId.NotFound""#) >= 1.0,
        "{text}"
    );
    assert!(text.contains("numgate_request_duration_seconds"), "{text}");
}
