//! Verification codes in SQLite: sending (limits, code, record, queue) and checking.

use async_trait::async_trait;
use numgate_domain::stats::Outcome;
use rusqlite::{params, Connection, Row};

use super::{all, col, execute, exists, guards, map_err, one, optional, to_u64, SqliteStore};
use crate::{
    CheckOutcome, CodeCheck, Codes, NewCode, Result, SendOutcome, SendQuery, SendRecord,
    SendStatus, DAY_MS, HOUR_MS,
};

/// The WHERE clause of one code key: parameters 1 to 4 are (tenant, country, phone,
/// scheme); a statement's own parameters are numbered from 5.
const KEY: &str = "tenant_id = ?1 AND country_code = ?2 AND phone = ?3 AND scheme = ?4";

#[async_trait]
impl Codes for SqliteStore {
    async fn send_code(&self, new: NewCode) -> Result<SendOutcome> {
        // One job: the limits are checked and the code stored under one write lock,
        // so two concurrent sends cannot both slip under a cap.
        self.write(move |conn| send(conn, &new)).await
    }

    async fn check_code(&self, check: CodeCheck) -> Result<CheckOutcome> {
        // In a savepoint: a pass writes twice (the code used, the prefix's verified
        // count), and both or neither stay.
        self.write(move |conn| check_one(conn, &check)).await
    }

    async fn query_send_details(&self, q: SendQuery) -> Result<(u64, Vec<SendRecord>)> {
        self.read(move |conn| {
            // ?6 twice: no biz_id, or that one.
            let filter = "tenant_id = ?1 AND country_code = ?2 AND phone = ?3 \
                          AND sent_at >= ?4 AND sent_at < ?5 AND (?6 IS NULL OR biz_id = ?6)";
            let total: i64 = one(
                conn,
                &format!("SELECT COUNT(*) FROM send_records WHERE {filter}"),
                params![q.tenant_id, q.country_code, q.phone, q.from, q.to, q.biz_id],
                |row| row.get(0).map_err(map_err),
            )?;
            let limit = i64::from(q.page_size);
            let offset = i64::from(q.page.max(1) - 1).saturating_mul(limit);
            let records = all(
                conn,
                &format!(
                    "SELECT biz_id, country_code, phone, status, err_code, template_code, \
                     content, sent_at, received_at, out_id FROM send_records WHERE {filter} \
                     ORDER BY sent_at DESC, id DESC LIMIT ?7 OFFSET ?8"
                ),
                params![
                    q.tenant_id,
                    q.country_code,
                    q.phone,
                    q.from,
                    q.to,
                    q.biz_id,
                    limit,
                    offset
                ],
                send_record,
            )?;
            Ok((to_u64(total), records))
        })
        .await
    }
}

