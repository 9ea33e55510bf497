//! Upkeep of a PostgreSQL store: purging what has expired (on every node at once,
//! safely), and the health probe.

use async_trait::async_trait;
use numgate_domain::clock::Millis;

use super::{map_err, PgStore};
use crate::{Maintenance, PurgeCounts, PurgeCutoffs, Result};

/// Rows deleted per statement. Small chunks keep each transaction short, its locks
/// few and its WAL small, so that a big purge never holds up the traffic.
const CHUNK: u64 = 2_000;

#[async_trait]
impl Maintenance for PgStore {
    async fn purge(&self, cutoffs: PurgeCutoffs) -> Result<PurgeCounts> {
        let mut counts = PurgeCounts::default();
        for r in crate::purge::rules(&cutoffs) {
            let dead = r.dead.replace("{}", "$1");
            counts.add(r.counter, self.purge_table(r.table, &dead, r.at).await?);
        }
        Ok(counts)
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
    async fn purge_table(
        &self,
        table: &'static str,
        dead: &str,
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
