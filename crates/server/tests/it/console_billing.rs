//! The console's billing section, over HTTP and in headless Chromium: the price
//! list, resource plans and what remains, monthly bills with the Open API's
//! figures, and adding a plan (operators only, validated, audited).

use numgate_client::SendSmsVerifyCode;
use numgate_domain::clock::Clock;
use numgate_domain::stats::{Day, Method};
use numgate_server::service::audit::Actor;
use numgate_server::service::billing::{self, PlanInput};
use numgate_server::DEFAULT_TENANT;
use reqwest::StatusCode;
use serde_json::json;

use crate::carriers::{call, world};
use crate::console::{add_user, console_app, signed_in_browser, wait_text, Browser, PASSWORD};
use crate::console_risk::post_json;
use crate::helpers::{phone, texted_code, TestApp, SIGN, TEMPLATE};

fn today(app: &TestApp) -> Day {
    let offset = i64::from(app.config.sms.utc_offset_hours) * 3_600_000;
    Day::of(app.clock.now_millis(), offset)
}

async fn signed_in(app: &TestApp, name: &str) -> Browser {
    let mut b = Browser::new(app);
    assert_eq!(
        b.sign_in(name, PASSWORD).await.0,
        StatusCode::SEE_OTHER,
        "{name}"
    );
    b
}

/// A decimal yuan string in 1/10000 yuan, exactly: `0.03` and `0.0300` are 300.
fn units(yuan: &str) -> u64 {
    let (whole, frac) = yuan.split_once('.').unwrap_or((yuan, ""));
    assert!(frac.len() <= 4, "{yuan}");
    whole.parse::<u64>().unwrap() * 10_000 + format!("{frac:0<4}").parse::<u64>().unwrap()
}

