//! The backends under test and small builders of inputs.
//!
//! SQLite always; PostgreSQL when `NUMGATE_TEST_DATABASE_URL` names a server, each
//! store in a database of its own, created for it and dropped after it.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use numgate_domain::clock::Millis;
use numgate_store::{
    CodeCheck, CodeKey, NewCode, PgOptions, PgStore, SqliteOptions, SqliteStore, Store, Tenant,
};
use sqlx::{Connection, Executor, PgConnection};

/// A fixed "now" for tests: all times are explicit, nothing reads the clock.
pub const T0: Millis = 1_700_000_000_000;
pub const SEC: Millis = 1_000;
pub const HOUR: Millis = 3_600 * SEC;
pub const DAY: Millis = 24 * HOUR;

/// A store under test, with whatever must live as long as it.
pub struct Backend {
    pub name: &'static str,
    pub store: Arc<dyn Store>,
    /// Dropped after the store (fields drop in order).
    _dir: Option<tempfile::TempDir>,
    _db: Option<TestDatabase>,
}

/// A fresh, empty store of every backend.
pub async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(SqliteOptions::new(dir.path().join("numgate.db")))
        .await
        .expect("open sqlite");
    let mut all = vec![Backend {
        name: "sqlite",
        store: Arc::new(store),
        _dir: Some(dir),
        _db: None,
    }];
    if let Some(db) = TestDatabase::create().await {
        let store = PgStore::open(db.options()).await.expect("open postgres");
        all.push(Backend {
            name: "postgres",
            store: Arc::new(store),
            _dir: None,
            _db: Some(db),
        });
    }
    all
}

/// The PostgreSQL server to test against, if any. Under CI both backends must run.
fn server_url() -> Option<String> {
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

pub async fn tenant(store: &dyn Store, name: &str) -> Tenant {
    store.ensure_tenant(name, T0).await.expect("tenant")
}

pub fn key(tenant_id: i64, phone: &str) -> CodeKey {
    CodeKey {
        tenant_id,
        scheme: "default".into(),
        country_code: "86".into(),
        phone: phone.into(),
    }
}

/// Stands in for the HMAC: the store only compares bytes.
pub fn hash(code: &str) -> Vec<u8> {
    format!("hmac:{code}").into_bytes()
}

static BIZ_IDS: AtomicU64 = AtomicU64::new(1);

/// A code of 300 s validity, no interval, generous caps, replacing older codes.
pub fn new_code(key: &CodeKey, code: &str, now: Millis) -> NewCode {
    let n = BIZ_IDS.fetch_add(1, Ordering::Relaxed);
    NewCode {
        key: key.clone(),
        code_hash: hash(code),
        code_hash_folded: hash(&code.to_uppercase()),
        now,
        expires_at: now + 300 * SEC,
        interval_ms: 0,
        hourly_cap: 1_000,
        daily_cap: 1_000,
        replace_older: true,
        biz_id: format!("biz-{n}"),
        out_id: Some(format!("out-{n}")),
        sign_name: "速通互联验证码".into(),
        template_code: "100001".into(),
        masked_content: "您的验证码为******。".into(),
        sealed_text: format!("sealed:{code}").into_bytes(),
        auto_retry: true,
        up_extend_code: Some("42".into()),
    }
}

pub fn check(key: &CodeKey, code: &str, now: Millis) -> CodeCheck {
    CodeCheck {
        key: key.clone(),
        code_hash: hash(code),
        folded: false,
        now,
        max_attempts: 5,
    }
}
