//! The console's risk section, over HTTP and in headless Chromium: the block and
//! allow lists (validated, scoped to the tenant, audited, consulted by
//! Fusion-Auth), the refused attempts, and the per-address sign-in limit.

use std::collections::BTreeMap;

use numgate_domain::clock::Clock;
use numgate_server::DEFAULT_TENANT;
use numgate_store::NewAttempt;
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::console::{
    add_user, click, console_app, fill, signed_in_browser, wait_text, Browser, PASSWORD,
};
use crate::helpers::TestApp;

/// Posts JSON as the console's script does (with the session's CSRF token
/// unless `csrf` is false).
pub(crate) async fn post_json(
    app: &TestApp,
    b: &mut Browser,
    path: &str,
    body: Value,
    csrf: bool,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}", app.endpoint))
        .header(COOKIE, b.cookie_header())
        .header("content-type", "application/json")
        .body(body.to_string());
    if csrf {
        let (_, me) = b.json("/console/api/me").await;
        req = req.header("x-csrf-token", me["csrf_token"].as_str().unwrap());
    }
    let res = req.send().await.unwrap();
    b.keep_cookies(&res);
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn signed_in(app: &TestApp, name: &str) -> Browser {
    let mut b = Browser::new(app);
    assert_eq!(
        b.sign_in(name, PASSWORD).await.0,
        StatusCode::SEE_OTHER,
        "{name}"
    );
    b
}

