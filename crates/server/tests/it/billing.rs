//! QueryGateVerifyBillingPublic and the quota check over HTTP: successes charged
//! to a resource plan first and then at the price list, failures never;
//! refuse-when-empty tenants get isv.OUT_OF_SERVICE once their plan is used up.

use numgate_client::SendSmsVerifyCode;
use numgate_domain::clock::Clock;
use numgate_domain::stats::{Day, Method};
use numgate_store::NewPlan;
use serde_json::Value;

use crate::carriers::{call, world};
use crate::helpers::{phone, spawn_app_with, texted_code, TestApp, SIGN, TEMPLATE};

/// This month in the server's calendar, as `yyyyMM`.
fn this_month(app: &TestApp) -> String {
    let offset = i64::from(app.config.sms.utc_offset_hours) * 3_600_000;
    Day::of(app.clock.now_millis(), offset)
        .month()
        .replace('-', "")
}

async fn add_plan(app: &TestApp, method: Method, total: u64) {
    let data = numgate_server::open_data_dir(&app.config).await.unwrap();
    let tenant = data.store.find_tenant("default").await.unwrap().unwrap();
    let now = app.clock.now_millis();
    data.store
        .add_plan(NewPlan {
            tenant_id: tenant.id,
            method,
            total,
            valid_from: now - 1_000,
            valid_until: now + 86_400_000,
            created_at: now,
        })
        .await
        .unwrap();
}

async fn bill(app: &TestApp, kind: &str) -> Value {
    let month = this_month(app);
    let r = call(
        &app.client(),
        "QueryGateVerifyBillingPublic",
        &[("AuthenticationType", kind), ("Month", &month)],
    )
    .await;
    assert_eq!(r["Code"], "OK", "{r}");
    r["Data"].clone()
}

#[tokio::test]
async fn only_successes_are_billed_after_the_plan_is_used() {
    let w = world().await;
    let api = w.app.client();
    add_plan(&w.app, Method::OneClick, 1).await;
    for _ in 0..3 {
        let t = w.mint("cm", &w.cm_token("login").await, "login").await;
        let r = call(&api, "GetMobile", &[("AccessToken", &t)]).await;
        assert_eq!(r["Code"], "OK", "{r}");
    }
    // A PASS is billed; another carrier's number (a failure) is not.
    for number in ["13800000031", "13000000031"] {
        let t = w.mint("cm", &w.cm_token("verify").await, "verify").await;
        call(
            &api,
            "VerifyMobile",
            &[("AccessCode", &t), ("PhoneNumber", number)],
        )
        .await;
    }

    let one_click = bill(&w.app, "1").await;
    let lines = one_click["SceneBillingList"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{one_click}");
    let l = &lines[0];
    assert_eq!(l["SceneCode"], w.scheme.as_str());
    assert_eq!(l["SceneName"], "login");
    assert_eq!(l["AppName"], "Acme");
    assert_eq!(l["ItemName"], "一键登录");
    // Three successes: one from the plan, two paid at 0.03.
    assert_eq!(
        (&l["Add"], &l["SinglePrice"], &l["Amount"]),
        (
            &Value::from("3"),
            &Value::from("0.03"),
            &Value::from("0.06")
        ),
        "{one_click}"
    );
    assert_eq!(one_click["AmountSum"], "0.06");
    let check = bill(&w.app, "0").await;
    assert_eq!(check["SceneBillingList"][0]["Add"], "1", "{check}");
    assert_eq!(check["AmountSum"], "0.02", "{check}");
    let all = bill(&w.app, "2").await;
    assert_eq!(all["AmountSum"], "0.08", "{all}");
    assert_eq!(all["SceneBillingList"].as_array().unwrap().len(), 2);
    let liveness = bill(&w.app, "3").await;
    assert_eq!(liveness["AmountSum"], "0", "{liveness}");

    for (kind, month) in [("9", "202603"), ("1", "2026-03"), ("1", "202613")] {
        let r = call(
            &api,
            "QueryGateVerifyBillingPublic",
            &[("AuthenticationType", kind), ("Month", month)],
        )
        .await;
        assert_eq!(r["Code"], "isv.INVALID_PARAMETERS", "{r}");
    }
}

#[tokio::test]
async fn a_tenant_refused_when_empty_is_out_of_service_once_its_plan_is_used() {
    let app = spawn_app_with(|c| c.billing.refuse_when_empty = vec!["default".into()]).await;
    let api = app.client();
    let send = |n: String| {
        let api = api.clone();
        async move {
            api.send_sms_verify_code(&SendSmsVerifyCode::new(&n, SIGN, TEMPLATE))
                .await
                .unwrap()
        }
    };
    // No plan at all: refused before anything is sent.
    let r = send(phone()).await;
    assert_eq!(r.code, "isv.OUT_OF_SERVICE", "{}", r.message);

    add_plan(&app, Method::Sms, 1).await;
    let first = phone();
    let r = send(first.clone()).await;
    assert_eq!(r.code, "OK", "{}", r.message);
    // Its delivered segment uses the plan up.
    texted_code(&app, &first).await;
    let mut refused = None;
    for _ in 0..100 {
        let r = send(phone()).await;
        if r.code != "OK" {
            refused = Some(r.code);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(refused.as_deref(), Some("isv.OUT_OF_SERVICE"));
    let sms = bill(&app, "4").await;
    let l = &sms["SceneBillingList"][0];
    assert_eq!(l["ItemName"], "短信认证", "{sms}");
    assert_eq!(l["SinglePrice"], "0.045", "{sms}");
}
