//! Fusion-Auth as a tenant integrates it: the backend is the official Python
//! SDK (`CreateSchemeConfig`, `GetFusionAuthToken`, `VerifyWithFusionAuthToken`
//! through tests/sdk/sdk_client.py), the phone is the Rust device client
//! (`numgate_client::device::fusion::FusionRun` on its bearer address, asking
//! the carrier simulator, solving CAPTCHAs by itself), and the user behind the
//! phone reads texted codes from the outbox and has the SMS centre deliver the
//! upstream text. Every scene, every path: low risk, the carrier out of reach
//! (mobile data off, or not answering within TimeoutMs) handing over to SMS,
//! high endpoint risk through a CAPTCHA, upstream SMS, and a number whose SIM
//! was swapped two days ago (asked of the simulator's CAMARA SIM Swap: refused
//! by default, stepped up with a CAPTCHA under the tenant's policy); each
//! VerifyToken is redeemed once through the SDK and refused the second time.

use std::time::{Duration, Instant};

use numgate_carrier_sim::SimConfig;
use numgate_client::device::fusion::{
    CarrierReport, FusionHandler, FusionOutcome, FusionRun, Notice, Prompt, Reply, Signals,
};
use numgate_server::config::{CamaraConfig, CarriersConfig, TokenCarrierConfig};
use numgate_server::DataDir;
use numgate_store::{NewInbound, PutPolicy};
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, TestApp};
use crate::sdk::{python, Sdk};

/// Each path has its own SIM, so that no two look for a code in one outbox.
const SUBSCRIBERS: &str = r#"
[[subscriber]]
address = "127.0.0.71"
number = "13800000071"
carrier = "cm"
[[subscriber]]
address = "127.0.0.72"
number = "13800000072"
carrier = "cm"
mobile_data = false
[[subscriber]]
address = "127.0.0.73"
number = "13800000073"
carrier = "cm"
mobile_data = false
[[subscriber]]
address = "127.0.0.74"
number = "13800000074"
carrier = "cm"
[[app]]
carrier = "cm"
app_id = "300011"
app_key = "cm-key"
"#;

/// A subscriber whose SIM was swapped at SWAPPED (filled in at runtime), and
/// numgate's client at the simulator's CAMARA SIM Swap.
const SWAPPED_SIM: &str = r#"
[[subscriber]]
address = "127.0.0.76"
number = "13800000076"
carrier = "cm"
sim_swap_date = "SWAPPED"
[[camara_client]]
client_id = "numgate"
client_secret = "camara-secret"
redirect_uris = ["http://127.0.0.1/cb"]
scopes = ["sim-swap", "sim-swap:retrieve-date"]
"#;

/// China Mobile's gateway holds every request: no token within any TimeoutMs.
const HUNG: &str = r#"
[[fault]]
carrier = "cm"
fault = "timeout"
"#;

const PACKAGE: &str = "com.acme.fusion";
const SIGN: &str = "0123456789abcdef0123456789abcdef";

/// The paths' bearers: (address, number).
const LOW_RISK: (&str, &str) = ("127.0.0.71", "13800000071");
const NO_DATA: (&str, &str) = ("127.0.0.72", "13800000072");
const UPSTREAM: (&str, &str) = ("127.0.0.73", "13800000073");
const CAPTCHA: (&str, &str) = ("127.0.0.74", "13800000074");
const SWAPPED: (&str, &str) = ("127.0.0.76", "13800000076");

/// One signal of active tampering: high endpoint risk at the lowest score
/// (50), so the lowest CAPTCHA difficulty of a step-up (maxnumber 300 000).
const HOOKED: Signals = Signals {
    emulator: false,
    root_or_jailbreak: false,
    hooking: true,
    proxy_or_vpn: false,
    app_signature_mismatch: false,
};

struct World {
    app: TestApp,
    sdk: Sdk,
    data: DataDir,
    token: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// What the simulator holds besides the paths' subscribers.
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Plain,
    /// China Mobile's gateway does not answer.
    Hung,
    /// A SIM swapped two days ago, and numgate asking CAMARA SIM Swap.
    Swapped,
}

