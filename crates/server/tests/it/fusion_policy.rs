//! Fusion-Auth policies take effect on the next run through the real Client API:
//! a change of the tenant's global policy, a scheme that inherits it (and one
//! that stopped inheriting), restore to defaults; refused changes change nothing.

use std::collections::BTreeMap;

use numgate_client::OpenApi;
use numgate_domain::clock::Clock;
use numgate_domain::fusion::{OnHigh, PolicyGraph, PolicySource, Scene, Settings};
use numgate_server::error::Refusal;
use numgate_server::service::policies::{self, Change, GraphInput};
use numgate_server::{open_data_dir, DataDir, DEFAULT_TENANT};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const PACKAGE: &str = "com.acme.policy";
const SIGN: &str = "0123456789abcdef0123456789abcdef";
const ACTOR: &str = "test:policy";

async fn call(api: &OpenApi, action: &str, params: &[(&str, &str)]) -> Value {
    let p: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (status, body) = api.call_raw(action, &p).await.unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

/// An Android Fusion-Auth scheme of the default tenant and its SDK token.
pub(crate) async fn scheme(api: &OpenApi, name: &str, package: &str) -> (String, String) {
    let r = call(
        api,
        "CreateSchemeConfig",
        &[
            ("SchemeName", name),
            ("AppName", "Acme"),
            ("Platform", "Android"),
            ("AndroidPackageName", package),
            ("AndroidPackageSign", SIGN),
        ],
    )
    .await;
    assert_eq!(r["Code"], "OK", "{r}");
    let code = r["Model"]["SchemeCode"].as_str().unwrap().to_owned();
    let r = call(
        api,
        "GetFusionAuthToken",
        &[
            ("SchemeCode", &code),
            ("Platform", "Android"),
            ("PackageName", package),
            ("PackageSign", SIGN),
            ("DurationSeconds", "900"),
        ],
    )
    .await;
    assert_eq!(r["Code"], "OK", "{r}");
    (code, r["Model"].as_str().unwrap().to_owned())
}

struct World {
    app: TestApp,
    data: DataDir,
    tenant: i64,
    /// (scheme code, SDK token) of two schemes.
    a: (String, String),
    b: (String, String),
}

async fn world() -> World {
    let app = spawn_app().await;
    let api = app.client();
    let a = scheme(&api, "policy-a", PACKAGE).await;
    let b = scheme(&api, "policy-b", "com.acme.policy.b").await;
    let data = open_data_dir(&app.config).await.unwrap();
    let tenant = data
        .store
        .find_tenant(DEFAULT_TENANT)
        .await
        .unwrap()
        .unwrap()
        .id;
    World {
        app,
        data,
        tenant,
        a,
        b,
    }
}

impl World {
    /// The first step of a logon run from an emulator behind a proxy (high
    /// endpoint risk), each run from a new device so that no velocity rule adds up.
    async fn risky_start(&self, token: &str) -> String {
        use std::sync::atomic::{AtomicU32, Ordering};
        static DEVICE: AtomicU32 = AtomicU32::new(0);
        let device = format!("device-{}", DEVICE.fetch_add(1, Ordering::Relaxed));
        let r = reqwest::Client::new()
            .post(format!("{}/client/v1/fusion/start", self.app.endpoint))
            .json(&json!({
                "Token": token, "Scene": "100001", "DeviceId": device,
                "Signals": {"emulator": true, "proxy_or_vpn": true},
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        v["Step"].as_str().unwrap().to_owned()
    }

    fn change<'a>(&self, scheme: Option<&'a str>) -> Change<'a> {
        Change {
            tenant_id: self.tenant,
            scene: Scene::Logon,
            scheme,
            actor: ACTOR,
            at: self.app.clock.now_millis(),
        }
    }

    async fn in_force(&self, scheme: Option<&str>) -> policies::InForce {
        policies::in_force(
            self.data.store.as_ref(),
            &self.app.config,
            self.tenant,
            Scene::Logon,
            scheme,
        )
        .await
        .unwrap()
    }
}

/// The default logon graph with high endpoint risk refused instead of stepped up.
fn refusing(defaults: &PolicyGraph) -> PolicyGraph {
    let mut g = defaults.clone();
    let node = g.node_mut("endpoint_risk").unwrap();
    let Settings::EndpointRisk(r) = &mut node.settings else {
        panic!("endpoint_risk is an endpoint risk node")
    };
    r.on_high = OnHigh::Refuse;
    g
}

fn business_code(e: &numgate_server::error::ApiError) -> (&'static str, String) {
    match e.refusal() {
        Refusal::Business { code, message } => (code, message),
        other => panic!("a business refusal, not {other:?}"),
    }
}

#[tokio::test]
async fn a_global_policy_applies_to_the_next_run_and_inheriting_schemes_follow_it() {
    let w = world().await;
    let store = w.data.store.as_ref();
    let (a, b) = (w.a.0.as_str(), w.b.0.as_str());
    assert_eq!(w.risky_start(&w.a.1).await, "captcha");
    assert_eq!(w.risky_start(&w.b.1).await, "captcha");
    let defaults = w.in_force(None).await.graph;

    // B stops inheriting: it keeps the graph in force (the default) as its own.
    assert!(
        policies::set_inherit(store, &w.app.config, w.change(Some(b)), false)
            .await
            .unwrap()
    );
    let pinned = w.in_force(Some(b)).await;
    assert_eq!(
        (pinned.source, pinned.inherit(), pinned.version()),
        (PolicySource::Scheme, false, 1)
    );
    assert_eq!(pinned.graph, defaults);

    // The global policy refuses high endpoint risk: the next run of A (which
    // inherits) is refused; B, detached, still steps up with a CAPTCHA.
    let stored = policies::set(
        store,
        w.change(None),
        GraphInput::Graph(refusing(&defaults)),
        None,
        Some(0),
    )
    .await
    .unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(w.risky_start(&w.a.1).await, "refused");
    assert_eq!(w.risky_start(&w.b.1).await, "captcha");
    let a_now = w.in_force(Some(a)).await;
    assert_eq!(
        (a_now.source, a_now.inherit(), a_now.version()),
        (PolicySource::Global, true, 0)
    );

    // A's own graph, stored with inherit on, is kept but not used.
    let lenient = {
        let mut g = defaults.clone();
        let Settings::EndpointRisk(r) = &mut g.node_mut("endpoint_risk").unwrap().settings else {
            unreachable!()
        };
        r.threshold = 100;
        r.frequency_rules.clear();
        g
    };
    policies::set(
        store,
        w.change(Some(a)),
        GraphInput::Graph(lenient),
        Some(true),
        None,
    )
    .await
    .unwrap();
    assert_eq!(w.risky_start(&w.a.1).await, "refused", "inherit on follows");

    // Inherit off starts A from what was in force (the global graph), and A no
    // longer follows: restoring the global defaults leaves A refusing.
    assert!(
        policies::set_inherit(store, &w.app.config, w.change(Some(a)), false)
            .await
            .unwrap()
    );
    assert!(policies::restore(store, w.change(None)).await.unwrap());
    assert_eq!(w.in_force(None).await.source, PolicySource::Default);
    assert_eq!(w.risky_start(&w.a.1).await, "refused");
    assert_eq!(w.risky_start(&w.b.1).await, "captcha");

    // Inherit on again: A follows the global level, now the defaults.
    assert!(
        policies::set_inherit(store, &w.app.config, w.change(Some(a)), true)
            .await
            .unwrap()
    );
    assert!(
        !policies::set_inherit(store, &w.app.config, w.change(Some(a)), true)
            .await
            .unwrap(),
        "already on: nothing changes"
    );
    assert_eq!(w.risky_start(&w.a.1).await, "captcha");

    // Restoring B's defaults: B follows the global policy again.
    policies::set(
        store,
        w.change(None),
        GraphInput::Graph(refusing(&defaults)),
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(w.risky_start(&w.b.1).await, "captcha");
    assert!(policies::restore(store, w.change(Some(b))).await.unwrap());
    assert!(!policies::restore(store, w.change(Some(b))).await.unwrap());
    assert_eq!(w.risky_start(&w.b.1).await, "refused");

    // Every accepted change is audited, newest first, with before and after.
    let log = policies::audit(store, w.tenant, 100).await.unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|r| (r.action.as_str(), r.target.as_str()))
        .collect();
    let (ta, tb) = (
        format!("scene 100001 scheme {a}"),
        format!("scene 100001 scheme {b}"),
    );
    assert_eq!(
        actions,
        vec![
            ("policy.delete", tb.as_str()),
            ("policy.put", "scene 100001"),
            ("policy.put", ta.as_str()),
            ("policy.delete", "scene 100001"),
            ("policy.put", ta.as_str()),
            ("policy.put", ta.as_str()),
            ("policy.put", "scene 100001"),
            ("policy.put", tb.as_str()),
        ]
    );
    assert!(log.iter().all(|r| r.actor == ACTOR));
    assert!(log[0].before.is_some() && log[0].after.is_none());
    assert!(log[7].before.is_none() && log[7].after.is_some());
}

#[tokio::test]
async fn refused_policy_changes_name_the_problem_and_change_nothing() {
    let w = world().await;
    let store = w.data.store.as_ref();
    let defaults = w.in_force(None).await.graph;

    // A template not in the tenant's catalog, named at its node.
    let mut unknown = refusing(&defaults);
    let Settings::SmsCode(s) = &mut unknown.node_mut("sms_code").unwrap().settings else {
        unreachable!()
    };
    s.template_code = "SMS_999".into();
    let e = policies::set(
        store,
        w.change(None),
        GraphInput::Graph(unknown),
        None,
        None,
    )
    .await
    .unwrap_err();
    let (code, message) = business_code(&e);
    assert_eq!(code, "isv.INVALID_PARAMETERS");
    assert!(
        message.contains("node `sms_code`") && message.contains("SMS_999"),
        "{message}"
    );

    // A cycle, as JSON an editor sends.
    let mut cyclic = serde_json::to_value(refusing(&defaults)).unwrap();
    for node in cyclic["nodes"].as_array_mut().unwrap() {
        if node["id"] == "upstream_sms" {
            node["next"]["failure"] = json!("endpoint_risk");
        }
    }
    let e = policies::set(
        store,
        w.change(None),
        GraphInput::Json(&cyclic.to_string()),
        None,
        None,
    )
    .await
    .unwrap_err();
    let (code, message) = business_code(&e);
    assert_eq!(code, "isv.INVALID_PARAMETERS");
    assert!(
        message.contains("node `") && message.contains("cycle"),
        "{message}"
    );

    // Not JSON of a graph; a scheme the tenant does not have.
    let e = policies::set(
        store,
        w.change(None),
        GraphInput::Json("{\"start\":"),
        None,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(business_code(&e).0, "isv.INVALID_PARAMETERS");
    let e = policies::set(
        store,
        w.change(Some("FA000000000000001")),
        GraphInput::Graph(refusing(&defaults)),
        None,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(business_code(&e).0, "isv.VERIFY_SCHEME_NOT_EXIST");

    // A stale version: the concurrent change is not overwritten.
    policies::set(
        store,
        w.change(None),
        GraphInput::Graph(defaults.clone()),
        None,
        Some(0),
    )
    .await
    .unwrap();
    let e = policies::set(
        store,
        w.change(None),
        GraphInput::Graph(refusing(&defaults)),
        None,
        Some(0),
    )
    .await
    .unwrap_err();
    let (code, message) = business_code(&e);
    assert_eq!(code, "isv.INVALID_PARAMETERS");
    assert!(message.contains("version 1"), "{message}");

    // Nothing refused was stored or audited; runs go on as before.
    assert_eq!(w.in_force(None).await.version(), 1);
    assert_eq!(
        policies::audit(store, w.tenant, 100).await.unwrap().len(),
        1
    );
    assert_eq!(w.risky_start(&w.a.1).await, "captcha");
}
