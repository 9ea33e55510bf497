//! AccessKeys in SQLite: their sealed secrets, whether they are enabled, when last used.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use rusqlite::{params, Row};

use super::{all, col, execute, map_conflict, map_err, optional, SqliteStore};
use crate::{AccessKeyRecord, AccessKeys, NewAccessKey, Result};

/// `last_used_at` is only moved when it is older than this: it answers "is this key
/// still in use", and a write per signed request would cost more than it tells.
const TOUCH_GRANULARITY_MS: Millis = 60_000;

const COLUMNS: &str =
    "SELECT id, tenant_id, sealed_secret, enabled, created_at, last_used_at FROM access_keys";

fn record(row: &Row<'_>) -> Result<AccessKeyRecord> {
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
            conn.prepare_cached(
                "INSERT INTO access_keys (id, tenant_id, sealed_secret, enabled, created_at) \
                 VALUES (?, ?, ?, 1, ?)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    key.id,
                    key.tenant_id,
                    key.sealed_secret,
                    key.created_at
                ])
            })
            .map_err(map_conflict("AccessKey"))?;
            Ok(())
        })
        .await
    }

    async fn find_access_key(&self, id: &str) -> Result<Option<AccessKeyRecord>> {
        let id = id.to_owned();
        self.read(move |conn| {
            optional(
                conn,
                &format!("{COLUMNS} WHERE id = ?"),
                params![id],
                record,
            )
        })
        .await
    }

    async fn list_access_keys(&self, tenant_id: Option<i64>) -> Result<Vec<AccessKeyRecord>> {
        self.read(move |conn| {
            all(
                conn,
                &format!("{COLUMNS} WHERE ?1 IS NULL OR tenant_id = ?1 ORDER BY created_at, id"),
                params![tenant_id],
                record,
            )
        })
        .await
    }

    async fn set_access_key_enabled(&self, id: &str, enabled: bool) -> Result<bool> {
        let id = id.to_owned();
        self.write_atomic(move |conn| {
            let changed = execute(
                conn,
                "UPDATE access_keys SET enabled = ? WHERE id = ?",
                params![enabled, id],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn touch_access_key(&self, id: &str, now: Millis) -> Result<()> {
        let stale_before = now.saturating_sub(TOUCH_GRANULARITY_MS);
        let id = id.to_owned();
        // A read first: most touches find the mark fresh and need no write at all.
        let (id, fresh) = self
            .read(move |conn| {
                let fresh: Option<Option<Millis>> = optional(
                    conn,
                    "SELECT last_used_at FROM access_keys WHERE id = ?",
                    params![id],
                    |row| row.get(0).map_err(map_err),
                )?;
                Ok((id, fresh))
            })
            .await?;
        match fresh {
            None => return Ok(()),
            Some(Some(at)) if at >= stale_before => return Ok(()),
            Some(_) => {}
        }
        self.write_atomic(move |conn| {
            execute(
                conn,
                "UPDATE access_keys SET last_used_at = ? \
                 WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                params![now, id, stale_before],
            )?;
            Ok(())
        })
        .await
    }
}
