//! Console users and sessions in PostgreSQL, shared by every node: the lock and
//! the sign-in are decided by conditional updates (a second node's UPDATE waits
//! for the first's row lock and re-checks the row under it), sessions are found
//! by the hash of their id.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use sqlx::postgres::PgRow;

use super::{col, map_conflict, map_err, PgStore};
use crate::{
    ConsoleSession, ConsoleUsers, IpLimit, Lockout, NewConsoleSession, NewUser, Result, StoreError,
    UserRecord, UserRole,
};

const COLUMNS: &str = "SELECT id, name, role, tenant_id, password_hash, enabled, \
                       failed_attempts, locked_until, created_at FROM console_users";

fn user(row: &PgRow) -> Result<UserRecord> {
    let role: String = col(row, "role")?;
    Ok(UserRecord {
        id: col(row, "id")?,
        name: col(row, "name")?,
        role: UserRole::parse(&role)
            .ok_or_else(|| StoreError::Other(format!("unknown user role {role:?}").into()))?,
        tenant_id: col(row, "tenant_id")?,
        password_hash: col(row, "password_hash")?,
        enabled: col(row, "enabled")?,
        failed_attempts: i64::from(col::<i32>(row, "failed_attempts")?),
        locked_until: col(row, "locked_until")?,
        created_at: col(row, "created_at")?,
    })
}

#[async_trait]
impl ConsoleUsers for PgStore {
    async fn create_user(&self, new: NewUser) -> Result<UserRecord> {
        let row = sqlx::query(
            "INSERT INTO console_users (name, role, tenant_id, password_hash, enabled, \
             created_at) VALUES ($1, $2, $3, $4, TRUE, $5) \
             RETURNING id, name, role, tenant_id, password_hash, enabled, \
             failed_attempts, locked_until, created_at",
        )
        .bind(&new.name)
        .bind(new.role.as_str())
        .bind(new.tenant_id)
        .bind(&new.password_hash)
        .bind(new.created_at)
        .fetch_one(self.pool())
        .await
        .map_err(map_conflict("user"))?;
        user(&row)
    }

    async fn find_user(&self, name: &str) -> Result<Option<UserRecord>> {
        sqlx::query(&format!("{COLUMNS} WHERE name = $1"))
            .bind(name)
            .fetch_optional(self.pool())
            .await
            .map_err(map_err)?
            .as_ref()
            .map(user)
            .transpose()
    }

    async fn find_user_by_id(&self, id: i64) -> Result<Option<UserRecord>> {
        sqlx::query(&format!("{COLUMNS} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(map_err)?
            .as_ref()
            .map(user)
            .transpose()
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>> {
        sqlx::query(&format!("{COLUMNS} ORDER BY name"))
            .fetch_all(self.pool())
            .await
            .map_err(map_err)?
            .iter()
            .map(user)
            .collect()
    }

    async fn set_user_enabled(&self, name: &str, enabled: bool) -> Result<bool> {
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE console_users SET enabled = $1 WHERE name = $2 RETURNING id",
        )
        .bind(enabled)
        .bind(name)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        if let (Some(id), false) = (id, enabled) {
            sqlx::query("DELETE FROM console_sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(id.is_some())
    }

    async fn record_sign_in_failure(
        &self,
        user_id: i64,
        lockout: Lockout,
        now: Millis,
    ) -> Result<bool> {
        // The right-hand sides see the row as it was: the failure that reaches
        // the limit locks and resets the count in the same statement.
        sqlx::query(
            "UPDATE console_users SET \
             locked_until = CASE WHEN failed_attempts + 1 >= $1 THEN $2 ELSE locked_until END, \
             failed_attempts = CASE WHEN failed_attempts + 1 >= $1 THEN 0 \
                               ELSE failed_attempts + 1 END \
             WHERE id = $3 AND (locked_until IS NULL OR locked_until <= $4)",
        )
        .bind(lockout.max_failures)
        .bind(now + lockout.lock_ms)
        .bind(user_id)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        let locked: Option<Option<Millis>> =
            sqlx::query_scalar("SELECT locked_until FROM console_users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(self.pool())
                .await
                .map_err(map_err)?;
        Ok(locked.flatten().is_some_and(|t| now < t))
    }

    async fn start_console_session(&self, new: NewConsoleSession, now: Millis) -> Result<bool> {
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        let allowed = sqlx::query(
            "UPDATE console_users SET failed_attempts = 0 \
             WHERE id = $1 AND enabled AND (locked_until IS NULL OR locked_until <= $2)",
        )
        .bind(new.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?
        .rows_affected()
            == 1;
        if allowed {
            sqlx::query(
                "INSERT INTO console_sessions (id_hash, user_id, csrf_token, created_at, \
                 expires_at, idle_until) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&new.id_hash)
            .bind(new.user_id)
            .bind(&new.csrf_token)
            .bind(new.created_at)
            .bind(new.expires_at)
            .bind(new.idle_until.min(new.expires_at))
            .execute(&mut *tx)
            .await
            .map_err(map_conflict("session"))?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(allowed)
    }

    async fn touch_console_session(
        &self,
        id_hash: &[u8],
        idle_until: Millis,
        now: Millis,
    ) -> Result<Option<ConsoleSession>> {
        let touched = sqlx::query(
            "UPDATE console_sessions SET idle_until = LEAST($1, expires_at) \
             WHERE id_hash = $2 AND idle_until > $3 AND user_id IN \
             (SELECT id FROM console_users WHERE enabled) \
             RETURNING user_id, csrf_token, created_at, expires_at, idle_until",
        )
        .bind(idle_until)
        .bind(id_hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(map_err)?;
        let Some(row) = touched else {
            return Ok(None);
        };
        let user_id: i64 = col(&row, "user_id")?;
        let (csrf_token, created_at, expires_at, idle_until) = (
            col(&row, "csrf_token")?,
            col(&row, "created_at")?,
            col(&row, "expires_at")?,
            col(&row, "idle_until")?,
        );
        Ok(self
            .find_user_by_id(user_id)
            .await?
            .map(|user| ConsoleSession {
                user,
                csrf_token,
                created_at,
                expires_at,
                idle_until,
            }))
    }

    async fn end_console_session(&self, id_hash: &[u8]) -> Result<bool> {
        let done = sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.pool())
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn sign_in_ip_blocked(&self, ip: &str, limit: IpLimit, now: Millis) -> Result<bool> {
        let found: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM console_sign_in_ips \
             WHERE ip = $1 AND failures >= $2 AND window_start + $3 > $4",
        )
        .bind(ip)
        .bind(limit.max_failures)
        .bind(limit.window_ms)
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(map_err)?;
        Ok(found.is_some())
    }

    async fn record_sign_in_ip_failure(
        &self,
        ip: &str,
        limit: IpLimit,
        now: Millis,
    ) -> Result<bool> {
        // One upsert under the row's lock, so that nodes counting at once all
        // count; the right-hand sides see the row as it was: a window that ran
        // out starts again at this failure.
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO console_sign_in_ips AS s (ip, window_start, failures) \
             VALUES ($1, $2, 1) ON CONFLICT (ip) DO UPDATE SET \
             failures = CASE WHEN s.window_start + $3 > $2 THEN s.failures + 1 ELSE 1 END, \
             window_start = CASE WHEN s.window_start + $3 > $2 THEN s.window_start ELSE $2 END \
             RETURNING failures::BIGINT",
        )
        .bind(ip)
        .bind(now)
        .bind(limit.window_ms)
        .fetch_one(self.pool())
        .await
        .map_err(map_err)?;
        Ok(failures >= limit.max_failures)
    }
}
