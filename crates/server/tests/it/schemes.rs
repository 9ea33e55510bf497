//! CreateVerifyScheme, DescribeVerifyScheme and DeleteVerifyScheme over HTTP.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use numgate_client::{CreateVerifyScheme, OpenApi};
use numgate_domain::clock::Clock;
use numgate_server::service::keys;
use serde_json::Value;

use numgate_server::config::{CarrierAccountConfig, TokenCarrierConfig};

use crate::helpers::{spawn_app, spawn_app_with, TestApp, SIGN};

const PACK_SIGN: &str = "0123456789ABCDEF0123456789abcdef";

/// A unique-enough suffix: the tests of this binary share nothing but the process.
fn unique() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::Relaxed).to_string()
}

async fn create(api: &OpenApi, req: &CreateVerifyScheme) -> String {
    let r = api.create_verify_scheme(req).await.expect("create");
    assert_eq!(r.code, "OK", "{}", r.message);
    assert_eq!(r.success, Some(true));
    assert_eq!(r.body.http_status_code, Some(200));
    let code = r
        .body
        .gate_verify_scheme_dto
        .expect("GateVerifySchemeDTO")
        .scheme_code;
    assert_eq!(code.len(), 17, "{code}");
    assert!(code.starts_with("FC") && code[2..].bytes().all(|b| b.is_ascii_digit()));
    code
}

async fn create_code(api: &OpenApi, req: &CreateVerifyScheme) -> String {
    let r = api.create_verify_scheme(req).await.expect("create");
    if r.code != "OK" {
        assert_eq!(r.success, Some(false), "{}", r.code);
        assert!(!r.message.is_empty());
        assert!(r.body.gate_verify_scheme_dto.is_none());
    }
    r.code
}

/// The AppEncryptInfo decoded: (scheme code, app key).
async fn describe(api: &OpenApi, code: &str) -> (String, Vec<u8>) {
    let r = api.describe_verify_scheme(code).await.expect("describe");
    assert_eq!(r.code, "OK", "{}", r.message);
    let info = r
        .body
        .scheme_query_result_dto
        .expect("SchemeQueryResultDTO")
        .app_encrypt_info;
    let json: Value = serde_json::from_slice(&STANDARD.decode(&info).expect("base64")).unwrap();
    assert_eq!(json["v"], 1, "{json}");
    let key = URL_SAFE_NO_PAD
        .decode(json["key"].as_str().expect("key"))
        .expect("base64url key");
    (json["scheme"].as_str().expect("scheme").to_owned(), key)
}

fn android(name: &str, pack: &str) -> CreateVerifyScheme {
    CreateVerifyScheme::android(name, "Demo", pack, PACK_SIGN)
}

#[tokio::test]
async fn android_ios_and_web_schemes_are_created_described_and_deleted() {
    // The default tenant has its own app at each carrier, API codes 1, 2, 3.
    let app = spawn_app_with(|c| {
        let carrier = |code: i64| {
            Some(TokenCarrierConfig {
                url: "http://127.0.0.1:9".into(),
                app_id: "numgate".into(),
                app_key: "k".into(),
                accounts: vec![CarrierAccountConfig {
                    tenant: "default".into(),
                    api_code: code,
                    app_id: format!("own-{code}"),
                    app_key: "own-key".into(),
                }],
            })
        };
        c.carriers.cm = carrier(1);
        c.carriers.ct = carrier(2);
        c.carriers.cu = carrier(3);
    })
    .await;
    let api = app.client();
    let n = unique();
    let full = CreateVerifyScheme {
        auth_type: Some("1,2".into()),
        scene_type: Some("login".into()),
        sms_sign_name: Some(SIGN.into()),
        ip_white_list: Some("10.0.0.1,192.168.0.0/16".into()),
        email: Some("ops@acme.example".into()),
        cm_api_code: Some(1),
        ct_api_code: Some(2),
        cu_api_code: Some(3),
        ..android(&format!("a{n}"), &format!("com.acme.a{n}"))
    };
    let codes = [
        create(&api, &full).await,
        create(
            &app.client_v1(),
            &CreateVerifyScheme::ios(&format!("i{n}"), "Demo", &format!("com.acme.i{n}")),
        )
        .await,
        create(
            &api,
            &CreateVerifyScheme::web(
                &format!("w{n}"),
                "Demo",
                &format!("https://w{n}.example/login"),
                &format!("https://w{n}.example"),
            ),
        )
        .await,
        create(
            &api,
            &CreateVerifyScheme {
                hm_app_identifier: Some("5765880207854123456".into()),
                hm_package_name: Some("com.acme.hm".into()),
                hm_sign_name: Some("AB:CD:EF".into()),
                ..CreateVerifyScheme {
                    scheme_name: format!("h{n}"),
                    app_name: "Demo".into(),
                    os_type: "HarmonyOS".into(),
                    ..Default::default()
                }
            },
        )
        .await,
    ];
    let mut keys = Vec::new();
    for code in &codes {
        let (scheme, key) = describe(&api, code).await;
        assert_eq!(&scheme, code);
        assert_eq!(key.len(), 32);
        // The same key every time: it is the scheme's, not drawn per call.
        assert_eq!(describe(&app.client_v1(), code).await.1, key);
        keys.push(key);
    }
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), codes.len(), "each scheme has its own key");

    let r = api.delete_verify_scheme(&codes[0]).await.unwrap();
    assert_eq!(r.code, "OK", "{}", r.message);
    assert_eq!(r.body.result, Some(true));
    for r in [
        api.describe_verify_scheme(&codes[0]).await.unwrap().code,
        api.delete_verify_scheme(&codes[0]).await.unwrap().code,
    ] {
        assert_eq!(r, "isv.VERIFY_SCHEME_NOT_EXIST");
    }
    // The deleted scheme's name and app can be registered again.
    create(&api, &full).await;
}

