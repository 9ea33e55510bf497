//! The audit log in PostgreSQL: appended (also by other areas' writes, in their
//! own transaction), listed newest first.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::PgConnection;

use super::{col, map_err, PgStore};
use crate::{Audit, AuditEntry, AuditRecord, Result};

fn record(row: &PgRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        id: col(row, "id")?,
        tenant_id: col(row, "tenant_id")?,
        actor: col(row, "actor")?,
        action: col(row, "action")?,
        target: col(row, "target")?,
        before: col(row, "before")?,
        after: col(row, "after")?,
        at: col(row, "at")?,
    })
}

/// Appends the entry on `conn` (in the caller's transaction, if any); its id.
pub(super) async fn insert(conn: &mut PgConnection, e: &AuditEntry) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO audit_log (tenant_id, actor, action, target, before, after, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(e.tenant_id)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.target)
    .bind(&e.before)
    .bind(&e.after)
    .bind(e.at)
    .fetch_one(conn)
    .await
    .map_err(map_err)
}

#[async_trait]
impl Audit for PgStore {
    async fn append_audit(&self, entry: AuditEntry) -> Result<i64> {
        let mut conn = self.pool().acquire().await.map_err(map_err)?;
        insert(&mut conn, &entry).await
    }

    async fn list_audit(
        &self,
        tenant_id: i64,
        limit: u32,
        before_id: Option<i64>,
    ) -> Result<Vec<AuditRecord>> {
        sqlx::query(
            "SELECT id, tenant_id, actor, action, target, before, after, at FROM audit_log \
             WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(tenant_id)
        // No id is above i64::MAX: the first page is "before" it.
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?
        .iter()
        .map(record)
        .collect()
    }
}
