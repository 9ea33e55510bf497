//! Conformance: single use of the tokens numgate hands out (AccessTokens, spTokens).

use std::sync::Arc;

use crate::support::{backends, DAY, SEC, T0};

#[tokio::test]
async fn a_token_is_consumed_once() {
    for b in backends().await {
        let s = &*b.store;
        let expires = T0 + 120 * SEC;
        assert!(
            s.consume_token("tok-1", expires).await.unwrap(),
            "{}",
            b.name
        );
        assert!(
            !s.consume_token("tok-1", expires).await.unwrap(),
            "{}",
            b.name
        );
        // Whatever expiry a second use claims, the first use's record decides.
        assert!(
            !s.consume_token("tok-1", expires + DAY).await.unwrap(),
            "{}",
            b.name
        );
        assert!(
            s.consume_token("tok-2", expires).await.unwrap(),
            "{}",
            b.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn of_concurrent_uses_of_one_token_exactly_one_succeeds() {
    for b in backends().await {
        let store = Arc::clone(&b.store);
        let uses: Vec<_> = (0..50)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.consume_token("tok-race", T0 + DAY).await })
            })
            .collect();
        let mut consumed = 0;
        for u in futures::future::join_all(uses).await {
            if u.expect("task").expect("consume") {
                consumed += 1;
            }
        }
        assert_eq!(consumed, 1, "{}", b.name);
        assert!(
            !store.consume_token("tok-race", T0 + DAY).await.unwrap(),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn purge_removes_only_expired_tokens() {
    for b in backends().await {
        let s = &*b.store;
        let now = T0 + 10 * SEC;
        assert!(s.consume_token("expired", now - 1).await.unwrap());
        assert!(s.consume_token("expires-now", now).await.unwrap());
        assert!(s.consume_token("live", now + SEC).await.unwrap());

        let counts = s.purge_expired(now, 0).await.unwrap();
        assert_eq!(counts.tokens, 1, "{}", b.name);
        assert_eq!(counts.nonces, 0, "{}", b.name);
        assert!(
            !s.consume_token("expires-now", now).await.unwrap(),
            "{}",
            b.name
        );
        assert!(
            !s.consume_token("live", now + SEC).await.unwrap(),
            "{}",
            b.name
        );
        assert_eq!(
            s.purge_expired(now, 0).await.unwrap().tokens,
            0,
            "{}",
            b.name
        );
    }
}

/// The store keeps a used id only until the token's expiry: after the purge the
/// same id is accepted again. That is safe only because the caller refuses an
/// expired token (by its sealed `expires_at`) before it consumes it; the store
/// does not, and must not be relied on to.
#[tokio::test]
async fn a_purged_token_id_can_be_consumed_again() {
    for b in backends().await {
        let s = &*b.store;
        let expires = T0 + 60 * SEC;
        assert!(s.consume_token("tok-old", expires).await.unwrap());
        // Expired but not yet purged: still refused (the safe side).
        assert!(
            !s.consume_token("tok-old", expires).await.unwrap(),
            "{}",
            b.name
        );
        let counts = s.purge_expired(expires + 1, 0).await.unwrap();
        assert_eq!(counts.tokens, 1, "{}", b.name);
        assert!(
            s.consume_token("tok-old", expires).await.unwrap(),
            "{}: the caller must refuse expired tokens first",
            b.name
        );
    }
}
