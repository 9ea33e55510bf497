//! The record of Fusion-Auth attempts in PostgreSQL.

use async_trait::async_trait;
use sqlx::postgres::PgRow;

use super::{col, map_err, PgStore};
use crate::{AttemptCursor, AttemptRecord, Attempts, NewAttempt, Result, OUTCOME_REFUSED};

const COLUMNS: &str = "SELECT id, tenant_id, scheme, scene, session_id, number, device_id, ip, \
     outcome, endpoint_score, number_score, fired_rules, path, at FROM fusion_attempts";

fn record(row: &PgRow) -> Result<AttemptRecord> {
    Ok(AttemptRecord {
        id: col(row, "id")?,
        tenant_id: col(row, "tenant_id")?,
        scheme: col(row, "scheme")?,
        scene: col(row, "scene")?,
        session_id: col(row, "session_id")?,
        number: col(row, "number")?,
        device_id: col(row, "device_id")?,
        ip: col(row, "ip")?,
        outcome: col(row, "outcome")?,
        endpoint_score: col(row, "endpoint_score")?,
        number_score: col(row, "number_score")?,
        fired_rules: col(row, "fired_rules")?,
        path: col(row, "path")?,
        at: col(row, "at")?,
    })
}

#[async_trait]
impl Attempts for PgStore {
    async fn record_attempt(&self, a: NewAttempt) -> Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO fusion_attempts (tenant_id, scheme, scene, session_id, number, \
             device_id, ip, outcome, endpoint_score, number_score, fired_rules, path, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(a.tenant_id)
        .bind(&a.scheme)
        .bind(a.scene)
        .bind(&a.session_id)
        .bind(&a.number)
        .bind(&a.device_id)
        .bind(&a.ip)
        .bind(&a.outcome)
        .bind(a.endpoint_score)
        .bind(a.number_score)
        .bind(&a.fired_rules)
        .bind(&a.path)
        .bind(a.at)
        .fetch_one(self.pool())
        .await
        .map_err(map_err)
    }

    async fn list_attempts_page(
        &self,
        tenant_id: i64,
        refused_only: bool,
        before: Option<AttemptCursor>,
        limit: u32,
    ) -> Result<Vec<AttemptRecord>> {
        // Without a cursor, one past every attempt.
        let (before_at, before_id) = before.map_or((i64::MAX, i64::MAX), |c| (c.at, c.id));
        // The outcome is written into the statement, not bound, so that the
        // planner can use the partial index of refused attempts.
        let filter = if refused_only {
            format!("AND outcome = '{OUTCOME_REFUSED}'")
        } else {
            String::new()
        };
        sqlx::query(&format!(
            "{COLUMNS} WHERE tenant_id = $1 {filter} \
             AND (at < $2 OR (at = $2 AND id < $3)) \
             ORDER BY at DESC, id DESC LIMIT $4"
        ))
        .bind(tenant_id)
        .bind(before_at)
        .bind(before_id)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?
        .iter()
        .map(record)
        .collect()
    }
}
