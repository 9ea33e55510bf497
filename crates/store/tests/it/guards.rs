//! Conformance: the SMS guards of a send (prefix cap and block, conversion
//! throttle, country cap, tenant's daily budget), exact under concurrency.

use std::sync::Arc;

use numgate_store::{
    hour_start, CheckOutcome, CodeKey, PurgeCutoffs, SendGuards, SendOutcome, SendQuery, Store,
};

use crate::support::{backends, check, key, new_code, tenant, DAY, HOUR, SEC, T0};

/// Generous guards: each test tightens the one it is about.
fn guards() -> SendGuards {
    SendGuards {
        prefix_hourly_cap: 1_000,
        throttled_prefix_hourly_cap: 1_000,
        prefix_block_ms: 12 * HOUR,
        country_hourly_cap: 1_000,
        conversion_window_ms: 24 * HOUR,
        conversion_min_volume: 1_000,
        conversion_threshold: 0.05,
        daily_budget: 1_000,
        utc_offset_ms: 8 * HOUR,
    }
}

/// The first instant of the fixed hour after the one `at` is in.
fn next_hour(at: i64) -> i64 {
    hour_start(at) + HOUR
}

/// The n-th number of prefix `1380013` (national numbers of 11 digits).
fn in_prefix(prefix: &str, n: u32) -> String {
    format!("{prefix}{n:04}")
}

async fn send(s: &dyn Store, k: &CodeKey, g: &SendGuards, now: i64) -> SendOutcome {
    let mut code = new_code(k, "123456", now);
    code.guards = g.clone();
    s.send_code(code).await.unwrap()
}

/// How many send records the number has.
async fn records(s: &dyn Store, k: &CodeKey) -> u64 {
    let q = SendQuery {
        tenant_id: k.tenant_id,
        country_code: k.country_code.clone(),
        phone: k.phone.clone(),
        biz_id: None,
        from: 0,
        to: i64::MAX,
        page: 1,
        page_size: 10,
    };
    s.query_send_details(q).await.unwrap().0
}

#[tokio::test]
async fn a_prefix_over_its_hourly_cap_is_blocked_until_the_block_runs_out() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let g = SendGuards {
            prefix_hourly_cap: 3,
            ..guards()
        };
        for n in 0..3 {
            let k = key(t.id, &in_prefix("1380013", n));
            assert_eq!(send(s, &k, &g, T0).await, SendOutcome::Sent, "{}", b.name);
        }
        let fourth = key(t.id, &in_prefix("1380013", 3));
        let until = T0 + SEC + 12 * HOUR;
        assert_eq!(
            send(s, &fourth, &g, T0 + SEC).await,
            SendOutcome::PrefixCapReached {
                throttled: false,
                until
            },
            "{}",
            b.name
        );
        assert_eq!(
            records(s, &fourth).await,
            0,
            "{}: a refusal leaves no record",
            b.name
        );

        let blocks = s.list_prefix_blocks(T0 + SEC).await.unwrap();
        assert_eq!(blocks.len(), 1, "{}", b.name);
        assert_eq!(
            (
                blocks[0].tenant_id,
                blocks[0].country_code.as_str(),
                blocks[0].prefix.as_str()
            ),
            (t.id, "86", "1380013"),
            "{}",
            b.name
        );
        assert_eq!(blocks[0].until, until, "{}", b.name);

        // The next hour's cap would allow it: the block does not.
        let later = next_hour(T0) + SEC;
        assert_eq!(
            send(s, &fourth, &g, later).await,
            SendOutcome::PrefixBlocked { until },
            "{}",
            b.name
        );
        // Other prefixes, and the same prefix of another tenant, are not blocked.
        assert_eq!(
            send(s, &key(t.id, "13800140000"), &g, later).await,
            SendOutcome::Sent,
            "{}",
            b.name
        );
        let other = key(tenant(s, "globex").await.id, &in_prefix("1380013", 3));
        assert_eq!(
            send(s, &other, &g, later).await,
            SendOutcome::Sent,
            "{}",
            b.name
        );

        assert_eq!(
            send(s, &fourth, &g, until - 1).await,
            SendOutcome::PrefixBlocked { until },
            "{}",
            b.name
        );
        assert_eq!(
            send(s, &fourth, &g, until).await,
            SendOutcome::Sent,
            "{}",
            b.name
        );
        assert!(
            s.list_prefix_blocks(until).await.unwrap().is_empty(),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn an_operator_lifts_a_block_and_the_prefix_sends_again() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let g = SendGuards {
            prefix_hourly_cap: 2,
            ..guards()
        };
        for n in 0..2 {
            send(s, &key(t.id, &in_prefix("1390013", n)), &g, T0).await;
        }
        let k = key(t.id, &in_prefix("1390013", 9));
        assert!(
            matches!(
                send(s, &k, &g, T0).await,
                SendOutcome::PrefixCapReached { .. }
            ),
            "{}",
            b.name
        );
        assert!(
            !s.lift_prefix_block(t.id, "86", "1390014", T0)
                .await
                .unwrap(),
            "{}: another prefix has no block",
            b.name
        );
        assert!(
            s.lift_prefix_block(t.id, "86", "1390013", T0)
                .await
                .unwrap(),
            "{}",
            b.name
        );
        assert!(
            s.list_prefix_blocks(T0).await.unwrap().is_empty(),
            "{}",
            b.name
        );
        // Within the same hour: the cap counts start again from 0.
        assert_eq!(
            send(s, &k, &g, T0 + SEC).await,
            SendOutcome::Sent,
            "{}",
            b.name
        );
        assert!(
            !s.lift_prefix_block(t.id, "86", "1390013", T0)
                .await
                .unwrap(),
            "{}: nothing left to lift",
            b.name
        );
    }
}

