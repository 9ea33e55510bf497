//! One-click logon and number check end to end: a device on its bearer address
//! gets a carrier token from the simulator, wraps it through the Client API,
//! and the tenant's backend calls GetMobile / VerifyMobile.

use std::collections::BTreeMap;

use base64::Engine;
use hmac::{Hmac, Mac};
use numgate_carrier_sim::SimConfig;
use numgate_client::{CreateVerifyScheme, OpenApi};
use numgate_server::config::{
    CamaraConfig, CarrierAccountConfig, CarriersConfig, TokenCarrierConfig,
};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{spawn_app_with, TestApp};

const SIM: &str = r#"
control_token = "ctl"
[[subscriber]]
address = "127.0.0.31"
number = "13800000031"
carrier = "cm"
[[subscriber]]
address = "127.0.0.32"
number = "13000000032"
carrier = "cu"
[[subscriber]]
address = "127.0.0.33"
number = "18900000033"
carrier = "ct"
[[subscriber]]
address = "127.0.0.34"
number = "+447700900034"
carrier = "camara"
[[app]]
carrier = "cm"
app_id = "300011"
app_key = "cm-key"
[[app]]
carrier = "cm"
app_id = "acme-cm"
app_key = "acme-cm-key"
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
scopes = ["number-verification:verify", "number-verification:device-phone-number:read"]
"#;

const PACKAGE: &str = "com.acme.app";

pub(crate) struct World {
    pub(crate) app: TestApp,
    pub(crate) sim: String,
    pub(crate) scheme: String,
    app_key: Vec<u8>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub(crate) async fn world() -> World {
    world_with(|_| {}).await
}

/// The world, with its `[carriers]` changed by `tweak`.
async fn world_with(tweak: impl FnOnce(&mut CarriersConfig) + Send + 'static) -> World {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
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
            timeout_ms: Some(1_000),
            cm: Some(TokenCarrierConfig {
                url: url.clone(),
                app_id: "300011".into(),
                app_key: "cm-key".into(),
                accounts: Vec::new(),
            }),
            cu: Some(TokenCarrierConfig {
                url: url.clone(),
                app_id: "cu-app".into(),
                app_key: "cu-key".into(),
                accounts: Vec::new(),
            }),
            ct: Some(TokenCarrierConfig {
                url: url.clone(),
                app_id: "ct-app".into(),
                app_key: "ct-key".into(),
                accounts: Vec::new(),
            }),
            camara: Some(CamaraConfig {
                url: format!("{url}/camara"),
                client_id: "numgate".into(),
                client_secret: "camara-secret".into(),
                redirect_uri: "http://127.0.0.1/cb".into(),
                hashed: true,
            }),
        };
        tweak(&mut c.carriers);
    })
    .await;
    let api = app.client();
    let req = CreateVerifyScheme {
        auth_type: Some("1,2".into()),
        ..CreateVerifyScheme::android("login", "Acme", PACKAGE, "0123456789abcdef0123456789abcdef")
    };
    let created = api.create_verify_scheme(&req).await.unwrap();
    assert_eq!(created.code, "OK", "{}", created.message);
    let scheme = created.body.gate_verify_scheme_dto.unwrap().scheme_code;
    let described = api.describe_verify_scheme(&scheme).await.unwrap();
    let info = described
        .body
        .scheme_query_result_dto
        .unwrap()
        .app_encrypt_info;
    let info: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(info)
            .unwrap(),
    )
    .unwrap();
    let app_key = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(info["key"].as_str().unwrap())
        .unwrap();
    World {
        app,
        sim,
        scheme,
        app_key,
        _stop: tx,
    }
}

