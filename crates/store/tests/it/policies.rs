//! Conformance: Fusion-Auth policies (versions, optimistic concurrency, restore to
//! defaults), each change with its audit row in the same transaction; the audit log.

use std::sync::Arc;

use numgate_store::{AuditEntry, PolicyRecord, PutPolicy, StoreError};

use crate::support::{backends, tenant, SEC, T0};

const LOGON: i32 = 100001;
const CHANGE: i32 = 100002;
const SCHEME: &str = "FC100000000000001";

fn put(tenant_id: i64, scheme: Option<&str>, graph: &str, expected: Option<i64>) -> PutPolicy {
    PutPolicy {
        tenant_id,
        scene: LOGON,
        scheme: scheme.map(str::to_owned),
        graph: graph.into(),
        inherit: true,
        logging: false,
        expected_version: expected,
        actor: "alice".into(),
        at: T0,
    }
}

#[tokio::test]
async fn a_policy_is_stored_versioned_and_audited_in_one_transaction() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        assert_eq!(s.get_policy(t.id, LOGON, None).await.unwrap(), None);

        let v1 = s
            .put_policy(put(t.id, None, r#"{"nodes":["endpoint"]}"#, None))
            .await
            .unwrap();
        let expected = PolicyRecord {
            tenant_id: t.id,
            scene: LOGON,
            scheme: None,
            graph: r#"{"nodes":["endpoint"]}"#.into(),
            inherit: true,
            logging: false,
            version: 1,
            updated_at: T0,
            updated_by: "alice".into(),
        };
        assert_eq!(v1, expected, "{}", b.name);
        assert_eq!(
            s.get_policy(t.id, LOGON, None).await.unwrap(),
            Some(expected),
            "{}",
            b.name
        );

        let v2 = s
            .put_policy(PutPolicy {
                logging: true,
                actor: "bob".into(),
                at: T0 + SEC,
                ..put(t.id, None, r#"{"nodes":["sms"]}"#, Some(1))
            })
            .await
            .unwrap();
        assert_eq!((v2.version, v2.logging), (2, true), "{}", b.name);
        assert_eq!(v2.updated_by, "bob");

        // A stale version, or "create" over an existing policy: refused, nothing written.
        for stale in [Some(1), Some(0), Some(7)] {
            match s.put_policy(put(t.id, None, "{}", stale)).await {
                Err(StoreError::Conflict("policy version")) => {}
                other => panic!("{}: {stale:?} must conflict, got {other:?}", b.name),
            }
        }
        assert_eq!(
            s.get_policy(t.id, LOGON, None).await.unwrap(),
            Some(v2.clone())
        );

        let audit = s.list_audit(t.id, 10, None).await.unwrap();
        assert_eq!(audit.len(), 2, "{}: one row per change", b.name);
        let (second, first) = (&audit[0], &audit[1]);
        assert!(second.id > first.id, "{}: newest first", b.name);
        assert_eq!(
            (first.action.as_str(), first.target.as_str()),
            ("policy.put", "scene 100001")
        );
        assert_eq!((first.actor.as_str(), first.at), ("alice", T0));
        assert_eq!(first.before, None, "{}: nothing before", b.name);
        let after = first.after.as_deref().unwrap();
        assert!(after.contains("\"version\":1"), "{after}");
        assert!(
            after.contains(r#""graph":"{\"nodes\":[\"endpoint\"]}""#),
            "{after}"
        );
        assert_eq!((second.actor.as_str(), second.at), ("bob", T0 + SEC));
        assert_eq!(second.before.as_deref(), first.after.as_deref());
        assert!(second.after.as_deref().unwrap().contains("\"version\":2"));
    }
}

#[tokio::test]
async fn scheme_policies_are_kept_apart_from_the_global_one_and_listed_in_order() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let other = tenant(s, "other").await;
        let scheme = s
            .put_policy(PutPolicy {
                inherit: false,
                ..put(t.id, Some(SCHEME), "scheme", Some(0))
            })
            .await
            .unwrap();
        assert_eq!((scheme.version, scheme.inherit), (1, false));
        s.put_policy(PutPolicy {
            scene: CHANGE,
            ..put(t.id, None, "change", None)
        })
        .await
        .unwrap();
        s.put_policy(put(t.id, None, "global", None)).await.unwrap();
        s.put_policy(put(other.id, None, "theirs", None))
            .await
            .unwrap();

        assert_eq!(
            s.get_policy(t.id, LOGON, Some(SCHEME))
                .await
                .unwrap()
                .unwrap()
                .graph,
            "scheme"
        );
        assert_eq!(
            s.get_policy(t.id, LOGON, None)
                .await
                .unwrap()
                .unwrap()
                .graph,
            "global"
        );
        assert_eq!(
            s.get_policy(t.id, LOGON, Some("FC999")).await.unwrap(),
            None
        );
        let listed: Vec<(i32, Option<String>, String)> = s
            .list_policies(t.id)
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.scene, p.scheme, p.graph))
            .collect();
        assert_eq!(
            listed,
            vec![
                (LOGON, None, "global".into()),
                (LOGON, Some(SCHEME.into()), "scheme".into()),
                (CHANGE, None, "change".into()),
            ],
            "{}",
            b.name
        );
        let audit = s.list_audit(t.id, 10, None).await.unwrap();
        assert_eq!(
            audit.len(),
            3,
            "{}: the other tenant's row is its own",
            b.name
        );
        assert_eq!(audit[2].target, format!("scene 100001 scheme {SCHEME}"));
    }
}