#[tokio::test]
async fn the_country_cap_counts_every_prefix_of_the_tenant() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let g = SendGuards {
            country_hourly_cap: 2,
            ..guards()
        };
        assert_eq!(
            send(s, &key(t.id, "13800010000"), &g, T0).await,
            SendOutcome::Sent
        );
        assert_eq!(
            send(s, &key(t.id, "13900020000"), &g, T0).await,
            SendOutcome::Sent
        );
        let third = key(t.id, "15000030000");
        assert_eq!(
            send(s, &third, &g, T0).await,
            SendOutcome::CountryCapReached,
            "{}",
            b.name
        );
        assert_eq!(records(s, &third).await, 0, "{}", b.name);
        assert!(
            s.list_prefix_blocks(T0).await.unwrap().is_empty(),
            "{}: no block",
            b.name
        );
        let other = tenant(s, "globex").await;
        assert_eq!(
            send(s, &key(other.id, "15000030000"), &g, T0).await,
            SendOutcome::Sent,
            "{}: per tenant",
            b.name
        );
        assert_eq!(
            send(s, &third, &g, next_hour(T0)).await,
            SendOutcome::Sent,
            "{}: the next hour",
            b.name
        );
    }
}

#[tokio::test]
async fn the_daily_budget_refuses_until_the_next_day_of_the_tenants_calendar() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let g = SendGuards {
            daily_budget: 2,
            ..guards()
        };
        // Local midnight at UTC+8 is 16:00 UTC.
        let midnight = g.day_start(T0) + DAY;
        assert_eq!(midnight.rem_euclid(DAY), 16 * HOUR);
        assert_eq!(
            send(s, &key(t.id, "13800010000"), &g, T0).await,
            SendOutcome::Sent
        );
        assert_eq!(
            send(s, &key(t.id, "13900020000"), &g, T0).await,
            SendOutcome::Sent
        );
        let k = key(t.id, "15000030000");
        assert_eq!(
            send(s, &k, &g, T0).await,
            SendOutcome::DailyBudgetReached,
            "{}",
            b.name
        );
        assert_eq!(
            send(s, &k, &g, midnight - 1).await,
            SendOutcome::DailyBudgetReached,
            "{}: still the same local day",
            b.name
        );
        assert_eq!(records(s, &k).await, 0, "{}", b.name);
        assert_eq!(
            send(s, &key(tenant(s, "globex").await.id, "15000030000"), &g, T0).await,
            SendOutcome::Sent,
            "{}: per tenant",
            b.name
        );
        assert_eq!(
            send(s, &k, &g, midnight).await,
            SendOutcome::Sent,
            "{}",
            b.name
        );

        // A budget of 0 (a tenant stopped by configuration) sends nothing.
        let none = SendGuards {
            daily_budget: 0,
            ..guards()
        };
        let stopped = tenant(s, "initech").await;
        assert_eq!(
            send(s, &key(stopped.id, "15000030000"), &none, T0).await,
            SendOutcome::DailyBudgetReached,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn verified_codes_keep_a_prefix_out_of_the_conversion_throttle() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let g = SendGuards {
            conversion_min_volume: 4,
            conversion_threshold: 0.3,
            throttled_prefix_hourly_cap: 2,
            ..guards()
        };
        // Two prefixes get 4 sends each; of the good one 2 are verified, of the bad
        // one 1.
        for (prefix, verified) in [("1380013", 2), ("1390013", 1)] {
            for n in 0..4 {
                let k = key(t.id, &in_prefix(prefix, n));
                assert_eq!(send(s, &k, &g, T0).await, SendOutcome::Sent, "{}", b.name);
                if n < verified {
                    assert!(matches!(
                        s.check_code(check(&k, "123456", T0 + SEC)).await.unwrap(),
                        CheckOutcome::Pass { .. }
                    ));
                }
            }
        }
        let later = next_hour(T0) + SEC;
        for n in 10..12 {
            let k = key(t.id, &in_prefix("1380013", n));
            assert_eq!(
                send(s, &k, &g, later).await,
                SendOutcome::Sent,
                "{}: 2 of 4, then of 5, are not below 0.3",
                b.name
            );
        }
        for n in 10..12 {
            let k = key(t.id, &in_prefix("1390013", n));
            assert_eq!(
                send(s, &k, &g, later).await,
                SendOutcome::SentThrottled,
                "{}",
                b.name
            );
        }
        let k = key(t.id, &in_prefix("1390013", 12));
        assert_eq!(
            send(s, &k, &g, later).await,
            SendOutcome::PrefixCapReached {
                throttled: true,
                until: later + 12 * HOUR
            },
            "{}: over the throttled cap",
            b.name
        );
        // A wrong check counts nothing; out of the window the sends count no more.
        assert_eq!(
            s.check_code(check(&k, "000000", later)).await.unwrap(),
            CheckOutcome::NoMatch
        );
        let g_short = SendGuards {
            conversion_window_ms: HOUR,
            ..g.clone()
        };
        let next_day = T0 + 2 * DAY;
        assert_eq!(
            send(s, &key(t.id, &in_prefix("1390013", 20)), &g_short, next_day).await,
            SendOutcome::Sent,
            "{}",
            b.name
        );
    }
}

