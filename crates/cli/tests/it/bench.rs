//! `numgate bench` as users run it: its JSON report, against numgate and the no-op server.

use std::process::Command;

use serde_json::Value;

use crate::proc::BIN;

/// Runs a short bench and returns its JSON report; panics with stderr on failure.
fn bench(args: &[&str]) -> Value {
    let mut all = vec![
        "--duration",
        "1s",
        "--warmup",
        "200ms",
        "--concurrency",
        "4",
    ];
    all.extend_from_slice(args);
    bench_exactly(&all)
}

/// `numgate bench --json` with these arguments only.
fn bench_exactly(args: &[&str]) -> Value {
    let out = Command::new(BIN)
        .args(["bench", "--json"])
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

#[test]
fn bench_spends_a_live_token_on_every_getmobile_and_verifymobile() {
    let v = bench_exactly(&[
        "--target",
        "self",
        "--actions",
        "getmobile=1,verifymobile=1",
        "--tokens",
        "1200",
        "--duration",
        "1s",
        "--warmup",
        "0s",
        "--concurrency",
        "4",
    ]);
    assert_clean(&v["total"], "total");
    let tokens = &v["token_mix"];
    assert_eq!(tokens["tokens_prepared"], 1200, "{tokens}");
    assert_eq!(tokens["login_tokens"], 600, "{tokens}");
    assert_eq!(tokens["verify_tokens"], 600, "{tokens}");
    assert_eq!(tokens["stale_tokens"], 0, "{tokens}");
    assert_eq!(tokens["carrier_latency_ms"], 0, "{tokens}");
    // China Unicom's tokens live 30 minutes: its SIM always prepares some.
    assert!(
        tokens["bearers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b == "127.0.0.12 cu"),
        "{tokens}"
    );

    let get = &v["actions"]["GetMobile"];
    assert_clean(get, "GetMobile");
    // Every answer is the number of the SIM that got the token.
    assert_eq!(get["outcomes"]["OK"], get["requests"], "{get}");

    let verify = &v["actions"]["VerifyMobile"];
    assert_clean(verify, "VerifyMobile");
    let pass = verify["outcomes"]["PASS"].as_u64().unwrap_or(0);
    let reject = verify["outcomes"]["REJECT"].as_u64().unwrap_or(0);
    assert_eq!(
        pass + reject,
        verify["requests"].as_u64().unwrap(),
        "{verify}"
    );
    assert!(pass > 0 && reject > 0, "{verify}");
    // --wrong-pct 20 by default, spread evenly over the tokens.
    let wrong = reject as f64 / (pass + reject) as f64;
    assert!((0.1..=0.3).contains(&wrong), "{verify}");
}

#[test]
fn bench_with_carrier_latency_makes_every_carrier_request_slower() {
    let v = bench_exactly(&[
        "--target",
        "self",
        "--actions",
        "getmobile=1",
        "--carrier-latency-ms",
        "50",
        "--duration",
        "1s",
        "--warmup",
        "0s",
        "--concurrency",
        "4",
        "--baseline",
    ]);
    let get = &v["actions"]["GetMobile"];
    assert_clean(get, "GetMobile");
    assert_eq!(get["outcomes"]["OK"], get["requests"], "{get}");
    assert_eq!(v["token_mix"]["stale_tokens"], 0, "{v}");
    assert_eq!(v["token_mix"]["carrier_latency_ms"], 50, "{v}");
    // The latency really applied: GetMobile waits for the carrier's exchange.
    let p50 = get["p50_ms"].as_f64().unwrap();
    assert!(
        p50 >= 50.0,
        "p50 {p50} ms with 50 ms carrier latency: {get}"
    );

    // The no-op server got the same signed GetMobile requests, random tokens.
    let noop = &v["baseline"]["actions"]["GetMobile"];
    assert_clean(noop, "no-op GetMobile");
    assert!(v["baseline"].get("token_mix").is_none(), "{v}");
    assert!(get["ratio_to_noop"].as_f64().unwrap() > 0.0, "{v}");
}

#[test]
fn bench_refuses_carrier_flags_where_they_cannot_apply() {
    for (args, says) in [
        (
            &["--actions", "getmobile=1", "--carrier-latency-ms", "5001"][..],
            "0 to 5000",
        ),
        (
            &[
                "--actions",
                "getmobile=1",
                "--carrier-latency-ms",
                "50",
                "--target",
                "noop",
            ],
            "--target self only",
        ),
        (
            &["--actions", "check=1", "--carrier-latency-ms", "50"],
            "needs getmobile or verifymobile",
        ),
        (
            &[
                "--actions",
                "verifymobile=1",
                "--target",
                "http://127.0.0.1:1",
                "--key-id",
                "LTAIx",
                "--key-secret",
                "x",
            ],
            "need --target self",
        ),
        (&["--actions", "getmobile=1", "--tokens", "0"], "--tokens"),
        (
            &["--actions", "getmobile=1", "--tokens", "500001"],
            "--tokens",
        ),
        (
            &["--actions", "verifymobile=1", "--duration", "30m"],
            "expires",
        ),
        (&["--actions", "getmobile=x"], "weight"),
        (&["--actions", "scene=1,check=1"], "alone"),
        (
            &["--actions", "scene=1", "--carrier-latency-ms", "50"],
            "not scene",
        ),
        (&["--carrier-latency-ms", "-1"], "-1"),
    ] {
        let out = Command::new(BIN)
            .args(["bench", "--json"])
            .args(args)
            .env_remove("NUMGATE_BENCH_KEY_ID")
            .env_remove("NUMGATE_BENCH_KEY_SECRET")
            .output()
            .expect("run numgate bench");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn bench_runs_whole_fusion_scenes_each_ending_with_the_phones_number() {
    let v = bench(&["--target", "self", "--actions", "scene=1", "--baseline"]);
    let scenes = &v["actions"]["FusionScene100001"];
    assert_clean(scenes, "scenes");
    assert_eq!(scenes["outcomes"]["PASS"], scenes["requests"], "{scenes}");
    assert!(scenes["ratio_to_noop"].as_f64().is_some(), "{v}");
}

#[test]
fn bench_stats_records_rollups_and_times_30_day_queries() {
    let out = Command::new(BIN)
        .args([
            "bench-stats",
            "--attempts",
            "27000",
            "--days",
            "30",
            "--tenants",
            "2",
            "--queries",
            "20",
            "--json",
        ])
        .env_remove("NUMGATE_CONFIG")
        .output()
        .expect("run numgate bench-stats");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    // 2 tenants × 30 days × 30 keys (4 schemes: one-click, check, 5 scenes;
    // SMS for 2 of them) = 1,800 rows of 15 attempts each: half per tenant.
    assert_eq!(r["rollup_rows"], 1_800, "{r}");
    assert_eq!(r["first_tenant_attempts"], 13_500, "{r}");
    assert!(r["p99_ms"].as_f64().unwrap() > 0.0, "{r}");
}
