//! Test support for this crate's users and its own tests (feature `testing`):
//! a PostgreSQL database of its own for each test, dropped after it.
//!
//! The server is named by `NUMGATE_TEST_DATABASE_URL`; without it PostgreSQL
//! tests are skipped, except under `CI=true`, where both backends must run.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sqlx::{Connection, Executor, PgConnection};

use crate::PgOptions;

/// The PostgreSQL server to test against, if any. Under CI both backends must run.
pub fn server_url() -> Option<String> {
    static TOLD: AtomicBool = AtomicBool::new(false);
    match std::env::var("NUMGATE_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI must test PostgreSQL too: set NUMGATE_TEST_DATABASE_URL");
            }
            if !TOLD.swap(true, Ordering::Relaxed) {
                // Straight to stderr: the harness would capture (and hide) eprintln!.
                let _ = writeln!(
                    std::io::stderr(),
                    "PostgreSQL conformance skipped: NUMGATE_TEST_DATABASE_URL is not set"
                );
            }
            None
        }
    }
}

/// `url` with its database replaced by `database` (the query, if any, kept).
fn with_database(url: &str, database: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[authority_start..];
    let authority_end = authority_start + rest.find(['/', '?']).unwrap_or(rest.len());
    let query = url[authority_end..]
        .find('?')
        .map_or("", |q| &url[authority_end + q..]);
    format!("{}/{database}{query}", &url[..authority_end])
}

fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// A database of its own for one store under test: `ng_<created>_<pid>_<n>`,
/// dropped when this is dropped (also when the test panicked), and by a later run
/// if this process died first.
pub struct TestDatabase {
    server: String,
    pub name: String,
}

impl TestDatabase {
    /// A fresh, empty database; `None` when no server is configured.
    pub async fn create() -> Option<TestDatabase> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let server = server_url()?;
        drop_stale_databases(&server).await;
        let name = format!(
            "ng_{}_{}_{}",
            unix_secs(),
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = PgConnection::connect(&server)
            .await
            .expect("connect to NUMGATE_TEST_DATABASE_URL");
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create a test database");
        let _ = admin.close().await;
        Some(TestDatabase { server, name })
    }

    pub fn url(&self) -> String {
        with_database(&self.server, &self.name)
    }

    /// Small pools (the tests share the server's connections) and patient acquires
    /// (a test may queue thousands of operations on them).
    pub fn options(&self) -> PgOptions {
        let mut opts = PgOptions::new(self.url());
        opts.max_connections = 4;
        opts.acquire_timeout = Duration::from_secs(60);
        opts
    }

    /// A connection to the server's own database (the one the URL names), to
    /// administer the test database from outside: cut it off, let it back.
    pub async fn connect_server(&self) -> PgConnection {
        PgConnection::connect(&self.server)
            .await
            .expect("connect to NUMGATE_TEST_DATABASE_URL")
    }

    /// A plain connection to the database, to look under the store.
    pub async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url())
            .await
            .expect("connect to the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop may run inside a runtime (or while a test unwinds): the drop gets a
        // thread and a runtime of its own, and never panics.
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(drop_database(&server, &name))
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

async fn drop_database(server: &str, name: &str) -> Result<(), String> {
    let mut admin = PgConnection::connect(server)
        .await
        .map_err(|e| e.to_string())?;
    // FORCE: the store's pool may still hold connections, closing in the background.
    let dropped = admin
        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await
        .map(|_| ())
        .map_err(|e| e.to_string());
    let _ = admin.close().await;
    dropped
}

/// Once per test process: drops the test databases of runs that died before
/// dropping theirs (an hour old is older than any test run).
async fn drop_stale_databases(server: &str) {
    static DONE: AtomicBool = AtomicBool::new(false);
    if DONE.swap(true, Ordering::Relaxed) {
        return;
    }
    let Ok(mut admin) = PgConnection::connect(server).await else {
        return;
    };
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'ng\\_%'")
            .fetch_all(&mut admin)
            .await
            .unwrap_or_default();
    let _ = admin.close().await;
    let hour_ago = unix_secs().saturating_sub(3_600);
    for name in names {
        let created = name.split('_').nth(1).and_then(|s| s.parse::<u64>().ok());
        if created.is_some_and(|t| t < hour_ago) {
            let _ = drop_database(server, &name).await;
        }
    }
}
