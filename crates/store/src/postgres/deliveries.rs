//! After a channel took a message, in PostgreSQL: where it went, its receipts,
//! the delivery reports pushed to tenants, and delivered segments for billing.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use sqlx::postgres::PgRow;
use sqlx::PgConnection;

use super::{col, map_err, to_u64, PgStore};
use crate::{
    Delivery, DeliveryResult, ReceiptOutcome, ReceiptUpdate, Result, SendStatus, SmsDeliveries,
    SmsUsage, TenantReport,
};

/// Serialises, per provider message id, the recording of an acceptance and of a
/// receipt: whichever commits second sees the other (an early receipt is never
/// left behind by an acceptance recorded at the same moment). Locks are taken in
/// sorted order, so two transactions never wait for each other in a cycle.
async fn lock_forms(conn: &mut PgConnection, provider: &str, forms: &[String]) -> Result<()> {
    let mut keys: Vec<String> = forms.iter().map(|f| format!("{provider}\n{f}")).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 6))")
            .bind(key)
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
    }
    Ok(())
}

/// Settles a leased message (see `SmsQueue::settle_message`) in the caller's transaction.
pub(super) async fn settle(
    conn: &mut PgConnection,
    id: i64,
    result: &DeliveryResult,
    now: Millis,
) -> Result<()> {
    let state = match result {
        DeliveryResult::Failed { .. } => "failed",
        _ => "done",
    };
    if let DeliveryResult::Accepted(d) = result {
        lock_forms(conn, &d.provider, &d.id_forms).await?;
    }
    // The text is forgotten once settled: only the masked record remains. A
    // second settle waits for the first's row lock, then finds it settled.
    let settled = sqlx::query(
        "UPDATE sms_queue SET state = $1, sealed_text = ''::BYTEA, lease_until = NULL \
         WHERE id = $2 AND state IN ('queued', 'leased') RETURNING biz_id, tenant_id",
    )
    .bind(state)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?;
    let Some(row) = settled else {
        return Ok(());
    };
    let biz_id: String = col(&row, "biz_id")?;
    let tenant_id: i64 = col(&row, "tenant_id")?;
    match result {
        DeliveryResult::Failed { err_code, report } => {
            let t = Target {
                tenant_id,
                biz_id: &biz_id,
                segments: 0,
                report: *report,
            };
            finish(conn, &t, false, Some(err_code), now, None).await?;
        }
        DeliveryResult::Delivered(d) => {
            record_delivery(conn, id, tenant_id, &biz_id, d, now).await?;
            let t = Target {
                tenant_id,
                biz_id: &biz_id,
                segments: d.segments,
                report: d.report,
            };
            finish(conn, &t, true, None, now, Some(&d.day)).await?;
        }
        DeliveryResult::Accepted(d) => {
            record_delivery(conn, id, tenant_id, &biz_id, d, now).await?;
            // A form another message already holds stays with it.
            sqlx::query(
                "INSERT INTO sms_delivery_ids (provider, form, message_id) \
                 SELECT $1, form, $3 FROM UNNEST($2::TEXT[]) AS form ON CONFLICT DO NOTHING",
            )
            .bind(&d.provider)
            .bind(&d.id_forms)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
            // A receipt that came before this acceptance was recorded.
            let early = sqlx::query(
                "DELETE FROM sms_early_receipts WHERE provider = $1 AND form = ANY($2) \
                 RETURNING delivered, err_code, received_at",
            )
            .bind(&d.provider)
            .bind(&d.id_forms)
            .fetch_all(&mut *conn)
            .await
            .map_err(map_err)?;
            if let Some(row) = early.first() {
                let delivered: bool = col(row, "delivered")?;
                let err_code: Option<String> = col(row, "err_code")?;
                let at: i64 = col(row, "received_at")?;
                let t = Target {
                    tenant_id,
                    biz_id: &biz_id,
                    segments: d.segments,
                    report: d.report,
                };
                finish(
                    conn,
                    &t,
                    delivered,
                    err_code.as_deref(),
                    at.max(now),
                    Some(&d.day),
                )
                .await?;
            }
        }
    }
    Ok(())
}

