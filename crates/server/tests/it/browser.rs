//! The H5 flow in a real browser: headless Chromium (Debian's, driven through
//! chromedriver) loads the demo page, which uses the H5 JavaScript SDK served by
//! numgate; the browser's connections come from 127.0.0.1, the SIM's bearer in
//! the simulator's table.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};
use numgate_carrier_sim::SimConfig;
use numgate_client::CreateVerifyScheme;
use numgate_server::config::{CarriersConfig, TokenCarrierConfig};
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, texted_code, TestApp};

const SIM: &str = r#"
[[subscriber]]
address = "127.0.0.1"
number = "13812345678"
carrier = "cm"
[[app]]
carrier = "cm"
app_id = "300011"
app_key = "cm-key"
"#;

/// chromedriver, or `None` (and a note) outside CI; under CI its absence fails.
pub(crate) fn chromedriver() -> Option<String> {
    let found = Command::new("sh")
        .args(["-c", "command -v chromedriver"])
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&found.stdout).trim().to_owned();
    if !path.is_empty() {
        return Some(path);
    }
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "CI must run the browser test: scripts/browser-deps.sh installs chromium and chromium-driver"
    );
    println!("skipped: no chromedriver; run scripts/browser-deps.sh");
    None
}

pub(crate) struct Driver(Child, u16);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_driver(path: &str) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("http://127.0.0.1:{port}/status"))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Driver(child, port)
}

async fn text_of(c: &fantoccini::Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Waits until the element's text satisfies `ok`, up to 15 s.
async fn wait_text(c: &fantoccini::Client, css: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let t = text_of(c, css).await;
        if ok(&t) {
            return t;
        }
        assert!(Instant::now() < deadline, "{css} never became ready: {t:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The simulator (one China Mobile SIM on 127.0.0.1, the browser's bearer) and
/// numgate configured with it; the sender stops the simulator when dropped.
async fn world() -> (TestApp, String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = format!("http://{}", listener.local_addr().unwrap());
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(numgate_carrier_sim::run(
        SimConfig::from_toml(SIM).unwrap(),
        listener,
        async {
            let _ = rx.await;
        },
    ));
    let url = sim.clone();
    let app = spawn_app_with(move |c| {
        c.carriers = CarriersConfig {
            cm: Some(TokenCarrierConfig {
                url,
                app_id: "300011".into(),
                app_key: "cm-key".into(),
                accounts: Vec::new(),
            }),
            ..CarriersConfig::default()
        };
    })
    .await;
    (app, sim, stop)
}

/// Headless Chromium through chromedriver, with a profile of its own.
pub(crate) async fn open_browser(path: &str) -> (Driver, fantoccini::Client, tempfile::TempDir) {
    let driver = start_driver(path).await;
    let profile = tempfile::tempdir().unwrap();
    let caps = json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        }
    });
    let caps = caps.as_object().unwrap().clone().into_iter().collect();
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.1))
        .await
        .expect("a browser session");
    (driver, client, profile)
}

