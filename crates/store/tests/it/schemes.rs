//! Conformance: verification schemes, their unique keys within a tenant, changes
//! of name and app identity, deletion.

use std::sync::Arc;

use numgate_store::{CreateScheme, NewScheme, SchemeRecord, Store, UpdateScheme};

use crate::support::{backends, tenant, T0};

static CODES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(100_000_000_000_000);

fn next_code() -> String {
    let n = CODES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("FC{n:015}")
}

fn scheme(tenant_id: i64, name: &str) -> NewScheme {
    SchemeRecord {
        code: next_code(),
        tenant_id,
        name: name.into(),
        app_name: "Demo".into(),
        os_type: "Web".into(),
        pack_name: None,
        pack_sign: None,
        bundle_id: None,
        url: None,
        origin: None,
        hm_app_identifier: None,
        hm_package_name: None,
        hm_sign_name: None,
        auth_type: "1".into(),
        scene_type: None,
        sms_sign_name: None,
        ip_white_list: None,
        email: None,
        cm_api_code: None,
        ct_api_code: None,
        cu_api_code: None,
        sealed_secret: vec![7; 40],
        created_at: T0,
    }
}

fn android(tenant_id: i64, name: &str, pack: &str, sign: &str) -> NewScheme {
    NewScheme {
        os_type: "Android".into(),
        pack_name: Some(pack.into()),
        pack_sign: Some(sign.into()),
        ..scheme(tenant_id, name)
    }
}

fn ios(tenant_id: i64, name: &str, bundle: &str) -> NewScheme {
    NewScheme {
        os_type: "iOS".into(),
        bundle_id: Some(bundle.into()),
        ..scheme(tenant_id, name)
    }
}

fn web(tenant_id: i64, name: &str, url: &str, origin: &str) -> NewScheme {
    NewScheme {
        os_type: "Web".into(),
        url: Some(url.into()),
        origin: Some(origin.into()),
        ..scheme(tenant_id, name)
    }
}

async fn created(s: &dyn Store, new: NewScheme) -> SchemeRecord {
    match s.create_scheme(new).await.unwrap() {
        CreateScheme::Created(r) => *r,
        other => panic!("expected Created, got {other:?}"),
    }
}

const SIGN: &str = "0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn a_scheme_is_created_found_listed_and_deleted() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let mut full = android(t.id, "login", "com.acme.app", SIGN);
        full.scene_type = Some("login".into());
        full.sms_sign_name = Some("速通互联验证码".into());
        full.ip_white_list = Some("10.0.0.1,192.168.0.0/16".into());
        full.email = Some("ops@acme.example".into());
        full.cm_api_code = Some(1);
        full.ct_api_code = Some(2);
        full.cu_api_code = Some(3);
        full.auth_type = "1,2".into();
        let a = created(s, full.clone()).await;
        assert_eq!(a, full, "{}", b.name);
        let i = created(s, ios(t.id, "ios", "com.acme.ios")).await;

        let found = s.find_scheme(t.id, &a.code).await.unwrap();
        assert_eq!(found.as_ref(), Some(&full), "{}", b.name);
        let by_code = s.find_scheme_by_code(&a.code).await.unwrap();
        assert_eq!(by_code.as_ref(), Some(&full), "{}", b.name);
        let listed = s.list_schemes(t.id).await.unwrap();
        let codes: Vec<_> = listed.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, [a.code.as_str(), i.code.as_str()], "{}", b.name);

        assert!(s.delete_scheme(t.id, &a.code).await.unwrap(), "{}", b.name);
        assert!(!s.delete_scheme(t.id, &a.code).await.unwrap(), "{}", b.name);
        assert_eq!(s.find_scheme(t.id, &a.code).await.unwrap(), None);
        assert_eq!(s.find_scheme_by_code(&a.code).await.unwrap(), None);
        assert_eq!(s.list_schemes(t.id).await.unwrap(), vec![i], "{}", b.name);
        assert!(!s.delete_scheme(t.id, "FC000000000000000").await.unwrap());
    }
}

