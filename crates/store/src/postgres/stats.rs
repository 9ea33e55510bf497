//! Statistics rollups in PostgreSQL: one upsert per counted attempt. Concurrent
//! upserts of one key serialize on its row and each adds its own `n`: exact
//! across any number of nodes.

use async_trait::async_trait;
use numgate_domain::stats::{Method, Outcome};
use sqlx::PgConnection;

use super::{col, map_err, to_u64, PgStore};
use crate::{DayStats, Result, StatFilter, StatKey, Statistics};

/// The counter column of an outcome.
fn column(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => "success",
        Outcome::Fail => "fail",
        Outcome::Unknown => "unknown",
    }
}

/// Adds `n` to the key's `outcome` counter, in the caller's transaction.
pub(super) async fn bump(
    conn: &mut PgConnection,
    key: &StatKey,
    outcome: Outcome,
    n: i64,
) -> Result<()> {
    let c = column(outcome);
    // The column name is one of three constants, never input.
    let sql = format!(
        "INSERT INTO gate_stats (tenant_id, method, day, scheme, scene, os_type, {c}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, method, day, scheme, \
         scene, os_type) DO UPDATE SET {c} = gate_stats.{c} + excluded.{c}"
    );
    sqlx::query(&sql)
        .bind(key.tenant_id)
        .bind(key.method.as_str())
        .bind(&key.day)
        .bind(&key.scheme)
        .bind(&key.scene)
        .bind(&key.os_type)
        .bind(n)
        .execute(conn)
        .await
        .map_err(map_err)?;
    Ok(())
}

/// Moves one SMS send counted as unknown (at send) to its final outcome.
pub(super) async fn settle_sms(
    conn: &mut PgConnection,
    tenant_id: i64,
    scheme: &str,
    day: &str,
    delivered: bool,
) -> Result<()> {
    let c = column(Outcome::sms(Some(delivered)));
    let sql = format!(
        "UPDATE gate_stats SET unknown = unknown - 1, {c} = {c} + 1 \
         WHERE tenant_id = $1 AND method = $2 AND day = $3 AND scheme = $4 AND scene = '' \
         AND os_type = $5 AND unknown > 0"
    );
    sqlx::query(&sql)
        .bind(tenant_id)
        .bind(Method::Sms.as_str())
        .bind(day)
        .bind(scheme)
        .bind(numgate_domain::stats::OS_UNKNOWN)
        .execute(conn)
        .await
        .map_err(map_err)?;
    Ok(())
}

#[async_trait]
impl Statistics for PgStore {
    async fn count_attempt(&self, key: StatKey, outcome: Outcome, n: u64) -> Result<()> {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        let mut conn = self.pool().acquire().await.map_err(map_err)?;
        bump(&mut conn, &key, outcome, n).await
    }

    async fn query_statistics(
        &self,
        tenant_id: i64,
        filter: StatFilter,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<DayStats>> {
        let rows = sqlx::query(
            "SELECT day, SUM(success)::BIGINT AS success, SUM(fail)::BIGINT AS fail, \
             SUM(unknown)::BIGINT AS unknown FROM gate_stats \
             WHERE tenant_id = $1 AND method = $2 AND day >= $3 AND day <= $4 \
             AND ($5::TEXT IS NULL OR os_type = $5) AND ($6::TEXT IS NULL OR scheme = $6) \
             AND ($7::TEXT IS NULL OR scene = $7) GROUP BY day ORDER BY day",
        )
        .bind(tenant_id)
        .bind(filter.method.as_str())
        .bind(from_day)
        .bind(to_day)
        .bind(&filter.os_type)
        .bind(&filter.scheme)
        .bind(&filter.scene)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(DayStats {
                    day: col(row, "day")?,
                    success: to_u64(col(row, "success")?),
                    fail: to_u64(col(row, "fail")?),
                    unknown: to_u64(col(row, "unknown")?),
                })
            })
            .collect()
    }
}
