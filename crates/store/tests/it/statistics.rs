//! Conformance: statistics rollups — counted per key, queried per day with
//! filters, exact under concurrency, and SMS sends moved from unknown to their
//! final outcome once.

use std::sync::Arc;

use numgate_domain::stats::{Method, Outcome};
use numgate_store::{
    DayStats, Delivery, DeliveryResult, ReceiptUpdate, StatFilter, StatKey, Store,
};

use crate::support::{backends, key, new_code, tenant, SEC, T0};

fn stat(tenant_id: i64, method: Method, day: &str, scheme: &str, os: &str) -> StatKey {
    StatKey {
        tenant_id,
        method,
        day: day.into(),
        scheme: scheme.into(),
        scene: String::new(),
        os_type: os.into(),
    }
}

fn day(d: &str, success: u64, fail: u64, unknown: u64) -> DayStats {
    DayStats {
        day: d.into(),
        success,
        fail,
        unknown,
    }
}

#[tokio::test]
async fn attempts_are_counted_per_key_and_added_up_per_day_with_filters() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await.id;
        let other = tenant(s, "other").await.id;
        let one = |d: &str, scheme: &str, os: &str| stat(t, Method::OneClick, d, scheme, os);
        s.count_attempt(one("2026-03-01", "FC1", "Android"), Outcome::Success, 3)
            .await
            .unwrap();
        s.count_attempt(one("2026-03-01", "FC2", "iOS"), Outcome::Success, 1)
            .await
            .unwrap();
        s.count_attempt(one("2026-03-01", "FC2", "iOS"), Outcome::Fail, 2)
            .await
            .unwrap();
        s.count_attempt(one("2026-03-03", "FC1", "Android"), Outcome::Unknown, 1)
            .await
            .unwrap();
        // Outside the range, another method, another tenant: not added.
        s.count_attempt(one("2026-03-04", "FC1", "Android"), Outcome::Success, 9)
            .await
            .unwrap();
        s.count_attempt(
            stat(t, Method::NumberCheck, "2026-03-01", "FC1", "Android"),
            Outcome::Success,
            9,
        )
        .await
        .unwrap();
        s.count_attempt(
            stat(other, Method::OneClick, "2026-03-01", "FC9", "Android"),
            Outcome::Success,
            9,
        )
        .await
        .unwrap();
        let mut fusion = stat(t, Method::Fusion, "2026-03-02", "FC5", "Web");
        fusion.scene = "100001".into();
        s.count_attempt(fusion.clone(), Outcome::Success, 1)
            .await
            .unwrap();
        fusion.scene = "100002".into();
        s.count_attempt(fusion, Outcome::Fail, 1).await.unwrap();

        let q = |f: StatFilter| s.query_statistics(t, f, "2026-03-01", "2026-03-03");
        assert_eq!(
            q(StatFilter::method(Method::OneClick)).await.unwrap(),
            vec![day("2026-03-01", 4, 2, 0), day("2026-03-03", 0, 0, 1)],
            "{}",
            b.name
        );
        let mut ios = StatFilter::method(Method::OneClick);
        ios.os_type = Some("iOS".into());
        assert_eq!(
            q(ios).await.unwrap(),
            vec![day("2026-03-01", 1, 2, 0)],
            "{}",
            b.name
        );
        let mut fc1 = StatFilter::method(Method::OneClick);
        fc1.scheme = Some("FC1".into());
        assert_eq!(
            q(fc1).await.unwrap(),
            vec![day("2026-03-01", 3, 0, 0), day("2026-03-03", 0, 0, 1)],
            "{}",
            b.name
        );
        let mut scene = StatFilter::method(Method::Fusion);
        scene.scene = Some("100002".into());
        assert_eq!(
            q(scene).await.unwrap(),
            vec![day("2026-03-02", 0, 1, 0)],
            "{}",
            b.name
        );
        assert!(q(StatFilter::method(Method::Sms)).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn concurrent_counts_of_one_key_are_exact() {
    for b in backends().await {
        let s: Arc<dyn Store> = b.store.clone();
        let t = tenant(&*s, "acme").await.id;
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    let outcome = if i % 4 == 0 {
                        Outcome::Fail
                    } else {
                        Outcome::Success
                    };
                    s.count_attempt(
                        stat(t, Method::NumberCheck, "2026-03-01", "FC1", "Android"),
                        outcome,
                        1,
                    )
                    .await
                    .unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let rows = s
            .query_statistics(
                t,
                StatFilter::method(Method::NumberCheck),
                "2026-03-01",
                "2026-03-01",
            )
            .await
            .unwrap();
        assert_eq!(rows, vec![day("2026-03-01", 150, 50, 0)], "{}", b.name);
    }
}

#[tokio::test]
async fn an_sms_send_is_unknown_until_its_final_status_moves_it_once() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await.id;
        for phone in ["13800138000", "13900139000", "13700137000"] {
            s.send_code(new_code(&key(t, phone), "123456", T0))
                .await
                .unwrap();
        }
        // T0 is 2023-11-14 in UTC, the calendar of `SendGuards::unlimited`.
        let today = "2023-11-14";
        assert_eq!(
            sms(s, t, today).await,
            vec![day(today, 0, 0, 3)],
            "{}",
            b.name
        );

        let leased = s.claim_messages(T0, T0 + 30 * SEC, 10).await.unwrap();
        let delivery = |forms: &[&str]| Delivery {
            provider: "smsc-a".into(),
            provider_message_id: forms.first().map(|f| f.to_string()),
            id_forms: forms.iter().map(|f| f.to_string()).collect(),
            segments: 1,
            report: false,
            day: today.into(),
        };
        s.settle_message(leased[0].id, DeliveryResult::Delivered(delivery(&[])), T0)
            .await
            .unwrap();
        s.settle_message(
            leased[1].id,
            DeliveryResult::Accepted(delivery(&["77"])),
            T0,
        )
        .await
        .unwrap();
        assert_eq!(
            sms(s, t, today).await,
            vec![day(today, 1, 0, 2)],
            "{}",
            b.name
        );
        let failed = ReceiptUpdate {
            provider: "smsc-a".into(),
            id_forms: vec!["77".into()],
            delivered: false,
            err_code: Some("UNDELIV".into()),
            at: T0 + SEC,
            day: today.into(),
        };
        s.record_receipt(failed.clone()).await.unwrap();
        // Repeated receipts and settlements move nothing again.
        s.record_receipt(failed).await.unwrap();
        s.settle_message(leased[0].id, DeliveryResult::Delivered(delivery(&[])), T0)
            .await
            .unwrap();
        assert_eq!(
            sms(s, t, today).await,
            vec![day(today, 1, 1, 1)],
            "{}",
            b.name
        );
    }
}

async fn sms(s: &dyn Store, t: i64, today: &str) -> Vec<DayStats> {
    s.query_statistics(t, StatFilter::method(Method::Sms), today, today)
        .await
        .unwrap()
}
