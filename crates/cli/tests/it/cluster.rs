//! Scale-out: three `numgate serve` processes on one PostgreSQL database, as
//! behind a load balancer. Nothing a client relies on may depend on which node
//! answers. Skipped without `NUMGATE_TEST_DATABASE_URL` (never under CI).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use numgate_client::{CheckSmsVerifyCode, ClientError, OpenApi, SendSmsVerifyCode};
use numgate_domain::secrets::MasterKey;
use numgate_store::testing::TestDatabase;
use serde_json::Value;

use crate::proc::{numgate_env, phone, Server};

/// A database, migrated with `numgate migrate`, three nodes on it, and a key.
pub struct Cluster {
    pub db: TestDatabase,
    pub nodes: Vec<Server>,
    pub key_id: String,
    pub key_secret: String,
    env: Vec<(String, String)>,
}

impl Cluster {
    pub async fn start(nodes: usize) -> Option<Cluster> {
        let db = TestDatabase::create().await?;
        let env = vec![
            ("NUMGATE_DATABASE_URL".to_owned(), db.url()),
            (
                "NUMGATE_MASTER_KEY".to_owned(),
                MasterKey::generate().to_base64().to_string(),
            ),
            // The SDK load sends to consecutive numbers: hundreds share a prefix.
            (
                "NUMGATE_SMS__PREFIX_HOURLY_CAP".to_owned(),
                "1000000".to_owned(),
            ),
        ];
        let mut c = Cluster {
            db,
            nodes: Vec::new(),
            key_id: String::new(),
            key_secret: String::new(),
            env,
        };
        let out = c.numgate(&["migrate"]);
        assert!(out.contains("applied migration"), "{out}");
        let key: Value = serde_json::from_str(&c.numgate(&["keys", "create", "--json"])).unwrap();
        c.key_id = key["AccessKeyId"].as_str().unwrap().to_owned();
        c.key_secret = key["AccessKeySecret"].as_str().unwrap().to_owned();
        for _ in 0..nodes {
            let envs = c.envs();
            c.nodes.push(Server::start_with(
                &["--data-dir", "/nonexistent/numgate-node"],
                &envs,
            ));
        }
        Some(c)
    }

