//! Conformance: purging what has expired, and the health probe.

use numgate_store::{CheckOutcome, DeliveryResult, SendQuery};

use crate::support::{backends, check, key, new_code, tenant, DAY, SEC, T0};

#[tokio::test]
async fn purge_removes_only_what_has_expired() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        // Codes: one sent two days ago (expired more than a day ago), one an hour ago
        // (expired, but within the day of grace), one live.
        let old = key(t.id, "13800000001");
        let recent = key(t.id, "13800000002");
        let live = key(t.id, "13800000003");
        let now = T0 + 2 * DAY;
        s.send_code(new_code(&old, "111111", T0)).await.unwrap();
        s.send_code(new_code(&recent, "222222", now - 3_600 * SEC))
            .await
            .unwrap();
        s.send_code(new_code(&live, "333333", now - SEC))
            .await
            .unwrap();
        // Messages: the old one settled, the others still queued.
        let leased = s.claim_messages(T0, T0 + 30 * SEC, 1).await.unwrap();
        s.settle_message(leased[0].id, DeliveryResult::Delivered, T0 + SEC)
            .await
            .unwrap();
        s.claim_nonce("LTAI-one", "expired", now - 1).await.unwrap();
        s.claim_nonce("LTAI-one", "kept", now).await.unwrap();

        // Records older than a day go; the two recent ones stay.
        let counts = s.purge_expired(now, now - DAY).await.unwrap();
        assert_eq!(
            (counts.nonces, counts.codes, counts.messages, counts.records),
            (1, 1, 1, 1),
            "{}",
            b.name
        );

        assert!(
            !s.claim_nonce("LTAI-one", "kept", now + DAY).await.unwrap(),
            "{}",
            b.name
        );
        assert!(
            matches!(
                s.check_code(check(&live, "333333", now)).await.unwrap(),
                CheckOutcome::Pass { .. }
            ),
            "{}",
            b.name
        );
        let records = SendQuery {
            tenant_id: t.id,
            country_code: "86".into(),
            phone: recent.phone.clone(),
            biz_id: None,
            from: 0,
            to: now,
            page: 1,
            page_size: 10,
        };
        assert_eq!(
            s.query_send_details(records).await.unwrap().0,
            1,
            "{}",
            b.name
        );
        assert_eq!(
            s.claim_messages(now, now + 30 * SEC, 10)
                .await
                .unwrap()
                .len(),
            2,
            "{}: queued messages stay",
            b.name
        );

        let nothing_left = s.purge_expired(now, now - DAY).await.unwrap();
        assert_eq!(nothing_left, Default::default(), "{}", b.name);
    }
}

#[tokio::test]
async fn a_large_purge_goes_in_chunks_and_removes_everything() {
    for b in backends().await {
        let s = &*b.store;
        let nonces: Vec<String> = (0..5_000).map(|i| format!("n-{i}")).collect();
        let claims = nonces.iter().map(|n| s.claim_nonce("LTAI-one", n, T0));
        for ok in futures::future::join_all(claims).await {
            assert!(ok.unwrap());
        }
        assert_eq!(
            s.purge_expired(T0 + 1, 0).await.unwrap().nonces,
            5_000,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn a_store_answers_a_ping() {
    for b in backends().await {
        b.store.ping().await.unwrap();
    }
}
