//! Velocity events and the block/allow lists in PostgreSQL.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use sqlx::postgres::PgRow;

use super::{col, map_err, to_u64, PgStore};
use crate::{
    ListEntry, ListKind, Result, RiskDimension, RiskEvent, RiskEvents, RiskLists, StoreError,
};

fn kind(row: &PgRow) -> Result<ListKind> {
    let kind: String = col(row, "kind")?;
    ListKind::parse(&kind)
        .ok_or_else(|| StoreError::Other(format!("unknown list kind {kind:?}").into()))
}

fn entry(row: &PgRow) -> Result<ListEntry> {
    Ok(ListEntry {
        tenant_id: col(row, "tenant_id")?,
        number: col(row, "number")?,
        kind: kind(row)?,
        note: col(row, "note")?,
        updated_at: col(row, "updated_at")?,
    })
}

#[async_trait]
impl RiskEvents for PgStore {
    async fn record_risk_event(&self, e: RiskEvent) -> Result<()> {
        sqlx::query(
            "INSERT INTO risk_events (tenant_id, dimension, value, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(e.tenant_id)
        .bind(e.dimension.as_str())
        .bind(&e.value)
        .bind(e.at)
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn record_risk_events(&self, events: &[RiskEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        // One statement (so one transaction, one commit) whatever the number of
        // events: the columns travel as arrays.
        let tenants: Vec<i64> = events.iter().map(|e| e.tenant_id).collect();
        let dimensions: Vec<&str> = events.iter().map(|e| e.dimension.as_str()).collect();
        let values: Vec<&str> = events.iter().map(|e| e.value.as_str()).collect();
        let ats: Vec<Millis> = events.iter().map(|e| e.at).collect();
        sqlx::query(
            "INSERT INTO risk_events (tenant_id, dimension, value, at) \
             SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[])",
        )
        .bind(tenants)
        .bind(dimensions)
        .bind(values)
        .bind(ats)
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn count_risk_events(
        &self,
        tenant_id: i64,
        dimension: RiskDimension,
        value: &str,
        since: Millis,
    ) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM risk_events \
             WHERE tenant_id = $1 AND dimension = $2 AND value = $3 AND at >= $4",
        )
        .bind(tenant_id)
        .bind(dimension.as_str())
        .bind(value)
        .bind(since)
        .fetch_one(self.pool())
        .await
        .map_err(map_err)?;
        Ok(to_u64(n))
    }
}

#[async_trait]
impl RiskLists for PgStore {
    async fn set_list_entry(&self, e: ListEntry) -> Result<()> {
        // The key is the number: putting it on one list takes it off the other.
        sqlx::query(
            "INSERT INTO risk_lists (tenant_id, number, kind, note, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, number) DO UPDATE SET \
             kind = EXCLUDED.kind, note = EXCLUDED.note, updated_at = EXCLUDED.updated_at",
        )
        .bind(e.tenant_id)
        .bind(&e.number)
        .bind(e.kind.as_str())
        .bind(&e.note)
        .bind(e.updated_at)
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn remove_list_entry(&self, tenant_id: i64, number: &str) -> Result<bool> {
        let deleted = sqlx::query("DELETE FROM risk_lists WHERE tenant_id = $1 AND number = $2")
            .bind(tenant_id)
            .bind(number)
            .execute(self.pool())
            .await
            .map_err(map_err)?;
        Ok(deleted.rows_affected() > 0)
    }

    async fn list_entries(&self, tenant_id: i64) -> Result<Vec<ListEntry>> {
        sqlx::query(
            "SELECT tenant_id, number, kind, note, updated_at FROM risk_lists \
             WHERE tenant_id = $1 ORDER BY number COLLATE \"C\"",
        )
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?
        .iter()
        .map(entry)
        .collect()
    }

    async fn list_kind(&self, tenant_id: i64, number: &str) -> Result<Option<ListKind>> {
        sqlx::query("SELECT kind FROM risk_lists WHERE tenant_id = $1 AND number = $2")
            .bind(tenant_id)
            .bind(number)
            .fetch_optional(self.pool())
            .await
            .map_err(map_err)?
            .as_ref()
            .map(kind)
            .transpose()
    }
}
