//! Console users and sessions in SQLite: the lock and the sign-in decided by
//! conditional updates in the writer, sessions found by the hash of their id.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use rusqlite::{params, Connection, Row};

use super::{all, col, execute, exists, map_conflict, map_err, one, optional, SqliteStore};
use crate::{
    ConsoleSession, ConsoleUsers, IpLimit, Lockout, NewConsoleSession, NewUser, Result, StoreError,
    UserRecord, UserRole,
};

const COLUMNS: &str = "SELECT id, name, role, tenant_id, password_hash, enabled, \
                       failed_attempts, locked_until, created_at FROM console_users";

fn user(row: &Row<'_>) -> Result<UserRecord> {
    let role: String = col(row, "role")?;
    Ok(UserRecord {
        id: col(row, "id")?,
        name: col(row, "name")?,
        role: UserRole::parse(&role)
            .ok_or_else(|| StoreError::Other(format!("unknown user role {role:?}").into()))?,
        tenant_id: col(row, "tenant_id")?,
        password_hash: col(row, "password_hash")?,
        enabled: col(row, "enabled")?,
        failed_attempts: col(row, "failed_attempts")?,
        locked_until: col(row, "locked_until")?,
        created_at: col(row, "created_at")?,
    })
}

fn user_by_id(conn: &Connection, id: i64) -> Result<Option<UserRecord>> {
    optional(conn, &format!("{COLUMNS} WHERE id = ?"), params![id], user)
}

