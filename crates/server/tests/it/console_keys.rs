//! The console's keys section, over HTTP and in headless Chromium: AccessKeys
//! created (the secret shown once), disabled and enabled, each change audited
//! without the secret; CSRF and tenant scoping; and a key made in the browser
//! used with the official Python SDK, then refused once disabled.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use numgate_client::OpenApi;
use numgate_domain::clock::Clock;
use numgate_server::service::keys;
use numgate_server::DEFAULT_TENANT;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::process::Command;

use crate::console::{add_user, click, console_app, signed_in_browser, wait_text};
use crate::console_schemes::{api, audit_of, signed_in};
use crate::helpers::{phone, TestApp};

/// An Open API call signed with the key: `Ok` when the key was accepted (the
/// business answer, whatever it is), else the gateway's error code.
async fn signed_call(app: &TestApp, id: &str, secret: &str) -> Result<(), String> {
    let api = OpenApi::new(&app.endpoint, id, secret);
    let p = BTreeMap::from([("SchemeCode".to_owned(), "FC000000000000000".to_owned())]);
    match api.call::<Value>("DescribeVerifyScheme", &p).await {
        Ok(_) => Ok(()),
        Err(numgate_client::ClientError::Api { code, .. }) => Err(code),
        Err(e) => Err(e.to_string()),
    }
}