#[tokio::test]
async fn the_h5_demo_page_verifies_the_number_in_a_real_browser() {
    let Some(path) = chromedriver() else { return };
    let (app, sim, _stop) = world().await;
    let api = app.client();
    let page = format!("{}/client/v1/h5/demo.html", app.endpoint);
    let req = CreateVerifyScheme::web("h5demo", "Acme", &page, &app.endpoint);
    let scheme = api
        .create_verify_scheme(&req)
        .await
        .unwrap()
        .body
        .gate_verify_scheme_dto
        .unwrap()
        .scheme_code;
    let params: BTreeMap<String, String> = [
        ("Url", page.as_str()),
        ("Origin", app.endpoint.as_str()),
        ("SceneCode", scheme.as_str()),
        ("BizType", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let (_, body) = api.call_raw("GetAuthToken", &params).await.unwrap();
    let tokens: Value = serde_json::from_slice(&body).unwrap();
    let access = tokens["TokenInfo"]["AccessToken"].as_str().unwrap();
    let jwt = tokens["TokenInfo"]["JwtToken"].as_str().unwrap();

    let (driver, client, _profile) = open_browser(&path).await;
    let result = async {
        client
            .goto(&format!(
                "{page}#access={access}&jwt={jwt}&gateway={sim}&carrier=cm&app=300011"
            ))
            .await
            .unwrap();
        // The SDK asked the carrier over the browser's connection.
        let masked = wait_text(&client, "#masked", |t| t.contains('*')).await;
        assert_eq!(masked, "138****5678");

        // Wrong digits: one try fewer, no token.
        client
            .find(Locator::Css("#digits"))
            .await
            .unwrap()
            .send_keys("0000")
            .await
            .unwrap();
        client
            .find(Locator::Css("#confirm"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let err = wait_text(&client, "#error", |t| !t.is_empty()).await;
        assert!(
            err.contains("WrongDigits") && err.contains("2 tries left"),
            "{err}"
        );
        assert_eq!(text_of(&client, "#result").await, "");

        // The right middle digits: the spToken.
        let input = client.find(Locator::Css("#digits")).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys("1234").await.unwrap();
        client
            .find(Locator::Css("#confirm"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_text(&client, "#result", |t| !t.is_empty()).await
    }
    .await;
    let _ = client.close().await;
    drop(driver);

    let p: BTreeMap<String, String> = [("SpToken".to_owned(), result)].into();
    let (_, body) = api.call_raw("GetPhoneWithToken", &p).await.unwrap();
    let r: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(r["Data"]["Mobile"], "13812345678", "{r}");
}

/// Clicks a button or types into an input of the page.
async fn type_and_ok(c: &fantoccini::Client, text: &str) {
    let input = c.find(Locator::Css("#answer")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
    c.find(Locator::Css("#ok"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_fusion_demo_page_runs_scenes_in_a_real_browser() {
    let Some(path) = chromedriver() else { return };
    let (app, _sim, _stop) = world().await;
    let api = app.client();
    let call = |action: &'static str, params: Vec<(&'static str, String)>| {
        let api = api.clone();
        async move {
            let p: BTreeMap<String, String> =
                params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            let (_, body) = api.call_raw(action, &p).await.unwrap();
            serde_json::from_slice::<Value>(&body).unwrap()
        }
    };
    let page = format!("{}/client/v1/h5/fusion-demo.html", app.endpoint);
    let r = call(
        "CreateSchemeConfig",
        vec![
            ("SchemeName", "web".into()),
            ("AppName", "Acme".into()),
            ("Platform", "Web".into()),
            ("H5Url", page.clone()),
            ("H5Origin", app.endpoint.clone()),
        ],
    )
    .await;
    let scheme = r["Model"]["SchemeCode"].as_str().unwrap().to_owned();
    let r = call(
        "GetFusionAuthToken",
        vec![
            ("SchemeCode", scheme),
            ("Platform", "Web".into()),
            ("DurationSeconds", "900".into()),
        ],
    )
    .await;
    let token = r["Model"].as_str().unwrap().to_owned();

    let (driver, client, _profile) = open_browser(&path).await;
    let result = async {
        // Logon: the SDK asks the carrier over the browser's connection.
        client
            .goto(&format!("{page}#token={token}&scene=100001"))
            .await
            .unwrap();
        let logon = wait_text(&client, "#result", |t| !t.is_empty()).await;

        // Reset password: the code texted to the number, typed into the page.
        client
            .goto(&format!(
                "{page}#token={token}&scene=100003&number=13812345678"
            ))
            .await
            .unwrap();
        client.refresh().await.unwrap();
        wait_text(&client, "#step", |t| t.starts_with("sms_code")).await;
        let code = texted_code(&app, "13812345678").await;
        type_and_ok(&client, &code).await;
        let reset = wait_text(&client, "#result", |t| !t.is_empty()).await;
        (logon, reset)
    }
    .await;
    let _ = client.close().await;
    drop(driver);

    for (token, number) in [(result.0, "13812345678"), (result.1, "13812345678")] {
        let r = call("VerifyWithFusionAuthToken", vec![("VerifyToken", token)]).await;
        assert_eq!(r["Model"]["PhoneNumber"], number, "{r}");
        assert_eq!(r["Model"]["VerifyResult"], "PASS", "{r}");
    }
}
