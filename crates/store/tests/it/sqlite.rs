//! What only the SQLite backend promises: one file shared by processes, durability
//! across reopening, group commit, and its schema guard.

use std::path::Path;
use std::time::Instant;

use numgate_store::{
    AccessKeys, CheckOutcome, Codes, DeliveryResult, NewAccessKey, Nonces, SmsCatalog, SmsQueue,
    SqliteOptions, SqliteStore, StoreError, StoreLocation, Tenants,
};

use crate::support::{check, key, new_code, SEC, T0};

async fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(SqliteOptions::new(path))
        .await
        .expect("open")
}

fn access_key(id: &str, tenant_id: i64) -> NewAccessKey {
    NewAccessKey {
        id: id.into(),
        tenant_id,
        sealed_secret: vec![1, 2, 3],
        created_at: T0,
    }
}

/// A plain connection to the file, to look under the store.
fn raw(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("raw connection");
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .expect("busy timeout");
    conn
}

#[tokio::test]
async fn two_stores_on_one_file_see_each_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("numgate.db");
    let (server, cli) = (open(&path).await, open(&path).await);
    let t = server.ensure_tenant("acme", T0).await.unwrap();
    assert_eq!(cli.find_tenant("acme").await.unwrap(), Some(t.clone()));

    cli.create_access_key(access_key("LTAI-one", t.id))
        .await
        .unwrap();
    assert!(
        server
            .find_access_key("LTAI-one")
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
    // `numgate keys disable` while the server runs: the server's next read sees it.
    assert!(cli.set_access_key_enabled("LTAI-one", false).await.unwrap());
    assert!(
        !server
            .find_access_key("LTAI-one")
            .await
            .unwrap()
            .unwrap()
            .enabled
    );

    assert!(server.claim_nonce("LTAI-one", "n-1", T0).await.unwrap());
    assert!(!cli.claim_nonce("LTAI-one", "n-1", T0).await.unwrap());
    let err = server
        .create_access_key(access_key("LTAI-one", t.id))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict("AccessKey")), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_ensuring_one_tenant_get_the_same_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("numgate.db");
    let (a, b) = (open(&path).await, open(&path).await);
    let (ta, tb) = tokio::join!(a.ensure_tenant("acme", T0), b.ensure_tenant("acme", T0 + 1));
    assert_eq!(ta.unwrap(), tb.unwrap());
    assert_eq!(a.list_tenants().await.unwrap().len(), 1);
    assert_eq!(
        a.list_templates(a.find_tenant("acme").await.unwrap().unwrap().id)
            .await
            .unwrap()
            .len(),
        5
    );
}