fn device(addr: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(Some(addr.parse().unwrap()))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl World {
    /// The device on 127.0.0.31 gets a China Mobile token for `purpose`.
    pub(crate) async fn cm_token(&self, purpose: &str) -> String {
        let r: Value = device("127.0.0.31")
            .post(format!("{}/cm/token", self.sim))
            .json(&json!({"app_id": "300011", "purpose": purpose}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["data"]["token"].as_str().unwrap().to_owned()
    }

    /// The Client API call that wraps a carrier token; status and body.
    async fn mint_with(
        &self,
        key: &[u8],
        app: &str,
        carrier: &str,
        carrier_token: &str,
        purpose: &str,
    ) -> (u16, Value) {
        let now = self.app.clock_secs();
        let body = serde_json::to_vec(&json!({
            "scheme_code": self.scheme, "app": app, "carrier": carrier,
            "carrier_token": carrier_token, "purpose": purpose, "timestamp": now,
        }))
        .unwrap();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
        mac.update(&body);
        let r = reqwest::Client::new()
            .post(format!("{}/client/v1/app/token", self.app.endpoint))
            .header("content-type", "application/json")
            .header(
                "x-numgate-signature",
                hex::encode(mac.finalize().into_bytes()),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    pub(crate) async fn mint(&self, carrier: &str, carrier_token: &str, purpose: &str) -> String {
        let (status, body) = self
            .mint_with(
                &self.app_key.clone(),
                PACKAGE,
                carrier,
                carrier_token,
                purpose,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["AccessToken"].as_str().unwrap().to_owned()
    }
}

pub(crate) async fn call(api: &OpenApi, action: &str, params: &[(&str, &str)]) -> Value {
    let p: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (status, body) = api.call_raw(action, &p).await.unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn one_click_logon_returns_the_sims_number_once() {
    let w = world().await;
    let api = w.app.client();
    let token = w.mint("cm", &w.cm_token("login").await, "login").await;
    let r = call(&api, "GetMobile", &[("AccessToken", &token)]).await;
    assert_eq!(r["Code"], "OK", "{r}");
    assert_eq!(r["GetMobileResultDTO"]["Mobile"], "13800000031");
    let again = call(&api, "GetMobile", &[("AccessToken", &token)]).await;
    assert_eq!(again["Code"], "isv.TOKEN_INVALID", "{again}");

    // A number-check token is not good for one-click logon.
    let check = w.mint("cm", &w.cm_token("verify").await, "verify").await;
    let r = call(&api, "GetMobile", &[("AccessToken", &check)]).await;
    assert_eq!(r["Code"], "isv.TOKEN_UNAUTHORIZED_USED", "{r}");

    // Past its carrier lifetime (2 minutes for China Mobile) a token is invalid.
    let token = w.mint("cm", &w.cm_token("login").await, "login").await;
    w.app.clock.advance_secs(121);
    let r = call(&w.app.client(), "GetMobile", &[("AccessToken", &token)]).await;
    assert_eq!(r["Code"], "isv.TOKEN_INVALID", "{r}");
}

#[tokio::test]
async fn a_number_check_passes_rejects_and_refuses_a_foreign_carrier() {
    let w = world().await;
    let api = w.app.client();
    let t = w.mint("cm", &w.cm_token("verify").await, "verify").await;
    let r = call(
        &api,
        "VerifyMobile",
        &[("AccessCode", &t), ("PhoneNumber", "13800000031")],
    )
    .await;
    assert_eq!(r["GateVerifyResultDTO"]["VerifyResult"], "PASS", "{r}");
    let t = w.mint("cm", &w.cm_token("verify").await, "verify").await;
    let r = call(
        &api,
        "VerifyMobile",
        &[("AccessCode", &t), ("PhoneNumber", "13800000099")],
    )
    .await;
    assert_eq!(r["GateVerifyResultDTO"]["VerifyResult"], "REJECT", "{r}");
    let t = w.mint("cm", &w.cm_token("verify").await, "verify").await;
    let r = call(
        &api,
        "VerifyMobile",
        &[("AccessCode", &t), ("PhoneNumber", "13000000031")],
    )
    .await;
    assert_eq!(
        r["Code"], "isv.PARAMETERS_MISMATCH",
        "a Unicom number against a Mobile SIM: {r}"
    );

    // The carrier timing out is UNKNOWN, answered within the configured limit.
    let fault = json!({"carrier": "cm", "endpoint": "verify", "fault": "timeout", "times": 1});
    reqwest::Client::new()
        .post(format!("{}/control/faults", w.sim))
        .bearer_auth("ctl")
        .json(&fault)
        .send()
        .await
        .unwrap();
    let t = w.mint("cm", &w.cm_token("verify").await, "verify").await;
    let started = std::time::Instant::now();
    let r = call(
        &api,
        "VerifyMobile",
        &[("AccessCode", &t), ("PhoneNumber", "13800000031")],
    )
    .await;
    assert_eq!(r["GateVerifyResultDTO"]["VerifyResult"], "UNKNOWN", "{r}");
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
}

#[tokio::test]
async fn tokens_are_bound_to_their_scheme_app_and_tenant() {
    let w = world().await;
    let carrier_token = w.cm_token("login").await;
    // A wrong app key, or another app than the scheme's, gets no token.
    let (status, _) = w
        .mint_with(&[7u8; 32], PACKAGE, "cm", &carrier_token, "login")
        .await;
    assert_eq!(status, 401);
    let (status, body) = w
        .mint_with(
            &w.app_key.clone(),
            "com.other.app",
            "cm",
            &carrier_token,
            "login",
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("AppMismatch")));
    let (status, body) = w
        .mint_with(
            &w.app_key.clone(),
            PACKAGE,
            "nosuch",
            &carrier_token,
            "login",
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("InvalidRequest"))
    );

    // Another tenant's backend cannot use this tenant's token.
    let token = w.mint("cm", &carrier_token, "login").await;
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
    let other_api = OpenApi::new(&w.app.endpoint, &key.id, &key.secret);
    let r = call(&other_api, "GetMobile", &[("AccessToken", &token)]).await;
    assert_eq!(r["Code"], "isv.TOKEN_INVALID", "{r}");
    // …and the owner still can: the refusal did not spend it.
    let r = call(&w.app.client(), "GetMobile", &[("AccessToken", &token)]).await;
    assert_eq!(r["GetMobileResultDTO"]["Mobile"], "13800000031", "{r}");
}

#[tokio::test]
async fn a_camara_subscriber_logs_on_and_is_checked_with_a_hashed_number() {
    let w = world().await;
    let api = w.app.client();
    let code = |scope: &'static str| {
        let sim = w.sim.clone();
        async move {
            let q = serde_urlencoded::to_string([
                ("response_type", "code"),
                ("client_id", "numgate"),
                ("redirect_uri", "http://127.0.0.1/cb"),
                ("scope", scope),
                ("state", "s"),
                ("prompt", "none"),
            ])
            .unwrap();
            let r = device("127.0.0.34")
                .get(format!("{sim}/camara/authorize?{q}"))
                .send()
                .await
                .unwrap();
            let location = r.headers()["location"].to_str().unwrap().to_owned();
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_str(location.split_once('?').unwrap().1).unwrap();
            pairs.into_iter().find(|(k, _)| k == "code").unwrap().1
        }
    };
    let t = w
        .mint(
            "camara",
            &code("openid number-verification:device-phone-number:read").await,
            "login",
        )
        .await;
    let r = call(&api, "GetMobile", &[("AccessToken", &t)]).await;
    assert_eq!(r["GetMobileResultDTO"]["Mobile"], "+447700900034", "{r}");
    let t = w
        .mint(
            "camara",
            &code("openid number-verification:verify").await,
            "verify",
        )
        .await;
    let r = call(
        &api,
        "VerifyMobile",
        &[("AccessCode", &t), ("PhoneNumber", "+447700900034")],
    )
    .await;
    assert_eq!(r["GateVerifyResultDTO"]["VerifyResult"], "PASS", "{r}");
}

#[tokio::test]
async fn the_official_sdk_gets_and_verifies_the_mobile_number() {
    let Some(python) = crate::sdk::python() else {
        return;
    };
    let w = world().await;
    for algorithm in ["v3", "v2"] {
        let login = w.mint("cm", &w.cm_token("login").await, "login").await;
        let check = w.mint("cm", &w.cm_token("verify").await, "verify").await;
        let r = crate::sdk::Sdk::new(&python, &w.app, algorithm)
            .run(&[
                format!("get-mobile:{login}"),
                format!("get-mobile:{login}"),
                format!("verify-mobile:{check}:13800000031"),
            ])
            .await;
        assert_eq!(r[0]["code"], "OK", "{algorithm}: {}", r[0]);
        assert_eq!(
            r[0]["body"]["get_mobile_result_dto"]["mobile"], "13800000031",
            "{}",
            r[0]
        );
        assert_eq!(r[0]["wrong_type"], json!([]), "{}", r[0]);
        assert_eq!(
            r[1]["code"], "isv.TOKEN_INVALID",
            "the same token again: {}",
            r[1]
        );
        assert_eq!(
            r[2]["body"]["gate_verify_result_dto"]["verify_result"], "PASS",
            "{}",
            r[2]
        );
    }
}

#[tokio::test]
async fn every_carrier_fault_gives_a_documented_answer_in_bounded_time() {
    let w = world().await;
    let api = w.app.client();
    let faults = [
        json!({"fault": "timeout"}),
        json!({"fault": "status", "status": 502}),
        json!({"fault": "malformed", "shape": "invalid_json"}),
        json!({"fault": "malformed", "shape": "wrong_shape"}),
    ];
    for f in faults {
        for (endpoint, action) in [("exchange", "GetMobile"), ("verify", "VerifyMobile")] {
            let mut rule = f.clone();
            rule["carrier"] = json!("cm");
            rule["endpoint"] = json!(endpoint);
            rule["times"] = json!(1);
            reqwest::Client::new()
                .post(format!("{}/control/faults", w.sim))
                .bearer_auth("ctl")
                .json(&rule)
                .send()
                .await
                .unwrap();
            let purpose = if action == "GetMobile" {
                "login"
            } else {
                "verify"
            };
            let t = w.mint("cm", &w.cm_token(purpose).await, purpose).await;
            let started = std::time::Instant::now();
            let p: BTreeMap<String, String> = match action {
                "GetMobile" => [("AccessToken".to_owned(), t)].into(),
                _ => [
                    ("AccessCode".to_owned(), t),
                    ("PhoneNumber".to_owned(), "13800000031".to_owned()),
                ]
                .into(),
            };
            let (status, body) = api.call_raw(action, &p).await.unwrap();
            let body: Value = serde_json::from_slice(&body).unwrap();
            assert!(
                started.elapsed() < std::time::Duration::from_secs(3),
                "{rule}: bounded"
            );
            match action {
                // The number cannot be had: ServiceUnavailable, retry with a new token.
                "GetMobile" => assert_eq!(
                    (status, body["Code"].as_str()),
                    (503, Some("ServiceUnavailable")),
                    "{rule}: {body}"
                ),
                // A check the carrier could not answer is UNKNOWN, not an error.
                _ => assert_eq!(
                    body["GateVerifyResultDTO"]["VerifyResult"], "UNKNOWN",
                    "{rule}: {body}"
                ),
            }
        }
    }
}

pub(crate) const SITE: &str = "https://shop.acme.example";

impl World {
    pub(crate) async fn web_scheme(&self) -> String {
        let req = CreateVerifyScheme {
            auth_type: Some("1,2".into()),
            ..CreateVerifyScheme::web("h5", "Acme", &format!("{SITE}/login"), SITE)
        };
        let r = self.app.client().create_verify_scheme(&req).await.unwrap();
        assert_eq!(r.code, "OK", "{}", r.message);
        r.body.gate_verify_scheme_dto.unwrap().scheme_code
    }

    /// GetAuthToken for the page: (AccessToken, JwtToken).
    pub(crate) async fn auth_tokens(&self, scheme: &str, biz_type: &str) -> (String, String) {
        let url = format!("{SITE}/login");
        let r = call(
            &self.app.client(),
            "GetAuthToken",
            &[
                ("Url", &url),
                ("Origin", SITE),
                ("SceneCode", scheme),
                ("BizType", biz_type),
            ],
        )
        .await;
        assert_eq!(r["Code"], "OK", "{r}");
        let t = &r["TokenInfo"];
        (
            t["AccessToken"].as_str().unwrap().to_owned(),
            t["JwtToken"].as_str().unwrap().to_owned(),
        )
    }

    /// The JS SDK's confirmation from the page's browser on bearer 127.0.0.31.
    pub(crate) async fn confirm(
        &self,
        tokens: &(String, String),
        digits: &str,
        origin: &str,
    ) -> (u16, Value) {
        let carrier_token = self.cm_token("login").await;
        let r = device("127.0.0.31")
            .post(format!("{}/client/v1/h5/confirm", self.app.endpoint))
            .header("origin", origin)
            .json(&json!({
                "access_token": tokens.0, "jwt_token": tokens.1, "carrier": "cm",
                "carrier_token": carrier_token, "digits": digits,
            }))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }
}

#[tokio::test]
async fn h5_one_click_needs_the_right_middle_digits_and_three_wrong_kill_the_session() {
    let w = world().await;
    let api = w.app.client();
    let scheme = w.web_scheme().await;
    let tokens = w.auth_tokens(&scheme, "1").await;
    // 13800000031: the middle four digits are 0000.
    let (status, body) = w.confirm(&tokens, "1234", SITE).await;
    assert_eq!(
        (status, body["code"].as_str(), body["TriesLeft"].as_u64()),
        (403, Some("WrongDigits"), Some(2)),
        "{body}"
    );
    let (status, body) = w.confirm(&tokens, "0000", SITE).await;
    assert_eq!(status, 200, "{body}");
    let sp = body["SpToken"].as_str().unwrap().to_owned();
    let r = call(&api, "GetPhoneWithToken", &[("SpToken", &sp)]).await;
    assert_eq!(r["Data"]["Mobile"], "13800000031", "{r}");
    let r = call(&api, "GetPhoneWithToken", &[("SpToken", &sp)]).await;
    assert_eq!(r["Code"], "isv.TOKEN_INVALID", "{r}");
    let (status, body) = w.confirm(&tokens, "0000", SITE).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("SessionUsed")),
        "one spToken per session: {body}"
    );

    // Three wrong tries and the session is dead, right digits or not.
    let tokens = w.auth_tokens(&scheme, "1").await;
    for left in [2, 1, 0] {
        let (_, body) = w.confirm(&tokens, "9999", SITE).await;
        assert_eq!(body["TriesLeft"].as_u64(), Some(left), "{body}");
    }
    let (status, body) = w.confirm(&tokens, "0000", SITE).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("SessionDead")),
        "{body}"
    );

    // A page on another site gets nothing.
    let tokens = w.auth_tokens(&scheme, "1").await;
    let (status, body) = w.confirm(&tokens, "0000", "https://evil.example").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("OriginMismatch")),
        "{body}"
    );
    let r = call(
        &api,
        "GetAuthToken",
        &[
            ("Url", "https://evil.example/x"),
            ("Origin", "https://evil.example"),
            ("SceneCode", &scheme),
        ],
    )
    .await;
    assert_eq!(r["Code"], "isv.INVALID_PARAMETERS", "{r}");
}

