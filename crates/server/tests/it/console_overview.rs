//! The console's overview: the figures behind its cards and charts come from the
//! same rollups as QueryGateVerifyStatisticPublic and follow real attempts; in
//! headless Chromium the chart shows attempts just made; the API & SDK area
//! hands out the H5 SDK, the Client API's OpenAPI document and the reference.

use std::time::{Duration, Instant};

use numgate_client::SendSmsVerifyCode;
use numgate_server::DEFAULT_TENANT;
use reqwest::StatusCode;
use serde_json::Value;

use crate::console::{add_user, console_app, signed_in_browser, wait_text, Browser, PASSWORD};
use crate::helpers::{phone, texted_code, TestApp, SIGN, TEMPLATE};

/// Sends `n` codes through the Open API (the outbox delivers them).
async fn send_codes(app: &TestApp, n: usize) {
    for _ in 0..n {
        let number = phone();
        let r = app
            .client()
            .send_sms_verify_code(&SendSmsVerifyCode::new(&number, SIGN, TEMPLATE))
            .await
            .unwrap();
        assert_eq!(r.code, "OK", "{}", r.message);
        texted_code(app, &number).await;
    }
}

fn method<'a>(overview: &'a Value, name: &str) -> &'a Value {
    overview["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["method"] == name)
        .unwrap()
}

/// Polls the overview until today's SMS successes reach `n` (a send's status
/// becomes final in the dispatcher's own transaction, after the outbox took it).
async fn overview_with_sms_successes(b: &mut Browser, n: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, o) = b.json("/console/api/overview").await;
        assert_eq!(status, StatusCode::OK, "{o}");
        if method(&o, "sms")["today"]["success"] == n {
            return o;
        }
        assert!(Instant::now() < deadline, "{o}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_overview_counts_todays_and_30_days_attempts_per_method() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let mut b = Browser::new(&app);
    assert_eq!(b.sign_in("alice", PASSWORD).await.0, StatusCode::SEE_OTHER);

    let (_, empty) = b.json("/console/api/overview").await;
    assert_eq!(empty["methods"].as_array().unwrap().len(), 4);
    let sms = method(&empty, "sms");
    assert_eq!(sms["days"].as_array().unwrap().len(), 30);
    assert_eq!(sms["today"]["attempts"], 0);
    assert_eq!(sms["today"]["rate"], Value::Null);

    // Three codes yesterday, two today.
    send_codes(&app, 3).await;
    overview_with_sms_successes(&mut b, 3).await;
    app.clock.advance_secs(86_400);
    // (The session idled out meanwhile.)
    assert_eq!(b.sign_in("alice", PASSWORD).await.0, StatusCode::SEE_OTHER);
    send_codes(&app, 2).await;
    let o = overview_with_sms_successes(&mut b, 2).await;
    let sms = method(&o, "sms");
    assert_eq!(sms["today"]["attempts"], 2);
    assert_eq!(sms["today"]["rate"], 100.0);
    assert_eq!(sms["total"]["attempts"], 5);
    let days = sms["days"].as_array().unwrap();
    assert_eq!(days[29]["day"], o["today"]);
    assert_eq!(
        (days[28]["success"].as_u64(), days[29]["success"].as_u64()),
        (Some(3), Some(2))
    );
    // The same figures as the Open API's statistics action for those days.
    let compact = |d: &Value| d.as_str().unwrap().replace('-', "");
    let r = crate::carriers::call(
        &app.client(),
        "QueryGateVerifyStatisticPublic",
        &[
            ("AuthenticationType", "3"),
            ("StartDate", &compact(&days[28]["day"])),
            ("EndDate", &compact(&days[29]["day"])),
        ],
    )
    .await;
    assert_eq!(r["Data"]["TotalSuccess"], 5, "{r}");
    assert_eq!(method(&o, "one_click")["total"]["attempts"], 0);

    // 31 days later, the first three have left the 30-day window.
    app.clock.advance_secs(29 * 86_400);
    assert_eq!(b.sign_in("alice", PASSWORD).await.0, StatusCode::SEE_OTHER);
    let (_, later) = b.json("/console/api/overview").await;
    assert_eq!(method(&later, "sms")["total"]["attempts"], 2);
    assert_eq!(method(&later, "sms")["today"]["attempts"], 0);
}

#[tokio::test]
async fn the_api_and_sdk_area_hands_out_the_sdk_the_client_openapi_and_the_reference() {
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let mut b = Browser::new(&app);
    assert_eq!(b.sign_in("alice", PASSWORD).await.0, StatusCode::SEE_OTHER);
    let (_, overview) = b.text("/console").await;
    for link in [
        "/client/v1/h5/sdk.js",
        "/client/v1/openapi.json",
        "/console/reference",
    ] {
        assert!(overview.contains(&format!("href=\"{link}\"")), "{link}");
        let res = b.get(link).await;
        assert_eq!(res.status(), StatusCode::OK, "{link}");
    }
    let (_, reference) = b.text("/console/reference").await;
    for action in [
        "SendSmsVerifyCode",
        "QueryGateVerifyBillingPublic",
        "GetMobile",
    ] {
        assert!(
            reference.contains(&format!("id=\"action-{action}\"")),
            "{action}"
        );
    }
    assert!(reference.contains("ACS3-HMAC-SHA256"));
}

#[tokio::test]
async fn in_a_real_browser_the_overview_chart_reflects_attempts_just_made() {
    let Some(path) = crate::browser::chromedriver() else {
        return;
    };
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let (_driver, c, _profile) = signed_in_browser(&path, &app, "alice").await;
    assert_eq!(
        wait_text(&c, "#today-sms-attempts", |t| !t.is_empty()).await,
        "0"
    );
    assert_eq!(
        wait_text(&c, "#today-sms-rate", |t| !t.is_empty()).await,
        "—"
    );

    send_codes(&app, 3).await;
    // Wait for the three to be final, then load the page again.
    let mut b = Browser::new(&app);
    b.sign_in("alice", PASSWORD).await;
    let o = overview_with_sms_successes(&mut b, 3).await;
    c.refresh().await.unwrap();
    assert_eq!(
        wait_text(&c, "#today-sms-attempts", |t| t != "0").await,
        "3"
    );
    assert_eq!(
        wait_text(&c, "#today-sms-rate", |t| t != "—").await,
        "100.0%"
    );
    // Today's bar in the SMS chart carries the three attempts, and has a drawn
    // success bar; yesterday's has none.
    let today = o["today"].as_str().unwrap();
    let bar = c
        .find(fantoccini::Locator::Css(&format!(
            "#chart-sms g.day[data-day=\"{today}\"]"
        )))
        .await
        .unwrap();
    assert_eq!(
        bar.attr("data-attempts").await.unwrap().as_deref(),
        Some("3")
    );
    assert_eq!(
        bar.attr("data-success").await.unwrap().as_deref(),
        Some("3")
    );
    let drawn = c
        .find_all(fantoccini::Locator::Css(&format!(
            "#chart-sms g.day[data-day=\"{today}\"] rect.bar"
        )))
        .await
        .unwrap();
    assert_eq!(drawn.len(), 1);
    let all_bars = c
        .find_all(fantoccini::Locator::Css("#chart-sms rect.bar"))
        .await
        .unwrap();
    assert_eq!(all_bars.len(), 1, "only today has attempts");
    // The other methods' charts have no bars.
    let one_click = c
        .find_all(fantoccini::Locator::Css("#chart-one_click rect.bar"))
        .await
        .unwrap();
    assert!(one_click.is_empty());
    c.close().await.unwrap();
}