#[tokio::test]
async fn data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("numgate.db");
    let k = {
        let store = open(&path).await;
        let t = store.ensure_tenant("acme", T0).await.unwrap();
        store
            .create_access_key(access_key("LTAI-one", t.id))
            .await
            .unwrap();
        let k = key(t.id, "13800138000");
        store.send_code(new_code(&k, "123456", T0)).await.unwrap();
        k
    };
    let store = open(&path).await;
    assert!(store.find_access_key("LTAI-one").await.unwrap().is_some());
    let pass = store
        .check_code(check(&k, "123456", T0 + SEC))
        .await
        .unwrap();
    assert!(matches!(pass, CheckOutcome::Pass { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_checks_of_one_code_pass_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("numgate.db")).await;
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
async fn a_failing_job_does_not_spoil_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("numgate.db")).await;
    let t = store.ensure_tenant("acme", T0).await.unwrap();
    store
        .create_access_key(access_key("LTAI-taken", t.id))
        .await
        .unwrap();
    let (batches_before, _) = store.writer_stats();

    let mut tasks = Vec::new();
    for i in 0..100 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            if i % 10 == 5 {
                s.create_access_key(access_key("LTAI-taken", t.id))
                    .await
                    .map(|()| false)
            } else {
                s.claim_nonce("LTAI-taken", &format!("n-{i}"), T0).await
            }
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let result = task.await.unwrap();
        if i % 10 == 5 {
            assert!(
                matches!(result, Err(StoreError::Conflict("AccessKey"))),
                "{i}: {result:?}"
            );
        } else {
            assert!(result.unwrap(), "{i}");
        }
    }
    let (batches, _) = store.writer_stats();
    assert!(batches - batches_before < 100, "the jobs were grouped");
    // Every successful job of those batches was committed.
    for i in (0..100).filter(|i| i % 10 != 5) {
        assert!(
            !store
                .claim_nonce("LTAI-taken", &format!("n-{i}"), T0)
                .await
                .unwrap(),
            "{i}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_are_grouped_into_batches() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("numgate.db")).await;
    let (batches_before, jobs_before) = store.writer_stats();
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let s = store.clone();
            tokio::spawn(async move { s.claim_nonce("LTAI-one", &format!("n-{i}"), T0).await })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap().unwrap());
    }
    let (batches, jobs) = store.writer_stats();
    assert_eq!(jobs - jobs_before, 200);
    assert!(
        batches - batches_before < 200,
        "{} batches for 200 jobs",
        batches - batches_before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_checks_are_grouped_into_batches() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("numgate.db")).await;
    let t = store.ensure_tenant("acme", T0).await.unwrap();
    let (batches_before, jobs_before) = store.writer_stats();
    let tasks: Vec<_> = (0..64)
        .map(|w| {
            let s = store.clone();
            tokio::spawn(async move {
                for i in 0..10 {
                    let c = check(&key(t.id, &format!("1{w:04}{i:06}")), "000000", T0);
                    assert_eq!(s.check_code(c).await.unwrap(), CheckOutcome::NoMatch);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let (batches, jobs) = store.writer_stats();
    let (batches, jobs) = (batches - batches_before, jobs - jobs_before);
    assert_eq!(jobs, 640);
    assert!(batches * 2 < jobs, "{batches} batches for {jobs} checks");
}

/// Linux only: the open files of this process are listed in /proc.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn dropping_the_store_stops_the_writer_and_closes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("numgate.db")).await;
    store.ensure_tenant("acme", T0).await.unwrap();
    let open_files = || {
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .filter(|p| p.starts_with(dir.path()))
            .count()
    };
    assert!(open_files() > 0);
    drop(store);
    // Connections close on their own threads, soon after.
    for _ in 0..250 {
        if open_files() == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{} files of the store are still open", open_files());
}

#[tokio::test]
async fn the_file_is_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("numgate.db");
    let _store = open(&path).await;
    let mode: String = raw(&path)
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn a_settled_message_keeps_no_text_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("numgate.db");
    let store = open(&path).await;
    let t = store.ensure_tenant("acme", T0).await.unwrap();
    store
        .send_code(new_code(&key(t.id, "13800138000"), "123456", T0))
        .await
        .unwrap();
    let m = store
        .claim_messages(T0, T0 + SEC, 1)
        .await
        .unwrap()
        .remove(0);
    store
        .settle_message(
            m.id,
            DeliveryResult::Delivered(crate::support::outbox_delivery()),
            T0,
        )
        .await
        .unwrap();

    let len: i64 = raw(&path)
        .query_row(
            "SELECT length(sealed_text) FROM sms_queue WHERE id = ?",
            [m.id],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(len, 0);
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("numgate.db");
    drop(open(&path).await);
    raw(&path)
        .execute(
            "INSERT INTO numgate_schema (version, name, applied_at) VALUES (999, 'future', 0)",
            [],
        )
        .unwrap();

    for migrate in [true, false] {
        let mut opts = SqliteOptions::new(&path);
        opts.migrate = migrate;
        match SqliteStore::open(opts).await {
            Err(StoreError::Schema(msg)) => {
                assert!(
                    msg.contains("999") && msg.contains("upgrade numgate"),
                    "{msg}"
                )
            }
            other => panic!("expected a schema error, got {:?}", other.map(|_| ())),
        }
    }
}

#[tokio::test]
async fn without_migrating_an_older_schema_is_refused_and_migrate_applies_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("numgate.db");
    let location = StoreLocation::Sqlite(path.clone());
    match numgate_store::open(&location, false).await {
        Err(StoreError::Schema(msg)) => assert!(msg.contains("numgate migrate"), "{msg}"),
        other => panic!("expected a schema error, got {:?}", other.map(|_| ())),
    }

    let mut opts = SqliteOptions::new(&path);
    opts.migrate = false;
    let store = SqliteStore::open(opts).await.unwrap();
    let before = store.schema_status().await.unwrap();
    assert_eq!(before.current, 0);
    assert!(before.needs_migration());
    assert_eq!(
        store.migrate().await.unwrap(),
        vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    );
    assert!(store.schema_status().await.unwrap().is_up_to_date());
    assert!(store.migrate().await.unwrap().is_empty());
    // The running store's writer uses the migrated schema at once.
    store.ensure_tenant("acme", T0).await.unwrap();
    drop(store);

    let opened = numgate_store::open(&location, false).await.unwrap();
    assert!(opened.find_tenant("acme").await.unwrap().is_some());
}

#[tokio::test]
async fn a_file_that_cannot_be_created_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("numgate.db");
    let err = SqliteStore::open(SqliteOptions::new(path))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}

/// Not a test of correctness: how far group commit carries. Run with
/// `cargo test -p numgate-store --release -- --ignored --nocapture group_commit`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn group_commit_throughput() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("numgate.db")).await;
    let t = store.ensure_tenant("acme", T0).await.unwrap();
    for (label, tasks) in [("sequential", 1), ("64 concurrent", 64)] {
        let per_task = 4_000 / tasks;
        let (b0, j0) = store.writer_stats();
        let started = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|w| {
                let s = store.clone();
                tokio::spawn(async move {
                    for i in 0..per_task {
                        let k = key(t.id, &format!("1{w:04}{i:06}"));
                        let c = check(&k, "000000", T0);
                        s.check_code(c).await.unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
        let secs = started.elapsed().as_secs_f64();
        let (b, j) = store.writer_stats();
        let ops = (j - j0) as f64;
        println!(
            "check_code {label}: {:.0} ops/s, {:.1} jobs per batch",
            ops / secs,
            ops / (b - b0) as f64
        );
    }
}

#[tokio::test]
async fn a_migration_numbered_below_the_newest_applied_is_still_applied() {
    // Branches merge migrations in any order (0009 may be applied before 0008
    // arrives): every version not recorded is applied, not only those above the
    // newest. Here version 3 goes missing under the recorded 9.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("numgate.db");
    drop(open(&path).await);
    raw(&path)
        .execute_batch("DROP TABLE consumed_tokens; DELETE FROM numgate_schema WHERE version = 3;")
        .unwrap();
    let mut opts = SqliteOptions::new(&path);
    opts.migrate = false;
    let store = SqliteStore::open(opts).await.unwrap();
    let status = store.schema_status().await.unwrap();
    assert!(status.needs_migration(), "{status:?}");
    assert_eq!(store.migrate().await.unwrap(), vec![3]);
    assert!(store.schema_status().await.unwrap().is_up_to_date());
    assert!(numgate_store::Tokens::consume_token(&store, "t-1", T0)
        .await
        .unwrap());
    assert!(store.migrate().await.unwrap().is_empty());
}
