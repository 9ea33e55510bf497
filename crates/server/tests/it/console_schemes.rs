//! The console's schemes section, over HTTP and in headless Chromium: the
//! tenant's verification and Fusion-Auth schemes listed, created, changed and
//! deleted with the Open API's rules, each change audited; CSRF and tenant
//! scoping; and the Open API's own scheme changes audited with their AccessKey.

use std::collections::BTreeMap;

use numgate_client::{CreateVerifyScheme, OpenApi};
use numgate_domain::clock::Clock;
use numgate_server::service::keys;
use numgate_server::{DataDir, DEFAULT_TENANT};
use numgate_store::AuditRecord;
use reqwest::header::COOKIE;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::console::PASSWORD;
use crate::console::{add_user, click, console_app, fill, signed_in_browser, wait_text, Browser};
use crate::helpers::TestApp;

const SIGN: &str = "0123456789abcdef0123456789abcdef";

/// A signed-in console user's HTTP stand-in and the session's CSRF token.
pub(crate) async fn signed_in(app: &TestApp, name: &str) -> (Browser, String) {
    let mut b = Browser::new(app);
    assert_eq!(b.sign_in(name, PASSWORD).await.0, StatusCode::SEE_OTHER);
    let (status, me) = b.json("/console/api/me").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    (b, csrf)
}

