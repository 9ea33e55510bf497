//! Velocity events and the block/allow lists in SQLite.

use async_trait::async_trait;
use rusqlite::{params, Connection, Row};

use super::{all, col, execute, map_err, one, optional, to_u64, SqliteStore};
use crate::{
    ListEntry, ListKind, Result, RiskDimension, RiskEvent, RiskEvents, RiskLists, StoreError,
};

fn insert_event(conn: &Connection, e: &RiskEvent) -> Result<()> {
    execute(
        conn,
        "INSERT INTO risk_events (tenant_id, dimension, value, at) VALUES (?, ?, ?, ?)",
        params![e.tenant_id, e.dimension.as_str(), e.value, e.at],
    )?;
    Ok(())
}

fn kind(row: &Row<'_>) -> Result<ListKind> {
    let kind: String = col(row, "kind")?;
    ListKind::parse(&kind)
        .ok_or_else(|| StoreError::Other(format!("unknown list kind {kind:?}").into()))
}

fn entry(row: &Row<'_>) -> Result<ListEntry> {
    Ok(ListEntry {
        tenant_id: col(row, "tenant_id")?,
        number: col(row, "number")?,
        kind: kind(row)?,
        note: col(row, "note")?,
        updated_at: col(row, "updated_at")?,
    })
}

#[async_trait]
impl RiskEvents for SqliteStore {
    async fn record_risk_event(&self, event: RiskEvent) -> Result<()> {
        self.write_atomic(move |conn| insert_event(conn, &event))
            .await
    }

    async fn record_risk_events(&self, events: &[RiskEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let events = events.to_vec();
        // One job, so one commit; its savepoint keeps the events all or none.
        self.write(move |conn| events.iter().try_for_each(|e| insert_event(conn, e)))
            .await
    }

    async fn count_risk_events(
        &self,
        tenant_id: i64,
        dimension: RiskDimension,
        value: &str,
        since: i64,
    ) -> Result<u64> {
        let value = value.to_owned();
        self.read(move |conn| {
            let n: i64 = one(
                conn,
                "SELECT COUNT(*) FROM risk_events \
                 WHERE tenant_id = ? AND dimension = ? AND value = ? AND at >= ?",
                params![tenant_id, dimension.as_str(), value, since],
                |row| row.get(0).map_err(map_err),
            )?;
            Ok(to_u64(n))
        })
        .await
    }
}

#[async_trait]
impl RiskLists for SqliteStore {
    async fn set_list_entry(&self, e: ListEntry) -> Result<()> {
        self.write_atomic(move |conn| {
            // The key is the number: putting it on one list takes it off the other.
            execute(
                conn,
                "INSERT INTO risk_lists (tenant_id, number, kind, note, updated_at) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, number) DO UPDATE SET \
                 kind = excluded.kind, note = excluded.note, updated_at = excluded.updated_at",
                params![e.tenant_id, e.number, e.kind.as_str(), e.note, e.updated_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn remove_list_entry(&self, tenant_id: i64, number: &str) -> Result<bool> {
        let number = number.to_owned();
        self.write_atomic(move |conn| {
            let deleted = execute(
                conn,
                "DELETE FROM risk_lists WHERE tenant_id = ? AND number = ?",
                params![tenant_id, number],
            )?;
            Ok(deleted > 0)
        })
        .await
    }

    async fn list_entries(&self, tenant_id: i64) -> Result<Vec<ListEntry>> {
        self.read(move |conn| {
            all(
                conn,
                "SELECT tenant_id, number, kind, note, updated_at FROM risk_lists \
                 WHERE tenant_id = ? ORDER BY number",
                params![tenant_id],
                entry,
            )
        })
        .await
    }

    async fn list_kind(&self, tenant_id: i64, number: &str) -> Result<Option<ListKind>> {
        let number = number.to_owned();
        self.read(move |conn| {
            optional(
                conn,
                "SELECT kind FROM risk_lists WHERE tenant_id = ? AND number = ?",
                params![tenant_id, number],
                kind,
            )
        })
        .await
    }
}