#[tokio::test]
async fn each_unique_key_is_a_conflict_of_its_own() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let first = created(s, android(t.id, "a", "com.acme.app", SIGN)).await;
        created(s, ios(t.id, "i", "com.acme.ios")).await;
        created(
            s,
            web(
                t.id,
                "w",
                "https://acme.example/login",
                "https://acme.example",
            ),
        )
        .await;

        let cases = [
            (scheme(t.id, "a"), CreateScheme::NameTaken),
            (
                android(t.id, "a2", "com.acme.app", SIGN),
                CreateScheme::PackSignTaken,
            ),
            (ios(t.id, "i2", "com.acme.ios"), CreateScheme::BundleIdTaken),
            (
                web(
                    t.id,
                    "w2",
                    "https://acme.example/login",
                    "https://acme.example",
                ),
                CreateScheme::UrlTaken,
            ),
            (
                NewScheme {
                    code: first.code.clone(),
                    ..scheme(t.id, "fresh")
                },
                CreateScheme::CodeTaken,
            ),
        ];
        for (new, want) in cases {
            assert_eq!(s.create_scheme(new).await.unwrap(), want, "{}", b.name);
        }
        // Not conflicts: the same package with another signature, another bundle,
        // another URL of the same origin.
        created(s, android(t.id, "a3", "com.acme.app", &"f".repeat(32))).await;
        created(s, ios(t.id, "i3", "com.acme.ios2")).await;
        created(
            s,
            web(
                t.id,
                "w3",
                "https://acme.example/other",
                "https://acme.example",
            ),
        )
        .await;
        assert_eq!(s.list_schemes(t.id).await.unwrap().len(), 6, "{}", b.name);
    }
}

#[tokio::test]
async fn schemes_of_other_tenants_neither_conflict_nor_show() {
    for b in backends().await {
        let s = &*b.store;
        let one = tenant(s, "one").await;
        let two = tenant(s, "two").await;
        let a = created(s, android(one.id, "login", "com.x", SIGN)).await;
        created(s, android(two.id, "login", "com.x", SIGN)).await;
        created(s, ios(one.id, "ios", "com.x.ios")).await;
        created(s, ios(two.id, "ios", "com.x.ios")).await;
        created(
            s,
            web(one.id, "web", "https://x.example/", "https://x.example"),
        )
        .await;
        created(
            s,
            web(two.id, "web", "https://x.example/", "https://x.example"),
        )
        .await;

        assert_eq!(
            s.find_scheme(two.id, &a.code).await.unwrap(),
            None,
            "{}",
            b.name
        );
        assert!(
            !s.delete_scheme(two.id, &a.code).await.unwrap(),
            "{}",
            b.name
        );
        assert!(s.find_scheme(one.id, &a.code).await.unwrap().is_some());
        assert!(s
            .list_schemes(two.id)
            .await
            .unwrap()
            .iter()
            .all(|r| r.tenant_id == two.id));
    }
}

