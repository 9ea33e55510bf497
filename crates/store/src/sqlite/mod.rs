//! The embedded SQLite backend: opening the file, its pragmas, the read pool and the writer.
//!
//! One WAL file. Reads go to a small pool of connections (WAL readers never block
//! the writer, nor it them); every change goes through the one writer task of
//! [`writer`], which groups concurrent operations into one transaction. Nothing is
//! cached in memory: another process on the same file (the CLI next to a running
//! server) is seen by the very next read.

mod access_keys;
mod catalog;
mod codes;
mod maintenance;
mod migrate;
mod nonces;
mod queue;
mod tenants;
mod writer;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Row, Sqlite, SqliteConnection};

use crate::{Result, SchemaStatus, StoreError};
use writer::WriterHandle;

/// How long a connection waits for a lock held by another connection or process
/// (the CLI writing while the server runs) before giving up with `Unavailable`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the database lives and how much concurrency it gets.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// The database file; created if missing (its directory must exist).
    pub path: PathBuf,
    /// Connections for reads; WAL lets them all read while the writer writes.
    pub read_connections: u32,
    /// The most operations the writer groups into one transaction.
    pub max_batch: usize,
    /// Whether `open` brings the schema up to date (the default). Without it, `open`
    /// changes no schema and refuses only a newer one: the caller checks
    /// [`SqliteStore::schema_status`] or calls [`SqliteStore::migrate`] itself.
    pub migrate: bool,
}

impl SqliteOptions {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            read_connections: 4,
            max_batch: 256,
            migrate: true,
        }
    }
}

/// A store in one SQLite file. Cheap to clone; the writer stops when the last
/// clone is dropped.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

// The server shares one store between its tasks.
const _: fn() = || {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<SqliteStore>();
};

#[derive(Debug)]
struct Inner {
    read: SqlitePool,
    writer: WriterHandle,
    /// How the writer's connection was opened: `migrate` opens another such one.
    write_opts: SqliteConnectOptions,
}

impl SqliteStore {
    /// Opens (creating if missing) and, unless told not to, migrates the database,
    /// and starts its writer on the current Tokio runtime. A database with a schema
    /// newer than this build is refused (`Schema`) either way.
    pub async fn open(opts: SqliteOptions) -> Result<SqliteStore> {
        let base = SqliteConnectOptions::new()
            .filename(&opts.path)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        // The writer alone sets WAL (a persistent property of the file) and creates it.
        let write_opts = base
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk when COMMIT returns; an answered success survives a crash.
            .synchronous(SqliteSynchronous::Full);
        let mut conn = write_opts.connect().await.map_err(map_err)?;
        if opts.migrate {
            migrate::run(&mut conn).await?;
        } else {
            migrate::status(&mut conn).await?.refuse_newer()?;
        }

        // query_only: a read connection can never write by mistake.
        let read_opts = base.pragma("query_only", "ON");
        let read = SqlitePoolOptions::new()
            .max_connections(opts.read_connections.max(1))
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(10))
            // A ping per acquire would double the cost of a read; errors surface anyway.
            .test_before_acquire(false)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(read_opts)
            .await
            .map_err(map_err)?;

        let writer = WriterHandle::spawn(conn, opts.max_batch);
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                read,
                writer,
                write_opts,
            }),
        })
    }

    /// Applies the migrations the database lacks; returns their versions (empty
    /// when it was up to date). Refuses a newer schema.
    ///
    /// On a connection of its own, as another process would: its IMMEDIATE
    /// transaction waits for the writer's current batch (and the writer for it).
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        let mut conn = self.inner.write_opts.connect().await.map_err(map_err)?;
        let applied = migrate::run(&mut conn).await;
        let _ = sqlx::Connection::close(conn).await;
        applied
    }

    /// The database's schema version and this build's, changing nothing.
    pub async fn schema_status(&self) -> Result<SchemaStatus> {
        let mut conn = self.reader().acquire().await.map_err(map_err)?;
        migrate::status(&mut conn).await
    }

    /// (batches committed, jobs run) by the writer so far: jobs/batches is the
    /// mean batch size that group commit achieved.
    pub fn writer_stats(&self) -> (u64, u64) {
        let s = &self.inner.writer.stats;
        (
            s.batches.load(Ordering::Relaxed),
            s.jobs.load(Ordering::Relaxed),
        )
    }

    /// The pool for reads.
    fn reader(&self) -> &SqlitePool {
        &self.inner.read
    }

    /// Runs `op` in the writer's next batch; returns once it is committed.
    async fn write<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        self.inner.writer.write(op).await
    }

    /// As [`Self::write`], for an `op` that leaves nothing behind when it fails
    /// (one statement, or only its last statement writes): no savepoint.
    async fn write_atomic<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        self.inner.writer.write_atomic(op).await
    }
}

/// What an sqlx error means for the caller.
enum Class {
    /// Try again later: I/O, locks held too long, pool exhausted or closed.
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
        | sqlx::Error::WorkerCrashed => Class::Unavailable,
        sqlx::Error::Database(d) if d.is_unique_violation() => Class::Unique,
        sqlx::Error::Database(d) => {
            let code = d.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
            // Primary result codes: BUSY, LOCKED, NOMEM, READONLY, IOERR, FULL, CANTOPEN, PROTOCOL.
            match code & 0xff {
                5 | 6 | 7 | 8 | 10 | 13 | 14 | 15 => Class::Unavailable,
                _ => Class::Other,
            }
        }
        _ => Class::Other,
    }
}

/// Maps an sqlx error; its text is SQLite's message (table and column names, never values).
fn map_err(e: sqlx::Error) -> StoreError {
    match classify(&e) {
        Class::Unavailable => StoreError::Unavailable(Box::new(e)),
        Class::Unique | Class::Other => StoreError::Other(Box::new(e)),
    }
}

/// Like [`map_err`], with a unique violation on a key the caller chose as `Conflict(what)`.
fn map_conflict(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match classify(&e) {
        Class::Unique => StoreError::Conflict(what),
        _ => map_err(e),
    }
}

/// SQLite has no unsigned 64-bit integers; counts and limits cross as i64.
fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// One column of a row; a value that does not decode is a corrupt database (`Other`).
fn col<'r, T>(row: &'r SqliteRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
{
    row.try_get(name).map_err(map_err)
}
