//! `numgate bench` as users run it: its JSON report, against numgate and the no-op server.

use std::process::Command;

use serde_json::Value;

use crate::proc::BIN;

/// Runs a short bench and returns its JSON report; panics with stderr on failure.
fn bench(args: &[&str]) -> Value {
    let out = Command::new(BIN)
        .args([
            "bench",
            "--duration",
            "1s",
            "--warmup",
            "200ms",
            "--concurrency",
            "4",
            "--json",
        ])
        .args(args)
        .env_remove("NUMGATE_CONFIG")
        .output()
        .expect("run numgate bench");
    assert!(
        out.status.success(),
        "numgate bench {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object on stdout")
}

fn assert_clean(row: &Value, what: &str) {
    assert!(
        row["requests"].as_u64().unwrap() > 0,
        "{what}: no requests: {row}"
    );
    assert_eq!(row["errors"], 0, "{what}: {row}");
    assert_eq!(row["refusals"], 0, "{what}: {row}");
    for k in ["rps", "p50_ms", "p99_ms", "max_ms"] {
        assert!(row[k].as_f64().is_some(), "{what}: {k} missing: {row}");
    }
}

#[test]
fn bench_against_numgate_reports_both_actions_without_errors() {
    let v = bench(&[
        "--target",
        "self",
        "--actions",
        "check=3,send=1",
        "--codes",
        "200",
    ]);
    assert_eq!(v["target"], "self");
    assert_eq!(v["concurrency"], 4);
    assert_clean(&v["total"], "total");
    let check = &v["actions"]["CheckSmsVerifyCode"];
    let send = &v["actions"]["SendSmsVerifyCode"];
    assert_clean(check, "check");
    assert_clean(send, "send");
    assert!(
        check["outcomes"]["PASS"].as_u64().unwrap_or(0) > 0,
        "{check}"
    );
    assert_eq!(send["outcomes"]["OK"], send["requests"], "{send}");
    assert_eq!(v["check_mix"]["codes_prepared"], 200);
    assert_eq!(v["check_mix"]["wrong_pct"], 20);
}

#[test]
fn bench_against_the_noop_server_and_as_a_baseline() {
    let v = bench(&["--target", "noop", "--actions", "check=1"]);
    assert_eq!(v["target"], "noop");
    assert_clean(&v["actions"]["CheckSmsVerifyCode"], "noop check");
    assert!(v.get("check_mix").is_none(), "{v}");

    let v = bench(&[
        "--target",
        "self",
        "--actions",
        "check=1",
        "--codes",
        "100",
        "--baseline",
    ]);
    assert_clean(&v["baseline"]["total"], "baseline");
    assert_eq!(v["baseline"]["target"], "noop");
    let ratio = v["total"]["ratio_to_noop"].as_f64().expect("a ratio");
    assert!(ratio > 0.0, "{v}");
}

#[test]
fn bench_refuses_unbounded_or_malformed_loads() {
    for args in [
        &["--concurrency", "0"][..],
        &["--concurrency", "100000"],
        &["--duration", "61m"],
        &["--actions", "delete=1"],
        &["--target", "ftp://example"],
        &["--target", "http://127.0.0.1:1"],
    ] {
        let out = Command::new(BIN)
            .args(["bench", "--json"])
            .args(args)
            .env_remove("NUMGATE_BENCH_KEY_ID")
            .env_remove("NUMGATE_BENCH_KEY_SECRET")
            .output()
            .expect("run numgate bench");
        assert!(!out.status.success(), "{args:?} was accepted");
    }
}
