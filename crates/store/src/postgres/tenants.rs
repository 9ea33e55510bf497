//! Tenants in PostgreSQL: found by name or id, created with their complimentary catalog.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use sqlx::postgres::PgRow;

use super::{catalog, col, map_err, PgStore};
use crate::{Result, Tenant, Tenants};

const COLUMNS: &str = "SELECT id, name, created_at FROM tenants";

fn tenant(row: &PgRow) -> Result<Tenant> {
    Ok(Tenant {
        id: col(row, "id")?,
        name: col(row, "name")?,
        created_at: col(row, "created_at")?,
    })
}

#[async_trait]
impl Tenants for PgStore {
    async fn ensure_tenant(&self, name: &str, now: Millis) -> Result<Tenant> {
        // The common case (the tenant exists) costs a read, not a write.
        if let Some(t) = self.find_tenant(name).await? {
            return Ok(t);
        }
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        // Of two nodes racing here, the second's insert waits for the first's commit
        // and then does nothing; its next statement sees the first one's row, and
        // the seeding below skips what the first one seeded.
        sqlx::query(
            "INSERT INTO tenants (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let row = sqlx::query(&format!("{COLUMNS} WHERE name = $1"))
            .bind(name)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        let t = tenant(&row)?;
        catalog::seed(&mut tx, t.id).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(t)
    }

    async fn find_tenant(&self, name: &str) -> Result<Option<Tenant>> {
        sqlx::query(&format!("{COLUMNS} WHERE name = $1"))
            .bind(name)
            .fetch_optional(self.pool())
            .await
            .map_err(map_err)?
            .as_ref()
            .map(tenant)
            .transpose()
    }

    async fn find_tenant_by_id(&self, id: i64) -> Result<Option<Tenant>> {
        sqlx::query(&format!("{COLUMNS} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(map_err)?
            .as_ref()
            .map(tenant)
            .transpose()
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        sqlx::query(&format!("{COLUMNS} ORDER BY id"))
            .fetch_all(self.pool())
            .await
            .map_err(map_err)?
            .iter()
            .map(tenant)
            .collect()
    }
}
