//! The SQLite schema's migrations: embedded in the binary, applied in order.

use sqlx::{Row, SqliteConnection};

use super::map_err;
use crate::schema::{latest, wall_clock_millis, Migration, SchemaStatus};
use crate::{Result, StoreError};

/// Applied migrations are never edited (see `migrations/README.md`): add a new one.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "init",
    sql: include_str!("../../migrations/sqlite/0001_init.sql"),
}];

/// Brings the schema up to date, or refuses a database newer than this build;
/// returns the versions applied.
///
/// Runs in one IMMEDIATE transaction: two processes opening a fresh file at once
/// apply each migration exactly once (the second waits, then finds it applied).
pub(super) async fn run(conn: &mut SqliteConnection) -> Result<Vec<i64>> {
    exec(conn, "BEGIN IMMEDIATE").await?;
    match apply(conn).await {
        Ok(applied) => exec(conn, "COMMIT").await.map(|()| applied),
        Err(e) => {
            let _ = exec(conn, "ROLLBACK").await;
            Err(e)
        }
    }
}

async fn exec(conn: &mut SqliteConnection, sql: &str) -> Result<()> {
    sqlx::raw_sql(sql)
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(map_err)
}

/// The schema's version, without changing anything (an empty file is version 0).
pub(super) async fn status(conn: &mut SqliteConnection) -> Result<SchemaStatus> {
    let exists: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'numgate_schema'",
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?;
    let current = match exists {
        None => 0,
        Some(_) => sqlx::query("SELECT COALESCE(MAX(version), 0) FROM numgate_schema")
            .fetch_one(&mut *conn)
            .await
            .and_then(|row| row.try_get(0))
            .map_err(map_err)?,
    };
    Ok(SchemaStatus {
        current,
        latest: latest(MIGRATIONS),
    })
}

/// Applies what is missing; the caller holds the write lock (a transaction).
async fn apply(conn: &mut SqliteConnection) -> Result<Vec<i64>> {
    exec(
        conn,
        "CREATE TABLE IF NOT EXISTS numgate_schema (
            version    INTEGER PRIMARY KEY,
            name       TEXT    NOT NULL,
            applied_at INTEGER NOT NULL
        ) STRICT",
    )
    .await?;
    let current = status(conn).await?.refuse_newer()?.current;
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        sqlx::raw_sql(m.sql)
            .execute(&mut *conn)
            .await
            .map_err(|e| {
                StoreError::Schema(format!("migration {} ({}): {e}", m.version, m.name))
            })?;
        sqlx::query("INSERT INTO numgate_schema (version, name, applied_at) VALUES (?, ?, ?)")
            .bind(m.version)
            .bind(m.name)
            .bind(wall_clock_millis())
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
        applied.push(m.version);
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "migration {}", m.name);
        }
    }
}
