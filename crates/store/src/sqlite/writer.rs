//! The one writer of a SQLite store: group commit of concurrent operations.
//!
//! Every state-changing operation is a job sent to one task that owns the only
//! write connection. The task takes a job, drains up to `max_batch` more that are
//! already waiting, and runs them all in one `BEGIN IMMEDIATE … COMMIT`, so that one
//! fsync makes a whole batch durable (a commit per operation would cap throughput at
//! the disk's fsync rate). Each job runs inside its own `SAVEPOINT`: a job that fails
//! rolls back only its own changes. Callers are answered only after the `COMMIT`
//! succeeded, so an `Ok` always means "durably stored".
//!
//! A job that cannot leave a partial change behind (one statement, or statements
//! of which only the last writes) may skip its savepoint ([`WriterHandle::write_atomic`]):
//! SQLite undoes a failed statement by itself. The savepoint's two extra round
//! trips to SQLite's worker thread are most of the cost of a small job.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::FutureExt;
use sqlx::SqliteConnection;
use tokio::sync::{mpsc, oneshot};

use super::{classify, Class};
use crate::{Result, StoreError};

/// How many batches and jobs the writer has run; for tests and benchmarks.
#[derive(Debug, Default)]
pub(super) struct WriterStats {
    pub(super) batches: AtomicU64,
    pub(super) jobs: AtomicU64,
}

/// Why a whole batch failed; every job of it is answered with an error made from this.
pub(super) struct BatchFailure {
    /// Whether trying again later may work (I/O, busy) rather than a bug.
    unavailable: bool,
    /// sqlx's description: SQLite's message, never row data.
    message: String,
}

impl BatchFailure {
    fn from_sqlx(e: &sqlx::Error) -> Self {
        Self {
            unavailable: matches!(classify(e), Class::Unavailable),
            message: e.to_string(),
        }
    }

    fn to_error(&self) -> StoreError {
        let source = format!("the batch was not committed: {}", self.message).into();
        if self.unavailable {
            StoreError::Unavailable(source)
        } else {
            StoreError::Other(source)
        }
    }
}

/// One queued operation, type-erased so that jobs of any result type share a queue.
pub(super) trait Job: Send {
    /// Runs the operation: whether it succeeded, and if not whether the failure
    /// may have gone beyond the job (I/O, a full disk: the transaction is suspect).
    fn run<'c>(&'c mut self, conn: &'c mut SqliteConnection) -> BoxFuture<'c, Ran>;
    /// Whether the job needs no savepoint (see the module's doc).
    fn atomic(&self) -> bool;
    /// Answers the caller once the batch's fate is known.
    fn answer(self: Box<Self>, batch: Result<(), &BatchFailure>);
}

type Operation<T> =
    Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>> + Send>;

/// How a job's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ran {
    Ok,
    Failed,
    /// Failed in a way that may have undone the whole transaction.
    FailedUnavailable,
}

struct TypedJob<T> {
    op: Option<Operation<T>>,
    atomic: bool,
    result: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T: Send + 'static> Job for TypedJob<T> {
    fn atomic(&self) -> bool {
        self.atomic
    }

    fn run<'c>(&'c mut self, conn: &'c mut SqliteConnection) -> BoxFuture<'c, Ran> {
        let op = self.op.take();
        Box::pin(async move {
            let Some(op) = op else { return Ran::Failed };
            // A panic in one operation must not take the writer (and every later
            // write) down with it: it fails that job only, and its savepoint is undone.
            let result = match AssertUnwindSafe(op(conn)).catch_unwind().await {
                Ok(result) => result,
                Err(_) => Err(StoreError::Other("a write operation panicked".into())),
            };
            let ran = match &result {
                Ok(_) => Ran::Ok,
                Err(StoreError::Unavailable(_)) => Ran::FailedUnavailable,
                Err(_) => Ran::Failed,
            };
            self.result = Some(result);
            ran
        })
    }

    fn answer(self: Box<Self>, batch: Result<(), &BatchFailure>) {
        let answer = match (self.result, batch) {
            // A job's own error is the truth about it, whatever became of the batch.
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(v)), Ok(())) => Ok(v),
            (_, Err(failure)) => Err(failure.to_error()),
            (None, Ok(())) => Err(StoreError::Other("the job was not run".into())),
        };
        // The caller may have gone away (request cancelled): nothing to tell then.
        let _ = self.reply.send(answer);
    }
}

/// The sending side: what a store holds to submit jobs.
#[derive(Debug)]
pub(super) struct WriterHandle {
    jobs: mpsc::Sender<Box<dyn Job>>,
    pub(super) stats: Arc<WriterStats>,
}

impl WriterHandle {
    /// Starts the writer task on the current Tokio runtime. It ends, closing its
    /// connection, when the last handle is dropped.
    pub(super) fn spawn(conn: SqliteConnection, max_batch: usize) -> Self {
        let max_batch = max_batch.max(1);
        // Bounded: under overload callers wait here instead of growing memory.
        let (tx, rx) = mpsc::channel(max_batch.saturating_mul(8).max(64));
        let stats = Arc::new(WriterStats::default());
        tokio::spawn(run(conn, rx, stats.clone(), max_batch));
        Self { jobs: tx, stats }
    }

