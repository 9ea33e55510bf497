//! SMS anti-pumping over HTTP: the prefix cap and its block, the country cap, the
//! conversion throttle and the tenant's daily budget, on the fake clock.

use numgate_client::{CheckSmsVerifyCode, OpenApi, QuerySendDetails, SendSmsVerifyCode};
use numgate_domain::clock::Clock;
use numgate_server::DEFAULT_TENANT;

use crate::helpers::{spawn_app_with, TestApp, SIGN, TEMPLATE};

/// The n-th number of a prefix of seven digits (national numbers of 11).
fn in_prefix(prefix: &str, n: u32) -> String {
    format!("{prefix}{n:04}")
}

fn send_req(phone: &str) -> SendSmsVerifyCode {
    SendSmsVerifyCode {
        return_verify_code: Some(true),
        interval: Some(0),
        ..SendSmsVerifyCode::new(phone, SIGN, TEMPLATE)
    }
}

/// The answer's code and message; the code (if sent) in `Ok`.
async fn send(api: &OpenApi, phone: &str) -> Result<String, (String, String)> {
    let r = api.send_sms_verify_code(&send_req(phone)).await.unwrap();
    if r.code == "OK" {
        Ok(r.body.model.unwrap().verify_code.unwrap())
    } else {
        assert_eq!(r.success, Some(false), "{}", r.code);
        Err((r.code, r.message))
    }
}

async fn sent_ok(api: &OpenApi, phone: &str) -> String {
    send(api, phone)
        .await
        .unwrap_or_else(|(code, message)| panic!("{phone}: {code} {message}"))
}

async fn refused(api: &OpenApi, phone: &str) -> (String, String) {
    match send(api, phone).await {
        Ok(_) => panic!("{phone}: sent, expected a refusal"),
        Err(e) => e,
    }
}

/// The number's send records of the server's local day.
async fn records(app: &TestApp, phone: &str) -> u64 {
    let today = chrono::DateTime::from_timestamp_millis(app.clock.now_millis())
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y%m%d")
        .to_string();
    let r = app
        .client()
        .query_send_details(&QuerySendDetails {
            phone_number: phone.to_owned(),
            send_date: today,
            page_size: 10,
            current_page: 1,
            biz_id: None,
        })
        .await
        .unwrap();
    assert_eq!(r.code, "OK", "{}", r.message);
    r.body.total_count
}

