//! Administration commands, also while a server runs on the same data directory.

use numgate_client::{CheckSmsVerifyCode, ClientError, OpenApi, SendSmsVerifyCode};
use serde_json::Value;

use crate::proc::{create_key, numgate, phone, run, Server};

async fn call_ok(api: &OpenApi) -> Result<String, ClientError> {
    api.check_sms_verify_code(&CheckSmsVerifyCode::new(&phone(), "123456"))
        .await
        .map(|r| r.code)
}

#[tokio::test]
async fn keys_are_created_listed_disabled_and_enabled_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (id, secret) = create_key(dir.path());
    assert!(id.starts_with("LTAI") && id.len() == 24, "{id}");
    assert_eq!(secret.len(), 30);
    let api = OpenApi::new(&server.endpoint, &id, &secret);
    assert_eq!(call_ok(&api).await.unwrap(), "OK");

    numgate(dir.path(), &["keys", "disable", &id]);
    match call_ok(&api).await {
        Err(ClientError::Api { status, code, .. }) => {
            assert_eq!(
                (status, code.as_str()),
                (400, "InvalidAccessKeyId.Inactive")
            )
        }
        other => panic!("a disabled key is refused at once: {other:?}"),
    }
    let list: Value =
        serde_json::from_str(&numgate(dir.path(), &["keys", "list", "--json"])).unwrap();
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["AccessKeyId"] == id.as_str())
        .unwrap();
    assert_eq!(row["Status"], "Inactive");
    assert!(
        row.get("AccessKeySecret").is_none(),
        "list never shows secrets"
    );
    assert!(!list.to_string().contains(&secret));

    numgate(dir.path(), &["keys", "enable", &id]);
    assert_eq!(call_ok(&api).await.unwrap(), "OK");

    let out = run(dir.path(), &["keys", "disable", "LTAInosuch"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no AccessKey"));
}

#[tokio::test]
async fn keys_belong_to_tenants() {
    let dir = tempfile::tempdir().unwrap();
    let out: Value = serde_json::from_str(&numgate(
        dir.path(),
        &["keys", "create", "--tenant", "acme", "--json"],
    ))
    .unwrap();
    assert_eq!(out["Tenant"], "acme");
    create_key(dir.path());
    let acme: Value = serde_json::from_str(&numgate(
        dir.path(),
        &["keys", "list", "--tenant", "acme", "--json"],
    ))
    .unwrap();
    assert_eq!(acme.as_array().unwrap().len(), 1);
    let all: Value =
        serde_json::from_str(&numgate(dir.path(), &["keys", "list", "--json"])).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_fresh_tenant_lists_its_complimentary_signatures_and_templates() {
    let dir = tempfile::tempdir().unwrap();
    let sigs: Value =
        serde_json::from_str(&numgate(dir.path(), &["sms", "signatures", "--json"])).unwrap();
    let sigs = sigs.as_array().unwrap();
    assert!(sigs
        .iter()
        .any(|s| s["SignName"] == "速通互联验证码" && s["Complimentary"] == true));
    let tpls: Value =
        serde_json::from_str(&numgate(dir.path(), &["sms", "templates", "--json"])).unwrap();
    let codes: Vec<&str> = tpls
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["TemplateCode"].as_str().unwrap())
        .collect();
    for c in ["100001", "100002", "100003", "100004", "100005"] {
        assert!(codes.contains(&c), "{codes:?}");
    }
    let text = numgate(dir.path(), &["sms", "templates"]);
    assert!(text.contains("${code}"));
}

#[tokio::test]
async fn the_outbox_command_shows_delivered_codes_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (id, secret) = create_key(dir.path());
    let api = OpenApi::new(&server.endpoint, &id, &secret);
    let p = phone();
    let mut codes = Vec::new();
    for _ in 0..2 {
        let req = SendSmsVerifyCode {
            return_verify_code: Some(true),
            interval: Some(0),
            ..SendSmsVerifyCode::new(&p, "速通互联验证码", "100001")
        };
        let r = api.send_sms_verify_code(&req).await.unwrap();
        codes.push(r.body.model.unwrap().verify_code.unwrap());
    }
    let mut rows = Vec::new();
    for _ in 0..100 {
        let v: Value =
            serde_json::from_str(&numgate(dir.path(), &["outbox", "--phone", &p, "--json"]))
                .unwrap();
        rows = v.as_array().unwrap().clone();
        if rows.len() == 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0]["Text"].as_str().unwrap().contains(&codes[1]),
        "newest first"
    );
    assert!(rows[1]["Text"].as_str().unwrap().contains(&codes[0]));
    assert_eq!(rows[0]["Phone"], format!("86{p}"));
    assert_eq!(rows[0]["Status"], "delivered");
    let plain = numgate(dir.path(), &["outbox"]);
    assert!(plain.contains(&codes[1]));
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    assert!(server.log_text().contains("numgate stopped"));
}

#[test]
fn a_bad_configuration_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("numgate.toml");
    std::fs::write(&cfg, "[sms]\nhourly_cap = 0\n").unwrap();
    let out = run(dir.path(), &["serve", "--config", cfg.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("hourly_cap"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(dir.path(), &["serve", "--config", "/no/such/file.toml"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}
