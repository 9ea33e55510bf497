//! Verification codes in PostgreSQL: sending (limits, code, record, queue) and
//! checking, correct with any number of nodes sending and checking at once.

use async_trait::async_trait;
use numgate_domain::stats::Outcome;
use sqlx::postgres::PgRow;
use sqlx::PgConnection;

use super::{col, guards, map_err, to_u64, PgStore};
use crate::{
    sms_prefix, CheckOutcome, CodeCheck, CodeKey, Codes, NewCode, Result, SendOutcome, SendQuery,
    SendRecord, SendStatus, DAY_MS, HOUR_MS,
};

/// The WHERE clause of one code key; binds (tenant, country, phone, scheme) as $1–$4.
const KEY: &str = "tenant_id = $1 AND country_code = $2 AND phone = $3 AND scheme = $4";

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

fn bind_key<'q>(q: PgQuery<'q>, key: &'q CodeKey) -> PgQuery<'q> {
    q.bind(key.tenant_id)
        .bind(&key.country_code)
        .bind(&key.phone)
        .bind(&key.scheme)
}

#[async_trait]
impl Codes for PgStore {
    async fn send_code(&self, new: NewCode) -> Result<SendOutcome> {
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        let outcome = send(&mut tx, &new).await?;
        // A refusal wrote nothing; committing it costs nothing either.
        tx.commit().await.map_err(map_err)?;
        Ok(outcome)
    }

    async fn check_code(&self, check: CodeCheck) -> Result<CheckOutcome> {
        // No transaction around the two statements: each commits by itself, the
        // second runs only when the first changed nothing, so there is never a
        // partial change to undo; BEGIN and COMMIT would be two more round trips.
        // The first also counts the pass for the prefix, in the same statement.
        let mut conn = self.pool().acquire().await.map_err(map_err)?;
        check_one(&mut conn, &check).await
    }

