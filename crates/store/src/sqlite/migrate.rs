//! The SQLite schema's migrations: embedded in the binary, applied in order.

use rusqlite::{params, Connection};

use super::{all, exists, map_err};
use crate::schema::{current_of, latest, wall_clock_millis, Migration, SchemaStatus};
use crate::{Result, StoreError};

/// Applied migrations are never edited (see `migrations/README.md`): add a new one.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "schemes",
        sql: include_str!("../../migrations/sqlite/0002_schemes.sql"),
    },
    Migration {
        version: 3,
        name: "consumed_tokens",
        sql: include_str!("../../migrations/sqlite/0003_consumed_tokens.sql"),
    },
    Migration {
        version: 4,
        name: "fusion",
        sql: include_str!("../../migrations/sqlite/0004_fusion.sql"),
    },
    Migration {
        version: 5,
        name: "fusion_schemes",
        sql: include_str!("../../migrations/sqlite/0005_fusion_schemes.sql"),
    },
    Migration {
        version: 6,
        name: "sms_guards",
        sql: include_str!("../../migrations/sqlite/0006_sms_guards.sql"),
    },
    Migration {
        version: 7,
        name: "sms_delivery",
        sql: include_str!("../../migrations/sqlite/0007_sms_delivery.sql"),
    },
    Migration {
        version: 8,
        name: "statistics_billing",
        sql: include_str!("../../migrations/sqlite/0008_statistics_billing.sql"),
    },
    Migration {
        version: 9,
        name: "console_users",
        sql: include_str!("../../migrations/sqlite/0009_console_users.sql"),
    },
    Migration {
        version: 10,
        name: "sms_catalog_review",
        sql: include_str!("../../migrations/sqlite/0010_sms_catalog_review.sql"),
    },
    Migration {
        version: 11,
        name: "sign_in_ips",
        sql: include_str!("../../migrations/sqlite/0011_sign_in_ips.sql"),
    },
];

/// Brings the schema up to date, or refuses a database newer than this build;
/// returns the versions applied.
///
/// Runs in one IMMEDIATE transaction: two processes opening a fresh file at once
/// apply each migration exactly once (the second waits, then finds it applied).
pub(super) fn run(conn: &Connection) -> Result<Vec<i64>> {
    exec(conn, "BEGIN IMMEDIATE")?;
    match apply(conn) {
        Ok(applied) => exec(conn, "COMMIT").map(|()| applied),
        Err(e) => {
            let _ = exec(conn, "ROLLBACK");
            Err(e)
        }
    }
}

/// Runs SQL of any number of statements (a migration's file).
fn exec(conn: &Connection, sql: &str) -> Result<()> {
    conn.execute_batch(sql).map_err(map_err)
}

/// The schema's version, without changing anything (an empty file is version 0).
pub(super) fn status(conn: &Connection) -> Result<SchemaStatus> {
    let known = exists(
        conn,
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'numgate_schema'",
        [],
    )?;
    let current = if known {
        let recorded = all(conn, "SELECT version FROM numgate_schema", [], |row| {
            row.get::<_, i64>(0).map_err(map_err)
        })?;
        current_of(&recorded, MIGRATIONS)
    } else {
        0
    };
    Ok(SchemaStatus {
        current,
        latest: latest(MIGRATIONS),
    })
}

/// Applies what is missing; the caller holds the write lock (a transaction).
fn apply(conn: &Connection) -> Result<Vec<i64>> {
    exec(
        conn,
        "CREATE TABLE IF NOT EXISTS numgate_schema (
            version    INTEGER PRIMARY KEY,
            name       TEXT    NOT NULL,
            applied_at INTEGER NOT NULL
        ) STRICT",
    )?;
    status(conn)?.refuse_newer()?;
    // Every migration not recorded yet, not only those above the newest: a
    // migration merged from another branch may carry a lower number than one
    // already applied.
    let done = all(conn, "SELECT version FROM numgate_schema", [], |row| {
        row.get::<_, i64>(0).map_err(map_err)
    })?;
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        conn.execute_batch(m.sql).map_err(|e| {
            StoreError::Schema(format!(
                "migration {} ({}): {}",
                m.version,
                m.name,
                super::describe(&e)
            ))
        })?;
        conn.execute(
            "INSERT INTO numgate_schema (version, name, applied_at) VALUES (?, ?, ?)",
            params![m.version, m.name, wall_clock_millis()],
        )
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
        assert_eq!(MIGRATIONS[0].version, 1);
        for w in MIGRATIONS.windows(2) {
            assert!(w[0].version < w[1].version, "migration {}", w[1].name);
        }
    }
}
