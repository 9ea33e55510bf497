//! QueryGateVerifyStatisticPublic over HTTP: real attempts (one-click and number
//! check against the carrier simulator, H5, SMS through the outbox, Fusion-Auth
//! scenes) counted by method, scheme, OS type, scene and day.

use numgate_client::SendSmsVerifyCode;
use numgate_domain::clock::Clock;
use numgate_domain::stats::Day;
use serde_json::{json, Value};

use crate::carriers::{call, world, SITE};
use crate::helpers::{phone, spawn_app, texted_code, TestApp, SIGN, TEMPLATE};

const HOUR_MS: i64 = 3_600_000;

/// Today in the server's calendar (`sms.utc_offset_hours`, 8 by default).
fn today(app: &TestApp) -> Day {
    Day::of(
        app.clock.now_millis(),
        i64::from(app.config.sms.utc_offset_hours) * HOUR_MS,
    )
}

async fn stats(app: &TestApp, kind: &str, from: Day, to: Day, extra: &[(&str, &str)]) -> Value {
    let (from, to) = (from.compact(), to.compact());
    let mut params = vec![
        ("AuthenticationType", kind),
        ("StartDate", from.as_str()),
        ("EndDate", to.as_str()),
    ];
    params.extend_from_slice(extra);
    let r = call(&app.client(), "QueryGateVerifyStatisticPublic", &params).await;
    assert_eq!(r["Code"], "OK", "{r}");
    r["Data"].clone()
}

