//! The console's sms section, over HTTP and in headless Chromium.

use std::sync::Arc;

use numgate_client::{OpenApi, SendSmsVerifyCode};
use numgate_domain::clock::Clock;
use numgate_server::service::keys;
use numgate_server::{DataDir, DEFAULT_TENANT};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::console::PASSWORD;
use crate::console::{add_user, click, console_app, fill, signed_in_browser, wait_text, Browser};
use crate::helpers::{phone, TestApp, SIGN, TEMPLATE};

const CREDIT_CODE: &str = "91350100M000100Y43";

/// A signed-in console user and their CSRF token.
struct User {
    b: Browser,
    csrf: String,
    endpoint: String,
}

impl User {
    async fn sign_in(app: &TestApp, name: &str) -> User {
        let mut b = Browser::new(app);
        assert_eq!(b.sign_in(name, PASSWORD).await.0, StatusCode::SEE_OTHER);
        let (status, me) = b.json("/console/api/me").await;
        assert_eq!(status, StatusCode::OK);
        User {
            b,
            csrf: me["csrf_token"].as_str().unwrap().to_owned(),
            endpoint: app.endpoint.clone(),
        }
    }

    async fn get(&mut self, path: &str) -> (StatusCode, Value) {
        self.b.json(path).await
    }

    /// A JSON POST, with the CSRF header when `csrf`.
    async fn post_with(&mut self, path: &str, body: &Value, csrf: bool) -> (StatusCode, Value) {
        let mut req = reqwest::Client::new()
            .post(format!("{}{path}", self.endpoint))
            .header("cookie", self.b.cookie_header())
            .json(body);
        if csrf {
            req = req.header("x-csrf-token", &self.csrf);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn post(&mut self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.post_with(path, body, true).await
    }
}

fn complete_signature(name: &str) -> Value {
    json!({
        "name": name,
        "purpose": "own",
        "owner_name": "鲸落科技有限公司",
        "owner_id_number": CREDIT_CODE,
        "contact_phone": "13800138000",
    })
}

async fn catalog(u: &mut User, query: &str) -> Value {
    let (status, c) = u.get(&format!("/console/api/sms/catalog{query}")).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    c
}

fn find<'a>(list: &'a Value, field: &str, value: &str) -> Option<&'a Value> {
    list.as_array()
        .unwrap()
        .iter()
        .find(|x| x[field].as_str() == Some(value))
}

async fn audit_actions(data: &DataDir, tenant: &str) -> Vec<(String, String, String)> {
    let t = data.store.find_tenant(tenant).await.unwrap().unwrap();
    let mut v: Vec<_> = data
        .store
        .list_audit(t.id, 100, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("sms_"))
        .map(|e| (e.action, e.actor, e.target))
        .collect();
    v.reverse();
    v
}

/// An Open API client of another tenant (created with its catalog).
async fn tenant_client(app: &TestApp, data: &DataDir, name: &str) -> OpenApi {
    let t = data
        .store
        .ensure_tenant(name, app.clock.now_millis())
        .await
        .unwrap();
    let key = keys::create(
        data.store.as_ref(),
        &data.master_key.secret_box(),
        t.id,
        app.clock.now_millis(),
    )
    .await
    .unwrap();
    let clock = app.clock.clone();
    OpenApi::new(&app.endpoint, &key.id, &key.secret).with_time_source(Arc::new(move || {
        chrono::DateTime::from_timestamp_millis(clock.now_millis()).expect("a valid time")
    }))
}

/// Sends a code; (its error code, its BizId).
async fn send(api: &OpenApi, p: &str, sign: &str, template: &str) -> (String, Option<String>) {
    let r = api
        .send_sms_verify_code(&SendSmsVerifyCode::new(p, sign, template))
        .await
        .expect("send");
    (r.code, r.body.model.and_then(|m| m.biz_id))
}

#[tokio::test]
async fn the_catalog_marks_the_complimentary_signatures_and_templates() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let mut alice = User::sign_in(&app, "alice").await;
    let c = catalog(&mut alice, "").await;
    let sigs = c["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 4);
    assert!(sigs
        .iter()
        .all(|s| s["complimentary"] == true && s["status"] == "approved"));
    let tpls = c["templates"].as_array().unwrap();
    assert_eq!(tpls.len(), 5);
    assert_eq!(
        find(&c["templates"], "code", "100001").unwrap()["complimentary"],
        true
    );
    // The page itself loads its script and strings in both languages.
    let (status, html) = alice.b.text("/console/sms?lang=zh-CN").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("sms_tab_records") && html.contains("发送记录"));
}