#[async_trait]
impl ConsoleUsers for SqliteStore {
    async fn create_user(&self, new: NewUser) -> Result<UserRecord> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO console_users (name, role, tenant_id, password_hash, enabled, \
                 created_at) VALUES (?, ?, ?, ?, 1, ?)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    new.name,
                    new.role.as_str(),
                    new.tenant_id,
                    new.password_hash,
                    new.created_at
                ])
            })
            .map_err(map_conflict("user"))?;
            one(
                conn,
                &format!("{COLUMNS} WHERE name = ?"),
                params![new.name],
                user,
            )
        })
        .await
    }

    async fn find_user(&self, name: &str) -> Result<Option<UserRecord>> {
        let name = name.to_owned();
        self.read(move |conn| {
            optional(
                conn,
                &format!("{COLUMNS} WHERE name = ?"),
                params![name],
                user,
            )
        })
        .await
    }

    async fn find_user_by_id(&self, id: i64) -> Result<Option<UserRecord>> {
        self.read(move |conn| user_by_id(conn, id)).await
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>> {
        self.read(|conn| all(conn, &format!("{COLUMNS} ORDER BY name"), [], user))
            .await
    }

    async fn set_user_enabled(&self, name: &str, enabled: bool) -> Result<bool> {
        let name = name.to_owned();
        self.write(move |conn| {
            let found = execute(
                conn,
                "UPDATE console_users SET enabled = ? WHERE name = ?",
                params![enabled, name],
            )? == 1;
            if found && !enabled {
                execute(
                    conn,
                    "DELETE FROM console_sessions WHERE user_id = \
                     (SELECT id FROM console_users WHERE name = ?)",
                    params![name],
                )?;
            }
            Ok(found)
        })
        .await
    }

    async fn record_sign_in_failure(
        &self,
        user_id: i64,
        lockout: Lockout,
        now: Millis,
    ) -> Result<bool> {
        self.write(move |conn| {
            // The right-hand sides see the row as it was: the failure that reaches
            // the limit locks and resets the count in the same statement.
            execute(
                conn,
                "UPDATE console_users SET \
                 locked_until = CASE WHEN failed_attempts + 1 >= ?1 THEN ?2 \
                                ELSE locked_until END, \
                 failed_attempts = CASE WHEN failed_attempts + 1 >= ?1 THEN 0 \
                                   ELSE failed_attempts + 1 END \
                 WHERE id = ?3 AND (locked_until IS NULL OR locked_until <= ?4)",
                params![lockout.max_failures, now + lockout.lock_ms, user_id, now],
            )?;
            let locked: Option<Millis> = one(
                conn,
                "SELECT locked_until FROM console_users WHERE id = ?",
                params![user_id],
                |row| row.get(0).map_err(map_err),
            )?;
            Ok(locked.is_some_and(|t| now < t))
        })
        .await
    }

    async fn start_console_session(&self, new: NewConsoleSession, now: Millis) -> Result<bool> {
        self.write(move |conn| {
            let allowed = execute(
                conn,
                "UPDATE console_users SET failed_attempts = 0 \
                 WHERE id = ? AND enabled = 1 AND (locked_until IS NULL OR locked_until <= ?)",
                params![new.user_id, now],
            )? == 1;
            if allowed {
                conn.prepare_cached(
                    "INSERT INTO console_sessions (id_hash, user_id, csrf_token, created_at, \
                     expires_at, idle_until) VALUES (?, ?, ?, ?, ?, ?)",
                )
                .and_then(|mut stmt| {
                    stmt.execute(params![
                        new.id_hash,
                        new.user_id,
                        new.csrf_token,
                        new.created_at,
                        new.expires_at,
                        new.idle_until.min(new.expires_at)
                    ])
                })
                .map_err(map_conflict("session"))?;
            }
            Ok(allowed)
        })
        .await
    }

    async fn touch_console_session(
        &self,
        id_hash: &[u8],
        idle_until: Millis,
        now: Millis,
    ) -> Result<Option<ConsoleSession>> {
        let id_hash = id_hash.to_vec();
        self.write(move |conn| {
            let touched = optional(
                conn,
                "UPDATE console_sessions SET idle_until = MIN(?, expires_at) \
                 WHERE id_hash = ? AND idle_until > ? AND user_id IN \
                 (SELECT id FROM console_users WHERE enabled = 1) \
                 RETURNING user_id, csrf_token, created_at, expires_at, idle_until",
                params![idle_until, id_hash, now],
                |row| {
                    Ok((
                        col::<i64>(row, "user_id")?,
                        col::<String>(row, "csrf_token")?,
                        col::<Millis>(row, "created_at")?,
                        col::<Millis>(row, "expires_at")?,
                        col::<Millis>(row, "idle_until")?,
                    ))
                },
            )?;
            let Some((user_id, csrf_token, created_at, expires_at, idle_until)) = touched else {
                return Ok(None);
            };
            Ok(user_by_id(conn, user_id)?.map(|user| ConsoleSession {
                user,
                csrf_token,
                created_at,
                expires_at,
                idle_until,
            }))
        })
        .await
    }

    async fn end_console_session(&self, id_hash: &[u8]) -> Result<bool> {
        let id_hash = id_hash.to_vec();
        self.write_atomic(move |conn| {
            Ok(execute(
                conn,
                "DELETE FROM console_sessions WHERE id_hash = ?",
                params![id_hash],
            )? == 1)
        })
        .await
    }

    async fn sign_in_ip_blocked(&self, ip: &str, limit: IpLimit, now: Millis) -> Result<bool> {
        let ip = ip.to_owned();
        self.read(move |conn| {
            exists(
                conn,
                "SELECT 1 FROM console_sign_in_ips \
                 WHERE ip = ? AND failures >= ? AND window_start + ? > ?",
                params![ip, limit.max_failures, limit.window_ms, now],
            )
        })
        .await
    }

    async fn record_sign_in_ip_failure(
        &self,
        ip: &str,
        limit: IpLimit,
        now: Millis,
    ) -> Result<bool> {
        let ip = ip.to_owned();
        self.write_atomic(move |conn| {
            // The right-hand sides see the row as it was: a window that ran out
            // starts again at this failure.
            let failures: i64 = one(
                conn,
                "INSERT INTO console_sign_in_ips (ip, window_start, failures) VALUES (?1, ?2, 1) \
                 ON CONFLICT (ip) DO UPDATE SET \
                 failures = CASE WHEN window_start + ?3 > ?2 THEN failures + 1 ELSE 1 END, \
                 window_start = CASE WHEN window_start + ?3 > ?2 THEN window_start ELSE ?2 END \
                 RETURNING failures",
                params![ip, now, limit.window_ms],
                |row| row.get(0).map_err(map_err),
            )?;
            Ok(failures >= limit.max_failures)
        })
        .await
    }
}