async fn metrics(app: &TestApp) -> String {
    reqwest::get(format!("{}/metrics", app.endpoint))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_burst_to_one_prefix_is_refused_at_the_cap_and_blocked_for_twelve_hours() {
    let app = spawn_app_with(|c| c.sms.prefix_hourly_cap = 3).await;
    let api = app.client();
    for n in 0..3 {
        sent_ok(&api, &in_prefix("1380013", n)).await;
    }
    let fourth = in_prefix("1380013", 3);
    let (code, message) = refused(&api, &fourth).await;
    assert_eq!(code, "isv.BUSINESS_LIMIT_CONTROL");
    assert!(message.contains("range"), "{message}");
    assert!(!message.contains("1380013"), "names no number: {message}");
    assert_eq!(
        records(&app, &fourth).await,
        0,
        "a refusal leaves no record"
    );
    assert!(metrics(&app)
        .await
        .contains("numgate_sms_refused_total{reason=\"prefix_cap\"}"));

    // Other prefixes are not affected.
    sent_ok(&api, &in_prefix("1380014", 0)).await;

    // After the hour the cap would allow it; the block does not, also after a restart.
    app.clock.advance_secs(3_601);
    let app = app.restart().await;
    let api = app.client();
    let (code, message) = refused(&api, &fourth).await;
    assert_eq!(code, "isv.BUSINESS_LIMIT_CONTROL");
    assert!(message.contains("blocked"), "{message}");
    assert_eq!(records(&app, &fourth).await, 0);
    sent_ok(&api, &in_prefix("1380014", 1)).await;

    // 12 hours after the block: open again.
    app.clock.advance_secs(12 * 3_600 - 3_601 - 1);
    assert_eq!(refused(&api, &fourth).await.0, "isv.BUSINESS_LIMIT_CONTROL");
    app.clock.advance_secs(2);
    sent_ok(&api, &fourth).await;
    assert_eq!(records(&app, &fourth).await, 1);
}

#[tokio::test]
async fn the_daily_budget_refuses_with_day_limit_control_and_the_next_day_is_open() {
    let app = spawn_app_with(|c| {
        c.sms.daily_budget = 100;
        c.sms.tenant_budgets.insert(DEFAULT_TENANT.to_owned(), 3);
    })
    .await;
    let api = app.client();
    for n in 0..3 {
        sent_ok(&api, &format!("13{n}00130000")).await;
    }
    let next = "15000130000";
    let r = api.send_sms_verify_code(&send_req(next)).await.unwrap();
    assert_eq!(r.code, "isv.DAY_LIMIT_CONTROL", "{}", r.message);
    assert_eq!(r.success, Some(false));
    assert!(r.message.contains("budget"), "{}", r.message);
    assert_eq!(records(&app, next).await, 0);

    // The next day of the tenant's calendar (UTC+8).
    let day = 86_400_000;
    let local = app.clock.now_millis() + 8 * 3_600_000;
    let to_midnight = day - local.rem_euclid(day);
    app.clock.advance_secs(to_midnight / 1000 - 1);
    assert_eq!(refused(&api, next).await.0, "isv.DAY_LIMIT_CONTROL");
    app.clock.advance_secs(2);
    sent_ok(&api, next).await;
}

#[tokio::test]
async fn the_country_cap_refuses_further_sends_to_the_country_for_the_hour() {
    let app = spawn_app_with(|c| c.sms.country_hourly_cap = 2).await;
    let api = app.client();
    sent_ok(&api, "13800130000").await;
    sent_ok(&api, "13900140000").await;
    let (code, message) = refused(&api, "15000150000").await;
    assert_eq!(code, "isv.BUSINESS_LIMIT_CONTROL");
    assert!(message.contains("country"), "{message}");
    assert_eq!(records(&app, "15000150000").await, 0);
    app.clock.advance_secs(3_600);
    sent_ok(&api, "15000150000").await;
}

#[tokio::test]
async fn verified_codes_keep_a_prefix_out_of_the_conversion_throttle_and_unverified_put_it_in() {
    let app = spawn_app_with(|c| {
        c.sms.conversion_min_volume = 4;
        c.sms.conversion_threshold = 0.5;
        c.sms.throttled_prefix_hourly_cap = 2;
    })
    .await;
    let api = app.client();
    for n in 0..4 {
        let verified = in_prefix("1380013", n);
        let code = sent_ok(&api, &verified).await;
        let r = api
            .check_sms_verify_code(&CheckSmsVerifyCode::new(&verified, &code))
            .await
            .unwrap();
        assert_eq!(r.body.model.unwrap().verify_result, "PASS");
        sent_ok(&api, &in_prefix("1390013", n)).await;
    }
    // 4 of 4 verified: the normal cap (100) applies.
    sent_ok(&api, &in_prefix("1380013", 4)).await;
    // 0 of 4: throttled to 2 an hour, already sent 4 this hour.
    let unverified = in_prefix("1390013", 4);
    let (code, message) = refused(&api, &unverified).await;
    assert_eq!(code, "isv.BUSINESS_LIMIT_CONTROL");
    assert!(message.contains("verified"), "{message}");
    assert_eq!(records(&app, &unverified).await, 0);
    let m = metrics(&app).await;
    assert!(
        m.contains("numgate_sms_refused_total{reason=\"conversion_throttle\"}"),
        "{m}"
    );
    assert!(m.contains("numgate_sms_conversion_alarm_timestamp_seconds"));
}
