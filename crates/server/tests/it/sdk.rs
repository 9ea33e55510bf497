//! The official Alibaba Cloud Python SDK (`alibabacloud-dypnsapi20170525` 2.0.0,
//! pinned in scripts/requirements.txt) against a real numgate. Each SDK run is
//! `tests/sdk/sdk_client.py` under the venv of scripts/python-venv.sh; it prints
//! one JSON object per call with what the application sees: the response model's
//! fields, or the SDK exception's code, HTTP status and message.

use std::path::{Path, PathBuf};
use std::time::Duration;

use numgate_domain::clock::Clock;
use serde_json::{json, Value};
use tokio::process::Command;

use crate::helpers::{phone, spawn_app, TestApp, TEMPLATE};

/// The venv's python; `None` (the test skips) when there is none, except in CI.
pub fn python() -> Option<PathBuf> {
    let venv = match std::env::var_os("NUMGATE_VENV") {
        Some(v) => PathBuf::from(v),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv"),
    };
    let python = venv.join("bin/python");
    if python.is_file() {
        return Some(python);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "CI must run the SDK tests: no Python venv with the official SDK at {}; \
             run scripts/python-venv.sh (or set NUMGATE_VENV)",
            venv.display()
        );
    }
    println!("skipped: no Python venv with the official SDK; run scripts/python-venv.sh");
    None
}

/// The SDK's two signature schemes: ACS3-HMAC-SHA256 (its default) and
/// `signature_algorithm='v2'`, RPC HMAC-SHA1.
const ALGORITHMS: [&str; 2] = ["v3", "v2"];

/// One run of sdk_client.py: an SDK client configured for `app`, maybe patched.
#[derive(Clone)]
pub struct Sdk {
    python: PathBuf,
    endpoint: String,
    key_id: String,
    key_secret: String,
    algorithm: &'static str,
    patches: Vec<String>,
}

impl Sdk {
    pub fn new(python: &Path, app: &TestApp, algorithm: &'static str) -> Sdk {
        Sdk {
            python: python.to_path_buf(),
            endpoint: app.endpoint.trim_start_matches("http://").to_owned(),
            key_id: app.key_id.clone(),
            key_secret: app.key_secret.clone(),
            algorithm,
            patches: Vec::new(),
        }
    }

    fn key(mut self, id: &str, secret: &str) -> Sdk {
        (self.key_id, self.key_secret) = (id.to_owned(), secret.to_owned());
        self
    }

    /// Patches the SDK's nonce generator to return `nonce` for every call.
    fn nonce(self, nonce: &str) -> Sdk {
        self.patch(["--nonce", nonce])
    }

    /// Patches the SDK's timestamp to be `secs` off the real time.
    fn skew_secs(self, secs: i64) -> Sdk {
        self.patch(["--skew-secs", &secs.to_string()])
    }

    /// Changes query parameter `name` to `value` after the SDK signed the request.
    fn tamper(self, name: &str, value: &str) -> Sdk {
        self.patch(["--tamper", &format!("{name}={value}")])
    }

    fn patch<const N: usize>(mut self, args: [&str; N]) -> Sdk {
        self.patches.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// Runs the calls in order in one Python process; one result per call.
    pub async fn run(&self, calls: &[String]) -> Vec<Value> {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/sdk_client.py");
        let mut cmd = Command::new(&self.python);
        cmd.arg(script)
            .args(["--endpoint", &self.endpoint])
            // `--name=value`: a secret may begin with `-`, which argparse takes for an option.
            .arg(format!("--key-id={}", self.key_id))
            .arg(format!("--key-secret={}", self.key_secret))
            .args(["--algorithm", self.algorithm])
            .args(&self.patches)
            .args(calls)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .kill_on_drop(true);
        // Loopback only: the SDK honours proxy variables.
        for v in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
            cmd.env_remove(v).env_remove(v.to_lowercase());
        }
        let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
            .await
            .expect("sdk_client.py finishes within 120 s")
            .expect("start the venv's python");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "sdk_client.py {} {calls:?} failed: {}\n{stdout}",
            self.algorithm,
            String::from_utf8_lossy(&out.stderr)
        );
        let results: Vec<Value> = serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("one JSON line from sdk_client.py ({e}): {stdout}"));
        assert_eq!(results.len(), calls.len(), "{stdout}");
        results
    }
}

