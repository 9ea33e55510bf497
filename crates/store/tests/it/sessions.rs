//! Conformance: Fusion-Auth scene sessions: created once, loaded while live,
//! updated by compare-and-swap on their version.

use std::sync::Arc;

use numgate_store::{NewSession, StoreError};

use crate::support::{backends, tenant, SEC, T0};

fn session(tenant_id: i64, id: &str) -> NewSession {
    NewSession {
        id: id.into(),
        tenant_id,
        scheme: "FC100000000000001".into(),
        scene: 100001,
        state: r#"{"step":"start"}"#.into(),
        created_at: T0,
        expires_at: T0 + 600 * SEC,
    }
}

#[tokio::test]
async fn a_session_is_created_once_and_loaded_at_version_one() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        s.create_session(session(t.id, "s-1")).await.unwrap();
        let loaded = s.load_session("s-1", T0).await.unwrap().unwrap();
        assert_eq!(
            (
                loaded.id.as_str(),
                loaded.tenant_id,
                loaded.scheme.as_str(),
                loaded.scene,
                loaded.state.as_str(),
                loaded.version,
                loaded.created_at,
                loaded.expires_at
            ),
            (
                "s-1",
                t.id,
                "FC100000000000001",
                100001,
                r#"{"step":"start"}"#,
                1,
                T0,
                T0 + 600 * SEC
            ),
            "{}",
            b.name
        );
        match s.create_session(session(t.id, "s-1")).await {
            Err(StoreError::Conflict("session")) => {}
            other => panic!("{}: expected a conflict, got {other:?}", b.name),
        }
        assert_eq!(s.load_session("s-unknown", T0).await.unwrap(), None);
    }
}

#[tokio::test]
async fn an_update_names_the_version_it_read() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        s.create_session(session(t.id, "s-1")).await.unwrap();
        let later = T0 + 900 * SEC;
        assert!(s
            .update_session("s-1", 1, r#"{"step":"sms"}"#, later, T0 + SEC)
            .await
            .unwrap());
        let loaded = s.load_session("s-1", T0 + SEC).await.unwrap().unwrap();
        assert_eq!(
            (loaded.version, loaded.state.as_str(), loaded.expires_at),
            (2, r#"{"step":"sms"}"#, later),
            "{}",
            b.name
        );
        // The version moved: a second update from version 1 changes nothing.
        assert!(!s
            .update_session("s-1", 1, r#"{"step":"lost"}"#, later, T0 + SEC)
            .await
            .unwrap());
        assert!(!s
            .update_session("s-unknown", 1, "{}", later, T0)
            .await
            .unwrap());
        assert_eq!(
            s.load_session("s-1", T0 + SEC)
                .await
                .unwrap()
                .unwrap()
                .state,
            r#"{"step":"sms"}"#,
            "{}",
            b.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn of_concurrent_updates_of_one_version_exactly_one_wins() {
    for b in backends().await {
        let t = tenant(&*b.store, "acme").await;
        b.store
            .create_session(session(t.id, "s-race"))
            .await
            .unwrap();
        let updates: Vec<_> = (0..50)
            .map(|i| {
                let store = Arc::clone(&b.store);
                tokio::spawn(async move {
                    let state = format!(r#"{{"winner":{i}}}"#);
                    let won = store
                        .update_session("s-race", 1, &state, T0 + 600 * SEC, T0)
                        .await
                        .unwrap();
                    won.then_some(state)
                })
            })
            .collect();
        let winners: Vec<String> = futures::future::join_all(updates)
            .await
            .into_iter()
            .filter_map(|r| r.unwrap())
            .collect();
        assert_eq!(winners.len(), 1, "{}", b.name);
        let loaded = b.store.load_session("s-race", T0).await.unwrap().unwrap();
        assert_eq!(
            (loaded.version, &loaded.state),
            (2, &winners[0]),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn an_expired_session_is_neither_loaded_nor_updated() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let new = session(t.id, "s-1");
        let expires = new.expires_at;
        s.create_session(new).await.unwrap();
        // Live while now < expires_at.
        assert!(s.load_session("s-1", expires - 1).await.unwrap().is_some());
        assert_eq!(
            s.load_session("s-1", expires).await.unwrap(),
            None,
            "{}",
            b.name
        );
        assert!(!s
            .update_session("s-1", 1, "{}", expires + 600 * SEC, expires)
            .await
            .unwrap());
        // An update before the expiry may extend it.
        assert!(s
            .update_session("s-1", 1, "{}", expires + 600 * SEC, expires - 1)
            .await
            .unwrap());
        assert_eq!(
            s.load_session("s-1", expires)
                .await
                .unwrap()
                .unwrap()
                .version,
            2,
            "{}",
            b.name
        );
    }
}