async fn record_delivery(
    conn: &mut PgConnection,
    id: i64,
    tenant_id: i64,
    biz_id: &str,
    d: &Delivery,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sms_deliveries (message_id, tenant_id, biz_id, provider, \
         provider_message_id, segments, report, accepted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (message_id) DO NOTHING",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(biz_id)
    .bind(&d.provider)
    .bind(&d.provider_message_id)
    .bind(i32::try_from(d.segments).unwrap_or(i32::MAX))
    .bind(d.report)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// The message a final status is for.
struct Target<'a> {
    tenant_id: i64,
    biz_id: &'a str,
    segments: u32,
    report: bool,
}

/// Makes a message's send record final, once: counts a delivery for billing on
/// `day` and queues the tenant's report. Whether it changed anything.
async fn finish(
    conn: &mut PgConnection,
    t: &Target<'_>,
    delivered: bool,
    err_code: Option<&str>,
    at: Millis,
    day: Option<&str>,
) -> Result<bool> {
    let status = if delivered {
        SendStatus::Delivered
    } else {
        SendStatus::Failed
    };
    let changed: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "UPDATE send_records SET status = $1, received_at = $2, err_code = $3 \
         WHERE biz_id = $4 AND status = $5 RETURNING stat_scheme, stat_day",
    )
    .bind(status as i16)
    .bind(at)
    .bind(err_code)
    .bind(t.biz_id)
    .bind(SendStatus::Waiting as i16)
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?;
    let Some(stat) = changed else {
        return Ok(false);
    };
    // The send was counted as unknown (records from before statistics were not).
    let (scheme, stat_day) = stat;
    if let (Some(scheme), Some(stat_day)) = (&scheme, stat_day) {
        super::stats::settle_sms(&mut *conn, t.tenant_id, scheme, &stat_day, delivered).await?;
    }
    // Billed per delivered segment, in the month of the delivery's day.
    if let (true, Some(day)) = (delivered, day) {
        let charge = crate::sms_charge(t.tenant_id, scheme, day, t.segments, at);
        super::billing::charge_in(&mut *conn, &charge).await?;
    }
    if let (true, Some(day)) = (delivered, day) {
        sqlx::query(
            "INSERT INTO sms_usage (tenant_id, day, messages, segments) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (tenant_id, day) DO UPDATE SET messages = sms_usage.messages + 1, \
             segments = sms_usage.segments + excluded.segments",
        )
        .bind(t.tenant_id)
        .bind(day)
        .bind(i64::from(t.segments))
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    }
    if t.report {
        sqlx::query(
            "INSERT INTO sms_reports (tenant_id, biz_id, country_code, phone, out_id, sent_at, \
             report_at, success, err_code, segments, next_attempt_at, created_at) \
             SELECT tenant_id, biz_id, country_code, phone, out_id, sent_at, $1, $2, $3, $4, $1, $1 \
             FROM send_records WHERE biz_id = $5",
        )
        .bind(at)
        .bind(delivered)
        .bind(err_code)
        .bind(i32::try_from(t.segments).unwrap_or(i32::MAX))
        .bind(t.biz_id)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    }
    Ok(true)
}

fn report(row: &PgRow) -> Result<TenantReport> {
    let segments: i32 = col(row, "segments")?;
    let attempts: i32 = col(row, "attempts_before")?;
    Ok(TenantReport {
        id: col(row, "id")?,
        tenant_id: col(row, "tenant_id")?,
        biz_id: col(row, "biz_id")?,
        country_code: col(row, "country_code")?,
        phone: col(row, "phone")?,
        out_id: col(row, "out_id")?,
        sent_at: col(row, "sent_at")?,
        report_at: col(row, "report_at")?,
        success: col(row, "success")?,
        err_code: col(row, "err_code")?,
        segments: u32::try_from(segments).unwrap_or(0),
        attempts: u32::try_from(attempts).unwrap_or(0),
    })
}

