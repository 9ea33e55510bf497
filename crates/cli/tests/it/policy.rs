//! `numgate policy`: the default graphs, the dry run, and a tenant's policies
//! (show, set, inherit, restore, audit) beside a running server, as a user runs them.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use numgate_client::OpenApi;
use serde_json::Value;

use crate::proc::{create_key, numgate, numgate_env, run, Server, BIN};

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

/// `numgate policy show --json` of a tenant's scene (and scheme).
fn show(dir: &Path, scheme: Option<&str>) -> Value {
    let mut args = vec!["policy", "show", "--scene", "100001", "--json"];
    if let Some(s) = scheme {
        args.extend(["--scheme", s]);
    }
    serde_json::from_str(&numgate(dir, &args)).unwrap()
}

fn threshold(shown: &Value) -> u64 {
    shown["graph"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "endpoint_risk")
        .unwrap()["settings"]["threshold"]
        .as_u64()
        .unwrap()
}

/// The default logon graph with `edit` applied to its node `id`, in a file.
fn edited(dir: &Path, name: &str, id: &str, edit: impl Fn(&mut Value)) -> String {
    let mut graph: Value = serde_json::from_str(&numgate_env(
        &["policy", "default", "--scene", "100001"],
        &[],
    ))
    .unwrap();
    for node in graph["nodes"].as_array_mut().unwrap() {
        if node["id"] == id {
            edit(node);
        }
    }
    let path = dir.join(name);
    std::fs::write(&path, graph.to_string()).unwrap();
    path.to_str().unwrap().to_owned()
}

fn with_threshold(dir: &Path, name: &str, t: u64) -> String {
    edited(dir, name, "endpoint_risk", |n| {
        n["settings"]["threshold"] = t.into()
    })
}

fn audit(dir: &Path) -> Vec<Value> {
    let v: Value = serde_json::from_str(&numgate(
        dir,
        &["policy", "audit", "--json", "--limit", "100"],
    ))
    .unwrap();
    v.as_array().unwrap().clone()
}

