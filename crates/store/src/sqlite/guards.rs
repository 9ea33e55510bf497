//! The SMS guards in SQLite: prefix blocks and caps, the country cap, the tenant's
//! daily budget and the conversion counts, inside the send's and the check's
//! writer jobs; and the operator's view of the blocks.
//!
//! The single writer runs one job at a time, so reading a counter and then
//! writing it within one job is exact: nothing else writes in between.

use async_trait::async_trait;
use rusqlite::{params, Connection};

use super::{all, col, execute, one, optional, SqliteStore};
use crate::{
    hour_start, sms_prefix, CodeKey, NewCode, PrefixBlock, Result, SendOutcome, SmsGuards, HOUR_MS,
};
use numgate_domain::clock::Millis;

/// The outcome of the guards for a send: `Err(refusal)` (the block row written
/// if the refusal blocks the prefix), or `Ok(throttled)`: it may go.
pub(super) fn check(conn: &Connection, new: &NewCode) -> Result<Result<bool, SendOutcome>> {
    let key = &new.key;
    let g = &new.guards;
    let now = new.now;
    let prefix = sms_prefix(&key.phone);
    let hour = hour_start(now);

    let blocked: Option<Millis> = optional(
        conn,
        "SELECT until FROM sms_prefix_blocks \
         WHERE tenant_id = ?1 AND country_code = ?2 AND prefix = ?3 AND until > ?4",
        params![key.tenant_id, key.country_code, prefix, now],
        |row| col(row, "until"),
    )?;
    if let Some(until) = blocked {
        return Ok(Err(SendOutcome::PrefixBlocked { until }));
    }

    let (sent, verified, cap_count): (i64, i64, i64) = one(
        conn,
        "SELECT COALESCE(SUM(sent), 0) AS sent, COALESCE(SUM(verified), 0) AS verified, \
         COALESCE(SUM(CASE WHEN hour_start = ?5 THEN cap_count END), 0) AS cap_count \
         FROM sms_prefix_counts \
         WHERE tenant_id = ?1 AND country_code = ?2 AND prefix = ?3 AND hour_start > ?4",
        params![
            key.tenant_id,
            key.country_code,
            prefix,
            now.saturating_sub(g.conversion_window_ms.max(HOUR_MS)),
            hour
        ],
        |row| {
            Ok((
                col(row, "sent")?,
                col(row, "verified")?,
                col(row, "cap_count")?,
            ))
        },
    )?;
    let throttled = g.throttles(to_u64(sent), to_u64(verified));
    let cap = if throttled {
        g.throttled_prefix_hourly_cap
    } else {
        g.prefix_hourly_cap
    };
    if cap_count >= i64::from(cap) {
        let until = now.saturating_add(g.prefix_block_ms);
        block(conn, key, prefix, now, until, throttled)?;
        return Ok(Err(SendOutcome::PrefixCapReached { throttled, until }));
    }

    let country: i64 = one(
        conn,
        "SELECT COALESCE(MAX(sent), 0) FROM sms_country_counts \
         WHERE tenant_id = ?1 AND country_code = ?2 AND hour_start = ?3",
        params![key.tenant_id, key.country_code, hour],
        |row| row.get(0).map_err(super::map_err),
    )?;
    if country >= i64::from(g.country_hourly_cap) {
        return Ok(Err(SendOutcome::CountryCapReached));
    }

    let day: i64 = one(
        conn,
        "SELECT COALESCE(MAX(sent), 0) FROM sms_budget_days \
         WHERE tenant_id = ?1 AND day_start = ?2",
        params![key.tenant_id, g.day_start(now)],
        |row| row.get(0).map_err(super::map_err),
    )?;
    if day >= i64::from(g.daily_budget) {
        return Ok(Err(SendOutcome::DailyBudgetReached));
    }
    Ok(Ok(throttled))
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Blocks the prefix until `until`; a block still in force keeps its own end.
fn block(
    conn: &Connection,
    key: &CodeKey,
    prefix: &str,
    now: Millis,
    until: Millis,
    throttled: bool,
) -> Result<()> {
    execute(
        conn,
        "INSERT INTO sms_prefix_blocks \
         (tenant_id, country_code, prefix, blocked_at, until, throttled) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (tenant_id, country_code, prefix) DO UPDATE SET \
         blocked_at = excluded.blocked_at, until = excluded.until, \
         throttled = excluded.throttled WHERE until <= excluded.blocked_at",
        params![
            key.tenant_id,
            key.country_code,
            prefix,
            now,
            until,
            throttled
        ],
    )?;
    Ok(())
}

/// Counts a send that went, for every guard.
pub(super) fn count_send(conn: &Connection, new: &NewCode) -> Result<()> {
    let key = &new.key;
    let hour = hour_start(new.now);
    execute(
        conn,
        "INSERT INTO sms_prefix_counts \
         (tenant_id, country_code, prefix, hour_start, sent, verified, cap_count) \
         VALUES (?1, ?2, ?3, ?4, 1, 0, 1) \
         ON CONFLICT (tenant_id, country_code, prefix, hour_start) DO UPDATE SET \
         sent = sent + 1, cap_count = cap_count + 1",
        params![
            key.tenant_id,
            key.country_code,
            sms_prefix(&key.phone),
            hour
        ],
    )?;
    execute(
        conn,
        "INSERT INTO sms_country_counts (tenant_id, country_code, hour_start, sent) \
         VALUES (?1, ?2, ?3, 1) \
         ON CONFLICT (tenant_id, country_code, hour_start) DO UPDATE SET sent = sent + 1",
        params![key.tenant_id, key.country_code, hour],
    )?;
    execute(
        conn,
        "INSERT INTO sms_budget_days (tenant_id, day_start, sent) VALUES (?1, ?2, 1) \
         ON CONFLICT (tenant_id, day_start) DO UPDATE SET sent = sent + 1",
        params![key.tenant_id, new.guards.day_start(new.now)],
    )?;
    Ok(())
}

/// Counts a verified code for its prefix, in the hour the code was sent.
pub(super) fn count_verified(conn: &Connection, key: &CodeKey, sent_at: Millis) -> Result<()> {
    execute(
        conn,
        "INSERT INTO sms_prefix_counts \
         (tenant_id, country_code, prefix, hour_start, sent, verified, cap_count) \
         VALUES (?1, ?2, ?3, ?4, 0, 1, 0) \
         ON CONFLICT (tenant_id, country_code, prefix, hour_start) DO UPDATE SET \
         verified = verified + 1",
        params![
            key.tenant_id,
            key.country_code,
            sms_prefix(&key.phone),
            hour_start(sent_at)
        ],
    )?;
    Ok(())
}

#[async_trait]
impl SmsGuards for SqliteStore {
    async fn list_prefix_blocks(&self, now: Millis) -> Result<Vec<PrefixBlock>> {
        self.read(move |conn| {
            all(
                conn,
                "SELECT tenant_id, country_code, prefix, blocked_at, until, throttled \
                 FROM sms_prefix_blocks WHERE until > ?1 \
                 ORDER BY tenant_id, country_code, prefix",
                [now],
                |row| {
                    Ok(PrefixBlock {
                        tenant_id: col(row, "tenant_id")?,
                        country_code: col(row, "country_code")?,
                        prefix: col(row, "prefix")?,
                        blocked_at: col(row, "blocked_at")?,
                        until: col(row, "until")?,
                        throttled: col(row, "throttled")?,
                    })
                },
            )
        })
        .await
    }

    async fn lift_prefix_block(
        &self,
        tenant_id: i64,
        country_code: &str,
        prefix: &str,
        now: Millis,
    ) -> Result<bool> {
        let (country_code, prefix) = (country_code.to_owned(), prefix.to_owned());
        self.write(move |conn| {
            let lifted = execute(
                conn,
                "DELETE FROM sms_prefix_blocks \
                 WHERE tenant_id = ?1 AND country_code = ?2 AND prefix = ?3 AND until > ?4",
                params![tenant_id, country_code, prefix, now],
            )?;
            execute(
                conn,
                "UPDATE sms_prefix_counts SET cap_count = 0 \
                 WHERE tenant_id = ?1 AND country_code = ?2 AND prefix = ?3 AND cap_count > 0",
                params![tenant_id, country_code, prefix],
            )?;
            Ok(lifted > 0)
        })
        .await
    }
}
