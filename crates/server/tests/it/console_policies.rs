//! The console's policies section, over HTTP and in headless Chromium: the
//! graph in force with each node's billing, a node changed and restored, the
//! inherit and logging switches, refused changes that change nothing, CSRF,
//! tenant isolation and the audit log; in Chromium, a threshold changed in the
//! node dialog changes the next Fusion-Auth run.

use numgate_client::OpenApi;
use numgate_domain::clock::Clock;
use numgate_domain::fusion::{PolicySource, Scene, Settings};
use numgate_server::service::{keys, policies};
use numgate_server::{DataDir, DEFAULT_TENANT};
use reqwest::header::COOKIE;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::console::{add_user, console_app, Browser, PASSWORD};
use crate::helpers::TestApp;

/// The first step of a logon run from an emulator behind a proxy (high
/// endpoint risk by default), each from a new device so that no velocity rule adds up.
async fn risky_start(app: &TestApp, token: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static DEVICE: AtomicU32 = AtomicU32::new(0);
    let device = format!("console-device-{}", DEVICE.fetch_add(1, Ordering::Relaxed));
    let r = reqwest::Client::new()
        .post(format!("{}/client/v1/fusion/start", app.endpoint))
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

struct World {
    app: TestApp,
    data: DataDir,
    tenant: i64,
    /// The default tenant's Fusion-Auth scheme and an SDK token of it.
    scheme: String,
    token: String,
}

async fn world() -> World {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let (scheme, token) =
        crate::fusion_policy::scheme(&app.client(), "console-policy", "com.acme.cp").await;
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
        scheme,
        token,
    }
}

impl World {
    async fn signed_in(&self, name: &str) -> (Browser, String) {
        signed_in(&self.app, name).await
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

    async fn audit(&self) -> Vec<(String, String, String)> {
        policies::audit(self.data.store.as_ref(), self.tenant, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.action, r.target, r.actor))
            .collect()
    }
}

/// A signed-in stand-in browser and its CSRF token.
async fn signed_in(app: &TestApp, name: &str) -> (Browser, String) {
    let mut b = Browser::new(app);
    assert_eq!(b.sign_in(name, PASSWORD).await.0, StatusCode::SEE_OTHER);
    let (status, me) = b.json("/console/api/me").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    (b, csrf)
}

/// A JSON POST as the page's script sends it, with the CSRF header if given.
async fn post_json(
    app: &TestApp,
    b: &Browser,
    path: &str,
    body: Value,
    csrf: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}", app.endpoint))
        .header(COOKIE, b.cookie_header())
        .json(&body);
    if let Some(t) = csrf {
        req = req.header("x-csrf-token", t);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn node<'v>(view: &'v Value, id: &str) -> &'v Value {
    view["graph"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == id)
        .unwrap_or_else(|| panic!("no node {id} in {view}"))
}

fn threshold(graph: &numgate_domain::fusion::PolicyGraph) -> u8 {
    match &graph.node("endpoint_risk").unwrap().settings {
        Settings::EndpointRisk(r) => r.threshold,
        _ => unreachable!(),
    }
}

/// The endpoint risk node's settings from a view, with another threshold.
fn with_threshold(view: &Value, t: Value) -> Value {
    let mut settings = node(view, "endpoint_risk")["settings"].clone();
    settings["threshold"] = t;
    settings
}

