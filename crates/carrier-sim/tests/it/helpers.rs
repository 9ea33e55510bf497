//! Spawning simulators and talking to them as devices, app servers and CAMARA clients.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use numgate_carrier_sim::{run, signature, SimConfig};
use reqwest::{Client, Response, StatusCode, Url};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub const CONTROL_TOKEN: &str = "control-secret";
pub const CLIENT_ID: &str = "numgate";
pub const CLIENT_SECRET: &str = "camara-secret";
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

/// Addresses of the standard subscriber table.
pub const CAMARA_DEVICE: u8 = 41;
pub const CAMARA_NUMBER: &str = "+8613800000041";
pub const CAMARA_DATA_OFF: u8 = 42;
pub const CAMARA_NO_SIM: u8 = 44;
pub const CAMARA_NOT_APPLICABLE: u8 = 45;
pub const CAMARA_SUSPENDED: u8 = 46;
pub const NOBODY: u8 = 99;

/// The standard configuration: subscribers of every carrier, two apps per carrier, one client.
pub fn standard_toml() -> String {
    format!(
        r#"
control_token = "{CONTROL_TOKEN}"

[[subscriber]]
address = "127.0.0.11"
number = "13800000011"
carrier = "cm"
[[subscriber]]
address = "127.0.0.12"
number = "13900000012"
carrier = "cm"
mobile_data = false
[[subscriber]]
address = "127.0.0.13"
number = "13500000013"
carrier = "cm"
status = "suspended"
[[subscriber]]
address = "127.0.0.21"
number = "13000000021"
carrier = "cu"
[[subscriber]]
address = "127.0.0.22"
number = "13000000022"
carrier = "cu"
mobile_data = false
[[subscriber]]
address = "127.0.0.31"
number = "13300000031"
carrier = "ct"
[[subscriber]]
address = "127.0.0.32"
number = "13300000032"
carrier = "ct"
mobile_data = false
[[subscriber]]
address = "127.0.0.41"
number = "+8613800000041"
carrier = "camara"
sim_swap_date = "2020-01-01T00:00:00Z"
activation_date = "2019-01-01T00:00:00Z"
[[subscriber]]
address = "127.0.0.42"
number = "+8613800000042"
carrier = "camara"
mobile_data = false
[[subscriber]]
address = "127.0.0.43"
number = "+8613800000043"
carrier = "camara"
activation_date = "2019-06-01T00:00:00Z"
[[subscriber]]
address = "127.0.0.44"
number = "+8613800000044"
carrier = "camara"
status = "unknown"
[[subscriber]]
address = "127.0.0.45"
number = "+8613800000045"
carrier = "camara"
sim_swap_applicable = false
[[subscriber]]
address = "127.0.0.46"
number = "+8613800000046"
carrier = "camara"
status = "suspended"

[[app]]
carrier = "cm"
app_id = "app-cm"
app_key = "key-cm"
[[app]]
carrier = "cm"
app_id = "other-cm"
app_key = "key-other-cm"
[[app]]
carrier = "cu"
app_id = "app-cu"
app_key = "key-cu"
[[app]]
carrier = "cu"
app_id = "other-cu"
app_key = "key-other-cu"
[[app]]
carrier = "ct"
app_id = "app-ct"
app_key = "key-ct"
[[app]]
carrier = "ct"
app_id = "other-ct"
app_key = "key-other-ct"

[[camara_client]]
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
redirect_uris = ["{REDIRECT_URI}"]
scopes = ["number-verification:verify", "number-verification:device-phone-number:read", "sim-swap", "sim-swap:check", "sim-swap:retrieve-date"]
"#
    )
}

/// A running simulator, stopped on drop.
pub struct Sim {
    pub base: String,
    _stop: oneshot::Sender<()>,
}

pub async fn spawn() -> Sim {
    spawn_with(&standard_toml()).await
}

/// Spawns a simulator from TOML on 127.0.0.1, port 0.
pub async fn spawn_with(toml: &str) -> Sim {
    let config = SimConfig::from_toml(toml).expect("test config is valid");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(run(config, listener, async move {
        let _ = stopped.await;
    }));
    Sim { base, _stop: stop }
}

