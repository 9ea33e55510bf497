//! The SQLite schema's migrations: embedded in the binary, applied in order at open.

use sqlx::{Row, SqliteConnection};

use super::map_err;
use crate::{Result, StoreError};

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// Applied migrations are never edited (see `migrations/README.md`): add a new one.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "init",
    sql: include_str!("../../migrations/sqlite/0001_init.sql"),
}];

/// The newest schema version this build knows.
pub(super) fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Brings the schema up to date, or refuses a database newer than this build.
///
/// Runs in one IMMEDIATE transaction: two processes opening a fresh file at once
/// apply each migration exactly once (the second waits, then finds it applied).
pub(super) async fn run(conn: &mut SqliteConnection) -> Result<()> {
    exec(conn, "BEGIN IMMEDIATE").await?;
    match apply(conn).await {
        Ok(()) => exec(conn, "COMMIT").await,
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

async fn apply(conn: &mut SqliteConnection) -> Result<()> {
    exec(
        conn,
        "CREATE TABLE IF NOT EXISTS numgate_schema (
            version    INTEGER PRIMARY KEY,
            name       TEXT    NOT NULL,
            applied_at INTEGER NOT NULL
        ) STRICT",
    )
    .await?;
    let current: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) FROM numgate_schema")
        .fetch_one(&mut *conn)
        .await
        .and_then(|row| row.try_get(0))
        .map_err(map_err)?;
    let latest = latest_version();
    if current > latest {
        return Err(StoreError::Schema(format!(
            "the database has schema version {current}, newer than the {latest} this build \
             knows; run a newer numgate on it"
        )));
    }
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
    }
    Ok(())
}

/// When a migration ran is bookkeeping for humans, not domain time: the wall clock will do.
fn wall_clock_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
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