async fn listed(b: &mut crate::console::Browser) -> Value {
    let (status, v) = b.json("/console/api/keys").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

#[tokio::test]
async fn a_key_is_created_disabled_and_enabled_in_the_console_each_change_audited() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let (mut b, csrf) = signed_in(&app, "alice").await;

    let (status, created) = api(
        &app,
        &b,
        Method::POST,
        "/console/api/keys",
        Value::Null,
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(id.starts_with("LTAI") && secret.len() == 30, "{created}");
    assert_eq!(signed_call(&app, &id, &secret).await, Ok(()));

    // Listed without its secret, with when it was created and last used (the
    // last use is recorded in the background: it may take a moment).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let (list, row) = loop {
        let list = listed(&mut b).await;
        let row = list["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == id.as_str())
            .cloned()
            .expect("the new key is listed");
        if row["last_used_at"].is_i64() || std::time::Instant::now() > deadline {
            break (list, row);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!list.to_string().contains(&secret));
    assert_eq!(row["enabled"], true);
    assert_eq!(row["created_at"], app.clock.now_millis());
    assert_eq!(row["last_used_at"], app.clock.now_millis(), "{row}");
    assert_eq!(
        list["keys"].as_array().unwrap().len(),
        2,
        "and the test app's own"
    );

    let (status, disabled) = api(
        &app,
        &b,
        Method::POST,
        &format!("/console/api/keys/{id}/disable"),
        Value::Null,
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(disabled["key"]["enabled"], false);
    assert_eq!(
        signed_call(&app, &id, &secret).await,
        Err("InvalidAccessKeyId.Inactive".into())
    );
    // Disabling it again changes nothing and logs nothing.
    let (status, _) = api(
        &app,
        &b,
        Method::POST,
        &format!("/console/api/keys/{id}/disable"),
        Value::Null,
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, enabled) = api(
        &app,
        &b,
        Method::POST,
        &format!("/console/api/keys/{id}/enable"),
        Value::Null,
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(enabled["key"]["enabled"], true);
    assert_eq!(signed_call(&app, &id, &secret).await, Ok(()));

    let log = audit_of(&data, DEFAULT_TENANT).await;
    let target = format!("access key {id}");
    let got: Vec<_> = log
        .iter()
        .map(|r| (r.actor.as_str(), r.action.as_str(), r.target.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("console:alice", "access_key.create", target.as_str()),
            ("console:alice", "access_key.disable", target.as_str()),
            ("console:alice", "access_key.enable", target.as_str()),
        ]
    );
    assert_eq!(log[1].before.as_deref(), Some(r#"{"enabled":true}"#));
    assert_eq!(log[1].after.as_deref(), Some(r#"{"enabled":false}"#));
    for r in &log {
        for text in [&r.before, &r.after, &Some(r.target.clone())]
            .into_iter()
            .flatten()
        {
            assert!(!text.contains(&secret), "the secret in the audit log");
        }
    }
}

#[tokio::test]
async fn a_tenant_user_cannot_disable_another_tenants_key() {
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
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let (mut b, csrf) = signed_in(&app, "alice").await;

    // Not listed; by its id: not found; naming its tenant: forbidden.
    assert!(!listed(&mut b).await.to_string().contains(&key.id));
    for (path, want) in [
        (
            format!("/console/api/keys/{}/disable", key.id),
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/console/api/keys/{}/disable?tenant=globex", key.id),
            StatusCode::FORBIDDEN,
        ),
        (
            "/console/api/keys/LTAInosuchkey00000000000/disable".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (
            "/console/api/keys?tenant=globex".to_owned(),
            StatusCode::FORBIDDEN,
        ),
    ] {
        let (status, body) = api(&app, &b, Method::POST, &path, Value::Null, Some(&csrf)).await;
        assert_eq!(status, want, "{path}: {body}");
        assert!(!body.to_string().contains("LTAI"), "{body}");
    }
    assert_eq!(
        b.json("/console/api/keys?tenant=globex").await.0,
        StatusCode::FORBIDDEN
    );

    let stored = data.store.find_access_key(&key.id).await.unwrap().unwrap();
    assert!(stored.enabled);
    assert_eq!(
        signed_call(&app, &key.id, key.secret.as_str()).await,
        Ok(())
    );
    assert!(audit_of(&data, "globex").await.is_empty());
    assert!(audit_of(&data, DEFAULT_TENANT).await.is_empty());
    assert_eq!(
        data.store
            .list_access_keys(Some(globex.id))
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn key_changes_without_the_csrf_token_are_refused_and_change_nothing() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let (mut b, _csrf) = signed_in(&app, "alice").await;
    let before = listed(&mut b).await;
    for token in [None, Some("forged")] {
        for path in [
            "/console/api/keys".to_owned(),
            format!("/console/api/keys/{}/disable", app.key_id),
        ] {
            let (status, body) = api(&app, &b, Method::POST, &path, Value::Null, token).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        }
    }
    // Without a session at all: 401, for reading too.
    let mut anonymous = crate::console::Browser::new(&app);
    assert_eq!(
        anonymous.json("/console/api/keys").await.0,
        StatusCode::UNAUTHORIZED
    );
    for path in [
        "/console/api/keys".to_owned(),
        format!("/console/api/keys/{}/disable", app.key_id),
    ] {
        let (status, _) = api(&app, &anonymous, Method::POST, &path, Value::Null, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    assert_eq!(listed(&mut b).await, before);
    assert!(
        data.store
            .find_access_key(&app.key_id)
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
    assert!(audit_of(&data, DEFAULT_TENANT).await.is_empty());
}

#[tokio::test]
async fn an_operator_manages_the_keys_of_the_tenant_they_name() {
    let (app, data) = console_app().await;
    let globex = data
        .store
        .ensure_tenant("globex", app.clock.now_millis())
        .await
        .unwrap();
    add_user(&app, &data, "root", None).await;
    let (mut b, csrf) = signed_in(&app, "root").await;
    let (status, created) = api(
        &app,
        &b,
        Method::POST,
        "/console/api/keys?tenant=globex",
        Value::Null,
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let id = created["id"].as_str().unwrap();
    let stored = data.store.find_access_key(id).await.unwrap().unwrap();
    assert_eq!(stored.tenant_id, globex.id);
    let (_, list) = b.json("/console/api/keys?tenant=globex").await;
    assert_eq!(list["keys"][0]["id"], id);
    // The key of one tenant is not found under another.
    let (status, _) = api(
        &app,
        &b,
        Method::POST,
        &format!("/console/api/keys/{id}/disable"),
        Value::Null,
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(audit_of(&data, "globex").await[0].actor, "console:root");
}

/// One CheckSmsVerifyCode through the official Python SDK (the venv of
/// scripts/python-venv.sh, run as `crate::sdk` runs it) signed with the key: the
/// SDK's answer or exception as sdk_client.py prints it.
async fn sdk_check(python: &Path, app: &TestApp, id: &str, secret: &str) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/sdk_client.py");
    let mut cmd = Command::new(python);
    cmd.arg(script)
        .args(["--endpoint", app.endpoint.trim_start_matches("http://")])
        // `--name=value`: a secret may begin with `-`, which argparse takes for an option.
        .arg(format!("--key-id={id}"))
        .arg(format!("--key-secret={secret}"))
        .args(["--algorithm", "v3"])
        .arg(format!("check:{}:123456", phone()))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .kill_on_drop(true);
    for v in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        cmd.env_remove(v).env_remove(v.to_lowercase());
    }
    let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .expect("sdk_client.py finishes within 120 s")
        .expect("start the venv's python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "sdk_client.py failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut results: Vec<Value> = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("one JSON line from sdk_client.py ({e}): {stdout}"));
    results.remove(0)
}

#[tokio::test]
async fn in_a_real_browser_an_access_key_is_created_used_with_the_official_sdk_and_disabled() {
    let Some(path) = crate::browser::chromedriver() else {
        return;
    };
    let Some(python) = crate::sdk::python() else {
        return;
    };
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let (_driver, c, _profile) = signed_in_browser(&path, &app, "alice").await;
    click(&c, "#nav-keys").await;
    wait_text(&c, "#heading", |t| t == "AccessKeys").await;
    wait_text(&c, "#keys-count", |t| t == "1 AccessKeys").await;

    click(&c, "#keys-new").await;
    let id = wait_text(&c, "#key-id", |t| t.starts_with("LTAI")).await;
    let secret = wait_text(&c, "#key-secret", |t| t.len() == 30).await;
    wait_text(&c, "#keys-count", |t| t == "2 AccessKeys").await;
    wait_text(&c, &format!("#key-status-{id}"), |t| t == "enabled").await;

    // The official SDK signs with it and is answered.
    let ok = sdk_check(&python, &app, &id, &secret).await;
    assert!(ok.get("error").is_none(), "accepted: {ok}");
    assert_eq!(
        (&ok["status"], &ok["code"]),
        (&200.into(), &"OK".into()),
        "{ok}"
    );

    // Disabled in the browser: the SDK is refused with Alibaba's code.
    click(&c, &format!("#key-disable-{id}")).await;
    wait_text(&c, &format!("#key-status-{id}"), |t| t == "disabled").await;
    let refused = sdk_check(&python, &app, &id, &secret).await;
    assert_eq!(
        refused["error"]["code"], "InvalidAccessKeyId.Inactive",
        "{refused}"
    );
    assert_eq!(refused["error"]["status"], 400, "{refused}");

    // The secret is not shown again: a reload shows the key without it.
    c.refresh().await.unwrap();
    wait_text(&c, &format!("#key-status-{id}"), |t| t == "disabled").await;
    let page = c.source().await.unwrap();
    assert!(!page.contains(&secret), "the secret is shown once only");
    assert!(c
        .find(fantoccini::Locator::Css("#key-secret"))
        .await
        .is_err());

    // Enabled again, it works again.
    click(&c, &format!("#key-enable-{id}")).await;
    wait_text(&c, &format!("#key-status-{id}"), |t| t == "enabled").await;
    let again = sdk_check(&python, &app, &id, &secret).await;
    assert!(again.get("error").is_none(), "accepted: {again}");
    c.close().await.unwrap();
}
