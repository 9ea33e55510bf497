//! The one writer of a SQLite store: group commit of concurrent operations.
//!
//! Every state-changing operation is a job sent to one thread that owns the only
//! write connection. The thread takes a job, drains up to `max_batch` more that are
//! already waiting, and runs them all in one `BEGIN IMMEDIATE … COMMIT`, so that one
//! fsync makes a whole batch durable (a commit per operation would cap throughput at
//! the disk's fsync rate). Each job runs inside its own `SAVEPOINT`: a job that fails
//! rolls back only its own changes. Callers are answered only after the `COMMIT`
//! succeeded, so an `Ok` always means "durably stored".
//!
//! A job that cannot leave a partial change behind (one statement, or statements
//! of which only the last writes) may skip its savepoint ([`WriterHandle::write_atomic`]):
//! SQLite undoes a failed statement by itself, and a small job then costs its own
//! statements only.
//!
//! A plain thread, not a task: the connection is synchronous, and a batch keeps it
//! busy from `BEGIN` to the fsync of `COMMIT`, which must not hold up a runtime
//! thread. Callers await their answer on a oneshot channel, which a plain thread
//! can send on.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::{classify, describe, Class};
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
    /// What went wrong: SQLite's message, never row data.
    message: String,
}

impl BatchFailure {
    fn from_sqlite(e: &rusqlite::Error) -> Self {
        Self {
            unavailable: matches!(classify(e), Class::Unavailable),
            message: describe(e),
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
    fn run(&mut self, conn: &Connection) -> Ran;
    /// Whether the job needs no savepoint (see the module's doc).
    fn atomic(&self) -> bool;
    /// Answers the caller once the batch's fate is known.
    fn answer(self: Box<Self>, batch: Result<(), &BatchFailure>);
}

type Operation<T> = Box<dyn FnOnce(&Connection) -> Result<T> + Send>;

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

    fn run(&mut self, conn: &Connection) -> Ran {
        let Some(op) = self.op.take() else {
            return Ran::Failed;
        };
        // A panic in one operation must not take the writer (and every later
        // write) down with it: it fails that job only, and its savepoint is undone.
        let result = match catch_unwind(AssertUnwindSafe(|| op(conn))) {
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
    /// Starts the writer thread. It ends, closing its connection, when the last
    /// handle is dropped.
    pub(super) fn spawn(conn: Connection, max_batch: usize) -> Result<Self> {
        let max_batch = max_batch.max(1);
        // Bounded: under overload callers wait here instead of growing memory.
        let (tx, rx) = mpsc::channel(max_batch.saturating_mul(8).max(64));
        let stats = Arc::new(WriterStats::default());
        let thread_stats = stats.clone();
        std::thread::Builder::new()
            .name("numgate-sqlite-writer".into())
            .spawn(move || run(conn, rx, &thread_stats, max_batch))
            .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        Ok(Self { jobs: tx, stats })
    }

    /// Runs `op` in the writer's next batch, in a savepoint of its own, and
    /// returns its result once committed.
    pub(super) async fn write<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.submit(Box::new(op), false).await
    }

    /// As [`Self::write`], without the savepoint: only for an `op` that leaves no
    /// change behind when it fails (one statement, or only its last one writes).
    pub(super) async fn write_atomic<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.submit(Box::new(op), true).await
    }

    async fn submit<T: Send + 'static>(&self, op: Operation<T>, atomic: bool) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        let job = TypedJob {
            op: Some(op),
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

fn run(
    conn: Connection,
    mut rx: mpsc::Receiver<Box<dyn Job>>,
    stats: &WriterStats,
    max_batch: usize,
) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(max_batch);
    // Waits for one job, then takes whatever else is already queued: the jobs that
    // arrived during the previous batch's fsync are the next batch.
    while let Some(job) = rx.blocking_recv() {
        batch.push(job);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.jobs.fetch_add(batch.len() as u64, Ordering::Relaxed);
        run_batch(&conn, &mut batch);
    }
    // Every handle is gone: the store was dropped.
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = %describe(&e), "the write connection did not close cleanly");
    }
}