#[tokio::test]
async fn conflicts_have_their_own_codes() {
    let app = spawn_app().await;
    let api = app.client();
    let n = unique();
    let pack = format!("com.acme.c{n}");
    let bundle = format!("com.acme.ios{n}");
    let url = format!("https://c{n}.example/h5");
    let origin = format!("https://c{n}.example");
    create(&api, &android(&format!("a{n}"), &pack)).await;
    create(
        &api,
        &CreateVerifyScheme::ios(&format!("i{n}"), "Demo", &bundle),
    )
    .await;
    create(
        &api,
        &CreateVerifyScheme::web(&format!("w{n}"), "Demo", &url, &origin),
    )
    .await;

    let cases = [
        (
            android(&format!("a{n}"), "com.other"),
            "isv.VERIFY_SCHEME_CONFLICT",
        ),
        (android(&format!("b{n}"), &pack), "isv.PACK_SIGN_CONFLICT"),
        (
            // The signature is one whatever its case.
            CreateVerifyScheme {
                pack_sign: Some(PACK_SIGN.to_lowercase()),
                ..android(&format!("c{n}"), &pack)
            },
            "isv.PACK_SIGN_CONFLICT",
        ),
        (
            CreateVerifyScheme::ios(&format!("j{n}"), "Demo", &bundle),
            "isv.BUNDLE_ID_CONFLICT",
        ),
        (
            // The same page, spelled with an upper-case host and the default port.
            CreateVerifyScheme::web(
                &format!("x{n}"),
                "Demo",
                &url.replace("https://c", "HTTPS://C")
                    .replace(".example", ".example:443"),
                &origin,
            ),
            "isv.VERIFY_SCHEME_CONFLICT",
        ),
    ];
    for (req, want) in cases {
        assert_eq!(create_code(&api, &req).await, want, "{req:?}");
    }
    // The same package with another signature is another app.
    create(
        &api,
        &CreateVerifyScheme {
            pack_sign: Some("f".repeat(32)),
            ..android(&format!("d{n}"), &pack)
        },
    )
    .await;
}