#[tokio::test]
async fn the_billing_page_shows_the_open_apis_figures_for_the_same_month() {
    let w = world().await;
    let app = &w.app;
    let data = numgate_server::open_data_dir(&app.config).await.unwrap();
    add_user(app, &data, "root", None).await;
    add_user(app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let mut root = signed_in(app, "root").await;
    let day = today(app);
    let (status, plan) = post_json(
        app,
        &mut root,
        "/console/api/billing/plans",
        json!({"method": "one-click", "count": 1, "from": day.plus(-1).compact(), "until": day.plus(1).iso()}),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["tenant"], DEFAULT_TENANT);

    // Real verifications: three one-click successes, one number check PASS and
    // one REJECT.
    let api = app.client();
    for _ in 0..3 {
        let t = w.mint("cm", &w.cm_token("login").await, "login").await;
        let r = call(&api, "GetMobile", &[("AccessToken", &t)]).await;
        assert_eq!(r["Code"], "OK", "{r}");
    }
    for number in ["13800000031", "13000000031"] {
        let t = w.mint("cm", &w.cm_token("verify").await, "verify").await;
        call(
            &api,
            "VerifyMobile",
            &[("AccessCode", &t), ("PhoneNumber", number)],
        )
        .await;
    }

    let month = day.compact()[..6].to_owned();
    let open = call(
        &api,
        "QueryGateVerifyBillingPublic",
        &[("AuthenticationType", "2"), ("Month", &month)],
    )
    .await;
    assert_eq!(open["Code"], "OK", "{open}");
    let mut alice = signed_in(app, "alice").await;
    let (status, page) = alice
        .json(&format!("/console/api/billing/bill?month={month}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // Without a month: this month.
    let (_, this_month) = alice.json("/console/api/billing/bill").await;
    assert_eq!(this_month, page);

    let open_lines = open["Data"]["SceneBillingList"].as_array().unwrap();
    let lines = page["lines"].as_array().unwrap();
    assert_eq!(lines.len(), open_lines.len(), "{page}\n{open}");
    assert_eq!(lines.len(), 2, "{page}");
    for o in open_lines {
        let l = lines
            .iter()
            .find(|l| {
                l["scheme"] == o["SceneCode"]
                    && billing::item_name(Method::parse(l["method"].as_str().unwrap()).unwrap())
                        == o["ItemName"]
            })
            .unwrap_or_else(|| panic!("{o} not on the page: {page}"));
        assert_eq!(
            l["units"].to_string(),
            o["Add"].as_str().unwrap(),
            "{l} {o}"
        );
        assert_eq!(
            units(l["unit_price"].as_str().unwrap()),
            units(o["SinglePrice"].as_str().unwrap()),
            "{l} {o}"
        );
        assert_eq!(
            units(l["amount"].as_str().unwrap()),
            units(o["Amount"].as_str().unwrap()),
            "{l} {o}"
        );
        assert_eq!(l["scheme_name"], o["SceneName"]);
    }
    assert_eq!(
        units(page["amount_sum"].as_str().unwrap()),
        units(open["Data"]["AmountSum"].as_str().unwrap())
    );
    // Two of three one-click successes paid at 0.03, the PASS at 0.02.
    assert_eq!(page["amount_sum"], "0.0800");
    let one_click = lines.iter().find(|l| l["method"] == "one_click").unwrap();
    assert_eq!(
        (&one_click["plan_units"], &one_click["paid_units"]),
        (&json!(1), &json!(2))
    );

    // The plan is used up; the price list is [billing]'s, with four decimals.
    let (_, plans) = alice.json("/console/api/billing/plans").await;
    let p = &plans["plans"][0];
    assert_eq!(
        (&p["total"], &p["used"], &p["left"], &p["valid_now"]),
        (&json!(1), &json!(1), &json!(0), &json!(true)),
        "{plans}"
    );
    assert_eq!(
        (&p["from"], &p["until"]),
        (&json!(day.plus(-1).iso()), &json!(day.plus(1).iso()))
    );
    assert_eq!(plans["may_add"], false);
    assert!(
        plans["left"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["units"] == 0),
        "{plans}"
    );
    let (_, prices) = alice.json("/console/api/billing/prices").await;
    let price = |m: &str| {
        prices["prices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["method"] == m)
            .unwrap()["price"]
            .clone()
    };
    assert_eq!(
        [
            price("one_click"),
            price("number_check"),
            price("sms"),
            price("fusion")
        ],
        [
            json!("0.0300"),
            json!("0.0200"),
            json!("0.0450"),
            json!("0.0600")
        ]
    );

    // Another month has no lines; a month that is not yyyyMM is refused.
    let (_, empty) = alice.json("/console/api/billing/bill?month=202001").await;
    assert_eq!(
        (
            empty["lines"].as_array().unwrap().len(),
            &empty["amount_sum"]
        ),
        (0, &json!("0.0000"))
    );
    for bad in ["2026-03", "202613", "abc", ""] {
        let (status, v) = alice
            .json(&format!("/console/api/billing/bill?month={bad}"))
            .await;
        assert_eq!(
            (status, v["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("billing.invalid_month")),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn only_an_operator_adds_a_plan_for_the_chosen_tenant_by_the_clis_rules_and_it_is_audited() {
    let (app, data) = console_app().await;
    let now = app.clock.now_millis();
    let globex = data.store.ensure_tenant("globex", now).await.unwrap();
    let default = data
        .store
        .find_tenant(DEFAULT_TENANT)
        .await
        .unwrap()
        .unwrap();
    add_user(&app, &data, "root", None).await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    add_user(&app, &data, "gina", Some("globex")).await;
    let plan = json!({"method": "sms", "count": "500", "from": "20260101", "until": "2026-12-31"});

    // A tenant user may not add one, even for their own tenant.
    let mut alice = signed_in(&app, "alice").await;
    let (status, _) = post_json(
        &app,
        &mut alice,
        "/console/api/billing/plans",
        plan.clone(),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nor may an operator without the CSRF token.
    let mut root = signed_in(&app, "root").await;
    let (status, _) = post_json(
        &app,
        &mut root,
        "/console/api/billing/plans?tenant=globex",
        plan.clone(),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Bad input: refused with a reason, nothing added.
    for bad in [
        json!({"method": "fax", "count": 1, "from": "20260101", "until": "20260102"}),
        json!({"method": "sms", "count": 0, "from": "20260101", "until": "20260102"}),
        json!({"method": "sms", "count": -1, "from": "20260101", "until": "20260102"}),
        json!({"method": "sms", "count": "lots", "from": "20260101", "until": "20260102"}),
        json!({"method": "sms", "count": 1_000_000_000_001u64, "from": "20260101", "until": "20260102"}),
        json!({"method": "sms", "count": 1, "from": "20260102", "until": "20260101"}),
        json!({"method": "sms", "count": 1, "from": "20260230", "until": "20260301"}),
        json!({"method": "sms", "count": 1, "from": "2026-1-1", "until": "20260301"}),
        json!({"method": "sms", "count": 1}),
    ] {
        let (status, v) = post_json(
            &app,
            &mut root,
            "/console/api/billing/plans?tenant=globex",
            bad.clone(),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {v}");
        assert!(
            !v["message"].as_str().unwrap_or_default().is_empty(),
            "{bad}: {v}"
        );
    }
    assert!(data.store.list_plans(None).await.unwrap().is_empty());
    assert_eq!(
        post_json(
            &app,
            &mut root,
            "/console/api/billing/plans?tenant=nobody",
            plan.clone(),
            true
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    let (status, added) = post_json(
        &app,
        &mut root,
        "/console/api/billing/plans?tenant=globex",
        plan.clone(),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(
        (&added["tenant"], &added["method"], &added["total"]),
        (&json!("globex"), &json!("sms"), &json!(500))
    );
    // The same plan as `numgate billing add-plan` makes (the same function).
    billing::add_plan(
        data.store.as_ref(),
        i64::from(app.config.sms.utc_offset_hours) * 3_600_000,
        default.id,
        PlanInput {
            method: "sms",
            count: 500,
            from: "20260101",
            until: "2026-12-31",
        },
        &Actor::Cli("test".into()),
        now,
    )
    .await
    .unwrap();
    let plans = data.store.list_plans(None).await.unwrap();
    assert_eq!(plans.len(), 2);
    assert_eq!(plans[0].tenant_id, default.id);
    assert_eq!(
        (
            plans[1].tenant_id,
            plans[1].method,
            plans[1].total,
            plans[1].valid_from,
            plans[1].valid_until
        ),
        (
            globex.id,
            Method::Sms,
            500,
            plans[0].valid_from,
            plans[0].valid_until
        )
    );

    // The tenant sees its plan; another tenant does not.
    let mut gina = signed_in(&app, "gina").await;
    let (_, theirs) = gina.json("/console/api/billing/plans").await;
    let p = &theirs["plans"][0];
    assert_eq!(
        (&p["total"], &p["left"], &p["from"], &p["until"]),
        (
            &json!(500),
            &json!(500),
            &json!("2026-01-01"),
            &json!("2026-12-31")
        )
    );
    assert_eq!(theirs["plans"].as_array().unwrap().len(), 1);
    let (_, ours) = alice.json("/console/api/billing/plans").await;
    assert_eq!(ours["plans"].as_array().unwrap().len(), 1);
    assert_ne!(ours["plans"][0]["id"], p["id"]);
    for path in [
        "/console/api/billing/plans?tenant=globex",
        "/console/api/billing/bill?tenant=globex",
    ] {
        assert_eq!(alice.json(path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    let (_, root_view) = root.json("/console/api/billing/plans?tenant=globex").await;
    assert_eq!(
        (
            root_view["may_add"].clone(),
            root_view["plans"].as_array().unwrap().len()
        ),
        (json!(true), 1)
    );

    // Audited in the tenant's log, with the operator's name.
    let log = data.store.list_audit(globex.id, 10, None).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].actor.as_str(), log[0].action.as_str()),
        ("console:root", "billing.add_plan")
    );
    assert_eq!(
        log[0].after.as_deref(),
        Some(r#"{"from":"2026-01-01","method":"sms","total":500,"until":"2026-12-31"}"#)
    );
}

#[tokio::test]
async fn in_a_real_browser_the_billing_page_shows_what_remains_of_a_plan_after_usage() {
    let Some(path) = crate::browser::chromedriver() else {
        return;
    };
    let (app, data) = console_app().await;
    add_user(&app, &data, "alice", Some(DEFAULT_TENANT)).await;
    let default = data
        .store
        .find_tenant(DEFAULT_TENANT)
        .await
        .unwrap()
        .unwrap();
    let day = today(&app);
    let plan = billing::add_plan(
        data.store.as_ref(),
        i64::from(app.config.sms.utc_offset_hours) * 3_600_000,
        default.id,
        PlanInput {
            method: "sms",
            count: 5,
            from: &day.compact(),
            until: &day.plus(30).compact(),
        },
        &Actor::Cli("test".into()),
        app.clock.now_millis(),
    )
    .await
    .unwrap();
    // One code sent and delivered: one segment taken from the plan.
    let number = phone();
    let r = app
        .client()
        .send_sms_verify_code(&SendSmsVerifyCode::new(&number, SIGN, TEMPLATE))
        .await
        .unwrap();
    assert_eq!(r.code, "OK", "{}", r.message);
    texted_code(&app, &number).await;
    for _ in 0..200 {
        if data
            .store
            .plan_units_left(default.id, Method::Sms, app.clock.now_millis())
            .await
            .unwrap()
            == 4
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let (_driver, c, _profile) = signed_in_browser(&path, &app, "alice").await;
    crate::console::click(&c, "#nav-billing").await;
    wait_text(&c, "#heading", |t| t == "Billing").await;
    wait_text(&c, &format!("#billing-plan-left-{}", plan.id), |t| t == "4").await;
    wait_text(&c, &format!("#billing-plan-used-{}", plan.id), |t| t == "1").await;
    wait_text(&c, "#billing-left-sms", |t| t == "4").await;
    wait_text(&c, "#billing-price-sms", |t| t == "0.0450").await;
    // The bill of the month shows the segment, covered by the plan.
    let bill = wait_text(&c, "#billing-bill-table tbody", |t| {
        t.contains("SMS verification")
    })
    .await;
    assert!(bill.contains(SIGN) || bill.contains("SMS"), "{bill}");
    assert_eq!(
        wait_text(&c, "#billing-sum", |t| !t.is_empty()).await,
        "0.0000"
    );
    // A tenant user is not offered to add plans.
    let add = c
        .find(fantoccini::Locator::Css("#billing-add-plan"))
        .await
        .unwrap();
    assert!(!add.is_displayed().await.unwrap());
    c.close().await.unwrap();
}