#[tokio::test]
async fn a_deleted_schemes_name_and_app_can_be_registered_again() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let a = created(s, android(t.id, "login", "com.acme.app", SIGN)).await;
        assert!(s.delete_scheme(t.id, &a.code).await.unwrap());
        let again = created(s, android(t.id, "login", "com.acme.app", SIGN)).await;
        assert_ne!(again.code, a.code, "{}", b.name);
        assert_eq!(s.find_scheme(t.id, &a.code).await.unwrap(), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_name_create_exactly_one() {
    for b in backends().await {
        let t = tenant(&*b.store, "acme").await;
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let s: Arc<dyn Store> = b.store.clone();
                tokio::spawn(async move { s.create_scheme(scheme(t.id, "same")).await.unwrap() })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            match task.await.unwrap() {
                CreateScheme::Created(_) => created += 1,
                CreateScheme::NameTaken => {}
                other => panic!("{}: {other:?}", b.name),
            }
        }
        assert_eq!(created, 1, "{}", b.name);
        assert_eq!(b.store.list_schemes(t.id).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn a_schemes_name_and_identity_change_and_nothing_else() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let other = tenant(s, "other").await;
        let mut full = android(t.id, "login", "com.acme.app", SIGN);
        full.email = Some("ops@acme.example".into());
        full.cm_api_code = Some(1);
        let a = created(s, full).await;
        created(s, android(t.id, "taken", "com.acme.taken", SIGN)).await;

        // What the caller sends beyond name and identity is not stored.
        let changed = SchemeRecord {
            name: "renamed".into(),
            app_name: "Acme 2".into(),
            pack_name: Some("com.acme.app2".into()),
            pack_sign: Some("f".repeat(32)),
            os_type: "iOS".into(),
            email: None,
            cm_api_code: None,
            sealed_secret: vec![9; 40],
            created_at: T0 + 99,
            ..a.clone()
        };
        let want = SchemeRecord {
            name: "renamed".into(),
            app_name: "Acme 2".into(),
            pack_name: Some("com.acme.app2".into()),
            pack_sign: Some("f".repeat(32)),
            ..a.clone()
        };
        assert_eq!(
            s.update_scheme(changed).await.unwrap(),
            UpdateScheme::Updated(Box::new(want.clone())),
            "{}",
            b.name
        );
        assert_eq!(
            s.find_scheme(t.id, &a.code).await.unwrap(),
            Some(want.clone())
        );

        // Another scheme's name or app in the way: nothing changes.
        let clash = SchemeRecord {
            name: "taken".into(),
            ..want.clone()
        };
        assert_eq!(
            s.update_scheme(clash).await.unwrap(),
            UpdateScheme::NameTaken,
            "{}",
            b.name
        );
        let clash = SchemeRecord {
            name: "fresh".into(),
            pack_name: Some("com.acme.taken".into()),
            pack_sign: Some(SIGN.into()),
            ..want.clone()
        };
        assert_eq!(
            s.update_scheme(clash).await.unwrap(),
            UpdateScheme::PackSignTaken,
            "{}",
            b.name
        );
        assert_eq!(
            s.find_scheme(t.id, &a.code).await.unwrap(),
            Some(want.clone())
        );

        // Its own name and app again: no conflict with itself.
        assert!(matches!(
            s.update_scheme(want.clone()).await.unwrap(),
            UpdateScheme::Updated(_)
        ));

        // Another tenant cannot change it; an unknown code is not found.
        let foreign = SchemeRecord {
            tenant_id: other.id,
            name: "stolen".into(),
            ..want.clone()
        };
        assert_eq!(
            s.update_scheme(foreign).await.unwrap(),
            UpdateScheme::NotFound,
            "{}",
            b.name
        );
        let unknown = SchemeRecord {
            code: "FC000000000000000".into(),
            ..want.clone()
        };
        assert_eq!(
            s.update_scheme(unknown).await.unwrap(),
            UpdateScheme::NotFound
        );
        assert_eq!(s.find_scheme(t.id, &a.code).await.unwrap(), Some(want));
    }
}

#[tokio::test]
async fn a_changed_h5_or_bundle_identity_conflicts_like_a_created_one() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let w = created(s, web(t.id, "w", "https://a.example/", "https://a.example")).await;
        created(
            s,
            web(t.id, "w2", "https://b.example/", "https://b.example"),
        )
        .await;
        let i = created(s, ios(t.id, "i", "com.acme.ios")).await;
        created(s, ios(t.id, "i2", "com.acme.ios2")).await;
        let to_b = SchemeRecord {
            url: Some("https://b.example/".into()),
            origin: Some("https://b.example".into()),
            ..w.clone()
        };
        assert_eq!(
            s.update_scheme(to_b).await.unwrap(),
            UpdateScheme::UrlTaken,
            "{}",
            b.name
        );
        let to_i2 = SchemeRecord {
            bundle_id: Some("com.acme.ios2".into()),
            ..i.clone()
        };
        assert_eq!(
            s.update_scheme(to_i2).await.unwrap(),
            UpdateScheme::BundleIdTaken,
            "{}",
            b.name
        );
        assert_eq!(s.find_scheme(t.id, &w.code).await.unwrap(), Some(w));
        assert_eq!(s.find_scheme(t.id, &i.code).await.unwrap(), Some(i));
    }
}
