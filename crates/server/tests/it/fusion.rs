//! Fusion-Auth end to end: the tenant's backend creates a scheme and gets the SDK
//! token, a phone on its bearer address runs the scene step by step through the
//! Client API (one-click at the simulator, SMS codes from the outbox, CAPTCHA
//! solved, upstream SMS injected as the SMS centre would deliver it), and the
//! backend redeems the VerifyToken once.

use std::collections::BTreeMap;
use std::time::Duration;

use numgate_carrier_sim::SimConfig;
use numgate_client::OpenApi;
use numgate_server::config::{CamaraConfig, CarriersConfig, TokenCarrierConfig};
use numgate_store::{NewInbound, PutPolicy};
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, texted_code, TestApp};

const SIM: &str = r#"
[[subscriber]]
address = "127.0.0.43"
number = "13800000043"
carrier = "cm"
sim_swap_date = "SWAPPED"
[[subscriber]]
address = "127.0.0.41"
number = "13800000041"
carrier = "cm"
[[subscriber]]
address = "127.0.0.42"
number = "13800000042"
carrier = "cm"
mobile_data = false
[[app]]
carrier = "cm"
app_id = "300011"
app_key = "cm-key"
[[camara_client]]
client_id = "numgate"
client_secret = "camara-secret"
redirect_uris = ["http://127.0.0.1/cb"]
scopes = ["sim-swap", "sim-swap:retrieve-date"]
"#;

const PACKAGE: &str = "com.acme.fusion";
const SIGN: &str = "0123456789abcdef0123456789abcdef";

