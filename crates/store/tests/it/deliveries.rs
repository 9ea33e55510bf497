//! Conformance: what happens after a channel took a message: receipts (also
//! early ones, and in another hex/decimal form), tenant reports, billing usage,
//! and routes' steps.

use numgate_store::{
    Delivery, DeliveryResult, QueuedSms, ReceiptOutcome, ReceiptUpdate, SendQuery, SendRecord,
    SendStatus, Store,
};

use crate::support::{backends, key, new_code, tenant, DAY, SEC, T0};

const DAY1: &str = "2026-03-01";

/// Queues a code to each number at T0 and leases them; returns the tenant id.
async fn leased(s: &dyn Store, phones: &[&str]) -> (i64, Vec<QueuedSms>) {
    let t = tenant(s, "acme").await;
    for phone in phones {
        s.send_code(new_code(&key(t.id, phone), "123456", T0))
            .await
            .unwrap();
    }
    let leased = s.claim_messages(T0, T0 + 30 * SEC, 10).await.unwrap();
    assert_eq!(leased.len(), phones.len());
    (t.id, leased)
}

fn accepted(provider_id: &str, forms: &[&str], segments: u32, report: bool) -> DeliveryResult {
    DeliveryResult::Accepted(Delivery {
        provider: "smsc-a".into(),
        provider_message_id: Some(provider_id.into()),
        id_forms: forms.iter().map(|f| f.to_string()).collect(),
        segments,
        report,
        day: DAY1.into(),
    })
}

fn receipt(forms: &[&str], delivered: bool, at: i64) -> ReceiptUpdate {
    ReceiptUpdate {
        provider: "smsc-a".into(),
        id_forms: forms.iter().map(|f| f.to_string()).collect(),
        delivered,
        err_code: (!delivered).then(|| "UNDELIV:001".to_owned()),
        at,
        day: DAY1.into(),
    }
}

async fn record(s: &dyn Store, tenant_id: i64, phone: &str) -> SendRecord {
    let q = SendQuery {
        tenant_id,
        country_code: "86".into(),
        phone: phone.into(),
        biz_id: None,
        from: 0,
        to: T0 + DAY,
        page: 1,
        page_size: 10,
    };
    s.query_send_details(q).await.unwrap().1.remove(0)
}

#[tokio::test]
async fn a_receipt_makes_an_accepted_message_final_once_and_counts_its_segments() {
    for b in backends().await {
        let s = &*b.store;
        let (t, m) = leased(s, &["13800138000", "13900139000"]).await;
        // The SMSC answered 0x1A2B to the submit, and reports 6699 (the same, decimal).
        s.settle_message(
            m[0].id,
            accepted("00001A2B", &["1a2b", "6699"], 2, true),
            T0,
        )
        .await
        .unwrap();
        s.settle_message(m[1].id, accepted("7", &["7"], 1, true), T0)
            .await
            .unwrap();
        let waiting = record(s, t, "13800138000").await;
        assert_eq!(waiting.status, SendStatus::Waiting, "{}", b.name);
        assert!(
            s.claim_reports(T0, T0 + SEC, 10).await.unwrap().is_empty(),
            "{}: no report before the receipt",
            b.name
        );

        let applied = s
            .record_receipt(receipt(&["6699", "1a2b"], true, T0 + 3 * SEC))
            .await
            .unwrap();
        assert_eq!(
            applied,
            ReceiptOutcome::Applied {
                tenant_id: t,
                biz_id: m[0].biz_id.clone()
            },
            "{}",
            b.name
        );
        let delivered = record(s, t, "13800138000").await;
        assert_eq!(
            (delivered.status, delivered.received_at),
            (SendStatus::Delivered, Some(T0 + 3 * SEC)),
            "{}",
            b.name
        );
        // The same receipt again (an SMSC resends what it thinks was lost).
        assert_eq!(
            s.record_receipt(receipt(&["6699"], true, T0 + 4 * SEC))
                .await
                .unwrap(),
            ReceiptOutcome::Repeated,
            "{}",
            b.name
        );
        // A failed one: no usage.
        s.record_receipt(receipt(&["7"], false, T0 + 5 * SEC))
            .await
            .unwrap();
        let failed = record(s, t, "13900139000").await;
        assert_eq!(
            (failed.status, failed.err_code.as_deref()),
            (SendStatus::Failed, Some("UNDELIV:001")),
            "{}",
            b.name
        );

        let usage = s.sms_usage(t, DAY1, DAY1).await.unwrap();
        assert_eq!(usage.len(), 1, "{}", b.name);
        assert_eq!(
            (usage[0].messages, usage[0].segments),
            (1, 2),
            "{}: one delivered message of two segments, counted once",
            b.name
        );

        let reports = s
            .claim_reports(T0 + 10 * SEC, T0 + 70 * SEC, 10)
            .await
            .unwrap();
        assert_eq!(reports.len(), 2, "{}: one report per final status", b.name);
        assert!(reports[0].success && !reports[1].success, "{}", b.name);
        assert_eq!(reports[0].biz_id, m[0].biz_id, "{}", b.name);
        assert_eq!(
            (reports[0].phone.as_str(), reports[0].segments),
            ("13800138000", 2),
            "{}",
            b.name
        );
        assert_eq!(reports[1].err_code.as_deref(), Some("UNDELIV:001"));
    }
}

