//! Conformance: tenants with their complimentary catalog, and AccessKeys.

use numgate_store::{NewAccessKey, StoreError};

use crate::support::{backends, tenant, SEC, T0};

fn access_key(id: &str, tenant_id: i64, created_at: i64) -> NewAccessKey {
    NewAccessKey {
        id: id.into(),
        tenant_id,
        sealed_secret: format!("sealed-{id}").into_bytes(),
        created_at,
    }
}

#[tokio::test]
async fn ensure_tenant_is_idempotent_and_seeds_the_catalog() {
    for b in backends().await {
        let s = &*b.store;
        let first = s.ensure_tenant("acme", T0).await.unwrap();
        let again = s.ensure_tenant("acme", T0 + SEC).await.unwrap();
        assert_eq!(first, again, "{}", b.name);
        assert_eq!((first.name.as_str(), first.created_at), ("acme", T0));
        assert_eq!(
            s.list_tenants().await.unwrap(),
            vec![first.clone()],
            "{}",
            b.name
        );
        assert_eq!(s.find_tenant("acme").await.unwrap(), Some(first.clone()));
        assert_eq!(
            s.find_tenant_by_id(first.id).await.unwrap(),
            Some(first.clone())
        );
        assert_eq!(s.find_tenant("nobody").await.unwrap(), None);

        let signatures = s.list_signatures(first.id).await.unwrap();
        assert_eq!(signatures.len(), 4, "{}", b.name);
        assert!(signatures
            .iter()
            .all(|g| g.complimentary && g.approved && g.tenant_id == first.id));
        let sig = s
            .find_signature(first.id, "速通互联验证码")
            .await
            .unwrap()
            .expect("signature");
        assert!(sig.complimentary);

        let templates = s.list_templates(first.id).await.unwrap();
        let codes: Vec<_> = templates.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(
            codes,
            ["100001", "100002", "100003", "100004", "100005"],
            "{}",
            b.name
        );
        for t in &templates {
            assert!(t.complimentary && t.approved, "{}", t.code);
            assert!(
                t.content.contains("${code}") && t.content.contains("${min}"),
                "{}",
                t.code
            );
        }
        let logon = s
            .find_template(first.id, "100001")
            .await
            .unwrap()
            .expect("template");
        assert_eq!(logon.content, "您的验证码为${code}。尊敬的客户，以上验证码${min}分钟内有效，请注意保密，切勿告知他人。");
        assert_eq!(s.find_template(first.id, "999999").await.unwrap(), None);

        // A second tenant gets its own catalog; the first one's is unchanged.
        let other = s.ensure_tenant("globex", T0).await.unwrap();
        assert_ne!(other.id, first.id);
        assert_eq!(s.list_templates(other.id).await.unwrap().len(), 5);
        assert_eq!(s.list_signatures(first.id).await.unwrap().len(), 4);
    }
}

#[tokio::test]
async fn access_keys_can_be_disabled_and_enabled() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        s.create_access_key(access_key("LTAI-one", t.id, T0))
            .await
            .unwrap();

        let found = s.find_access_key("LTAI-one").await.unwrap().expect("key");
        assert!(found.enabled, "{}", b.name);
        assert_eq!(found.sealed_secret, b"sealed-LTAI-one");
        assert_eq!(
            (found.tenant_id, found.created_at, found.last_used_at),
            (t.id, T0, None)
        );

        assert!(s.set_access_key_enabled("LTAI-one", false).await.unwrap());
        assert!(
            !s.find_access_key("LTAI-one")
                .await
                .unwrap()
                .unwrap()
                .enabled,
            "{}",
            b.name
        );
        assert!(s.set_access_key_enabled("LTAI-one", true).await.unwrap());
        assert!(
            s.find_access_key("LTAI-one")
                .await
                .unwrap()
                .unwrap()
                .enabled,
            "{}",
            b.name
        );
        assert!(!s.set_access_key_enabled("LTAI-none", false).await.unwrap());
        assert!(s.find_access_key("LTAI-none").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn an_access_key_id_is_unique() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        s.create_access_key(access_key("LTAI-one", t.id, T0))
            .await
            .unwrap();
        let err = s
            .create_access_key(access_key("LTAI-one", t.id, T0))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict("AccessKey")),
            "{}: {err:?}",
            b.name
        );
    }
}

#[tokio::test]
async fn access_keys_are_listed_oldest_first_per_tenant() {
    for b in backends().await {
        let s = &*b.store;
        let acme = tenant(s, "acme").await;
        let globex = tenant(s, "globex").await;
        s.create_access_key(access_key("LTAI-b", acme.id, T0 + 2))
            .await
            .unwrap();
        s.create_access_key(access_key("LTAI-a", acme.id, T0 + 1))
            .await
            .unwrap();
        s.create_access_key(access_key("LTAI-g", globex.id, T0))
            .await
            .unwrap();

        let ids = |v: Vec<numgate_store::AccessKeyRecord>| {
            v.into_iter().map(|k| k.id).collect::<Vec<_>>()
        };
        assert_eq!(
            ids(s.list_access_keys(None).await.unwrap()),
            ["LTAI-g", "LTAI-a", "LTAI-b"],
            "{}",
            b.name
        );
        assert_eq!(
            ids(s.list_access_keys(Some(acme.id)).await.unwrap()),
            ["LTAI-a", "LTAI-b"],
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn touching_an_access_key_is_coarse() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        s.create_access_key(access_key("LTAI-one", t.id, T0))
            .await
            .unwrap();

        s.touch_access_key("LTAI-one", T0 + SEC).await.unwrap();
        assert_eq!(last_used(s, "LTAI-one").await, Some(T0 + SEC), "{}", b.name);
        s.touch_access_key("LTAI-one", T0 + 30 * SEC).await.unwrap();
        assert_eq!(
            last_used(s, "LTAI-one").await,
            Some(T0 + SEC),
            "{}: within a minute nothing is written",
            b.name
        );
        s.touch_access_key("LTAI-one", T0 + 62 * SEC).await.unwrap();
        assert_eq!(
            last_used(s, "LTAI-one").await,
            Some(T0 + 62 * SEC),
            "{}",
            b.name
        );
        s.touch_access_key("LTAI-none", T0).await.unwrap();
    }
}

async fn last_used(s: &dyn numgate_store::Store, id: &str) -> Option<i64> {
    s.find_access_key(id).await.unwrap().unwrap().last_used_at
}