fn numbers(v: &Value) -> Vec<(String, String)> {
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["number"].as_str().unwrap().to_owned(),
                e["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn list_entries_are_validated_scoped_to_the_tenant_and_audited() {
    let (app, data) = console_app().await;
    let now = app.clock.now_millis();
    let globex = data.store.ensure_tenant("globex", now).await.unwrap();
    let default = data
        .store
        .find_tenant(DEFAULT_TENANT)
        .await
        .unwrap()
        .unwrap();
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    add_user(&app, &data, "gina", Some("globex")).await;
    add_user(&app, &data, "root", None).await;
    let mut alice = signed_in(&app, "alice").await;

    let (status, added) = post_json(&app, &mut alice,
        "/console/api/risk/lists",
        json!({"country": "86", "number": "138 0000 0043".replace(' ', ""), "kind": "block", "note": "chargebacks"}),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(added["number"], "+8613800000043");
    let (_, listed) = alice.json("/console/api/risk/lists").await;
    assert_eq!(
        numbers(&listed),
        [("+8613800000043".into(), "block".into())]
    );
    assert_eq!(listed["entries"][0]["note"], "chargebacks");

    // Bad input: a clear error, nothing changed.
    for (body, code) in [
        (
            json!({"number": "12345", "kind": "block"}),
            "isv.MOBILE_NUMBER_ILLEGAL",
        ),
        (
            json!({"number": "10000000000", "kind": "block"}),
            "isv.MOBILE_NUMBER_ILLEGAL",
        ),
        (
            json!({"number": "1380000004x", "kind": "block"}),
            "isv.MOBILE_NUMBER_ILLEGAL",
        ),
        (
            json!({"country": "0", "number": "13800000044", "kind": "block"}),
            "isv.INVALID_PARAMETERS",
        ),
        (
            json!({"number": "13800000044", "kind": "deny"}),
            "isv.INVALID_PARAMETERS",
        ),
        (
            json!({"number": "13800000044", "kind": "block", "note": "x".repeat(201)}),
            "isv.INVALID_PARAMETERS",
        ),
        (json!({"kind": "block"}), "InvalidParameter"),
        (json!([1, 2]), "InvalidParameter"),
    ] {
        let (status, v) = post_json(
            &app,
            &mut alice,
            "/console/api/risk/lists",
            body.clone(),
            true,
        )
        .await;
        assert_eq!(
            (status, v["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{body}: {v}"
        );
        assert!(!v["message"].as_str().unwrap().is_empty());
    }
    let (status, v) = post_json(
        &app,
        &mut alice,
        "/console/api/risk/lists/remove",
        json!({"number": "abc"}),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    // Without the CSRF token: 403, nothing changed.
    let (status, _) = post_json(
        &app,
        &mut alice,
        "/console/api/risk/lists",
        json!({"number": "13800000044", "kind": "block"}),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post_json(
        &app,
        &mut alice,
        "/console/api/risk/lists/remove",
        json!({"number": "+8613800000043"}),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, listed) = alice.json("/console/api/risk/lists").await;
    assert_eq!(numbers(&listed).len(), 1);

    // Another tenant's user sees none of it and cannot touch it.
    let mut gina = signed_in(&app, "gina").await;
    let (_, theirs) = gina.json("/console/api/risk/lists").await;
    assert_eq!(theirs["tenant"], "globex");
    assert!(numbers(&theirs).is_empty());
    assert_eq!(
        gina.json(&format!("/console/api/risk/lists?tenant={DEFAULT_TENANT}"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, _) = post_json(
        &app,
        &mut gina,
        "/console/api/risk/lists/remove",
        json!({"number": "+8613800000043"}),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post_json(
        &app,
        &mut gina,
        &format!("/console/api/risk/lists?tenant={DEFAULT_TENANT}"),
        json!({"number": "13800000045", "kind": "block"}),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        data.store
            .list_kind(default.id, "8613800000043")
            .await
            .unwrap(),
        Some(numgate_store::ListKind::Block)
    );
    assert_eq!(data.store.list_entries(default.id).await.unwrap().len(), 1);

    // The operator picks a tenant.
    let mut root = signed_in(&app, "root").await;
    let (status, _) = post_json(
        &app,
        &mut root,
        "/console/api/risk/lists?tenant=globex",
        json!({"country": "852", "number": "91234567", "kind": "allow"}),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, theirs) = gina.json("/console/api/risk/lists").await;
    assert_eq!(numbers(&theirs), [("+85291234567".into(), "allow".into())]);
    let (_, ours) = alice.json("/console/api/risk/lists").await;
    assert_eq!(numbers(&ours).len(), 1);

    // A number moves between lists; then it is removed.
    let (status, _) = post_json(
        &app,
        &mut alice,
        "/console/api/risk/lists",
        json!({"number": "+8613800000043", "kind": "allow"}),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, listed) = alice.json("/console/api/risk/lists").await;
    assert_eq!(
        numbers(&listed),
        [("+8613800000043".into(), "allow".into())]
    );
    let (status, _) = post_json(
        &app,
        &mut alice,
        "/console/api/risk/lists/remove",
        json!({"number": "+8613800000043"}),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, listed) = alice.json("/console/api/risk/lists").await;
    assert!(numbers(&listed).is_empty());

    // Every change is in the tenant's audit log, with the console user.
    let log = data.store.list_audit(default.id, 50, None).await.unwrap();
    let seen: Vec<(&str, &str, &str)> = log
        .iter()
        .rev()
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.target.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("console:alice", "risk_list.add", "number +8613800000043"),
            ("console:alice", "risk_list.add", "number +8613800000043"),
            ("console:alice", "risk_list.remove", "number +8613800000043"),
        ]
    );
    assert_eq!(
        log[1].before.as_deref(),
        Some(r#"{"kind":"block","note":"chargebacks"}"#)
    );
    assert_eq!(
        log[1].after.as_deref(),
        Some(r#"{"kind":"allow","note":null}"#)
    );
    assert_eq!(log[0].after, None);
    let theirs = data.store.list_audit(globex.id, 50, None).await.unwrap();
    assert_eq!(
        (
            theirs.len(),
            theirs[0].actor.as_str(),
            theirs[0].action.as_str()
        ),
        (1, "console:root", "risk_list.add")
    );
}

fn refused_attempt(tenant_id: i64, at: i64, number: &str) -> NewAttempt {
    NewAttempt {
        tenant_id,
        scheme: "FC100000000000001".into(),
        scene: 100002,
        session_id: format!("s-{at}"),
        number: Some(number.into()),
        device_id: None,
        ip: Some("127.0.0.1".into()),
        outcome: "refused".into(),
        endpoint_score: Some(0),
        number_score: Some(100),
        fired_rules: json!([{"node": "number_risk", "fired": [
            {"rule": "block_list", "points": 100, "reason": "the number is on the tenant's block list"}
        ]}])
        .to_string(),
        path: "[]".into(),
        at,
    }
}

#[tokio::test]
async fn refused_attempts_are_listed_newest_first_with_their_rules_a_page_at_a_time() {
    let (app, data) = console_app().await;
    let now = app.clock.now_millis();
    let globex = data.store.ensure_tenant("globex", now).await.unwrap();
    let default = data
        .store
        .find_tenant(DEFAULT_TENANT)
        .await
        .unwrap()
        .unwrap();
    for i in 0..5 {
        data.store
            .record_attempt(refused_attempt(
                default.id,
                now + i * 1000,
                &format!("138****000{i}"),
            ))
            .await
            .unwrap();
    }
    let mut passed = refused_attempt(default.id, now + 9_000, "138****0009");
    passed.outcome = "pass".into();
    data.store.record_attempt(passed).await.unwrap();
    data.store
        .record_attempt(refused_attempt(globex.id, now, "139****9999"))
        .await
        .unwrap();
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let mut alice = signed_in(&app, "alice").await;

    let (status, first) = alice.json("/console/api/risk/refused?limit=2").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let shown = |v: &Value| -> Vec<String> {
        v["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["number"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(shown(&first), ["138****0004", "138****0003"]);
    let a = &first["attempts"][0];
    assert_eq!(
        (a["scene"].as_i64(), a["outcome"].as_str()),
        (Some(100002), Some("refused"))
    );
    assert_eq!(a["at"].as_i64(), Some(now + 4000));
    assert_eq!(a["rules"][0]["node"], "number_risk");
    assert_eq!(a["rules"][0]["rule"], "block_list");
    assert_eq!(
        a["rules"][0]["reason"],
        "the number is on the tenant's block list"
    );
    let next = &first["next"];
    let (_, second) = alice
        .json(&format!(
            "/console/api/risk/refused?limit=2&before_at={}&before_id={}",
            next["before_at"], next["before_id"]
        ))
        .await;
    assert_eq!(shown(&second), ["138****0002", "138****0001"]);
    let next = &second["next"];
    let (_, last) = alice
        .json(&format!(
            "/console/api/risk/refused?limit=2&before_at={}&before_id={}",
            next["before_at"], next["before_id"]
        ))
        .await;
    assert_eq!(shown(&last), ["138****0000"]);
    assert!(last["next"].is_null());
    // The default page holds them all; another tenant's are not among them.
    let (_, all) = alice.json("/console/api/risk/refused").await;
    assert_eq!(shown(&all).len(), 5);
    assert!(!all.to_string().contains("9999"));
    assert_eq!(
        alice
            .json("/console/api/risk/refused?tenant=globex")
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    for bad in [
        "limit=0",
        "limit=21",
        "limit=x",
        "before_at=1",
        "before_id=1",
        "before_at=x&before_id=1",
    ] {
        let (status, v) = alice
            .json(&format!("/console/api/risk/refused?{bad}"))
            .await;
        assert_eq!(
            (status, v["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("risk.invalid_page")),
            "{bad}"
        );
    }
}

/// A browser stand-in whose connections come from `address` (any 127.0.0.0/8
/// address reaches the server): signs in, keeping the form's cookie.
struct Client {
    http: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
}

impl Client {
    fn new(app: &TestApp, address: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .local_address(Some(address.parse().unwrap()))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.endpoint.clone(),
            cookies: BTreeMap::new(),
        }
    }

    fn keep(&mut self, res: &reqwest::Response) {
        for c in res.headers().get_all(SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (kv, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
    }

    fn cookie(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The sign-in form posted (with `X-Forwarded-For` if given): the status and body.
    async fn sign_in(
        &mut self,
        name: &str,
        password: &str,
        forwarded: Option<&str>,
    ) -> (StatusCode, String) {
        self.cookies.remove("numgate_session");
        let res = self
            .http
            .get(format!("{}/console/login", self.base))
            .header(COOKIE, self.cookie())
            .send()
            .await
            .unwrap();
        self.keep(&res);
        let html = res.text().await.unwrap();
        let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
        let csrf = html[at..].split('"').next().unwrap().to_owned();
        let mut req = self
            .http
            .post(format!("{}/console/login", self.base))
            .header(COOKIE, self.cookie())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                serde_urlencoded::to_string([
                    ("name", name),
                    ("password", password),
                    ("csrf", &csrf),
                ])
                .unwrap(),
            );
        if let Some(f) = forwarded {
            req = req.header("x-forwarded-for", f);
        }
        let res = req.send().await.unwrap();
        self.keep(&res);
        (res.status(), res.text().await.unwrap())
    }
}

#[tokio::test]
async fn twenty_failed_sign_ins_from_one_address_refuse_it_even_the_right_password_of_another_user()
{
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    add_user(&app, &data, "bob", Some(DEFAULT_TENANT)).await;
    let mut attacker = Client::new(&app, "127.0.0.61");

    // Guesses at many names (none of them is locked by this: unknown names).
    for i in 0..19 {
        assert_eq!(
            attacker
                .sign_in(&format!("mallory{i}"), "guess", None)
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    // Nineteen failures: the address may still sign in.
    assert_eq!(
        attacker.sign_in("bob", PASSWORD, None).await.0,
        StatusCode::SEE_OTHER
    );
    // The twentieth blocks it: even another user's right password gets the
    // wrong password's answer, and claiming another address does not help.
    let (status, wrong) = attacker.sign_in("mallory19", "guess", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let refused = attacker.sign_in("alice", PASSWORD, None).await;
    assert_eq!(refused, (StatusCode::UNAUTHORIZED, wrong.clone()));
    assert!(!attacker.cookies.contains_key("numgate_session"));
    assert_eq!(
        attacker
            .sign_in("alice", PASSWORD, Some("127.0.0.99"))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    // Attempts from a blocked address are not judged: they lock nobody.
    for _ in 0..6 {
        attacker.sign_in("alice", "guess", None).await;
    }
    let alice = data.store.find_user("alice").await.unwrap().unwrap();
    assert_eq!(alice.failed_attempts, 0);
    assert!(!alice.is_locked(app.clock.now_millis()));

    // Another address is not affected.
    let mut office = Client::new(&app, "127.0.0.62");
    assert_eq!(
        office.sign_in("alice", PASSWORD, None).await.0,
        StatusCode::SEE_OTHER
    );

    // The window (15 minutes from the first failure) passes: the address may sign in again.
    app.clock.advance_secs(15 * 60 - 10);
    assert_eq!(
        attacker.sign_in("bob", PASSWORD, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    app.clock.advance_secs(10);
    assert_eq!(
        attacker.sign_in("bob", PASSWORD, None).await.0,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_client_address_is_taken_from_x_forwarded_for_only_behind_a_trusted_proxy() {
    let app = crate::helpers::spawn_app_with(|c| {
        c.console.secure_cookies = false;
        c.console.ip_max_failures = 3;
        c.console.trusted_proxies = vec!["127.0.0.71".parse().unwrap()];
    })
    .await;
    let data = numgate_server::open_data_dir(&app.config).await.unwrap();
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    // Through the proxy, two clients: one guesses, the other is not refused.
    let mut proxy = Client::new(&app, "127.0.0.71");
    for _ in 0..3 {
        assert_eq!(
            proxy
                .sign_in("mallory", "guess", Some("198.51.100.1"))
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        proxy
            .sign_in("alice", PASSWORD, Some("198.51.100.1"))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        proxy
            .sign_in("alice", PASSWORD, Some("198.51.100.2"))
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    // A client that is not the proxy cannot pick its address with the header.
    let mut direct = Client::new(&app, "127.0.0.72");
    for _ in 0..3 {
        direct
            .sign_in("mallory", "guess", Some("198.51.100.3"))
            .await;
    }
    assert_eq!(
        direct
            .sign_in("alice", PASSWORD, Some("198.51.100.4"))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}

/// A fusion scheme and its SDK token for the default tenant, via the Open API.
async fn fusion_token(app: &TestApp) -> String {
    let api = app.client();
    let call = |action: &'static str, params: Vec<(&'static str, String)>| {
        let api = api.clone();
        async move {
            let p: BTreeMap<String, String> =
                params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            let (status, body) = api.call_raw(action, &p).await.unwrap();
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            let v: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["Code"], "OK", "{v}");
            v
        }
    };
    let sign = "0123456789abcdef0123456789abcdef".to_owned();
    let r = call(
        "CreateSchemeConfig",
        vec![
            ("SchemeName", "fusion".into()),
            ("AppName", "Acme".into()),
            ("Platform", "Android".into()),
            ("AndroidPackageName", "com.acme.risk".into()),
            ("AndroidPackageSign", sign.clone()),
        ],
    )
    .await;
    let scheme = r["Model"]["SchemeCode"].as_str().unwrap().to_owned();
    let r = call(
        "GetFusionAuthToken",
        vec![
            ("SchemeCode", scheme),
            ("Platform", "Android".into()),
            ("PackageName", "com.acme.risk".into()),
            ("PackageSign", sign),
            ("DurationSeconds", "3600".into()),
        ],
    )
    .await;
    r["Model"].as_str().unwrap().to_owned()
}

/// Starts a change-number scene (100002) for `number`: the step it reached and
/// the node there.
async fn change_number(app: &TestApp, token: &str, number: &str) -> (String, String) {
    let r = reqwest::Client::new()
        .post(format!("{}/client/v1/fusion/start", app.endpoint))
        .json(&json!({"Token": token, "Scene": "100002", "DeviceId": "device-1", "Number": number}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    (
        v["Step"].as_str().unwrap_or_default().to_owned(),
        v["Node"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn in_a_real_browser_a_number_put_on_the_block_list_is_refused_by_fusion_auth() {
    let Some(path) = crate::browser::chromedriver() else {
        return;
    };
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let token = fusion_token(&app).await;
    let (step, _) = change_number(&app, &token, "13800000043").await;
    assert_ne!(step, "refused", "not listed yet");

    let (_driver, c, _profile) = signed_in_browser(&path, &app, "alice").await;
    click(&c, "#nav-risk").await;
    wait_text(&c, "#heading", |t| t == "Risk").await;
    wait_text(&c, "#risk-lists", |t| t.contains("Nothing here yet.")).await;
    fill(&c, "#risk-number", "13800000043").await;
    fill(&c, "#risk-note", "fraud ring").await;
    click(&c, "#risk-add").await;
    wait_text(&c, "#risk-added", |t| t.contains("+8613800000043")).await;
    wait_text(&c, "#risk-kind-8613800000043", |t| t == "Block list").await;

    // The list is consulted: the number's next run is refused at number risk.
    assert_eq!(
        change_number(&app, &token, "13800000043").await,
        ("refused".to_owned(), "number_risk".to_owned())
    );
    // And the refusal is on the page, masked, with the rule that fired.
    c.refresh().await.unwrap();
    let row = wait_text(&c, "#risk-refused-table tbody", |t| {
        t.contains("138****0043")
    })
    .await;
    assert!(row.contains("block list"), "{row}");
    assert!(!row.contains("13800000043"), "{row}");
    c.close().await.unwrap();
}

/// A body that is not JSON of the expected shape gets the same answer from every
/// section: 400, the console's JSON error with `InvalidParameter`, nothing changed.
#[tokio::test]
async fn a_malformed_body_gets_invalid_parameter_from_every_section() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "root", None).await;
    let mut root = signed_in(&app, "root").await;
    for path in [
        "/console/api/schemes",
        "/console/api/sms/signatures",
        "/console/api/sms/templates",
        "/console/api/sms/signatures/review",
        "/console/api/risk/lists",
        "/console/api/risk/lists/remove",
        "/console/api/billing/plans",
        "/console/api/policies/node",
        "/console/api/policies/logging",
    ] {
        for body in [json!("not an object"), json!([1, 2])] {
            let (status, v) = post_json(&app, &mut root, path, body, true).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {v}");
            assert_eq!(v["error"], "InvalidParameter", "{path}: {v}");
        }
    }
    let (_, log) = root.json("/console/api/audit").await;
    assert!(log["entries"].as_array().unwrap().is_empty(), "{log}");
}