    async fn query_send_details(&self, q: SendQuery) -> Result<(u64, Vec<SendRecord>)> {
        let filter = "tenant_id = $1 AND country_code = $2 AND phone = $3 \
                      AND sent_at >= $4 AND sent_at < $5 AND ($6::TEXT IS NULL OR biz_id = $6)";
        let total: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM send_records WHERE {filter}"))
                .bind(q.tenant_id)
                .bind(&q.country_code)
                .bind(&q.phone)
                .bind(q.from)
                .bind(q.to)
                .bind(&q.biz_id)
                .fetch_one(self.pool())
                .await
                .map_err(map_err)?;
        let limit = i64::from(q.page_size);
        let offset = i64::from(q.page.max(1) - 1).saturating_mul(limit);
        let rows = sqlx::query(&format!(
            "SELECT biz_id, country_code, phone, status, err_code, template_code, content, \
             sent_at, received_at, out_id FROM send_records WHERE {filter} \
             ORDER BY sent_at DESC, id DESC LIMIT $7 OFFSET $8"
        ))
        .bind(q.tenant_id)
        .bind(&q.country_code)
        .bind(&q.phone)
        .bind(q.from)
        .bind(q.to)
        .bind(&q.biz_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        let records = rows.iter().map(send_record).collect::<Result<Vec<_>>>()?;
        Ok((to_u64(total), records))
    }
}

fn send_record(row: &PgRow) -> Result<SendRecord> {
    let status: i16 = col(row, "status")?;
    Ok(SendRecord {
        biz_id: col(row, "biz_id")?,
        country_code: col(row, "country_code")?,
        phone: col(row, "phone")?,
        status: SendStatus::from_i64(i64::from(status)),
        err_code: col(row, "err_code")?,
        template_code: col(row, "template_code")?,
        content: col(row, "content")?,
        sent_at: col(row, "sent_at")?,
        received_at: col(row, "received_at")?,
        out_id: col(row, "out_id")?,
    })
}

/// The limits and the storing of one send, in the caller's transaction.
async fn send(conn: &mut PgConnection, new: &NewCode) -> Result<SendOutcome> {
    let key = &new.key;
    let now = new.now;

    // Sends to one number take turns, across all nodes: the lock is held until this
    // transaction ends, and every statement after it (READ COMMITTED) sees what the
    // previous holder committed. Without it two sends could both count 4 of a cap of
    // 5 and both go out. The key is hashed by the server, so that every node (of any
    // build) derives the same lock from the same number.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!(
            "numgate/send/{}/{}/{}",
            key.tenant_id, key.country_code, key.phone
        ))
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;

    // The interval is per code key; the caps count sends to the number under any
    // scheme of the tenant.
    let row = bind_key(
        sqlx::query(&format!(
            "SELECT EXISTS (SELECT 1 FROM codes WHERE {KEY} AND created_at > $5) AS recent, \
             COUNT(*) AS day, COUNT(*) FILTER (WHERE sent_at > $6) AS hour \
             FROM send_records WHERE tenant_id = $1 AND country_code = $2 AND phone = $3 \
             AND sent_at > $7"
        )),
        key,
    )
    .bind(now.saturating_sub(new.interval_ms))
    .bind(now.saturating_sub(HOUR_MS))
    .bind(now.saturating_sub(DAY_MS))
    .fetch_one(&mut *conn)
    .await
    .map_err(map_err)?;
    let (recent, day, hour): (bool, i64, i64) =
        (col(&row, "recent")?, col(&row, "day")?, col(&row, "hour")?);
    // No interval means none: a concurrent send that read the clock a moment
    // later than this one may have committed first, "in the future" of `now`.
    if recent && new.interval_ms > 0 {
        return Ok(SendOutcome::TooSoon);
    }
    if day >= i64::from(new.daily_cap) {
        return Ok(SendOutcome::DailyCapReached);
    }
    if hour >= i64::from(new.hourly_cap) {
        return Ok(SendOutcome::HourlyCapReached);
    }
    let throttled = match guards::check(&mut *conn, new).await? {
        Ok(throttled) => throttled,
        Err(refusal) => return Ok(refusal),
    };

    // The writes in a savepoint: a guard's counter refusing (taken last, so that
    // their row locks are held briefly) undoes them all; only the block of a
    // prefix over its cap is written after that.
    let mut sp = sqlx::Connection::begin(&mut *conn).await.map_err(map_err)?;
    store(&mut sp, new).await?;
    if let Some(refusal) = guards::count_send(&mut sp, new, throttled).await? {
        sp.rollback().await.map_err(map_err)?;
        if let SendOutcome::PrefixCapReached { throttled, until } = refusal {
            guards::block(&mut *conn, key, now, until, throttled).await?;
        }
        return Ok(refusal);
    }
    // Counted as unknown until its final status moves it (see `Statistics`); last,
    // so that the counter row's lock is held briefly.
    let stat = crate::sms_stat_key(key, now, new.guards.utc_offset_ms);
    super::stats::bump(&mut sp, &stat, Outcome::Unknown, 1).await?;
    sp.commit().await.map_err(map_err)?;
    Ok(if throttled {
        SendOutcome::SentThrottled
    } else {
        SendOutcome::Sent
    })
}

