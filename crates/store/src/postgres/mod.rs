//! The PostgreSQL backend: one database shared by any number of stateless nodes.
//!
//! Every operation is one statement or one short transaction on a pooled
//! connection; nothing is kept in a node's memory, so a code sent through one node
//! is checked on another and the limits hold across all of them. What SQLite gets
//! from its single writer, PostgreSQL gets from row locks re-checked under READ
//! COMMITTED, `FOR UPDATE SKIP LOCKED` and transaction-scoped advisory locks (each
//! file says which). PostgreSQL groups concurrent commits into one WAL flush on its
//! own, so there is no writer task here.
//!
//! The pool tests a connection before handing it out: after PostgreSQL restarts, or
//! its connections are cut, the dead ones are replaced instead of failing a request.
//! While it is away, operations fail with `Unavailable` within `acquire_timeout`.

mod access_keys;
mod attempts;
mod audit;
mod billing;
mod catalog;
mod codes;
mod deliveries;
mod fusion_schemes;
mod guards;
mod inbound;
mod maintenance;
mod migrate;
mod nonces;
mod policies;
mod queue;
mod risk;
mod schemes;
mod sessions;
mod stats;
mod tenants;
mod tokens;
mod users;

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, Row};

use crate::location::redact_url;
use crate::{Result, SchemaStatus, StoreError};

/// A row lock or advisory lock waited for longer than this fails the operation with
/// `Unavailable` instead of holding a request (and a connection) indefinitely.
const LOCK_TIMEOUT: &str = "10s";

/// A session that sits in an open transaction this long (its node hung half-way)
/// is ended by the server, releasing the locks it holds for the other nodes.
const IDLE_IN_TRANSACTION_TIMEOUT: &str = "60s";

/// Which database, and how many connections this node may hold to it.
#[derive(Clone)]
pub struct PgOptions {
    /// `postgres://user:password@host:port/database?…`
    pub url: String,
    /// Connections of this node's pool; PostgreSQL's `max_connections` is shared by
    /// all nodes, so N nodes need N times this.
    pub max_connections: u32,
    /// How long an operation waits for a connection (the database may be away)
    /// before it fails with `Unavailable`.
    pub acquire_timeout: Duration,
    /// Whether `open` brings the schema up to date (the default). Without it, `open`
    /// changes no schema and refuses only a newer one: the caller checks
    /// [`PgStore::schema_status`] or calls [`PgStore::migrate`] itself.
    pub migrate: bool,
}

impl PgOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            migrate: true,
        }
    }
}

// The URL may hold a password: never print it.
impl std::fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("migrate", &self.migrate)
            .finish()
    }
}

/// A store in a PostgreSQL database. Cheap to clone (clones share one pool).
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

// The server shares one store between its tasks.
const _: fn() = || {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<PgStore>();
};

// The pool's own Debug would show its connect options, password included.
impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("connections", &self.pool.size())
            .field("idle", &self.pool.num_idle())
            .finish()
    }
}

impl PgStore {
    /// Connects (one connection at once, more as needed) and, unless told not to,
    /// migrates the database. A schema newer than this build is refused (`Schema`)
    /// either way. Needs a Tokio runtime; the pool's upkeep runs on it.
    pub async fn open(opts: PgOptions) -> Result<PgStore> {
        let connect: PgConnectOptions = opts.url.parse().map_err(|_| {
            StoreError::Other("the database URL is not a valid postgres:// URL".into())
        })?;
        let connect = connect.application_name("numgate").options([
            ("lock_timeout", LOCK_TIMEOUT),
            (
                "idle_in_transaction_session_timeout",
                IDLE_IN_TRANSACTION_TIMEOUT,
            ),
        ]);
        let pool = PgPoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .min_connections(0)
            .acquire_timeout(opts.acquire_timeout)
            // A round trip per acquire buys this: after a restart of PostgreSQL the
            // first request gets a fresh connection instead of a dead one's error.
            .test_before_acquire(true)
            .connect_with(connect)
            .await
            .map_err(map_err)?;
        let store = PgStore { pool };
        if opts.migrate {
            store.migrate().await?;
        } else {
            store.schema_status().await?.refuse_newer()?;
        }
        Ok(store)
    }