/// `(date, success, fail, unknown)` of each day.
fn days(data: &Value) -> Vec<(String, u64, u64, u64)> {
    data["DayStatistic"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["StatisticDateStr"].as_str().unwrap().to_owned(),
                d["TotalSuccess"].as_u64().unwrap(),
                d["TotalFail"].as_u64().unwrap(),
                d["TotalUnknown"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn one_click_and_number_check_attempts_are_counted_by_method_os_scheme_and_day() {
    let w = world().await;
    let api = w.app.client();
    let day1 = today(&w.app);
    // Day 1: two one-click logons; number checks PASS, REJECT (both answers),
    // a number of another carrier (fail) and a carrier timeout (unknown).
    for _ in 0..2 {
        let t = w.mint("cm", &w.cm_token("login").await, "login").await;
        let r = call(&api, "GetMobile", &[("AccessToken", &t)]).await;
        assert_eq!(r["Code"], "OK", "{r}");
    }
    for number in ["13800000031", "13800000099", "13000000031"] {
        let t = w.mint("cm", &w.cm_token("verify").await, "verify").await;
        call(
            &api,
            "VerifyMobile",
            &[("AccessCode", &t), ("PhoneNumber", number)],
        )
        .await;
    }
    let fault = json!({"carrier": "cm", "endpoint": "verify", "fault": "timeout", "times": 1});
    reqwest::Client::new()
        .post(format!("{}/control/faults", w.sim))
        .bearer_auth("ctl")
        .json(&fault)
        .send()
        .await
        .unwrap();
    let t = w.mint("cm", &w.cm_token("verify").await, "verify").await;
    let r = call(
        &api,
        "VerifyMobile",
        &[("AccessCode", &t), ("PhoneNumber", "13800000031")],
    )
    .await;
    assert_eq!(r["GateVerifyResultDTO"]["VerifyResult"], "UNKNOWN", "{r}");
    // A token that does not open names no scheme: not counted.
    let r = call(&api, "GetMobile", &[("AccessToken", "garbage")]).await;
    assert_eq!(r["Code"], "isv.TOKEN_INVALID", "{r}");

    // Day 2: one app one-click, and from the web an H5 one-click and an H5 check.
    w.app.clock.advance_secs(24 * 3600);
    let day2 = today(&w.app);
    assert_eq!(day2, day1.plus(1));
    let api = w.app.client();
    let t = w.mint("cm", &w.cm_token("login").await, "login").await;
    call(&api, "GetMobile", &[("AccessToken", &t)]).await;
    let web = w.web_scheme().await;
    let tokens = w.auth_tokens(&web, "1").await;
    let (_, body) = w.confirm(&tokens, "0000", SITE).await;
    let r = call(
        &api,
        "GetPhoneWithToken",
        &[("SpToken", body["SpToken"].as_str().unwrap())],
    )
    .await;
    assert_eq!(r["Data"]["Mobile"], "13800000031", "{r}");
    let tokens = w.auth_tokens(&web, "0").await;
    let (_, body) = w.confirm(&tokens, "0000", SITE).await;
    let r = call(
        &api,
        "VerifyPhoneWithToken",
        &[
            ("PhoneNumber", "13800000031"),
            ("SpToken", body["SpToken"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(r["GateVerify"]["VerifyResult"], "PASS", "{r}");

    let (d1, d2) = (day1.compact(), day2.compact());
    let one_click = stats(&w.app, "1", day1, day2, &[]).await;
    assert_eq!(
        days(&one_click),
        vec![(d1.clone(), 2, 0, 0), (d2.clone(), 2, 0, 0)]
    );
    assert_eq!(
        (&one_click["Total"], &one_click["TotalSuccess"]),
        (&json!(4), &json!(4))
    );
    let check = stats(&w.app, "2", day1, day2, &[]).await;
    assert_eq!(
        days(&check),
        vec![(d1.clone(), 2, 1, 1), (d2.clone(), 1, 0, 0)]
    );
    assert_eq!(
        (
            &check["Total"],
            &check["TotalSuccess"],
            &check["TotalFail"],
            &check["TotalUnknown"]
        ),
        (&json!(5), &json!(3), &json!(1), &json!(1))
    );
    // By OS type (the scheme's) and by scheme (SceneCode).
    let from_web = stats(&w.app, "1", day1, day2, &[("OsType", "Web")]).await;
    assert_eq!(
        days(&from_web),
        vec![(d1.clone(), 0, 0, 0), (d2.clone(), 1, 0, 0)]
    );
    let android = stats(&w.app, "2", day1, day2, &[("SceneCode", &w.scheme)]).await;
    assert_eq!(
        days(&android),
        vec![(d1.clone(), 2, 1, 1), (d2.clone(), 0, 0, 0)]
    );
    // Only day 2; liveness has nothing.
    let only2 = stats(&w.app, "1", day2, day2, &[]).await;
    assert_eq!(days(&only2), vec![(d2.clone(), 2, 0, 0)]);
    let liveness = stats(&w.app, "4", day1, day2, &[]).await;
    assert_eq!(days(&liveness), vec![(d1, 0, 0, 0), (d2, 0, 0, 0)]);
    assert_eq!(liveness["Total"], 0);
}

#[tokio::test]
async fn sms_codes_are_counted_when_delivered() {
    let app = spawn_app().await;
    let api = app.client();
    let numbers = [phone(), phone(), phone()];
    for n in &numbers {
        let r = api
            .send_sms_verify_code(&SendSmsVerifyCode::new(n, SIGN, TEMPLATE))
            .await
            .unwrap();
        assert_eq!(r.code, "OK", "{}", r.message);
    }
    // The outbox channel delivers each one: then it is a success.
    for n in &numbers {
        texted_code(&app, n).await;
    }
    let day = today(&app);
    let mut data = Value::Null;
    for _ in 0..100 {
        data = stats(&app, "3", day, day, &[]).await;
        if data["TotalSuccess"] == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(days(&data), vec![(day.compact(), 3, 0, 0)], "{data}");
    // SMS has no OS type of its own.
    let data = stats(&app, "3", day, day, &[("OsType", "unknown")]).await;
    assert_eq!(data["TotalSuccess"], 3, "{data}");
    let data = stats(&app, "3", day, day, &[("OsType", "Android")]).await;
    assert_eq!(data["Total"], 0, "{data}");
}

#[tokio::test]
async fn fusion_scenes_are_counted_by_scene_passed_or_refused() {
    use crate::fusion::{world, Phone};
    let w = world().await;
    let mut logon = Phone::new(&w, "127.0.0.41");
    let first = logon.start(&w.token, "100001", json!({})).await;
    let token = logon.carrier_token(&first, "login").await;
    let done = logon.step(token).await;
    assert_eq!(done["Step"], "done", "{done}");
    // A recently swapped SIM may not become an account's new number: refused.
    let mut swapped = Phone::new(&w, "127.0.0.43");
    let v = swapped
        .start(&w.token, "100002", json!({"Number": "13800000043"}))
        .await;
    assert_eq!(v["Step"], "refused", "{v}");

    let day = today(&w.app);
    let d = day.compact();
    let all = stats(&w.app, "5", day, day, &[]).await;
    assert_eq!(days(&all), vec![(d.clone(), 1, 1, 0)], "{all}");
    let scene = stats(&w.app, "5", day, day, &[("SceneCode", "100001")]).await;
    assert_eq!(days(&scene), vec![(d.clone(), 1, 0, 0)], "{scene}");
    let scene = stats(&w.app, "5", day, day, &[("SceneCode", "100002")]).await;
    assert_eq!(days(&scene), vec![(d.clone(), 0, 1, 0)], "{scene}");
    let android = stats(&w.app, "5", day, day, &[("OsType", "Android")]).await;
    assert_eq!(android["Total"], 2, "{android}");
}

#[tokio::test]
async fn bad_statistics_queries_get_clear_errors() {
    let app = spawn_app().await;
    let api = app.client();
    let cases: [&[(&str, &str)]; 7] = [
        &[("StartDate", "20260101"), ("EndDate", "20260102")],
        &[
            ("AuthenticationType", "9"),
            ("StartDate", "20260101"),
            ("EndDate", "20260102"),
        ],
        &[
            ("AuthenticationType", "1"),
            ("StartDate", "2026-01-01"),
            ("EndDate", "20260102"),
        ],
        &[
            ("AuthenticationType", "1"),
            ("StartDate", "20260230"),
            ("EndDate", "20260302"),
        ],
        &[
            ("AuthenticationType", "1"),
            ("StartDate", "20260105"),
            ("EndDate", "20260101"),
        ],
        &[
            ("AuthenticationType", "1"),
            ("StartDate", "20260101"),
            ("EndDate", "20260402"),
        ],
        &[
            ("AuthenticationType", "1"),
            ("StartDate", "20260101"),
            ("EndDate", "20260102"),
            ("OsType", "Symbian"),
        ],
    ];
    for (i, params) in cases.iter().enumerate() {
        let p = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (status, body) = api
            .call_raw("QueryGateVerifyStatisticPublic", &p)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        let code = body["Code"].as_str().unwrap();
        assert!(
            (i == 0 && code.starts_with("Missing")) || code == "isv.INVALID_PARAMETERS",
            "case {i}: {status} {body}"
        );
        assert!(!body["Message"].as_str().unwrap().is_empty(), "{body}");
    }
    // 90 days inclusive is allowed.
    let r = call(
        &api,
        "QueryGateVerifyStatisticPublic",
        &[
            ("AuthenticationType", "3"),
            ("StartDate", "20260101"),
            ("EndDate", "20260331"),
        ],
    )
    .await;
    assert_eq!(r["Data"]["DayStatistic"].as_array().unwrap().len(), 90);
}