async fn call(api: &OpenApi, action: &str, params: &[(&str, &str)]) -> Value {
    let p: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (status, body) = api.call_raw(action, &p).await.unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

/// The first step of a logon run with high endpoint risk (an emulator behind a
/// proxy), from a new device each time.
async fn risky_start(endpoint: &str, token: &str, device: &str) -> String {
    let v: Value = reqwest::Client::new()
        .post(format!("{endpoint}/client/v1/fusion/start"))
        .json(&serde_json::json!({
            "Token": token, "Scene": "100001", "DeviceId": device,
            "Signals": {"emulator": true, "proxy_or_vpn": true},
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["Step"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn policies_are_set_inherited_detached_restored_and_audited_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = Server::start(d);
    let (id, secret) = create_key(d);
    let api = OpenApi::new(&server.endpoint, &id, &secret);
    let r = call(
        &api,
        "CreateSchemeConfig",
        &[
            ("SchemeName", "cli"),
            ("AppName", "Acme"),
            ("Platform", "Android"),
            ("AndroidPackageName", "com.acme.cli"),
            ("AndroidPackageSign", "0123456789abcdef0123456789abcdef"),
        ],
    )
    .await;
    let scheme = r["Model"]["SchemeCode"].as_str().unwrap().to_owned();
    let r = call(
        &api,
        "GetFusionAuthToken",
        &[
            ("SchemeCode", &scheme),
            ("Platform", "Android"),
            ("PackageName", "com.acme.cli"),
            ("PackageSign", "0123456789abcdef0123456789abcdef"),
            ("DurationSeconds", "900"),
        ],
    )
    .await;
    let token = r["Model"].as_str().unwrap().to_owned();
    let default: Value = serde_json::from_str(&numgate_env(
        &["policy", "default", "--scene", "100001"],
        &[],
    ))
    .unwrap();

    // Nothing stored: the default graph, inherited; high endpoint risk is
    // stepped up with a CAPTCHA.
    assert_eq!(risky_start(&server.endpoint, &token, "d1").await, "captcha");
    let g = show(d, None);
    assert_eq!(
        (&g["source"], &g["inherit"], &g["version"]),
        (&"default".into(), &true.into(), &0.into())
    );
    assert_eq!(g["graph"], default);
    let plain = numgate(d, &["policy", "show", "--scene", "100001"]);
    assert!(plain.contains("source:  default"), "{plain}");

    // A global policy with an edited endpoint threshold; the scheme inherits it.
    let g70 = with_threshold(d, "g70.json", 70);
    let out = numgate(
        d,
        &[
            "policy",
            "set",
            "--scene",
            "100001",
            "--graph",
            &g70,
            "--expect-version",
            "0",
        ],
    );
    assert!(out.contains("version 1 stored"), "{out}");
    let g = show(d, None);
    assert_eq!((threshold(&g), &g["source"]), (70, &"global".into()));
    assert!(g["updated_by"].as_str().unwrap().starts_with("cli:"), "{g}");
    let s = show(d, Some(&scheme));
    assert_eq!(
        (threshold(&s), &s["source"], &s["inherit"]),
        (70, &"global".into(), &true.into())
    );

    // Inherit off: the scheme keeps 70 when the global policy moves to 80.
    numgate(
        d,
        &[
            "policy", "inherit", "--scene", "100001", "--scheme", &scheme, "off",
        ],
    );
    let g80 = with_threshold(d, "g80.json", 80);
    numgate(
        d,
        &[
            "policy",
            "set",
            "--scene",
            "100001",
            "--graph",
            &g80,
            "--expect-version",
            "1",
        ],
    );
    assert_eq!(threshold(&show(d, None)), 80);
    let s = show(d, Some(&scheme));
    assert_eq!(
        (threshold(&s), &s["source"], &s["inherit"], &s["version"]),
        (70, &"scheme".into(), &false.into(), &1.into())
    );
    // A stale version is refused: the change made meanwhile stays.
    let out = run(
        d,
        &[
            "policy",
            "set",
            "--scene",
            "100001",
            "--graph",
            &g70,
            "--expect-version",
            "1",
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("it is at version 2"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(threshold(&show(d, None)), 80);

    // Inherit on again: the scheme follows the global policy.
    numgate(
        d,
        &[
            "policy", "inherit", "--scene", "100001", "--scheme", &scheme, "on",
        ],
    );
    assert_eq!(threshold(&show(d, Some(&scheme))), 80);

    // The running server applies the global policy to its next run: high endpoint
    // risk is refused instead of stepped up, and the dry run of the tenant's
    // policy in force says so.
    let refuse = edited(d, "refuse.json", "endpoint_risk", |n| {
        n["settings"]["on_high"] = serde_json::json!({"action": "refuse"})
    });
    numgate(
        d,
        &["policy", "set", "--scene", "100001", "--graph", &refuse],
    );
    assert_eq!(risky_start(&server.endpoint, &token, "d2").await, "refused");
    let e: Value = serde_json::from_str(&numgate(
        d,
        &[
            "policy",
            "explain",
            "--scene",
            "100001",
            "--scheme",
            &scheme,
            "--signals",
            "emulator,proxy",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(e["verdict"]["result"], "refused", "{e}");

    // Restore defaults: the default graph is back, for the scheme too.
    let out = numgate(d, &["policy", "restore", "--scene", "100001"]);
    assert!(out.contains("restored to defaults"), "{out}");
    let g = show(d, None);
    assert_eq!((&g["source"], &g["graph"]), (&"default".into(), &default));
    assert_eq!(show(d, Some(&scheme))["graph"], default);
    assert_eq!(risky_start(&server.endpoint, &token, "d3").await, "captcha");

    // Invalid graphs are refused with the node named, and nothing is stored.
    let entries = audit(d).len();
    let cycle = edited(d, "cycle.json", "upstream_sms", |n| {
        n["next"]["failure"] = "endpoint_risk".into()
    });
    let unknown = edited(d, "unknown.json", "sms_code", |n| {
        n["settings"]["template_code"] = "SMS_404".into()
    });
    for (file, expected) in [(&cycle, "cycle"), (&unknown, "SMS_404")] {
        let out = run(d, &["policy", "set", "--scene", "100001", "--graph", file]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{file}");
        assert!(
            stderr.contains("node `") && stderr.contains(expected),
            "{stderr}"
        );
    }
    let out = run(
        d,
        &[
            "policy",
            "set",
            "--scene",
            "100001",
            "--scheme",
            "FA000000000000009",
            "--graph",
            &g70,
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Fusion-Auth scheme"));
    assert_eq!(show(d, None)["source"], "default");
    let log = audit(d);
    assert_eq!(log.len(), entries, "refused changes are not audited");

    // Each accepted change, newest first, with the policy before and after.
    let steps: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    let of_scheme = format!("scene 100001 scheme {scheme}");
    assert_eq!(
        steps,
        vec![
            ("policy.delete", "scene 100001"),
            ("policy.put", "scene 100001"),
            ("policy.put", of_scheme.as_str()),
            ("policy.put", "scene 100001"),
            ("policy.put", of_scheme.as_str()),
            ("policy.put", "scene 100001"),
        ]
    );
    assert!(log
        .iter()
        .all(|e| e["actor"].as_str().unwrap().starts_with("cli:")));
    let at = |e: &Value, side: &str| threshold(&serde_json::json!({"graph": e[side]["graph"]}));
    // The global 70 → 80 change.
    assert_eq!((at(&log[3], "before"), at(&log[3], "after")), (70, 80));
    assert!(log[5]["before"].is_null() && at(&log[5], "after") == 70);
    assert!(log[0]["after"].is_null());
    assert_eq!(
        log[0]["before"]["graph"]["nodes"][0]["settings"]["on_high"]["action"],
        "refuse"
    );
    let plain = numgate(d, &["policy", "audit"]);
    assert!(
        plain.lines().count() == 6 && plain.contains("policy.delete  scene 100001"),
        "{plain}"
    );
}