#[tokio::test]
async fn h5_number_check_passes_the_right_number_only() {
    let w = world().await;
    let api = w.app.client();
    let scheme = w.web_scheme().await;
    for (number, result) in [("13800000031", "PASS"), ("13800000099", "REJECT")] {
        let tokens = w.auth_tokens(&scheme, "0").await;
        let (status, body) = w.confirm(&tokens, "0000", SITE).await;
        assert_eq!(status, 200, "{body}");
        let sp = body["SpToken"].as_str().unwrap();
        let r = call(
            &api,
            "VerifyPhoneWithToken",
            &[("PhoneNumber", number), ("SpToken", sp)],
        )
        .await;
        assert_eq!(r["GateVerify"]["VerifyResult"], result, "{r}");
    }
    // A check spToken is not good for one-click.
    let tokens = w.auth_tokens(&scheme, "0").await;
    let (_, body) = w.confirm(&tokens, "0000", SITE).await;
    let r = call(
        &api,
        "GetPhoneWithToken",
        &[("SpToken", body["SpToken"].as_str().unwrap())],
    )
    .await;
    assert_eq!(r["Code"], "isv.TOKEN_UNAUTHORIZED_USED", "{r}");
}

impl World {
    /// The device on `bearer` gets a token of carrier `c` for `purpose`.
    async fn carrier_token(&self, c: &str, bearer: &str, app_id: &str, purpose: &str) -> String {
        let r: Value = device(bearer)
            .post(format!("{}/{c}/token", self.sim))
            .json(&json!({"app_id": app_id, "purpose": purpose}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["data"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("{r}"))
            .to_owned()
    }
}

#[tokio::test]
async fn a_carrier_left_out_of_the_configuration_is_not_offered() {
    let w = world_with(|c| c.ct = None).await;
    let (status, body) = w
        .mint_with(&w.app_key.clone(), PACKAGE, "ct", "nm-token", "login")
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("CarrierUnavailable")),
        "{body}"
    );
}