#[tokio::test]
async fn a_receipt_before_the_acceptance_is_applied_when_it_is_recorded() {
    for b in backends().await {
        let s = &*b.store;
        let (t, m) = leased(s, &["13800138000"]).await;
        assert_eq!(
            s.record_receipt(receipt(&["26265", "6699"], true, T0 + SEC))
                .await
                .unwrap(),
            ReceiptOutcome::Early,
            "{}",
            b.name
        );
        s.settle_message(
            m[0].id,
            accepted("1A2B", &["1a2b", "6699"], 1, false),
            T0 + 2 * SEC,
        )
        .await
        .unwrap();
        let r = record(s, t, "13800138000").await;
        assert_eq!(
            (r.status, r.received_at),
            (SendStatus::Delivered, Some(T0 + 2 * SEC)),
            "{}",
            b.name
        );
        assert_eq!(s.sms_usage(t, DAY1, DAY1).await.unwrap()[0].messages, 1);
        assert!(
            s.claim_reports(T0 + 10 * SEC, T0 + 70 * SEC, 10)
                .await
                .unwrap()
                .is_empty(),
            "{}: this tenant wants no reports",
            b.name
        );
    }
}

#[tokio::test]
async fn reports_are_leased_retried_and_gone_once_acknowledged() {
    for b in backends().await {
        let s = &*b.store;
        let (_, m) = leased(s, &["13800138000", "13900139000"]).await;
        for q in &m {
            let d = Delivery {
                report: true,
                ..crate::support::outbox_delivery()
            };
            s.settle_message(q.id, DeliveryResult::Delivered(d), T0)
                .await
                .unwrap();
        }
        let first = s.claim_reports(T0, T0 + 30 * SEC, 1).await.unwrap();
        assert_eq!(first.len(), 1, "{}: the limit holds", b.name);
        assert_eq!(first[0].attempts, 0);
        let second = s.claim_reports(T0, T0 + 30 * SEC, 10).await.unwrap();
        assert_eq!(second.len(), 1, "{}: the leased one is not due", b.name);
        s.retry_reports(&[first[0].id], T0 + 100 * SEC)
            .await
            .unwrap();
        s.ack_reports(&[second[0].id]).await.unwrap();
        assert!(
            s.claim_reports(T0 + 99 * SEC, T0 + 200 * SEC, 10)
                .await
                .unwrap()
                .is_empty(),
            "{}",
            b.name
        );
        let again = s
            .claim_reports(T0 + 100 * SEC, T0 + 200 * SEC, 10)
            .await
            .unwrap();
        assert_eq!(
            (again.len(), again[0].id, again[0].attempts),
            (1, first[0].id, 1),
            "{}: the acknowledged one is gone, the other is due once more",
            b.name
        );
        // A pusher that died: its lease lapses and the report is due again.
        assert_eq!(
            s.claim_reports(T0 + 200 * SEC, T0 + 300 * SEC, 10)
                .await
                .unwrap()
                .len(),
            1,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn a_failure_moves_a_message_to_the_next_step_of_its_route_only_when_asked() {
    for b in backends().await {
        let s = &*b.store;
        let (_, m) = leased(s, &["13800138000"]).await;
        assert_eq!(m[0].route_step, 0);
        s.retry_message(m[0].id, T0, "bind down", true)
            .await
            .unwrap();
        let m = s.claim_messages(T0, T0 + 30 * SEC, 10).await.unwrap();
        assert_eq!(m[0].route_step, 1, "{}", b.name);
        s.retry_message(m[0].id, T0, "throttled", false)
            .await
            .unwrap();
        let m = s.claim_messages(T0, T0 + 30 * SEC, 10).await.unwrap();
        assert_eq!(m[0].route_step, 1, "{}", b.name);
        // A lapsed lease (a crash) keeps the step: the same provider gets it again.
        let m = s
            .claim_messages(T0 + 30 * SEC, T0 + 60 * SEC, 10)
            .await
            .unwrap();
        assert_eq!((m[0].route_step, m[0].attempts), (1, 3), "{}", b.name);
    }
}

#[tokio::test]
async fn deliveries_go_with_their_records_and_stale_reports_after_three_days() {
    for b in backends().await {
        let s = &*b.store;
        let (t, m) = leased(s, &["13800138000", "13900139000"]).await;
        s.settle_message(m[0].id, accepted("9", &["9"], 1, true), T0)
            .await
            .unwrap();
        s.settle_message(m[1].id, accepted("10", &["10", "16"], 1, true), T0)
            .await
            .unwrap();
        s.record_receipt(receipt(&["9"], true, T0)).await.unwrap();
        s.record_receipt(receipt(&["ff"], true, T0)).await.unwrap();
        // Before the cutoffs nothing goes.
        let kept = s.purge_expired(T0 + DAY, T0).await.unwrap();
        assert_eq!((kept.deliveries, kept.reports), (0, 0), "{}", b.name);
        let purged = s.purge_expired(T0 + 4 * DAY, T0 + SEC).await.unwrap();
        assert_eq!(
            purged.deliveries,
            2 + 3,
            "{}: two deliveries and their three id forms",
            b.name
        );
        assert_eq!(
            purged.reports,
            1 + 1,
            "{}: the unacknowledged report and the receipt for no message",
            b.name
        );
        assert!(s
            .claim_reports(T0 + 4 * DAY, T0 + 5 * DAY, 10)
            .await
            .unwrap()
            .is_empty());
        // Billing usage is never purged.
        assert_eq!(
            s.sms_usage(t, DAY1, DAY1).await.unwrap().len(),
            1,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn a_receipt_for_any_part_of_a_long_message_is_known_as_its_own() {
    for b in backends().await {
        let s = &*b.store;
        let (t, m) = leased(s, &["13800138000"]).await;
        // Two parts: ids 0x20 and 0x21, with their decimal forms.
        s.settle_message(
            m[0].id,
            accepted("20", &["20", "32", "21", "33"], 2, false),
            T0,
        )
        .await
        .unwrap();
        assert!(matches!(
            s.record_receipt(receipt(&["33"], true, T0 + SEC))
                .await
                .unwrap(),
            ReceiptOutcome::Applied { .. }
        ));
        assert_eq!(
            s.record_receipt(receipt(&["32"], true, T0 + SEC))
                .await
                .unwrap(),
            ReceiptOutcome::Repeated,
            "{}: the other part's receipt is not kept as an unknown one",
            b.name
        );
        assert_eq!(
            record(s, t, "13800138000").await.status,
            SendStatus::Delivered
        );
        assert_eq!(s.sms_usage(t, DAY1, DAY1).await.unwrap()[0].segments, 2);
    }
}
