//! `numgate sms-provider-sim`: the simulated HTTP SMS provider as its own
//! process, fed by numgate's HTTP sender, stopped by SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use numgate_sms::{HttpProviderConfig, HttpSender, OutgoingSms, SmsSender};

use crate::proc::BIN;

#[tokio::test]
async fn the_sms_provider_simulator_takes_signed_sends_and_stops_on_sigterm() {
    let mut child = Command::new(BIN)
        .args(["sms-provider-sim", "--listen", "127.0.0.1:0"])
        .env("NUMGATE_SMS_PROVIDER_SECRET", "cli-test-secret")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base: String = line[line.find("http://").expect("the address")..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let config: HttpProviderConfig = serde_json::from_value(serde_json::json!({
        "name": "sim",
        "url": format!("{base}send"),
        "secret": "cli-test-secret",
    }))
    .unwrap();
    let sms = OutgoingSms {
        message_id: 1,
        tenant_id: 1,
        biz_id: "b".into(),
        phone: "8613800138000".into(),
        text: "Your code is 123456".into(),
        up_extend_code: None,
    };

    let submitted = HttpSender::new(config).unwrap().send(&sms).await;
    let unsigned = reqwest::Client::new()
        .post(format!("{base}send"))
        .body("{}")
        .send()
        .await
        .unwrap()
        .status();
    let stats: serde_json::Value = reqwest::get(format!("{base}control/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("numgate sms-provider-sim did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };

    assert!(submitted.unwrap().provider_message_id.is_some());
    assert_eq!(unsigned.as_u16(), 401);
    assert_eq!(stats["unique_messages"], 1, "{stats}");
    assert_eq!(stats["bad_signatures"], 1, "{stats}");
    assert!(status.success(), "{status:?}");

    let out = Command::new(BIN)
        .args(["sms-provider-sim", "--listen", "127.0.0.1:0"])
        .env_remove("NUMGATE_SMS_PROVIDER_SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--secret"));
}
