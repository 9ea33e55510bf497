//! The official ALTCHA library (PyPI `altcha` 2.3.0, pinned in
//! scripts/requirements.txt; its v1 API, the protocol of numgate's CAPTCHA) against
//! `numgate_domain::captcha`: the library solves numgate's challenges and numgate
//! accepts the payloads, in the library's shape and in the widget's; the library's
//! own verifier accepts them under the same key; tampered payloads are refused and a
//! replayed one is refused by the store; a challenge numgate's Client API serves
//! over HTTP in a Fusion-Auth session is solved by the library and accepted by the
//! session's step, and refused in another session. Each library run is
//! `tests/sdk/altcha_solve.py` under the venv of scripts/python-venv.sh.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use numgate_domain::captcha::{self, CaptchaError, Challenge};
use numgate_domain::clock::{Clock, SystemClock};
use numgate_store::testing::TestDatabase;
use numgate_store::{Store, StoreLocation};
use rand::rngs::OsRng;
use rand::RngCore;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use numgate_server::config::{CarriersConfig, TokenCarrierConfig};

use crate::helpers::{spawn_app_with, TestApp};
use crate::sdk::python;

const SESSION: &str = "fusion-session-1";

fn key() -> [u8; 32] {
    let mut k = [0u8; 32];
    OsRng.fill_bytes(&mut k);
    k
}

/// A challenge as the endpoint will serve it: the score-0 difficulty, 120 s.
fn challenge(key: &[u8]) -> Challenge {
    let max = captcha::difficulty_for_score(captcha::DEFAULT_BASE_MAX_NUMBER, 0);
    captcha::create_challenge(key, SESSION, max, SystemClock.now_millis(), 120)
}