    fn envs(&self) -> Vec<(&str, &str)> {
        self.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// An admin command against the cluster's database.
    pub fn numgate(&self, args: &[&str]) -> String {
        numgate_env(args, &self.envs())
    }

    pub fn client(&self, node: usize) -> OpenApi {
        OpenApi::new(&self.nodes[node].endpoint, &self.key_id, &self.key_secret)
    }
}

fn send_req(p: &str) -> SendSmsVerifyCode {
    SendSmsVerifyCode {
        return_verify_code: Some(true),
        ..SendSmsVerifyCode::new(p, "速通互联验证码", "100001")
    }
}

async fn send(api: &OpenApi, req: &SendSmsVerifyCode) -> (String, Option<String>) {
    let r = api.send_sms_verify_code(req).await.expect("send");
    (r.code, r.body.model.and_then(|m| m.verify_code))
}

async fn check(api: &OpenApi, p: &str, code: &str) -> String {
    let r = api
        .check_sms_verify_code(&CheckSmsVerifyCode::new(p, code))
        .await
        .expect("check");
    r.body.model.expect("model").verify_result
}

#[tokio::test]
async fn a_code_sent_through_one_node_passes_once_across_three() {
    let Some(c) = Cluster::start(3).await else {
        return;
    };
    let nodes: Vec<OpenApi> = (0..3).map(|i| c.client(i)).collect();

    let p = phone();
    let (code, sent) = send(&nodes[0], &send_req(&p)).await;
    assert_eq!(code, "OK");
    let sent = sent.unwrap();
    assert_eq!(
        check(&nodes[1], &p, &sent).await,
        "PASS",
        "checked on another node"
    );
    assert_eq!(check(&nodes[2], &p, &sent).await, "UNKNOWN");

    // 100 concurrent right checks spread over the three nodes: exactly one PASS.
    for trial in 0..10 {
        let p = phone();
        let code = send(&nodes[trial % 3], &send_req(&p)).await.1.unwrap();
        let tasks: Vec<_> = (0..100)
            .map(|i| {
                let (api, p, code) = (nodes[i % 3].clone(), p.clone(), code.clone());
                tokio::spawn(async move { check(&api, &p, &code).await })
            })
            .collect();
        let mut passes = 0;
        for t in tasks {
            passes += usize::from(t.await.unwrap() == "PASS");
        }
        assert_eq!(passes, 1, "trial {trial}");
    }
}

#[tokio::test]
async fn a_nonce_used_on_one_node_is_refused_on_another() {
    let Some(c) = Cluster::start(3).await else {
        return;
    };
    let params: BTreeMap<String, String> = [
        ("PhoneNumber", phone()),
        ("VerifyCode", "123456".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let nonce = uuid::Uuid::new_v4().to_string();
    let http = reqwest::Client::new();
    let mut answers = Vec::new();
    for node in [0, 2] {
        let endpoint = &c.nodes[node].endpoint;
        let host = endpoint.trim_start_matches("http://");
        let signed = numgate_acs::sign_v3(
            &c.key_id,
            &c.key_secret,
            host,
            "CheckSmsVerifyCode",
            "2017-05-25",
            &params,
            chrono_now(),
            &nonce,
        );
        let mut req = http.request(
            signed.method.clone(),
            format!("{endpoint}{}", signed.path_and_query),
        );
        for (k, v) in &signed.headers {
            if !k.eq_ignore_ascii_case("host") {
                req = req.header(k, v);
            }
        }
        let resp = req.body(signed.body.clone()).send().await.unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap();
        answers.push((status, body["Code"].as_str().unwrap().to_owned()));
    }
    assert_eq!(answers[0], (200, "OK".to_owned()));
    assert_eq!(answers[1], (400, "SignatureNonceUsed".to_owned()));
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

#[tokio::test]
async fn the_interval_and_the_caps_hold_across_nodes() {
    let Some(c) = Cluster::start(3).await else {
        return;
    };
    let nodes: Vec<OpenApi> = (0..3).map(|i| c.client(i)).collect();
    let p = phone();
    assert_eq!(send(&nodes[0], &send_req(&p)).await.0, "OK");
    assert_eq!(
        send(&nodes[1], &send_req(&p)).await.0,
        "biz.FREQUENCY",
        "the interval is global"
    );

    // 30 concurrent sends to one number over three nodes, no interval: the hourly
    // cap of 5 lets exactly 5 through.
    let p = phone();
    let req = SendSmsVerifyCode {
        interval: Some(0),
        ..send_req(&p)
    };
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let (api, req) = (nodes[i % 3].clone(), req.clone());
            tokio::spawn(async move { send(&api, &req).await.0 })
        })
        .collect();
    let mut codes = BTreeMap::<String, u32>::new();
    for t in tasks {
        *codes.entry(t.await.unwrap()).or_default() += 1;
    }
    assert_eq!(codes.get("OK"), Some(&5), "{codes:?}");
    assert_eq!(
        codes.get("isv.BUSINESS_LIMIT_CONTROL"),
        Some(&25),
        "{codes:?}"
    );
}

#[tokio::test]
async fn three_dispatchers_deliver_each_queued_sms_once() {
    let Some(c) = Cluster::start(3).await else {
        return;
    };
    let nodes: Vec<OpenApi> = (0..3).map(|i| c.client(i)).collect();
    let mut sent = BTreeMap::new();
    for i in 0..150 {
        let p = phone();
        let code = send(&nodes[i % 3], &send_req(&p)).await.1.unwrap();
        sent.insert(format!("86{p}"), code);
    }
    let mut outbox = Vec::new();
    for _ in 0..200 {
        let v: Value =
            serde_json::from_str(&c.numgate(&["outbox", "--json", "--limit", "1000"])).unwrap();
        outbox = v.as_array().unwrap().clone();
        if outbox.len() >= sent.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(outbox.len(), sent.len(), "one outbox entry per message");
    let mut biz_ids: Vec<&str> = outbox
        .iter()
        .map(|m| m["BizId"].as_str().unwrap())
        .collect();
    biz_ids.sort();
    biz_ids.dedup();
    assert_eq!(biz_ids.len(), sent.len());
    for m in &outbox {
        let code = &sent[m["Phone"].as_str().unwrap()];
        assert!(m["Text"].as_str().unwrap().contains(code.as_str()));
    }
    // Every message was leased exactly once: no node delivered one another had.
    let mut conn = c.db.connect().await;
    let retried: i64 = sqlx::query_scalar("SELECT count(*) FROM sms_queue WHERE attempts <> 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(retried, 0);
}

/// Cuts the database off: no new connections, and the nodes' connections killed.
async fn set_database_reachable(c: &Cluster, reachable: bool) {
    let mut admin = c.db.connect_server().await;
    let name = &c.db.name;
    sqlx::query(&format!(
        "ALTER DATABASE {name} ALLOW_CONNECTIONS {reachable}"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    if !reachable {
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()")
            .bind(name)
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_nodes_answer_service_unavailable_while_the_database_is_away_and_recover() {
    let Some(c) = Cluster::start(2).await else {
        return;
    };
    let nodes: Vec<OpenApi> = (0..2).map(|i| c.client(i)).collect();
    let p = phone();
    assert_eq!(send(&nodes[0], &send_req(&p)).await.0, "OK");

    set_database_reachable(&c, false).await;
    let unavailable = AtomicU32::new(0);
    for i in 0..6 {
        match nodes[i % 2]
            .check_sms_verify_code(&CheckSmsVerifyCode::new(&p, "000000"))
            .await
        {
            Err(ClientError::Api {
                status: 503, code, ..
            }) if code == "ServiceUnavailable" => {
                unavailable.fetch_add(1, Ordering::Relaxed);
            }
            other => panic!("while the database is away: {other:?}"),
        }
    }
    assert_eq!(unavailable.load(Ordering::Relaxed), 6);
    let ready = reqwest::get(format!("{}/readyz", c.nodes[0].endpoint))
        .await
        .unwrap();
    assert_eq!(ready.status(), 503, "not ready without the database");

    set_database_reachable(&c, true).await;
    // Back without restarting numgate: within a few seconds every node answers.
    let api = Arc::new(nodes);
    for node in 0..2 {
        let mut ok = false;
        for _ in 0..50 {
            if let Ok(r) = api[node]
                .check_sms_verify_code(&CheckSmsVerifyCode::new(&p, "000000"))
                .await
            {
                ok = r.code == "OK";
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(ok, "node {node} recovered");
    }
}

/// What the SDK load recorded of one send (and maybe its check).
#[derive(serde::Deserialize)]
struct Entry {
    t: f64,
    node: usize,
    phone: String,
    code: Option<String>,
    send: String,
    check_t: Option<f64>,
    check_node: Option<usize>,
    check: Option<String>,
}

/// Waits until the node has answered `n` sends with OK (its `/metrics`), up to 60 s.
async fn wait_for_sends(endpoint: &str, n: u64) {
    let http = reqwest::Client::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let text = match http.get(format!("{endpoint}/metrics")).send().await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let ok: u64 = text
            .lines()
            .filter(|l| {
                l.starts_with("numgate_requests_total{")
                    && l.contains("action=\"SendSmsVerifyCode\"")
                    && l.contains("code=\"OK\"")
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>() as u64;
        if ok >= n {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the node answered {ok} sends in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[tokio::test]
async fn kill_9_of_one_node_under_sdk_load_loses_nothing_acknowledged() {
    let Some(python) = crate::proc::sdk_python() else {
        return;
    };
    let Some(mut c) = Cluster::start(3).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ledger_path = dir.path().join("ledger.json");
    let endpoints: Vec<String> = c
        .nodes
        .iter()
        .map(|n| n.endpoint.trim_start_matches("http://").to_owned())
        .collect();
    let script = crate::proc::repo().join("crates/cli/tests/sdk/cluster_load.py");
    let mut load = std::process::Command::new(&python)
        .arg(&script)
        .args(["--endpoints", &endpoints.join(",")])
        // `--name=value`: a secret may begin with `-`, which argparse takes for an option.
        .arg(format!("--key-id={}", c.key_id))
        .arg(format!("--key-secret={}", c.key_secret))
        .args([
            "--seconds",
            "12",
            "--threads",
            "6",
            "--phone-base",
            "1370000",
        ])
        .arg("--out")
        .arg(&ledger_path)
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .spawn()
        .expect("run the SDK load");
    // Kill node 1 once it has acknowledged some sends (the SDK's start is slow
    // on a loaded machine: a fixed wait sometimes killed it before any load).
    wait_for_sends(&c.nodes[1].endpoint, 10).await;
    c.nodes[1].kill9();
    let killed_at = unix_now();
    let status = tokio::task::spawn_blocking(move || load.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "the SDK load ran");
    let ledger: Vec<Entry> = serde_json::from_slice(&std::fs::read(&ledger_path).unwrap()).unwrap();

    // The other two nodes kept answering after the kill, without a single error.
    let after = |node: usize| {
        ledger
            .iter()
            .filter(|e| e.node == node && e.t > killed_at + 0.5)
            .map(|e| e.send.as_str())
            .collect::<Vec<_>>()
    };
    for node in [0, 2] {
        let answers = after(node);
        assert!(
            answers.len() > 10,
            "node {node} served after the kill: {}",
            answers.len()
        );
        assert!(
            answers.iter().all(|a| *a == "OK"),
            "node {node}: {answers:?}"
        );
    }
    assert!(
        after(1).iter().all(|a| a.starts_with("error:")),
        "the killed node is gone"
    );
    let before_kill = ledger
        .iter()
        .filter(|e| e.t < killed_at && e.node == 1 && e.send == "OK")
        .count();
    assert!(before_kill > 5, "the killed node had served: {before_kill}");

    // Nothing acknowledged is lost; no code passes twice.
    let survivor = c.client(0);
    let (mut rechecked, mut passed) = (0, 0);
    for e in &ledger {
        let Some(code) = &e.code else { continue };
        match (e.check.as_deref(), e.check_t) {
            (None, None) => {
                assert_eq!(
                    check(&survivor, &e.phone, code).await,
                    "PASS",
                    "an acknowledged send survives"
                );
                rechecked += 1;
            }
            (Some("PASS"), _) => {
                assert_eq!(
                    check(&survivor, &e.phone, code).await,
                    "UNKNOWN",
                    "a code passes once"
                );
                passed += 1;
            }
            // A check in flight on the killed node: its outcome is unknown to the client.
            (Some(r), _) if r.starts_with("error:") => assert_eq!(e.check_node, Some(1), "{r}"),
            (other, _) => panic!("unexpected check result {other:?}"),
        }
    }
    assert!(
        rechecked > 20 && passed > 20,
        "rechecked {rechecked}, passed {passed}"
    );
}

#[tokio::test]
async fn a_node_refuses_to_start_on_a_schema_it_does_not_know() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let url = db.url();
    let key = MasterKey::generate().to_base64().to_string();
    let serve = |extra: &[(&str, &str)]| {
        let mut envs = vec![("NUMGATE_MASTER_KEY", key.as_str())];
        envs.extend_from_slice(extra);
        std::process::Command::new(crate::proc::BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--database", &url])
            .envs(envs)
            .env_remove("NUMGATE_CONFIG")
            .output()
            .unwrap()
    };
    // Never migrated: the node says what to do and does not start.
    let out = serve(&[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("numgate migrate"), "{err}");

    // Without a master key given by configuration, a node of a shared database
    // refuses to start rather than make up a key of its own.
    let out = std::process::Command::new(crate::proc::BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &url])
        .env_remove("NUMGATE_MASTER_KEY")
        .env_remove("NUMGATE_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("master key"));

    // Migrated by a newer numgate: this one refuses too.
    numgate_env(
        &["migrate", "--database", &url],
        &[("NUMGATE_MASTER_KEY", &key)],
    );
    let mut conn = db.connect().await;
    sqlx::query(
        "INSERT INTO numgate_schema (version, name, applied_at) VALUES (999, 'from the future', 0)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let out = serve(&[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("upgrade numgate"), "{err}");
}
