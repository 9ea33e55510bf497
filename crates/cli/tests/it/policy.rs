//! `numgate policy`: the default graphs and the dry run, as a user runs them.

use std::process::{Command, Stdio};

use crate::proc::{numgate_env, BIN};

fn refused(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env_remove("NUMGATE_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn explain_prints_the_path_an_attempt_would_take_and_the_rules_that_fired() {
    // An emulator behind a proxy, and a carrier that times out: a CAPTCHA, then
    // SMS takes over from one-click, and the number's risk is judged once known.
    let out = numgate_env(
        &[
            "policy",
            "explain",
            "--scene",
            "100001",
            "--signals",
            "emulator,proxy",
            "--carrier",
            "timeout",
            "--number",
            "13800000000",
        ],
        &[],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[1].contains("endpoint_risk") && lines[1].contains("CAPTCHA"),
        "{out}"
    );
    assert!(out.contains("the app runs in an emulator"), "{out}");
    assert!(out.contains("one_click        timed out"), "{out}");
    assert!(out.contains("sms_code         succeeded"), "{out}");
    assert!(out.trim_end().ends_with("passed, PhoneScore 10"), "{out}");

    // A virtual-operator number whose SIM was swapped two days ago is refused
    // when it wants to change the account's number.
    let out = numgate_env(
        &[
            "policy",
            "explain",
            "--scene",
            "100002",
            "--number",
            "17000000001",
            "--sim-swap-days",
            "2",
            "--json",
        ],
        &[],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"]["result"], "refused", "{v}");
    assert_eq!(v["verdict"]["node"], "number_risk", "{v}");

    // Frequency rules fire past their threshold: 10 attempts per device in an
    // hour are allowed by the default endpoint rule, the 11th steps up.
    let at = |n: &str| {
        numgate_env(
            &[
                "policy",
                "explain",
                "--scene",
                "100003",
                "--number",
                "13800000000",
                "--count",
                &format!("device:60={n}"),
            ],
            &[],
        )
    };
    assert!(!at("10").contains("CAPTCHA"));
    assert!(at("11").contains("11 attempts per device in 60 min, more than 10"));
}

#[test]
fn explain_refuses_bad_input_with_a_clear_message() {
    assert!(refused(&["policy", "explain", "--scene", "9"]).contains("100001 to 100005"));
    assert!(refused(&["policy", "explain", "--scene", "100002"]).contains("needs a phone number"));
    assert!(
        refused(&["policy", "explain", "--scene", "100001", "--count", "cpu:1=2"])
            .contains("device, ip and number")
    );
    // An edited graph with a cycle is refused, naming the node.
    let dir = tempfile::tempdir().unwrap();
    let default = numgate_env(&["policy", "default", "--scene", "100003"], &[]);
    let mut graph: serde_json::Value = serde_json::from_str(&default).unwrap();
    for node in graph["nodes"].as_array_mut().unwrap() {
        if node["id"] == "upstream_sms" {
            node["next"]["failure"] = "endpoint_risk".into();
        }
    }
    let path = dir.path().join("g.json");
    std::fs::write(&path, graph.to_string()).unwrap();
    let e = refused(&[
        "policy",
        "explain",
        "--scene",
        "100003",
        "--number",
        "13800000000",
        "--graph",
        path.to_str().unwrap(),
    ]);
    assert!(e.contains("node `") && e.contains("cycle"), "{e}");
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let mut child = Command::new(BIN)
        .args(["policy", "default", "--scene", "100001"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}