    /// Runs `op` in the writer's next batch, in a savepoint of its own, and
    /// returns its result once committed.
    pub(super) async fn write<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        self.submit(op, false).await
    }

    /// As [`Self::write`], without the savepoint: only for an `op` that leaves no
    /// change behind when it fails (one statement, or only its last one writes).
    pub(super) async fn write_atomic<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        self.submit(op, true).await
    }

    async fn submit<T, F>(&self, op: F, atomic: bool) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = TypedJob {
            op: Some(Box::new(op) as Operation<T>),
            atomic,
            result: None,
            reply,
        };
        self.jobs
            .send(Box::new(job))
            .await
            .map_err(|_| StoreError::Unavailable("the store's writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the store's writer has stopped".into()))?
    }
}

async fn run(
    mut conn: SqliteConnection,
    mut rx: mpsc::Receiver<Box<dyn Job>>,
    stats: Arc<WriterStats>,
    max_batch: usize,
) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(max_batch);
    // `recv_many` waits for one job, then takes whatever else is already queued.
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.jobs.fetch_add(batch.len() as u64, Ordering::Relaxed);
        run_batch(&mut conn, &mut batch).await;
        batch.clear();
    }
    // Every handle is gone: the store was dropped.
    let _ = sqlx::Connection::close(conn).await;
}

async fn exec(conn: &mut SqliteConnection, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::query(sql).execute(&mut *conn).await.map(|_| ())
}

async fn run_batch(conn: &mut SqliteConnection, batch: &mut Vec<Box<dyn Job>>) {
    let outcome = run_in_transaction(conn, batch).await;
    for job in batch.drain(..) {
        job.answer(outcome.as_ref().map(|_| ()));
    }
}

async fn run_in_transaction(
    conn: &mut SqliteConnection,
    batch: &mut [Box<dyn Job>],
) -> Result<(), BatchFailure> {
    // IMMEDIATE takes the write lock now; another process (the CLI) holding it is
    // waited for by busy_timeout instead of failing half-way through the batch.
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE").await {
        tracing::warn!(error = %e, "could not begin a write transaction");
        return Err(BatchFailure::from_sqlx(&e));
    }
    for job in batch.iter_mut() {
        if let Err(e) = run_job(conn, job.as_mut()).await {
            tracing::error!(error = %e, "a savepoint failed; the batch is rolled back");
            let _ = exec(conn, "ROLLBACK").await;
            return Err(BatchFailure::from_sqlx(&e));
        }
    }
    if let Err(e) = exec(conn, "COMMIT").await {
        tracing::error!(error = %e, "a batch could not be committed");
        // The transaction may still be open (e.g. disk full): leave a clean connection.
        let _ = exec(conn, "ROLLBACK").await;
        return Err(BatchFailure::from_sqlx(&e));
    }
    Ok(())
}

/// Runs one job (in its savepoint unless it is atomic); an error here is the
/// batch's, not the job's.
async fn run_job(conn: &mut SqliteConnection, job: &mut dyn Job) -> Result<(), sqlx::Error> {
    if job.atomic() {
        return match job.run(conn).await {
            Ran::Ok | Ran::Failed => Ok(()),
            // An I/O error or a full disk may have rolled the whole transaction
            // back; without a savepoint to check, the batch is given up.
            Ran::FailedUnavailable => Err(sqlx::Error::Io(std::io::Error::other(
                "an atomic job failed with an I/O-class error",
            ))),
        };
    }
    exec(conn, "SAVEPOINT job").await?;
    if job.run(conn).await == Ran::Ok {
        exec(conn, "RELEASE job").await
    } else {
        exec(conn, "ROLLBACK TO job").await?;
        exec(conn, "RELEASE job").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::ConnectOptions;

    async fn writer() -> WriterHandle {
        let conn = sqlx::sqlite::SqliteConnectOptions::new()
            .in_memory(true)
            .connect()
            .await
            .unwrap();
        let w = WriterHandle::spawn(conn, 16);
        w.write(|c| {
            Box::pin(async move {
                exec(c, "CREATE TABLE t (v INTEGER PRIMARY KEY)")
                    .await
                    .map_err(super::super::map_err)
            })
        })
        .await
        .unwrap();
        w
    }

    fn insert(
        v: i64,
    ) -> impl for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<()>> {
        move |c| {
            Box::pin(async move {
                sqlx::query("INSERT INTO t (v) VALUES (?)")
                    .bind(v)
                    .execute(&mut *c)
                    .await
                    .map(|_| ())
                    .map_err(super::super::map_err)
            })
        }
    }

    #[tokio::test]
    async fn a_panicking_job_fails_alone_and_the_writer_goes_on() {
        let w = writer().await;
        let panicking = w.write::<(), _>(|c| {
            Box::pin(async move {
                exec(c, "INSERT INTO t (v) VALUES (99)").await.ok();
                panic!("a bug in an operation");
            })
        });
        let (a, p, b) = tokio::join!(w.write(insert(1)), panicking, w.write(insert(2)));
        assert!(a.is_ok() && b.is_ok());
        assert!(matches!(p, Err(StoreError::Other(_))));
        let count = w
            .write(|c| {
                Box::pin(async move {
                    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM t")
                        .fetch_one(&mut *c)
                        .await
                        .map_err(super::super::map_err)
                })
            })
            .await
            .unwrap();
        assert_eq!(count, 2, "the panicking job's insert was rolled back");
    }
}
