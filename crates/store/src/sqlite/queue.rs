//! The SMS dispatch queue and the development outbox in SQLite.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use sqlx::sqlite::SqliteRow;

use super::{col, map_err, SqliteStore};
use crate::{DeliveryResult, OutboxEntry, QueuedSms, Result, SendStatus, SmsQueue};

fn queued(row: &SqliteRow) -> Result<QueuedSms> {
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
    })
}

fn outbox_entry(row: &SqliteRow) -> Result<OutboxEntry> {
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
                Box::pin(async move {
                    // One statement picks and leases: two dispatchers (or nodes) never
                    // lease the same message while its lease runs.
                    // Each half walks its own partial index (one OR would scan the table).
                    let rows = sqlx::query(
                        "UPDATE sms_queue SET state = 'leased', lease_until = ?, \
                         attempts = attempts + 1 \
                         WHERE id IN ( \
                           SELECT id FROM (SELECT id FROM sms_queue \
                             WHERE state = 'queued' AND next_attempt_at <= ? \
                             ORDER BY next_attempt_at LIMIT ?) \
                           UNION ALL \
                           SELECT id FROM (SELECT id FROM sms_queue \
                             WHERE state = 'leased' AND lease_until <= ? \
                             ORDER BY lease_until LIMIT ?) \
                           ORDER BY id LIMIT ?) \
                         RETURNING id, tenant_id, biz_id, country_code, phone, sealed_text, \
                           attempts - 1 AS attempts_before, auto_retry, up_extend_code",
                    )
                    .bind(lease_until)
                    .bind(now)
                    .bind(limit)
                    .bind(now)
                    .bind(limit)
                    .bind(limit)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(map_err)?;
                    rows.iter().map(queued).collect::<Result<Vec<_>>>()
                })
            })
            .await?;
        // RETURNING has no defined order; oldest first is what a dispatcher expects.
        leased.sort_by_key(|m| m.id);
        Ok(leased)
    }

    async fn settle_message(&self, id: i64, result: DeliveryResult, now: Millis) -> Result<()> {
        let (state, status, err_code) = match result {
            DeliveryResult::Delivered => ("done", SendStatus::Delivered, None),
            DeliveryResult::Failed { err_code } => ("failed", SendStatus::Failed, Some(err_code)),
        };
        self.write(move |conn| {
            Box::pin(async move {
                // The text is forgotten once settled: only the masked record remains.
                // Settling twice changes nothing the second time.
                let settled: Option<String> = sqlx::query_scalar(
                    "UPDATE sms_queue SET state = ?, sealed_text = X'', lease_until = NULL \
                     WHERE id = ? AND state IN ('queued', 'leased') RETURNING biz_id",
                )
                .bind(state)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(map_err)?;
                let Some(biz_id) = settled else {
                    return Ok(());
                };
                sqlx::query(
                    "UPDATE send_records SET status = ?, received_at = ?, err_code = ? \
                     WHERE biz_id = ?",
                )
                .bind(status as i64)
                .bind(now)
                .bind(&err_code)
                .bind(&biz_id)
                .execute(&mut *conn)
                .await
                .map_err(map_err)?;
                Ok(())
            })
        })
        .await
    }

    async fn retry_message(&self, id: i64, retry_at: Millis, err: &str) -> Result<()> {
        let err = err.to_owned();
        self.write_atomic(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE sms_queue SET state = 'queued', next_attempt_at = ?, \
                     lease_until = NULL, last_error = ? WHERE id = ? AND state = 'leased'",
                )
                .bind(retry_at)
                .bind(&err)
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(map_err)?;
                Ok(())
            })
        })
        .await
    }

    async fn put_outbox(&self, entry: OutboxEntry) -> Result<()> {
        self.write_atomic(move |conn| {
            Box::pin(async move {
                // Keyed by the queue message: a redelivery after a lapsed lease is one entry.
                sqlx::query(
                    "INSERT INTO outbox (message_id, tenant_id, biz_id, phone, sealed_text, status, \
                     created_at) VALUES (?, ?, ?, ?, ?, ?, ?) \
                     ON CONFLICT (message_id) DO NOTHING",
                )
                .bind(entry.message_id)
                .bind(entry.tenant_id)
                .bind(&entry.biz_id)
                .bind(&entry.phone)
                .bind(&entry.sealed_text)
                .bind(&entry.status)
                .bind(entry.created_at)
                .execute(&mut *conn)
                .await
                .map_err(map_err)?;
                Ok(())
            })
        })
        .await
    }

    async fn list_outbox(&self, phone: Option<&str>, limit: u32) -> Result<Vec<OutboxEntry>> {
        const COLUMNS: &str =
            "SELECT message_id, tenant_id, biz_id, phone, sealed_text, status, created_at FROM outbox";
        // Two statements rather than `? IS NULL OR phone = ?`, which no index can serve.
        let sql = match phone {
            Some(_) => format!(
                "{COLUMNS} WHERE phone = ? ORDER BY created_at DESC, message_id DESC LIMIT ?"
            ),
            None => format!("{COLUMNS} ORDER BY created_at DESC, message_id DESC LIMIT ?"),
        };
        let mut q = sqlx::query(&sql);
        if let Some(phone) = phone {
            q = q.bind(phone);
        }
        q.bind(i64::from(limit))
            .fetch_all(self.reader())
            .await
            .map_err(map_err)?
            .iter()
            .map(outbox_entry)
            .collect()
    }
}
