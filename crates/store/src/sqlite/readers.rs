//! The readers of a SQLite store: a few threads, each with a read-only connection,
//! serving one queue of read jobs.
//!
//! Threads of the store's own rather than `spawn_blocking`: a read is a few
//! microseconds of SQLite, so its cost is the hand-over to a thread and back, and
//! an idle reader waiting on the queue is the cheapest hand-over there is (no task
//! to spawn, no connection to check out). Whichever reader is free takes the next
//! job, so a slow read (a long page of records) holds up only its own thread.

use std::collections::VecDeque;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::describe;
use crate::{Result, StoreError};

/// A read, with its answer channel inside: the queue need not know result types.
type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

/// The sending side: what a store holds to submit reads. Dropping it stops the
/// readers, which close their connections.
pub(super) struct ReadPool {
    /// Shared with every reader thread; closed (and the threads stopped) on drop.
    queue: Arc<Queue>,
}

/// A queue shared by all readers (std's channels have one receiver only).
#[derive(Default)]
struct Queue {
    state: Mutex<State>,
    /// Signalled when a job arrives for an idle reader, or the pool closes.
    ready: Condvar,
}

#[derive(Default)]
struct State {
    /// Unbounded: each job is a caller awaiting it, so the callers bound it.
    jobs: VecDeque<ReadJob>,
    /// Readers waiting for a job: nobody to wake when there are none.
    idle: usize,
    closed: bool,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Jobs run outside the lock and catch their panics: a poisoned lock holds
        // a consistent queue all the same.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next job; `None` once the pool is closed and the queue empty.
    fn next(&self) -> Option<ReadJob> {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.jobs.pop_front() {
                return Some(job);
            }
            if state.closed {
                return None;
            }
            state.idle += 1;
            state = self
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.idle -= 1;
        }
    }
}

impl ReadPool {
    /// Starts one thread per connection.
    pub(super) fn spawn(conns: Vec<Connection>) -> Result<Self> {
        let pool = ReadPool {
            queue: Arc::default(),
        };
        for (i, conn) in conns.into_iter().enumerate() {
            let queue = pool.queue.clone();
            // On failure the pool is dropped, which stops the readers already started.
            std::thread::Builder::new()
                .name(format!("numgate-sqlite-reader-{i}"))
                .spawn(move || serve(conn, &queue))
                .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        }
        Ok(pool)
    }

    /// Runs `op` on the next free reader's connection.
    pub(super) async fn read<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.submit(Box::new(move |conn| {
            // A bug in one read fails that read, not its reader thread.
            let result = catch_unwind(AssertUnwindSafe(|| op(conn)))
                .unwrap_or_else(|_| Err(StoreError::Other("a read operation panicked".into())));
            // The caller may have gone away (request cancelled): nothing to tell then.
            let _ = reply.send(result);
        }));
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the store's readers have stopped".into()))?
    }

    fn submit(&self, job: ReadJob) {
        let mut state = self.queue.lock();
        state.jobs.push_back(job);
        let wake = state.idle > 0;
        drop(state);
        if wake {
            self.queue.ready.notify_one();
        }
    }
}

impl Drop for ReadPool {
    fn drop(&mut self) {
        self.queue.lock().closed = true;
        self.queue.ready.notify_all();
    }
}

impl fmt::Debug for ReadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.queue.lock();
        f.debug_struct("ReadPool")
            .field("queued", &state.jobs.len())
            .field("idle", &state.idle)
            .finish()
    }
}

/// A reader thread: runs jobs until the pool is closed, then closes its connection.
fn serve(conn: Connection, queue: &Queue) {
    while let Some(job) = queue.next() {
        job(&conn);
    }
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = %describe(&e), "a read connection did not close cleanly");
    }
}
