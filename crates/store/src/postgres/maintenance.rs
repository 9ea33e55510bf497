//! Upkeep of a PostgreSQL store: purging what has expired (on every node at once,
//! safely), and the health probe.

use async_trait::async_trait;
use numgate_domain::clock::Millis;

use super::{map_err, PgStore};
use crate::{Maintenance, PurgeCounts, Result};

/// A code is kept a day past its expiry (any state), for support questions.
const CODE_GRACE_MS: Millis = 24 * 3_600_000;

/// Rows deleted per statement. Small chunks keep each transaction short, its locks
/// few and its WAL small, so that a big purge never holds up the traffic.
const CHUNK: u64 = 2_000;

#[async_trait]
impl Maintenance for PgStore {
    async fn purge_expired(&self, now: Millis, records_before: Millis) -> Result<PurgeCounts> {
        Ok(PurgeCounts {
            nonces: self.purge("nonces", "keep_until < $1", Some(now)).await?,
            tokens: self
                .purge("consumed_tokens", "keep_until < $1", Some(now))
                .await?,
            codes: self
                .purge(
                    "codes",
                    "expires_at < $1",
                    Some(now.saturating_sub(CODE_GRACE_MS)),
                )
                .await?,
            // Settled messages are only kept for the dispatcher; their record lives on.
            messages: self
                .purge("sms_queue", "state IN ('done', 'failed')", None)
                .await?,
            records: self
                .purge("send_records", "sent_at < $1", Some(records_before))
                .await?,
            outbox: self
                .purge("outbox", "created_at < $1", Some(records_before))
                .await?,
        })
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(self.pool())
            .await
            .map_err(map_err)?;
        Ok(())
    }
}

impl PgStore {
    /// Deletes the rows of `table` that match `dead` (binding `at` as $1 if given),
    /// in chunks of [`CHUNK`] rows, one statement each; returns how many went.
    ///
    /// Every node purges on its own schedule: SKIP LOCKED lets purgers running at
    /// once take disjoint chunks instead of queueing on each other's row locks.
    /// A purger that finds fewer than a chunk free stops; the others finish.
    async fn purge(
        &self,
        table: &'static str,
        dead: &'static str,
        at: Option<Millis>,
    ) -> Result<u64> {
        // PostgreSQL has no DELETE … LIMIT; the rows' physical ids (ctid) do the
        // same, and `= ANY(ARRAY(…))` lets the delete fetch them directly.
        let sql = format!(
            "DELETE FROM {table} WHERE ctid = ANY(ARRAY( \
             SELECT ctid FROM {table} WHERE {dead} LIMIT {CHUNK} FOR UPDATE SKIP LOCKED))"
        );
        let mut total = 0;
        loop {
            let mut q = sqlx::query(&sql);
            if let Some(at) = at {
                q = q.bind(at);
            }
            let deleted = q
                .execute(self.pool())
                .await
                .map_err(map_err)?
                .rows_affected();
            total += deleted;
            if deleted < CHUNK {
                return Ok(total);
            }
        }
    }
}