/// numgate with China Mobile at the simulator; the tenant's backend creates a
/// Fusion-Auth scheme and gets the SDK token, through the official SDK.
async fn world(python: &std::path::Path, variant: Variant) -> World {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = format!("http://{}", listener.local_addr().unwrap());
    let toml = match variant {
        Variant::Plain => SUBSCRIBERS.to_owned(),
        Variant::Hung => format!("{SUBSCRIBERS}{HUNG}"),
        Variant::Swapped => {
            let swapped = (chrono::Utc::now() - chrono::Duration::days(2))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            format!("{SUBSCRIBERS}{}", SWAPPED_SIM.replace("SWAPPED", &swapped))
        }
    };
    let camara = (variant == Variant::Swapped).then(|| CamaraConfig {
        url: format!("{sim}/camara"),
        client_id: "numgate".into(),
        client_secret: "camara-secret".into(),
        redirect_uri: "http://127.0.0.1/cb".into(),
        hashed: false,
    });
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(numgate_carrier_sim::run(
        SimConfig::from_toml(&toml).unwrap(),
        listener,
        async {
            let _ = rx.await;
        },
    ));
    let app = spawn_app_with(move |c| {
        c.carriers = CarriersConfig {
            timeout_ms: Some(1_000),
            cm: Some(TokenCarrierConfig {
                url: sim,
                app_id: "300011".into(),
                app_key: "cm-key".into(),
                accounts: Vec::new(),
            }),
            camara,
            ..CarriersConfig::default()
        };
    })
    .await;
    let sdk = Sdk::new(python, &app, "v3");
    let r = sdk
        .run(&[
            format!("fusion-scheme-android:Fusion,{PACKAGE},{SIGN}"),
            format!("fusion-token-android:@scheme,{PACKAGE},{SIGN},900"),
        ])
        .await;
    assert_ok(&r[0]);
    assert!(
        r[0]["model"]["scheme_code"]
            .as_str()
            .is_some_and(|c| c.starts_with("FA")),
        "{}",
        r[0]
    );
    assert_ok(&r[1]);
    let token = r[1]["model"].as_str().expect("the SDK token").to_owned();
    let data = numgate_server::open_data_dir(&app.config).await.unwrap();
    World {
        app,
        sdk,
        data,
        token,
        _stop: tx,
    }
}

/// An answer the SDK decoded whole: HTTP 200, `OK`, nothing dropped or mistyped.
fn assert_ok(r: &Value) {
    assert!(r.get("error").is_none(), "an answer, not an exception: {r}");
    assert_ne!(r["decode_error"], true, "{r}");
    assert_eq!(
        (
            r["status"].as_u64(),
            r["code"].as_str(),
            r["success"].as_bool()
        ),
        (Some(200), Some("OK"), Some(true)),
        "{r}"
    );
    assert_eq!(
        r["ignored"],
        serde_json::json!([]),
        "dropped by the SDK: {r}"
    );
    assert_eq!(r["wrong_type"], serde_json::json!([]), "mistyped: {r}");
}

/// What the user does at the SMS step.
#[derive(Clone, Copy, PartialEq)]
enum AtSms {
    /// Reads the code from the outbox; types a wrong one first.
    Type,
    /// Verifies another way (the upstream text).
    GiveUp,
}

/// The user behind the phone.
struct User<'w> {
    w: &'w World,
    /// The number they type when asked, and whose texts they read.
    number: String,
    at_sms: AtSms,
    /// Upstream texts the SMS centre delivered for them.
    sent: u32,
    carrier: Option<CarrierReport>,
}

impl<'w> User<'w> {
    fn new(w: &'w World, number: &str, at_sms: AtSms) -> Self {
        User {
            w,
            number: number.to_owned(),
            at_sms,
            sent: 0,
            carrier: None,
        }
    }

    /// The newest code texted to the number, from the development outbox.
    async fn texted_code(&self) -> String {
        crate::helpers::texted_code_in(&self.w.data, &self.number).await
    }

    /// The SMS centre delivers the user's message to numgate.
    async fn send_upstream(&self, to: &str, text: &str) {
        self.w
            .data
            .store
            .record_inbound(NewInbound {
                from: format!("86{}", self.number),
                to: to.into(),
                text: text.into(),
                received_at: numgate_domain::Clock::now_millis(&self.w.app.clock),
            })
            .await
            .unwrap();
    }
}