#[tokio::test]
async fn a_node_is_shown_with_its_billing_changed_and_restored_and_each_change_is_audited() {
    let w = world().await;
    let (mut b, csrf) = w.signed_in("alice").await;

    let (status, v) = b.json("/console/api/policies?scene=100001").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["source"], &v["version"], &v["inherit"], &v["logging"]),
        (&json!("default"), &json!(0), &json!(true), &json!(true))
    );
    assert_eq!(v["graph"]["start"], "endpoint_risk");
    assert_eq!(node(&v, "endpoint_risk")["settings"]["threshold"], 50);
    assert_eq!(v["schemes"][0]["code"], w.scheme.as_str());
    // Billing: risk checks and scoring are free; a method passing the scene is
    // the Fusion-Auth price; the SMS node also pays SMS per delivered segment.
    for free in ["endpoint_risk", "number_risk", "number_scoring"] {
        assert_eq!(v["billing"][free], json!([]), "{free}");
    }
    let charges = |id: &str| -> Vec<(String, String, String)> {
        v["billing"][id]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["method"].as_str().unwrap().to_owned(),
                    c["basis"].as_str().unwrap().to_owned(),
                    c["price_yuan"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let fusion = (
        "fusion".to_owned(),
        "passed_scene".to_owned(),
        "0.06".to_owned(),
    );
    assert_eq!(charges("one_click"), vec![fusion.clone()]);
    assert_eq!(charges("upstream_sms"), vec![fusion.clone()]);
    assert_eq!(
        charges("sms_code"),
        vec![
            (
                "sms".to_owned(),
                "delivered_segment".to_owned(),
                "0.045".to_owned()
            ),
            fusion
        ]
    );

    // Change the threshold: stored as the tenant's global policy, version 1.
    let (status, after) = post_json(
        &w.app,
        &b,
        "/console/api/policies/node",
        json!({"scene": "100001", "node": "endpoint_risk", "version": 0,
               "settings": with_threshold(&v, json!(70))}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(
        (&after["source"], &after["version"]),
        (&json!("global"), &json!(1))
    );
    assert_eq!(node(&after, "endpoint_risk")["settings"]["threshold"], 70);
    assert_eq!(after["updated_by"], "console:alice");
    let f = w.in_force(None).await;
    assert_eq!((f.source, threshold(&f.graph)), (PolicySource::Global, 70));
    // The inheriting scheme follows.
    assert_eq!(threshold(&w.in_force(Some(&w.scheme)).await.graph), 70);

    // Switch the node off and change a fallback in the same save.
    let (status, off) = post_json(
        &w.app,
        &b,
        "/console/api/policies/node",
        json!({"scene": 100001, "node": "upstream_sms", "version": 1,
               "enabled": false, "next": {"success": "pass", "failure": "refuse"}}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{off}");
    assert_eq!(node(&off, "upstream_sms")["enabled"], false);
    assert_eq!(node(&off, "upstream_sms")["next"]["success"], "pass");

    // A stale version is refused (someone changed it meanwhile).
    let (status, stale) = post_json(
        &w.app,
        &b,
        "/console/api/policies/node/restore",
        json!({"scene": "100001", "node": "endpoint_risk", "version": 1}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        stale["message"].as_str().unwrap().contains("version 2"),
        "{stale}"
    );

    // Restore the node: its defaults are back, the other node's change stays.
    let (status, restored) = post_json(
        &w.app,
        &b,
        "/console/api/policies/node/restore",
        json!({"scene": "100001", "node": "endpoint_risk", "version": 2}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["version"], 3);
    assert_eq!(node(&restored, "endpoint_risk"), node(&v, "endpoint_risk"));
    assert_eq!(node(&restored, "upstream_sms")["enabled"], false);

    // Restore the level: the defaults are in force again.
    let (status, level) = post_json(
        &w.app,
        &b,
        "/console/api/policies/restore",
        json!({"scene": "100001"}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{level}");
    assert_eq!(
        (&level["source"], &level["graph"]),
        (&json!("default"), &v["graph"])
    );

    let target = "scene 100001".to_owned();
    let by = "console:alice".to_owned();
    assert_eq!(
        w.audit().await,
        vec![
            ("policy.delete".to_owned(), target.clone(), by.clone()),
            ("policy.put".to_owned(), target.clone(), by.clone()),
            ("policy.put".to_owned(), target.clone(), by.clone()),
            ("policy.put".to_owned(), target, by),
        ]
    );
}

#[tokio::test]
async fn a_schemes_inherit_and_logging_switches_and_its_own_node_changes() {
    let w = world().await;
    let (mut b, csrf) = w.signed_in("alice").await;
    let path = format!("/console/api/policies?scene=100001&scheme={}", w.scheme);
    let (status, v) = b.json(&path).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["source"], &v["inherit"]),
        (&json!("default"), &json!(true))
    );

    // Inherit off: the scheme keeps what was in force as its own.
    let (status, off) = post_json(
        &w.app,
        &b,
        "/console/api/policies/inherit",
        json!({"scene": "100001", "scheme": w.scheme, "on": false}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{off}");
    assert_eq!(
        (&off["source"], &off["inherit"], &off["version"]),
        (&json!("scheme"), &json!(false), &json!(1))
    );
    assert_eq!(off["graph"], v["graph"]);

    // Logging off, and on the global level too; the switch only.
    let (status, quiet) = post_json(
        &w.app,
        &b,
        "/console/api/policies/logging",
        json!({"scene": "100001", "scheme": w.scheme, "on": false}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{quiet}");
    assert_eq!(
        (&quiet["logging"], &quiet["inherit"], &quiet["version"]),
        (&json!(false), &json!(false), &json!(2))
    );
    let (status, global) = post_json(
        &w.app,
        &b,
        "/console/api/policies/logging",
        json!({"scene": "100001", "on": false}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{global}");
    assert_eq!(
        (&global["logging"], &global["inherit"], &global["source"]),
        (&json!(false), &json!(true), &json!("default"))
    );

    // The scheme's own node change leaves the global level alone.
    let (status, own) = post_json(
        &w.app,
        &b,
        "/console/api/policies/node",
        json!({"scene": "100001", "scheme": w.scheme, "node": "endpoint_risk", "version": 2,
               "settings": with_threshold(&v, json!(30))}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(threshold(&w.in_force(Some(&w.scheme)).await.graph), 30);
    assert_eq!(threshold(&w.in_force(None).await.graph), 50);

    // Inherit on again: it follows the global level; the inherit switch is a scheme's.
    let (status, on) = post_json(
        &w.app,
        &b,
        "/console/api/policies/inherit",
        json!({"scene": "100001", "scheme": w.scheme, "on": true}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{on}");
    assert_eq!(
        (&on["source"], &on["inherit"]),
        (&json!("default"), &json!(true))
    );
    let (status, e) = post_json(
        &w.app,
        &b,
        "/console/api/policies/inherit",
        json!({"scene": "100001", "on": false}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");

    let log = w.audit().await;
    assert_eq!(log.len(), 5, "{log:?}");
    assert!(log.iter().all(|(_, _, actor)| actor == "console:alice"));
}

#[tokio::test]
async fn the_logging_switch_decides_whether_a_runs_decisions_are_recorded() {
    let w = world().await;
    let (mut b, csrf) = w.signed_in("alice").await;
    let (_, v) = b.json("/console/api/policies?scene=100001").await;
    let mut settings = node(&v, "endpoint_risk")["settings"].clone();
    settings["on_high"] = json!({"action": "refuse"});
    let (status, r) = post_json(
        &w.app,
        &b,
        "/console/api/policies/node",
        json!({"scene": "100001", "node": "endpoint_risk", "version": 0, "settings": settings}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let newest = || async {
        w.data
            .store
            .list_attempts(w.tenant, true, 1)
            .await
            .unwrap()
            .remove(0)
    };

    // Logging on (the default): the refused attempt names the node and its rules.
    assert_eq!(risky_start(&w.app, &w.token).await, "refused");
    let logged = newest().await;
    assert!(logged.path.contains("endpoint_risk"), "{}", logged.path);
    assert_ne!(logged.fired_rules, "[]");

    // Logging off on the global level, which the scheme follows: the attempt
    // is still recorded, its decisions are not.
    let (status, r) = post_json(
        &w.app,
        &b,
        "/console/api/policies/logging",
        json!({"scene": "100001", "on": false}),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!((&r["logging"], &r["version"]), (&json!(false), &json!(2)));
    assert_eq!(risky_start(&w.app, &w.token).await, "refused");
    let quiet = newest().await;
    assert_ne!(quiet.id, logged.id);
    assert_eq!(
        (quiet.path.as_str(), quiet.fired_rules.as_str()),
        ("[]", "[]")
    );
}

#[tokio::test]
async fn an_invalid_threshold_is_refused_with_a_clear_error_and_changes_nothing() {
    let w = world().await;
    let (mut b, csrf) = w.signed_in("alice").await;
    let (_, v) = b.json("/console/api/policies?scene=100001").await;

    for (bad, expect) in [
        (json!(101), "threshold"),
        (json!(300), "node `endpoint_risk`"),
        (json!(-1), "node `endpoint_risk`"),
        (json!("high"), "node `endpoint_risk`"),
    ] {
        let (status, e) = post_json(
            &w.app,
            &b,
            "/console/api/policies/node",
            json!({"scene": "100001", "node": "endpoint_risk", "version": 0,
                   "settings": with_threshold(&v, bad.clone())}),
            Some(&csrf),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {e}");
        assert_eq!(e["error"], "isv.INVALID_PARAMETERS", "{e}");
        let message = e["message"].as_str().unwrap();
        assert!(
            message.contains(expect) && message.contains("endpoint_risk"),
            "{bad}: {message}"
        );
    }
    // 101 is named with its range.
    let (_, e) = post_json(
        &w.app,
        &b,
        "/console/api/policies/node",
        json!({"scene": "100001", "node": "endpoint_risk", "version": 0,
               "settings": with_threshold(&v, json!(101))}),
        Some(&csrf),
    )
    .await;
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains("101") && message.contains("100"),
        "{message}"
    );

    // Other refusals: an unknown node, a bad scene, a fallback to nowhere, a
    // field that is not a node's, a scheme the tenant does not have.
    for (body, expect) in [
        (
            json!({"scene": "100001", "node": "nothing", "version": 0, "enabled": false}),
            "no node `nothing`",
        ),
        (
            json!({"scene": "999999", "node": "endpoint_risk", "version": 0}),
            "100001 to 100005",
        ),
        (
            json!({"scene": "100001", "node": "sms_code", "version": 0,
                   "next": {"success": "pass", "failure": "nowhere"}}),
            "nowhere",
        ),
        (
            json!({"scene": "100001", "node": "endpoint_risk", "version": 0, "colour": "red"}),
            "colour",
        ),
        (
            json!({"scene": "100001", "scheme": "FA000000000000001", "node": "endpoint_risk",
                   "version": 0, "enabled": false}),
            "FA000000000000001",
        ),
    ] {
        let (status, e) = post_json(
            &w.app,
            &b,
            "/console/api/policies/node",
            body.clone(),
            Some(&csrf),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains(expect),
            "{body}: {e}"
        );
    }

    // Nothing was stored or audited; runs go on as before.
    let (_, now) = b.json("/console/api/policies?scene=100001").await;
    assert_eq!(
        (&now["source"], &now["version"]),
        (&json!("default"), &json!(0))
    );
    assert_eq!(now["graph"], v["graph"]);
    assert_eq!(w.audit().await, vec![]);
    assert_eq!(risky_start(&w.app, &w.token).await, "captcha");
}

#[tokio::test]
async fn policy_changes_need_a_session_and_the_csrf_token() {
    let w = world().await;
    let (b, csrf) = w.signed_in("alice").await;
    let change =
        json!({"scene": "100001", "node": "endpoint_risk", "version": 0, "enabled": false});
    for path in [
        "/console/api/policies/node",
        "/console/api/policies/node/restore",
        "/console/api/policies/logging",
        "/console/api/policies/inherit",
        "/console/api/policies/restore",
    ] {
        let (status, _) = post_json(&w.app, &b, path, change.clone(), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path} without the token");
        let (status, _) = post_json(&w.app, &b, path, change.clone(), Some("forged")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path} with another token");
    }
    let mut anonymous = Browser::new(&w.app);
    let (status, _) = anonymous.json("/console/api/policies?scene=100001").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = post_json(
        &w.app,
        &anonymous,
        "/console/api/policies/node",
        change.clone(),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    assert_eq!(w.in_force(None).await.version(), 0);
    assert_eq!(w.audit().await, vec![]);
    // With the token it goes through.
    let (status, v) = post_json(
        &w.app,
        &b,
        "/console/api/policies/node",
        change,
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(node(&v, "endpoint_risk")["enabled"], false);
}

#[tokio::test]
async fn a_tenant_user_sees_and_changes_only_their_own_tenants_policies() {
    let w = world().await;
    let now = w.app.clock.now_millis();
    let globex = w.data.store.ensure_tenant("globex", now).await.unwrap();
    let key = keys::create(
        w.data.store.as_ref(),
        &w.data.master_key.secret_box(),
        globex.id,
        now,
    )
    .await
    .unwrap();
    let globex_api = OpenApi::new(&w.app.endpoint, &key.id, key.secret.as_ref());
    let (globex_scheme, _) =
        crate::fusion_policy::scheme(&globex_api, "globex-fusion", "com.globex.f").await;
    add_user(&w.app, &w.data, "gina", Some("globex")).await;
    add_user(&w.app, &w.data, "root", None).await;
    let (mut gina, csrf) = signed_in(&w.app, "gina").await;

    // Her own tenant, with her own schemes only.
    let (status, own) = gina.json("/console/api/policies?scene=100001").await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["tenant"], "globex");
    let codes: Vec<&str> = own["schemes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, [globex_scheme.as_str()]);

    // Another tenant's policies, by name or by scheme: refused, nothing shown.
    let (status, other) = gina
        .json(&format!(
            "/console/api/policies?scene=100001&tenant={DEFAULT_TENANT}"
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!other.to_string().contains(&w.scheme));
    let (status, other) = gina
        .json(&format!(
            "/console/api/policies?scene=100001&scheme={}",
            w.scheme
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(other["error"], "isv.VERIFY_SCHEME_NOT_EXIST");
    let off = json!({"scene": "100001", "node": "endpoint_risk", "enabled": false});
    let (status, _) = post_json(
        &w.app,
        &gina,
        &format!("/console/api/policies/node?tenant={DEFAULT_TENANT}"),
        off.clone(),
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut in_scheme = off.clone();
    in_scheme["scheme"] = json!(w.scheme);
    let (status, _) = post_json(
        &w.app,
        &gina,
        "/console/api/policies/node",
        in_scheme,
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(w.in_force(None).await.version(), 0);
    assert_eq!(w.in_force(Some(&w.scheme)).await.version(), 0);

    // Her change is her tenant's only.
    let (status, mine) = post_json(
        &w.app,
        &gina,
        "/console/api/policies/node",
        off,
        Some(&csrf),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(w.in_force(None).await.source, PolicySource::Default);
    assert_eq!(w.audit().await, vec![]);
    let globex_log = policies::audit(w.data.store.as_ref(), globex.id, 10)
        .await
        .unwrap();
    assert_eq!(globex_log.len(), 1);
    assert_eq!(globex_log[0].actor, "console:gina");

    // An operator names the tenant.
    let (mut root, _) = signed_in(&w.app, "root").await;
    let (_, seen) = root
        .json("/console/api/policies?scene=100001&tenant=globex")
        .await;
    assert_eq!(node(&seen, "endpoint_risk")["enabled"], false);
    let (_, seen) = root
        .json(&format!(
            "/console/api/policies?scene=100001&tenant={DEFAULT_TENANT}"
        ))
        .await;
    assert_eq!(node(&seen, "endpoint_risk")["enabled"], true);
}

/// The acceptance item: open a policy node and change a threshold; the
/// Fusion-Auth run behaves accordingly.
#[tokio::test]
async fn in_a_real_browser_a_threshold_changed_in_a_node_dialog_changes_the_next_run() {
    use crate::console::{click, fill, signed_in_browser, wait_text};

    let Some(path) = crate::browser::chromedriver() else {
        return;
    };
    let w = world().await;
    // Before: an emulator behind a proxy is high endpoint risk (score at or
    // above the default threshold 50), stepped up with a CAPTCHA.
    assert_eq!(risky_start(&w.app, &w.token).await, "captcha");

    let (_driver, c, _profile) = signed_in_browser(&path, &w.app, "alice").await;
    c.goto(&format!("{}/console/policies", w.app.endpoint))
        .await
        .unwrap();
    wait_text(&c, "#policies-source", |t| t == "numgate's default graph").await;
    wait_text(&c, "#node-endpoint_risk", |t| t.contains("threshold 50")).await;

    screenshot(&c, "policies.png").await;
    // A method node's dialog tells how it is billed.
    click(&c, "#node-sms_code").await;
    wait_text(&c, "#policies-node-billing", |t| {
        t.contains("0.045 yuan per delivered SMS segment")
            && t.contains("0.06 yuan per passed scene")
    })
    .await;
    screenshot(&c, "policies-node.png").await;
    click(&c, "#policies-node-cancel").await;

    // The endpoint risk node: not billed; a bad threshold is refused in the dialog.
    click(&c, "#node-endpoint_risk").await;
    wait_text(&c, "#policies-node-billing", |t| t.contains("Not billed")).await;
    fill(&c, "#policies-node-threshold", "101").await;
    click(&c, "#policies-node-save").await;
    wait_text(&c, "#policies-node-error", |t| {
        t.contains("threshold") && t.contains("101")
    })
    .await;
    assert_eq!(risky_start(&w.app, &w.token).await, "captcha");
    assert_eq!(w.in_force(None).await.version(), 0);

    // Threshold 100: the same signals are no longer high risk.
    fill(&c, "#policies-node-threshold", "100").await;
    click(&c, "#policies-node-save").await;
    wait_text(&c, "#policies-status", |t| t.contains("version 1")).await;
    wait_text(&c, "#policies-source", |t| {
        t == "the tenant's global policy"
    })
    .await;
    wait_text(&c, "#node-endpoint_risk", |t| t.contains("threshold 100")).await;
    // No CAPTCHA: the run goes straight on to the methods (here to SMS, which
    // first asks for the number).
    assert_eq!(risky_start(&w.app, &w.token).await, "enter_number");
    assert_eq!(
        w.audit().await,
        vec![(
            "policy.put".to_owned(),
            "scene 100001".to_owned(),
            "console:alice".to_owned()
        )]
    );

    // Restoring the node's defaults in its dialog brings the CAPTCHA back.
    click(&c, "#node-endpoint_risk").await;
    click(&c, "#policies-node-restore").await;
    wait_text(&c, "#policies-status", |t| t.contains("version 2")).await;
    assert_eq!(risky_start(&w.app, &w.token).await, "captcha");
    c.close().await.unwrap();
}

#[tokio::test]
async fn in_a_real_browser_the_scheme_tab_lists_the_schemes_and_the_inherit_switch_detaches_one() {
    use crate::console::{click, signed_in_browser, wait_text};

    let Some(path) = crate::browser::chromedriver() else {
        return;
    };
    let w = world().await;
    let (_driver, c, _profile) = signed_in_browser(&path, &w.app, "alice").await;
    c.goto(&format!("{}/console/policies", w.app.endpoint))
        .await
        .unwrap();
    wait_text(&c, "#policies-source", |t| t == "numgate's default graph").await;
    click(&c, "#policies-tab-scheme").await;
    wait_text(&c, "#policies-scheme", |t| t.contains(&w.scheme)).await;
    wait_text(&c, "#policies-source", |t| t == "numgate's default graph").await;
    click(&c, "#policies-inherit").await;
    wait_text(&c, "#policies-source", |t| t == "this scheme's own policy").await;
    let f = w.in_force(Some(&w.scheme)).await;
    assert_eq!((f.source, f.inherit()), (PolicySource::Scheme, false));
    assert_eq!(
        w.in_force(None).await.version(),
        0,
        "the global level is untouched"
    );

    // Another scene draws its own graph; the page speaks Chinese too.
    c.find(fantoccini::Locator::Css("#policies-scene"))
        .await
        .unwrap()
        .select_by_value("100005")
        .await
        .unwrap();
    wait_text(&c, "#node-number_check", |t| t.contains("number_check")).await;
    c.goto(&format!("{}/console/policies?lang=zh-CN", w.app.endpoint))
        .await
        .unwrap();
    wait_text(&c, "#policies-tab-global", |t| t == "全局策略").await;
    wait_text(&c, "#node-endpoint_risk", |t| t.contains("终端风险")).await;
    c.close().await.unwrap();
}

/// With `NUMGATE_SCREENSHOT_DIR` set, saves the browser's view there (for the
/// README's screenshots).
async fn screenshot(c: &fantoccini::Client, name: &str) {
    if let Ok(dir) = std::env::var("NUMGATE_SCREENSHOT_DIR") {
        c.set_window_size(1280, 1500).await.unwrap();
        let png = c.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), png).unwrap();
    }
}