#[async_trait]
impl SmsDeliveries for PgStore {
    async fn record_receipt(&self, r: ReceiptUpdate) -> Result<ReceiptOutcome> {
        if r.id_forms.is_empty() {
            return Ok(ReceiptOutcome::Early);
        }
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        lock_forms(&mut tx, &r.provider, &r.id_forms).await?;
        let found = sqlx::query(
            "SELECT d.tenant_id, d.biz_id, d.segments, d.report FROM sms_delivery_ids i \
             JOIN sms_deliveries d ON d.message_id = i.message_id \
             WHERE i.provider = $1 AND i.form = ANY($2) LIMIT 1",
        )
        .bind(&r.provider)
        .bind(&r.id_forms)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let outcome = match found {
            None => {
                sqlx::query(
                    "INSERT INTO sms_early_receipts (provider, form, delivered, err_code, \
                     received_at) SELECT $1, form, $3, $4, $5 FROM UNNEST($2::TEXT[]) AS form \
                     ON CONFLICT (provider, form) DO UPDATE SET delivered = excluded.delivered, \
                     err_code = excluded.err_code, received_at = excluded.received_at",
                )
                .bind(&r.provider)
                .bind(&r.id_forms)
                .bind(r.delivered)
                .bind(&r.err_code)
                .bind(r.at)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
                ReceiptOutcome::Early
            }
            Some(row) => {
                let tenant_id: i64 = col(&row, "tenant_id")?;
                let biz_id: String = col(&row, "biz_id")?;
                let segments: i32 = col(&row, "segments")?;
                let t = Target {
                    tenant_id,
                    biz_id: &biz_id,
                    segments: u32::try_from(segments).unwrap_or(0),
                    report: col(&row, "report")?,
                };
                let changed = finish(
                    &mut tx,
                    &t,
                    r.delivered,
                    r.err_code.as_deref(),
                    r.at,
                    Some(&r.day),
                )
                .await?;
                if changed {
                    ReceiptOutcome::Applied { tenant_id, biz_id }
                } else {
                    ReceiptOutcome::Repeated
                }
            }
        };
        tx.commit().await.map_err(map_err)?;
        Ok(outcome)
    }

    async fn claim_reports(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> Result<Vec<TenantReport>> {
        let mut claimed = sqlx::query(
            "WITH due AS (SELECT id FROM sms_reports WHERE next_attempt_at <= $2 \
               ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
             UPDATE sms_reports SET lease_until = $1, attempts = attempts + 1, \
               next_attempt_at = $1 \
             WHERE id IN (SELECT id FROM due) \
             RETURNING id, tenant_id, biz_id, country_code, phone, out_id, sent_at, \
               report_at, success, err_code, segments, attempts - 1 AS attempts_before",
        )
        .bind(lease_until)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?
        .iter()
        .map(report)
        .collect::<Result<Vec<_>>>()?;
        claimed.sort_by_key(|r| r.id);
        Ok(claimed)
    }

    async fn ack_reports(&self, ids: &[i64]) -> Result<()> {
        sqlx::query("DELETE FROM sms_reports WHERE id = ANY($1)")
            .bind(ids)
            .execute(self.pool())
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn retry_reports(&self, ids: &[i64], retry_at: Millis) -> Result<()> {
        sqlx::query(
            "UPDATE sms_reports SET next_attempt_at = $1, lease_until = NULL WHERE id = ANY($2)",
        )
        .bind(retry_at)
        .bind(ids)
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn sms_usage(
        &self,
        tenant_id: i64,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<SmsUsage>> {
        let rows = sqlx::query(
            "SELECT day, messages, segments FROM sms_usage \
             WHERE tenant_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
        )
        .bind(tenant_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(SmsUsage {
                    day: col(row, "day")?,
                    messages: to_u64(col(row, "messages")?),
                    segments: to_u64(col(row, "segments")?),
                })
            })
            .collect()
    }
}
