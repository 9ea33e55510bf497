//! The embedded SQLite backend: opening the file, its pragmas, the readers and the writer.
//!
//! One WAL file, driven synchronously through rusqlite on threads of the store's
//! own. Reads go to a few reader threads ([`readers`], WAL readers never block the
//! writer, nor it them); every change goes through the one writer thread of
//! [`writer`], which groups concurrent operations into one transaction. An async
//! caller hands a closure to a thread and awaits its answer: one hand-over each way
//! per operation however many statements it runs (a driver that crosses to a worker
//! thread per statement spends more on the crossings than SQLite spends on the
//! statements). Nothing is cached in memory: another process on the same file (the
//! CLI next to a running server) is seen by the very next read.

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
mod readers;
mod risk;
mod schemes;
mod sessions;
mod stats;
mod tenants;
mod tokens;
mod users;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::types::FromSql;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Params, Row};

use crate::{Result, SchemaStatus, StoreError};
use readers::ReadPool;
use writer::WriterHandle;

/// How long a connection waits for a lock held by another connection or process
/// (the CLI writing while the server runs) before giving up with `Unavailable`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements kept per connection. Every statement of this backend is
/// prepared through the cache; it must hold them all, or they would be re-parsed.
const STATEMENT_CACHE: usize = 128;

/// Where the database lives and how much concurrency it gets.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// The database file; created if missing (its directory must exist).
    pub path: PathBuf,
    /// Connections for reads, each on a thread of its own; WAL lets them all read
    /// while the writer writes.
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

/// A store in one SQLite file. Cheap to clone; its threads stop, closing their
/// connections, when the last clone is dropped.
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
    readers: ReadPool,
    writer: WriterHandle,
    /// The file: `migrate` opens another write connection to it.
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if missing) and, unless told not to, migrates the database,
    /// and starts its writer and reader threads. A database with a schema newer
    /// than this build is refused (`Schema`) either way.
    pub async fn open(opts: SqliteOptions) -> Result<SqliteStore> {
        let SqliteOptions {
            path,
            read_connections,
            max_batch,
            migrate,
        } = opts;
        let (conn, reads, path) = blocking(move || {
            let conn = open_writer(&path)?;
            if migrate {
                migrate::run(&conn)?;
            } else {
                migrate::status(&conn)?.refuse_newer()?;
            }
            let reads = (0..read_connections.max(1))
                .map(|_| open_reader(&path))
                .collect::<Result<Vec<_>>>()?;
            Ok((conn, reads, path))
        })
        .await?;
        let writer = WriterHandle::spawn(conn, max_batch)?;
        let readers = ReadPool::spawn(reads)?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                readers,
                writer,
                path,
            }),
        })
    }

    /// Applies the migrations the database lacks; returns their versions (empty
    /// when it was up to date). Refuses a newer schema.
    ///
    /// On a connection of its own, as another process would: its IMMEDIATE
    /// transaction waits for the writer's current batch (and the writer for it).
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        let path = self.inner.path.clone();
        blocking(move || migrate::run(&open_writer(&path)?)).await
    }

    /// The database's schema version and this build's, changing nothing.
    pub async fn schema_status(&self) -> Result<SchemaStatus> {
        self.read(migrate::status).await
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

    /// Runs `op` on a reader's connection; every statement sees what was committed
    /// before it started, by this process or another.
    async fn read<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.inner.readers.read(op).await
    }

    /// Runs `op` in the writer's next batch; returns once it is committed.
    async fn write<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.inner.writer.write(op).await
    }

    /// As [`Self::write`], for an `op` that leaves nothing behind when it fails
    /// (one statement, or only its last statement writes): no savepoint.
    async fn write_atomic<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.inner.writer.write_atomic(op).await
    }
}

/// Runs blocking work (opening files, waiting for another process's lock) off the
/// runtime's threads.
async fn blocking<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Other(format!("opening the database failed: {e}").into()))?
}