impl FusionHandler for User<'_> {
    async fn prompt(&mut self, prompt: Prompt) -> Reply {
        match prompt {
            Prompt::EnterNumber { error: None } => Reply::Number(self.number.clone()),
            Prompt::SmsCode { error: None, .. } if self.at_sms == AtSms::GiveUp => Reply::GiveUp,
            Prompt::SmsCode {
                code_length,
                error: None,
                ..
            } => {
                let code = self.texted_code().await;
                assert_eq!(code.len(), code_length as usize);
                // A slip of the finger first: the same step comes back.
                Reply::SmsCode(if code == "000000" { "111111" } else { "000000" }.into())
            }
            Prompt::SmsCode { error: Some(_), .. } => Reply::SmsCode(self.texted_code().await),
            Prompt::UpstreamSms { error: None, .. } => {
                // "Sent" before the message is in: numgate asks to wait.
                Reply::Sent
            }
            Prompt::UpstreamSms {
                to,
                text,
                error: Some(_),
                ..
            } if self.sent == 0 => {
                self.send_upstream(&to, &text).await;
                self.sent += 1;
                Reply::Sent
            }
            other => panic!("the user did not expect {other:?}"),
        }
    }

    fn notice(&mut self, notice: &Notice) {
        if let Notice::CarrierReport(r) = notice {
            self.carrier = Some(r.clone());
        }
    }
}

/// One path: the phone at `bearer` plays `scene` to its end.
struct Path {
    name: &'static str,
    scene: &'static str,
    bearer: &'static str,
    /// The number the scene starts with (100002–100005).
    number: Option<&'static str>,
    /// The number the user verifies (types, reads codes for, sends from).
    user: &'static str,
    signals: Signals,
    at_sms: AtSms,
    trail: &'static [&'static str],
    carrier: Option<&'static str>,
}

/// What a path ended with: the VerifyToken and the number it proves.
struct Verified {
    name: &'static str,
    verify_token: String,
    number: &'static str,
    took: Duration,
}

async fn play(w: &World, p: &Path) -> Verified {
    let began = Instant::now();
    let mut run = FusionRun::new(p.bearer.parse().unwrap(), &w.app.endpoint).unwrap();
    let mut user = User::new(w, p.user, p.at_sms);
    let device = format!("{}-{}", p.scene, p.name);
    let outcome = run
        .run(
            &w.token,
            p.scene,
            p.number,
            Some(&device),
            p.signals,
            &mut user,
        )
        .await
        .unwrap_or_else(|e| panic!("{} {}: {e} after {:?}", p.scene, p.name, run.trail()));
    let FusionOutcome::Done {
        verify_token,
        masked_number,
    } = outcome
    else {
        panic!(
            "{} {}: {outcome:?} after {:?}",
            p.scene,
            p.name,
            run.trail()
        );
    };
    assert_eq!(run.trail(), p.trail, "{} {}", p.scene, p.name);
    assert_eq!(
        masked_number,
        format!("{}****{}", &p.user[..3], &p.user[7..]),
        "{} {}",
        p.scene,
        p.name
    );
    let report = user.carrier.as_ref().map(|r| match r {
        CarrierReport::Token { .. } => "token",
        CarrierReport::NoData { .. } => "no_data",
        CarrierReport::Timeout => "timeout",
    });
    assert_eq!(
        report, p.carrier,
        "{} {}: {:?}",
        p.scene, p.name, user.carrier
    );
    Verified {
        name: p.name,
        verify_token,
        number: p.user,
        took: began.elapsed(),
    }
}

/// The backend redeems each VerifyToken through the SDK, then the first again.
async fn redeem(w: &World, scene: &str, verified: &[Verified]) {
    let mut calls: Vec<String> = verified
        .iter()
        .map(|v| format!("fusion-verify:{}", v.verify_token))
        .collect();
    calls.push(calls[0].clone());
    let r = w.sdk.run(&calls).await;
    for (v, r) in verified.iter().zip(&r) {
        assert_ok(r);
        let m = &r["model"];
        assert_eq!(
            (m["phone_number"].as_str(), m["verify_result"].as_str()),
            (Some(v.number), Some("PASS")),
            "{scene} {}: {r}",
            v.name
        );
        // Only logon has the number scoring node.
        assert_eq!(
            m["phone_score"].is_u64(),
            scene == "100001",
            "{scene} {}: {r}",
            v.name
        );
        println!("{scene} {}: {} ms", v.name, v.took.as_millis());
    }
    let again = r.last().unwrap();
    assert!(again.get("error").is_none(), "{again}");
    assert_eq!(
        (again["status"].as_u64(), again["code"].as_str()),
        (Some(200), Some("isv.TOKEN_INVALID")),
        "{scene}: a VerifyToken is good once: {again}"
    );
    assert_eq!(again["success"], false, "{again}");
}

