//! Conformance: the explainable record of Fusion-Auth attempts.

use numgate_store::NewAttempt;

use crate::support::{backends, tenant, SEC, T0};

fn attempt(tenant_id: i64, outcome: &str, at: i64) -> NewAttempt {
    NewAttempt {
        tenant_id,
        scheme: "FC100000000000001".into(),
        scene: 100001,
        session_id: format!("s-{at}"),
        number: Some("8613800000001".into()),
        device_id: Some("h:dev1".into()),
        ip: None,
        outcome: outcome.into(),
        endpoint_score: Some(12),
        number_score: None,
        fired_rules: r#"[{"node":"endpoint","rule":"emulator"}]"#.into(),
        path: r#"["endpoint","number","one_click"]"#.into(),
        at,
    }
}

#[tokio::test]
async fn attempts_are_listed_newest_first_and_refused_ones_alone_on_request() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let other = tenant(s, "other").await;
        let outcomes = ["pass", "refused", "abandoned", "refused", "pass"];
        let mut ids = Vec::new();
        for (i, outcome) in outcomes.iter().enumerate() {
            let at = T0 + i as i64 * SEC;
            ids.push(s.record_attempt(attempt(t.id, outcome, at)).await.unwrap());
        }
        s.record_attempt(attempt(other.id, "refused", T0 + 9 * SEC))
            .await
            .unwrap();

        let all = s.list_attempts(t.id, false, 10).await.unwrap();
        let seen: Vec<&str> = all.iter().map(|a| a.outcome.as_str()).collect();
        assert_eq!(
            seen,
            vec!["pass", "refused", "abandoned", "refused", "pass"],
            "{}",
            b.name
        );
        assert_eq!(all[0].id, ids[4], "{}: newest first", b.name);
        assert_eq!(all[4].at, T0);

        let refused = s.list_attempts(t.id, true, 10).await.unwrap();
        let refused_ids: Vec<i64> = refused.iter().map(|a| a.id).collect();
        assert_eq!(refused_ids, vec![ids[3], ids[1]], "{}", b.name);
        assert_eq!(s.list_attempts(t.id, true, 1).await.unwrap().len(), 1);
        assert_eq!(s.list_attempts(t.id, false, 2).await.unwrap().len(), 2);

        let r = &refused[0];
        let expected = attempt(t.id, "refused", T0 + 3 * SEC);
        assert_eq!(
            (
                r.tenant_id,
                &r.scheme,
                r.scene,
                &r.session_id,
                &r.number,
                &r.device_id,
                &r.ip,
                r.endpoint_score,
                r.number_score,
                &r.fired_rules,
                &r.path,
                r.at
            ),
            (
                expected.tenant_id,
                &expected.scheme,
                expected.scene,
                &expected.session_id,
                &expected.number,
                &expected.device_id,
                &expected.ip,
                expected.endpoint_score,
                expected.number_score,
                &expected.fired_rules,
                &expected.path,
                expected.at
            ),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn attempts_are_paged_newest_first_by_cursor_and_pages_do_not_shift() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        // Two attempts at the same millisecond: the id orders them.
        let times = [T0, T0 + SEC, T0 + SEC, T0 + 2 * SEC, T0 + 3 * SEC];
        let mut ids = Vec::new();
        for at in times {
            ids.push(
                s.record_attempt(attempt(t.id, "refused", at))
                    .await
                    .unwrap(),
            );
        }
        s.record_attempt(attempt(t.id, "pass", T0 + 4 * SEC))
            .await
            .unwrap();

        let first = s.list_attempts_page(t.id, true, None, 2).await.unwrap();
        let page: Vec<i64> = first.iter().map(|a| a.id).collect();
        assert_eq!(page, vec![ids[4], ids[3]], "{}", b.name);
        // A newer attempt arrives between pages: the next page is unchanged.
        s.record_attempt(attempt(t.id, "refused", T0 + 5 * SEC))
            .await
            .unwrap();
        let second = s
            .list_attempts_page(t.id, true, Some(first[1].cursor()), 2)
            .await
            .unwrap();
        let page: Vec<i64> = second.iter().map(|a| a.id).collect();
        assert_eq!(page, vec![ids[2], ids[1]], "{}", b.name);
        let third = s
            .list_attempts_page(t.id, true, Some(second[1].cursor()), 2)
            .await
            .unwrap();
        let page: Vec<i64> = third.iter().map(|a| a.id).collect();
        assert_eq!(page, vec![ids[0]], "{}", b.name);
        assert!(s
            .list_attempts_page(t.id, true, Some(third[0].cursor()), 2)
            .await
            .unwrap()
            .is_empty());
        // Without refused_only the pass is there too.
        let all = s.list_attempts_page(t.id, false, None, 10).await.unwrap();
        assert_eq!(all.len(), 7, "{}", b.name);
    }
}
