//! Conformance: the SMS dispatch queue and the development outbox.

use numgate_store::{DeliveryResult, OutboxEntry, SendQuery, SendStatus, Store};

use crate::support::{backends, key, new_code, tenant, DAY, SEC, T0};

/// Sends a code to each number at T0; returns the tenant id.
async fn queue_codes(s: &dyn Store, phones: &[&str]) -> i64 {
    let t = tenant(s, "acme").await;
    for phone in phones {
        s.send_code(new_code(&key(t.id, phone), "123456", T0))
            .await
            .unwrap();
    }
    t.id
}

#[tokio::test]
async fn queued_messages_are_leased_and_a_lapsed_lease_is_due_again() {
    for b in backends().await {
        let s = &*b.store;
        let tenant_id = queue_codes(s, &["13800138000", "13900139000"]).await;

        let first = s.claim_messages(T0, T0 + 30 * SEC, 1).await.unwrap();
        assert_eq!(first.len(), 1, "{}: the limit holds", b.name);
        let rest = s.claim_messages(T0, T0 + 30 * SEC, 10).await.unwrap();
        assert_eq!(rest.len(), 1, "{}", b.name);
        let m = &first[0];
        assert_eq!(
            (m.tenant_id, m.country_code.as_str(), m.phone.as_str()),
            (tenant_id, "86", "13800138000")
        );
        assert_eq!(m.sealed_text, b"sealed:123456");
        assert_eq!(m.attempts, 0, "{}", b.name);
        assert!(m.biz_id.starts_with("biz-"));

        assert!(
            s.claim_messages(T0 + 29 * SEC, T0 + 60 * SEC, 10)
                .await
                .unwrap()
                .is_empty(),
            "{}: leased",
            b.name
        );
        // The dispatcher died: at lease_until both are due again, one attempt later.
        let again = s
            .claim_messages(T0 + 30 * SEC, T0 + 60 * SEC, 10)
            .await
            .unwrap();
        assert_eq!(
            again.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![first[0].id, rest[0].id],
            "{}",
            b.name
        );
        assert!(again.iter().all(|m| m.attempts == 1), "{}", b.name);
    }
}

#[tokio::test]
async fn a_retried_message_is_due_at_its_retry_time() {
    for b in backends().await {
        let s = &*b.store;
        queue_codes(s, &["13800138000"]).await;
        let m = s
            .claim_messages(T0, T0 + 30 * SEC, 10)
            .await
            .unwrap()
            .remove(0);
        s.retry_message(m.id, T0 + 100 * SEC, "smsc busy", false)
            .await
            .unwrap();

        assert!(
            s.claim_messages(T0 + 99 * SEC, T0 + 200 * SEC, 10)
                .await
                .unwrap()
                .is_empty(),
            "{}",
            b.name
        );
        let again = s
            .claim_messages(T0 + 100 * SEC, T0 + 200 * SEC, 10)
            .await
            .unwrap();
        assert_eq!(again.len(), 1, "{}", b.name);
        assert_eq!((again[0].id, again[0].attempts), (m.id, 1), "{}", b.name);
    }
}

#[tokio::test]
async fn settling_forgets_the_text_and_updates_the_send_record() {
    for b in backends().await {
        let s = &*b.store;
        let tenant_id = queue_codes(s, &["13800138000", "13900139000"]).await;
        let leased = s.claim_messages(T0, T0 + 30 * SEC, 10).await.unwrap();
        s.settle_message(
            leased[0].id,
            DeliveryResult::Delivered(crate::support::outbox_delivery()),
            T0 + 5 * SEC,
        )
        .await
        .unwrap();
        let failed = DeliveryResult::Failed {
            err_code: "MOBILE_NOT_ON_SERVICE".into(),
            report: false,
        };
        s.settle_message(leased[1].id, failed, T0 + 6 * SEC)
            .await
            .unwrap();
        // Settling again changes nothing.
        s.settle_message(
            leased[0].id,
            DeliveryResult::Failed {
                err_code: "late".into(),
                report: false,
            },
            T0 + 9 * SEC,
        )
        .await
        .unwrap();

        let record = |phone: &str| {
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
            async move { s.query_send_details(q).await.unwrap().1.remove(0) }
        };
        let delivered = record("13800138000").await;
        assert_eq!(
            (delivered.status, delivered.received_at, delivered.err_code),
            (SendStatus::Delivered, Some(T0 + 5 * SEC), None),
            "{}",
            b.name
        );
        let failed = record("13900139000").await;
        assert_eq!(
            (
                failed.status,
                failed.received_at,
                failed.err_code.as_deref()
            ),
            (
                SendStatus::Failed,
                Some(T0 + 6 * SEC),
                Some("MOBILE_NOT_ON_SERVICE")
            ),
            "{}",
            b.name
        );

        // Settled messages are never due again, even after their lease, and are purged.
        assert!(
            s.claim_messages(T0 + DAY, T0 + DAY, 10)
                .await
                .unwrap()
                .is_empty(),
            "{}",
            b.name
        );
        assert_eq!(
            s.purge_expired(T0 + 10 * SEC, 0).await.unwrap().messages,
            2,
            "{}",
            b.name
        );
    }
}

fn entry(message_id: i64, phone: &str, text: &str, created_at: i64) -> OutboxEntry {
    OutboxEntry {
        message_id,
        tenant_id: 1,
        biz_id: format!("biz-{message_id}"),
        phone: phone.into(),
        sealed_text: text.as_bytes().to_vec(),
        status: "delivered".into(),
        created_at,
    }
}

#[tokio::test]
async fn the_outbox_is_idempotent_per_message() {
    for b in backends().await {
        let s = &*b.store;
        s.put_outbox(entry(1, "8613800138000", "您的验证码为123456。", T0))
            .await
            .unwrap();
        s.put_outbox(entry(1, "8613800138000", "a redelivery", T0 + SEC))
            .await
            .unwrap();
        s.put_outbox(entry(
            2,
            "8613900139000",
            "您的验证码为654321。",
            T0 + 2 * SEC,
        ))
        .await
        .unwrap();
        s.put_outbox(entry(
            3,
            "8613800138000",
            "您的验证码为111111。",
            T0 + 3 * SEC,
        ))
        .await
        .unwrap();

        let all = s.list_outbox(None, 10).await.unwrap();
        assert_eq!(
            all.iter().map(|e| e.message_id).collect::<Vec<_>>(),
            [3, 2, 1],
            "{}",
            b.name
        );
        assert_eq!(
            all[2],
            entry(1, "8613800138000", "您的验证码为123456。", T0),
            "{}",
            b.name
        );
        let one_number = s.list_outbox(Some("8613800138000"), 10).await.unwrap();
        assert_eq!(
            one_number.iter().map(|e| e.message_id).collect::<Vec<_>>(),
            [3, 1],
            "{}",
            b.name
        );
        assert_eq!(s.list_outbox(None, 1).await.unwrap().len(), 1, "{}", b.name);
    }
}
