//! Tenants in SQLite: found by name or id, created with their complimentary catalog.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use sqlx::sqlite::SqliteRow;

use super::{catalog, col, map_err, SqliteStore};
use crate::{Result, Tenant, Tenants};

const COLUMNS: &str = "SELECT id, name, created_at FROM tenants";

fn tenant(row: &SqliteRow) -> Result<Tenant> {
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
            Box::pin(async move {
                // Under the writer's lock: of two processes racing here, the second
                // finds the first one's row and both return the same tenant.
                sqlx::query(
                    "INSERT INTO tenants (name, created_at) VALUES (?, ?) \
                     ON CONFLICT (name) DO NOTHING",
                )
                .bind(&name)
                .bind(now)
                .execute(&mut *conn)
                .await
                .map_err(map_err)?;
                let row = sqlx::query(&format!("{COLUMNS} WHERE name = ?"))
                    .bind(&name)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(map_err)?;
                let t = tenant(&row)?;
                catalog::seed(conn, t.id).await?;
                Ok(t)
            })
        })
        .await
    }

    async fn find_tenant(&self, name: &str) -> Result<Option<Tenant>> {
        sqlx::query(&format!("{COLUMNS} WHERE name = ?"))
            .bind(name)
            .fetch_optional(self.reader())
            .await
            .map_err(map_err)?
            .as_ref()
            .map(tenant)
            .transpose()
    }

    async fn find_tenant_by_id(&self, id: i64) -> Result<Option<Tenant>> {
        sqlx::query(&format!("{COLUMNS} WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.reader())
            .await
            .map_err(map_err)?
            .as_ref()
            .map(tenant)
            .transpose()
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        sqlx::query(&format!("{COLUMNS} ORDER BY id"))
            .fetch_all(self.reader())
            .await
            .map_err(map_err)?
            .iter()
            .map(tenant)
            .collect()
    }
}