#[tokio::test]
async fn the_official_sdk_gets_the_number_of_unicom_and_telecom_sims() {
    let Some(python) = crate::sdk::python() else {
        return;
    };
    let w = world().await;
    for (c, bearer, app_id, number) in [
        ("cu", "127.0.0.32", "cu-app", "13000000032"),
        ("ct", "127.0.0.33", "ct-app", "18900000033"),
    ] {
        let login = w
            .mint(
                c,
                &w.carrier_token(c, bearer, app_id, "login").await,
                "login",
            )
            .await;
        let check = w
            .mint(
                c,
                &w.carrier_token(c, bearer, app_id, "verify").await,
                "verify",
            )
            .await;
        let other = w
            .mint(
                c,
                &w.carrier_token(c, bearer, app_id, "verify").await,
                "verify",
            )
            .await;
        let wrong = if c == "cu" {
            "13000000099"
        } else {
            "18900000099"
        };
        let r = crate::sdk::Sdk::new(&python, &w.app, "v3")
            .run(&[
                format!("get-mobile:{login}"),
                format!("get-mobile:{login}"),
                format!("verify-mobile:{check}:{number}"),
                format!("verify-mobile:{other}:{wrong}"),
            ])
            .await;
        assert_eq!(
            r[0]["body"]["get_mobile_result_dto"]["mobile"], number,
            "{c}: {}",
            r[0]
        );
        assert_eq!(r[1]["code"], "isv.TOKEN_INVALID", "{c}: {}", r[1]);
        assert_eq!(
            r[2]["body"]["gate_verify_result_dto"]["verify_result"], "PASS",
            "{c}: {}",
            r[2]
        );
        assert_eq!(
            r[3]["body"]["gate_verify_result_dto"]["verify_result"], "REJECT",
            "{c}: {}",
            r[3]
        );
    }
}

