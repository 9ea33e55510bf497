//! Conformance: purging what has expired, and the health probe.

use numgate_store::{
    AuditEntry, CheckOutcome, DeliveryResult, NewAttempt, NewInbound, NewSession, PurgeCutoffs,
    PutPolicy, RiskDimension, RiskEvent, SendQuery, RISK_EVENT_RETENTION_MS,
};

use crate::support::{backends, check, key, new_code, tenant, DAY, HOUR, SEC, T0};

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
        s.settle_message(
            leased[0].id,
            DeliveryResult::Delivered(crate::support::outbox_delivery()),
            T0 + SEC,
        )
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

fn session(tenant_id: i64, id: &str, expires_at: i64) -> NewSession {
    NewSession {
        id: id.into(),
        tenant_id,
        scheme: "FC100000000000001".into(),
        scene: 100001,
        state: "{}".into(),
        created_at: T0,
        expires_at,
    }
}

fn event(tenant_id: i64, at: i64) -> RiskEvent {
    RiskEvent {
        tenant_id,
        dimension: RiskDimension::Device,
        value: "h:dev1".into(),
        at,
    }
}

fn attempt(tenant_id: i64, at: i64) -> NewAttempt {
    NewAttempt {
        tenant_id,
        scheme: "FC100000000000001".into(),
        scene: 100001,
        session_id: format!("s-{at}"),
        number: None,
        device_id: None,
        ip: None,
        outcome: "refused".into(),
        endpoint_score: None,
        number_score: None,
        fired_rules: "[]".into(),
        path: "[]".into(),
        at,
    }
}

fn inbound(text: &str, received_at: i64) -> NewInbound {
    NewInbound {
        from: "8613800000001".into(),
        to: "1069000000".into(),
        text: text.into(),
        received_at,
    }
}

/// Sessions go once expired, risk events after their retention (a day), inbound
/// messages a day after receipt, attempts with the send records; policies and
/// the audit log stay however old.
#[tokio::test]
async fn purge_removes_fusion_state_past_its_time_and_keeps_policies_and_audit() {
    assert_eq!(RISK_EVENT_RETENTION_MS, DAY);
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let now = T0 + 10 * DAY;
        let records_before = now - 3 * DAY;

        s.create_session(session(t.id, "expired", now - 1))
            .await
            .unwrap();
        s.create_session(session(t.id, "live", now + 1))
            .await
            .unwrap();
        s.record_risk_events(&[event(t.id, now - DAY - 1), event(t.id, now - DAY)])
            .await
            .unwrap();
        s.record_attempt(attempt(t.id, records_before - 1))
            .await
            .unwrap();
        s.record_attempt(attempt(t.id, records_before))
            .await
            .unwrap();
        s.record_inbound(inbound("old", now - DAY - 1))
            .await
            .unwrap();
        s.record_inbound(inbound("recent", now - HOUR))
            .await
            .unwrap();
        s.put_policy(PutPolicy {
            tenant_id: t.id,
            scene: 100001,
            scheme: None,
            graph: "{}".into(),
            inherit: true,
            logging: true,
            expected_version: None,
            actor: "alice".into(),
            at: T0,
        })
        .await
        .unwrap();
        s.append_audit(AuditEntry {
            tenant_id: t.id,
            actor: "alice".into(),
            action: "key.disable".into(),
            target: "key LTAI".into(),
            before: None,
            after: None,
            at: T0,
        })
        .await
        .unwrap();

        let counts = s.purge_expired(now, records_before).await.unwrap();
        assert_eq!(
            (
                counts.sessions,
                counts.risk_events,
                counts.attempts,
                counts.inbound
            ),
            (1, 1, 1, 1),
            "{}",
            b.name
        );
        assert!(s.load_session("live", now).await.unwrap().is_some());
        assert_eq!(
            s.count_risk_events(t.id, RiskDimension::Device, "h:dev1", 0)
                .await
                .unwrap(),
            1,
            "{}: the event exactly a day old stays",
            b.name
        );
        let attempts = s.list_attempts(t.id, false, 10).await.unwrap();
        assert_eq!(attempts.len(), 1, "{}", b.name);
        assert_eq!(attempts[0].at, records_before);
        let texts: Vec<String> = s
            .list_inbound(10)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.text)
            .collect();
        assert_eq!(texts, vec!["recent"], "{}", b.name);
        assert!(s.get_policy(t.id, 100001, None).await.unwrap().is_some());
        assert_eq!(s.list_audit(t.id, 10, None).await.unwrap().len(), 2);

        assert_eq!(
            s.purge_expired(now, records_before).await.unwrap(),
            Default::default(),
            "{}",
            b.name
        );

        // A caller may keep risk events for less than the default.
        let shorter = PurgeCutoffs {
            risk_events_before: now - HOUR,
            ..PurgeCutoffs::new(now, records_before)
        };
        assert_eq!(s.purge(shorter).await.unwrap().risk_events, 1, "{}", b.name);
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