#[tokio::test]
async fn a_bad_submission_is_refused_with_a_clear_error_and_changes_nothing() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let mut alice = User::sign_in(&app, "alice").await;
    let before = catalog(&mut alice, "").await;

    let bad_signatures = [
        (json!({"name": "A", "purpose": "own"}), "sms_invalid_name"),
        (
            json!({"name": "12345", "purpose": "own"}),
            "sms_invalid_name",
        ),
        (
            json!({"name": "鲸落 科技", "purpose": "own"}),
            "sms_invalid_name",
        ),
        (
            json!({"name": "鲸落科技", "purpose": "x"}),
            "sms_invalid_purpose",
        ),
        (
            json!({"name": "鲸落科技", "purpose": "own", "owner_id_number": "91350100M000100Y44"}),
            "sms_invalid_owner_id_number",
        ),
        (
            json!({"name": "鲸落科技", "purpose": "own", "contact_phone": "12345"}),
            "sms_invalid_contact_phone",
        ),
        // An approved (complimentary) signature cannot be submitted again.
        (complete_signature(SIGN), "sms_exists"),
    ];
    for (body, code) in bad_signatures {
        let (status, e) = alice.post("/console/api/sms/signatures", &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(e["error"], code, "{body}: {e}");
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    let bad_templates = [
        (
            json!({"name": "登录", "template_type": "0", "content": "验证码${code，请勿告知他人"}),
            "sms_invalid_content",
        ),
        (
            json!({"name": "登录", "template_type": "0", "content": "验证码${1a}"}),
            "sms_invalid_content",
        ),
        (
            json!({"name": "登录", "template_type": "0", "content": "没有验证码变量"}),
            "sms_invalid_content",
        ),
        (
            json!({"name": "", "template_type": "0", "content": "验证码${code}"}),
            "sms_invalid_name",
        ),
        (
            json!({"name": "登录", "template_type": "9", "content": "验证码${code}"}),
            "sms_invalid_template_type",
        ),
    ];
    for (body, code) in bad_templates {
        let (status, e) = alice.post("/console/api/sms/templates", &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(e["error"], code, "{body}: {e}");
    }
    assert_eq!(catalog(&mut alice, "").await, before);
    assert!(audit_actions(&data, DEFAULT_TENANT).await.is_empty());
}

#[tokio::test]
async fn submissions_and_reviews_need_the_csrf_token() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    add_user(&app, &data, "root", None).await;
    let mut alice = User::sign_in(&app, "alice").await;
    let before = catalog(&mut alice, "").await;
    let (status, _) = alice
        .post_with(
            "/console/api/sms/signatures",
            &complete_signature("鲸落科技"),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = alice
        .post_with(
            "/console/api/sms/templates",
            &json!({"name": "登录", "template_type": "0", "content": "验证码${code}"}),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(catalog(&mut alice, "").await, before);

    let (status, _) = alice
        .post(
            "/console/api/sms/signatures",
            &complete_signature("鲸落科技"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut root = User::sign_in(&app, "root").await;
    let (status, _) = root
        .post_with(
            "/console/api/sms/signatures/review",
            &json!({"key": "鲸落科技", "decision": "approve"}),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let c = catalog(&mut root, "").await;
    assert_eq!(
        find(&c["signatures"], "name", "鲸落科技").unwrap()["status"],
        "pending"
    );
    // Without a session at all: 401.
    let res = reqwest::Client::new()
        .get(format!(
            "{}/console/api/sms/records?phone=13800138000",
            app.endpoint
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn only_the_operator_approves_and_a_signature_needs_its_owner_details() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    add_user(&app, &data, "root", None).await;
    let mut alice = User::sign_in(&app, "alice").await;
    let mut root = User::sign_in(&app, "root").await;

    // Submitted without the owner's registration: pending.
    let (status, sig) = alice
        .post(
            "/console/api/sms/signatures",
            &json!({"name": "鲸落科技", "purpose": "own"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sig}");
    assert_eq!(sig["status"], "pending");
    assert_eq!(sig["complimentary"], false);
    assert_eq!(sig["submitted_by"], "console:alice");
    let approve = json!({"key": "鲸落科技", "decision": "approve"});

    // A tenant user cannot approve, not even their own.
    let (status, _) = alice
        .post("/console/api/sms/signatures/review", &approve)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The operator cannot approve it without the owner's details.
    let (status, e) = root
        .post("/console/api/sms/signatures/review", &approve)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"], "sms_owner_incomplete", "{e}");
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("registration details"));

    // Completed by submitting it again; a review of the old submission is refused.
    app.clock.advance_secs(5);
    let (status, again) = alice
        .post(
            "/console/api/sms/signatures",
            &complete_signature("鲸落科技"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let stale =
        json!({"key": "鲸落科技", "decision": "approve", "submitted_at": sig["submitted_at"]});
    let (status, e) = root
        .post("/console/api/sms/signatures/review", &stale)
        .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("sms_not_pending"))
    );
    let (status, approved) = root
        .post(
            "/console/api/sms/signatures/review",
            &json!({"key": "鲸落科技", "decision": "approve", "submitted_at": again["submitted_at"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["reviewed_by"], "console:root");
    // Decided once.
    let (status, e) = root
        .post("/console/api/sms/signatures/review", &approve)
        .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("sms_not_pending"))
    );

    // A template: a rejection needs a reason.
    let (status, tpl) = alice
        .post(
            "/console/api/sms/templates",
            &json!({"name": "登录验证", "template_type": "0",
                    "content": "您的登录验证码为${code}，${min}分钟内有效。", "remark": "app"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tpl}");
    let code = tpl["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("SMS_"), "{code}");
    assert_eq!(tpl["status"], "pending");
    let (status, _) = alice
        .post(
            "/console/api/sms/templates/review",
            &json!({"key": code, "decision": "reject", "reason": "no"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, e) = root
        .post(
            "/console/api/sms/templates/review",
            &json!({"key": code, "decision": "reject", "reason": " "}),
        )
        .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("sms_invalid_reason"))
    );
    let (status, rejected) = root
        .post(
            "/console/api/sms/templates/review",
            &json!({"key": code, "decision": "reject", "reason": "the purpose is unclear"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    assert_eq!(rejected["status"], "rejected");
    let c = catalog(&mut alice, "").await;
    let shown = find(&c["templates"], "code", &code).unwrap();
    assert_eq!(shown["reason"], "the purpose is unclear");

    // Every change is audited, by whom and what.
    assert_eq!(
        audit_actions(&data, DEFAULT_TENANT).await,
        vec![
            (
                "sms_signature.submit".into(),
                "console:alice".into(),
                "signature 鲸落科技".into()
            ),
            (
                "sms_signature.submit".into(),
                "console:alice".into(),
                "signature 鲸落科技".into()
            ),
            (
                "sms_signature.approve".into(),
                "console:root".into(),
                "signature 鲸落科技".into()
            ),
            (
                "sms_template.submit".into(),
                "console:alice".into(),
                format!("template {code}")
            ),
            (
                "sms_template.reject".into(),
                "console:root".into(),
                format!("template {code}")
            ),
        ]
    );
}

#[tokio::test]
async fn an_approved_custom_signature_and_template_send_through_the_open_api() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    add_user(&app, &data, "root", None).await;
    let mut alice = User::sign_in(&app, "alice").await;
    let mut root = User::sign_in(&app, "root").await;
    let api = app.client();

    let (status, _) = alice
        .post(
            "/console/api/sms/signatures",
            &complete_signature("鲸落科技"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, tpl) = alice
        .post(
            "/console/api/sms/templates",
            &json!({"name": "登录验证", "template_type": "0",
                    "content": "鲸落登录验证码${code}，${min}分钟内有效。"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let code = tpl["code"].as_str().unwrap().to_owned();

    // Pending: refused with the documented codes.
    assert_eq!(
        send(&api, &phone(), "鲸落科技", TEMPLATE).await.0,
        "isv.SMS_SIGNATURE_ILLEGAL"
    );
    assert_eq!(
        send(&api, &phone(), SIGN, &code).await.0,
        "isv.SMS_TEMPLATE_ILLEGAL"
    );

    let (status, _) = root
        .post(
            "/console/api/sms/signatures/review",
            &json!({"key": "鲸落科技", "decision": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let p = phone();
    assert_eq!(send(&api, &p, "鲸落科技", TEMPLATE).await.0, "OK");
    // Still pending: the template is refused, with the approved signature too.
    assert_eq!(
        send(&api, &phone(), "鲸落科技", &code).await.0,
        "isv.SMS_TEMPLATE_ILLEGAL"
    );
    let (status, _) = root
        .post(
            "/console/api/sms/templates/review",
            &json!({"key": code, "decision": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let q = phone();
    assert_eq!(send(&api, &q, "鲸落科技", &code).await.0, "OK");
    // The message went out with them (the development outbox).
    let code_sent = crate::helpers::texted_code(&app, &q).await;
    let (status, out) = alice
        .get(&format!("/console/api/sms/outbox?phone={q}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = out["messages"][0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("【鲸落科技】鲸落登录验证码") && text.contains(&code_sent),
        "{text}"
    );
}

#[tokio::test]
async fn a_tenant_never_sees_another_tenants_records_outbox_or_submissions() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let globex = tenant_client(&app, &data, "globex").await;
    add_user(&app, &data, "bob", Some("globex")).await;
    add_user(&app, &data, "root", None).await;
    let mut alice = User::sign_in(&app, "alice").await;
    let mut bob = User::sign_in(&app, "bob").await;
    let mut root = User::sign_in(&app, "root").await;

    // One number gets a code from each tenant.
    let p = phone();
    let (ok, alice_biz) = send(&app.client(), &p, SIGN, TEMPLATE).await;
    assert_eq!(ok, "OK");
    app.clock.advance_secs(61);
    let (ok, bob_biz) = send(&globex, &p, SIGN, TEMPLATE).await;
    assert_eq!(ok, "OK");
    let (alice_biz, bob_biz) = (alice_biz.unwrap(), bob_biz.unwrap());
    crate::helpers::texted_code(&app, &p).await;
    let (status, alice_sig) = alice
        .post(
            "/console/api/sms/signatures",
            &complete_signature("鲸落科技"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{alice_sig}");

    // Records: each sees its own only, also asking by the other's BizId.
    for (u, own, other) in [
        (&mut alice, &alice_biz, &bob_biz),
        (&mut bob, &bob_biz, &alice_biz),
    ] {
        let (status, r) = u.get(&format!("/console/api/sms/records?phone={p}")).await;
        assert_eq!(status, StatusCode::OK, "{r}");
        let bizs: Vec<_> = r["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["biz_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(bizs, vec![own.clone()]);
        let (_, r) = u
            .get(&format!(
                "/console/api/sms/records?phone={p}&biz_id={}",
                urlencode(other)
            ))
            .await;
        assert_eq!(r["total"], 0, "{r}");
    }
    // Outbox: bob's holds only globex's messages (wait for its message first).
    let mut bob_outbox = Value::Null;
    for _ in 0..100 {
        let (_, o) = bob.get("/console/api/sms/outbox").await;
        if !o["messages"].as_array().unwrap().is_empty() {
            bob_outbox = o;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let msgs = bob_outbox["messages"].as_array().expect("bob's message");
    assert!(
        msgs.iter().all(|m| m["biz_id"] == bob_biz.as_str()),
        "{bob_outbox}"
    );
    let (_, o) = alice
        .get(&format!("/console/api/sms/outbox?phone={p}"))
        .await;
    let msgs = o["messages"].as_array().unwrap();
    assert!(
        !msgs.is_empty() && msgs.iter().all(|m| m["biz_id"] == alice_biz.as_str()),
        "{o}"
    );

    // Submissions: bob sees none of alice's, may not name her tenant, nor review.
    let c = catalog(&mut bob, "").await;
    assert!(find(&c["signatures"], "name", "鲸落科技").is_none());
    for path in [
        "/console/api/sms/catalog?tenant=default",
        "/console/api/sms/outbox?tenant=default",
    ] {
        assert_eq!(bob.get(path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        bob.get(&format!(
            "/console/api/sms/records?tenant=default&phone={p}"
        ))
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (status, _) = bob
        .post(
            "/console/api/sms/signatures/review?tenant=default",
            &json!({"key": "鲸落科技", "decision": "reject", "reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The operator reviews in the chosen tenant: globex has no such submission.
    let c = catalog(&mut root, "?tenant=globex").await;
    assert!(find(&c["signatures"], "name", "鲸落科技").is_none());
    let (status, e) = root
        .post(
            "/console/api/sms/signatures/review?tenant=globex",
            &json!({"key": "鲸落科技", "decision": "approve"}),
        )
        .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("sms_not_pending"))
    );
    let c = catalog(&mut alice, "").await;
    assert_eq!(
        find(&c["signatures"], "name", "鲸落科技").unwrap()["status"],
        "pending"
    );
}

fn urlencode(s: &str) -> String {
    s.replace('^', "%5E")
}

#[tokio::test]
async fn send_records_are_searched_by_number_date_and_biz_id() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let mut alice = User::sign_in(&app, "alice").await;
    let p = phone();
    let (ok, biz) = send(&app.client(), &p, SIGN, TEMPLATE).await;
    assert_eq!(ok, "OK");
    let biz = biz.unwrap();
    app.clock.advance_secs(61);
    assert_eq!(send(&app.client(), &p, SIGN, TEMPLATE).await.0, "OK");

    for (query, code) in [
        ("", "sms_invalid_phone"),
        ("?phone=12", "sms_invalid_phone"),
        ("?phone=13800138000&date=2024-13-01", "sms_invalid_date"),
    ] {
        let (status, e) = alice.get(&format!("/console/api/sms/records{query}")).await;
        assert_eq!(
            (status, e["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{query}"
        );
    }
    // The BizId rule is QuerySendDetails's own, with its code.
    let long = "9".repeat(65);
    let (status, e) = alice
        .get(&format!("/console/api/sms/records?phone={p}&biz_id={long}"))
        .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("isv.INVALID_PARAMETERS"))
    );

    let (status, r) = alice
        .get(&format!("/console/api/sms/records?phone={p}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["total"], 2);
    let first = &r["records"].as_array().unwrap()[1];
    assert_eq!(first["biz_id"], biz.as_str());
    // As QuerySendDetails shows it: the code masked.
    let content = first["content"].as_str().unwrap();
    assert!(
        content.starts_with("【速通互联验证码】您的验证码为******"),
        "{content}"
    );
    assert_eq!(first["template_code"], TEMPLATE);
    assert!(first["send_date"].as_str().is_some());
    let (_, r) = alice
        .get(&format!(
            "/console/api/sms/records?phone=%2B86{p}&biz_id={}",
            urlencode(&biz)
        ))
        .await;
    assert_eq!(r["total"], 1, "{r}");
    assert_eq!(r["records"][0]["biz_id"], biz.as_str());
    let today = r["date"].as_str().unwrap().to_owned();
    let yesterday = (chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap()
        - chrono::Days::new(1))
    .format("%Y-%m-%d")
    .to_string();
    let (_, r) = alice
        .get(&format!(
            "/console/api/sms/records?phone={p}&date={yesterday}"
        ))
        .await;
    assert_eq!(r["total"], 0, "{r}");
    let (_, r) = alice
        .get(&format!(
            "/console/api/sms/records?phone={p}&date={}",
            today.replace('-', "")
        ))
        .await;
    assert_eq!(r["total"], 2, "{r}");
}

/// Acceptance: a code sent through the Open API is found in the console. The
/// send records show the content as QuerySendDetails does, code masked; the
/// code itself is in the outbox tab (the development outbox).
#[tokio::test]
async fn a_sent_code_is_found_in_the_send_records_and_the_outbox() {
    let Some(path) = crate::browser::chromedriver() else {
        return;
    };
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let p = phone();
    let r = app
        .client()
        .send_sms_verify_code(&SendSmsVerifyCode::new(&p, SIGN, TEMPLATE))
        .await
        .unwrap();
    assert_eq!(r.code, "OK", "{}", r.message);
    let biz = r.body.model.unwrap().biz_id.unwrap();
    let code = crate::helpers::texted_code(&app, &p).await;

    let (_driver, c, _profile) = signed_in_browser(&path, &app, "alice").await;
    click(&c, "#nav-sms").await;
    wait_text(&c, "#heading", |t| t == "SMS").await;
    wait_text(&c, "#sms-signatures", |t| t.contains("complimentary")).await;
    click(&c, "#sms-tab-records").await;
    fill(&c, "#sms-records-phone", &p).await;
    click(&c, "#sms-records-search").await;
    wait_text(&c, "#sms-records-total", |t| t.starts_with("1 record")).await;
    let row = wait_text(&c, "#sms-records tbody", |t| t.contains(&biz)).await;
    assert!(
        row.contains("【速通互联验证码】您的验证码为******"),
        "{row}"
    );
    assert!(!row.contains(&code), "the records mask the code: {row}");

    // By BizId too; another BizId finds nothing.
    fill(&c, "#sms-records-biz", &biz).await;
    click(&c, "#sms-records-search").await;
    wait_text(&c, "#sms-records tbody", |t| t.contains(&biz)).await;
    fill(&c, "#sms-records-biz", "000000000000000000^0").await;
    click(&c, "#sms-records-search").await;
    wait_text(&c, "#sms-records-total", |t| t.starts_with("0 record")).await;

    // The code itself is in the development outbox.
    click(&c, "#sms-tab-outbox").await;
    wait_text(&c, "#sms-outbox tbody", |t| t.contains(&biz)).await;
    fill(&c, "#sms-outbox-phone", &p).await;
    click(&c, "#sms-outbox-search").await;
    let text = wait_text(&c, "#sms-outbox tbody", |t| t.contains(&biz)).await;
    assert!(text.contains(&format!("您的验证码为{code}")), "{text}");
    c.close().await.unwrap();
}

/// A tenant user submits a signature in the dialog (a refused one comes back
/// with what was typed and why); the operator approves it on the approval tab.
#[tokio::test]
async fn a_signature_is_submitted_and_approved_in_the_browser() {
    let Some(path) = crate::browser::chromedriver() else {
        return;
    };
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    add_user(&app, &data, "root", None).await;

    let (_driver, c, _profile) = signed_in_browser(&path, &app, "alice").await;
    click(&c, "#nav-sms").await;
    wait_text(&c, "#sms-signatures", |t| t.contains("complimentary")).await;
    assert!(
        c.find(fantoccini::Locator::Css("#sms-tab-review"))
            .await
            .is_err(),
        "a tenant user has no approval tab"
    );
    click(&c, "#sms-new-signature").await;
    fill(&c, "#sms-signature-dialog-name", "鲸落科技").await;
    fill(&c, "#sms-signature-dialog-owner_name", "鲸落科技有限公司").await;
    fill(
        &c,
        "#sms-signature-dialog-owner_id_number",
        "91350100M000100Y44",
    )
    .await;
    fill(&c, "#sms-signature-dialog-contact_phone", "13800138000").await;
    click(&c, "#sms-signature-dialog-save").await;
    wait_text(&c, "#sms-signature-dialog-error", |t| {
        t.contains("credit code or ID number is not valid")
    })
    .await;
    fill(&c, "#sms-signature-dialog-owner_id_number", CREDIT_CODE).await;
    click(&c, "#sms-signature-dialog-save").await;
    wait_text(&c, "#sms-signatures", |t| {
        t.contains("鲸落科技") && t.contains("pending")
    })
    .await;
    c.close().await.unwrap();

    let (_driver, c, _profile) = signed_in_browser(&path, &app, "root").await;
    click(&c, "#nav-sms").await;
    click(&c, "#sms-tab-review").await;
    wait_text(&c, "#sms-pending-signatures", |t| t.contains("鲸落科技")).await;
    click(&c, "#sms-approve-signature-0").await;
    wait_text(&c, "#sms-pending-signatures tbody", |t| {
        !t.contains("鲸落科技")
    })
    .await;
    click(&c, "#sms-tab-signatures").await;
    wait_text(&c, "#sms-signatures", |t| {
        t.contains("鲸落科技") && !t.contains("pending")
    })
    .await;
    c.close().await.unwrap();
    let sig = data
        .store
        .find_signature(
            data.store
                .find_tenant(DEFAULT_TENANT)
                .await
                .unwrap()
                .unwrap()
                .id,
            "鲸落科技",
        )
        .await
        .unwrap()
        .unwrap();
    assert!(sig.approved);
}
