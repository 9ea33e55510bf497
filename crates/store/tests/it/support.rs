//! The backends under test and small builders of inputs.
//!
//! SQLite always; PostgreSQL when `NUMGATE_TEST_DATABASE_URL` names a server, each
//! store in a database of its own, created for it and dropped after it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use numgate_domain::clock::Millis;
pub use numgate_store::testing::TestDatabase;
use numgate_store::{
    CodeCheck, CodeKey, NewCode, PgStore, SendGuards, SqliteOptions, SqliteStore, Store, Tenant,
};

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
        guards: SendGuards::unlimited(),
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

/// What the outbox channel settles with: one segment, billed to `day`, no report.
pub fn outbox_delivery() -> numgate_store::Delivery {
    numgate_store::Delivery {
        provider: "outbox".into(),
        provider_message_id: None,
        id_forms: vec![],
        segments: 1,
        report: false,
        day: "2026-01-01".into(),
    }
}