/// A client whose connections come from 127.0.0.`n`: the SIM on that bearer.
pub fn device(n: u8) -> Client {
    Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// The app server / numgate itself (on 127.0.0.1).
pub fn server() -> Client {
    device(1)
}

impl Sim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = server()
            .request(method, self.url(&format!("/control{path}")))
            .bearer_auth(CONTROL_TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("control call")
    }

    pub async fn advance_clock(&self, secs: i64) {
        let r = self
            .control(
                reqwest::Method::POST,
                "/clock",
                Some(json!({ "advance_secs": secs })),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }

    pub async fn put_subscriber(&self, subscriber: Value) {
        let r = self
            .control(reqwest::Method::PUT, "/subscribers", Some(subscriber))
            .await;
        assert!(
            r.status().is_success(),
            "{}",
            r.text().await.unwrap_or_default()
        );
    }

    /// A device call: POST JSON from 127.0.0.`n`.
    pub async fn device_post(&self, n: u8, path: &str, body: Value) -> Value {
        let r = device(n)
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("device call");
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.expect("json")
    }

    /// A signed server call, following PROTOCOL.md (independently of the crate's own helpers
    /// except `signature::sign`'s HMAC, re-derived below).
    pub async fn signed(&self, path: &str, app_id: &str, key: &str, body: &Value) -> Value {
        let ts = chrono_now_secs();
        self.signed_at(path, app_id, key, body, ts, &random_nonce())
            .await
    }

    pub async fn signed_at(
        &self,
        path: &str,
        app_id: &str,
        key: &str,
        body: &Value,
        ts: i64,
        nonce: &str,
    ) -> Value {
        let raw = serde_json::to_vec(body).expect("json");
        let canonical = format!(
            "POST\n{path}\n{app_id}\n{ts}\n{nonce}\n{}",
            hex::encode(Sha256::digest(&raw))
        );
        assert_eq!(
            canonical,
            signature::canonical_string("POST", path, app_id, &ts.to_string(), nonce, &raw)
        );
        let sig = hmac_hex(key, &canonical);
        let r = server()
            .post(self.url(path))
            .header("content-type", "application/json")
            .header("X-App-Id", app_id)
            .header("X-Timestamp", ts.to_string())
            .header("X-Nonce", nonce)
            .header("X-Signature", sig)
            .body(raw)
            .send()
            .await
            .expect("server call");
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.expect("json")
    }

    /// Runs authorize from device `n` and returns the redirect `Location`.
    pub async fn authorize(&self, n: u8, scope: &str) -> Url {
        let r = device(n)
            .get(self.url("/camara/authorize"))
            .query(&[
                ("response_type", "code"),
                ("client_id", CLIENT_ID),
                ("redirect_uri", REDIRECT_URI),
                ("scope", scope),
                ("state", "st-1"),
                ("prompt", "none"),
            ])
            .send()
            .await
            .expect("authorize");
        assert_eq!(r.status(), StatusCode::FOUND);
        let location = r.headers()["location"].to_str().expect("ascii").to_owned();
        Url::parse(&location).expect("url")
    }

    pub async fn token_request(&self, form: &[(&str, &str)]) -> Response {
        server()
            .post(self.url("/camara/token"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(form)
            .send()
            .await
            .expect("token")
    }

    /// A three-legged access token for device `n` (network-based authentication).
    pub async fn three_legged(&self, n: u8, scope: &str) -> String {
        let location = self.authorize(n, &format!("openid {scope}")).await;
        let code = query_param(&location, "code").expect("code in redirect");
        let r = self
            .token_request(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
            ])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.expect("json");
        body["access_token"].as_str().expect("token").to_owned()
    }

    /// A two-legged (client credentials) access token.
    pub async fn two_legged(&self, scope: &str) -> String {
        let r = self
            .token_request(&[("grant_type", "client_credentials"), ("scope", scope)])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.expect("json");
        body["access_token"].as_str().expect("token").to_owned()
    }

    /// A CAMARA API call with an optional token, body and correlator.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> ApiReply {
        let mut request = server()
            .request(method, self.url(&format!("/camara{path}")))
            .header("x-correlator", "b4333c46-49c0-4f62-80d7-f0ef930f1c46");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let r = request.send().await.expect("api call");
        let status = r.status();
        let correlator = r
            .headers()
            .get("x-correlator")
            .map(|v| v.to_str().unwrap_or("").to_owned());
        let content_type = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or("").to_owned());
        let body = r.json().await.unwrap_or(Value::Null);
        ApiReply {
            status,
            correlator,
            content_type,
            body,
        }
    }
}

pub struct ApiReply {
    pub status: StatusCode,
    pub correlator: Option<String>,
    pub content_type: Option<String>,
    pub body: Value,
}

impl ApiReply {
    /// Asserts a spec error body.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.body["status"], status, "{}", self.body);
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert!(
            self.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}",
            self.body
        );
    }

    /// Asserts the generic success checks of the features (status, content type, correlator).
    pub fn assert_generic_success(&self) {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        assert!(self
            .content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/json")));
        assert_eq!(
            self.correlator.as_deref(),
            Some("b4333c46-49c0-4f62-80d7-f0ef930f1c46")
        );
    }
}

pub fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub fn hmac_hex(key: &str, data: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(data.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub fn chrono_now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn random_nonce() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "nonce-{}-{}",
        chrono_now_secs(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// RFC 3339 of now minus `hours` (plus `extra_secs`), for SIM swap dates.
pub fn hours_ago(hours: i64, extra_secs: i64) -> String {
    let at = chrono::Utc::now() - chrono::TimeDelta::hours(hours)
        + chrono::TimeDelta::seconds(extra_secs);
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A CAMARA subscriber record for `PUT /control/subscribers`.
pub fn camara_subscriber(
    n: u8,
    number: &str,
    swap: Option<String>,
    activation: Option<String>,
) -> Value {
    json!({
        "address": format!("127.0.0.{n}"),
        "number": number,
        "carrier": "camara",
        "sim_swap_date": swap,
        "activation_date": activation,
    })
}