#[tokio::test]
async fn the_client_api_is_documented_as_openapi_3_at_a_stable_path() {
    let w = world().await;
    let doc: Value = reqwest::get(format!("{}/client/v1/openapi.json", w.app.endpoint))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    for path in [
        "/client/v1/app/config",
        "/client/v1/app/token",
        "/client/v1/h5/confirm",
        "/client/v1/fusion/start",
        "/client/v1/fusion/step",
    ] {
        assert!(
            doc["paths"][path]["post"].is_object(),
            "{path} is documented"
        );
        // …and served: an empty body is refused as a bad request, not 404.
        let r = reqwest::Client::new()
            .post(format!("{}{path}", w.app.endpoint))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{path}");
    }
}

/// `[[carriers.cm.accounts]]`: the default tenant's own China Mobile app (API
/// code 2001) and another tenant's (2002).
fn with_accounts(c: &mut CarriersConfig) {
    let account = |tenant: &str, api_code, app_id: &str, app_key: &str| CarrierAccountConfig {
        tenant: tenant.into(),
        api_code,
        app_id: app_id.into(),
        app_key: app_key.into(),
    };
    c.cm.as_mut().unwrap().accounts = vec![
        account("default", 2001, "acme-cm", "acme-cm-key"),
        account("other", 2002, "other-cm", "other-cm-key"),
    ];
}

