//! The carrier adapters against the carrier simulator, over real HTTP, with
//! devices on their own bearer addresses (127.0.0.N).

use std::time::{Duration, Instant};

use numgate_carrier_sim::SimConfig;
use numgate_carriers::camara::{Camara, CamaraClient, SCOPE_SHARE, SCOPE_VERIFY};
use numgate_carriers::token_exchange::{AppCredentials, Dialect, TokenExchange};
use numgate_carriers::{CarrierError, CarrierGateway, Timeouts};
use serde_json::{json, Value};

const CONFIG: &str = r#"
control_token = "ctl"

[[subscriber]]
address = "127.0.0.21"
number = "13800000021"
carrier = "cm"

[[subscriber]]
address = "127.0.0.22"
number = "13000000022"
carrier = "cu"

[[subscriber]]
address = "127.0.0.23"
number = "18900000023"
carrier = "ct"

[[subscriber]]
address = "127.0.0.24"
number = "+447700900024"
carrier = "camara"
sim_swap_date = "2020-01-01T00:00:00Z"

[[app]]
carrier = "cm"
app_id = "300011"
app_key = "cm-key"

[[app]]
carrier = "cu"
app_id = "cu-app"
app_key = "cu-key"

[[app]]
carrier = "ct"
app_id = "ct-app"
app_key = "ct-key"

[[camara_client]]
client_id = "numgate"
client_secret = "camara-secret"
redirect_uris = ["http://127.0.0.1/cb"]
scopes = ["number-verification:verify", "number-verification:device-phone-number:read", "sim-swap"]
"#;