fn send_record(row: &Row<'_>) -> Result<SendRecord> {
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

fn send(conn: &Connection, new: &NewCode) -> Result<SendOutcome> {
    let key = &new.key;
    let now = new.now;

    let recent = exists(
        conn,
        &format!("SELECT 1 FROM codes WHERE {KEY} AND created_at > ?5 LIMIT 1"),
        params![
            key.tenant_id,
            key.country_code,
            key.phone,
            key.scheme,
            now.saturating_sub(new.interval_ms)
        ],
    )?;
    // No interval means none: a concurrent send that read the clock a moment
    // later than this one may have committed first, "in the future" of `now`.
    if recent && new.interval_ms > 0 {
        return Ok(SendOutcome::TooSoon);
    }

    // The caps count sends to the number under any scheme of the tenant.
    let (day, hour): (i64, i64) = one(
        conn,
        "SELECT COUNT(*) AS day, COALESCE(SUM(sent_at > ?), 0) AS hour FROM send_records \
         WHERE tenant_id = ? AND country_code = ? AND phone = ? AND sent_at > ?",
        params![
            now.saturating_sub(HOUR_MS),
            key.tenant_id,
            key.country_code,
            key.phone,
            now.saturating_sub(DAY_MS)
        ],
        |row| Ok((col(row, "day")?, col(row, "hour")?)),
    )?;
    if day >= i64::from(new.daily_cap) {
        return Ok(SendOutcome::DailyCapReached);
    }
    if hour >= i64::from(new.hourly_cap) {
        return Ok(SendOutcome::HourlyCapReached);
    }
    // Only a refusal that blocks the prefix writes (the block), and then nothing else.
    let throttled = match guards::check(conn, new)? {
        Ok(throttled) => throttled,
        Err(refusal) => return Ok(refusal),
    };

    if new.replace_older {
        execute(
            conn,
            &format!("UPDATE codes SET state = 'replaced' WHERE {KEY} AND state = 'pending'"),
            params![key.tenant_id, key.country_code, key.phone, key.scheme],
        )?;
    }
    execute(
        conn,
        "INSERT INTO codes (tenant_id, country_code, phone, scheme, code_hash, code_hash_folded, \
         state, attempts, created_at, expires_at, out_id) \
         VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
        params![
            key.tenant_id,
            key.country_code,
            key.phone,
            key.scheme,
            new.code_hash,
            new.code_hash_folded,
            now,
            new.expires_at,
            new.out_id
        ],
    )?;
    let stat = crate::sms_stat_key(key, now, new.guards.utc_offset_ms);
    execute(
        conn,
        "INSERT INTO send_records (tenant_id, biz_id, country_code, phone, status, \
         template_code, sign_name, content, out_id, sent_at, stat_scheme, stat_day) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            key.tenant_id,
            new.biz_id,
            key.country_code,
            key.phone,
            SendStatus::Waiting as i64,
            new.template_code,
            new.sign_name,
            new.masked_content,
            new.out_id,
            now,
            key.scheme,
            stat.day
        ],
    )?;
    // Counted as unknown until its final status moves it (see `Statistics`).
    super::stats::bump(conn, &stat, Outcome::Unknown, 1)?;
    execute(
        conn,
        "INSERT INTO sms_queue (tenant_id, biz_id, country_code, phone, sealed_text, state, \
         attempts, next_attempt_at, auto_retry, up_extend_code, created_at) \
         VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?)",
        params![
            key.tenant_id,
            new.biz_id,
            key.country_code,
            key.phone,
            new.sealed_text,
            now,
            new.auto_retry,
            new.up_extend_code,
            now
        ],
    )?;
    guards::count_send(conn, new)?;
    Ok(if throttled {
        SendOutcome::SentThrottled
    } else {
        SendOutcome::Sent
    })
}

fn check_one(conn: &Connection, check: &CodeCheck) -> Result<CheckOutcome> {
    let key = &check.key;
    let hash_column = if check.folded {
        "code_hash_folded"
    } else {
        "code_hash"
    };
    let max = i64::from(check.max_attempts);
    // The consuming update is its own condition: the state, attempts and expiry are
    // re-checked by the statement that flips the state, never read first. Under
    // DuplicatePolicy 2 two live codes may share a hash; LIMIT 1 uses up only one.
    let passed = optional(
        conn,
        &format!(
            "UPDATE codes SET state = 'used' WHERE state = 'pending' AND id = (\
             SELECT id FROM codes WHERE {KEY} AND {hash_column} = ?5 AND state = 'pending' \
             AND attempts < ?6 AND expires_at > ?7 ORDER BY created_at DESC LIMIT 1) \
             RETURNING out_id, created_at"
        ),
        params![
            key.tenant_id,
            key.country_code,
            key.phone,
            key.scheme,
            check.code_hash,
            max,
            check.now
        ],
        |row| {
            Ok((
                row.get::<_, Option<String>>("out_id").unwrap_or(None),
                col::<i64>(row, "created_at")?,
            ))
        },
    )?;
    if let Some((out_id, sent_at)) = passed {
        // In the job's savepoint: should this fail, the code is not used either.
        guards::count_verified(conn, key, sent_at)?;
        return Ok(CheckOutcome::Pass { out_id });
    }
    // A wrong guess counts against every live code of the key, so that guessing
    // cannot go on past max_attempts by spreading over codes.
    execute(
        conn,
        &format!(
            "UPDATE codes SET attempts = attempts + 1 \
             WHERE {KEY} AND state = 'pending' AND expires_at > ?5 AND attempts < ?6"
        ),
        params![
            key.tenant_id,
            key.country_code,
            key.phone,
            key.scheme,
            check.now,
            max
        ],
    )?;
    Ok(CheckOutcome::NoMatch)
}