/// The code, its send record and its queued message.
async fn store(conn: &mut PgConnection, new: &NewCode) -> Result<()> {
    let key = &new.key;
    let now = new.now;

    if new.replace_older {
        bind_key(
            sqlx::query(&format!(
                "UPDATE codes SET state = 'replaced' WHERE {KEY} AND state = 'pending'"
            )),
            key,
        )
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    }
    bind_key(
        sqlx::query(
            "INSERT INTO codes (tenant_id, country_code, phone, scheme, code_hash, \
             code_hash_folded, state, attempts, created_at, expires_at, out_id) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8, $9)",
        ),
        key,
    )
    .bind(&new.code_hash)
    .bind(&new.code_hash_folded)
    .bind(now)
    .bind(new.expires_at)
    .bind(&new.out_id)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    sqlx::query(
        "INSERT INTO send_records (tenant_id, biz_id, country_code, phone, status, \
         template_code, sign_name, content, out_id, sent_at, stat_scheme, stat_day) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(key.tenant_id)
    .bind(&new.biz_id)
    .bind(&key.country_code)
    .bind(&key.phone)
    .bind(SendStatus::Waiting as i16)
    .bind(&new.template_code)
    .bind(&new.sign_name)
    .bind(&new.masked_content)
    .bind(&new.out_id)
    .bind(now)
    .bind(&key.scheme)
    .bind(crate::sms_stat_key(key, now, new.guards.utc_offset_ms).day)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    sqlx::query(
        "INSERT INTO sms_queue (tenant_id, biz_id, country_code, phone, sealed_text, state, \
         attempts, next_attempt_at, auto_retry, up_extend_code, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $7, $8, $6)",
    )
    .bind(key.tenant_id)
    .bind(&new.biz_id)
    .bind(&key.country_code)
    .bind(&key.phone)
    .bind(&new.sealed_text)
    .bind(now)
    .bind(new.auto_retry)
    .bind(&new.up_extend_code)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// The check of one code, in the caller's transaction.
async fn check_one(conn: &mut PgConnection, check: &CodeCheck) -> Result<CheckOutcome> {
    let hash_column = if check.folded {
        "code_hash_folded"
    } else {
        "code_hash"
    };
    let max = i64::from(check.max_attempts);
    // The consuming update is its own condition, never read first. Of concurrent
    // checks (from any node) that picked the same row, all but the first wait for
    // its row lock; PostgreSQL then re-evaluates this WHERE on the row as the first
    // one left it ('used'), so exactly one passes. Under DuplicatePolicy 2 two live
    // codes may share a hash; LIMIT 1 uses up only one. The pass is counted as a
    // verified code of the prefix (in the hour the code was sent) by the same
    // statement.
    let passed = bind_key(
        sqlx::query(&format!(
            "WITH used AS (UPDATE codes SET state = 'used' WHERE id = (\
             SELECT id FROM codes WHERE {KEY} AND {hash_column} = $5 AND state = 'pending' \
             AND attempts < $6 AND expires_at > $7 ORDER BY created_at DESC LIMIT 1) \
             AND state = 'pending' AND attempts < $6 AND expires_at > $7 \
             RETURNING out_id, created_at), \
             verified AS (INSERT INTO sms_prefix_counts AS c \
             (tenant_id, country_code, prefix, hour_start, sent, verified, cap_count) \
             SELECT $1, $2, $8, created_at - created_at % {HOUR_MS}, 0, 1, 0 FROM used \
             ON CONFLICT (tenant_id, country_code, prefix, hour_start) DO UPDATE SET \
             verified = c.verified + 1) \
             SELECT out_id FROM used"
        )),
        &check.key,
    )
    .bind(&check.code_hash)
    .bind(max)
    .bind(check.now)
    .bind(sms_prefix(&check.key.phone))
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?;
    if let Some(row) = passed {
        // Infallible from here: the code is consumed, so nothing may fail after it.
        let out_id = sqlx::Row::try_get::<Option<String>, _>(&row, "out_id").unwrap_or(None);
        return Ok(CheckOutcome::Pass { out_id });
    }
    // A wrong guess counts against every live code of the key, so that guessing
    // cannot go on past max_attempts by spreading over codes. `attempts < max` is
    // re-checked under the row lock too: concurrent wrong guesses never push a code
    // past max.
    bind_key(
        sqlx::query(&format!(
            "UPDATE codes SET attempts = attempts + 1 \
             WHERE {KEY} AND state = 'pending' AND expires_at > $5 AND attempts < $6"
        )),
        &check.key,
    )
    .bind(check.now)
    .bind(max)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(CheckOutcome::NoMatch)
}
