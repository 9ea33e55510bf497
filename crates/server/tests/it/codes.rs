//! SendSmsVerifyCode, CheckSmsVerifyCode and QuerySendDetails over HTTP.

use std::time::Duration;

use numgate_client::{CheckSmsVerifyCode, OpenApi, QuerySendDetails, SendSmsVerifyCode};

use crate::helpers::{phone, spawn_app, spawn_app_with, SIGN, TEMPLATE};

fn send_req(phone: &str) -> SendSmsVerifyCode {
    SendSmsVerifyCode {
        return_verify_code: Some(true),
        ..SendSmsVerifyCode::new(phone, SIGN, TEMPLATE)
    }
}

async fn send(api: &OpenApi, req: &SendSmsVerifyCode) -> String {
    let r = api.send_sms_verify_code(req).await.expect("send");
    assert_eq!(r.code, "OK", "{}", r.message);
    assert_eq!(r.success, Some(true));
    r.body
        .model
        .expect("model")
        .verify_code
        .expect("code returned")
}

async fn check(api: &OpenApi, phone: &str, code: &str) -> String {
    let r = api
        .check_sms_verify_code(&CheckSmsVerifyCode::new(phone, code))
        .await
        .expect("check");
    assert_eq!(r.code, "OK", "{}", r.message);
    r.body.model.expect("model").verify_result
}

async fn send_code(api: &OpenApi, req: &SendSmsVerifyCode) -> String {
    let r = api.send_sms_verify_code(req).await.expect("send");
    r.code
}

/// A code that differs from `code` in its last character.
fn wrong(code: &str) -> String {
    let mut s = code.to_owned();
    let last = s.pop().unwrap();
    s.push(if last == '0' { '1' } else { '0' });
    s
}

#[tokio::test]
async fn a_sent_code_passes_once_with_either_signature() {
    let app = spawn_app().await;
    for api in [app.client(), app.client_v1()] {
        let p = phone();
        let code = send(&api, &send_req(&p)).await;
        assert_eq!(code.len(), 6, "numgate's default length is 6");
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(check(&api, &p, &code).await, "PASS");
        assert_eq!(check(&api, &p, &code).await, "UNKNOWN");
    }
}

#[tokio::test]
async fn a_hundred_concurrent_right_checks_give_exactly_one_pass() {
    let app = spawn_app().await;
    let api = app.client();
    for trial in 0..20 {
        let p = phone();
        let code = send(&api, &send_req(&p)).await;
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let api = api.clone();
                let (p, code) = (p.clone(), code.clone());
                tokio::spawn(async move { check(&api, &p, &code).await })
            })
            .collect();
        let mut passes = 0;
        for t in tasks {
            if t.await.unwrap() == "PASS" {
                passes += 1;
            }
        }
        assert_eq!(passes, 1, "trial {trial}");
    }
}

#[tokio::test]
async fn five_wrong_checks_kill_the_code() {
    let app = spawn_app().await;
    let api = app.client();
    let p = phone();
    let code = send(&api, &send_req(&p)).await;
    for _ in 0..5 {
        assert_eq!(check(&api, &p, &wrong(&code)).await, "UNKNOWN");
    }
    assert_eq!(check(&api, &p, &code).await, "UNKNOWN");

    // Four wrong checks leave it alive.
    let p = phone();
    let code = send(&api, &send_req(&p)).await;
    for _ in 0..4 {
        check(&api, &p, &wrong(&code)).await;
    }
    assert_eq!(check(&api, &p, &code).await, "PASS");
}

#[tokio::test]
async fn an_expired_code_is_unknown() {
    let app = spawn_app().await;
    let api = app.client();
    let p = phone();
    let code = send(
        &api,
        &SendSmsVerifyCode {
            valid_time: Some(120),
            ..send_req(&p)
        },
    )
    .await;
    app.clock.advance_secs(121);
    assert_eq!(check(&api, &p, &code).await, "UNKNOWN");
}

#[tokio::test]
async fn wrong_expired_used_and_unknown_codes_get_the_same_answer() {
    let app = spawn_app().await;
    let api = app.client();
    let body = |p: &str, c: &str| {
        let api = api.clone();
        let (p, c) = (p.to_owned(), c.to_owned());
        async move {
            let (status, bytes) = api
                .call_raw(
                    "CheckSmsVerifyCode",
                    &[
                        ("PhoneNumber".to_string(), p),
                        ("VerifyCode".to_string(), c),
                    ]
                    .into(),
                )
                .await
                .unwrap();
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            v.as_object_mut().unwrap().remove("RequestId");
            (status, v)
        }
    };
    let used = phone();
    let code = send(&api, &send_req(&used)).await;
    check(&api, &used, &code).await;
    let wrong_p = phone();
    let wrong_code = wrong(&send(&api, &send_req(&wrong_p)).await);
    let expired = phone();
    let expired_code = send(
        &api,
        &SendSmsVerifyCode {
            valid_time: Some(60),
            ..send_req(&expired)
        },
    )
    .await;
    app.clock.advance_secs(61);

    let answers = [
        body(&used, &code).await,
        body(&wrong_p, &wrong_code).await,
        body(&expired, &expired_code).await,
        body(&phone(), "123456").await,
    ];
    for a in &answers[1..] {
        assert_eq!(a, &answers[0]);
    }
    assert_eq!(answers[0].0, 200);
    assert_eq!(answers[0].1["Model"]["VerifyResult"], "UNKNOWN");
}