    /// Applies the migrations the database lacks; returns their versions (empty
    /// when it was up to date). Safe when several nodes do it at once: they take
    /// turns, and the later ones find nothing left to do. Refuses a newer schema.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        migrate::run(&self.pool).await
    }

    /// The database's schema version and this build's, changing nothing.
    pub async fn schema_status(&self) -> Result<SchemaStatus> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        migrate::status(&mut conn).await
    }

    /// Closes the pool's connections and waits for them to go; operations after
    /// this fail with `Unavailable`. Dropping every clone also closes them, but
    /// in the background.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// What an sqlx error means for the caller.
enum Class {
    /// Try again later: the database is away, restarting, overloaded or contended.
    Unavailable,
    /// A unique key already exists.
    Unique,
    Other,
}

fn classify(e: &sqlx::Error) -> Class {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => Class::Unavailable,
        sqlx::Error::Database(d) => d.code().map_or(Class::Other, |c| classify_sqlstate(&c)),
        _ => Class::Other,
    }
}

/// SQLSTATEs (PostgreSQL's appendix A) that mean "not now" rather than "never".
fn classify_sqlstate(code: &str) -> Class {
    match code {
        "23505" => Class::Unique,
        // 08: connection exception; 53: insufficient resources (too many
        // connections, disk full, out of memory).
        c if c.starts_with("08") || c.starts_with("53") => Class::Unavailable,
        // Shut down by an administrator, crashed, cannot connect now (starting up or
        // in recovery), session ended for idling in a transaction.
        "57P01" | "57P02" | "57P03" | "25P03" => Class::Unavailable,
        // "database … is not currently accepting connections" (ALLOW_CONNECTIONS
        // false during maintenance): met when a connection is opened.
        "55000" => Class::Unavailable,
        // lock_timeout, statement cancelled, a read-only standby after a failover,
        // serialization failure and deadlock (the transaction was rolled back).
        "55P03" | "57014" | "25006" | "40001" | "40P01" => Class::Unavailable,
        _ => Class::Other,
    }
}

/// Maps an sqlx error. Of a database error only its SQLSTATE and primary message
/// are kept: its detail may quote row values (codes' hashes, sealed secrets).
fn map_err(e: sqlx::Error) -> StoreError {
    let class = classify(&e);
    let source: Box<dyn std::error::Error + Send + Sync> = match &e {
        sqlx::Error::Database(d) => format!(
            "SQLSTATE {}: {}",
            d.code().as_deref().unwrap_or("?"),
            d.message()
        )
        .into(),
        _ => Box::new(e),
    };
    match class {
        Class::Unavailable => StoreError::Unavailable(source),
        Class::Unique | Class::Other => StoreError::Other(source),
    }
}

/// Like [`map_err`], with a unique violation on a key the caller chose as `Conflict(what)`.
fn map_conflict(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match classify(&e) {
        Class::Unique => StoreError::Conflict(what),
        _ => map_err(e),
    }
}

/// Counts and limits cross as BIGINT, which is signed.
fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// One column of a row; a value that does not decode is a corrupt database (`Other`).
fn col<'r, T>(row: &'r PgRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
{
    row.try_get(name).map_err(map_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_are_classified_by_meaning() {
        let unavailable = [
            "08006", "08001", "57P01", "57P02", "57P03", "53300", "53100", "55P03", "40001",
        ];
        for code in unavailable {
            assert!(
                matches!(classify_sqlstate(code), Class::Unavailable),
                "{code}"
            );
        }
        assert!(matches!(classify_sqlstate("23505"), Class::Unique));
        for code in ["23503", "23514", "42P01", "22P02", ""] {
            assert!(matches!(classify_sqlstate(code), Class::Other), "{code}");
        }
    }

    #[test]
    fn options_do_not_print_the_password() {
        let opts = PgOptions::new("postgres://numgate:s3cret@db:5432/numgate");
        let shown = format!("{opts:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("db:5432"), "{shown}");
    }
}
