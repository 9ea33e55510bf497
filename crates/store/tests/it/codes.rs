//! Conformance: sending and checking codes, their limits and their send records.

use numgate_store::{CheckOutcome, NewCode, SendOutcome, SendQuery, SendStatus};

use crate::support::{backends, check, key, new_code, tenant, DAY, HOUR, SEC, T0};

fn passed(out: &CheckOutcome) -> bool {
    matches!(out, CheckOutcome::Pass { .. })
}

#[tokio::test]
async fn a_code_is_accepted_only_once() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let k = key(t.id, "13800138000");
        let code = new_code(&k, "123456", T0);
        let out_id = code.out_id.clone();
        assert_eq!(
            s.send_code(code).await.unwrap(),
            SendOutcome::Sent,
            "{}",
            b.name
        );

        assert_eq!(
            s.check_code(check(&k, "123456", T0 + SEC)).await.unwrap(),
            CheckOutcome::Pass { out_id },
            "{}",
            b.name
        );
        assert_eq!(
            s.check_code(check(&k, "123456", T0 + 2 * SEC))
                .await
                .unwrap(),
            CheckOutcome::NoMatch,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn a_code_of_another_key_does_not_pass() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let k = key(t.id, "13800138000");
        s.send_code(new_code(&k, "123456", T0)).await.unwrap();

        let mut other_scheme = k.clone();
        other_scheme.scheme = "other".into();
        let other_phone = key(t.id, "13800138001");
        let other_tenant = key(tenant(s, "globex").await.id, "13800138000");
        for wrong in [other_scheme, other_phone, other_tenant] {
            assert!(
                !passed(&s.check_code(check(&wrong, "123456", T0)).await.unwrap()),
                "{}",
                b.name
            );
        }
        assert!(
            passed(&s.check_code(check(&k, "123456", T0)).await.unwrap()),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn a_code_is_dead_after_max_wrong_attempts() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;

        let four = key(t.id, "13800138004");
        s.send_code(new_code(&four, "111111", T0)).await.unwrap();
        for _ in 0..4 {
            assert_eq!(
                s.check_code(check(&four, "999999", T0)).await.unwrap(),
                CheckOutcome::NoMatch
            );
        }
        assert!(
            passed(&s.check_code(check(&four, "111111", T0)).await.unwrap()),
            "{}: 4 wrong attempts leave it alive",
            b.name
        );

        let five = key(t.id, "13800138005");
        s.send_code(new_code(&five, "111111", T0)).await.unwrap();
        for _ in 0..5 {
            s.check_code(check(&five, "999999", T0)).await.unwrap();
        }
        assert_eq!(
            s.check_code(check(&five, "111111", T0)).await.unwrap(),
            CheckOutcome::NoMatch,
            "{}: 5 wrong attempts kill it",
            b.name
        );
    }
}

