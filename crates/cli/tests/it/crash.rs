//! Crash safety: kill -9 under load loses nothing acknowledged and lets no code
//! pass twice; and nothing secret is left in clear in the database or the logs.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use numgate_client::{CheckSmsVerifyCode, OpenApi, SendSmsVerifyCode};

use crate::proc::{create_key, data_files, phone, Server};

#[derive(Default)]
struct Ledger {
    /// Sends answered OK, by number: the code they returned.
    sent: HashMap<String, String>,
    /// Numbers whose check was started (its outcome may be unknown).
    checking: Vec<String>,
    /// Numbers whose code was answered PASS.
    passed: Vec<String>,
}

async fn load(api: OpenApi, ledger: Arc<Mutex<Ledger>>, stop: Instant) {
    let mut n = 0u32;
    while Instant::now() < stop {
        n += 1;
        let p = phone();
        // Eight characters of all kinds: a code can't turn up in a file by chance.
        let req = SendSmsVerifyCode {
            return_verify_code: Some(true),
            code_type: Some(7),
            code_length: Some(8),
            ..SendSmsVerifyCode::new(&p, "速通互联验证码", "100001")
        };
        let Ok(r) = api.send_sms_verify_code(&req).await else {
            return;
        };
        if r.code != "OK" {
            continue;
        }
        let code = r
            .body
            .model
            .and_then(|m| m.verify_code)
            .expect("code returned");
        ledger.lock().unwrap().sent.insert(p.clone(), code.clone());
        if n.is_multiple_of(2) {
            ledger.lock().unwrap().checking.push(p.clone());
            let Ok(r) = api
                .check_sms_verify_code(&CheckSmsVerifyCode::new(&p, &code))
                .await
            else {
                return;
            };
            if r.body.model.map(|m| m.verify_result).as_deref() == Some("PASS") {
                ledger.lock().unwrap().passed.push(p);
            }
        }
    }
}

/// The server of the load: its numbers are consecutive, hundreds share a prefix,
/// so the prefix cap is lifted out of the way.
fn start_for_load(dir: &std::path::Path) -> Server {
    let dir = dir.to_str().expect("a UTF-8 path");
    Server::start_with(
        &["--data-dir", dir],
        &[("NUMGATE_SMS__PREFIX_HOURLY_CAP", "1000000")],
    )
}

#[tokio::test]
async fn kill_9_under_load_loses_no_acknowledged_send_and_passes_no_code_twice() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start_for_load(dir.path());
    let (id, secret) = create_key(dir.path());
    let api = OpenApi::new(&server.endpoint, &id, &secret);
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let stop = Instant::now() + Duration::from_secs(30);
    let tasks: Vec<_> = (0..8)
        .map(|_| tokio::spawn(load(api.clone(), ledger.clone(), stop)))
        .collect();
    // Let the load run, then kill the server in the middle of it.
    let until = Instant::now() + Duration::from_secs(20);
    while ledger.lock().unwrap().sent.len() < 300 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill9();
    for t in tasks {
        t.await.unwrap();
    }
    let mut logs = server.log_text();

    let server = start_for_load(dir.path());
    let api = OpenApi::new(&server.endpoint, &id, &secret);
    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    eprintln!(
        "crash test: {} sends acknowledged, {} checks started, {} passed before kill -9",
        ledger.sent.len(),
        ledger.checking.len(),
        ledger.passed.len()
    );
    assert!(
        ledger.sent.len() >= 50,
        "the load ran: {} sends",
        ledger.sent.len()
    );
    let mut rechecked = 0;
    for (p, code) in &ledger.sent {
        if ledger.checking.contains(p) {
            continue;
        }
        let r = api
            .check_sms_verify_code(&CheckSmsVerifyCode::new(p, code))
            .await
            .unwrap();
        assert_eq!(
            r.body.model.unwrap().verify_result,
            "PASS",
            "an acknowledged send survives the crash"
        );
        rechecked += 1;
    }
    for p in &ledger.passed {
        let r = api
            .check_sms_verify_code(&CheckSmsVerifyCode::new(p, &ledger.sent[p]))
            .await
            .unwrap();
        assert_eq!(
            r.body.model.unwrap().verify_result,
            "UNKNOWN",
            "a passed code never passes again"
        );
    }
    assert!(rechecked > 0 && !ledger.passed.is_empty());

    // Nothing secret in clear: not in any file of the data directory, not in the
    // logs (at debug level) of either run.
    drop(api);
    let mut server = server;
    server.terminate();
    logs.push_str(&server.log_text());
    let files: Vec<(String, Vec<u8>)> = data_files(dir.path())
        .into_iter()
        .map(|f| (f.display().to_string(), std::fs::read(&f).unwrap()))
        .collect();
    assert!(files
        .iter()
        .any(|(n, b)| n.ends_with("numgate.db") && b.len() > 4096));
    // One pass per file and needle length, with the needles in a set.
    let mut needles: Vec<&str> = ledger.sent.values().map(String::as_str).collect();
    needles.push(&secret);
    let mut by_len: HashMap<usize, HashSet<&[u8]>> = HashMap::new();
    for n in &needles {
        assert!(!logs.contains(n), "a code or secret in the logs");
        by_len.entry(n.len()).or_default().insert(n.as_bytes());
    }
    for (name, bytes) in &files {
        for (len, set) in &by_len {
            assert!(
                !bytes.windows(*len).any(|w| set.contains(w)),
                "a code or secret in clear in {name}"
            );
        }
    }
}
