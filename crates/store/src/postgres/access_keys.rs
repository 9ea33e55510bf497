//! AccessKeys in PostgreSQL: their sealed secrets, whether they are enabled, when last used.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use sqlx::postgres::PgRow;

use super::{col, map_conflict, map_err, PgStore};
use crate::{AccessKeyRecord, AccessKeys, NewAccessKey, Result};

/// `last_used_at` is only moved when it is older than this: it answers "is this key
/// still in use", and a write per signed request would cost more than it tells.
const TOUCH_GRANULARITY_MS: Millis = 60_000;

const COLUMNS: &str =
    "SELECT id, tenant_id, sealed_secret, enabled, created_at, last_used_at FROM access_keys";

fn record(row: &PgRow) -> Result<AccessKeyRecord> {
    Ok(AccessKeyRecord {
        id: col(row, "id")?,
        tenant_id: col(row, "tenant_id")?,
        sealed_secret: col(row, "sealed_secret")?,
        enabled: col(row, "enabled")?,
        created_at: col(row, "created_at")?,
        last_used_at: col(row, "last_used_at")?,
    })
}

#[async_trait]
impl AccessKeys for PgStore {
    async fn create_access_key(&self, key: NewAccessKey) -> Result<()> {
        sqlx::query(
            "INSERT INTO access_keys (id, tenant_id, sealed_secret, enabled, created_at) \
             VALUES ($1, $2, $3, TRUE, $4)",
        )
        .bind(&key.id)
        .bind(key.tenant_id)
        .bind(&key.sealed_secret)
        .bind(key.created_at)
        .execute(self.pool())
        .await
        .map_err(map_conflict("AccessKey"))?;
        Ok(())
    }

    async fn find_access_key(&self, id: &str) -> Result<Option<AccessKeyRecord>> {
        sqlx::query(&format!("{COLUMNS} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(map_err)?
            .as_ref()
            .map(record)
            .transpose()
    }

    async fn list_access_keys(&self, tenant_id: Option<i64>) -> Result<Vec<AccessKeyRecord>> {
        sqlx::query(&format!(
            "{COLUMNS} WHERE $1::BIGINT IS NULL OR tenant_id = $1 \
             ORDER BY created_at, id COLLATE \"C\""
        ))
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?
        .iter()
        .map(record)
        .collect()
    }

    async fn set_access_key_enabled(&self, id: &str, enabled: bool) -> Result<bool> {
        let done = sqlx::query("UPDATE access_keys SET enabled = $1 WHERE id = $2")
            .bind(enabled)
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn touch_access_key(&self, id: &str, now: Millis) -> Result<()> {
        // One conditional statement: when the mark is fresh it matches no row, and
        // PostgreSQL then writes (and flushes) nothing.
        sqlx::query(
            "UPDATE access_keys SET last_used_at = $1 \
             WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(now)
        .bind(id)
        .bind(now.saturating_sub(TOUCH_GRANULARITY_MS))
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(())
    }
}