struct Sim {
    url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn sim() -> Sim {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let config = SimConfig::from_toml(CONFIG).unwrap();
    tokio::spawn(numgate_carrier_sim::run(config, listener, async {
        let _ = rx.await;
    }));
    Sim { url, _stop: tx }
}

fn device(addr: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(Some(addr.parse().unwrap()))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

const CARRIERS: [(Dialect, &str, &str, &str, &str); 3] = [
    (
        Dialect::ChinaMobile,
        "127.0.0.21",
        "13800000021",
        "300011",
        "cm-key",
    ),
    (
        Dialect::ChinaUnicom,
        "127.0.0.22",
        "13000000022",
        "cu-app",
        "cu-key",
    ),
    (
        Dialect::ChinaTelecom,
        "127.0.0.23",
        "18900000023",
        "ct-app",
        "ct-key",
    ),
];

/// The device's token, asked for over its bearer.
async fn token(s: &Sim, d: Dialect, addr: &str, app_id: &str, purpose: &str) -> String {
    let r: Value = device(addr)
        .post(format!("{}/{}/token", s.url, d.prefix()))
        .json(&json!({"app_id": app_id, "purpose": purpose}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["data"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a token: {r}"))
        .to_owned()
}

fn adapter(s: &Sim, d: Dialect, app_id: &str, key: &str, timeouts: Timeouts) -> TokenExchange {
    let app = AppCredentials {
        app_id: app_id.into(),
        app_key: key.into(),
    };
    TokenExchange::new(d, &s.url, app, timeouts)
}

async fn control(s: &Sim, path: &str, body: Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/control/{path}", s.url))
        .bearer_auth("ctl")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "control {path}: {}", r.status());
}

#[tokio::test]
async fn one_click_returns_the_number_once_for_each_carrier() {
    let s = sim().await;
    for (d, addr, number, app, key) in CARRIERS {
        let a = adapter(&s, d, app, key, Timeouts::default());
        let t = token(&s, d, addr, app, "login").await;
        assert_eq!(a.exchange(&t).await.unwrap(), number, "{d:?}");
        assert_eq!(
            a.exchange(&t).await,
            Err(CarrierError::TokenInvalid),
            "{d:?}: single use"
        );
    }
}

#[tokio::test]
async fn a_check_token_matches_only_its_own_number() {
    let s = sim().await;
    for (d, addr, number, app, key) in CARRIERS {
        let a = adapter(&s, d, app, key, Timeouts::default());
        let t = token(&s, d, addr, app, "verify").await;
        assert!(a.verify(&t, number).await.unwrap(), "{d:?}");
        let t = token(&s, d, addr, app, "verify").await;
        assert!(!a.verify(&t, "13999999999").await.unwrap(), "{d:?}");
    }
}

#[tokio::test]
async fn a_token_used_for_the_other_purpose_is_refused_as_such() {
    let s = sim().await;
    let (d, addr, number, app, key) = CARRIERS[0];
    let a = adapter(&s, d, app, key, Timeouts::default());
    let login = token(&s, d, addr, app, "login").await;
    assert_eq!(
        a.verify(&login, number).await,
        Err(CarrierError::TokenWrongPurpose)
    );
    let check = token(&s, d, addr, app, "verify").await;
    assert_eq!(
        a.exchange(&check).await,
        Err(CarrierError::TokenWrongPurpose)
    );
    // Neither was spent by the wrong use.
    assert_eq!(a.exchange(&login).await.unwrap(), number);
}

#[tokio::test]
async fn tokens_expire_after_each_carriers_lifetime() {
    let s = sim().await;
    for ((d, addr, _, app, key), lifetime) in CARRIERS.into_iter().zip([120, 1800, 600]) {
        let a = adapter(&s, d, app, key, Timeouts::default());
        let fresh = token(&s, d, addr, app, "login").await;
        let old = token(&s, d, addr, app, "login").await;
        control(&s, "clock", json!({"advance_secs": lifetime - 10})).await;
        assert!(
            a.exchange(&fresh).await.is_ok(),
            "{d:?} before its lifetime"
        );
        control(&s, "clock", json!({"advance_secs": 11})).await;
        assert_eq!(
            a.exchange(&old).await,
            Err(CarrierError::TokenInvalid),
            "{d:?} after"
        );
    }
}

#[tokio::test]
async fn a_wrong_app_key_is_numgates_problem_not_the_tokens() {
    let s = sim().await;
    let (d, addr, _, app, _) = CARRIERS[1];
    let t = token(&s, d, addr, app, "login").await;
    let a = adapter(&s, d, app, "not-the-key", Timeouts::default());
    assert!(matches!(
        a.exchange(&t).await,
        Err(CarrierError::Refused(_))
    ));
}

#[tokio::test]
async fn carrier_faults_are_unavailable_within_the_time_limit() {
    let s = sim().await;
    let (d, addr, _, app, key) = CARRIERS[2];
    let quick = Timeouts {
        connect: Duration::from_millis(300),
        request: Duration::from_millis(500),
    };
    let a = adapter(&s, d, app, key, quick);
    for fault in [
        json!({"carrier": "ct", "endpoint": "exchange", "fault": "timeout", "times": 1}),
        json!({"carrier": "ct", "endpoint": "exchange", "fault": "status", "status": 503, "times": 1}),
        json!({"carrier": "ct", "endpoint": "exchange", "fault": "malformed", "shape": "invalid_json", "times": 1}),
        json!({"carrier": "ct", "endpoint": "exchange", "fault": "malformed", "shape": "wrong_shape", "times": 1}),
    ] {
        control(&s, "faults", fault.clone()).await;
        let t = token(&s, d, addr, app, "login").await;
        let started = Instant::now();
        let r = a.exchange(&t).await;
        assert!(
            matches!(r, Err(CarrierError::Unavailable(_))),
            "{fault}: {r:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{fault}: bounded"
        );
    }
    // Latency under the limit is just latency.
    control(
        &s,
        "faults",
        json!({"carrier": "ct", "endpoint": "exchange", "fault": "latency", "ms": 100, "times": 1}),
    )
    .await;
    let t = token(&s, d, addr, app, "login").await;
    assert!(a.exchange(&t).await.is_ok());
    // An unreachable carrier is unavailable too.
    let gone = TokenExchange::new(
        d,
        "http://127.0.0.1:9",
        AppCredentials {
            app_id: app.into(),
            app_key: key.into(),
        },
        quick,
    );
    assert!(matches!(
        gone.exchange("x").await,
        Err(CarrierError::Unavailable(_))
    ));
}

/// The code the operator hands the device on its bearer (network-based OIDC).
async fn camara_code(c: &Camara, addr: &str, scope: &str) -> String {
    let r = device(addr)
        .get(c.authorize_url(scope, "st-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let query = location.split_once('?').unwrap().1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("state").as_deref(), Some("st-1"));
    get("code").unwrap_or_else(|| panic!("a code: {location}"))
}

fn camara(s: &Sim, hashed: bool) -> Camara {
    let client = CamaraClient {
        client_id: "numgate".into(),
        client_secret: "camara-secret".into(),
        redirect_uri: "http://127.0.0.1/cb".into(),
    };
    Camara::new(
        &format!("{}/camara", s.url),
        client,
        hashed,
        Timeouts::default(),
    )
}

#[tokio::test]
async fn camara_shares_and_verifies_the_devices_number() {
    let s = sim().await;
    let c = camara(&s, false);
    let code = camara_code(&c, "127.0.0.24", SCOPE_SHARE).await;
    assert_eq!(c.exchange(&code).await.unwrap(), "+447700900024");
    assert_eq!(
        c.exchange(&code).await,
        Err(CarrierError::TokenInvalid),
        "a code is single use"
    );
    for hashed in [false, true] {
        let c = camara(&s, hashed);
        let code = camara_code(&c, "127.0.0.24", SCOPE_VERIFY).await;
        assert!(
            c.verify(&code, "+447700900024").await.unwrap(),
            "hashed {hashed}"
        );
        let code = camara_code(&c, "127.0.0.24", SCOPE_VERIFY).await;
        assert!(
            !c.verify(&code, "+447700900099").await.unwrap(),
            "hashed {hashed}"
        );
    }
    // A share code does not verify.
    let code = camara_code(&c, "127.0.0.24", SCOPE_SHARE).await;
    assert_eq!(
        c.verify(&code, "+447700900024").await,
        Err(CarrierError::TokenWrongPurpose)
    );
}

#[tokio::test]
async fn camara_sim_swap_feeds_number_risk() {
    let s = sim().await;
    let c = camara(&s, false);
    assert!(
        !c.sim_swapped("+447700900024", 240).await.unwrap(),
        "swapped in 2020"
    );
    let date = c.sim_swap_date("+447700900024").await.unwrap().unwrap();
    assert_eq!(date.to_rfc3339(), "2020-01-01T00:00:00+00:00");
    assert!(
        matches!(
            c.sim_swapped("+447700900099", 240).await,
            Err(CarrierError::Refused(_))
        ),
        "unknown number"
    );
}
