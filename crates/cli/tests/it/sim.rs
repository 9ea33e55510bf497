//! `numgate carrier-sim`: the simulator as its own process, with the example table.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::proc::{repo, BIN};

#[tokio::test]
async fn the_carrier_simulator_runs_with_the_example_table() {
    let config = repo().join("crates/carrier-sim/examples/sim.toml");
    let mut child = Command::new(BIN)
        .args(["carrier-sim", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url: String = line[line.find("http://").expect("the address")..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    // A China Mobile SIM on bearer 127.0.0.11 asks for its masked number.
    let device = reqwest::Client::builder()
        .local_address(Some("127.0.0.11".parse().unwrap()))
        .build()
        .unwrap();
    let r: serde_json::Value = device
        .post(format!("{}cm/prefetch", url))
        .json(&serde_json::json!({"app_id": "300011"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(r["resultCode"], "103000", "{r}");
    assert_eq!(r["data"]["masked_number"], "138****0011", "{r}");

    let out = Command::new(BIN)
        .args(["carrier-sim"])
        .env_remove("NUMGATE_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--config"));
}
