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

#[tokio::test]
async fn a_phone_with_mobile_data_off_gets_a_clear_error_and_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = crate::proc::Server::start_with(
        &[
            "--dev",
            "--dev-carriers",
            "127.0.0.1:0",
            "--data-dir",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    let (id, secret) = crate::proc::create_key(dir.path());
    let api = numgate_client::OpenApi::new(&server.endpoint, &id, &secret);
    let req = numgate_client::CreateVerifyScheme::android(
        "demo",
        "Acme",
        "com.acme.app",
        "0123456789abcdef0123456789abcdef",
    );
    let code = api
        .create_verify_scheme(&req)
        .await
        .unwrap()
        .body
        .gate_verify_scheme_dto
        .unwrap()
        .scheme_code;
    let info = api
        .describe_verify_scheme(&code)
        .await
        .unwrap()
        .body
        .scheme_query_result_dto
        .unwrap()
        .app_encrypt_info;
    let device = |bearer: &str| {
        Command::new(BIN)
            .args([
                "device",
                "one-click",
                "--bind",
                bearer,
                "--app",
                "com.acme.app",
            ])
            .args(["--endpoint", &server.endpoint, "--app-encrypt-info", &info])
            .output()
            .unwrap()
    };
    // The demo table's 127.0.0.15 is a China Mobile SIM with mobile data off.
    let off = device("127.0.0.15");
    // The same app on 127.0.0.11 (data on) gets its token.
    let on = device("127.0.0.11");
    server.terminate();
    assert!(!off.status.success());
    assert!(off.stdout.is_empty(), "no token");
    let err = String::from_utf8_lossy(&off.stderr);
    assert!(
        err.contains("no carrier serves this SIM") && err.contains("103902"),
        "the carrier's data-off code: {err}"
    );
    assert!(
        on.status.success(),
        "{}",
        String::from_utf8_lossy(&on.stderr)
    );
    assert!(!on.stdout.is_empty());
}

#[tokio::test]
async fn numgate_device_plays_the_h5_flow() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = crate::proc::Server::start_with(
        &[
            "--dev",
            "--dev-carriers",
            "127.0.0.1:0",
            "--data-dir",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    let (id, secret) = crate::proc::create_key(dir.path());
    let api = numgate_client::OpenApi::new(&server.endpoint, &id, &secret);
    let site = "https://shop.acme.example";
    let req = numgate_client::CreateVerifyScheme::web("h5", "Acme", &format!("{site}/login"), site);
    let code = api
        .create_verify_scheme(&req)
        .await
        .unwrap()
        .body
        .gate_verify_scheme_dto
        .unwrap()
        .scheme_code;
    let p = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let params = [
        p("Url", &format!("{site}/login")),
        p("Origin", site),
        p("SceneCode", &code),
        p("BizType", "1"),
    ]
    .into();
    let (_, body) = api.call_raw("GetAuthToken", &params).await.unwrap();
    let t: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let (access, jwt) = (
        t["TokenInfo"]["AccessToken"].as_str().unwrap(),
        t["TokenInfo"]["JwtToken"].as_str().unwrap(),
    );
    let device = |digits: &str| {
        Command::new(BIN)
            .args([
                "device",
                "h5-login",
                "--bind",
                "127.0.0.11",
                "--endpoint",
                &server.endpoint,
            ])
            // `--name=value`: a token may begin with `-`, which clap takes for an option.
            .arg(format!("--access-token={access}"))
            .arg(format!("--jwt-token={jwt}"))
            .args(["--digits", digits])
            .output()
            .unwrap()
    };
    // 13800000011: the middle four digits are 0000.
    let wrong = device("1234");
    let right = device("0000");
    let sp = String::from_utf8(right.stdout.clone())
        .unwrap()
        .trim()
        .to_owned();
    let (_, body) = api
        .call_raw("GetPhoneWithToken", &[p("SpToken", &sp)].into())
        .await
        .unwrap();
    server.terminate();
    assert!(!wrong.status.success());
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        err.contains("WrongDigits") && err.contains("2 tries left"),
        "{err}"
    );
    assert!(
        right.status.success(),
        "{}",
        String::from_utf8_lossy(&right.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(r["Data"]["Mobile"], "13800000011", "{r}");
}
