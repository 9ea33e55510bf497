//! The audit log in SQLite: appended (also by other areas' writes, in their own
//! transaction), listed newest first.

use async_trait::async_trait;
use rusqlite::{params, Connection, Row};

use super::{all, col, map_err, one, SqliteStore};
use crate::{Audit, AuditEntry, AuditRecord, Result};

const COLUMNS: &str =
    "SELECT id, tenant_id, actor, action, target, before, after, at FROM audit_log";

fn record(row: &Row<'_>) -> Result<AuditRecord> {
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

/// Appends the entry on the writer's connection, in the caller's transaction; its id.
pub(super) fn insert(conn: &Connection, e: &AuditEntry) -> Result<i64> {
    one(
        conn,
        "INSERT INTO audit_log (tenant_id, actor, action, target, before, after, at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        params![
            e.tenant_id,
            e.actor,
            e.action,
            e.target,
            e.before,
            e.after,
            e.at
        ],
        |row| row.get(0).map_err(map_err),
    )
}

#[async_trait]
impl Audit for SqliteStore {
    async fn append_audit(&self, entry: AuditEntry) -> Result<i64> {
        self.write_atomic(move |conn| insert(conn, &entry)).await
    }

    async fn list_audit(
        &self,
        tenant_id: i64,
        limit: u32,
        before_id: Option<i64>,
    ) -> Result<Vec<AuditRecord>> {
        let limit = i64::from(limit);
        // No id is above i64::MAX: the first page is "before" it.
        let before_id = before_id.unwrap_or(i64::MAX);
        self.read(move |conn| {
            all(
                conn,
                &format!("{COLUMNS} WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?"),
                params![tenant_id, before_id, limit],
                record,
            )
        })
        .await
    }
}