/// The four paths of a scene that starts with the number and proves it by SMS
/// first (change number, reset password, bind a new number).
fn sms_scene_paths(scene: &'static str) -> [Path; 4] {
    [
        Path {
            name: "low risk",
            scene,
            bearer: LOW_RISK.0,
            number: Some(LOW_RISK.1),
            user: LOW_RISK.1,
            signals: Signals::default(),
            at_sms: AtSms::Type,
            trail: &["sms_code", "sms_code", "done"],
            carrier: None,
        },
        // The scene asks no carrier: mobile data off changes nothing.
        Path {
            name: "mobile data off",
            scene,
            bearer: NO_DATA.0,
            number: Some(NO_DATA.1),
            user: NO_DATA.1,
            signals: Signals::default(),
            at_sms: AtSms::Type,
            trail: &["sms_code", "sms_code", "done"],
            carrier: None,
        },
        Path {
            name: "high endpoint risk",
            scene,
            bearer: CAPTCHA.0,
            number: Some(CAPTCHA.1),
            user: CAPTCHA.1,
            signals: HOOKED,
            at_sms: AtSms::Type,
            trail: &["captcha", "sms_code", "sms_code", "done"],
            carrier: None,
        },
        Path {
            name: "upstream sms",
            scene,
            bearer: UPSTREAM.0,
            number: Some(UPSTREAM.1),
            user: UPSTREAM.1,
            signals: Signals::default(),
            at_sms: AtSms::GiveUp,
            trail: &["sms_code", "upstream_sms", "upstream_sms", "done"],
            carrier: None,
        },
    ]
}

async fn every_path(scene: &'static str, paths: &[Path]) {
    let Some(py) = python() else { return };
    let w = world(&py, Variant::Plain).await;
    let mut verified = Vec::new();
    for p in paths {
        verified.push(play(&w, p).await);
    }
    redeem(&w, scene, &verified).await;
}

#[tokio::test]
async fn logon_through_the_official_sdk_one_click_sms_captcha_and_upstream_sms() {
    let scene = "100001";
    every_path(
        scene,
        &[
            Path {
                name: "low risk",
                scene,
                bearer: LOW_RISK.0,
                number: None,
                user: LOW_RISK.1,
                signals: Signals::default(),
                at_sms: AtSms::Type,
                trail: &["carrier_consent", "done"],
                carrier: Some("token"),
            },
            Path {
                name: "mobile data off",
                scene,
                bearer: NO_DATA.0,
                number: None,
                user: NO_DATA.1,
                signals: Signals::default(),
                at_sms: AtSms::Type,
                trail: &[
                    "carrier_consent",
                    "enter_number",
                    "sms_code",
                    "sms_code",
                    "done",
                ],
                carrier: Some("no_data"),
            },
            Path {
                name: "high endpoint risk",
                scene,
                bearer: CAPTCHA.0,
                number: None,
                user: CAPTCHA.1,
                signals: HOOKED,
                at_sms: AtSms::Type,
                trail: &["captcha", "carrier_consent", "done"],
                carrier: Some("token"),
            },
            Path {
                name: "upstream sms",
                scene,
                bearer: UPSTREAM.0,
                number: None,
                user: UPSTREAM.1,
                signals: Signals::default(),
                at_sms: AtSms::GiveUp,
                trail: &[
                    "carrier_consent",
                    "enter_number",
                    "sms_code",
                    "upstream_sms",
                    "upstream_sms",
                    "done",
                ],
                carrier: Some("no_data"),
            },
        ],
    )
    .await;
}

#[tokio::test]
async fn change_number_through_the_official_sdk_sms_captcha_and_upstream_sms() {
    every_path("100002", &sms_scene_paths("100002")).await;
}

#[tokio::test]
async fn reset_password_through_the_official_sdk_sms_captcha_and_upstream_sms() {
    every_path("100003", &sms_scene_paths("100003")).await;
}

#[tokio::test]
async fn bind_new_number_through_the_official_sdk_sms_captcha_and_upstream_sms() {
    every_path("100004", &sms_scene_paths("100004")).await;
}