fn send(p: &str) -> String {
    format!("send:{p}")
}

fn check(p: &str, code: &str) -> String {
    format!("check:{p}:{code}")
}

/// A business answer (HTTP 200) that the SDK decoded into its response model
/// without dropping or mistyping anything but `ignored`.
fn assert_answer(r: &Value, code: &str, success: bool, ignored: Value) {
    assert!(
        r.get("error").is_none(),
        "an answer, not an SDK exception: {r}"
    );
    assert_ne!(
        r["decode_error"], true,
        "the SDK's model decodes the body: {r}"
    );
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["code"], code, "{r}");
    assert_eq!(r["success"], success, "{r}");
    assert_eq!(r["ignored"], ignored, "fields the SDK model drops: {r}");
    assert_eq!(r["wrong_type"], json!([]), "fields of the wrong type: {r}");
}

/// The fields of numgate's answers that the SDK's models do not declare: the
/// CheckSmsVerifyCode and QuerySendDetails bodies have no `RequestId` in this
/// SDK (Alibaba sends it anyway), and numgate adds `BizId` to each send record.
fn ignored_by_sdk(action: &str) -> Value {
    match action {
        "send" => json!([]),
        "check" => json!(["RequestId"]),
        "query" => json!(["Model[0].BizId", "RequestId"]),
        _ => unreachable!(),
    }
}

/// A gateway refusal, as the SDK raises it: a `ClientException` (4xx) with the
/// body's `Code`, the HTTP status, and "code: <status>, <Message> request id: …".
fn assert_refused(r: &Value, status: u16, code: &str) {
    let e = &r["error"];
    assert_eq!(e["type"], "ClientException", "{r}");
    assert_eq!(e["code"], code, "{r}");
    assert_eq!(e["status"], status, "{r}");
    assert_eq!(e["data_status"], status, "{r}");
    let message = e["message"].as_str().unwrap_or_default();
    assert!(message.starts_with(&format!("code: {status}, ")), "{r}");
    assert!(
        !message.contains(" None request id")
            && e["request_id"].as_str().is_some_and(|id| id.len() > 8),
        "the error envelope has a Message and a RequestId: {r}"
    );
}

/// A CheckSmsVerifyCode that the gateway accepted (any code: UNKNOWN).
fn assert_accepted_check(r: &Value) {
    assert_answer(r, "OK", true, ignored_by_sdk("check"));
    assert_eq!(r["model"]["verify_result"], "UNKNOWN", "{r}");
}

#[tokio::test]
async fn the_official_sdk_sends_and_checks_a_code() {
    let Some(py) = python() else { return };
    let app = spawn_app().await;
    let round_trip = |algorithm| {
        let sdk = Sdk::new(&py, &app, algorithm);
        async move {
            let p = phone();
            let r = sdk
                .run(&[send(&p), check(&p, "@code"), check(&p, "@code")])
                .await;
            assert_answer(&r[0], "OK", true, ignored_by_sdk("send"));
            let model = &r[0]["model"];
            let code = model["verify_code"].as_str().expect("a code returned");
            assert_eq!(code.len(), 6, "{algorithm}: numgate's default length");
            assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
            assert!(
                model["biz_id"].as_str().is_some_and(|b| !b.is_empty()),
                "{algorithm}: {model}"
            );
            assert!(model["request_id"].as_str().is_some(), "{model}");
            assert_answer(&r[1], "OK", true, ignored_by_sdk("check"));
            assert_eq!(r[1]["model"]["verify_result"], "PASS", "{algorithm}");
            assert_accepted_check(&r[2]);
        }
    };
    tokio::join!(round_trip("v3"), round_trip("v2"));
}