#[tokio::test]
async fn a_second_send_inside_the_interval_is_refused() {
    let app = spawn_app().await;
    let api = app.client();
    let p = phone();
    send(&api, &send_req(&p)).await;
    let r = api.send_sms_verify_code(&send_req(&p)).await.unwrap();
    assert_eq!(r.code, "biz.FREQUENCY");
    assert_eq!(r.success, Some(false));
    app.clock.advance_secs(61);
    send(&api, &send_req(&p)).await;
}

#[tokio::test]
async fn hourly_and_daily_caps_refuse_further_sends() {
    let app = spawn_app().await;
    let api = app.client();
    let p = phone();
    let req = SendSmsVerifyCode {
        interval: Some(0),
        ..send_req(&p)
    };
    for _ in 0..5 {
        send(&api, &req).await;
    }
    assert_eq!(send_code(&api, &req).await, "isv.BUSINESS_LIMIT_CONTROL");
    app.clock.advance_secs(3601);
    for _ in 0..5 {
        send(&api, &req).await;
    }
    app.clock.advance_secs(3601);
    assert_eq!(
        send_code(&api, &req).await,
        "isv.BUSINESS_LIMIT_CONTROL",
        "10 a day"
    );
    // Other numbers are not affected.
    send(
        &api,
        &SendSmsVerifyCode {
            interval: Some(0),
            ..send_req(&phone())
        },
    )
    .await;
    app.clock.advance_secs(86_400);
    send(&api, &req).await;
}

#[tokio::test]
async fn caps_come_from_the_configuration() {
    let app = spawn_app_with(|c| {
        c.sms.hourly_cap = 2;
    })
    .await;
    let api = app.client();
    let req = SendSmsVerifyCode {
        interval: Some(0),
        ..send_req(&phone())
    };
    send(&api, &req).await;
    send(&api, &req).await;
    assert_eq!(send_code(&api, &req).await, "isv.BUSINESS_LIMIT_CONTROL");
}

#[tokio::test]
async fn duplicate_policy_one_replaces_and_two_keeps_older_codes() {
    let app = spawn_app().await;
    let api = app.client();
    let p = phone();
    let first = send(
        &api,
        &SendSmsVerifyCode {
            interval: Some(0),
            ..send_req(&p)
        },
    )
    .await;
    let second = send(
        &api,
        &SendSmsVerifyCode {
            interval: Some(0),
            ..send_req(&p)
        },
    )
    .await;
    if first != second {
        assert_eq!(check(&api, &p, &first).await, "UNKNOWN");
    }
    assert_eq!(check(&api, &p, &second).await, "PASS");

    let p = phone();
    let keep = |p: &str| SendSmsVerifyCode {
        interval: Some(0),
        duplicate_policy: Some(2),
        ..send_req(p)
    };
    let first = send(&api, &keep(&p)).await;
    let second = send(&api, &keep(&p)).await;
    assert_eq!(check(&api, &p, &first).await, "PASS");
    if first != second {
        assert_eq!(check(&api, &p, &second).await, "PASS");
    }
}

#[tokio::test]
async fn code_length_type_and_case_policy_are_honoured() {
    let app = spawn_app().await;
    let api = app.client();
    let upper: Vec<u8> = (b'A'..=b'Z').collect();
    for (kind, len, alphabet) in [
        (1, 4, b"0123456789".to_vec()),
        (2, 8, upper.clone()),
        (3, 5, (b'a'..=b'z').collect()),
    ] {
        let p = phone();
        let code = send(
            &api,
            &SendSmsVerifyCode {
                code_type: Some(kind),
                code_length: Some(len),
                ..send_req(&p)
            },
        )
        .await;
        assert_eq!(code.len(), len as usize);
        assert!(
            code.bytes().all(|b| alphabet.contains(&b)),
            "type {kind}: {code}"
        );
    }
    // CaseAuthPolicy 1 (default) ignores case; 2 does not.
    let p = phone();
    let code = send(
        &api,
        &SendSmsVerifyCode {
            code_type: Some(2),
            ..send_req(&p)
        },
    )
    .await;
    let strict = CheckSmsVerifyCode {
        case_auth_policy: Some(2),
        ..CheckSmsVerifyCode::new(&p, &code.to_lowercase())
    };
    let r = api.check_sms_verify_code(&strict).await.unwrap();
    assert_eq!(r.body.model.unwrap().verify_result, "UNKNOWN");
    assert_eq!(check(&api, &p, &code.to_lowercase()).await, "PASS");
}

