//! Fusion-Auth scene sessions in SQLite: created once, loaded while live, updated
//! by compare-and-swap on their version (one conditional UPDATE in the writer).

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use rusqlite::{params, Row};

use super::{col, execute, map_conflict, optional, SqliteStore};
use crate::{FusionSessions, NewSession, Result, SessionRecord};

fn record(row: &Row<'_>) -> Result<SessionRecord> {
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
impl FusionSessions for SqliteStore {
    async fn create_session(&self, new: NewSession) -> Result<()> {
        self.write_atomic(move |conn| {
            conn.prepare_cached(
                "INSERT INTO fusion_sessions (id, tenant_id, scheme, scene, state, version, \
                 created_at, expires_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    new.id,
                    new.tenant_id,
                    new.scheme,
                    new.scene,
                    new.state,
                    new.created_at,
                    new.expires_at
                ])
            })
            .map_err(map_conflict("session"))?;
            Ok(())
        })
        .await
    }

    async fn load_session(&self, id: &str, now: Millis) -> Result<Option<SessionRecord>> {
        let id = id.to_owned();
        self.read(move |conn| {
            optional(
                conn,
                "SELECT id, tenant_id, scheme, scene, state, version, created_at, expires_at \
                 FROM fusion_sessions WHERE id = ? AND expires_at > ?",
                params![id, now],
                record,
            )
        })
        .await
    }

    async fn update_session(
        &self,
        id: &str,
        expected_version: i64,
        state: &str,
        expires_at: Millis,
        now: Millis,
    ) -> Result<bool> {
        let (id, state) = (id.to_owned(), state.to_owned());
        self.write_atomic(move |conn| {
            // The writer runs jobs one after another: of two updates naming one
            // version, the second finds the version moved and changes nothing.
            let updated = execute(
                conn,
                "UPDATE fusion_sessions SET state = ?, expires_at = ?, version = version + 1 \
                 WHERE id = ? AND version = ? AND expires_at > ?",
                params![state, expires_at, id, expected_version, now],
            )?;
            Ok(updated == 1)
        })
        .await
    }
}
