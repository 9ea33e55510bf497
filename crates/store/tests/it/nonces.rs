//! Conformance: the replay guard of signed requests.

use crate::support::{backends, SEC, T0};

#[tokio::test]
async fn a_nonce_is_claimed_once() {
    for b in backends().await {
        let s = &*b.store;
        let keep = T0 + 1_800 * SEC;
        assert!(
            s.claim_nonce("LTAI-one", "n-1", keep).await.unwrap(),
            "{}",
            b.name
        );
        assert!(
            !s.claim_nonce("LTAI-one", "n-1", keep).await.unwrap(),
            "{}",
            b.name
        );
        assert!(
            !s.claim_nonce("LTAI-one", "n-1", keep + 1).await.unwrap(),
            "{}",
            b.name
        );
        // Per AccessKey: another key may use the same nonce.
        assert!(
            s.claim_nonce("LTAI-two", "n-1", keep).await.unwrap(),
            "{}",
            b.name
        );
        assert!(
            s.claim_nonce("LTAI-one", "n-2", keep).await.unwrap(),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn an_expired_nonce_can_be_purged() {
    for b in backends().await {
        let s = &*b.store;
        assert!(s.claim_nonce("LTAI-one", "old", T0 + SEC).await.unwrap());
        assert!(s
            .claim_nonce("LTAI-one", "young", T0 + 1_800 * SEC)
            .await
            .unwrap());

        let purged = s.purge_expired(T0 + 2 * SEC, 0).await.unwrap();
        assert_eq!(purged.nonces, 1, "{}", b.name);
        assert!(
            s.claim_nonce("LTAI-one", "old", T0 + 1_802 * SEC)
                .await
                .unwrap(),
            "{}",
            b.name
        );
        assert!(
            !s.claim_nonce("LTAI-one", "young", T0 + 1_802 * SEC)
                .await
                .unwrap(),
            "{}",
            b.name
        );
    }
}
