//! After a channel took a message, in SQLite: where it went, its receipts, the
//! delivery reports pushed to tenants, and delivered segments for billing.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use rusqlite::{params, params_from_iter, Connection, Row};

use super::{all, col, execute, map_err, optional, SqliteStore};
use crate::{
    Delivery, DeliveryResult, ReceiptOutcome, ReceiptUpdate, Result, SendStatus, SmsDeliveries,
    SmsUsage, TenantReport,
};

/// `?, ?, …` for `n` parameters.
fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Settles a leased message (see `SmsQueue::settle_message`), in the caller's
/// transaction.
pub(super) fn settle(
    conn: &Connection,
    id: i64,
    result: &DeliveryResult,
    now: Millis,
) -> Result<()> {
    let state = match result {
        DeliveryResult::Failed { .. } => "failed",
        _ => "done",
    };
    // The text is forgotten once settled: only the masked record remains.
    let settled: Option<(String, i64)> = optional(
        conn,
        "UPDATE sms_queue SET state = ?, sealed_text = X'', lease_until = NULL \
         WHERE id = ? AND state IN ('queued', 'leased') RETURNING biz_id, tenant_id",
        params![state, id],
        |row| Ok((row.get(0).map_err(map_err)?, row.get(1).map_err(map_err)?)),
    )?;
    let Some((biz_id, tenant_id)) = settled else {
        return Ok(());
    };
    match result {
        DeliveryResult::Failed { err_code, report } => {
            let target = Target {
                tenant_id,
                biz_id: &biz_id,
                segments: 0,
                report: *report,
            };
            finish(conn, &target, false, Some(err_code), now, None)?;
        }
        DeliveryResult::Delivered(d) => {
            record_delivery(conn, id, tenant_id, &biz_id, d, now)?;
            let target = Target {
                tenant_id,
                biz_id: &biz_id,
                segments: d.segments,
                report: d.report,
            };
            finish(conn, &target, true, None, now, Some(&d.day))?;
        }
        DeliveryResult::Accepted(d) => {
            record_delivery(conn, id, tenant_id, &biz_id, d, now)?;
            for form in &d.id_forms {
                // A form another message already holds stays with it: the SMSC's
                // ids are unique, only a hex/decimal coincidence could meet.
                execute(
                    conn,
                    "INSERT INTO sms_delivery_ids (provider, form, message_id) VALUES (?, ?, ?) \
                     ON CONFLICT DO NOTHING",
                    params![d.provider, form, id],
                )?;
            }
            if d.id_forms.is_empty() {
                return Ok(());
            }
            // A receipt that came before this acceptance was recorded.
            let sql = format!(
                "SELECT delivered, err_code, received_at FROM sms_early_receipts \
                 WHERE provider = ? AND form IN ({}) LIMIT 1",
                placeholders(d.id_forms.len())
            );
            let args =
                std::iter::once(d.provider.as_str()).chain(d.id_forms.iter().map(String::as_str));
            let early: Option<(bool, Option<String>, Millis)> =
                optional(conn, &sql, params_from_iter(args.clone()), |row| {
                    Ok((
                        row.get(0).map_err(map_err)?,
                        row.get(1).map_err(map_err)?,
                        row.get(2).map_err(map_err)?,
                    ))
                })?;
            if let Some((delivered, err_code, at)) = early {
                let target = Target {
                    tenant_id,
                    biz_id: &biz_id,
                    segments: d.segments,
                    report: d.report,
                };
                finish(
                    conn,
                    &target,
                    delivered,
                    err_code.as_deref(),
                    at.max(now),
                    Some(&d.day),
                )?;
                let sql = format!(
                    "DELETE FROM sms_early_receipts WHERE provider = ? AND form IN ({})",
                    placeholders(d.id_forms.len())
                );
                execute(conn, &sql, params_from_iter(args))?;
            }
        }
    }
    Ok(())
}

fn record_delivery(
    conn: &Connection,
    id: i64,
    tenant_id: i64,
    biz_id: &str,
    d: &Delivery,
    now: Millis,
) -> Result<()> {
    execute(
        conn,
        "INSERT INTO sms_deliveries (message_id, tenant_id, biz_id, provider, \
         provider_message_id, segments, report, accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (message_id) DO NOTHING",
        params![
            id,
            tenant_id,
            biz_id,
            d.provider,
            d.provider_message_id,
            i64::from(d.segments),
            d.report,
            now
        ],
    )?;
    Ok(())
}

/// The message a final status is for.
struct Target<'a> {
    tenant_id: i64,
    biz_id: &'a str,
    segments: u32,
    report: bool,
}

/// Makes a message's send record final (delivered or failed), once: counts a
/// delivery for billing on `day` and queues the tenant's report. Whether it
/// changed anything (a record already final stays as it is).
fn finish(
    conn: &Connection,
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
    let changed: Option<(Option<String>, Option<String>)> = optional(
        conn,
        "UPDATE send_records SET status = ?, received_at = ?, err_code = ? \
         WHERE biz_id = ? AND status = ? RETURNING stat_scheme, stat_day",
        params![
            status as i64,
            at,
            err_code,
            t.biz_id,
            SendStatus::Waiting as i64
        ],
        |row| Ok((row.get(0).map_err(map_err)?, row.get(1).map_err(map_err)?)),
    )?;
    let Some(stat) = changed else {
        return Ok(false);
    };
    // The send was counted as unknown (records from before statistics were not).
    let (scheme, stat_day) = stat;
    if let (Some(scheme), Some(stat_day)) = (&scheme, stat_day) {
        super::stats::settle_sms(conn, t.tenant_id, scheme, &stat_day, delivered)?;
    }
    // Billed per delivered segment, in the month of the delivery's day.
    if let (true, Some(day)) = (delivered, day) {
        super::billing::charge_in(
            conn,
            &crate::sms_charge(t.tenant_id, scheme, day, t.segments, at),
        )?;
    }
    if let (true, Some(day)) = (delivered, day) {
        execute(
            conn,
            "INSERT INTO sms_usage (tenant_id, day, messages, segments) VALUES (?, ?, 1, ?) \
             ON CONFLICT (tenant_id, day) DO UPDATE SET messages = messages + 1, \
             segments = segments + excluded.segments",
            params![t.tenant_id, day, i64::from(t.segments)],
        )?;
    }
    if t.report {
        execute(
            conn,
            "INSERT INTO sms_reports (tenant_id, biz_id, country_code, phone, out_id, sent_at, \
             report_at, success, err_code, segments, next_attempt_at, created_at) \
             SELECT tenant_id, biz_id, country_code, phone, out_id, sent_at, ?, ?, ?, ?, ?, ? \
             FROM send_records WHERE biz_id = ?",
            params![
                at,
                delivered,
                err_code,
                i64::from(t.segments),
                at,
                at,
                t.biz_id
            ],
        )?;
    }
    Ok(true)
}