#[tokio::test]
async fn an_expired_code_does_not_pass() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let k = key(t.id, "13800138000");
        let code = new_code(&k, "123456", T0);
        let expires_at = code.expires_at;
        s.send_code(code).await.unwrap();
        assert_eq!(
            s.check_code(check(&k, "123456", expires_at)).await.unwrap(),
            CheckOutcome::NoMatch,
            "{}",
            b.name
        );

        let k2 = key(t.id, "13800138002");
        s.send_code(new_code(&k2, "123456", T0)).await.unwrap();
        assert!(
            passed(
                &s.check_code(check(&k2, "123456", expires_at - 1))
                    .await
                    .unwrap()
            ),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn a_folded_check_compares_the_folded_hash() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let k = key(t.id, "13800138000");
        s.send_code(new_code(&k, "aB3dE6", T0)).await.unwrap();

        let mut exact_case = check(&k, "AB3DE6", T0);
        assert_eq!(
            s.check_code(exact_case.clone()).await.unwrap(),
            CheckOutcome::NoMatch,
            "{}",
            b.name
        );
        exact_case.folded = true;
        assert!(
            passed(&s.check_code(exact_case).await.unwrap()),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn replace_older_retires_the_previous_code() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let k = key(t.id, "13800138000");
        s.send_code(new_code(&k, "111111", T0)).await.unwrap();
        s.send_code(new_code(&k, "222222", T0 + 61 * SEC))
            .await
            .unwrap();

        assert_eq!(
            s.check_code(check(&k, "111111", T0 + 62 * SEC))
                .await
                .unwrap(),
            CheckOutcome::NoMatch,
            "{}",
            b.name
        );
        assert!(
            passed(
                &s.check_code(check(&k, "222222", T0 + 62 * SEC))
                    .await
                    .unwrap()
            ),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn keep_all_keeps_both_codes_valid() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let k = key(t.id, "13800138000");
        for (code, at) in [("111111", T0), ("222222", T0 + 61 * SEC)] {
            let mut c = new_code(&k, code, at);
            c.replace_older = false;
            s.send_code(c).await.unwrap();
        }
        let now = T0 + 62 * SEC;
        assert!(
            passed(&s.check_code(check(&k, "111111", now)).await.unwrap()),
            "{}",
            b.name
        );
        assert!(
            passed(&s.check_code(check(&k, "222222", now)).await.unwrap()),
            "{}",
            b.name
        );
    }
}

async fn sends_to(s: &dyn numgate_store::Store, tenant_id: i64, phone: &str) -> u64 {
    let q = SendQuery {
        tenant_id,
        country_code: "86".into(),
        phone: phone.into(),
        biz_id: None,
        from: 0,
        to: i64::MAX,
        page: 1,
        page_size: 10,
    };
    s.query_send_details(q).await.unwrap().0
}

/// The limits of the test below: 60 s interval, 2 an hour, 3 a day.
fn limited(k: &numgate_store::CodeKey, at: i64) -> NewCode {
    let mut c = new_code(k, "123456", at);
    c.interval_ms = 60 * SEC;
    c.hourly_cap = 2;
    c.daily_cap = 3;
    c
}

#[tokio::test]
async fn the_interval_and_the_caps_refuse_sends() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let k = key(t.id, "13800138000");
        let mut other_scheme = k.clone();
        other_scheme.scheme = "other".into();

        assert_eq!(
            s.send_code(limited(&k, T0)).await.unwrap(),
            SendOutcome::Sent,
            "{}",
            b.name
        );
        assert_eq!(
            s.send_code(limited(&k, T0 + 59 * SEC)).await.unwrap(),
            SendOutcome::TooSoon,
            "{}",
            b.name
        );
        assert_eq!(
            sends_to(s, t.id, "13800138000").await,
            1,
            "{}: a refused send leaves no record",
            b.name
        );
        // The interval is per scheme; the caps are per number.
        assert_eq!(
            s.send_code(limited(&other_scheme, T0 + 59 * SEC))
                .await
                .unwrap(),
            SendOutcome::Sent,
            "{}",
            b.name
        );
        assert_eq!(
            s.send_code(limited(&k, T0 + 120 * SEC)).await.unwrap(),
            SendOutcome::HourlyCapReached,
            "{}",
            b.name
        );
        // An hour after the first send, one of the two has left the hourly window.
        assert_eq!(
            s.send_code(limited(&k, T0 + HOUR + SEC)).await.unwrap(),
            SendOutcome::Sent,
            "{}",
            b.name
        );
        assert_eq!(
            s.send_code(limited(&k, T0 + 3 * HOUR)).await.unwrap(),
            SendOutcome::DailyCapReached,
            "{}",
            b.name
        );
        assert_eq!(sends_to(s, t.id, "13800138000").await, 3, "{}", b.name);
        // A day after the first send it is out of the daily window.
        assert_eq!(
            s.send_code(limited(&k, T0 + DAY + SEC)).await.unwrap(),
            SendOutcome::Sent,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn a_send_is_recorded_as_waiting() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let k = key(t.id, "13800138000");
        let code = new_code(&k, "123456", T0);
        let (biz_id, out_id) = (code.biz_id.clone(), code.out_id.clone());
        s.send_code(code).await.unwrap();

        let q = SendQuery {
            tenant_id: t.id,
            country_code: "86".into(),
            phone: k.phone.clone(),
            biz_id: None,
            from: T0,
            to: T0 + 1,
            page: 1,
            page_size: 10,
        };
        let (total, records) = s.query_send_details(q).await.unwrap();
        assert_eq!(total, 1, "{}", b.name);
        let r = &records[0];
        assert_eq!(r.biz_id, biz_id);
        assert_eq!(r.out_id, out_id);
        assert_eq!(r.status, SendStatus::Waiting);
        assert_eq!(
            (r.country_code.as_str(), r.phone.as_str()),
            ("86", "13800138000")
        );
        assert_eq!(r.template_code, "100001");
        assert_eq!(r.content, "您的验证码为******。");
        assert_eq!(
            (r.sent_at, r.received_at, r.err_code.clone()),
            (T0, None, None)
        );
    }
}

