//! The SMS guards in PostgreSQL: prefix blocks and caps, the country cap, the
//! tenant's daily budget and the conversion counts, inside the send's and the
//! check's transactions; and the operator's view of the blocks.
//!
//! The caps are exact across nodes: each counter is taken by a conditional upsert
//! (`INSERT … ON CONFLICT DO UPDATE … WHERE count < cap RETURNING`). Concurrent
//! sends to one prefix queue on the counter row's lock, and PostgreSQL re-checks
//! the WHERE on the row as the previous holder committed it, so no read-then-write
//! lets two sends take the last place. Every send takes the rows in one order
//! (prefix, country, budget), so sends cannot deadlock on them.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use sqlx::PgConnection;

use super::{col, map_err, PgStore};
use crate::{
    hour_start, sms_prefix, CodeKey, NewCode, PrefixBlock, Result, SendOutcome, SmsGuards, HOUR_MS,
};

/// Before anything is written: a refusal for a blocked prefix, or whether the
/// prefix is throttled for its conversion rate (which cap applies).
pub(super) async fn check(
    conn: &mut PgConnection,
    new: &NewCode,
) -> Result<Result<bool, SendOutcome>> {
    let key = &new.key;
    let g = &new.guards;
    let row = sqlx::query(
        "SELECT (SELECT until FROM sms_prefix_blocks \
                 WHERE tenant_id = $1 AND country_code = $2 AND prefix = $3 AND until > $4) \
                AS until, \
         COALESCE(SUM(sent), 0)::BIGINT AS sent, COALESCE(SUM(verified), 0)::BIGINT AS verified \
         FROM sms_prefix_counts \
         WHERE tenant_id = $1 AND country_code = $2 AND prefix = $3 AND hour_start > $5",
    )
    .bind(key.tenant_id)
    .bind(&key.country_code)
    .bind(sms_prefix(&key.phone))
    .bind(new.now)
    .bind(new.now.saturating_sub(g.conversion_window_ms.max(HOUR_MS)))
    .fetch_one(&mut *conn)
    .await
    .map_err(map_err)?;
    if let Some(until) = col::<Option<i64>>(&row, "until")? {
        return Ok(Err(SendOutcome::PrefixBlocked { until }));
    }
    let (sent, verified): (i64, i64) = (col(&row, "sent")?, col(&row, "verified")?);
    Ok(Ok(g.throttles(
        u64::try_from(sent).unwrap_or(0),
        u64::try_from(verified).unwrap_or(0),
    )))
}

/// Counts the send for every guard, each only under its cap: the refusal of the
/// first cap reached, with the counters already taken left for the caller to roll
/// back (its savepoint), or `None` when all were taken.
pub(super) async fn count_send(
    conn: &mut PgConnection,
    new: &NewCode,
    throttled: bool,
) -> Result<Option<SendOutcome>> {
    let key = &new.key;
    let g = &new.guards;
    let hour = hour_start(new.now);
    let cap = if throttled {
        g.throttled_prefix_hourly_cap
    } else {
        g.prefix_hourly_cap
    };
    let prefix = sqlx::query(
        "INSERT INTO sms_prefix_counts AS c \
         (tenant_id, country_code, prefix, hour_start, sent, verified, cap_count) \
         SELECT $1, $2, $3, $4, 1, 0, 1 WHERE $5 > 0 \
         ON CONFLICT (tenant_id, country_code, prefix, hour_start) DO UPDATE SET \
         sent = c.sent + 1, cap_count = c.cap_count + 1 WHERE c.cap_count < $5 \
         RETURNING c.cap_count",
    )
    .bind(key.tenant_id)
    .bind(&key.country_code)
    .bind(sms_prefix(&key.phone))
    .bind(hour)
    .bind(i64::from(cap))
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?;
    if prefix.is_none() {
        let until = new.now.saturating_add(g.prefix_block_ms);
        return Ok(Some(SendOutcome::PrefixCapReached { throttled, until }));
    }
    let country = sqlx::query(
        "INSERT INTO sms_country_counts AS c (tenant_id, country_code, hour_start, sent) \
         SELECT $1, $2, $3, 1 WHERE $4 > 0 \
         ON CONFLICT (tenant_id, country_code, hour_start) DO UPDATE SET \
         sent = c.sent + 1 WHERE c.sent < $4 RETURNING c.sent",
    )
    .bind(key.tenant_id)
    .bind(&key.country_code)
    .bind(hour)
    .bind(i64::from(g.country_hourly_cap))
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?;
    if country.is_none() {
        return Ok(Some(SendOutcome::CountryCapReached));
    }
    let budget = sqlx::query(
        "INSERT INTO sms_budget_days AS b (tenant_id, day_start, sent) \
         SELECT $1, $2, 1 WHERE $3 > 0 \
         ON CONFLICT (tenant_id, day_start) DO UPDATE SET \
         sent = b.sent + 1 WHERE b.sent < $3 RETURNING b.sent",
    )
    .bind(key.tenant_id)
    .bind(g.day_start(new.now))
    .bind(i64::from(g.daily_budget))
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?;
    if budget.is_none() {
        return Ok(Some(SendOutcome::DailyBudgetReached));
    }
    Ok(None)
}

/// Blocks the prefix until `until`; a block still in force keeps its own end.
pub(super) async fn block(
    conn: &mut PgConnection,
    key: &CodeKey,
    now: Millis,
    until: Millis,
    throttled: bool,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sms_prefix_blocks AS b \
         (tenant_id, country_code, prefix, blocked_at, until, throttled) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (tenant_id, country_code, prefix) DO UPDATE SET \
         blocked_at = excluded.blocked_at, until = excluded.until, \
         throttled = excluded.throttled WHERE b.until <= excluded.blocked_at",
    )
    .bind(key.tenant_id)
    .bind(&key.country_code)
    .bind(sms_prefix(&key.phone))
    .bind(now)
    .bind(until)
    .bind(throttled)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

#[async_trait]
impl SmsGuards for PgStore {
    async fn list_prefix_blocks(&self, now: Millis) -> Result<Vec<PrefixBlock>> {
        let rows = sqlx::query(
            "SELECT tenant_id, country_code, prefix, blocked_at, until, throttled \
             FROM sms_prefix_blocks WHERE until > $1 ORDER BY tenant_id, country_code, prefix",
        )
        .bind(now)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(PrefixBlock {
                    tenant_id: col(row, "tenant_id")?,
                    country_code: col(row, "country_code")?,
                    prefix: col(row, "prefix")?,
                    blocked_at: col(row, "blocked_at")?,
                    until: col(row, "until")?,
                    throttled: col(row, "throttled")?,
                })
            })
            .collect()
    }

    async fn lift_prefix_block(
        &self,
        tenant_id: i64,
        country_code: &str,
        prefix: &str,
        now: Millis,
    ) -> Result<bool> {
        // One statement: the block goes and the cap counts restart together.
        let lifted: bool = sqlx::query_scalar(
            "WITH lifted AS (DELETE FROM sms_prefix_blocks \
               WHERE tenant_id = $1 AND country_code = $2 AND prefix = $3 AND until > $4 \
               RETURNING 1), \
             reset AS (UPDATE sms_prefix_counts SET cap_count = 0 \
               WHERE tenant_id = $1 AND country_code = $2 AND prefix = $3 AND cap_count > 0) \
             SELECT EXISTS (SELECT 1 FROM lifted)",
        )
        .bind(tenant_id)
        .bind(country_code)
        .bind(prefix)
        .bind(now)
        .fetch_one(self.pool())
        .await
        .map_err(map_err)?;
        Ok(lifted)
    }
}
