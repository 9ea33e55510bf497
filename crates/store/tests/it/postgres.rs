//! What only the PostgreSQL backend promises: the rules hold across many
//! connections and nodes (one store handle = one node), nodes migrate together
//! safely, a newer schema is refused, and the store outlives its connections.
//! Each test skips itself when `NUMGATE_TEST_DATABASE_URL` is not set.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use numgate_store::{
    Audit, CheckOutcome, Codes, InboundSms, InboundTake, Maintenance, NewInbound, Nonces,
    PgOptions, PgStore, Policies, PutPolicy, SendOutcome, SendQuery, SmsCatalog, SmsQueue,
    StoreError, StoreLocation, Tenants,
};

use crate::support::{check, key, new_code, TestDatabase, SEC, T0};

/// A store on a fresh database with a pool of `connections`.
async fn store(db: &TestDatabase, connections: u32) -> PgStore {
    let mut opts = db.options();
    opts.max_connections = connections;
    PgStore::open(opts).await.expect("open postgres")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_code_checked_from_many_connections_passes_once() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let store = store(&db, 32).await;
    let t = store.ensure_tenant("acme", T0).await.unwrap();
    for trial in 0..20 {
        let k = key(t.id, &format!("138{trial:08}"));
        store.send_code(new_code(&k, "123456", T0)).await.unwrap();
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let (store, c) = (store.clone(), check(&k, "123456", T0 + SEC));
                tokio::spawn(async move { store.check_code(c).await })
            })
            .collect();
        let mut passes = 0;
        for task in tasks {
            if let CheckOutcome::Pass { .. } = task.await.unwrap().unwrap() {
                passes += 1;
            }
        }
        assert_eq!(passes, 1, "trial {trial}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_guesses_never_exceed_max_attempts() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let store = store(&db, 16).await;
    let t = store.ensure_tenant("acme", T0).await.unwrap();
    let k = key(t.id, "13800138000");
    store.send_code(new_code(&k, "123456", T0)).await.unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (store, c) = (store.clone(), check(&k, &format!("{i:06}"), T0));
            tokio::spawn(async move { store.check_code(c).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), CheckOutcome::NoMatch);
    }
    let attempts: i32 = sqlx::query_scalar("SELECT attempts FROM codes")
        .fetch_one(&mut db.connect().await)
        .await
        .unwrap();
    assert_eq!(attempts, 5);
    assert_eq!(
        store.check_code(check(&k, "123456", T0)).await.unwrap(),
        CheckOutcome::NoMatch,
        "the code is dead"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sends_to_one_number_from_many_connections_respect_the_interval_and_caps() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let store = store(&db, 32).await;
    let t = store.ensure_tenant("acme", T0).await.unwrap();

    let outcomes = |phone: &str, interval_ms, hourly_cap| {
        let k = key(t.id, phone);
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                // Other schemes of the number too: the caps are per number.
                let mut k = k.clone();
                k.scheme = format!("scheme-{}", i % 3);
                let mut c = new_code(&k, "123456", T0);
                (c.interval_ms, c.hourly_cap) = (interval_ms, hourly_cap);
                let store = store.clone();
                tokio::spawn(async move { store.send_code(c).await })
            })
            .collect();
        async move {
            let mut all = Vec::new();
            for task in tasks {
                all.push(task.await.unwrap().unwrap());
            }
            all
        }
    };
    let count = |v: &[SendOutcome], o: SendOutcome| v.iter().filter(|x| **x == o).count();

    let capped = outcomes("13800138000", 0, 5).await;
    assert_eq!(count(&capped, SendOutcome::Sent), 5);
    assert_eq!(count(&capped, SendOutcome::HourlyCapReached), 45);

    // One code a minute per scheme: of 50 sends at once over 3 schemes, 3 go out.
    let spaced = outcomes("13900139000", 60 * SEC, 1_000).await;
    assert_eq!(count(&spaced, SendOutcome::Sent), 3);
    assert_eq!(count(&spaced, SendOutcome::TooSoon), 47);

    let q = |phone: &str| SendQuery {
        tenant_id: t.id,
        country_code: "86".into(),
        phone: phone.into(),
        biz_id: None,
        from: 0,
        to: i64::MAX,
        page: 1,
        page_size: 100,
    };
    assert_eq!(
        store.query_send_details(q("13800138000")).await.unwrap().0,
        5
    );
    assert_eq!(
        store.query_send_details(q("13900139000")).await.unwrap().0,
        3
    );
    let queued = store.claim_messages(T0, T0 + SEC, 100).await.unwrap();
    assert_eq!(queued.len(), 8, "one message per send that went out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_dispatchers_lease_each_message_once() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let node = store(&db, 8).await;
    let t = node.ensure_tenant("acme", T0).await.unwrap();
    let sends = (0..300).map(|i| {
        let node = node.clone();
        async move {
            let c = new_code(&key(t.id, &format!("138{i:08}")), "123456", T0);
            node.send_code(c).await
        }
    });
    for sent in futures::future::join_all(sends).await {
        assert_eq!(sent.unwrap(), SendOutcome::Sent);
    }

    let nodes = [node, store(&db, 4).await, store(&db, 4).await];
    let dispatchers: Vec<_> = nodes
        .iter()
        .map(|node| {
            let node = node.clone();
            tokio::spawn(async move {
                let mut leased = Vec::new();
                let mut idle_polls = 0;
                // A poll can come back empty while the others hold every due row
                // locked; only a few empty polls in a row mean the queue is drained.
                while idle_polls < 3 {
                    let batch = node.claim_messages(T0, T0 + 60 * SEC, 7).await.unwrap();
                    idle_polls = if batch.is_empty() { idle_polls + 1 } else { 0 };
                    leased.extend(batch.into_iter().map(|m| m.id));
                    tokio::task::yield_now().await;
                }
                leased
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut per_node = Vec::new();
    for d in dispatchers {
        let leased = d.await.unwrap();
        per_node.push(leased.len());
        all.extend(leased);
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 300, "leases per node: {per_node:?}");
    assert_eq!(unique.len(), 300, "no message was leased twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn purges_on_every_node_at_once_delete_each_row_once() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let nodes = [
        store(&db, 2).await,
        store(&db, 2).await,
        store(&db, 2).await,
    ];
    sqlx::query(
        "INSERT INTO nonces (access_key_id, nonce, keep_until) \
         SELECT 'LTAI-one', 'n-' || g, $1 FROM generate_series(1, 20000) AS g",
    )
    .bind(T0)
    .execute(&mut db.connect().await)
    .await
    .unwrap();
    let purges = nodes.iter().map(|n| n.purge_expired(T0 + 1, 0));
    let counts = futures::future::join_all(purges).await;
    let total: u64 = counts.into_iter().map(|c| c.unwrap().nonces).sum();
    assert_eq!(total, 20_000);
    assert!(nodes[0].claim_nonce("LTAI-one", "n-1", T0).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn equal_inbound_messages_are_each_taken_once_across_nodes() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let nodes = [
        store(&db, 4).await,
        store(&db, 4).await,
        store(&db, 4).await,
    ];
    for i in 0..5 {
        let m = NewInbound {
            from: "8613800000001".into(),
            to: "1069000000".into(),
            text: "NG 1234".into(),
            received_at: T0 + i,
        };
        nodes[0].record_inbound(m).await.unwrap();
    }
    let takes = nodes.iter().flat_map(|node| {
        (0..20).map(move |_| {
            let node = node.clone();
            tokio::spawn(async move {
                node.take_inbound(InboundTake {
                    from: "8613800000001".into(),
                    to: "1069000000".into(),
                    text: "NG 1234".into(),
                    since: T0,
                    now: T0 + 60 * SEC,
                })
                .await
            })
        })
    });
    let taken = futures::future::join_all(takes.collect::<Vec<_>>())
        .await
        .into_iter()
        .filter(|r| *r.as_ref().unwrap().as_ref().unwrap())
        .count();
    assert_eq!(taken, 5, "each of the five messages taken once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn policy_changes_from_three_nodes_take_turns_and_each_is_audited() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let nodes = [
        store(&db, 4).await,
        store(&db, 4).await,
        store(&db, 4).await,
    ];
    let t = nodes[0].ensure_tenant("acme", T0).await.unwrap();
    let puts = nodes.iter().enumerate().flat_map(|(n, node)| {
        (0..10).map(move |i| {
            let node = node.clone();
            tokio::spawn(async move {
                node.put_policy(PutPolicy {
                    tenant_id: t.id,
                    scene: 100001,
                    scheme: Some("FC100000000000001".into()),
                    graph: format!("node {n} put {i}"),
                    inherit: false,
                    logging: true,
                    expected_version: None,
                    actor: format!("node-{n}"),
                    at: T0,
                })
                .await
            })
        })
    });
    let mut versions: Vec<i64> = futures::future::join_all(puts.collect::<Vec<_>>())
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap().version)
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, (1..=30).collect::<Vec<_>>());
    let audit = nodes[1].list_audit(t.id, 100, None).await.unwrap();
    assert_eq!(audit.len(), 30);
    for pair in audit.windows(2) {
        assert_eq!(pair[0].before, pair[1].after, "no change was lost");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_ensuring_one_tenant_get_the_same_one() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let (a, b) = (store(&db, 2).await, store(&db, 2).await);
    let (ta, tb) = tokio::join!(a.ensure_tenant("acme", T0), b.ensure_tenant("acme", T0 + 1));
    let t = ta.unwrap();
    assert_eq!(t, tb.unwrap());
    assert_eq!(a.list_tenants().await.unwrap().len(), 1);
    assert_eq!(b.list_templates(t.id).await.unwrap().len(), 5);
    assert_eq!(b.list_signatures(t.id).await.unwrap().len(), 4);
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    store(&db, 1).await.close().await;
    sqlx::query("INSERT INTO numgate_schema (version, name, applied_at) VALUES (999, 'future', 0)")
        .execute(&mut db.connect().await)
        .await
        .unwrap();

    for migrate in [true, false] {
        let mut opts = db.options();
        opts.migrate = migrate;
        match PgStore::open(opts).await {
            Err(StoreError::Schema(msg)) => {
                assert!(
                    msg.contains("999") && msg.contains("upgrade numgate"),
                    "{msg}"
                )
            }
            other => panic!("migrate {migrate}: expected a schema error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn without_migrating_an_older_schema_is_refused_and_migrate_applies_it() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let location = StoreLocation::parse(&db.url());
    match numgate_store::open(&location, false).await {
        Err(StoreError::Schema(msg)) => assert!(msg.contains("numgate migrate"), "{msg}"),
        other => panic!("expected a schema error, got {:?}", other.map(|_| ())),
    }

    let mut opts = db.options();
    opts.migrate = false;
    let store = PgStore::open(opts).await.unwrap();
    let before = store.schema_status().await.unwrap();
    assert_eq!(before.current, 0);
    assert!(before.needs_migration());
    assert_eq!(
        store.migrate().await.unwrap(),
        vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    );
    assert!(store.schema_status().await.unwrap().is_up_to_date());
    assert!(store.migrate().await.unwrap().is_empty());
    store.close().await;

    let opened = numgate_store::open(&location, false).await.unwrap();
    opened.ping().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrations_are_safe_when_nodes_start_together() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let (a, b, c) = tokio::join!(
        PgStore::open(db.options()),
        PgStore::open(db.options()),
        PgStore::open(db.options())
    );
    let nodes = [a.unwrap(), b.unwrap(), c.unwrap()];
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM numgate_schema")
        .fetch_all(&mut db.connect().await)
        .await
        .unwrap();
    assert_eq!(
        versions,
        vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        "each migration is applied once"
    );
    for node in &nodes {
        assert!(node.schema_status().await.unwrap().is_up_to_date());
        assert!(node.migrate().await.unwrap().is_empty());
    }
    let t = nodes[0].ensure_tenant("acme", T0).await.unwrap();
    assert_eq!(nodes[2].find_tenant_by_id(t.id).await.unwrap(), Some(t));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_recovers_after_its_connections_are_killed() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let store = store(&db, 4).await;
    // Fill the pool: several connections are idle in it when they are killed.
    let nonces: Vec<String> = (0..8).map(|i| format!("warm-{i}")).collect();
    let warm = nonces.iter().map(|n| store.claim_nonce("LTAI-one", n, T0));
    for ok in futures::future::join_all(warm).await {
        assert!(ok.unwrap());
    }

    let mut admin = db.connect().await;
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(!killed.is_empty(), "the store had connections to kill");

    // The pool tests each connection before use, so normally none of these fails;
    // a connection that answered its test just before its backend took the signal
    // may fail one operation, with Unavailable.
    let started = Instant::now();
    let mut outcomes = Vec::new();
    for i in 0..20 {
        match store
            .claim_nonce("LTAI-one", &format!("after-{i}"), T0)
            .await
        {
            Ok(claimed) => outcomes.push(claimed),
            Err(StoreError::Unavailable(_)) => outcomes.push(false),
            Err(e) => panic!("operation {i}: {e:?}"),
        }
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        outcomes[killed.len()..].iter().all(|ok| *ok),
        "after the first {} operations all succeed: {outcomes:?}",
        killed.len()
    );
    store.ping().await.unwrap();
}

/// Nothing listens on port 1: the store says the database is unavailable, soon.
#[tokio::test]
async fn a_database_that_cannot_be_reached_is_unavailable() {
    let mut opts = PgOptions::new("postgres://numgate:s3cret@127.0.0.1:1/numgate");
    opts.acquire_timeout = Duration::from_secs(2);
    let started = Instant::now();
    let err = PgStore::open(opts).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!format!("{err:?} {err}").contains("s3cret"));
}

/// Not a test: for restarting PostgreSQL by hand while it runs. Run with
/// `cargo test -p numgate-store -- --ignored --nocapture outage`, then
/// `pg_ctlcluster 15 main restart` (or stop, wait, start) from another shell.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn outage_is_reported_and_recovered_from() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let mut opts = db.options();
    opts.acquire_timeout = Duration::from_secs(5);
    let store = PgStore::open(opts).await.unwrap();
    let started = Instant::now();
    let mut last = String::new();
    for i in 0.. {
        let op = Instant::now();
        let outcome = match store.claim_nonce("LTAI-one", &format!("n-{i}"), T0).await {
            Ok(_) => "ok".to_owned(),
            Err(StoreError::Unavailable(e)) => format!("unavailable ({e})"),
            Err(e) => format!("OTHER: {e:?}"),
        };
        if outcome != last {
            println!(
                "{:>6.1}s op {i}: {outcome} after {:?}",
                started.elapsed().as_secs_f64(),
                op.elapsed()
            );
            last = outcome;
        }
        if started.elapsed() > Duration::from_secs(40) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
