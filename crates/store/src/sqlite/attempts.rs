//! The record of Fusion-Auth attempts in SQLite.

use async_trait::async_trait;
use rusqlite::{params, Row};

use super::{all, col, map_err, one, SqliteStore};
use crate::{AttemptCursor, AttemptRecord, Attempts, NewAttempt, Result, OUTCOME_REFUSED};

const COLUMNS: &str = "SELECT id, tenant_id, scheme, scene, session_id, number, device_id, ip, \
     outcome, endpoint_score, number_score, fired_rules, path, at FROM fusion_attempts";

fn record(row: &Row<'_>) -> Result<AttemptRecord> {
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
impl Attempts for SqliteStore {
    async fn record_attempt(&self, a: NewAttempt) -> Result<i64> {
        self.write_atomic(move |conn| {
            one(
                conn,
                "INSERT INTO fusion_attempts (tenant_id, scheme, scene, session_id, number, \
                 device_id, ip, outcome, endpoint_score, number_score, fired_rules, path, at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                params![
                    a.tenant_id,
                    a.scheme,
                    a.scene,
                    a.session_id,
                    a.number,
                    a.device_id,
                    a.ip,
                    a.outcome,
                    a.endpoint_score,
                    a.number_score,
                    a.fired_rules,
                    a.path,
                    a.at
                ],
                |row| row.get(0).map_err(map_err),
            )
        })
        .await
    }

    async fn list_attempts_page(
        &self,
        tenant_id: i64,
        refused_only: bool,
        before: Option<AttemptCursor>,
        limit: u32,
    ) -> Result<Vec<AttemptRecord>> {
        let limit = i64::from(limit);
        // Without a cursor, one past every attempt.
        let (before_at, before_id) = before.map_or((i64::MAX, i64::MAX), |c| (c.at, c.id));
        self.read(move |conn| {
            // The outcome is written into the statement, not bound, so that the
            // partial index of refused attempts can serve it.
            let filter = if refused_only {
                format!("AND outcome = '{OUTCOME_REFUSED}'")
            } else {
                String::new()
            };
            all(
                conn,
                &format!(
                    "{COLUMNS} WHERE tenant_id = ?1 {filter} \
                     AND (at < ?2 OR (at = ?2 AND id < ?3)) \
                     ORDER BY at DESC, id DESC LIMIT ?4"
                ),
                params![tenant_id, before_at, before_id, limit],
                record,
            )
        })
        .await
    }
}