async fn race(s: Arc<dyn Store>, keys: Vec<CodeKey>, g: &SendGuards) -> (usize, Vec<SendOutcome>) {
    let tasks: Vec<_> = keys
        .into_iter()
        .map(|k| {
            let s = s.clone();
            let g = g.clone();
            tokio::spawn(async move { send(&*s, &k, &g, T0).await })
        })
        .collect();
    let mut sent = 0;
    let mut refused = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            SendOutcome::Sent => sent += 1,
            other => refused.push(other),
        }
    }
    (sent, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sends_never_exceed_a_cap() {
    for b in backends().await {
        let t = tenant(&*b.store, "acme").await;
        let g = SendGuards {
            prefix_hourly_cap: 10,
            ..guards()
        };
        let keys = (0..40)
            .map(|n| key(t.id, &in_prefix("1380013", n)))
            .collect();
        let (sent, refused) = race(b.store.clone(), keys, &g).await;
        assert_eq!(sent, 10, "{}: {refused:?}", b.name);
        assert!(
            refused.iter().all(|r| matches!(
                r,
                SendOutcome::PrefixCapReached { .. } | SendOutcome::PrefixBlocked { .. }
            )),
            "{}: {refused:?}",
            b.name
        );
        let mut records_total = 0;
        for n in 0..40 {
            records_total += records(&*b.store, &key(t.id, &in_prefix("1380013", n))).await;
        }
        assert_eq!(records_total, 10, "{}", b.name);

        let g = SendGuards {
            country_hourly_cap: 7,
            ..guards()
        };
        let t2 = tenant(&*b.store, "globex").await;
        let keys = (0..30)
            .map(|n| key(t2.id, &format!("1{:03}0000000", n)))
            .collect();
        let (sent, refused) = race(b.store.clone(), keys, &g).await;
        assert_eq!(sent, 7, "{}: {refused:?}", b.name);
        assert!(refused.iter().all(|r| *r == SendOutcome::CountryCapReached));

        let g = SendGuards {
            daily_budget: 5,
            ..guards()
        };
        let t3 = tenant(&*b.store, "initech").await;
        let keys = (0..30)
            .map(|n| key(t3.id, &format!("1{:03}0000000", n)))
            .collect();
        let (sent, refused) = race(b.store.clone(), keys, &g).await;
        assert_eq!(sent, 5, "{}: {refused:?}", b.name);
        assert!(refused
            .iter()
            .all(|r| *r == SendOutcome::DailyBudgetReached));
    }
}

#[tokio::test]
async fn purge_removes_old_guard_counters_and_blocks_that_ran_out() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let g = SendGuards {
            prefix_hourly_cap: 1,
            ..guards()
        };
        send(s, &key(t.id, "13800130000"), &g, T0).await;
        assert!(matches!(
            send(s, &key(t.id, "13800130001"), &g, T0).await,
            SendOutcome::PrefixCapReached { .. }
        ));
        let now = T0 + 9 * DAY;
        send(s, &key(t.id, "13900130000"), &g, now).await;
        let counts = s
            .purge(PurgeCutoffs::new(now, now - 30 * DAY))
            .await
            .unwrap();
        // The old send's prefix, country and budget rows; the block.
        assert_eq!(
            (counts.sms_counters, counts.sms_blocks),
            (3, 1),
            "{}",
            b.name
        );
        let again = s
            .purge(PurgeCutoffs::new(now, now - 30 * DAY))
            .await
            .unwrap();
        assert_eq!((again.sms_counters, again.sms_blocks), (0, 0), "{}", b.name);
    }
}
