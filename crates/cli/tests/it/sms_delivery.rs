//! Real SMS delivery between processes: numgate hands codes to the simulated
//! HTTP SMS provider (`numgate sms-provider-sim`), takes its signed receipts at
//! `/sms/v1/providers/{name}/receipts`, pushes delivery reports to the tenant's
//! URL, and delivers each queued message exactly once across a kill -9.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use numgate_client::{OpenApi, QuerySendDetails, SendSmsVerifyCode};
use serde_json::{json, Value};

use crate::proc::{create_key, free_port, phone, Server, SimProcess};

const SECRET: &str = "provider-shared-secret";

fn provider_sim() -> (SimProcess, String) {
    let sim = SimProcess::start(
        &[
            "sms-provider-sim",
            "--listen",
            "127.0.0.1:0",
            "--secret",
            SECRET,
        ],
        &[],
        1,
    );
    let url = sim.url_after("provider at ");
    (sim, url)
}

/// A tenant's report endpoint: every pushed array, answered `{"code":0}`.
async fn report_receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    use axum::routing::post;
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let app = axum::Router::new().route(
        "/reports",
        post({
            let got = got.clone();
            move |axum::Json(body): axum::Json<Value>| async move {
                if let Some(items) = body.as_array() {
                    got.lock().unwrap().extend(items.iter().cloned());
                }
                axum::Json(json!({"code": 0, "msg": "Success"}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/reports", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

/// numgate's configuration: the HTTP provider as the default channel.
fn write_config(dir: &Path, sim_url: &str, port: u16, report_url: &str, extra: &str) -> String {
    let path = dir.join("numgate.toml");
    std::fs::write(
        &path,
        format!(
            "[sms]\nchannel = \"sim\"\nlease_secs = 2\n{extra}\n\
             [sms.report_urls]\ndefault = \"{report_url}\"\n\
             [[sms.providers]]\nkind = \"http\"\nname = \"sim\"\nurl = \"{sim_url}send\"\n\
             secret = \"{SECRET}\"\ntimeout_ms = 20000\n\
             callback_url = \"http://127.0.0.1:{port}/sms/v1/providers/sim/receipts\"\n"
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

fn start(dir: &Path, config: &str, port: u16) -> Server {
    Server::start_on(
        &format!("127.0.0.1:{port}"),
        &["--data-dir", dir.to_str().unwrap(), "--config", config],
        &[],
    )
}

async fn control(sim_url: &str, path: &str, body: Value) {
    let r = reqwest::Client::new()
        .post(format!("{sim_url}control/{path}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
}

async fn sim_get(sim_url: &str, path: &str) -> Value {
    reqwest::get(format!("{sim_url}control/{path}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn send(api: &OpenApi, number: &str) -> (String, String) {
    let req = SendSmsVerifyCode {
        return_verify_code: Some(true),
        ..SendSmsVerifyCode::new(number, "速通互联验证码", "100001")
    };
    let r = api.send_sms_verify_code(&req).await.unwrap();
    assert_eq!(r.code, "OK", "{r:?}");
    let m = r.body.model.unwrap();
    (m.biz_id.unwrap(), m.verify_code.unwrap())
}

/// The number's one send record, as QuerySendDetails gives it.
async fn detail(api: &OpenApi, number: &str) -> numgate_client::SendDetail {
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y%m%d")
        .to_string();
    let r = api
        .query_send_details(&QuerySendDetails {
            phone_number: number.to_owned(),
            send_date: today,
            page_size: 10,
            current_page: 1,
            biz_id: None,
        })
        .await
        .unwrap();
    assert_eq!(r.code, "OK");
    r.body.model.into_iter().next().expect("a send record")
}

async fn eventually<F, Fut>(what: &str, secs: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn codes_go_out_through_the_http_provider_and_its_receipts_come_back() {
    let (_sim, sim_url) = provider_sim();
    let (report_url, reports) = report_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config(dir.path(), &sim_url, port, &report_url, "");
    let (id, secret) = create_key(dir.path());
    let server = start(dir.path(), &config, port);
    let api = OpenApi::new(&server.endpoint, &id, &secret);

    let (good, bad) = (phone(), phone());
    control(
        &sim_url,
        "undeliverable",
        json!({"numbers": [format!("86{bad}")]}),
    )
    .await;
    let (good_biz, code) = send(&api, &good).await;
    let (bad_biz, _) = send(&api, &bad).await;

    eventually("the provider took both", 30, || async {
        sim_get(&sim_url, "messages").await["messages"]
            .as_array()
            .unwrap()
            .len()
            == 2
    })
    .await;
    let messages = sim_get(&sim_url, "messages").await;
    let to_good = messages["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["to"] == format!("+86{good}"))
        .expect("the message to the good number")
        .clone();
    let text = to_good["text"].as_str().unwrap();
    assert!(text.starts_with("【速通互联验证码】"), "{text}");
    assert!(text.contains(&code), "the code arrives in the text");

    eventually("the receipts flipped the records", 30, || async {
        detail(&api, &good).await.send_status == 3 && detail(&api, &bad).await.send_status == 2
    })
    .await;
    assert_eq!(
        detail(&api, &bad).await.err_code.as_deref(),
        Some("UNDELIV")
    );

    eventually("both reports reached the tenant", 30, || async {
        reports.lock().unwrap().len() == 2
    })
    .await;
    let reports = reports.lock().unwrap().clone();
    let by_biz: HashMap<&str, &Value> = reports
        .iter()
        .map(|r| (r["biz_id"].as_str().unwrap(), r))
        .collect();
    assert_eq!(by_biz[good_biz.as_str()]["success"], true);
    assert_eq!(by_biz[good_biz.as_str()]["phone_number"], good.as_str());
    assert_eq!(by_biz[good_biz.as_str()]["sms_size"], "1");
    assert_eq!(by_biz[bad_biz.as_str()]["success"], false);
    assert_eq!(by_biz[bad_biz.as_str()]["err_code"], "UNDELIV");

    // A receipt callback with a wrong signature changes nothing.
    let forged = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{port}/sms/v1/providers/sim/receipts"
        ))
        .header("x-numgate-signature", "t=1,v1=00")
        .body(r#"[{"id":"x","status":"failed"}]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
}

#[tokio::test]
async fn after_a_kill_9_with_1000_messages_queued_each_is_delivered_exactly_once() {
    let (_sim, sim_url) = provider_sim();
    let (report_url, _) = report_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config(dir.path(), &sim_url, port, &report_url, GUARDS_OFF);
    let (id, secret) = create_key(dir.path());
    let mut server = start(dir.path(), &config, port);
    let api = OpenApi::new(&server.endpoint, &id, &secret);

    // The provider answers slowly: most messages wait in the queue, a batch is
    // in flight when numgate dies.
    control(&sim_url, "delay", json!({"ms": 2000})).await;
    let numbers: Vec<String> = (0..1000).map(|_| phone()).collect();
    let mut codes = HashMap::new();
    for chunk in numbers.chunks(50) {
        let sent = futures::future::join_all(chunk.iter().map(|n| send(&api, n))).await;
        for (n, (_, code)) in chunk.iter().zip(sent) {
            codes.insert(format!("+86{n}"), code);
        }
    }
    server.kill9();
    let before = sim_get(&sim_url, "stats").await;
    assert!(
        before["unique_messages"].as_u64().unwrap() < 1000,
        "the kill came with messages still queued: {before}"
    );

    control(&sim_url, "delay", json!({"ms": 0})).await;
    let server = start(dir.path(), &config, port);
    eventually("every message delivered", 120, || async {
        sim_get(&sim_url, "stats").await["unique_messages"] == 1000
    })
    .await;
    // Nothing more comes after a while.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let messages = sim_get(&sim_url, "messages").await;
    let messages = messages["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1000);
    let mut seen = HashMap::new();
    for m in messages {
        assert_eq!(m["deliveries"], 1, "{m}");
        let to = m["to"].as_str().unwrap();
        *seen.entry(to.to_owned()).or_insert(0) += 1;
        assert!(
            m["text"].as_str().unwrap().contains(&codes[to]),
            "each number got its own code"
        );
    }
    assert_eq!(seen.len(), 1000, "each number got one message");
    assert!(seen.values().all(|n| *n == 1));
    drop(server);
}

/// Anti-pumping limits out of the way of a thousand sends to one number range.
const GUARDS_OFF: &str = "prefix_hourly_cap = 1000000\nconversion_threshold = 0.0\n";

/// `numgate smsc-sim`: hex ids in submit_sm_resp, decimal ids in receipts.
fn smsc_sim() -> (SimProcess, String, String) {
    let sim = SimProcess::start(
        &[
            "smsc-sim",
            "--smpp-listen",
            "127.0.0.1:0",
            "--control-listen",
            "127.0.0.1:0",
            "--system-id",
            "numgate",
            "--password",
            "pw-smsc",
            "--id-form",
            "hex",
            "--receipt-id-form",
            "decimal",
        ],
        &[],
        2,
    );
    let smpp = sim.url_after("SMPP at ");
    let control = sim
        .url_after("control at ")
        .trim_end_matches("control")
        .to_owned();
    (sim, smpp, control)
}

/// numgate's configuration: the SMSC as the default channel, a window of 4.
/// Submits stay outstanding up to 2 minutes: a held submit must not time out
/// (and free its window slot) while a loaded machine runs the test slowly.
fn write_smpp_config(dir: &Path, smpp: &str, report_url: &str) -> String {
    let path = dir.join("numgate.toml");
    std::fs::write(
        &path,
        format!(
            "[sms]\nchannel = \"smsc\"\n\
             [sms.report_urls]\ndefault = \"{report_url}\"\n\
             [[sms.providers]]\nkind = \"smpp\"\nname = \"smsc\"\naddr = \"{smpp}\"\n\
             system_id = \"numgate\"\npassword = \"pw-smsc\"\nwindow = 4\n\
             source_addr = \"1069000000\"\nreconnect_min_ms = 50\nreconnect_max_ms = 500\n\
             response_timeout_ms = 120000\n"
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

/// The messages the SMSC took for a destination (`86…`).
async fn smsc_messages(control: &str, number: &str) -> Vec<Value> {
    let all = sim_get(control, "messages").await;
    all["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["destination"] == format!("86{number}"))
        .cloned()
        .collect()
}

fn utf16_hex(text: &str) -> String {
    text.encode_utf16()
        .flat_map(u16::to_be_bytes)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn codes_go_out_over_smpp_in_ucs2_long_ones_in_parts_and_receipts_flip_the_records() {
    let (_sim, smpp, control_url) = smsc_sim();
    let (report_url, reports) = report_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_smpp_config(dir.path(), &smpp, &report_url);
    let (id, secret) = create_key(dir.path());
    let server = start(dir.path(), &config, free_port());
    let api = OpenApi::new(&server.endpoint, &id, &secret);

    let (short, long, failing) = (phone(), phone(), phone());
    control(
        &control_url,
        "fail",
        json!({"numbers": [format!("86{failing}")]}),
    )
    .await;
    let (_, code) = send(&api, &short).await;
    let long_req = SendSmsVerifyCode {
        return_verify_code: Some(true),
        template_param: format!(r###"{{"code":"##code##","min":"{}"}}"###, "五".repeat(60)),
        ..SendSmsVerifyCode::new(&long, "速通互联验证码", "100001")
    };
    let r = api.send_sms_verify_code(&long_req).await.unwrap();
    assert_eq!(r.code, "OK", "{r:?}");
    let long_code = r.body.model.unwrap().verify_code.unwrap();
    send(&api, &failing).await;

    eventually("the SMSC took all three", 30, || async {
        !smsc_messages(&control_url, &short).await.is_empty()
            && smsc_messages(&control_url, &long)
                .await
                .first()
                .is_some_and(|m| !m["text"].is_null())
            && !smsc_messages(&control_url, &failing).await.is_empty()
    })
    .await;
    let m = smsc_messages(&control_url, &short).await.remove(0);
    let text = format!(
        "【速通互联验证码】您的验证码为{code}。尊敬的客户，以上验证码5分钟内有效，请注意保密，切勿告知他人。"
    );
    assert_eq!(m["data_coding"], 8, "Chinese goes as UCS-2");
    assert_eq!(m["parts"], 1);
    assert_eq!(m["text"], text.as_str());
    assert_eq!(
        m["short_messages_hex"][0],
        utf16_hex(&text),
        "UTF-16BE on the wire"
    );
    assert_eq!(m["source"], "1069000000");

    let m = smsc_messages(&control_url, &long).await.remove(0);
    let parts = m["parts"].as_u64().unwrap();
    assert!(parts >= 2, "a long text goes in parts: {m}");
    assert_eq!(m["esm_class"].as_u64().unwrap() & 0x40, 0x40, "with a UDH");
    let long_text = m["text"].as_str().unwrap();
    assert!(long_text.contains(&long_code) && long_text.ends_with("切勿告知他人。"));

    eventually("receipts flipped the records", 30, || async {
        detail(&api, &short).await.send_status == 3
            && detail(&api, &long).await.send_status == 3
            && detail(&api, &failing).await.send_status == 2
    })
    .await;
    assert!(detail(&api, &failing)
        .await
        .err_code
        .unwrap()
        .starts_with("UNDELIV"));

    eventually("the reports reached the tenant", 30, || async {
        reports.lock().unwrap().len() == 3
    })
    .await;
    let reports = reports.lock().unwrap().clone();
    let long_report = reports
        .iter()
        .find(|r| r["phone_number"] == long.as_str())
        .unwrap();
    assert_eq!(
        long_report["sms_size"],
        parts.to_string(),
        "billed by segments"
    );
}

#[tokio::test]
async fn over_smpp_a_dropped_connection_loses_nothing_and_a_full_window_holds_messages_back() {
    let (_sim, smpp, control_url) = smsc_sim();
    let (report_url, _) = report_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_smpp_config(dir.path(), &smpp, &report_url);
    let (id, secret) = create_key(dir.path());
    let server = start(dir.path(), &config, free_port());
    let api = OpenApi::new(&server.endpoint, &id, &secret);

    // The SMSC holds every submit: numgate may have 4 outstanding, no more.
    control(&control_url, "hold", json!({})).await;
    let held: Vec<String> = (0..12).map(|_| phone()).collect();
    futures::future::join_all(held.iter().map(|n| send(&api, n))).await;
    eventually("a full window", 30, || async {
        sim_get(&control_url, "stats").await["max_outstanding"] == 4
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sim_get(&control_url, "stats").await["max_outstanding"],
        4,
        "never more than the window"
    );
    control(&control_url, "release", json!({})).await;

    // The connection drops under the next messages; numgate binds again.
    control(&control_url, "drop", json!({})).await;
    let dropped: Vec<String> = (0..20).map(|_| phone()).collect();
    futures::future::join_all(dropped.iter().map(|n| send(&api, n))).await;

    let all: Vec<&String> = held.iter().chain(&dropped).collect();
    eventually("every message delivered", 60, || async {
        for n in &all {
            if detail(&api, n).await.send_status != 3 {
                return false;
            }
        }
        true
    })
    .await;
    for n in &all {
        assert_eq!(
            smsc_messages(&control_url, n).await.len(),
            1,
            "{n}: taken exactly once"
        );
    }
    let stats = sim_get(&control_url, "stats").await;
    assert!(
        stats["binds"].as_u64().unwrap() >= 2,
        "bound again: {stats}"
    );
}

#[tokio::test]
async fn an_upstream_message_from_the_smsc_waits_for_upstream_sms_verification() {
    let (_sim, smpp, control_url) = smsc_sim();
    let (report_url, _) = report_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_smpp_config(dir.path(), &smpp, &report_url);
    let server = start(dir.path(), &config, free_port());
    let from = phone();
    eventually("numgate bound", 30, || async {
        sim_get(&control_url, "stats").await["binds"].as_u64() >= Some(1)
    })
    .await;
    control(
        &control_url,
        "mo",
        json!({"from": format!("86{from}"), "to": "1069000000123", "text": "VERIFY 4821"}),
    )
    .await;
    let dir_path = dir.path().to_owned();
    eventually("the message is in the inbox", 30, || {
        let dir = dir_path.clone();
        let from = from.clone();
        async move {
            let out = crate::proc::numgate(&dir, &["sms", "inbox", "--json"]);
            let rows: Value = serde_json::from_str(&out).unwrap();
            rows.as_array().unwrap().iter().any(|r| {
                r["From"] == format!("86{from}")
                    && r["To"] == "1069000000123"
                    && r["Text"] == "VERIFY 4821"
            })
        }
    })
    .await;
    drop(server);
}
