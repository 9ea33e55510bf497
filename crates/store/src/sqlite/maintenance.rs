//! Upkeep of a SQLite store: purging what has expired, and the health probe.

use async_trait::async_trait;
use numgate_domain::clock::Millis;

use super::{execute, exists, SqliteStore};
use crate::{Maintenance, PurgeCounts, Result};

/// A code is kept a day past its expiry (any state), for support questions.
const CODE_GRACE_MS: Millis = 24 * 3_600_000;

/// Rows deleted per writer job. Small chunks keep each batch short, so that a big
/// purge never holds up the traffic's commits for long.
const CHUNK: u64 = 2_000;

#[async_trait]
impl Maintenance for SqliteStore {
    async fn purge_expired(&self, now: Millis, records_before: Millis) -> Result<PurgeCounts> {
        Ok(PurgeCounts {
            nonces: self.purge("nonces", "keep_until < ?", Some(now)).await?,
            tokens: self
                .purge("consumed_tokens", "keep_until < ?", Some(now))
                .await?,
            codes: self
                .purge(
                    "codes",
                    "expires_at < ?",
                    Some(now.saturating_sub(CODE_GRACE_MS)),
                )
                .await?,
            // Settled messages are only kept for the dispatcher; their record lives on.
            messages: self
                .purge("sms_queue", "state IN ('done', 'failed')", None)
                .await?,
            records: self
                .purge("send_records", "sent_at < ?", Some(records_before))
                .await?,
            outbox: self
                .purge("outbox", "created_at < ?", Some(records_before))
                .await?,
        })
    }

    async fn ping(&self) -> Result<()> {
        self.read(|conn| exists(conn, "SELECT 1", []).map(|_| ()))
            .await
    }
}

impl SqliteStore {
    /// Deletes the rows of `table` that match `dead` (binding `at` if given), in
    /// chunks of [`CHUNK`] rows, one writer job each; returns how many went.
    async fn purge(
        &self,
        table: &'static str,
        dead: &'static str,
        at: Option<Millis>,
    ) -> Result<u64> {
        let mut total = 0;
        loop {
            let deleted = self
                .write_atomic(move |conn| {
                    // SQLite is built without DELETE … LIMIT; a rowid subquery does the same.
                    let sql = format!(
                        "DELETE FROM {table} WHERE rowid IN \
                         (SELECT rowid FROM {table} WHERE {dead} LIMIT {CHUNK})"
                    );
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
