//! Tenants in SQLite: found by name or id, created with their complimentary catalog.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use rusqlite::{params, Row};

use super::{all, catalog, col, execute, one, optional, SqliteStore};
use crate::{Result, Tenant, Tenants};

const COLUMNS: &str = "SELECT id, name, created_at FROM tenants";

fn tenant(row: &Row<'_>) -> Result<Tenant> {
    Ok(Tenant {
        id: col(row, "id")?,
        name: col(row, "name")?,
        created_at: col(row, "created_at")?,
    })
}

#[async_trait]
impl Tenants for SqliteStore {
    async fn ensure_tenant(&self, name: &str, now: Millis) -> Result<Tenant> {
        // The common case (the tenant exists) costs a read, not a write.
        if let Some(t) = self.find_tenant(name).await? {
            return Ok(t);
        }
        let name = name.to_owned();
        self.write(move |conn| {
            // Under the writer's lock: of two processes racing here, the second
            // finds the first one's row and both return the same tenant.
            execute(
                conn,
                "INSERT INTO tenants (name, created_at) VALUES (?, ?) \
                 ON CONFLICT (name) DO NOTHING",
                params![name, now],
            )?;
            let t = one(
                conn,
                &format!("{COLUMNS} WHERE name = ?"),
                params![name],
                tenant,
            )?;
            catalog::seed(conn, t.id)?;
            Ok(t)
        })
        .await
    }

    async fn find_tenant(&self, name: &str) -> Result<Option<Tenant>> {
        let name = name.to_owned();
        self.read(move |conn| {
            optional(
                conn,
                &format!("{COLUMNS} WHERE name = ?"),
                params![name],
                tenant,
            )
        })
        .await
    }

    async fn find_tenant_by_id(&self, id: i64) -> Result<Option<Tenant>> {
        self.read(move |conn| {
            optional(
                conn,
                &format!("{COLUMNS} WHERE id = ?"),
                params![id],
                tenant,
            )
        })
        .await
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        self.read(|conn| all(conn, &format!("{COLUMNS} ORDER BY id"), [], tenant))
            .await
    }
}