#[tokio::test]
async fn a_scheme_naming_its_tenants_api_code_goes_through_the_tenants_own_carrier_app() {
    use numgate_client::device::{AppIdentity, Device, Purpose};
    let w = world_with(with_accounts).await;
    let api = w.app.client();
    let req = CreateVerifyScheme {
        auth_type: Some("1,2".into()),
        cm_api_code: Some(2001),
        ..CreateVerifyScheme::android(
            "own",
            "Acme",
            "com.acme.own",
            "fedcba9876543210fedcba9876543210",
        )
    };
    let r = api.create_verify_scheme(&req).await.unwrap();
    assert_eq!(r.code, "OK", "{}", r.message);
    let own = r.body.gate_verify_scheme_dto.unwrap().scheme_code;
    let described = api.describe_verify_scheme(&own).await.unwrap();
    let info = described
        .body
        .scheme_query_result_dto
        .unwrap()
        .app_encrypt_info;
    let identity = AppIdentity::from_app_encrypt_info(&info, "com.acme.own").unwrap();
    let phone = Device::new("127.0.0.31".parse().unwrap(), &w.app.endpoint, identity).unwrap();

    // The device is told to ask China Mobile with the tenant's app id…
    let token = phone.token(Purpose::Login).await.unwrap();
    assert_eq!(token.carrier, "cm");
    // …and numgate exchanges the token with that app's key: the carrier only
    // redeems a token for the app that asked for it.
    let r = call(&api, "GetMobile", &[("AccessToken", &token.access_token)]).await;
    assert_eq!(r["GetMobileResultDTO"]["Mobile"], "13800000031", "{r}");
    let check = phone.token(Purpose::Verify).await.unwrap();
    let r = call(
        &api,
        "VerifyMobile",
        &[
            ("AccessCode", &check.access_token),
            ("PhoneNumber", "13800000031"),
        ],
    )
    .await;
    assert_eq!(r["GateVerifyResultDTO"]["VerifyResult"], "PASS", "{r}");

    // A carrier token of the tenant's app wrapped for a scheme on numgate's own
    // app is exchanged with numgate's key: the carrier refuses it.
    let foreign: Value = device("127.0.0.31")
        .post(format!("{}/cm/token", w.sim))
        .json(&json!({"app_id": "acme-cm", "purpose": "login"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let t = w
        .mint("cm", foreign["data"]["token"].as_str().unwrap(), "login")
        .await;
    let r = call(&api, "GetMobile", &[("AccessToken", &t)]).await;
    assert_eq!(r["Code"], "isv.TOKEN_INVALID", "{r}");

    // Another tenant's code, an unknown code and a code of another carrier are
    // refused alike, and create nothing.
    for (cm, cu) in [(Some(2002), None), (Some(9), None), (None, Some(2001))] {
        let req = CreateVerifyScheme {
            cm_api_code: cm,
            cu_api_code: cu,
            ..CreateVerifyScheme::android(
                "nope",
                "Acme",
                "com.acme.nope",
                "00112233445566778899aabbccddeeff",
            )
        };
        let r = api.create_verify_scheme(&req).await.unwrap();
        assert_eq!(
            r.code, "isv.INVALID_PARAMETERS",
            "{cm:?} {cu:?}: {}",
            r.message
        );
        assert!(
            r.message.contains(if cm.is_some() {
                "CmApiCode"
            } else {
                "CuApiCode"
            }),
            "{}",
            r.message
        );
    }
    let r = api
        .create_verify_scheme(&CreateVerifyScheme::android(
            "nope",
            "Acme",
            "com.acme.nope",
            "00112233445566778899aabbccddeeff",
        ))
        .await
        .unwrap();
    assert_eq!(
        r.code, "OK",
        "the refused attempts left no scheme behind: {}",
        r.message
    );
}

#[tokio::test]
async fn get_auth_token_picks_the_tenants_api_code_for_the_h5_flow() {
    use numgate_client::device::Device;
    let w = world_with(with_accounts).await;
    let api = w.app.client();
    let scheme = w.web_scheme().await;
    let url = format!("{SITE}/login");
    let auth = |code: &'static str| {
        let (api, url, scheme) = (api.clone(), url.clone(), scheme.clone());
        async move {
            call(
                &api,
                "GetAuthToken",
                &[
                    ("Url", url.as_str()),
                    ("Origin", SITE),
                    ("SceneCode", scheme.as_str()),
                    ("BizType", "1"),
                    ("CmApiCode", code),
                ],
            )
            .await
        }
    };
    for code in ["2002", "77", "-1"] {
        let r = auth(code).await;
        assert_eq!(r["Code"], "isv.INVALID_PARAMETERS", "{code}: {r}");
    }
    let r = auth("2001").await;
    assert_eq!(r["Code"], "OK", "{r}");
    let t = &r["TokenInfo"];
    // The page's session asks China Mobile with the tenant's app, and the digits
    // are checked against the number that app's exchange returns.
    let (sp, masked) = Device::h5_confirm(
        &w.app.endpoint,
        "127.0.0.31".parse().unwrap(),
        t["AccessToken"].as_str().unwrap(),
        t["JwtToken"].as_str().unwrap(),
        "0000",
    )
    .await
    .unwrap();
    assert_eq!(masked, "138****0031");
    let r = call(&api, "GetPhoneWithToken", &[("SpToken", &sp)]).await;
    assert_eq!(r["Data"]["Mobile"], "13800000031", "{r}");
}
