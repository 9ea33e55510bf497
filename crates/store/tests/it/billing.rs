//! Conformance: resource plans consumed before pay-as-you-go, only while valid,
//! exactly under concurrency; delivered SMS charged per segment.

use std::sync::Arc;

use numgate_domain::stats::Method;
use numgate_store::{Charge, Charged, Delivery, DeliveryResult, NewPlan, Store, UsageRow};

use crate::support::{backends, key, new_code, tenant, DAY, SEC, T0};

fn charge(tenant_id: i64, method: Method, units: u64, now: i64) -> Charge {
    Charge {
        tenant_id,
        method,
        month: "2026-03".into(),
        scheme: "FC1".into(),
        scene: String::new(),
        units,
        now,
    }
}

fn plan(tenant_id: i64, method: Method, total: u64, from: i64, until: i64) -> NewPlan {
    NewPlan {
        tenant_id,
        method,
        total,
        valid_from: from,
        valid_until: until,
        created_at: T0,
    }
}

#[tokio::test]
async fn plans_are_used_before_pay_as_you_go_and_only_while_valid() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await.id;
        let now = T0 + SEC;
        s.add_plan(plan(t, Method::OneClick, 5, T0, T0 + DAY))
            .await
            .unwrap();
        s.add_plan(plan(t, Method::OneClick, 3, T0 + DAY, T0 + 2 * DAY))
            .await
            .unwrap();
        // Another method's plan covers nothing here.
        s.add_plan(plan(t, Method::Sms, 100, T0, T0 + DAY))
            .await
            .unwrap();
        assert_eq!(
            s.plan_units_left(t, Method::OneClick, now).await.unwrap(),
            5
        );
        let c = |units, now| s.charge(charge(t, Method::OneClick, units, now));
        assert_eq!(
            c(3, now).await.unwrap(),
            Charged {
                plan_units: 3,
                paid_units: 0
            },
            "{}",
            b.name
        );
        assert_eq!(
            c(4, now).await.unwrap(),
            Charged {
                plan_units: 2,
                paid_units: 2
            },
            "{}",
            b.name
        );
        assert_eq!(
            s.plan_units_left(t, Method::OneClick, now).await.unwrap(),
            0
        );
        // The next day the first plan has ended and the second begun.
        assert_eq!(
            c(1, T0 + DAY).await.unwrap(),
            Charged {
                plan_units: 1,
                paid_units: 0
            },
            "{}",
            b.name
        );
        let usage = s.monthly_usage(t, "2026-03").await.unwrap();
        assert_eq!(
            usage,
            vec![UsageRow {
                method: Method::OneClick,
                scheme: "FC1".into(),
                scene: String::new(),
                plan_units: 6,
                paid_units: 2
            }],
            "{}",
            b.name
        );
        let plans = s.list_plans(Some(t)).await.unwrap();
        let used: Vec<_> = plans.iter().map(|p| (p.total, p.used)).collect();
        assert_eq!(used, vec![(5, 5), (3, 1), (100, 0)], "{}", b.name);
        assert!(s.monthly_usage(t, "2026-04").await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn concurrent_charges_use_a_plan_exactly() {
    for b in backends().await {
        let s: Arc<dyn Store> = b.store.clone();
        let t = tenant(&*s, "acme").await.id;
        s.add_plan(plan(t, Method::NumberCheck, 60, T0, T0 + DAY))
            .await
            .unwrap();
        s.add_plan(plan(t, Method::NumberCheck, 40, T0, T0 + 2 * DAY))
            .await
            .unwrap();
        let tasks: Vec<_> = (0..150)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.charge(charge(t, Method::NumberCheck, 1, T0 + SEC))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let (mut plan_units, mut paid) = (0, 0);
        for task in tasks {
            let c = task.await.unwrap();
            plan_units += c.plan_units;
            paid += c.paid_units;
        }
        assert_eq!((plan_units, paid), (100, 50), "{}", b.name);
        let plans = s.list_plans(Some(t)).await.unwrap();
        assert!(plans.iter().all(|p| p.used == p.total), "{}", b.name);
        let usage = s.monthly_usage(t, "2026-03").await.unwrap();
        assert_eq!(
            (usage[0].plan_units, usage[0].paid_units),
            (100, 50),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn a_delivered_sms_is_charged_per_segment_once() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await.id;
        s.add_plan(plan(t, Method::Sms, 1, 0, T0 + DAY))
            .await
            .unwrap();
        s.send_code(new_code(&key(t, "13800138000"), "123456", T0))
            .await
            .unwrap();
        let leased = s.claim_messages(T0, T0 + 30 * SEC, 10).await.unwrap();
        let delivered = DeliveryResult::Delivered(Delivery {
            provider: "smsc-a".into(),
            provider_message_id: None,
            id_forms: vec![],
            segments: 3,
            report: false,
            day: "2026-03-01".into(),
        });
        s.settle_message(leased[0].id, delivered.clone(), T0)
            .await
            .unwrap();
        s.settle_message(leased[0].id, delivered, T0).await.unwrap();
        let usage = s.monthly_usage(t, "2026-03").await.unwrap();
        assert_eq!(
            usage,
            vec![UsageRow {
                method: Method::Sms,
                scheme: "default".into(),
                scene: String::new(),
                plan_units: 1,
                paid_units: 2
            }],
            "{}",
            b.name
        );
    }
}