#[tokio::test]
async fn send_details_page_newest_first() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let k = key(t.id, "13800138000");
        let mut biz_ids = Vec::new();
        for i in 0..5 {
            let c = new_code(&k, "123456", T0 + i * 1_000);
            biz_ids.push(c.biz_id.clone());
            s.send_code(c).await.unwrap();
        }
        s.send_code(new_code(&key(t.id, "13900139000"), "1", T0))
            .await
            .unwrap();

        let page = |page, biz_id: Option<String>, from, to| SendQuery {
            tenant_id: t.id,
            country_code: "86".into(),
            phone: k.phone.clone(),
            biz_id,
            from,
            to,
            page,
            page_size: 2,
        };
        let ids =
            |v: Vec<numgate_store::SendRecord>| v.into_iter().map(|r| r.biz_id).collect::<Vec<_>>();

        let (total, first) = s
            .query_send_details(page(1, None, T0, T0 + DAY))
            .await
            .unwrap();
        assert_eq!(total, 5, "{}", b.name);
        assert_eq!(
            ids(first),
            [biz_ids[4].clone(), biz_ids[3].clone()],
            "{}",
            b.name
        );
        let (_, third) = s
            .query_send_details(page(3, None, T0, T0 + DAY))
            .await
            .unwrap();
        assert_eq!(ids(third), [biz_ids[0].clone()], "{}", b.name);
        let (_, beyond) = s
            .query_send_details(page(4, None, T0, T0 + DAY))
            .await
            .unwrap();
        assert!(beyond.is_empty(), "{}", b.name);

        // [from, to): the record at `to` is out, the one at `from` in.
        let (total, window) = s
            .query_send_details(page(1, None, T0 + 1_000, T0 + 3_000))
            .await
            .unwrap();
        assert_eq!(
            (total, ids(window)),
            (2, vec![biz_ids[2].clone(), biz_ids[1].clone()]),
            "{}",
            b.name
        );

        let (total, one) = s
            .query_send_details(page(1, Some(biz_ids[2].clone()), T0, T0 + DAY))
            .await
            .unwrap();
        assert_eq!(
            (total, ids(one)),
            (1, vec![biz_ids[2].clone()]),
            "{}",
            b.name
        );

        // Page 0 is taken as the first page rather than failing.
        let (_, zero) = s
            .query_send_details(page(0, None, T0, T0 + DAY))
            .await
            .unwrap();
        assert_eq!(zero.len(), 2, "{}", b.name);
    }
}

#[tokio::test]
async fn no_interval_means_none_even_for_a_send_committed_in_the_future() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let k = key(t.id, "13800138000");
        // A send of another node whose clock read a moment later committed first.
        assert_eq!(
            s.send_code(new_code(&k, "111111", T0 + SEC)).await.unwrap(),
            SendOutcome::Sent
        );
        let mut c = new_code(&k, "222222", T0);
        c.interval_ms = 0;
        assert_eq!(
            s.send_code(c).await.unwrap(),
            SendOutcome::Sent,
            "{}",
            b.name
        );
        let mut c = new_code(&k, "333333", T0);
        c.interval_ms = 60 * SEC;
        assert_eq!(
            s.send_code(c).await.unwrap(),
            SendOutcome::TooSoon,
            "{}",
            b.name
        );
    }
}