pub(crate) struct World {
    pub(crate) app: TestApp,
    sim: String,
    pub(crate) token: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn call(api: &OpenApi, action: &str, params: &[(&str, &str)]) -> Value {
    let p: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (status, body) = api.call_raw(action, &p).await.unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

pub(crate) async fn world() -> World {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    // 13800000043's SIM was swapped two days ago.
    let swapped = (chrono::Utc::now() - chrono::Duration::days(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    tokio::spawn(numgate_carrier_sim::run(
        SimConfig::from_toml(&SIM.replace("SWAPPED", &swapped)).unwrap(),
        listener,
        async {
            let _ = rx.await;
        },
    ));
    let url = sim.clone();
    let sim_url = sim.clone();
    let app = spawn_app_with(move |c| {
        c.carriers = CarriersConfig {
            timeout_ms: Some(1_000),
            cm: Some(TokenCarrierConfig {
                url,
                app_id: "300011".into(),
                app_key: "cm-key".into(),
                accounts: Vec::new(),
            }),
            camara: Some(CamaraConfig {
                url: format!("{sim_url}/camara"),
                client_id: "numgate".into(),
                client_secret: "camara-secret".into(),
                redirect_uri: "http://127.0.0.1/cb".into(),
                hashed: false,
            }),
            ..CarriersConfig::default()
        };
    })
    .await;
    let api = app.client();
    let r = call(
        &api,
        "CreateSchemeConfig",
        &[
            ("SchemeName", "fusion"),
            ("AppName", "Acme"),
            ("Platform", "Android"),
            ("AndroidPackageName", PACKAGE),
            ("AndroidPackageSign", SIGN),
        ],
    )
    .await;
    assert_eq!(r["Code"], "OK", "{r}");
    let scheme = r["Model"]["SchemeCode"].as_str().unwrap().to_owned();
    let r = call(
        &api,
        "GetFusionAuthToken",
        &[
            ("SchemeCode", &scheme),
            ("Platform", "Android"),
            ("PackageName", PACKAGE),
            ("PackageSign", SIGN),
            ("DurationSeconds", "43200"),
        ],
    )
    .await;
    assert_eq!(r["Code"], "OK", "{r}");
    World {
        app,
        sim,
        token: r["Model"].as_str().unwrap().to_owned(),
        _stop: tx,
    }
}

/// A phone on a bearer address, talking to numgate and its carrier.
pub(crate) struct Phone {
    http: reqwest::Client,
    numgate: String,
    sim: String,
    session: Option<String>,
}

impl Phone {
    pub(crate) fn new(w: &World, bearer: &str) -> Phone {
        Phone {
            http: reqwest::Client::builder()
                .local_address(Some(bearer.parse().unwrap()))
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            numgate: w.app.endpoint.clone(),
            sim: w.sim.clone(),
            session: None,
        }
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.numgate))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    pub(crate) async fn start(&mut self, token: &str, scene: &str, extra: Value) -> Value {
        let mut body = json!({"Token": token, "Scene": scene, "DeviceId": "device-1"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, v) = self.post("/client/v1/fusion/start", body).await;
        assert_eq!(status, 200, "{v}");
        self.session = v["Session"].as_str().map(str::to_owned);
        v
    }

    async fn act(&self, action: Value) -> (u16, Value) {
        let mut body = action;
        body["Session"] = json!(self.session.clone().unwrap());
        self.post("/client/v1/fusion/step", body).await
    }

    pub(crate) async fn step(&self, action: Value) -> Value {
        let (status, v) = self.act(action).await;
        assert_eq!(status, 200, "{v}");
        v
    }

    /// Asks the offered carrier for a one-click token over the bearer.
    pub(crate) async fn carrier_token(&self, offered: &Value, purpose: &str) -> Value {
        let c = &offered["Carriers"][0];
        let r: Value = self
            .http
            .post(format!(
                "{}/{}/token",
                self.sim,
                c["Carrier"].as_str().unwrap()
            ))
            .json(&json!({"app_id": c["AppId"], "purpose": purpose}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        json!({"Action": "carrier", "Carrier": c["Carrier"], "CarrierToken": r["data"]["token"]})
    }
}

/// Solves an ALTCHA challenge as the widget does, with the device client's solver.
fn solve(challenge: &Value) -> String {
    use numgate_client::device::fusion::{payload, solve, Challenge};
    let c: Challenge = serde_json::from_value(challenge.clone()).unwrap();
    let n = solve(&c.salt, &c.challenge, c.max_number).expect("the number is within maxnumber");
    payload(&c, n, Duration::ZERO)
}

pub(crate) async fn redeem(api: &OpenApi, verify_token: &str) -> Value {
    call(
        api,
        "VerifyWithFusionAuthToken",
        &[("VerifyToken", verify_token)],
    )
    .await
}

#[tokio::test]
async fn logon_on_the_low_risk_path_is_one_click_and_its_verify_token_is_good_once() {
    let w = world().await;
    let api = w.app.client();
    let mut phone = Phone::new(&w, "127.0.0.41");
    let first = phone.start(&w.token, "100001", json!({})).await;
    assert_eq!(first["Step"], "carrier_consent", "{first}");
    let token = phone.carrier_token(&first, "login").await;
    let done = phone.step(token).await;
    assert_eq!(done["Step"], "done", "{done}");
    assert_eq!(done["MaskedNumber"], "138****0041");
    let r = redeem(&api, done["VerifyToken"].as_str().unwrap()).await;
    assert_eq!(r["Code"], "OK", "{r}");
    assert_eq!(r["Model"]["PhoneNumber"], "13800000041");
    assert_eq!(r["Model"]["VerifyResult"], "PASS");
    assert!(
        r["Model"]["PhoneScore"].as_u64().is_some(),
        "logon scores the number: {r}"
    );
    let again = redeem(&api, done["VerifyToken"].as_str().unwrap()).await;
    assert_eq!(again["Code"], "isv.TOKEN_INVALID", "{again}");
    // A finished session takes no more steps.
    let (status, _) = phone.act(json!({"Action": "give_up"})).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_carrier_timeout_falls_back_to_an_sms_code() {
    let w = world().await;
    let api = w.app.client();
    // Mobile data is off on this phone: the SDK's carrier request times out.
    let mut phone = Phone::new(&w, "127.0.0.42");
    let first = phone.start(&w.token, "100001", json!({})).await;
    assert_eq!(first["Step"], "carrier_consent", "{first}");
    let next = phone
        .step(json!({"Action": "carrier", "Failed": "timeout"}))
        .await;
    assert_eq!(next["Step"], "enter_number", "{next}");
    let (status, v) = phone
        .act(json!({"Action": "number", "Number": "12345"}))
        .await;
    assert_eq!(
        (status, v["Step"].as_str()),
        (200, Some("enter_number")),
        "{v}"
    );
    assert!(v["Error"].is_string());
    let sms = phone
        .step(json!({"Action": "number", "Number": "13800000042"}))
        .await;
    assert_eq!(sms["Step"], "sms_code", "{sms}");
    assert_eq!(sms["MaskedNumber"], "138****0042");
    let code = texted_code(&w.app, "13800000042").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let again = phone
        .step(json!({"Action": "sms_code", "Code": wrong}))
        .await;
    assert_eq!(
        again["Step"], "sms_code",
        "a wrong code may be typed again: {again}"
    );
    // An action that does not fit the step changes nothing.
    let (status, _) = phone.act(json!({"Action": "upstream"})).await;
    assert_eq!(status, 409);
    let done = phone
        .step(json!({"Action": "sms_code", "Code": code}))
        .await;
    assert_eq!(done["Step"], "done", "{done}");
    let r = redeem(&api, done["VerifyToken"].as_str().unwrap()).await;
    assert_eq!(r["Model"]["PhoneNumber"], "13800000042", "{r}");
}

#[tokio::test]
async fn high_endpoint_risk_is_stepped_up_with_a_captcha_that_is_good_once() {
    let w = world().await;
    let mut phone = Phone::new(&w, "127.0.0.41");
    let first = phone
        .start(
            &w.token,
            "100001",
            json!({"Signals": {"emulator": true, "proxy_or_vpn": true}}),
        )
        .await;
    assert_eq!(first["Step"], "captcha", "{first}");
    let challenge = &first["Challenge"];
    assert!(
        challenge["maxnumber"].as_u64().unwrap() > 50_000,
        "{challenge}"
    );
    // A tampered solution is refused (and counted as a failure).
    let payload = solve(challenge);
    let mut tampered: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &payload).unwrap(),
    )
    .unwrap();
    tampered["number"] = json!(tampered["number"].as_u64().unwrap() + 1);
    let tampered = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        tampered.to_string(),
    );
    let v = phone
        .step(json!({"Action": "captcha", "Payload": tampered}))
        .await;
    assert_eq!(v["Step"], "captcha", "{v}");
    let v = phone
        .step(json!({"Action": "captcha", "Payload": payload}))
        .await;
    assert_eq!(v["Step"], "carrier_consent", "{v}");

    // The same solution in another session is refused: it is bound to its own.
    let mut other = Phone::new(&w, "127.0.0.41");
    let first = other
        .start(
            &w.token,
            "100001",
            json!({"Signals": {"emulator": true, "proxy_or_vpn": true}}),
        )
        .await;
    assert_eq!(first["Step"], "captcha");
    let v = other
        .step(json!({"Action": "captcha", "Payload": payload}))
        .await;
    assert_eq!(v["Step"], "captcha", "{v}");
}

#[tokio::test]
async fn reset_password_falls_back_to_upstream_sms() {
    let w = world().await;
    let api = w.app.client();
    let mut phone = Phone::new(&w, "127.0.0.41");
    let first = phone
        .start(&w.token, "100003", json!({"Number": "13800000041"}))
        .await;
    assert_eq!(first["Step"], "sms_code", "{first}");
    let up = phone.step(json!({"Action": "give_up"})).await;
    assert_eq!(up["Step"], "upstream_sms", "{up}");
    let (to, text) = (up["To"].as_str().unwrap(), up["Text"].as_str().unwrap());
    assert_eq!(text.len(), 6);
    // Not yet sent: asked to wait.
    let v = phone.step(json!({"Action": "upstream"})).await;
    assert_eq!(
        (v["Step"].as_str(), v["Error"].is_string()),
        (Some("upstream_sms"), true),
        "{v}"
    );
    // The SMS centre delivers the user's message; from another number it proves nothing.
    let data = numgate_server::open_data_dir(&w.app.config).await.unwrap();
    for from in ["8613900000000", "8613800000041"] {
        data.store
            .record_inbound(NewInbound {
                from: from.into(),
                to: to.into(),
                text: text.into(),
                received_at: numgate_domain::Clock::now_millis(&w.app.clock),
            })
            .await
            .unwrap();
    }
    let done = phone.step(json!({"Action": "upstream"})).await;
    assert_eq!(done["Step"], "done", "{done}");
    let r = redeem(&api, done["VerifyToken"].as_str().unwrap()).await;
    assert_eq!(r["Model"]["PhoneNumber"], "13800000041", "{r}");
    assert!(r["Model"]["PhoneScore"].is_null(), "only logon scores: {r}");
}

#[tokio::test]
async fn tokens_are_bound_to_their_scheme_app_and_tenant() {
    let w = world().await;
    let api = w.app.client();
    let code = |r: &Value| r["Code"].as_str().unwrap().to_owned();
    let scheme = {
        let r = call(
            &api,
            "GetFusionAuthToken",
            &[
                ("SchemeCode", "FA000000000000001"),
                ("Platform", "Android"),
                ("PackageName", PACKAGE),
                ("PackageSign", SIGN),
                ("DurationSeconds", "900"),
            ],
        )
        .await;
        assert_eq!(code(&r), "isv.VERIFY_SCHEME_NOT_EXIST", "{r}");
        let r = call(
            &api,
            "CreateSchemeConfig",
            &[
                ("SchemeName", "other"),
                ("AppName", "Acme"),
                ("Platform", "iOS"),
                ("IosBundleId", "com.acme.ios"),
            ],
        )
        .await;
        r["Model"]["SchemeCode"].as_str().unwrap().to_owned()
    };
    // Another app than the scheme's, or a duration out of range, gets no token.
    for (bundle, duration, want) in [
        ("com.acme.other", "900", "isv.INVALID_APP"),
        ("com.acme.ios", "899", "isv.INVALID_PARAMETERS"),
        ("com.acme.ios", "43201", "isv.INVALID_PARAMETERS"),
    ] {
        let r = call(
            &api,
            "GetFusionAuthToken",
            &[
                ("SchemeCode", &scheme),
                ("Platform", "iOS"),
                ("BundleId", bundle),
                ("DurationSeconds", duration),
            ],
        )
        .await;
        assert_eq!(code(&r), want, "{r}");
    }
    // A VerifyToken is only good for its own tenant.
    let mut phone = Phone::new(&w, "127.0.0.41");
    let first = phone.start(&w.token, "100001", json!({})).await;
    let done = phone.step(phone.carrier_token(&first, "login").await).await;
    let other_tenant = {
        let data = numgate_server::open_data_dir(&w.app.config).await.unwrap();
        let other = data.store.ensure_tenant("other", 0).await.unwrap();
        let key = numgate_server::service::keys::create(
            data.store.as_ref(),
            &data.master_key.secret_box(),
            other.id,
            0,
        )
        .await
        .unwrap();
        OpenApi::new(&w.app.endpoint, &key.id, &key.secret)
    };
    let r = redeem(&other_tenant, done["VerifyToken"].as_str().unwrap()).await;
    assert_eq!(code(&r), "isv.TOKEN_INVALID", "{r}");
    let r = redeem(&api, done["VerifyToken"].as_str().unwrap()).await;
    assert_eq!(code(&r), "OK", "the refusal did not spend it: {r}");
    // A changed or foreign token starts nothing.
    let (status, v) = phone
        .post(
            "/client/v1/fusion/start",
            json!({"Token": format!("{}x", w.token), "Scene": "100001"}),
        )
        .await;
    assert_eq!(
        (status, v["code"].as_str()),
        (401, Some("TokenInvalid")),
        "{v}"
    );
    let (status, v) = phone
        .post(
            "/client/v1/fusion/start",
            json!({"Token": w.token, "Scene": "100002"}),
        )
        .await;
    assert_eq!(status, 400, "change number needs the number up front: {v}");
}

#[tokio::test]
async fn a_recently_swapped_sim_is_refused_or_stepped_up_as_the_policy_says() {
    let w = world().await;
    // By default a number whose SIM was swapped two days ago may not become an
    // account's new number.
    let mut phone = Phone::new(&w, "127.0.0.43");
    let v = phone
        .start(&w.token, "100002", json!({"Number": "13800000043"}))
        .await;
    assert_eq!(
        (v["Step"].as_str(), v["Node"].as_str()),
        (Some("refused"), Some("number_risk")),
        "{v}"
    );
    // The same number, not swapped, would go on to its SMS code.
    let mut other = Phone::new(&w, "127.0.0.41");
    let v = other
        .start(&w.token, "100002", json!({"Number": "13800000041"}))
        .await;
    assert_eq!(v["Step"], "sms_code", "{v}");

    // The tenant's global policy steps such numbers up with a CAPTCHA instead.
    let default = numgate_domain::fusion::default_graph(
        numgate_domain::fusion::Scene::ChangeNumber,
        &numgate_domain::fusion::SmsDefaults {
            sign_name: "速通互联验证码".into(),
            template_code: "100002".into(),
            service_number: numgate_domain::fusion::DEFAULT_SERVICE_NUMBER.into(),
        },
    );
    let mut graph = serde_json::to_value(&default).unwrap();
    for node in graph["nodes"].as_array_mut().unwrap() {
        if node["id"] == "number_risk" {
            node["settings"]["on_high"] = json!({"action": "captcha", "base_difficulty": 1000});
        }
    }
    let data = numgate_server::open_data_dir(&w.app.config).await.unwrap();
    let tenant = data.store.find_tenant("default").await.unwrap().unwrap();
    data.store
        .put_policy(PutPolicy {
            tenant_id: tenant.id,
            scene: 100002,
            scheme: None,
            graph: graph.to_string(),
            inherit: false,
            logging: true,
            expected_version: None,
            actor: "test".into(),
            at: 0,
        })
        .await
        .unwrap();
    let v = phone
        .start(&w.token, "100002", json!({"Number": "13800000043"}))
        .await;
    assert_eq!(v["Step"], "captcha", "{v}");
    let v = phone
        .step(json!({"Action": "captcha", "Payload": solve(&v["Challenge"])}))
        .await;
    assert_eq!(v["Step"], "sms_code", "{v}");

    // Each refused attempt is recorded with the rules that fired.
    let attempts = data.store.list_attempts(tenant.id, true, 10).await.unwrap();
    assert_eq!(attempts.len(), 1, "one refused run so far");
    assert!(
        attempts[0].fired_rules.contains("sim_swap"),
        "{}",
        attempts[0].fired_rules
    );
}

#[tokio::test]
async fn frequency_rules_fire_exactly_past_their_threshold_and_their_window_slides() {
    let w = world().await;
    // The default endpoint rule: more than 10 runs per device in 60 minutes.
    let start = |device: &'static str| {
        let mut phone = Phone::new(&w, "127.0.0.41");
        let token = w.token.clone();
        async move {
            let v = phone
                .start(&token, "100001", json!({"DeviceId": device}))
                .await;
            v["Step"].as_str().unwrap().to_owned()
        }
    };
    for n in 1..=10 {
        assert_eq!(start("device-f").await, "carrier_consent", "run {n}");
    }
    assert_eq!(
        start("device-f").await,
        "captcha",
        "the 11th run in the hour"
    );
    assert_eq!(start("device-g").await, "carrier_consent", "another device");
    // 59 minutes on, the first ten are still in the window; at 61 they are not.
    w.app.clock.advance_secs(59 * 60);
    assert_eq!(start("device-f").await, "captcha");
    w.app.clock.advance_secs(2 * 60);
    assert_eq!(start("device-f").await, "carrier_consent");
}

#[tokio::test]
async fn an_upstream_sms_from_an_unknown_number_tells_the_number() {
    let w = world().await;
    // The tenant switches SMS codes off for logon: when one-click fails, the
    // user texts the service number, and the message tells who they are.
    let sms = numgate_domain::fusion::SmsDefaults {
        sign_name: "速通互联验证码".into(),
        template_code: "100001".into(),
        service_number: numgate_domain::fusion::DEFAULT_SERVICE_NUMBER.into(),
    };
    let default = numgate_domain::fusion::default_graph(numgate_domain::fusion::Scene::Logon, &sms);
    let mut graph = serde_json::to_value(&default).unwrap();
    for node in graph["nodes"].as_array_mut().unwrap() {
        if node["id"] == "sms_code" {
            node["enabled"] = json!(false);
        }
    }
    let data = numgate_server::open_data_dir(&w.app.config).await.unwrap();
    let tenant = data.store.find_tenant("default").await.unwrap().unwrap();
    data.store
        .put_policy(PutPolicy {
            tenant_id: tenant.id,
            scene: 100001,
            scheme: None,
            graph: graph.to_string(),
            inherit: false,
            logging: true,
            expected_version: None,
            actor: "test".into(),
            at: 0,
        })
        .await
        .unwrap();
    let mut phone = Phone::new(&w, "127.0.0.42");
    phone.start(&w.token, "100001", json!({})).await;
    let up = phone
        .step(json!({"Action": "carrier", "Failed": "no_data"}))
        .await;
    assert_eq!(up["Step"], "upstream_sms", "{up}");
    let (to, text) = (up["To"].as_str().unwrap(), up["Text"].as_str().unwrap());
    // A message from outside the mainland proves nothing the scene can use.
    data.store
        .record_inbound(NewInbound {
            from: "447700900001".into(),
            to: to.into(),
            text: text.into(),
            received_at: numgate_domain::Clock::now_millis(&w.app.clock),
        })
        .await
        .unwrap();
    let v = phone.step(json!({"Action": "upstream"})).await;
    assert_eq!(v["Step"], "refused", "the last method failed: {v}");

    let mut phone = Phone::new(&w, "127.0.0.42");
    phone.start(&w.token, "100001", json!({})).await;
    let up = phone
        .step(json!({"Action": "carrier", "Failed": "no_data"}))
        .await;
    let (to, text) = (up["To"].as_str().unwrap(), up["Text"].as_str().unwrap());
    data.store
        .record_inbound(NewInbound {
            from: "8613800000042".into(),
            to: to.into(),
            text: text.into(),
            received_at: numgate_domain::Clock::now_millis(&w.app.clock),
        })
        .await
        .unwrap();
    let done = phone.step(json!({"Action": "upstream"})).await;
    assert_eq!(done["Step"], "done", "{done}");
    let r = redeem(&w.app.client(), done["VerifyToken"].as_str().unwrap()).await;
    assert_eq!(r["Model"]["PhoneNumber"], "13800000042", "{r}");
}

#[tokio::test]
async fn an_unknown_reason_for_no_carrier_token_is_a_bad_request_and_changes_nothing() {
    let w = world().await;
    let mut phone = Phone::new(&w, "127.0.0.41");
    phone.start(&w.token, "100001", json!({})).await;
    let (status, v) = phone
        .act(json!({"Action": "carrier", "Failed": "bored"}))
        .await;
    assert_eq!(
        (status, v["code"].as_str()),
        (400, Some("InvalidRequest")),
        "{v}"
    );
    let v = phone
        .step(json!({"Action": "carrier", "Failed": "declined"}))
        .await;
    assert_eq!(
        v["Step"], "enter_number",
        "the session was still at carrier consent: {v}"
    );
}

#[tokio::test]
async fn a_web_page_on_the_schemes_origin_can_read_answers_and_refusals() {
    let w = world().await;
    let api = w.app.client();
    let site = "https://shop.acme.example";
    let r = call(
        &api,
        "CreateSchemeConfig",
        &[
            ("SchemeName", "web"),
            ("AppName", "Acme"),
            ("Platform", "Web"),
            ("H5Url", &format!("{site}/login")),
            ("H5Origin", site),
        ],
    )
    .await;
    let scheme = r["Model"]["SchemeCode"].as_str().unwrap().to_owned();
    let r = call(
        &api,
        "GetFusionAuthToken",
        &[
            ("SchemeCode", &scheme),
            ("Platform", "Web"),
            ("DurationSeconds", "900"),
        ],
    )
    .await;
    let token = r["Model"].as_str().unwrap().to_owned();
    let http = reqwest::Client::new();
    let post = |path: &str, origin: &str, body: Value| {
        http.post(format!("{}{path}", w.app.endpoint))
            .header("origin", origin)
            .json(&body)
            .send()
    };
    let allowed = |r: &reqwest::Response| {
        r.headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    // A refusal the page must show: readable by the scheme's origin.
    let r = post(
        "/client/v1/fusion/start",
        site,
        json!({"Token": token, "Scene": "9"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (r.status().as_u16(), allowed(&r).as_deref()),
        (400, Some(site))
    );
    // Another site's page gets nothing it may read.
    let r = post(
        "/client/v1/fusion/start",
        "https://evil.example",
        json!({"Token": token, "Scene": "100001"}),
    )
    .await
    .unwrap();
    assert_eq!((r.status().as_u16(), allowed(&r)), (403, None));
    let r = post(
        "/client/v1/fusion/start",
        site,
        json!({"Token": token, "Scene": "100001"}),
    )
    .await
    .unwrap();
    assert_eq!(allowed(&r).as_deref(), Some(site));
    let v: Value = r.json().await.unwrap();
    let r = post(
        "/client/v1/fusion/step",
        site,
        json!({"Session": v["Session"], "Action": "upstream"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (r.status().as_u16(), allowed(&r).as_deref()),
        (409, Some(site))
    );
}