/// A console API call with a JSON body, as the pages' script makes it (with the
/// CSRF header when `csrf` is given); the status and the JSON answer.
pub(crate) async fn api(
    app: &TestApp,
    b: &Browser,
    method: Method,
    path: &str,
    body: Value,
    csrf: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", app.endpoint))
        .header(COOKIE, b.cookie_header())
        .json(&body);
    if let Some(t) = csrf {
        req = req.header("x-csrf-token", t);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The tenant's audit log, oldest first.
pub(crate) async fn audit_of(data: &DataDir, tenant: &str) -> Vec<AuditRecord> {
    let t = data.store.find_tenant(tenant).await.unwrap().unwrap();
    let mut rows = data.store.list_audit(t.id, 500, None).await.unwrap();
    rows.reverse();
    rows
}

fn actions(rows: &[AuditRecord]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|r| (r.actor.clone(), r.action.clone(), r.target.clone()))
        .collect()
}

/// The codes the console lists for the session's tenant.
async fn listed(b: &mut Browser) -> Vec<Value> {
    let (status, v) = b.json("/console/api/schemes").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["schemes"].as_array().unwrap().clone()
}

fn android_form(name: &str, pack: &str) -> Value {
    json!({
        "kind": "verify",
        "name": name,
        "app_name": "Acme",
        "os_type": "Android",
        "pack_name": pack,
        "pack_sign": SIGN,
        "bundle_id": "",
        "url": "",
    })
}

async fn describe(api: &OpenApi, code: &str) -> Result<String, String> {
    match api.describe_verify_scheme(code).await {
        Ok(r) if r.is_ok() => Ok(r
            .body
            .scheme_query_result_dto
            .map(|d| d.app_encrypt_info)
            .unwrap_or_default()),
        Ok(r) => Err(r.code),
        Err(numgate_client::ClientError::Api { code, .. }) => Err(code),
        Err(e) => Err(e.to_string()),
    }
}

#[tokio::test]
async fn a_verification_scheme_is_created_changed_and_deleted_in_the_console_each_change_audited() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let (mut b, csrf) = signed_in(&app, "alice").await;

    let (status, created) = api(
        &app,
        &b,
        Method::POST,
        "/console/api/schemes",
        android_form("login", "com.acme.app"),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let code = created["scheme"]["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("FC") && code.len() == 17, "{code}");
    let all = listed(&mut b).await;
    assert_eq!(all.len(), 1);
    let s = &all[0];
    assert_eq!(
        (
            &s["code"],
            &s["kind"],
            &s["name"],
            &s["os_type"],
            &s["pack_name"],
            &s["pack_sign"]
        ),
        (
            &json!(code),
            &json!("verify"),
            &json!("login"),
            &json!("Android"),
            &json!("com.acme.app"),
            &json!(SIGN)
        )
    );
    assert_eq!(s["created_at"], app.clock.now_millis());
    // The Open API knows it: the same scheme, whoever created it.
    let before = describe(&app.client(), &code).await.expect("described");

    // A change of name and app identity; the key material stays.
    let (status, changed) = api(
        &app,
        &b,
        Method::POST,
        &format!("/console/api/schemes/verify/{code}"),
        json!({"name": "login2", "app_name": "Acme 2", "pack_name": "com.acme.app2",
               "pack_sign": "F".repeat(32)}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let stored = data
        .store
        .list_schemes(
            data.store
                .find_tenant(DEFAULT_TENANT)
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (
            stored[0].name.as_str(),
            stored[0].app_name.as_str(),
            stored[0].pack_name.as_deref(),
            stored[0].pack_sign.as_deref(),
            stored[0].os_type.as_str()
        ),
        (
            "login2",
            "Acme 2",
            Some("com.acme.app2"),
            Some("f".repeat(32).as_str()),
            "Android"
        )
    );
    assert_eq!(describe(&app.client(), &code).await, Ok(before));

    let (status, _) = api(
        &app,
        &b,
        Method::DELETE,
        &format!("/console/api/schemes/verify/{code}"),
        Value::Null,
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(listed(&mut b).await.is_empty());
    assert_eq!(
        describe(&app.client(), &code).await,
        Err("isv.VERIFY_SCHEME_NOT_EXIST".into())
    );

    let log = audit_of(&data, DEFAULT_TENANT).await;
    let target = format!("scheme {code}");
    assert_eq!(
        actions(&log),
        [
            (
                "console:alice".into(),
                "scheme.create".into(),
                target.clone()
            ),
            (
                "console:alice".into(),
                "scheme.update".into(),
                target.clone()
            ),
            ("console:alice".into(), "scheme.delete".into(), target),
        ]
    );
    let after: Value = serde_json::from_str(log[1].after.as_deref().unwrap()).unwrap();
    let was: Value = serde_json::from_str(log[1].before.as_deref().unwrap()).unwrap();
    assert_eq!(
        (&was["SchemeName"], &after["SchemeName"]),
        (&json!("login"), &json!("login2"))
    );
    assert_eq!(after["PackName"], "com.acme.app2");
    assert!(log[2].after.is_none() && log[2].before.is_some());
    // Never the scheme's key material.
    for r in &log {
        for text in [&r.before, &r.after].into_iter().flatten() {
            assert!(!text.to_lowercase().contains("secret"), "{text}");
        }
    }
}

#[tokio::test]
async fn a_fusion_auth_scheme_is_created_changed_and_deleted_in_the_console_each_change_audited() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let (mut b, csrf) = signed_in(&app, "alice").await;

    let (status, created) = api(
        &app,
        &b,
        Method::POST,
        "/console/api/schemes",
        json!({"kind": "fusion", "name": "web", "app_name": "Shop", "os_type": "Web",
               "url": "https://shop.acme.example/login", "origin": "https://shop.acme.example"}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let code = created["scheme"]["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("FA"), "{code}");
    let all = listed(&mut b).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["kind"], "fusion");
    assert_eq!(all[0]["origin"], "https://shop.acme.example");

    // The Platform stays; the rules are CreateSchemeConfig's.
    let (status, refused) = api(
        &app,
        &b,
        Method::POST,
        &format!("/console/api/schemes/fusion/{code}"),
        json!({"name": "web", "app_name": "Shop", "os_type": "iOS", "bundle_id": "com.acme"}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    let (status, refused) = api(
        &app,
        &b,
        Method::POST,
        &format!("/console/api/schemes/fusion/{code}"),
        json!({"name": "web", "app_name": "Shop", "url": "https://a.example/", "origin": "https://b.example"}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["error"], "isv.INVALID_PARAMETERS", "{refused}");

    let (status, changed) = api(
        &app,
        &b,
        Method::POST,
        &format!("/console/api/schemes/fusion/{code}"),
        json!({"name": "web2", "app_name": "Shop", "url": "https://m.acme.example/", "origin": "https://m.acme.example"}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let t = data
        .store
        .find_tenant(DEFAULT_TENANT)
        .await
        .unwrap()
        .unwrap();
    let stored = data
        .store
        .find_fusion_scheme(t.id, &code)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            stored.name.as_str(),
            stored.h5_origin.as_deref(),
            stored.platform.as_str()
        ),
        ("web2", Some("https://m.acme.example"), "Web")
    );

    let (status, _) = api(
        &app,
        &b,
        Method::DELETE,
        &format!("/console/api/schemes/fusion/{code}"),
        Value::Null,
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(listed(&mut b).await.is_empty());
    let target = format!("scheme {code}");
    assert_eq!(
        actions(&audit_of(&data, DEFAULT_TENANT).await),
        [
            (
                "console:alice".into(),
                "fusion_scheme.create".into(),
                target.clone()
            ),
            (
                "console:alice".into(),
                "fusion_scheme.update".into(),
                target.clone()
            ),
            (
                "console:alice".into(),
                "fusion_scheme.delete".into(),
                target
            ),
        ]
    );
}

#[tokio::test]
async fn invalid_scheme_forms_get_the_open_apis_errors_and_change_nothing() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let (mut b, csrf) = signed_in(&app, "alice").await;
    let (status, first) = api(
        &app,
        &b,
        Method::POST,
        "/console/api/schemes",
        android_form("login", "com.acme.app"),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let code = first["scheme"]["code"].as_str().unwrap().to_owned();
    let stored_before = listed(&mut b).await;
    let audit_before = audit_of(&data, DEFAULT_TENANT).await.len();

    let mut bad_sign = android_form("other", "com.acme.other");
    bad_sign["pack_sign"] = json!("not-hex");
    let mut no_name = android_form("", "com.acme.other");
    no_name["name"] = json!("");
    let mut bad_os = android_form("other", "com.acme.other");
    bad_os["os_type"] = json!("Windows");
    let mut ios_without_bundle = android_form("other", "com.acme.other");
    ios_without_bundle["os_type"] = json!("iOS");
    let web_mismatch = json!({"name": "w", "app_name": "A", "os_type": "Web",
        "url": "https://a.example/", "origin": "https://b.example"});
    let mut bad_email = android_form("other", "com.acme.other");
    bad_email["email"] = json!("ops");
    let mut bad_api_code = android_form("other", "com.acme.other");
    bad_api_code["cm_api_code"] = json!("twelve");
    let mut bad_kind = android_form("other", "com.acme.other");
    bad_kind["kind"] = json!("sms");
    for (form, error) in [
        (bad_sign, "isv.INVALID_PARAMETERS"),
        (no_name, "MissingSchemeName"),
        (bad_os, "isv.INVALID_PARAMETERS"),
        (ios_without_bundle, "isv.INVALID_PARAMETERS"),
        (web_mismatch, "isv.INVALID_PARAMETERS"),
        (bad_email, "isv.INVALID_PARAMETERS"),
        (bad_api_code, "InvalidParameter"),
        (bad_kind, "InvalidParameter"),
        // The name, then the app, of an existing scheme: Alibaba's conflicts.
        (
            android_form("login", "com.acme.other"),
            "isv.VERIFY_SCHEME_CONFLICT",
        ),
        (
            android_form("other", "com.acme.app"),
            "isv.PACK_SIGN_CONFLICT",
        ),
    ] {
        let (status, body) = api(
            &app,
            &b,
            Method::POST,
            "/console/api/schemes",
            form.clone(),
            Some(&csrf),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}: {body}");
        assert_eq!(body["error"], error, "{form}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    // Changes: a bad identity, another OS type, an unknown code.
    for (path, form, error) in [
        (
            format!("/console/api/schemes/verify/{code}"),
            json!({"name": "login", "app_name": "Acme", "pack_name": "com acme", "pack_sign": SIGN}),
            "isv.INVALID_PARAMETERS",
        ),
        (
            format!("/console/api/schemes/verify/{code}"),
            json!({"name": "login", "app_name": "Acme", "os_type": "iOS", "bundle_id": "com.acme"}),
            "isv.INVALID_PARAMETERS",
        ),
        (
            format!("/console/api/schemes/verify/{code}"),
            json!({"name": "x".repeat(21), "app_name": "Acme", "pack_name": "com.acme.app", "pack_sign": SIGN}),
            "isv.INVALID_PARAMETERS",
        ),
        (
            "/console/api/schemes/verify/FC000000000000000".to_owned(),
            android_form("login", "com.acme.app"),
            "isv.VERIFY_SCHEME_NOT_EXIST",
        ),
    ] {
        let (status, body) = api(&app, &b, Method::POST, &path, form.clone(), Some(&csrf)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}: {body}");
        assert_eq!(body["error"], error, "{form}: {body}");
    }
    let (status, body) = api(
        &app,
        &b,
        Method::DELETE,
        "/console/api/schemes/verify/FC000000000000000",
        Value::Null,
        Some(&csrf),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("isv.VERIFY_SCHEME_NOT_EXIST"))
    );

    assert_eq!(listed(&mut b).await, stored_before);
    assert_eq!(audit_of(&data, DEFAULT_TENANT).await.len(), audit_before);
}

#[tokio::test]
async fn scheme_changes_without_the_csrf_token_are_refused_and_change_nothing() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let (mut b, csrf) = signed_in(&app, "alice").await;
    let (_, first) = api(
        &app,
        &b,
        Method::POST,
        "/console/api/schemes",
        android_form("login", "com.acme.app"),
        Some(&csrf),
    )
    .await;
    let code = first["scheme"]["code"].as_str().unwrap().to_owned();
    let stored_before = listed(&mut b).await;
    let audit_before = audit_of(&data, DEFAULT_TENANT).await.len();

    for token in [None, Some("forged")] {
        for (method, path, body) in [
            (
                Method::POST,
                "/console/api/schemes".to_owned(),
                android_form("other", "com.acme.other"),
            ),
            (
                Method::POST,
                format!("/console/api/schemes/verify/{code}"),
                android_form("renamed", "com.acme.app"),
            ),
            (
                Method::DELETE,
                format!("/console/api/schemes/verify/{code}"),
                Value::Null,
            ),
        ] {
            let (status, answer) = api(&app, &b, method, &path, body, token).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
        }
    }
    // Without a session at all: 401.
    let anonymous = Browser::new(&app);
    for (method, path, body) in [
        (
            Method::POST,
            "/console/api/schemes".to_owned(),
            android_form("other", "com.acme.other"),
        ),
        (
            Method::DELETE,
            format!("/console/api/schemes/verify/{code}"),
            Value::Null,
        ),
    ] {
        let (status, _) = api(&app, &anonymous, method, &path, body, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    assert_eq!(listed(&mut b).await, stored_before);
    assert_eq!(audit_of(&data, DEFAULT_TENANT).await.len(), audit_before);
}

#[tokio::test]
async fn a_tenant_user_cannot_change_or_delete_another_tenants_scheme() {
    let (app, data) = console_app().await;
    let now = app.clock.now_millis();
    let globex = data.store.ensure_tenant("globex", now).await.unwrap();
    let key = keys::create(
        data.store.as_ref(),
        &data.master_key.secret_box(),
        globex.id,
        now,
    )
    .await
    .unwrap();
    let globex_api = OpenApi::new(&app.endpoint, &key.id, key.secret.as_ref());
    let req = CreateVerifyScheme::android("globexapp", "App", "com.globex", SIGN);
    let globex_code = globex_api
        .create_verify_scheme(&req)
        .await
        .unwrap()
        .body
        .gate_verify_scheme_dto
        .unwrap()
        .scheme_code;
    let globex_before = data.store.list_schemes(globex.id).await.unwrap();
    let globex_audit = audit_of(&data, "globex").await.len();
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let (b, csrf) = signed_in(&app, "alice").await;

    // By code: not the user's tenant's, so not found.
    let (status, body) = api(
        &app,
        &b,
        Method::POST,
        &format!("/console/api/schemes/verify/{globex_code}"),
        android_form("stolen", "com.stolen"),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "isv.VERIFY_SCHEME_NOT_EXIST");
    let (status, _) = api(
        &app,
        &b,
        Method::DELETE,
        &format!("/console/api/schemes/verify/{globex_code}"),
        Value::Null,
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // By naming the tenant: forbidden.
    for (method, path, body) in [
        (
            Method::POST,
            format!("/console/api/schemes/verify/{globex_code}?tenant=globex"),
            android_form("stolen", "com.stolen"),
        ),
        (
            Method::DELETE,
            format!("/console/api/schemes/verify/{globex_code}?tenant=globex"),
            Value::Null,
        ),
        (
            Method::POST,
            "/console/api/schemes?tenant=globex".to_owned(),
            android_form("planted", "com.planted"),
        ),
    ] {
        let (status, answer) = api(&app, &b, method, &path, body, Some(&csrf)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
    }
    assert_eq!(
        data.store.list_schemes(globex.id).await.unwrap(),
        globex_before
    );
    assert_eq!(audit_of(&data, "globex").await.len(), globex_audit);
    assert!(audit_of(&data, DEFAULT_TENANT).await.is_empty());
}

#[tokio::test]
async fn an_operator_manages_the_schemes_of_the_tenant_they_name() {
    let (app, data) = console_app().await;
    data.store
        .ensure_tenant("globex", app.clock.now_millis())
        .await
        .unwrap();
    add_user(&app, &data, "root", None).await;
    let (mut b, csrf) = signed_in(&app, "root").await;
    let (status, created) = api(
        &app,
        &b,
        Method::POST,
        "/console/api/schemes?tenant=globex",
        android_form("login", "com.globex"),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let (_, globex) = b.json("/console/api/schemes?tenant=globex").await;
    assert_eq!(globex["schemes"][0]["code"], created["scheme"]["code"]);
    assert!(listed(&mut b).await.is_empty(), "the default tenant's");
    let log = audit_of(&data, "globex").await;
    assert_eq!(log[0].actor, "console:root");
    assert_eq!(log[0].action, "scheme.create");
}

#[tokio::test]
async fn the_open_apis_scheme_changes_are_audited_with_their_access_key() {
    let (app, data) = console_app().await;
    let api = app.client();
    let req = CreateVerifyScheme::android("login", "Acme", "com.acme.app", SIGN);
    let code = api
        .create_verify_scheme(&req)
        .await
        .unwrap()
        .body
        .gate_verify_scheme_dto
        .unwrap()
        .scheme_code;
    api.delete_verify_scheme(&code).await.unwrap();
    let params: BTreeMap<String, String> = [
        ("SchemeName", "fusion"),
        ("AppName", "Acme"),
        ("Platform", "iOS"),
        ("IosBundleId", "com.acme.ios"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let (status, body) = api.call_raw("CreateSchemeConfig", &params).await.unwrap();
    assert_eq!(status, 200);
    let r: Value = serde_json::from_slice(&body).unwrap();
    let fusion_code = r["Model"]["SchemeCode"].as_str().unwrap().to_owned();
    // A refused call changes nothing and is not audited.
    let again = api.delete_verify_scheme(&code).await.unwrap();
    assert_eq!(again.code, "isv.VERIFY_SCHEME_NOT_EXIST");

    let who = format!("accesskey:{}", app.key_id);
    let log = audit_of(&data, DEFAULT_TENANT).await;
    assert_eq!(
        actions(&log),
        [
            (
                who.clone(),
                "scheme.create".into(),
                format!("scheme {code}")
            ),
            (
                who.clone(),
                "scheme.delete".into(),
                format!("scheme {code}")
            ),
            (
                who,
                "fusion_scheme.create".into(),
                format!("scheme {fusion_code}")
            ),
        ]
    );
    let after: Value = serde_json::from_str(log[0].after.as_deref().unwrap()).unwrap();
    assert_eq!(
        (&after["SchemeName"], &after["PackName"]),
        (&json!("login"), &json!("com.acme.app"))
    );
}

#[tokio::test]
async fn in_a_real_browser_a_user_creates_a_scheme_and_sees_its_code() {
    let Some(path) = crate::browser::chromedriver() else {
        return;
    };
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let (_driver, c, _profile) = signed_in_browser(&path, &app, "alice").await;
    click(&c, "#nav-schemes").await;
    wait_text(&c, "#heading", |t| t == "Schemes").await;
    wait_text(&c, "#schemes-count", |t| t == "0 schemes").await;

    click(&c, "#schemes-new").await;
    // Kind and OS type first (verification, Android: the defaults), then the app.
    click(&c, "#scheme-kind-save").await;
    fill(&c, "#scheme-dialog-name", "login").await;
    fill(&c, "#scheme-dialog-app_name", "Acme").await;
    fill(&c, "#scheme-dialog-pack_name", "com.acme.app").await;
    // A signature that is not one: the Open API's message in the form, nothing stored.
    fill(&c, "#scheme-dialog-pack_sign", "not-a-signature").await;
    click(&c, "#scheme-dialog-save").await;
    let error = wait_text(&c, "#scheme-dialog-error", |t| !t.is_empty()).await;
    assert!(error.contains("PackSign"), "{error}");
    let t = data
        .store
        .find_tenant(DEFAULT_TENANT)
        .await
        .unwrap()
        .unwrap();
    assert!(data.store.list_schemes(t.id).await.unwrap().is_empty());
    // What was typed is kept: only the signature needs fixing.
    fill(&c, "#scheme-dialog-pack_sign", SIGN).await;
    click(&c, "#scheme-dialog-save").await;
    wait_text(&c, "#schemes-count", |t| t == "1 schemes").await;
    let code = wait_text(&c, "#schemes-table .scheme-code", |t| t.starts_with("FC")).await;

    // The code shown is the scheme's: in the store, and the Open API describes it.
    let t = data
        .store
        .find_tenant(DEFAULT_TENANT)
        .await
        .unwrap()
        .unwrap();
    let stored = data.store.list_schemes(t.id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].code, code);
    assert_eq!(stored[0].pack_name.as_deref(), Some("com.acme.app"));
    assert!(describe(&app.client(), &code).await.is_ok());
    assert_eq!(
        wait_text(&c, &format!("#scheme-identity-{code}"), |t| !t.is_empty()).await,
        format!("com.acme.app · {SIGN}")
    );
    c.close().await.unwrap();
}

#[tokio::test]
async fn in_a_real_browser_a_user_renames_and_deletes_a_scheme() {
    let Some(path) = crate::browser::chromedriver() else {
        return;
    };
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let req = CreateVerifyScheme::android("login", "Acme", "com.acme.app", SIGN);
    let code = app
        .client()
        .create_verify_scheme(&req)
        .await
        .unwrap()
        .body
        .gate_verify_scheme_dto
        .unwrap()
        .scheme_code;
    let (_driver, c, _profile) = signed_in_browser(&path, &app, "alice").await;
    click(&c, "#nav-schemes").await;
    wait_text(&c, &format!("#scheme-name-{code}"), |t| t == "login").await;

    click(&c, &format!("#scheme-edit-{code}")).await;
    fill(&c, "#scheme-edit-name", "signin").await;
    click(&c, "#scheme-edit-save").await;
    wait_text(&c, &format!("#scheme-name-{code}"), |t| t == "signin").await;

    click(&c, &format!("#scheme-delete-{code}")).await;
    // Cancelled: still there; confirmed: gone.
    click(&c, "#scheme-confirm-no").await;
    wait_text(&c, "#schemes-count", |t| t == "1 schemes").await;
    click(&c, &format!("#scheme-delete-{code}")).await;
    click(&c, "#scheme-confirm-yes").await;
    wait_text(&c, "#schemes-count", |t| t == "0 schemes").await;
    let log = audit_of(&data, DEFAULT_TENANT).await;
    let tail: Vec<_> = log.iter().skip(1).map(|r| r.action.as_str()).collect();
    assert_eq!(tail, ["scheme.update", "scheme.delete"]);
    c.close().await.unwrap();
}
