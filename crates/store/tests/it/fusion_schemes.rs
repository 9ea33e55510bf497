//! Conformance: Fusion-Auth schemes, their unique keys within a tenant, deletion
//! (with the scheme's policies), and their separation from verification schemes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use numgate_store::{
    CreateFusionScheme, FusionSchemeRecord, NewFusionScheme, PolicyRecord, PutPolicy, Store,
    UpdateScheme,
};

use crate::support::{backends, tenant, SEC, T0};

static CODES: AtomicU64 = AtomicU64::new(200_000_000_000_000);

fn next_code() -> String {
    let n = CODES.fetch_add(1, Ordering::Relaxed);
    format!("FA{n:015}")
}

fn scheme(tenant_id: i64, name: &str) -> NewFusionScheme {
    FusionSchemeRecord {
        code: next_code(),
        tenant_id,
        name: name.into(),
        app_name: "Demo".into(),
        platform: "Web".into(),
        android_package_name: None,
        android_package_sign: None,
        ios_bundle_id: None,
        h5_url: None,
        h5_origin: None,
        created_at: T0,
    }
}

fn android(tenant_id: i64, name: &str, pack: &str, sign: &str) -> NewFusionScheme {
    NewFusionScheme {
        platform: "Android".into(),
        android_package_name: Some(pack.into()),
        android_package_sign: Some(sign.into()),
        ..scheme(tenant_id, name)
    }
}

fn ios(tenant_id: i64, name: &str, bundle: &str) -> NewFusionScheme {
    NewFusionScheme {
        platform: "iOS".into(),
        ios_bundle_id: Some(bundle.into()),
        ..scheme(tenant_id, name)
    }
}

fn web(tenant_id: i64, name: &str, url: &str, origin: &str) -> NewFusionScheme {
    NewFusionScheme {
        platform: "Web".into(),
        h5_url: Some(url.into()),
        h5_origin: Some(origin.into()),
        ..scheme(tenant_id, name)
    }
}

async fn created(s: &dyn Store, new: NewFusionScheme) -> FusionSchemeRecord {
    match s.create_fusion_scheme(new).await.unwrap() {
        CreateFusionScheme::Created(r) => *r,
        other => panic!("expected Created, got {other:?}"),
    }
}

const SIGN: &str = "0123456789abcdef0123456789abcdef";
const LOGON: i32 = 100001;
const CHANGE: i32 = 100002;

#[tokio::test]
async fn a_fusion_scheme_is_created_found_listed_and_deleted() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        // Created out of order: listed by creation time, oldest first.
        let w = created(
            s,
            NewFusionScheme {
                created_at: T0 + 2 * SEC,
                ..web(
                    t.id,
                    "web",
                    "https://acme.example/login",
                    "https://acme.example",
                )
            },
        )
        .await;
        let full = NewFusionScheme {
            app_name: "速通 Demo".into(),
            ..android(t.id, "login", "com.acme.app", SIGN)
        };
        let a = created(s, full.clone()).await;
        assert_eq!(a, full, "{}", b.name);
        let i = created(
            s,
            NewFusionScheme {
                created_at: T0 + SEC,
                ..ios(t.id, "ios", "com.acme.ios")
            },
        )
        .await;

        let found = s.find_fusion_scheme(t.id, &a.code).await.unwrap();
        assert_eq!(found.as_ref(), Some(&full), "{}", b.name);
        let by_code = s.find_fusion_scheme_by_code(&i.code).await.unwrap();
        assert_eq!(by_code.as_ref(), Some(&i), "{}", b.name);
        assert_eq!(
            s.list_fusion_schemes(t.id).await.unwrap(),
            vec![a.clone(), i.clone(), w.clone()],
            "{}",
            b.name
        );
        // Not verification schemes.
        assert!(s.list_schemes(t.id).await.unwrap().is_empty(), "{}", b.name);
        assert_eq!(s.find_scheme_by_code(&a.code).await.unwrap(), None);

        assert!(s.delete_fusion_scheme(t.id, &a.code).await.unwrap());
        assert!(!s.delete_fusion_scheme(t.id, &a.code).await.unwrap());
        assert_eq!(s.find_fusion_scheme(t.id, &a.code).await.unwrap(), None);
        assert_eq!(s.find_fusion_scheme_by_code(&a.code).await.unwrap(), None);
        assert_eq!(
            s.list_fusion_schemes(t.id).await.unwrap(),
            vec![i, w],
            "{}",
            b.name
        );
        assert!(!s
            .delete_fusion_scheme(t.id, "FA000000000000000")
            .await
            .unwrap());
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
            (scheme(t.id, "a"), CreateFusionScheme::NameTaken),
            (
                android(t.id, "a2", "com.acme.app", SIGN),
                CreateFusionScheme::PackSignTaken,
            ),
            (
                ios(t.id, "i2", "com.acme.ios"),
                CreateFusionScheme::BundleIdTaken,
            ),
            (
                web(
                    t.id,
                    "w2",
                    "https://acme.example/login",
                    "https://acme.example",
                ),
                CreateFusionScheme::UrlTaken,
            ),
            (
                NewFusionScheme {
                    code: first.code.clone(),
                    ..scheme(t.id, "fresh")
                },
                CreateFusionScheme::CodeTaken,
            ),
        ];
        for (new, want) in cases {
            assert_eq!(
                s.create_fusion_scheme(new).await.unwrap(),
                want,
                "{}",
                b.name
            );
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
        assert_eq!(s.list_fusion_schemes(t.id).await.unwrap().len(), 6);

        // Not a platform, and not a code ('' is the global policy's scheme): refused.
        let harmony = NewFusionScheme {
            platform: "HarmonyOS".into(),
            ..scheme(t.id, "h")
        };
        assert!(s.create_fusion_scheme(harmony).await.is_err(), "{}", b.name);
        let empty = NewFusionScheme {
            code: String::new(),
            ..scheme(t.id, "e")
        };
        assert!(s.create_fusion_scheme(empty).await.is_err(), "{}", b.name);
        assert_eq!(s.list_fusion_schemes(t.id).await.unwrap().len(), 6);
    }
}

