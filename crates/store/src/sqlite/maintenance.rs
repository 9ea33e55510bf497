//! Upkeep of a SQLite store: purging what has expired, and the health probe.

use async_trait::async_trait;
use numgate_domain::clock::Millis;

use super::{execute, exists, SqliteStore};
use crate::{Maintenance, PurgeCounts, PurgeCutoffs, Result};

/// Rows deleted per writer job. Small chunks keep each batch short, so that a big
/// purge never holds up the traffic's commits for long.
const CHUNK: u64 = 2_000;

#[async_trait]
impl Maintenance for SqliteStore {
    async fn purge(&self, cutoffs: PurgeCutoffs) -> Result<PurgeCounts> {
        let mut counts = PurgeCounts::default();
        for r in crate::purge::rules(&cutoffs) {
            let dead = r.dead.replace("{}", "?");
            counts.add(r.counter, self.purge_table(r.table, &dead, r.at).await?);
        }
        Ok(counts)
    }

    async fn ping(&self) -> Result<()> {
        self.read(|conn| exists(conn, "SELECT 1", []).map(|_| ()))
            .await
    }
}

impl SqliteStore {
    /// Deletes the rows of `table` that match `dead` (binding `at` if given), in
    /// chunks of [`CHUNK`] rows, one writer job each; returns how many went.
    async fn purge_table(
        &self,
        table: &'static str,
        dead: &str,
        at: Option<Millis>,
    ) -> Result<u64> {
        // SQLite is built without DELETE … LIMIT; a rowid subquery does the same.
        let sql = format!(
            "DELETE FROM {table} WHERE rowid IN \
             (SELECT rowid FROM {table} WHERE {dead} LIMIT {CHUNK})"
        );
        let mut total = 0;
        loop {
            let sql = sql.clone();
            let deleted = self
                .write_atomic(move |conn| {
                    let deleted = match at {
                        Some(at) => execute(conn, &sql, [at])?,
                        None => execute(conn, &sql, [])?,
                    };
                    Ok(deleted as u64)
                })
                .await?;
            total += deleted;
            if deleted < CHUNK {
                return Ok(total);
            }
        }
    }
}