/// The one connection that writes: creates the file, sets WAL (a persistent
/// property of the file) and full durability.
fn open_writer(path: &Path) -> Result<Connection> {
    let conn = open_connection(path, OpenFlags::SQLITE_OPEN_CREATE)?;
    // WAL: readers and the writer do not block each other.
    let _mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(map_err)?;
    // FULL: a commit is on disk when COMMIT returns; an answered success survives a crash.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(map_err)?;
    Ok(conn)
}

/// A connection for reads; query_only: it can never write by mistake.
fn open_reader(path: &Path) -> Result<Connection> {
    let conn = open_connection(path, OpenFlags::empty())?;
    conn.pragma_update(None, "query_only", "ON")
        .map_err(map_err)?;
    Ok(conn)
}

fn open_connection(path: &Path, extra: OpenFlags) -> Result<Connection> {
    // NO_MUTEX: each connection is used by one thread at a time, SQLite need not lock it.
    // No URI flag: the path is a file name, whatever characters it holds.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | extra;
    let conn = Connection::open_with_flags(path, flags).map_err(map_err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(map_err)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(map_err)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// What a SQLite error means for the caller.
enum Class {
    /// Try again later: I/O, locks held too long, out of memory, a read-only file.
    Unavailable,
    /// A unique key already exists.
    Unique,
    Other,
}

fn classify(e: &rusqlite::Error) -> Class {
    use rusqlite::ffi;
    match e.sqlite_error() {
        Some(f)
            if f.extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            Class::Unique
        }
        // Primary result codes: BUSY, LOCKED, NOMEM, READONLY, IOERR, FULL, CANTOPEN, PROTOCOL.
        Some(f) => match f.extended_code & 0xff {
            5 | 6 | 7 | 8 | 10 | 13 | 14 | 15 => Class::Unavailable,
            _ => Class::Other,
        },
        None => Class::Other,
    }
}

/// An error's description without row values: SQLite's own messages name tables
/// and columns only, but a value that does not convert would be quoted.
fn describe(e: &rusqlite::Error) -> String {
    use rusqlite::Error as E;
    match e {
        E::FromSqlConversionFailure(column, ty, _) => {
            format!("column {column} holds a {ty} value that does not convert")
        }
        E::IntegralValueOutOfRange(column, _) => format!("column {column} is out of range"),
        E::ToSqlConversionFailure(_) => "a parameter does not convert".to_owned(),
        e => e.to_string(),
    }
}

/// Maps a SQLite error (see [`describe`]: never row values).
fn map_err(e: rusqlite::Error) -> StoreError {
    let unavailable = matches!(classify(&e), Class::Unavailable);
    let source = describe(&e).into();
    if unavailable {
        StoreError::Unavailable(source)
    } else {
        StoreError::Other(source)
    }
}

/// Like [`map_err`], with a unique violation on a key the caller chose as `Conflict(what)`.
fn map_conflict(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
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
fn col<T: FromSql>(row: &Row<'_>, name: &str) -> Result<T> {
    row.get(name).map_err(map_err)
}

/// Runs one statement that changes rows; how many it changed.
fn execute(conn: &Connection, sql: &str, params: impl Params) -> Result<usize> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.execute(params))
        .map_err(map_err)
}

/// The first row of a query, if any, made into a value.
fn optional<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    f: impl FnOnce(&Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    let mut rows = stmt.query(params).map_err(map_err)?;
    rows.next().map_err(map_err)?.map(f).transpose()
}

/// The single row of a query that always returns one (an aggregate), made into a value.
fn one<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    f: impl FnOnce(&Row<'_>) -> Result<T>,
) -> Result<T> {
    optional(conn, sql, params, f)?.ok_or_else(|| map_err(rusqlite::Error::QueryReturnedNoRows))
}

/// Every row of a query, each made into a value.
fn all<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    f: impl Fn(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    let mut rows = stmt.query(params).map_err(map_err)?;
    let mut all = Vec::new();
    while let Some(row) = rows.next().map_err(map_err)? {
        all.push(f(row)?);
    }
    Ok(all)
}

/// Whether a query returns any row.
fn exists(conn: &Connection, sql: &str, params: impl Params) -> Result<bool> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.query_row(params, |_| Ok(())).optional())
        .map(|row| row.is_some())
        .map_err(map_err)
}
