//! Verification codes in SQLite: sending (limits, code, record, queue) and checking.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::SqliteConnection;

use super::{col, map_err, to_u64, SqliteStore};
use crate::{
    CheckOutcome, CodeCheck, CodeKey, Codes, NewCode, Result, SendOutcome, SendQuery, SendRecord,
    SendStatus,
};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The WHERE clause of one code key; binds (tenant, country, phone, scheme) in that order.
const KEY: &str = "tenant_id = ? AND country_code = ? AND phone = ? AND scheme = ?";

fn bind_key<'q>(
    q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    key: &'q CodeKey,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    q.bind(key.tenant_id)
        .bind(&key.country_code)
        .bind(&key.phone)
        .bind(&key.scheme)
}

#[async_trait]
impl Codes for SqliteStore {
    async fn send_code(&self, new: NewCode) -> Result<SendOutcome> {
        // One job: the limits are checked and the code stored under one write lock,
        // so two concurrent sends cannot both slip under a cap.
        self.write(move |conn| Box::pin(async move { send(conn, &new).await }))
            .await
    }

    async fn check_code(&self, check: CodeCheck) -> Result<CheckOutcome> {
        // Atomic: the consuming update returns at once; the attempts update runs
        // only when the first changed nothing.
        self.write_atomic(move |conn| Box::pin(async move { check_one(conn, &check).await }))
            .await
    }

    async fn query_send_details(&self, q: SendQuery) -> Result<(u64, Vec<SendRecord>)> {
        let filter = "tenant_id = ? AND country_code = ? AND phone = ? \
                      AND sent_at >= ? AND sent_at < ? AND (? IS NULL OR biz_id = ?)";
        let total: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM send_records WHERE {filter}"))
                .bind(q.tenant_id)
                .bind(&q.country_code)
                .bind(&q.phone)
                .bind(q.from)
                .bind(q.to)
                .bind(&q.biz_id)
                .bind(&q.biz_id)
                .fetch_one(self.reader())
                .await
                .map_err(map_err)?;
        let limit = i64::from(q.page_size);
        let offset = i64::from(q.page.max(1) - 1).saturating_mul(limit);
        let rows = sqlx::query(&format!(
            "SELECT biz_id, country_code, phone, status, err_code, template_code, content, \
             sent_at, received_at, out_id FROM send_records WHERE {filter} \
             ORDER BY sent_at DESC, id DESC LIMIT ? OFFSET ?"
        ))
        .bind(q.tenant_id)
        .bind(&q.country_code)
        .bind(&q.phone)
        .bind(q.from)
        .bind(q.to)
        .bind(&q.biz_id)
        .bind(&q.biz_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await
        .map_err(map_err)?;
        let records = rows.iter().map(send_record).collect::<Result<Vec<_>>>()?;
        Ok((to_u64(total), records))
    }
}

fn send_record(row: &SqliteRow) -> Result<SendRecord> {
    Ok(SendRecord {
        biz_id: col(row, "biz_id")?,
        country_code: col(row, "country_code")?,
        phone: col(row, "phone")?,
        status: SendStatus::from_i64(col(row, "status")?),
        err_code: col(row, "err_code")?,
        template_code: col(row, "template_code")?,
        content: col(row, "content")?,
        sent_at: col(row, "sent_at")?,
        received_at: col(row, "received_at")?,
        out_id: col(row, "out_id")?,
    })
}

async fn send(conn: &mut SqliteConnection, new: &NewCode) -> Result<SendOutcome> {
    let key = &new.key;
    let now = new.now;

    let recent = bind_key(
        sqlx::query(&format!(
            "SELECT 1 FROM codes WHERE {KEY} AND created_at > ? LIMIT 1"
        )),
        key,
    )
    .bind(now.saturating_sub(new.interval_ms))
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?;
    if recent.is_some() {
        return Ok(SendOutcome::TooSoon);
    }

    // The caps count sends to the number under any scheme of the tenant.
    let row = sqlx::query(
        "SELECT COUNT(*) AS day, COALESCE(SUM(sent_at > ?), 0) AS hour FROM send_records \
         WHERE tenant_id = ? AND country_code = ? AND phone = ? AND sent_at > ?",
    )
    .bind(now.saturating_sub(HOUR_MS))
    .bind(key.tenant_id)
    .bind(&key.country_code)
    .bind(&key.phone)
    .bind(now.saturating_sub(DAY_MS))
    .fetch_one(&mut *conn)
    .await
    .map_err(map_err)?;
    let (day, hour): (i64, i64) = (col(&row, "day")?, col(&row, "hour")?);
    if day >= i64::from(new.daily_cap) {
        return Ok(SendOutcome::DailyCapReached);
    }
    if hour >= i64::from(new.hourly_cap) {
        return Ok(SendOutcome::HourlyCapReached);
    }

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
    sqlx::query(
        "INSERT INTO codes (tenant_id, country_code, phone, scheme, code_hash, code_hash_folded, \
         state, attempts, created_at, expires_at, out_id) \
         VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
    )
    .bind(key.tenant_id)
    .bind(&key.country_code)
    .bind(&key.phone)
    .bind(&key.scheme)
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
         template_code, sign_name, content, out_id, sent_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(key.tenant_id)
    .bind(&new.biz_id)
    .bind(&key.country_code)
    .bind(&key.phone)
    .bind(SendStatus::Waiting as i64)
    .bind(&new.template_code)
    .bind(&new.sign_name)
    .bind(&new.masked_content)
    .bind(&new.out_id)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    sqlx::query(
        "INSERT INTO sms_queue (tenant_id, biz_id, country_code, phone, sealed_text, state, \
         attempts, next_attempt_at, auto_retry, up_extend_code, created_at) \
         VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?)",
    )
    .bind(key.tenant_id)
    .bind(&new.biz_id)
    .bind(&key.country_code)
    .bind(&key.phone)
    .bind(&new.sealed_text)
    .bind(now)
    .bind(new.auto_retry)
    .bind(&new.up_extend_code)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(SendOutcome::Sent)
}

async fn check_one(conn: &mut SqliteConnection, check: &CodeCheck) -> Result<CheckOutcome> {
    let hash_column = if check.folded {
        "code_hash_folded"
    } else {
        "code_hash"
    };
    let max = i64::from(check.max_attempts);
    // The consuming update is its own condition: the state, attempts and expiry are
    // re-checked by the statement that flips the state, never read first. Under
    // DuplicatePolicy 2 two live codes may share a hash; LIMIT 1 uses up only one.
    let passed = bind_key(
        sqlx::query(&format!(
            "UPDATE codes SET state = 'used' WHERE state = 'pending' AND id = (\
             SELECT id FROM codes WHERE {KEY} AND {hash_column} = ? AND state = 'pending' \
             AND attempts < ? AND expires_at > ? ORDER BY created_at DESC LIMIT 1) \
             RETURNING out_id"
        )),
        &check.key,
    )
    .bind(&check.code_hash)
    .bind(max)
    .bind(check.now)
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?;
    if let Some(row) = passed {
        // Infallible from here: the code is consumed, so nothing may fail after it.
        let out_id = sqlx::Row::try_get::<Option<String>, _>(&row, "out_id").unwrap_or(None);
        return Ok(CheckOutcome::Pass { out_id });
    }
    // A wrong guess counts against every live code of the key, so that guessing
    // cannot go on past max_attempts by spreading over codes.
    bind_key(
        sqlx::query(&format!(
            "UPDATE codes SET attempts = attempts + 1 \
             WHERE {KEY} AND state = 'pending' AND expires_at > ? AND attempts < ?"
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
