//! Statistics rollups in SQLite: one upsert per counted attempt.

use async_trait::async_trait;
use numgate_domain::stats::{Method, Outcome};
use rusqlite::{params, Connection};

use super::{all, col, execute, to_u64, SqliteStore};
use crate::{DayStats, Result, StatFilter, StatKey, Statistics};

/// The counter column of an outcome.
pub(super) fn column(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => "success",
        Outcome::Fail => "fail",
        Outcome::Unknown => "unknown",
    }
}

/// Adds `n` to the key's `outcome` counter, in the caller's transaction.
pub(super) fn bump(conn: &Connection, key: &StatKey, outcome: Outcome, n: i64) -> Result<()> {
    let c = column(outcome);
    // The column name is one of three constants, never input.
    let sql = format!(
        "INSERT INTO gate_stats (tenant_id, method, day, scheme, scene, os_type, {c}) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, method, day, scheme, scene, \
         os_type) DO UPDATE SET {c} = {c} + excluded.{c}"
    );
    execute(
        conn,
        &sql,
        params![
            key.tenant_id,
            key.method.as_str(),
            key.day,
            key.scheme,
            key.scene,
            key.os_type,
            n
        ],
    )?;
    Ok(())
}

/// Moves one SMS send counted as unknown (at send) to its final outcome.
pub(super) fn settle_sms(
    conn: &Connection,
    tenant_id: i64,
    scheme: &str,
    day: &str,
    delivered: bool,
) -> Result<()> {
    let c = column(Outcome::sms(Some(delivered)));
    let sql = format!(
        "UPDATE gate_stats SET unknown = unknown - 1, {c} = {c} + 1 \
         WHERE tenant_id = ? AND method = ? AND day = ? AND scheme = ? AND scene = '' \
         AND os_type = ? AND unknown > 0"
    );
    execute(
        conn,
        &sql,
        params![
            tenant_id,
            Method::Sms.as_str(),
            day,
            scheme,
            numgate_domain::stats::OS_UNKNOWN
        ],
    )?;
    Ok(())
}

#[async_trait]
impl Statistics for SqliteStore {
    async fn count_attempt(&self, key: StatKey, outcome: Outcome, n: u64) -> Result<()> {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        self.write_atomic(move |conn| bump(conn, &key, outcome, n))
            .await
    }

    async fn query_statistics(
        &self,
        tenant_id: i64,
        filter: StatFilter,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<DayStats>> {
        let (from, to) = (from_day.to_owned(), to_day.to_owned());
        self.read(move |conn| {
            all(
                conn,
                "SELECT day, SUM(success) AS success, SUM(fail) AS fail, \
                 SUM(unknown) AS unknown FROM gate_stats \
                 WHERE tenant_id = ?1 AND method = ?2 AND day >= ?3 AND day <= ?4 \
                 AND (?5 IS NULL OR os_type = ?5) AND (?6 IS NULL OR scheme = ?6) \
                 AND (?7 IS NULL OR scene = ?7) GROUP BY day ORDER BY day",
                params![
                    tenant_id,
                    filter.method.as_str(),
                    from,
                    to,
                    filter.os_type,
                    filter.scheme,
                    filter.scene
                ],
                |row| {
                    Ok(DayStats {
                        day: col(row, "day")?,
                        success: to_u64(col(row, "success")?),
                        fail: to_u64(col(row, "fail")?),
                        unknown: to_u64(col(row, "unknown")?),
                    })
                },
            )
        })
        .await
    }
}
