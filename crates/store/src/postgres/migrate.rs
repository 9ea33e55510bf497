//! The PostgreSQL schema's migrations: embedded in the binary, applied in order,
//! by one node at a time.

use sqlx::{PgConnection, PgPool};

use super::{classify, map_err, Class};
use crate::schema::{current_of, latest, wall_clock_millis, Migration, SchemaStatus};
use crate::{Result, StoreError};

/// Applied migrations are never edited (see `migrations/README.md`): add a new one.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "schemes",
        sql: include_str!("../../migrations/postgres/0002_schemes.sql"),
    },
    Migration {
        version: 3,
        name: "consumed_tokens",
        sql: include_str!("../../migrations/postgres/0003_consumed_tokens.sql"),
    },
    Migration {
        version: 4,
        name: "fusion",
        sql: include_str!("../../migrations/postgres/0004_fusion.sql"),
    },
    Migration {
        version: 5,
        name: "fusion_schemes",
        sql: include_str!("../../migrations/postgres/0005_fusion_schemes.sql"),
    },
    Migration {
        version: 6,
        name: "sms_guards",
        sql: include_str!("../../migrations/postgres/0006_sms_guards.sql"),
    },
    Migration {
        version: 7,
        name: "sms_delivery",
        sql: include_str!("../../migrations/postgres/0007_sms_delivery.sql"),
    },
    Migration {
        version: 8,
        name: "statistics_billing",
        sql: include_str!("../../migrations/postgres/0008_statistics_billing.sql"),
    },
    Migration {
        version: 9,
        name: "console_users",
        sql: include_str!("../../migrations/postgres/0009_console_users.sql"),
    },
    Migration {
        version: 10,
        name: "sms_catalog_review",
        sql: include_str!("../../migrations/postgres/0010_sms_catalog_review.sql"),
    },
    Migration {
        version: 11,
        name: "sign_in_ips",
        sql: include_str!("../../migrations/postgres/0011_sign_in_ips.sql"),
    },
];

/// The advisory lock that nodes starting together take turns on ("numgate1" in
/// ASCII): one database-wide key that nothing else of numgate uses.
const MIGRATION_LOCK: i64 = 0x6e75_6d67_6174_6531;

/// Brings the schema up to date, or refuses a database newer than this build;
/// returns the versions applied.
///
/// One transaction under a transaction-scoped advisory lock: nodes starting at once
/// wait for each other, so each migration is applied once; the lock goes with the
/// transaction, also when a node dies half-way (and its migrations are undone, as
/// DDL is transactional in PostgreSQL).
pub(super) async fn run(pool: &PgPool) -> Result<Vec<i64>> {
    let mut tx = pool.begin().await.map_err(map_err)?;
    // Another node's migration may take long (an index on a big table): wait for it.
    sqlx::query("SET LOCAL lock_timeout = 0")
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    // Under the lock: CREATE … IF NOT EXISTS is not safe against a concurrent one.
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS numgate_schema (
            version    BIGINT PRIMARY KEY,
            name       TEXT   NOT NULL,
            applied_at BIGINT NOT NULL
        )",
    )
    .execute(&mut *tx)
    .await
    .map_err(map_err)?;
    status(&mut tx).await?.refuse_newer()?;
    // Every migration not recorded yet, not only those above the newest: a
    // migration merged from another branch may carry a lower number than one
    // already applied.
    let done: Vec<i64> = sqlx::query_scalar("SELECT version FROM numgate_schema")
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        sqlx::raw_sql(m.sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| match classify(&e) {
                Class::Unavailable => map_err(e),
                _ => StoreError::Schema(format!("migration {} ({}): {e}", m.version, m.name)),
            })?;
        sqlx::query("INSERT INTO numgate_schema (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name)
            .bind(wall_clock_millis())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        applied.push(m.version);
    }
    tx.commit().await.map_err(map_err)?;
    Ok(applied)
}

/// The schema's version, without changing anything (an empty database is version 0).
pub(super) async fn status(conn: &mut PgConnection) -> Result<SchemaStatus> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('numgate_schema') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .map_err(map_err)?;
    let current = if exists {
        let recorded: Vec<i64> = sqlx::query_scalar("SELECT version FROM numgate_schema")
            .fetch_all(&mut *conn)
            .await
            .map_err(map_err)?;
        current_of(&recorded, MIGRATIONS)
    } else {
        0
    };
    Ok(SchemaStatus {
        current,
        latest: latest(MIGRATIONS),
    })
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
