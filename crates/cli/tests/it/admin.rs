//! Administration commands, also while a server runs on the same data directory.

use numgate_client::{CheckSmsVerifyCode, ClientError, OpenApi, SendSmsVerifyCode};
use numgate_store::{InboundSms, InboundTake, SqliteOptions, SqliteStore, DEFAULT_SERVICE_NUMBER};
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

fn inbox(dir: &std::path::Path) -> Vec<Value> {
    let v: Value = serde_json::from_str(&numgate(dir, &["sms", "inbox", "--json"])).unwrap();
    v.as_array().unwrap().clone()
}

#[tokio::test]
async fn an_inbound_message_is_injected_while_the_server_runs_and_taken_once() {
    let dir = tempfile::tempdir().unwrap();
    let _server = Server::start(dir.path());
    let p = phone();
    let with_plus = format!("+86{p}");
    let out: Value = serde_json::from_str(&numgate(
        dir.path(),
        &[
            "sms", "inbound", "--from", &with_plus, "--text", "NG 4821", "--json",
        ],
    ))
    .unwrap();
    assert_eq!(out["From"], format!("86{p}"));
    assert_eq!(out["To"], DEFAULT_SERVICE_NUMBER);
    // National and 86-prefixed numbers are the same number; --to picks the service number.
    let text = numgate(
        dir.path(),
        &[
            "sms",
            "inbound",
            "--from",
            &p,
            "--text",
            "第二条",
            "--to",
            "10690001",
        ],
    );
    assert!(
        text.contains("recorded") && !text.contains("第二条"),
        "{text}"
    );

    let rows = inbox(dir.path());
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["Text"], "第二条", "newest first");
    assert_eq!(rows[0]["To"], "10690001");
    assert_eq!(rows[1]["Text"], "NG 4821");
    assert_eq!(rows[1]["From"], format!("86{p}"));
    assert!(rows[1]["ConsumedTime"].is_null());

    // What the upstream-SMS step does: take it through the store, once.
    let store = SqliteStore::open(SqliteOptions::new(dir.path().join("numgate.db")))
        .await
        .unwrap();
    let take = || InboundTake {
        from: format!("86{p}"),
        to: DEFAULT_SERVICE_NUMBER.into(),
        text: "NG 4821".into(),
        since: 0,
        now: 1,
    };
    assert!(store.take_inbound(take()).await.unwrap());
    assert!(!store.take_inbound(take()).await.unwrap(), "taken once");
    assert!(!inbox(dir.path())[1]["ConsumedTime"].is_null());
    let plain = numgate(dir.path(), &["sms", "inbox"]);
    assert!(
        plain.contains("NG 4821") && plain.contains("used"),
        "{plain}"
    );

    // Bad input: a clear error, and nothing recorded.
    let long = "x".repeat(71);
    let bad: [(&[&str], &str); 6] = [
        (&["--from", "12345", "--text", "hi"], "--from"),
        (&["--from", "+4413800138000", "--text", "hi"], "--from"),
        (&["--from", &p, "--text", ""], "empty"),
        (&["--from", &p, "--text", &long], "at most 70"),
        (&["--from", &p, "--text", "a\nb"], "printable"),
        (&["--from", &p, "--text", "hi", "--to", "10-69"], "--to"),
    ];
    for (args, expected) in bad {
        let mut all = vec!["sms", "inbound"];
        all.extend_from_slice(args);
        let out = run(dir.path(), &all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    assert_eq!(inbox(dir.path()).len(), 2);
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

#[tokio::test]
async fn blocked_prefixes_are_listed_and_lifted_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let server = Server::start_with(
        &["--data-dir", data_dir],
        &[("NUMGATE_SMS__PREFIX_HOURLY_CAP", "2")],
    );
    let (id, secret) = create_key(dir.path());
    let api = OpenApi::new(&server.endpoint, &id, &secret);
    let send = |n: u32| {
        let api = api.clone();
        async move {
            let req = SendSmsVerifyCode {
                interval: Some(0),
                ..SendSmsVerifyCode::new(&format!("1370013{n:04}"), "速通互联验证码", "100001")
            };
            api.send_sms_verify_code(&req).await.unwrap().code
        }
    };
    assert!(numgate(dir.path(), &["sms", "blocks"]).trim().is_empty());
    assert_eq!(send(0).await, "OK");
    assert_eq!(send(1).await, "OK");
    assert_eq!(send(2).await, "isv.BUSINESS_LIMIT_CONTROL");

    let blocks: Value =
        serde_json::from_str(&numgate(dir.path(), &["sms", "blocks", "--json"])).unwrap();
    let blocks = blocks.as_array().unwrap();
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    assert_eq!(blocks[0]["Tenant"], "default");
    assert_eq!(blocks[0]["CountryCode"], "86");
    assert_eq!(blocks[0]["Prefix"], "1370013");
    assert_eq!(blocks[0]["Throttled"], false);
    assert!(numgate(dir.path(), &["sms", "blocks"]).contains("+86 1370013"));
    assert_eq!(send(3).await, "isv.BUSINESS_LIMIT_CONTROL");

    let out = numgate(dir.path(), &["sms", "unblock", "--prefix", "1370013"]);
    assert!(out.contains("lifted"), "{out}");
    assert!(numgate(dir.path(), &["sms", "blocks"]).trim().is_empty());
    assert_eq!(send(4).await, "OK", "the prefix sends again at once");

    for (args, expected) in [
        (vec!["sms", "unblock", "--prefix", "1370013"], "no block"),
        (vec!["sms", "unblock", "--prefix", "13a"], "--prefix"),
        (
            vec![
                "sms", "unblock", "--prefix", "1370013", "--tenant", "nosuch",
            ],
            "no tenant",
        ),
    ] {
        let out = run(dir.path(), &args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