#[tokio::test]
async fn each_invalid_parameter_has_its_code() {
    let app = spawn_app().await;
    let api = app.client();
    let n = unique();
    let ok = android(&format!("v{n}"), &format!("com.acme.v{n}"));
    let with = |f: &dyn Fn(&mut CreateVerifyScheme)| {
        let mut r = ok.clone();
        f(&mut r);
        r
    };
    let invalid = "isv.INVALID_PARAMETERS";
    let cases: Vec<(CreateVerifyScheme, &str)> = vec![
        (with(&|r| r.scheme_name = "x".repeat(21)), invalid),
        (with(&|r| r.app_name = "x".repeat(65)), invalid),
        (with(&|r| r.os_type = "Windows".into()), invalid),
        (with(&|r| r.pack_name = None), invalid),
        (with(&|r| r.pack_name = Some("com acme".into())), invalid),
        (with(&|r| r.pack_sign = None), invalid),
        (with(&|r| r.pack_sign = Some("xyz".into())), invalid),
        (with(&|r| r.pack_sign = Some("g".repeat(32))), invalid),
        (
            CreateVerifyScheme::ios(&format!("i{n}"), "Demo", "bad/bundle"),
            invalid,
        ),
        (
            CreateVerifyScheme {
                bundle_id: None,
                ..CreateVerifyScheme::ios(&format!("i{n}"), "Demo", "x")
            },
            invalid,
        ),
        (
            CreateVerifyScheme::web(
                &format!("w{n}"),
                "Demo",
                "ftp://a.example/",
                "ftp://a.example",
            ),
            invalid,
        ),
        (
            CreateVerifyScheme::web(
                &format!("w{n}"),
                "Demo",
                "https://a.example/",
                "https://b.example",
            ),
            invalid,
        ),
        (
            CreateVerifyScheme::web(
                &format!("w{n}"),
                "Demo",
                "https://a.example/",
                "http://a.example",
            ),
            invalid,
        ),
        (
            CreateVerifyScheme {
                origin: None,
                ..CreateVerifyScheme::web(&format!("w{n}"), "Demo", "https://a.example/", "x")
            },
            invalid,
        ),
        (
            CreateVerifyScheme {
                scheme_name: format!("h{n}"),
                app_name: "Demo".into(),
                os_type: "HarmonyOS".into(),
                hm_app_identifier: Some("123".into()),
                ..Default::default()
            },
            invalid,
        ),
        (with(&|r| r.auth_type = Some("1,9".into())), invalid),
        (
            with(&|r| r.ip_white_list = Some("10.0.0.300".into())),
            invalid,
        ),
        (
            with(&|r| r.ip_white_list = Some("10.0.0.0/40".into())),
            invalid,
        ),
        (with(&|r| r.email = Some("not-an-email".into())), invalid),
        (with(&|r| r.cm_api_code = Some(-1)), invalid),
        // No carrier account has this code.
        (with(&|r| r.cm_api_code = Some(1)), invalid),
        (with(&|r| r.scene_type = Some("x".repeat(65))), invalid),
        (
            with(&|r| r.sms_sign_name = Some("no such signature".into())),
            "isv.SMS_SIGNATURE_ILLEGAL",
        ),
    ];
    for (req, want) in cases {
        assert_eq!(create_code(&api, &req).await, want, "{req:?}");
    }
    // Nothing of the refused ones was stored: the valid one's name is still free.
    create(&api, &ok).await;

    // Missing required parameters and mistyped integers are gateway errors.
    for (missing, code) in [
        ("SchemeName", "MissingSchemeName"),
        ("AppName", "MissingAppName"),
        ("OsType", "MissingOsType"),
    ] {
        let mut p: std::collections::BTreeMap<String, String> = [
            ("SchemeName", "m"),
            ("AppName", "Demo"),
            ("OsType", "iOS"),
            ("BundleId", "com.m"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        p.remove(missing);
        match api.call::<Value>("CreateVerifyScheme", &p).await {
            Err(numgate_client::ClientError::Api {
                status, code: c, ..
            }) => {
                assert_eq!((status, c.as_str()), (400, code));
            }
            other => panic!("{missing}: {other:?}"),
        }
    }
    let p = [
        ("SchemeName", "m"),
        ("AppName", "Demo"),
        ("OsType", "iOS"),
        ("BundleId", "com.m"),
        ("CuApiCode", "abc"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    match api.call::<Value>("CreateVerifyScheme", &p).await {
        Err(numgate_client::ClientError::Api { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (400, "InvalidParameter"));
        }
        other => panic!("{other:?}"),
    }
    for action in ["DescribeVerifyScheme", "DeleteVerifyScheme"] {
        match api.call::<Value>(action, &Default::default()).await {
            Err(numgate_client::ClientError::Api { status, code, .. }) => {
                assert_eq!((status, code.as_str()), (400, "MissingSchemeCode"));
            }
            other => panic!("{other:?}"),
        }
    }
    let r = api
        .describe_verify_scheme("FC000000000000000")
        .await
        .unwrap();
    assert_eq!(r.code, "isv.VERIFY_SCHEME_NOT_EXIST");
    assert_eq!(r.success, Some(false));
}

/// A second tenant with a key of its own, as `numgate keys create --tenant` makes.
async fn other_tenant(app: &TestApp, name: &str) -> OpenApi {
    let data = numgate_server::open_data_dir(&app.config).await.unwrap();
    let now = app.clock.now_millis();
    let tenant = data.store.ensure_tenant(name, now).await.unwrap();
    let issued = keys::create(
        data.store.as_ref(),
        &data.master_key.secret_box(),
        tenant.id,
        now,
    )
    .await
    .unwrap();
    OpenApi::new(&app.endpoint, &issued.id, &issued.secret)
}

#[tokio::test]
async fn another_tenants_scheme_is_not_visible_and_not_a_conflict() {
    let app = spawn_app().await;
    let api = app.client();
    let other = other_tenant(&app, "other-tenant").await;
    let n = unique();
    let req = android(&format!("t{n}"), &format!("com.acme.t{n}"));
    let mine = create(&api, &req).await;
    // The same name and app in another tenant: no conflict.
    let theirs = create(&other, &req).await;
    assert_ne!(mine, theirs);

    let r = other.describe_verify_scheme(&mine).await.unwrap();
    assert_eq!(r.code, "isv.VERIFY_SCHEME_NOT_EXIST");
    let r = other.delete_verify_scheme(&mine).await.unwrap();
    assert_eq!(r.code, "isv.VERIFY_SCHEME_NOT_EXIST");
    // Still there for its owner.
    assert_eq!(describe(&api, &mine).await.0, mine);
}

/// Runs `tests/sdk/sdk_client.py` (the official Python SDK) with `calls`; `None`
/// when there is no venv (outside CI), as the tests of `sdk.rs` do.
async fn official_sdk(app: &TestApp, algorithm: &str, calls: &[String]) -> Option<Vec<Value>> {
    let venv = match std::env::var_os("NUMGATE_VENV") {
        Some(v) => std::path::PathBuf::from(v),
        None => std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv"),
    };
    let python = venv.join("bin/python");
    if !python.is_file() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI must run the SDK tests"
        );
        println!("skipped: no Python venv with the official SDK");
        return None;
    }
    let script =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/sdk_client.py");
    let mut cmd = tokio::process::Command::new(python);
    cmd.arg(script)
        .args(["--endpoint", app.endpoint.trim_start_matches("http://")])
        .arg(format!("--key-id={}", app.key_id))
        .arg(format!("--key-secret={}", app.key_secret))
        .args(["--algorithm", algorithm])
        .args(calls)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .kill_on_drop(true);
    for v in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        cmd.env_remove(v).env_remove(v.to_lowercase());
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(120), cmd.output())
        .await
        .expect("sdk_client.py finishes within 120 s")
        .expect("start the venv's python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "sdk_client.py {calls:?}: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(results.len(), calls.len(), "{stdout}");
    Some(results)
}

/// An answer the SDK decoded into its model, dropping or mistyping nothing.
fn assert_sdk_answer(r: &Value, code: &str) {
    assert!(r.get("error").is_none(), "not an SDK exception: {r}");
    assert_ne!(
        r["decode_error"], true,
        "the SDK's model decodes the body: {r}"
    );
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["code"], code, "{r}");
    assert_eq!(r["wrong_type"], serde_json::json!([]), "{r}");
}

#[tokio::test]
async fn the_official_sdk_creates_describes_and_deletes_schemes() {
    let app = spawn_app().await;
    for algorithm in ["v3", "v2"] {
        let n = unique();
        let calls = [
            format!("create-android:a{n},com.sdk.a{n},{PACK_SIGN}"),
            "describe:@scheme".to_owned(),
            "delete:@scheme".to_owned(),
            "describe:@scheme".to_owned(),
            format!("create-ios:i{n},com.sdk.i{n}"),
            format!("create-web:w{n},https://w{n}.example/,https://w{n}.example"),
            format!("create-android:b{n},com.sdk.a{n},{PACK_SIGN}"),
            format!("create-ios:j{n},com.sdk.i{n}"),
        ];
        let Some(r) = official_sdk(&app, algorithm, &calls).await else {
            return;
        };
        assert_sdk_answer(&r[0], "OK");
        assert_eq!(r[0]["ignored"], serde_json::json!([]), "{}", r[0]);
        assert_eq!(r[0]["success"], true, "{}", r[0]);
        assert_eq!(r[0]["body"]["http_status_code"], 200, "{}", r[0]);
        let code = r[0]["body"]["gate_verify_scheme_dto"]["scheme_code"]
            .as_str()
            .unwrap_or_else(|| panic!("a SchemeCode in the SDK model: {}", r[0]));
        assert!(code.starts_with("FC") && code.len() == 17, "{code}");

        assert_sdk_answer(&r[1], "OK");
        assert_eq!(r[1]["ignored"], serde_json::json!([]), "{}", r[1]);
        let info = r[1]["body"]["scheme_query_result_dto"]["app_encrypt_info"]
            .as_str()
            .unwrap_or_else(|| panic!("an AppEncryptInfo in the SDK model: {}", r[1]));
        let json: Value = serde_json::from_slice(&STANDARD.decode(info).unwrap()).unwrap();
        assert_eq!(json["scheme"], code, "{json}");

        assert_sdk_answer(&r[2], "OK");
        assert_eq!(r[2]["ignored"], serde_json::json!([]), "{}", r[2]);
        assert_eq!(r[2]["body"]["result"], true, "{}", r[2]);
        assert_sdk_answer(&r[3], "isv.VERIFY_SCHEME_NOT_EXIST");

        assert_sdk_answer(&r[4], "OK");
        assert_sdk_answer(&r[5], "OK");
        // The first Android scheme was deleted: its package is free again.
        assert_sdk_answer(&r[6], "OK");
        assert_sdk_answer(&r[7], "isv.BUNDLE_ID_CONFLICT");
        assert_eq!(r[7]["success"], false, "{}", r[7]);
    }
}