#[tokio::test]
async fn verify_bound_number_through_the_official_sdk_number_check_sms_captcha_and_upstream_sms() {
    let scene = "100005";
    every_path(
        scene,
        &[
            Path {
                name: "low risk",
                scene,
                bearer: LOW_RISK.0,
                number: Some(LOW_RISK.1),
                user: LOW_RISK.1,
                signals: Signals::default(),
                at_sms: AtSms::Type,
                trail: &["number_check", "done"],
                carrier: Some("token"),
            },
            Path {
                name: "mobile data off",
                scene,
                bearer: NO_DATA.0,
                number: Some(NO_DATA.1),
                user: NO_DATA.1,
                signals: Signals::default(),
                at_sms: AtSms::Type,
                trail: &["number_check", "sms_code", "sms_code", "done"],
                carrier: Some("no_data"),
            },
            Path {
                name: "high endpoint risk",
                scene,
                bearer: CAPTCHA.0,
                number: Some(CAPTCHA.1),
                user: CAPTCHA.1,
                signals: HOOKED,
                at_sms: AtSms::Type,
                trail: &["captcha", "number_check", "done"],
                carrier: Some("token"),
            },
            Path {
                name: "upstream sms",
                scene,
                bearer: UPSTREAM.0,
                number: Some(UPSTREAM.1),
                user: UPSTREAM.1,
                signals: Signals::default(),
                at_sms: AtSms::GiveUp,
                trail: &[
                    "number_check",
                    "sms_code",
                    "upstream_sms",
                    "upstream_sms",
                    "done",
                ],
                carrier: Some("no_data"),
            },
            // The bound number is not the SIM's: the carrier says no, SMS decides.
            Path {
                name: "another SIM",
                scene,
                bearer: LOW_RISK.0,
                number: Some("13800000075"),
                user: "13800000075",
                signals: Signals::default(),
                at_sms: AtSms::Type,
                trail: &["number_check", "sms_code", "sms_code", "done"],
                carrier: Some("token"),
            },
        ],
    )
    .await;
}

#[tokio::test]
async fn a_carrier_that_does_not_answer_within_timeout_ms_hands_over_to_sms() {
    let Some(py) = python() else { return };
    let w = world(&py, Variant::Hung).await;
    let logon = Path {
        name: "carrier timeout",
        scene: "100001",
        bearer: LOW_RISK.0,
        number: None,
        user: LOW_RISK.1,
        signals: Signals::default(),
        at_sms: AtSms::Type,
        trail: &[
            "carrier_consent",
            "enter_number",
            "sms_code",
            "sms_code",
            "done",
        ],
        carrier: Some("timeout"),
    };
    let check = Path {
        name: "carrier timeout",
        scene: "100005",
        bearer: CAPTCHA.0,
        number: Some(CAPTCHA.1),
        user: CAPTCHA.1,
        signals: Signals::default(),
        at_sms: AtSms::Type,
        trail: &["number_check", "sms_code", "sms_code", "done"],
        carrier: Some("timeout"),
    };
    // Both wait out the default TimeoutMs (5 s) at once.
    let (a, b) = tokio::join!(play(&w, &logon), play(&w, &check));
    assert!(
        a.took >= Duration::from_secs(5) && b.took >= Duration::from_secs(5),
        "the client waited TimeoutMs"
    );
    redeem(&w, "100001", std::slice::from_ref(&a)).await;
    redeem(&w, "100005", std::slice::from_ref(&b)).await;
}

#[tokio::test]
async fn a_recently_swapped_sim_is_refused_then_stepped_up_under_the_tenants_policy() {
    let Some(py) = python() else { return };
    let w = world(&py, Variant::Swapped).await;
    let scene = "100002";
    // By default the swapped number may not become an account's new number.
    let mut run = FusionRun::new(SWAPPED.0.parse().unwrap(), &w.app.endpoint).unwrap();
    let mut user = User::new(&w, SWAPPED.1, AtSms::Type);
    let outcome = run
        .run(
            &w.token,
            scene,
            Some(SWAPPED.1),
            Some("100002-swapped"),
            Signals::default(),
            &mut user,
        )
        .await
        .unwrap();
    let FusionOutcome::Refused { node, .. } = &outcome else {
        panic!("refused, not {outcome:?} after {:?}", run.trail());
    };
    assert_eq!(node, "number_risk", "{outcome:?}");

    // The tenant's policy for the scene steps such numbers up with a CAPTCHA.
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
    let tenant = w.data.store.find_tenant("default").await.unwrap().unwrap();
    w.data
        .store
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
    let stepped_up = play(
        &w,
        &Path {
            name: "swapped sim",
            scene,
            bearer: SWAPPED.0,
            number: Some(SWAPPED.1),
            user: SWAPPED.1,
            signals: Signals::default(),
            at_sms: AtSms::Type,
            trail: &["captcha", "sms_code", "sms_code", "done"],
            carrier: None,
        },
    )
    .await;
    redeem(&w, scene, std::slice::from_ref(&stepped_up)).await;
}