#[tokio::test]
async fn fusion_schemes_of_other_tenants_neither_conflict_nor_show() {
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
            s.find_fusion_scheme(two.id, &a.code).await.unwrap(),
            None,
            "{}",
            b.name
        );
        assert!(!s.delete_fusion_scheme(two.id, &a.code).await.unwrap());
        assert!(s
            .find_fusion_scheme(one.id, &a.code)
            .await
            .unwrap()
            .is_some());
        for t in [&one, &two] {
            let listed = s.list_fusion_schemes(t.id).await.unwrap();
            assert_eq!(listed.len(), 3, "{}", b.name);
            assert!(listed.iter().all(|r| r.tenant_id == t.id), "{}", b.name);
        }
    }
}

#[tokio::test]
async fn a_deleted_fusion_schemes_name_and_app_can_be_registered_again() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let a = created(s, android(t.id, "login", "com.acme.app", SIGN)).await;
        assert!(s.delete_fusion_scheme(t.id, &a.code).await.unwrap());
        let again = created(s, android(t.id, "login", "com.acme.app", SIGN)).await;
        assert_ne!(again.code, a.code, "{}", b.name);
        assert_eq!(s.find_fusion_scheme(t.id, &a.code).await.unwrap(), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_name_create_exactly_one() {
    for b in backends().await {
        let t = tenant(&*b.store, "acme").await;
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let s: Arc<dyn Store> = b.store.clone();
                tokio::spawn(
                    async move { s.create_fusion_scheme(scheme(t.id, "same")).await.unwrap() },
                )
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            match task.await.unwrap() {
                CreateFusionScheme::Created(_) => created += 1,
                CreateFusionScheme::NameTaken => {}
                other => panic!("{}: {other:?}", b.name),
            }
        }
        assert_eq!(created, 1, "{}", b.name);
        assert_eq!(b.store.list_fusion_schemes(t.id).await.unwrap().len(), 1);
    }
}

fn policy(tenant_id: i64, scene: i32, scheme: Option<&str>, graph: &str) -> PutPolicy {
    PutPolicy {
        tenant_id,
        scene,
        scheme: scheme.map(str::to_owned),
        graph: graph.into(),
        inherit: false,
        logging: true,
        expected_version: None,
        actor: "alice".into(),
        at: T0,
    }
}

/// (scene, scheme, graph) of the tenant's policies, in the store's order.
async fn policies(s: &dyn Store, tenant_id: i64) -> Vec<(i32, Option<String>, String)> {
    s.list_policies(tenant_id)
        .await
        .unwrap()
        .into_iter()
        .map(|p: PolicyRecord| (p.scene, p.scheme, p.graph))
        .collect()
}