/// One run of altcha_solve.py with `stdin`; its one JSON object.
async fn altcha(python: &Path, args: &[&str], stdin: &str) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/altcha_solve.py");
    let mut child = Command::new(python)
        .arg(script)
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the venv's python");
    let mut input = child.stdin.take().expect("piped stdin");
    input
        .write_all(stdin.as_bytes())
        .await
        .expect("write stdin");
    drop(input);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("altcha_solve.py finishes within 60 s")
        .expect("run the venv's python");
    assert!(
        out.status.success(),
        "altcha_solve.py {args:?} failed (is the venv up to date? scripts/python-venv.sh): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "one JSON object from altcha_solve.py ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The library's solution of `c`: `{"library", "widget", "number"}`.
async fn solve(python: &Path, c: &Challenge) -> Value {
    altcha(python, &["solve"], &serde_json::to_string(c).unwrap()).await
}

/// The library's own verdict on `payload` under `key`.
async fn library_verifies(python: &Path, key: &[u8], payload: &str) -> bool {
    let r = altcha(python, &["verify", &hex::encode(key)], payload).await;
    r["verified"].as_bool().expect("verified is a bool")
}

fn decoded(payload: &Value) -> Value {
    let bytes = B64
        .decode(payload.as_str().expect("a base64 string"))
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn encoded(payload: &Value) -> String {
    B64.encode(payload.to_string())
}

#[tokio::test]
async fn the_altcha_library_solves_a_numgate_challenge_and_numgate_accepts_it() {
    let Some(py) = python() else { return };
    let key = key();
    let c = challenge(&key);
    let r = solve(&py, &c).await;
    let now = SystemClock.now_millis();
    let mut ids = Vec::new();
    for shape in ["library", "widget"] {
        let payload = r[shape].as_str().expect("a payload");
        let v = captcha::verify_solution(&key, payload, SESSION, now)
            .unwrap_or_else(|e| panic!("{shape} payload refused: {e}"));
        assert_eq!(Some(v.expires_at), c.expires_at());
        ids.push(v.id);
        assert!(
            library_verifies(&py, &key, payload).await,
            "the library's verify_solution accepts numgate's challenge ({shape})"
        );
    }
    assert_eq!(ids[0], ids[1], "one challenge, one id");
    assert!(decoded(&r["widget"])["took"].is_u64());
    assert!(!library_verifies(&py, b"another key", r["library"].as_str().unwrap()).await);
}

#[tokio::test]
async fn a_tampered_altcha_payload_is_refused_by_numgate_and_the_library() {
    let Some(py) = python() else { return };
    let key = key();
    let c = challenge(&key);
    let solved = decoded(&solve(&py, &c).await["widget"]);
    let now = SystemClock.now_millis();
    let n = solved["number"].as_u64().unwrap();

    let mut number = solved.clone();
    number["number"] = json!(n + 1);
    // Another first hex digit: each field really changes, whatever it began with.
    let changed = |s: &str| {
        let first = if s.starts_with('0') { '1' } else { '0' };
        format!("{first}{}", &s[1..])
    };
    let mut salt = solved.clone();
    salt["salt"] = json!(changed(&c.salt));
    let mut signature = solved.clone();
    signature["signature"] = json!(changed(&c.signature));
    for (what, t, refusal) in [
        ("number", number, CaptchaError::Solution),
        ("salt", salt, CaptchaError::Solution),
        ("signature", signature, CaptchaError::Signature),
    ] {
        let payload = encoded(&t);
        assert_eq!(
            captcha::verify_solution(&key, &payload, SESSION, now),
            Err(refusal),
            "changed {what}"
        );
        assert!(
            !library_verifies(&py, &key, &payload).await,
            "the library refuses it too: changed {what}"
        );
    }

    let payload = encoded(&solved);
    assert_eq!(
        captcha::verify_solution(&key, &payload, "fusion-session-2", now),
        Err(CaptchaError::Binding)
    );
    assert_eq!(
        captcha::verify_solution(&key, &payload, SESSION, now + 121_000),
        Err(CaptchaError::Expired)
    );
}

/// The store the server would use: PostgreSQL under `NUMGATE_TEST_BACKEND=postgres`
/// (as helpers.rs), else a SQLite file in a fresh directory.
async fn store() -> (Arc<dyn Store>, Option<TestDatabase>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (location, database) = if std::env::var("NUMGATE_TEST_BACKEND").as_deref() == Ok("postgres")
    {
        let db = TestDatabase::create()
            .await
            .expect("NUMGATE_TEST_BACKEND=postgres needs NUMGATE_TEST_DATABASE_URL");
        (StoreLocation::Postgres(db.url()), Some(db))
    } else {
        (StoreLocation::Sqlite(dir.path().join("numgate.db")), None)
    };
    let store = numgate_store::open(&location, true)
        .await
        .expect("open the store");
    (store, database, dir)
}

#[tokio::test]
async fn a_replayed_altcha_solution_is_refused_once_its_id_is_consumed() {
    let Some(py) = python() else { return };
    let (store, _database, _dir) = store().await;
    let key = key();
    let payload = solve(&py, &challenge(&key)).await["widget"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut first_use = Vec::new();
    for _ in 0..2 {
        let now = SystemClock.now_millis();
        let v = captcha::verify_solution(&key, &payload, SESSION, now).expect("a valid payload");
        first_use.push(store.consume_token(&v.id, v.expires_at).await.unwrap());
    }
    assert_eq!(first_use, [true, false], "accepted once, then a replay");
}

/// An OpenAPI action of the tenant's backend; its JSON answer, `Code` `OK`.
async fn backend(app: &TestApp, action: &str, params: &[(&str, &str)]) -> Value {
    let p: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (status, body) = app.client().call_raw(action, &p).await.unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["Code"], "OK", "{action}: {v}");
    v
}

/// POSTs `body` to numgate's Client API; the status and JSON answer.
async fn client_api(http: &reqwest::Client, app: &TestApp, path: &str, body: Value) -> Value {
    let r = http
        .post(format!("{}{path}", app.endpoint))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{path}: {v}");
    v
}

#[tokio::test]
async fn the_altcha_library_solves_a_challenge_served_over_the_client_api() {
    let Some(py) = python() else { return };
    // China Mobile is configured, so that logon offers one-click after the
    // CAPTCHA; nothing here asks the carrier.
    let app = spawn_app_with(|c| {
        c.carriers = CarriersConfig {
            cm: Some(TokenCarrierConfig {
                url: "http://127.0.0.1:9".into(),
                app_id: "300011".into(),
                app_key: "cm-key".into(),
                accounts: Vec::new(),
            }),
            ..CarriersConfig::default()
        };
    })
    .await;
    let (package, sign) = ("com.acme.captcha", "0123456789abcdef0123456789abcdef");
    let r = backend(
        &app,
        "CreateSchemeConfig",
        &[
            ("SchemeName", "captcha"),
            ("AppName", "Acme"),
            ("Platform", "Android"),
            ("AndroidPackageName", package),
            ("AndroidPackageSign", sign),
        ],
    )
    .await;
    let scheme = r["Model"]["SchemeCode"].as_str().unwrap().to_owned();
    let r = backend(
        &app,
        "GetFusionAuthToken",
        &[
            ("SchemeCode", &scheme),
            ("Platform", "Android"),
            ("PackageName", package),
            ("PackageSign", sign),
            ("DurationSeconds", "900"),
        ],
    )
    .await;
    let token = r["Model"].as_str().unwrap().to_owned();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    // A hooked app: high endpoint risk, stepped up with a CAPTCHA.
    let start = || {
        client_api(
            &http,
            &app,
            "/client/v1/fusion/start",
            json!({
                "Token": token, "Scene": "100001", "DeviceId": "device-captcha",
                "Signals": {"hooking": true},
            }),
        )
    };
    let first = start().await;
    assert_eq!(first["Step"], "captcha", "{first}");
    let session = first["Session"].as_str().unwrap().to_owned();
    let solved = solve_json(&py, &first["Challenge"]).await;
    let payload = solved["widget"].as_str().expect("a payload").to_owned();
    let v = client_api(
        &http,
        &app,
        "/client/v1/fusion/step",
        json!({"Session": session, "Action": "captcha", "Payload": payload}),
    )
    .await;
    assert!(
        matches!(v["Step"].as_str(), Some("carrier_consent" | "enter_number")),
        "the library's solution is accepted: {v}"
    );

    // The same payload in another session, with its own challenge, is refused.
    let other = start().await;
    assert_eq!(other["Step"], "captcha", "{other}");
    assert_ne!(other["Challenge"]["salt"], first["Challenge"]["salt"]);
    let v = client_api(
        &http,
        &app,
        "/client/v1/fusion/step",
        json!({"Session": other["Session"], "Action": "captcha", "Payload": payload}),
    )
    .await;
    assert_eq!(v["Step"], "captcha", "a replay in another session: {v}");
}

/// The library's solution of a challenge as numgate's Client API serves it.
async fn solve_json(python: &Path, challenge: &Value) -> Value {
    assert!(challenge.is_object(), "a Challenge object: {challenge}");
    altcha(python, &["solve"], &challenge.to_string()).await
}
