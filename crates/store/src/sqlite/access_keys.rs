//! AccessKeys in SQLite: their sealed secrets, whether they are enabled, when last used.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use sqlx::sqlite::SqliteRow;

use super::{col, map_conflict, map_err, SqliteStore};
use crate::{AccessKeyRecord, AccessKeys, NewAccessKey, Result};

/// `last_used_at` is only moved when it is older than this: it answers "is this key
/// still in use", and a write per signed request would cost more than it tells.
const TOUCH_GRANULARITY_MS: Millis = 60_000;

const COLUMNS: &str =
    "SELECT id, tenant_id, sealed_secret, enabled, created_at, last_used_at FROM access_keys";

fn record(row: &SqliteRow) -> Result<AccessKeyRecord> {
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
impl AccessKeys for SqliteStore {
    async fn create_access_key(&self, key: NewAccessKey) -> Result<()> {
        self.write_atomic(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO access_keys (id, tenant_id, sealed_secret, enabled, created_at) \
                     VALUES (?, ?, ?, 1, ?)",
                )
                .bind(&key.id)
                .bind(key.tenant_id)
                .bind(&key.sealed_secret)
                .bind(key.created_at)
                .execute(&mut *conn)
                .await
                .map_err(map_conflict("AccessKey"))?;
                Ok(())
            })
        })
        .await
    }

    async fn find_access_key(&self, id: &str) -> Result<Option<AccessKeyRecord>> {
        sqlx::query(&format!("{COLUMNS} WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.reader())
            .await
            .map_err(map_err)?
            .as_ref()
            .map(record)
            .transpose()
    }

    async fn list_access_keys(&self, tenant_id: Option<i64>) -> Result<Vec<AccessKeyRecord>> {
        sqlx::query(&format!(
            "{COLUMNS} WHERE ? IS NULL OR tenant_id = ? ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .bind(tenant_id)
        .fetch_all(self.reader())
        .await
        .map_err(map_err)?
        .iter()
        .map(record)
        .collect()
    }

    async fn set_access_key_enabled(&self, id: &str, enabled: bool) -> Result<bool> {
        let id = id.to_owned();
        self.write_atomic(move |conn| {
            Box::pin(async move {
                let done = sqlx::query("UPDATE access_keys SET enabled = ? WHERE id = ?")
                    .bind(enabled)
                    .bind(&id)
                    .execute(&mut *conn)
                    .await
                    .map_err(map_err)?;
                Ok(done.rows_affected() > 0)
            })
        })
        .await
    }

    async fn touch_access_key(&self, id: &str, now: Millis) -> Result<()> {
        let stale_before = now.saturating_sub(TOUCH_GRANULARITY_MS);
        // A read first: most touches find the mark fresh and need no write at all.
        let fresh: Option<Option<Millis>> =
            sqlx::query_scalar("SELECT last_used_at FROM access_keys WHERE id = ?")
                .bind(id)
                .fetch_optional(self.reader())
                .await
                .map_err(map_err)?;
        match fresh {
            None => return Ok(()),
            Some(Some(at)) if at >= stale_before => return Ok(()),
            Some(_) => {}
        }
        let id = id.to_owned();
        self.write_atomic(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE access_keys SET last_used_at = ? \
                     WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                )
                .bind(now)
                .bind(&id)
                .bind(stale_before)
                .execute(&mut *conn)
                .await
                .map_err(map_err)?;
                Ok(())
            })
        })
        .await
    }
}
