//! Fusion-Auth policies in SQLite. A put or a restore reads the stored row, writes
//! the policy and its audit row in one writer job: the writer is the only one
//! writing (other processes wait for its lock), so what it read is still so.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use rusqlite::{params, Connection, Row};

use super::{all, audit, col, execute, optional, SqliteStore};
use crate::policy::{self, scheme_column, scheme_from_column};
use crate::{Policies, PolicyRecord, PutPolicy, Result};

const COLUMNS: &str = "SELECT tenant_id, scene, scheme, graph, inherit, logging, version, \
     updated_at, updated_by FROM fusion_policies";

/// A stored row: the record when it is live (has a graph), and its version either way.
struct Stored {
    live: Option<PolicyRecord>,
    version: i64,
}

fn stored(row: &Row<'_>) -> Result<Stored> {
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

fn find(conn: &Connection, tenant_id: i64, scene: i32, scheme: &str) -> Result<Option<Stored>> {
    optional(
        conn,
        &format!("{COLUMNS} WHERE tenant_id = ? AND scene = ? AND scheme = ?"),
        params![tenant_id, scene, scheme],
        stored,
    )
}

fn put(conn: &Connection, put: &PutPolicy) -> Result<PolicyRecord> {
    let scheme = scheme_column(put.scheme.as_deref());
    let before = find(conn, put.tenant_id, put.scene, scheme)?;
    let live = before.as_ref().and_then(|b| b.live.as_ref());
    let version = policy::next_version(
        put,
        live.map(|l| l.version),
        before.as_ref().map(|b| b.version),
    )?;
    let after = policy::record(put, version);
    execute(
        conn,
        "INSERT INTO fusion_policies (tenant_id, scene, scheme, graph, inherit, logging, \
         version, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (tenant_id, scene, scheme) DO UPDATE SET graph = excluded.graph, \
         inherit = excluded.inherit, logging = excluded.logging, version = excluded.version, \
         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        params![
            after.tenant_id,
            after.scene,
            scheme,
            after.graph,
            after.inherit,
            after.logging,
            after.version,
            after.updated_at,
            after.updated_by
        ],
    )?;
    audit::insert(conn, &policy::put_audit(live, &after))?;
    Ok(after)
}

fn delete(
    conn: &Connection,
    tenant_id: i64,
    scene: i32,
    scheme: &str,
    actor: &str,
    at: Millis,
) -> Result<bool> {
    let Some(before) = find(conn, tenant_id, scene, scheme)?.and_then(|b| b.live) else {
        return Ok(false);
    };
    // The row stays as a tombstone that keeps the version count.
    execute(
        conn,
        "UPDATE fusion_policies SET graph = NULL, version = version + 1, updated_at = ?, \
         updated_by = ? WHERE tenant_id = ? AND scene = ? AND scheme = ?",
        params![at, actor, tenant_id, scene, scheme],
    )?;
    audit::insert(conn, &policy::delete_audit(&before, actor, at))?;
    Ok(true)
}

#[async_trait]
impl Policies for SqliteStore {
    async fn get_policy(
        &self,
        tenant_id: i64,
        scene: i32,
        scheme: Option<&str>,
    ) -> Result<Option<PolicyRecord>> {
        let scheme = scheme_column(scheme).to_owned();
        self.read(move |conn| Ok(find(conn, tenant_id, scene, &scheme)?.and_then(|s| s.live)))
            .await
    }

    async fn list_policies(&self, tenant_id: i64) -> Result<Vec<PolicyRecord>> {
        self.read(move |conn| {
            let rows = all(
                conn,
                &format!(
                    "{COLUMNS} WHERE tenant_id = ? AND graph IS NOT NULL ORDER BY scene, scheme"
                ),
                params![tenant_id],
                stored,
            )?;
            Ok(rows.into_iter().filter_map(|s| s.live).collect())
        })
        .await
    }

    async fn put_policy(&self, p: PutPolicy) -> Result<PolicyRecord> {
        // Two writes: a savepoint undoes the policy if its audit row fails.
        self.write(move |conn| put(conn, &p)).await
    }

    async fn delete_policy(
        &self,
        tenant_id: i64,
        scene: i32,
        scheme: Option<&str>,
        actor: &str,
        at: Millis,
    ) -> Result<bool> {
        let scheme = scheme_column(scheme).to_owned();
        let actor = actor.to_owned();
        self.write(move |conn| delete(conn, tenant_id, scene, &scheme, &actor, at))
            .await
    }
}