#[tokio::test]
async fn scheme_names_keep_codes_apart() {
    let app = spawn_app().await;
    let api = app.client();
    let p = phone();
    let code = send(
        &api,
        &SendSmsVerifyCode {
            scheme_name: Some("login".into()),
            ..send_req(&p)
        },
    )
    .await;
    assert_eq!(
        check(&api, &p, &code).await,
        "UNKNOWN",
        "the default scheme has no code"
    );
    let r = api
        .check_sms_verify_code(&CheckSmsVerifyCode {
            scheme_name: Some("login".into()),
            ..CheckSmsVerifyCode::new(&p, &code)
        })
        .await
        .unwrap();
    assert_eq!(r.body.model.unwrap().verify_result, "PASS");
}

#[tokio::test]
async fn the_message_reaches_the_outbox_and_send_details() {
    let app = spawn_app().await;
    let api = app.client();
    let p = phone();
    let req = SendSmsVerifyCode {
        out_id: Some("order-7".into()),
        ..send_req(&p)
    };
    let r = api.send_sms_verify_code(&req).await.unwrap();
    let model = r.body.model.unwrap();
    let code = model.verify_code.unwrap();
    let biz_id = model.biz_id.unwrap();
    assert_eq!(model.out_id.as_deref(), Some("order-7"));

    let data = numgate_server::open_data_dir(&app.config).await.unwrap();
    let mut delivered = None;
    for _ in 0..100 {
        let list = data
            .store
            .list_outbox(Some(&format!("86{p}")), 10)
            .await
            .unwrap();
        if let Some(m) = list.first() {
            delivered = Some(m.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let m = delivered.expect("the message reaches the outbox");
    assert!(
        !m.sealed_text
            .windows(code.len())
            .any(|w| w == code.as_bytes()),
        "the outbox keeps the text sealed"
    );
    let text = data
        .master_key
        .secret_box()
        .open_string(&m.sealed_text)
        .unwrap();
    assert!(
        text.starts_with(&format!("【{SIGN}】")),
        "{}",
        text.as_str()
    );
    assert!(text.contains(&code), "the text carries the code");
    assert!(
        text.contains("5分钟"),
        "TemplateParam min=5 is rendered: {}",
        text.as_str()
    );
    assert_eq!(m.biz_id, biz_id);

    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y%m%d")
        .to_string();
    // The channel delivers first, then the dispatcher records it (in its own
    // transaction, as a receipt would): the record says so a moment later.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let details = loop {
        let details = api
            .query_send_details(&QuerySendDetails {
                phone_number: p.clone(),
                send_date: today.clone(),
                page_size: 10,
                current_page: 1,
                biz_id: None,
            })
            .await
            .unwrap();
        assert_eq!(details.code, "OK", "{}", details.message);
        assert_eq!(details.body.total_count, 1);
        if details.body.model[0].send_status == 3 || std::time::Instant::now() > deadline {
            break details;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let d = &details.body.model[0];
    assert_eq!(d.send_status, 3, "delivered");
    assert_eq!(d.out_id.as_deref(), Some("order-7"));
    assert_eq!(d.template_code, TEMPLATE);
    assert!(
        !d.content.contains(&code),
        "send records keep the code masked: {}",
        d.content
    );
    assert!(d.receive_date.is_some());
}

#[tokio::test]
async fn signatures_templates_and_countries_are_checked() {
    let app = spawn_app_with(|c| c.sms.allowed_countries = vec!["86".into(), "852".into()]).await;
    let api = app.client();
    let p = phone();
    let r = api
        .send_sms_verify_code(&SendSmsVerifyCode::new(&p, "NoSuchSign", TEMPLATE))
        .await
        .unwrap();
    assert_eq!(r.code, "isv.SMS_SIGNATURE_ILLEGAL");
    let r = api
        .send_sms_verify_code(&SendSmsVerifyCode::new(&p, SIGN, "999999"))
        .await
        .unwrap();
    assert_eq!(r.code, "isv.SMS_TEMPLATE_ILLEGAL");
    let r = api
        .send_sms_verify_code(&SendSmsVerifyCode {
            template_param: r#"{"code":"1"}"#.into(),
            ..send_req(&p)
        })
        .await
        .unwrap();
    assert_eq!(r.code, "isv.SMS_TEMPLATE_PARAMS_ILLEGAL");
    let r = api
        .send_sms_verify_code(&SendSmsVerifyCode {
            template_param: "{not json".into(),
            ..send_req(&p)
        })
        .await
        .unwrap();
    assert_eq!(r.code, "isv.SMS_TEMPLATE_PARAMS_ILLEGAL");
    let r = api
        .send_sms_verify_code(&send_req("12345678901"))
        .await
        .unwrap();
    assert_eq!(r.code, "isv.MOBILE_NUMBER_ILLEGAL");
    let uk = SendSmsVerifyCode {
        country_code: Some("44".into()),
        ..send_req("7700900123")
    };
    assert_eq!(
        api.send_sms_verify_code(&uk).await.unwrap().code,
        "isv.MOBILE_NUMBER_ILLEGAL"
    );
    let hk = SendSmsVerifyCode {
        country_code: Some("852".into()),
        ..send_req("61234567")
    };
    assert_eq!(api.send_sms_verify_code(&hk).await.unwrap().code, "OK");
    assert!(r.success == Some(false));
}
