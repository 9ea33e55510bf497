//! Fusion-Auth policies in PostgreSQL. A put or a restore runs in one transaction
//! under an advisory lock on the policy's key: changes of one policy take turns
//! across nodes, so the row read (for the version check and the audit's "before")
//! is still the row when the transaction writes, also when there was no row yet.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use sqlx::postgres::PgRow;
use sqlx::PgConnection;

use super::{audit, col, map_err, PgStore};
use crate::policy::{self, scheme_column, scheme_from_column};
use crate::{Policies, PolicyRecord, PutPolicy, Result};

const COLUMNS: &str = "SELECT tenant_id, scene, scheme, graph, inherit, logging, version, \
     updated_at, updated_by FROM fusion_policies";

/// A stored row: the record when it is live (has a graph), and its version either way.
struct Stored {
    live: Option<PolicyRecord>,
    version: i64,
}

fn stored(row: &PgRow) -> Result<Stored> {
    let graph: Option<String> = col(row, "graph")?;
    let version = col(row, "version")?;
    let live = match graph {
        Some(graph) => Some(PolicyRecord {
            tenant_id: col(row, "tenant_id")?,
            scene: col(row, "scene")?,
            scheme: scheme_from_column(col(row, "scheme")?),
            graph,
            inherit: col(row, "inherit")?,
            logging: col(row, "logging")?,
            version,
            updated_at: col(row, "updated_at")?,
            updated_by: col(row, "updated_by")?,
        }),
        None => None,
    };
    Ok(Stored { live, version })
}

async fn find(
    conn: &mut PgConnection,
    tenant_id: i64,
    scene: i32,
    scheme: &str,
) -> Result<Option<Stored>> {
    sqlx::query(&format!(
        "{COLUMNS} WHERE tenant_id = $1 AND scene = $2 AND scheme = $3"
    ))
    .bind(tenant_id)
    .bind(scene)
    .bind(scheme)
    .fetch_optional(conn)
    .await
    .map_err(map_err)?
    .as_ref()
    .map(stored)
    .transpose()
}

/// Takes the policy's lock until the transaction ends. The key is hashed by the
/// server, so that every node (of any build) derives the same lock. Also taken by
/// the deletion of a Fusion-Auth scheme, for each of its policies.
pub(super) async fn lock(
    conn: &mut PgConnection,
    tenant_id: i64,
    scene: i32,
    scheme: &str,
) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("numgate/policy/{tenant_id}/{scene}/{scheme}"))
        .execute(conn)
        .await
        .map_err(map_err)?;
    Ok(())
}

#[async_trait]
impl Policies for PgStore {
    async fn get_policy(
        &self,
        tenant_id: i64,
        scene: i32,
        scheme: Option<&str>,
    ) -> Result<Option<PolicyRecord>> {
        let mut conn = self.pool().acquire().await.map_err(map_err)?;
        let found = find(&mut conn, tenant_id, scene, scheme_column(scheme)).await?;
        Ok(found.and_then(|s| s.live))
    }

    async fn list_policies(&self, tenant_id: i64) -> Result<Vec<PolicyRecord>> {
        let rows = sqlx::query(&format!(
            "{COLUMNS} WHERE tenant_id = $1 AND graph IS NOT NULL \
             ORDER BY scene, scheme COLLATE \"C\""
        ))
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        let mut all = Vec::with_capacity(rows.len());
        for row in &rows {
            all.extend(stored(row)?.live);
        }
        Ok(all)
    }

    async fn put_policy(&self, put: PutPolicy) -> Result<PolicyRecord> {
        let scheme = scheme_column(put.scheme.as_deref());
        // A refusal (or any error) drops the transaction: it is rolled back.
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        lock(&mut tx, put.tenant_id, put.scene, scheme).await?;
        let before = find(&mut tx, put.tenant_id, put.scene, scheme).await?;
        let live = before.as_ref().and_then(|b| b.live.as_ref());
        let version = policy::next_version(
            &put,
            live.map(|l| l.version),
            before.as_ref().map(|b| b.version),
        )?;
        let after = policy::record(&put, version);
        sqlx::query(
            "INSERT INTO fusion_policies (tenant_id, scene, scheme, graph, inherit, logging, \
             version, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (tenant_id, scene, scheme) DO UPDATE SET graph = EXCLUDED.graph, \
             inherit = EXCLUDED.inherit, logging = EXCLUDED.logging, \
             version = EXCLUDED.version, updated_at = EXCLUDED.updated_at, \
             updated_by = EXCLUDED.updated_by",
        )
        .bind(after.tenant_id)
        .bind(after.scene)
        .bind(scheme)
        .bind(&after.graph)
        .bind(after.inherit)
        .bind(after.logging)
        .bind(after.version)
        .bind(after.updated_at)
        .bind(&after.updated_by)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        audit::insert(&mut tx, &policy::put_audit(live, &after)).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(after)
    }

    async fn delete_policy(
        &self,
        tenant_id: i64,
        scene: i32,
        scheme: Option<&str>,
        actor: &str,
        at: Millis,
    ) -> Result<bool> {
        let scheme = scheme_column(scheme);
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        lock(&mut tx, tenant_id, scene, scheme).await?;
        let Some(before) = find(&mut tx, tenant_id, scene, scheme)
            .await?
            .and_then(|b| b.live)
        else {
            return Ok(false);
        };
        // The row stays as a tombstone that keeps the version count.
        sqlx::query(
            "UPDATE fusion_policies SET graph = NULL, version = version + 1, updated_at = $1, \
             updated_by = $2 WHERE tenant_id = $3 AND scene = $4 AND scheme = $5",
        )
        .bind(at)
        .bind(actor)
        .bind(tenant_id)
        .bind(scene)
        .bind(scheme)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        audit::insert(&mut tx, &policy::delete_audit(&before, actor, at)).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }
}
