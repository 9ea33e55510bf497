//! `numgate smsc-sim` as its own process: SMPP from the sender, the control
//! API over HTTP, SIGTERM; and `numgate bench-smpp` against it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use numgate_sms::{
    Inbound, OutgoingSms, Receipt, ReportError, ReportSink, SendError, SmppConfig, SmppSender,
    SmsSender,
};
use serde_json::{json, Value};

use crate::proc::BIN;

#[derive(Default)]
struct Sink {
    receipts: Mutex<Vec<Receipt>>,
    inbound: Mutex<Vec<Inbound>>,
}

#[async_trait]
impl ReportSink for Sink {
    async fn receipt(&self, r: Receipt) -> Result<(), ReportError> {
        self.receipts.lock().unwrap().push(r);
        Ok(())
    }
    async fn inbound(&self, m: Inbound) -> Result<(), ReportError> {
        self.inbound.lock().unwrap().push(m);
        Ok(())
    }
}

fn sms(id: i64, phone: &str, text: &str) -> OutgoingSms {
    OutgoingSms {
        message_id: id,
        tenant_id: 1,
        biz_id: String::new(),
        phone: phone.into(),
        text: text.into(),
        up_extend_code: None,
    }
}

async fn until(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_smsc_simulator_runs_as_a_process_with_its_control_api() {
    let mut child = Command::new(BIN)
        .args([
            "smsc-sim",
            "--smpp-listen",
            "127.0.0.1:0",
            "--control-listen",
            "127.0.0.1:0",
        ])
        .args(["--id-form", "hex", "--receipt-id-form", "decimal"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let (mut smpp, mut control) = (String::new(), String::new());
    for _ in 0..2 {
        let mut line = String::new();
        err.read_line(&mut line).unwrap();
        if let Some(a) = line.trim().strip_prefix("numgate smsc-sim: SMPP at ") {
            smpp = a.to_owned();
        } else if let Some(u) = line.trim().strip_prefix("numgate smsc-sim: control at ") {
            control = u.to_owned();
        }
    }
    assert!(
        !smpp.is_empty() && control.starts_with("http://"),
        "{smpp} {control}"
    );
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| http.post(format!("{control}/{path}")).json(&body).send();

    let sink = Arc::new(Sink::default());
    let sender = SmppSender::start(
        SmppConfig {
            addr: smpp.clone(),
            system_id: "numgate".into(),
            password: "secret".into(),
            source_addr: "1069".into(),
            ..SmppConfig::default()
        },
        sink.clone(),
    );
    assert!(sender.wait_bound(1, Duration::from_secs(5)).await);

    let text = "您的验证码为123456，五分钟内有效，请勿告知他人。".repeat(3);
    sender.send(&sms(1, "8613900000001", &text)).await.unwrap();
    let messages: Value = http
        .get(format!("{control}/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let m = &messages["messages"][0];
    assert_eq!(m["parts"], 2, "{messages}");
    assert_eq!(m["data_coding"], 8);
    assert_eq!(m["esm_class"], 0x40);
    assert_eq!(m["text"], text.as_str());
    assert_eq!(m["short_messages_hex"].as_array().unwrap().len(), 2);

    post("fail", json!({"numbers": ["8613900000002"]}))
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    sender.send(&sms(2, "8613900000002", "hi")).await.unwrap();
    until("three receipts", || {
        sink.receipts.lock().unwrap().len() == 3
    })
    .await;
    let failed: Vec<_> = sink
        .receipts
        .lock()
        .unwrap()
        .iter()
        .filter(|r| !r.delivered)
        .cloned()
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].err_code.as_deref(), Some("UNDELIV:001"));

    let r = post(
        "mo",
        json!({"from": "8613900000003", "to": "1069", "text": "TD"}),
    )
    .await
    .unwrap();
    assert!(r.status().is_success());
    until("the MO", || sink.inbound.lock().unwrap().len() == 1).await;

    post("throttle", json!({"n": 1}))
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let e = sender
        .send(&sms(3, "8613900000001", "x"))
        .await
        .unwrap_err();
    assert!(matches!(e, SendError::Temporary(_)), "{e:?}");

    post("hold", json!({}))
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let sender = Arc::new(sender);
    let held = tokio::spawn({
        let sender = sender.clone();
        async move { sender.send(&sms(4, "8613900000001", "held")).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!held.is_finished());
    post("release", json!({}))
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    held.await.unwrap().unwrap();

    let stats: Value = http
        .get(format!("{control}/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["binds"], 1, "{stats}");
    assert_eq!(stats["submits"], 5, "{stats}");
    assert!(stats["receipts_acked"].as_u64().unwrap() >= 3, "{stats}");

    let r = post("throttle", json!({"m": 1})).await.unwrap();
    assert!(r.status().is_client_error(), "unknown fields are refused");

    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            assert!(s.success(), "{s:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "smsc-sim did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn bench_smpp_starts_the_simulator_and_counts_every_receipt() {
    let out = Command::new(BIN)
        .args([
            "bench-smpp",
            "--messages",
            "300",
            "--concurrency",
            "32",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["errors"], 0, "{v}");
    assert_eq!(v["receipts"], 300, "{v}");
    assert_eq!(v["smsc"]["submits"], 300, "{v}");
    assert!(v["smsc"]["max_outstanding"].as_u64().unwrap() <= 64, "{v}");
    assert!(v["submit_sm_per_sec"].as_f64().unwrap() > 0.0);
}