#[tokio::test]
async fn deleting_a_fusion_scheme_deletes_its_policies_and_only_them_unaudited() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let other = tenant(s, "other").await;
        let a = created(s, android(t.id, "a", "com.acme.app", SIGN)).await;
        let keep = created(s, ios(t.id, "i", "com.acme.ios")).await;
        for put in [
            policy(t.id, LOGON, None, "global"),
            policy(t.id, CHANGE, None, "global change"),
            policy(t.id, LOGON, Some(&a.code), "a logon"),
            policy(t.id, CHANGE, Some(&a.code), "a change"),
            policy(t.id, LOGON, Some(&keep.code), "kept"),
            // Another tenant's policy under the same code string: not the scheme's.
            policy(other.id, LOGON, Some(&a.code), "other tenant"),
        ] {
            s.put_policy(put).await.unwrap();
        }
        // Restored to defaults: a row that keeps the version count.
        assert!(s
            .delete_policy(t.id, CHANGE, Some(&a.code), "alice", T0 + SEC)
            .await
            .unwrap());
        let audited = s.list_audit(t.id, 100, None).await.unwrap();
        let other_audited = s.list_audit(other.id, 100, None).await.unwrap();

        // Another tenant's deletion of the code finds no scheme and changes nothing.
        assert!(!s.delete_fusion_scheme(other.id, &a.code).await.unwrap());
        assert!(s.delete_fusion_scheme(t.id, &a.code).await.unwrap());

        for scene in [LOGON, CHANGE] {
            assert_eq!(
                s.get_policy(t.id, scene, Some(&a.code)).await.unwrap(),
                None,
                "{}",
                b.name
            );
        }
        assert_eq!(
            policies(s, t.id).await,
            vec![
                (LOGON, None, "global".into()),
                (LOGON, Some(keep.code.clone()), "kept".into()),
                (CHANGE, None, "global change".into()),
            ],
            "{}",
            b.name
        );
        assert_eq!(
            policies(s, other.id).await,
            vec![(LOGON, Some(a.code.clone()), "other tenant".into())],
            "{}",
            b.name
        );
        // The caller audits: the store wrote no audit row.
        assert_eq!(s.list_audit(t.id, 100, None).await.unwrap(), audited);
        assert_eq!(
            s.list_audit(other.id, 100, None).await.unwrap(),
            other_audited
        );

        // The restored-to-defaults row went too: the key is gone, a policy stored
        // under the code again starts over.
        let again = s
            .put_policy(PutPolicy {
                expected_version: Some(0),
                ..policy(t.id, CHANGE, Some(&a.code), "again")
            })
            .await
            .unwrap();
        assert_eq!(again.version, 1, "{}", b.name);
    }
}

#[tokio::test]
async fn a_fusion_schemes_name_and_identity_change_and_nothing_else() {
    for b in backends().await {
        let s = &*b.store;
        let t = tenant(s, "acme").await;
        let other = tenant(s, "other").await;
        let a = created(s, android(t.id, "login", "com.acme.app", SIGN)).await;
        created(s, android(t.id, "taken", "com.acme.taken", SIGN)).await;
        let i = created(s, ios(t.id, "i", "com.acme.ios")).await;
        created(s, ios(t.id, "i2", "com.acme.ios2")).await;
        let w = created(s, web(t.id, "w", "https://a.example/", "https://a.example")).await;
        created(
            s,
            web(t.id, "w2", "https://b.example/", "https://b.example"),
        )
        .await;

        let changed = FusionSchemeRecord {
            name: "renamed".into(),
            app_name: "Acme 2".into(),
            android_package_name: Some("com.acme.app2".into()),
            platform: "iOS".into(),
            created_at: T0 + 99,
            ..a.clone()
        };
        let want = FusionSchemeRecord {
            name: "renamed".into(),
            app_name: "Acme 2".into(),
            android_package_name: Some("com.acme.app2".into()),
            ..a.clone()
        };
        assert_eq!(
            s.update_fusion_scheme(changed).await.unwrap(),
            UpdateScheme::Updated(Box::new(want.clone())),
            "{}",
            b.name
        );
        let cases = [
            (
                FusionSchemeRecord {
                    name: "taken".into(),
                    ..want.clone()
                },
                UpdateScheme::NameTaken,
            ),
            (
                FusionSchemeRecord {
                    android_package_name: Some("com.acme.taken".into()),
                    ..want.clone()
                },
                UpdateScheme::PackSignTaken,
            ),
            (
                FusionSchemeRecord {
                    ios_bundle_id: Some("com.acme.ios2".into()),
                    ..i.clone()
                },
                UpdateScheme::BundleIdTaken,
            ),
            (
                FusionSchemeRecord {
                    h5_url: Some("https://b.example/".into()),
                    h5_origin: Some("https://b.example".into()),
                    ..w.clone()
                },
                UpdateScheme::UrlTaken,
            ),
            (
                FusionSchemeRecord {
                    tenant_id: other.id,
                    ..want.clone()
                },
                UpdateScheme::NotFound,
            ),
        ];
        for (changed, outcome) in cases {
            assert_eq!(
                s.update_fusion_scheme(changed).await.unwrap(),
                outcome,
                "{}",
                b.name
            );
        }
        assert_eq!(
            s.find_fusion_scheme(t.id, &a.code).await.unwrap(),
            Some(want)
        );
        assert_eq!(s.find_fusion_scheme(t.id, &i.code).await.unwrap(), Some(i));
        assert_eq!(s.find_fusion_scheme(t.id, &w.code).await.unwrap(), Some(w));
    }
}
