//! Fusion-Auth scene sessions in PostgreSQL, shared by every node: created once,
//! loaded while live, updated by compare-and-swap on their version. Of two nodes
//! updating one version at once, the second's UPDATE waits for the first's row
//! lock, re-checks the version under it (READ COMMITTED) and changes nothing.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use sqlx::postgres::PgRow;

use super::{col, map_conflict, map_err, PgStore};
use crate::{FusionSessions, NewSession, Result, SessionRecord};

fn record(row: &PgRow) -> Result<SessionRecord> {
    Ok(SessionRecord {
        id: col(row, "id")?,
        tenant_id: col(row, "tenant_id")?,
        scheme: col(row, "scheme")?,
        scene: col(row, "scene")?,
        state: col(row, "state")?,
        version: col(row, "version")?,
        created_at: col(row, "created_at")?,
        expires_at: col(row, "expires_at")?,
    })
}

#[async_trait]
impl FusionSessions for PgStore {
    async fn create_session(&self, new: NewSession) -> Result<()> {
        sqlx::query(
            "INSERT INTO fusion_sessions (id, tenant_id, scheme, scene, state, version, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7)",
        )
        .bind(&new.id)
        .bind(new.tenant_id)
        .bind(&new.scheme)
        .bind(new.scene)
        .bind(&new.state)
        .bind(new.created_at)
        .bind(new.expires_at)
        .execute(self.pool())
        .await
        .map_err(map_conflict("session"))?;
        Ok(())
    }

    async fn load_session(&self, id: &str, now: Millis) -> Result<Option<SessionRecord>> {
        sqlx::query(
            "SELECT id, tenant_id, scheme, scene, state, version, created_at, expires_at \
             FROM fusion_sessions WHERE id = $1 AND expires_at > $2",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(map_err)?
        .as_ref()
        .map(record)
        .transpose()
    }

    async fn update_session(
        &self,
        id: &str,
        expected_version: i64,
        state: &str,
        expires_at: Millis,
        now: Millis,
    ) -> Result<bool> {
        let updated = sqlx::query(
            "UPDATE fusion_sessions SET state = $1, expires_at = $2, version = version + 1 \
             WHERE id = $3 AND version = $4 AND expires_at > $5",
        )
        .bind(state)
        .bind(expires_at)
        .bind(id)
        .bind(expected_version)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(updated.rows_affected() == 1)
    }
}