#[tokio::test]
async fn a_wrong_secret_or_a_parameter_changed_after_signing_breaks_the_sdk_signature() {
    let Some(py) = python() else { return };
    let app = spawn_app().await;
    let wrong_secret = |algorithm| {
        let sdk = Sdk::new(&py, &app, algorithm).key(&app.key_id, "not-the-secret");
        async move {
            let r = sdk.run(&[check(&phone(), "123456")]).await;
            assert_refused(&r[0], 400, "SignatureDoesNotMatch");
        }
    };
    let tampered = |algorithm| {
        let sdk = Sdk::new(&py, &app, algorithm).tamper("PhoneNumber", &phone());
        async move {
            let r = sdk.run(&[check(&phone(), "123456")]).await;
            assert_refused(&r[0], 400, "SignatureDoesNotMatch");
        }
    };
    tokio::join!(
        wrong_secret("v3"),
        wrong_secret("v2"),
        tampered("v3"),
        tampered("v2")
    );
}

#[tokio::test]
async fn a_replayed_sdk_nonce_is_refused_also_after_a_restart() {
    let Some(py) = python() else { return };
    let app = spawn_app().await;
    let nonces: Vec<String> = ALGORITHMS
        .iter()
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    let replay = |app: &TestApp, algorithm, nonce: &str, times: usize| {
        let sdk = Sdk::new(&py, app, algorithm).nonce(nonce);
        async move {
            let p = phone();
            sdk.run(&vec![check(&p, "123456"); times]).await
        }
    };
    let (v3, v2) = tokio::join!(
        replay(&app, "v3", &nonces[0], 2),
        replay(&app, "v2", &nonces[1], 2)
    );
    for r in [v3, v2] {
        assert_accepted_check(&r[0]);
        assert_refused(&r[1], 400, "SignatureNonceUsed");
    }

    let app = app.restart().await;
    let (v3, v2) = tokio::join!(
        replay(&app, "v3", &nonces[0], 1),
        replay(&app, "v2", &nonces[1], 1)
    );
    assert_refused(&v3[0], 400, "SignatureNonceUsed");
    assert_refused(&v2[0], 400, "SignatureNonceUsed");
}

#[tokio::test]
async fn an_sdk_timestamp_sixteen_minutes_off_is_expired_either_way() {
    let Some(py) = python() else { return };
    let app = spawn_app().await;
    let at_skew = |algorithm, secs| {
        let sdk = Sdk::new(&py, &app, algorithm).skew_secs(secs);
        async move { sdk.run(&[check(&phone(), "123456")]).await.remove(0) }
    };
    let (late3, early3, late2, early2, near3, near2) = tokio::join!(
        at_skew("v3", -16 * 60),
        at_skew("v3", 16 * 60),
        at_skew("v2", -16 * 60),
        at_skew("v2", 16 * 60),
        // Inside the 15 minutes: the patched timestamp itself is fine.
        at_skew("v3", -14 * 60),
        at_skew("v2", 14 * 60),
    );
    for r in [late3, early3, late2, early2] {
        assert_refused(&r, 400, "InvalidTimeStamp.Expired");
    }
    assert_accepted_check(&near3);
    assert_accepted_check(&near2);
}

#[tokio::test]
async fn an_unknown_sdk_access_key_is_not_found_and_a_disabled_one_inactive_until_re_enabled() {
    let Some(py) = python() else { return };
    let app = spawn_app().await;
    let one_check = |sdk: Sdk| async move { sdk.run(&[check(&phone(), "123456")]).await.remove(0) };
    let both = |make: &dyn Fn(&'static str) -> Sdk| {
        let (v3, v2) = (make("v3"), make("v2"));
        async move { tokio::join!(one_check(v3), one_check(v2)) }
    };

    let (v3, v2) =
        both(&|a| Sdk::new(&py, &app, a).key("LTAInosuchkey00000000000", "no-such-secret")).await;
    assert_refused(&v3, 404, "InvalidAccessKeyId.NotFound");
    assert_refused(&v2, 404, "InvalidAccessKeyId.NotFound");

    // Disabled from a second handle on the data directory, as `numgate keys disable` does.
    let data = numgate_server::open_data_dir(&app.config).await.unwrap();
    assert!(data
        .store
        .set_access_key_enabled(&app.key_id, false)
        .await
        .unwrap());
    let (v3, v2) = both(&|a| Sdk::new(&py, &app, a)).await;
    assert_refused(&v3, 400, "InvalidAccessKeyId.Inactive");
    assert_refused(&v2, 400, "InvalidAccessKeyId.Inactive");

    assert!(data
        .store
        .set_access_key_enabled(&app.key_id, true)
        .await
        .unwrap());
    let (v3, v2) = both(&|a| Sdk::new(&py, &app, a)).await;
    assert_accepted_check(&v3);
    assert_accepted_check(&v2);
}