fn report(row: &Row<'_>) -> Result<TenantReport> {
    let segments: i64 = col(row, "segments")?;
    let attempts: i64 = col(row, "attempts_before")?;
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
impl SmsDeliveries for SqliteStore {
    async fn record_receipt(&self, r: ReceiptUpdate) -> Result<ReceiptOutcome> {
        if r.id_forms.is_empty() {
            return Ok(ReceiptOutcome::Early);
        }
        self.write(move |conn| {
            let sql = format!(
                "SELECT d.tenant_id, d.biz_id, d.segments, d.report FROM sms_delivery_ids i \
                 JOIN sms_deliveries d ON d.message_id = i.message_id \
                 WHERE i.provider = ? AND i.form IN ({}) LIMIT 1",
                placeholders(r.id_forms.len())
            );
            let args =
                std::iter::once(r.provider.as_str()).chain(r.id_forms.iter().map(String::as_str));
            let found: Option<(i64, String, i64, bool)> =
                optional(conn, &sql, params_from_iter(args), |row| {
                    Ok((
                        row.get(0).map_err(map_err)?,
                        row.get(1).map_err(map_err)?,
                        row.get(2).map_err(map_err)?,
                        row.get(3).map_err(map_err)?,
                    ))
                })?;
            let Some((tenant_id, biz_id, segments, report)) = found else {
                for form in &r.id_forms {
                    execute(
                        conn,
                        "INSERT INTO sms_early_receipts (provider, form, delivered, err_code, \
                         received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (provider, form) \
                         DO UPDATE SET delivered = excluded.delivered, \
                         err_code = excluded.err_code, received_at = excluded.received_at",
                        params![r.provider, form, r.delivered, r.err_code, r.at],
                    )?;
                }
                return Ok(ReceiptOutcome::Early);
            };
            let target = Target {
                tenant_id,
                biz_id: &biz_id,
                segments: u32::try_from(segments).unwrap_or(0),
                report,
            };
            let changed = finish(
                conn,
                &target,
                r.delivered,
                r.err_code.as_deref(),
                r.at,
                Some(&r.day),
            )?;
            Ok(if changed {
                ReceiptOutcome::Applied { tenant_id, biz_id }
            } else {
                ReceiptOutcome::Repeated
            })
        })
        .await
    }

    async fn claim_reports(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> Result<Vec<TenantReport>> {
        let limit = i64::from(limit);
        let mut claimed = self
            .write_atomic(move |conn| {
                all(
                    conn,
                    "UPDATE sms_reports SET lease_until = ?1, attempts = attempts + 1, \
                     next_attempt_at = ?1 \
                     WHERE id IN (SELECT id FROM sms_reports WHERE next_attempt_at <= ?2 \
                       ORDER BY next_attempt_at LIMIT ?3) \
                     RETURNING id, tenant_id, biz_id, country_code, phone, out_id, sent_at, \
                       report_at, success, err_code, segments, attempts - 1 AS attempts_before",
                    params![lease_until, now, limit],
                    report,
                )
            })
            .await?;
        claimed.sort_by_key(|r| r.id);
        Ok(claimed)
    }

    async fn ack_reports(&self, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids = ids.to_vec();
        self.write_atomic(move |conn| {
            let sql = format!(
                "DELETE FROM sms_reports WHERE id IN ({})",
                placeholders(ids.len())
            );
            execute(conn, &sql, params_from_iter(ids.iter()))?;
            Ok(())
        })
        .await
    }

    async fn retry_reports(&self, ids: &[i64], retry_at: Millis) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids = ids.to_vec();
        self.write_atomic(move |conn| {
            let sql = format!(
                "UPDATE sms_reports SET next_attempt_at = ?, lease_until = NULL \
                 WHERE id IN ({})",
                placeholders(ids.len())
            );
            let args = std::iter::once(retry_at).chain(ids.iter().copied());
            execute(conn, &sql, params_from_iter(args))?;
            Ok(())
        })
        .await
    }

    async fn sms_usage(
        &self,
        tenant_id: i64,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<SmsUsage>> {
        let (from, to) = (from_day.to_owned(), to_day.to_owned());
        self.read(move |conn| {
            all(
                conn,
                "SELECT day, messages, segments FROM sms_usage \
                 WHERE tenant_id = ? AND day >= ? AND day <= ? ORDER BY day",
                params![tenant_id, from, to],
                |row| {
                    Ok(SmsUsage {
                        day: col(row, "day")?,
                        messages: super::to_u64(col(row, "messages")?),
                        segments: super::to_u64(col(row, "segments")?),
                    })
                },
            )
        })
        .await
    }
}