#[tokio::test]
async fn restoring_defaults_removes_the_policy_with_an_audit_row_and_versions_go_on() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        s.put_policy(put(t.id, Some(SCHEME), "custom", None))
            .await
            .unwrap();
        assert!(s
            .delete_policy(t.id, LOGON, Some(SCHEME), "carol", T0 + SEC)
            .await
            .unwrap());
        assert_eq!(
            s.get_policy(t.id, LOGON, Some(SCHEME)).await.unwrap(),
            None,
            "{}",
            b.name
        );
        assert!(s.list_policies(t.id).await.unwrap().is_empty());
        // Nothing to restore: no change, no audit row.
        assert!(!s
            .delete_policy(t.id, LOGON, Some(SCHEME), "carol", T0 + SEC)
            .await
            .unwrap());
        assert!(!s
            .delete_policy(t.id, LOGON, None, "carol", T0 + SEC)
            .await
            .unwrap());

        let audit = s.list_audit(t.id, 10, None).await.unwrap();
        assert_eq!(audit.len(), 2, "{}", b.name);
        let restore = &audit[0];
        assert_eq!(restore.action, "policy.delete");
        assert_eq!(restore.actor, "carol");
        assert_eq!(restore.at, T0 + SEC);
        assert_eq!(restore.before.as_deref(), audit[1].after.as_deref());
        assert_eq!(restore.after, None);

        // An editor who read version 1 before the restore cannot overwrite it;
        // "create" can, and the version goes on past the restore.
        match s
            .put_policy(put(t.id, Some(SCHEME), "stale", Some(1)))
            .await
        {
            Err(StoreError::Conflict(_)) => {}
            other => panic!("{}: expected a conflict, got {other:?}", b.name),
        }
        let again = s
            .put_policy(put(t.id, Some(SCHEME), "again", Some(0)))
            .await
            .unwrap();
        assert_eq!(again.version, 3, "{}", b.name);
        let audit = s.list_audit(t.id, 10, None).await.unwrap();
        assert_eq!(audit[0].before, None, "{}: defaults before", b.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_puts_of_one_policy_take_turns_and_each_is_audited() {
    for b in backends().await {
        let t = tenant(&*b.store, "acme").await;
        // Unconditional puts: every one lands, one after another.
        let puts: Vec<_> = (0..20)
            .map(|i| {
                let store = Arc::clone(&b.store);
                tokio::spawn(async move {
                    store
                        .put_policy(put(t.id, None, &format!("g{i}"), None))
                        .await
                })
            })
            .collect();
        let mut versions: Vec<i64> = futures::future::join_all(puts)
            .await
            .into_iter()
            .map(|r| r.unwrap().unwrap().version)
            .collect();
        versions.sort_unstable();
        assert_eq!(versions, (1..=20).collect::<Vec<_>>(), "{}", b.name);
        let audit = b.store.list_audit(t.id, 100, None).await.unwrap();
        assert_eq!(audit.len(), 20, "{}", b.name);
        // Each row's "before" is the previous row's "after": no change was lost.
        for pair in audit.windows(2) {
            assert_eq!(pair[0].before, pair[1].after, "{}", b.name);
        }

        // Conditional puts naming one version: exactly one wins.
        let puts: Vec<_> = (0..20)
            .map(|i| {
                let store = Arc::clone(&b.store);
                tokio::spawn(async move {
                    store
                        .put_policy(put(t.id, None, &format!("c{i}"), Some(20)))
                        .await
                })
            })
            .collect();
        let results = futures::future::join_all(puts).await;
        let won = results
            .iter()
            .filter(|r| r.as_ref().unwrap().is_ok())
            .count();
        assert_eq!(won, 1, "{}", b.name);
        for r in &results {
            if let Err(e) = r.as_ref().unwrap() {
                assert!(matches!(e, StoreError::Conflict("policy version")), "{e:?}");
            }
        }
        assert_eq!(
            b.store.list_audit(t.id, 100, None).await.unwrap().len(),
            21,
            "{}",
            b.name
        );
    }
}

fn entry(tenant_id: i64, n: usize) -> AuditEntry {
    AuditEntry {
        tenant_id,
        actor: "console:alice".into(),
        action: "key.disable".into(),
        target: format!("key {n}"),
        before: Some(r#"{"enabled":true}"#.into()),
        after: None,
        at: T0 + n as i64,
    }
}

#[tokio::test]
async fn the_audit_log_is_paged_newest_first() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let other = tenant(s, "other").await;
        let mut ids = Vec::new();
        for n in 0..25 {
            ids.push(s.append_audit(entry(t.id, n)).await.unwrap());
            s.append_audit(entry(other.id, n)).await.unwrap();
        }
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{}: ids grow", b.name);

        let mut pages = Vec::new();
        let mut before = None;
        loop {
            let page = s.list_audit(t.id, 10, before).await.unwrap();
            if page.is_empty() {
                break;
            }
            before = page.last().map(|r| r.id);
            pages.push(page);
        }
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![10, 10, 5], "{}", b.name);
        let seen: Vec<i64> = pages.iter().flatten().map(|r| r.id).collect();
        let newest_first: Vec<i64> = ids.iter().rev().copied().collect();
        assert_eq!(seen, newest_first, "{}", b.name);

        let first = &pages[0][0];
        let expected = entry(t.id, 24);
        assert_eq!(
            (
                first.tenant_id,
                &first.actor,
                &first.action,
                &first.target,
                &first.before,
                &first.after,
                first.at
            ),
            (
                expected.tenant_id,
                &expected.actor,
                &expected.action,
                &expected.target,
                &expected.before,
                &expected.after,
                expected.at
            ),
            "{}",
            b.name
        );
    }
}