#[tokio::test]
async fn business_refusals_and_send_details_reach_the_sdk_as_response_bodies() {
    let Some(py) = python() else { return };
    let app = spawn_app().await;
    let today = chrono::DateTime::from_timestamp_millis(app.clock.now_millis())
        .unwrap()
        .with_timezone(
            &chrono::FixedOffset::east_opt(app.config.sms.utc_offset_hours * 3600).unwrap(),
        )
        .format("%Y%m%d")
        .to_string();
    let p = phone();
    let r = Sdk::new(&py, &app, "v3")
        .run(&[send(&p), send(&p), format!("query:{p}:{today}")])
        .await;
    assert_answer(&r[0], "OK", true, ignored_by_sdk("send"));
    let biz_id = &r[0]["model"]["biz_id"];

    // The interval is not over: a refusal in the body, not an SDK exception.
    assert_answer(&r[1], "biz.FREQUENCY", false, json!([]));
    assert!(
        r[1]["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        r[1]
    );
    assert!(
        r[1]["model"].is_null(),
        "no code for a refused send: {}",
        r[1]
    );

    let details = &r[2];
    assert_answer(details, "OK", true, ignored_by_sdk("query"));
    assert_eq!(
        details["total_count"], 1,
        "only the accepted send: {details}"
    );
    let rows = details["model"].as_array().expect("Model is a list");
    assert_eq!(rows.len(), 1, "{details}");
    let row = &rows[0];
    assert_eq!(row["phone_num"], p.as_str(), "{row}");
    assert_eq!(row["template_code"], TEMPLATE, "{row}");
    assert!(
        [1, 3].contains(&row["send_status"].as_i64().unwrap_or(0)),
        "waiting or delivered: {row}"
    );
    let content = row["content"].as_str().expect("Content");
    let code = r[0]["model"]["verify_code"].as_str().unwrap();
    assert!(!content.contains(code), "the code is masked: {content}");
    assert!(
        row["send_date"]
            .as_str()
            .is_some_and(|d| d.starts_with(&format!(
                "{}-{}-{}",
                &today[..4],
                &today[4..6],
                &today[6..]
            ))),
        "{row}"
    );
    assert!(biz_id.as_str().is_some(), "{}", r[0]);
}

/// An SDK run of the app's side: a client with the temporary credentials of a
/// GetSmsAuthTokens answer (`Config(…, security_token=…)`).
fn sts_sdk(py: &Path, app: &TestApp, algorithm: &'static str, grant: &Value) -> Sdk {
    let text = |name: &str| grant[name].as_str().unwrap_or_default().to_owned();
    Sdk::new(py, app, algorithm)
        .key(&text("sts_access_key_id"), &text("sts_access_key_secret"))
        // One argument: a base64url token may begin with '-'.
        .patch([&format!("--security-token={}", text("sts_token"))])
}

#[tokio::test]
async fn the_official_sdk_grants_sts_credentials_with_which_an_app_sends_a_code_once_checked() {
    let Some(py) = python() else { return };
    let app = spawn_app().await;
    let flow = |algorithm: &'static str| {
        let (py, app) = (&py, &app);
        async move {
            let package = format!("com.example.sts.{algorithm}");
            let scene = crate::sms_auth::android_scheme(app, &package, "1,2").await;
            let backend = Sdk::new(py, app, algorithm);
            let r = backend.run(&[format!("sms-grant:{scene}:{package}")]).await;
            let granted = &r[0];
            assert!(granted.get("error").is_none(), "{granted}");
            assert_eq!(granted["status"], 200, "{granted}");
            assert_eq!(granted["code"], "OK", "{granted}");
            assert_eq!(granted["ignored"], json!([]), "{granted}");
            assert_eq!(granted["wrong_type"], json!([]), "{granted}");
            let grant = &granted["body"]["data"];
            assert!(
                grant["sts_access_key_id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("STS.")),
                "{grant}"
            );
            let expire_time = grant["expire_time"].as_i64().expect("ExpireTime in ms");
            assert!(expire_time > app.clock.now_millis(), "{grant}");
            let biz_token = grant["biz_token"].as_str().expect("BizToken").to_owned();

            // The app's SDK, with the temporary credentials.
            let p = phone();
            let device = sts_sdk(py, app, algorithm, grant);
            let r = device
                .run(&[format!("sms-send:{p}"), check(&p, "123456"), send(&phone())])
                .await;
            assert_answer(&r[0], "OK", true, ignored_by_sdk("send"));
            assert!(r[0]["model"].get("verify_code").is_none(), "{}", r[0]);
            // Nothing but the send: a check is refused at the gateway…
            assert_refused(&r[1], 403, "Forbidden.RAM");
            // …and a send asking for the code back is refused by the grant.
            assert_answer(&r[2], "isv.RAM_PERMISSION_DENY", false, json!([]));

            let code = crate::helpers::texted_code(app, &p).await;
            let verify = format!("sms-verify:{p}:{code}:{biz_token}");
            let r = backend.run(&[verify.clone(), verify]).await;
            for (i, expected) in [(0, true), (1, false)] {
                let v = &r[i];
                assert!(v.get("error").is_none(), "{v}");
                assert_eq!(v["code"], "OK", "{v}");
                assert_eq!(v["body"]["data"], expected, "{algorithm}: {v}");
                assert_eq!(v["ignored"], json!([]), "{v}");
                assert_eq!(v["wrong_type"], json!([]), "{v}");
            }
        }
    };
    tokio::join!(flow("v3"), flow("v2"));
}

#[tokio::test]
async fn the_official_sdk_with_a_changed_sts_token_or_secret_is_refused() {
    let Some(py) = python() else { return };
    let app = spawn_app().await;
    let package = "com.example.sts.refused";
    let scene = crate::sms_auth::android_scheme(&app, package, "2").await;
    let r = Sdk::new(&py, &app, "v3")
        .run(&[format!("sms-grant:{scene}:{package}")])
        .await;
    let grant = r[0]["body"]["data"].clone();
    assert!(grant["sts_token"].is_string(), "{}", r[0]);
    let mut changed_token = grant.clone();
    let token = grant["sts_token"].as_str().unwrap();
    let (head, last) = token.split_at(token.len() - 1);
    let other = if last == "A" { "B" } else { "A" };
    changed_token["sts_token"] = Value::from(format!("{head}{other}"));
    let mut changed_secret = grant.clone();
    changed_secret["sts_access_key_secret"] = Value::from("not-the-secret");
    let one_send = |grant: Value, algorithm: &'static str| {
        let sdk = sts_sdk(&py, &app, algorithm, &grant);
        async move { sdk.run(&[format!("sms-send:{}", phone())]).await.remove(0) }
    };
    let (t3, t2, s3, s2) = tokio::join!(
        one_send(changed_token.clone(), "v3"),
        one_send(changed_token, "v2"),
        one_send(changed_secret.clone(), "v3"),
        one_send(changed_secret, "v2"),
    );
    assert_refused(&t3, 400, "InvalidSecurityToken.Malformed");
    assert_refused(&t2, 400, "InvalidSecurityToken.Malformed");
    assert_refused(&s3, 400, "SignatureDoesNotMatch");
    assert_refused(&s2, 400, "SignatureDoesNotMatch");
}
