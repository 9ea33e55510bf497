//! The SMS dispatch queue and the development outbox in SQLite.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use rusqlite::{params, Row};

use super::{all, col, execute, SqliteStore};
use crate::{DeliveryResult, OutboxEntry, QueuedSms, Result, SmsQueue};

fn queued(row: &Row<'_>) -> Result<QueuedSms> {
    let attempts: i64 = col(row, "attempts_before")?;
    Ok(QueuedSms {
        id: col(row, "id")?,
        tenant_id: col(row, "tenant_id")?,
        biz_id: col(row, "biz_id")?,
        country_code: col(row, "country_code")?,
        phone: col(row, "phone")?,
        sealed_text: col(row, "sealed_text")?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        auto_retry: col(row, "auto_retry")?,
        up_extend_code: col(row, "up_extend_code")?,
        route_step: u32::try_from(col::<i64>(row, "route_step")?).unwrap_or(0),
    })
}

fn outbox_entry(row: &Row<'_>) -> Result<OutboxEntry> {
    Ok(OutboxEntry {
        message_id: col(row, "message_id")?,
        tenant_id: col(row, "tenant_id")?,
        biz_id: col(row, "biz_id")?,
        phone: col(row, "phone")?,
        sealed_text: col(row, "sealed_text")?,
        status: col(row, "status")?,
        created_at: col(row, "created_at")?,
    })
}

#[async_trait]
impl SmsQueue for SqliteStore {
    async fn claim_messages(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> Result<Vec<QueuedSms>> {
        let limit = i64::from(limit);
        let mut leased = self
            .write_atomic(move |conn| {
                // One statement picks and leases: two dispatchers (or nodes) never
                // lease the same message while its lease runs.
                // Each half walks its own partial index (one OR would scan the table).
                all(
                    conn,
                    "UPDATE sms_queue SET state = 'leased', lease_until = ?1, \
                     attempts = attempts + 1 \
                     WHERE id IN ( \
                       SELECT id FROM (SELECT id FROM sms_queue \
                         WHERE state = 'queued' AND next_attempt_at <= ?2 \
                         ORDER BY next_attempt_at LIMIT ?3) \
                       UNION ALL \
                       SELECT id FROM (SELECT id FROM sms_queue \
                         WHERE state = 'leased' AND lease_until <= ?2 \
                         ORDER BY lease_until LIMIT ?3) \
                       ORDER BY id LIMIT ?3) \
                     RETURNING id, tenant_id, biz_id, country_code, phone, sealed_text, \
                       attempts - 1 AS attempts_before, auto_retry, up_extend_code, route_step",
                    params![lease_until, now, limit],
                    queued,
                )
            })
            .await?;
        // RETURNING has no defined order; oldest first is what a dispatcher expects.
        leased.sort_by_key(|m| m.id);
        Ok(leased)
    }

    async fn settle_message(&self, id: i64, result: DeliveryResult, now: Millis) -> Result<()> {
        self.write(move |conn| super::deliveries::settle(conn, id, &result, now))
            .await
    }

    async fn retry_message(
        &self,
        id: i64,
        retry_at: Millis,
        err: &str,
        next_provider: bool,
    ) -> Result<()> {
        let err = err.to_owned();
        self.write_atomic(move |conn| {
            execute(
                conn,
                "UPDATE sms_queue SET state = 'queued', next_attempt_at = ?, \
                 lease_until = NULL, last_error = ?, route_step = route_step + ? \
                 WHERE id = ? AND state = 'leased'",
                params![retry_at, err, i64::from(next_provider), id],
            )?;
            Ok(())
        })
        .await
    }

    async fn put_outbox(&self, entry: OutboxEntry) -> Result<()> {
        self.write_atomic(move |conn| {
            // Keyed by the queue message: a redelivery after a lapsed lease is one entry.
            execute(
                conn,
                "INSERT INTO outbox (message_id, tenant_id, biz_id, phone, sealed_text, status, \
                 created_at) VALUES (?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (message_id) DO NOTHING",
                params![
                    entry.message_id,
                    entry.tenant_id,
                    entry.biz_id,
                    entry.phone,
                    entry.sealed_text,
                    entry.status,
                    entry.created_at
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn list_outbox(&self, phone: Option<&str>, limit: u32) -> Result<Vec<OutboxEntry>> {
        const COLUMNS: &str =
            "SELECT message_id, tenant_id, biz_id, phone, sealed_text, status, created_at FROM outbox";
        let phone = phone.map(str::to_owned);
        let limit = i64::from(limit);
        self.read(move |conn| match phone {
            // Two statements rather than `? IS NULL OR phone = ?`, which no index can serve.
            Some(phone) => all(
                conn,
                &format!(
                    "{COLUMNS} WHERE phone = ? ORDER BY created_at DESC, message_id DESC LIMIT ?"
                ),
                params![phone, limit],
                outbox_entry,
            ),
            None => all(
                conn,
                &format!("{COLUMNS} ORDER BY created_at DESC, message_id DESC LIMIT ?"),
                params![limit],
                outbox_entry,
            ),
        })
        .await
    }

    async fn list_tenant_outbox(
        &self,
        tenant_id: i64,
        phone: Option<&str>,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>> {
        const COLUMNS: &str =
            "SELECT message_id, tenant_id, biz_id, phone, sealed_text, status, created_at FROM outbox";
        let phone = phone.map(str::to_owned);
        let limit = i64::from(limit);
        self.read(move |conn| match phone {
            Some(phone) => all(
                conn,
                &format!(
                    "{COLUMNS} WHERE phone = ? AND tenant_id = ? \
                     ORDER BY created_at DESC, message_id DESC LIMIT ?"
                ),
                params![phone, tenant_id, limit],
                outbox_entry,
            ),
            None => all(
                conn,
                &format!(
                    "{COLUMNS} WHERE tenant_id = ? ORDER BY created_at DESC, message_id DESC LIMIT ?"
                ),
                params![tenant_id, limit],
                outbox_entry,
            ),
        })
        .await
    }
}