/// One statement without parameters, prepared once per connection.
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn run_batch(conn: &Connection, batch: &mut Vec<Box<dyn Job>>) {
    let outcome = run_in_transaction(conn, batch);
    for job in batch.drain(..) {
        job.answer(outcome.as_ref().map(|_| ()));
    }
}

fn run_in_transaction(conn: &Connection, batch: &mut [Box<dyn Job>]) -> Result<(), BatchFailure> {
    // IMMEDIATE takes the write lock now; another process (the CLI) holding it is
    // waited for by busy_timeout instead of failing half-way through the batch.
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
        tracing::warn!(error = %describe(&e), "could not begin a write transaction");
        return Err(BatchFailure::from_sqlite(&e));
    }
    for job in batch.iter_mut() {
        if let Err(failure) = run_job(conn, job.as_mut()) {
            tracing::error!(error = %failure.message, "a job failed the batch; it is rolled back");
            let _ = exec(conn, "ROLLBACK");
            return Err(failure);
        }
    }
    if let Err(e) = exec(conn, "COMMIT") {
        tracing::error!(error = %describe(&e), "a batch could not be committed");
        // The transaction may still be open (e.g. disk full): leave a clean connection.
        let _ = exec(conn, "ROLLBACK");
        return Err(BatchFailure::from_sqlite(&e));
    }
    Ok(())
}

/// Runs one job (in its savepoint unless it is atomic); an error here is the
/// batch's, not the job's.
fn run_job(conn: &Connection, job: &mut dyn Job) -> Result<(), BatchFailure> {
    if job.atomic() {
        return match job.run(conn) {
            Ran::Ok | Ran::Failed => Ok(()),
            // An I/O error or a full disk may have rolled the whole transaction
            // back; without a savepoint to check, the batch is given up.
            Ran::FailedUnavailable => Err(BatchFailure {
                unavailable: true,
                message: "an atomic job failed with an I/O-class error".into(),
            }),
        };
    }
    let savepoint = |sql| exec(conn, sql).map_err(|e| BatchFailure::from_sqlite(&e));
    savepoint("SAVEPOINT job")?;
    if job.run(conn) != Ran::Ok {
        savepoint("ROLLBACK TO job")?;
    }
    savepoint("RELEASE job")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::map_err;

    async fn writer() -> WriterHandle {
        let conn = Connection::open_in_memory().unwrap();
        let w = WriterHandle::spawn(conn, 16).unwrap();
        w.write(|c| exec(c, "CREATE TABLE t (v INTEGER PRIMARY KEY)").map_err(map_err))
            .await
            .unwrap();
        w
    }

    fn insert(v: i64) -> impl FnOnce(&Connection) -> Result<()> {
        move |c| {
            c.execute("INSERT INTO t (v) VALUES (?)", [v])
                .map(|_| ())
                .map_err(map_err)
        }
    }

    #[tokio::test]
    async fn a_panicking_job_fails_alone_and_the_writer_goes_on() {
        let w = writer().await;
        let panicking = w.write::<(), _>(|c| {
            exec(c, "INSERT INTO t (v) VALUES (99)").ok();
            panic!("a bug in an operation");
        });
        let (a, p, b) = tokio::join!(w.write(insert(1)), panicking, w.write(insert(2)));
        assert!(a.is_ok() && b.is_ok());
        assert!(matches!(p, Err(StoreError::Other(_))));
        let count = w
            .write(|c| {
                c.query_row("SELECT COUNT(*) FROM t", [], |row| row.get::<_, i64>(0))
                    .map_err(map_err)
            })
            .await
            .unwrap();
        assert_eq!(count, 2, "the panicking job's insert was rolled back");
    }

    #[tokio::test]
    async fn dropping_the_handle_ends_the_thread() {
        let w = writer().await;
        let stats = w.stats.clone();
        drop(w);
        // The thread held the other reference; it lets go when it ends.
        for _ in 0..250 {
            if Arc::strong_count(&stats) == 1 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the writer thread is still running");
    }
}
