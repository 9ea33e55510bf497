//! The SMS dispatch queue and the development outbox in PostgreSQL, shared by the
//! dispatchers of every node.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use sqlx::postgres::PgRow;

use super::{col, map_err, PgStore};
use crate::{DeliveryResult, OutboxEntry, QueuedSms, Result, SmsQueue};

fn queued(row: &PgRow) -> Result<QueuedSms> {
    let attempts: i32 = col(row, "attempts_before")?;
    Ok(QueuedSms {
        id: col(row, "id")?,
        tenant_id: col(row, "tenant_id")?,
        biz_id: col(row, "biz_id")?,
        country_code: col(row, "country_code")?,
        phone: col(row, "phone")?,
        sealed_text: col(row, "sealed_text")?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        auto_retry: col(row, "auto_retry")?,
        up_extend_code: col(row, "up_extend_code")?,
        route_step: u32::try_from(col::<i32>(row, "route_step")?).unwrap_or(0),
    })
}

fn outbox_entry(row: &PgRow) -> Result<OutboxEntry> {
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
impl SmsQueue for PgStore {
    async fn claim_messages(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> Result<Vec<QueuedSms>> {
        // One statement picks, locks and leases. SKIP LOCKED: dispatchers of other
        // nodes polling at the same moment pass over the rows this one has locked
        // (and take the next ones) instead of waiting for them or leasing them too;
        // a row leased by a commit since this statement began is re-checked under
        // its lock and dropped. Each half walks its own partial index (one OR would
        // sort every due row); the few extra rows locked are released at commit.
        let mut leased = sqlx::query(
            "WITH due AS ( \
               SELECT id FROM sms_queue WHERE state = 'queued' AND next_attempt_at <= $2 \
               ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED), \
             lapsed AS ( \
               SELECT id FROM sms_queue WHERE state = 'leased' AND lease_until <= $2 \
               ORDER BY lease_until LIMIT $3 FOR UPDATE SKIP LOCKED) \
             UPDATE sms_queue SET state = 'leased', lease_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM due UNION ALL SELECT id FROM lapsed ORDER BY id LIMIT $3) \
             RETURNING id, tenant_id, biz_id, country_code, phone, sealed_text, \
               attempts - 1 AS attempts_before, auto_retry, up_extend_code, route_step",
        )
        .bind(lease_until)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?
        .iter()
        .map(queued)
        .collect::<Result<Vec<_>>>()?;
        // RETURNING has no defined order; oldest first is what a dispatcher expects.
        leased.sort_by_key(|m| m.id);
        Ok(leased)
    }

    async fn settle_message(&self, id: i64, result: DeliveryResult, now: Millis) -> Result<()> {
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        super::deliveries::settle(&mut tx, id, &result, now).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn retry_message(
        &self,
        id: i64,
        retry_at: Millis,
        err: &str,
        next_provider: bool,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE sms_queue SET state = 'queued', next_attempt_at = $1, \
             lease_until = NULL, last_error = $2, route_step = route_step + $3 \
             WHERE id = $4 AND state = 'leased'",
        )
        .bind(retry_at)
        .bind(err)
        .bind(i32::from(next_provider))
        .bind(id)
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn put_outbox(&self, entry: OutboxEntry) -> Result<()> {
        // Keyed by the queue message: a redelivery after a lapsed lease (by this
        // node or another) is one entry.
        sqlx::query(
            "INSERT INTO outbox (message_id, tenant_id, biz_id, phone, sealed_text, status, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(entry.message_id)
        .bind(entry.tenant_id)
        .bind(&entry.biz_id)
        .bind(&entry.phone)
        .bind(&entry.sealed_text)
        .bind(&entry.status)
        .bind(entry.created_at)
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn list_outbox(&self, phone: Option<&str>, limit: u32) -> Result<Vec<OutboxEntry>> {
        const COLUMNS: &str =
            "SELECT message_id, tenant_id, biz_id, phone, sealed_text, status, created_at FROM outbox";
        // Two statements rather than `$1 IS NULL OR phone = $1`, which no index can serve.
        let rows = match phone {
            Some(phone) => {
                sqlx::query(&format!(
                    "{COLUMNS} WHERE phone = $1 ORDER BY created_at DESC, message_id DESC LIMIT $2"
                ))
                .bind(phone)
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await
            }
            None => {
                sqlx::query(&format!(
                    "{COLUMNS} ORDER BY created_at DESC, message_id DESC LIMIT $1"
                ))
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await
            }
        };
        rows.map_err(map_err)?.iter().map(outbox_entry).collect()
    }

    async fn list_tenant_outbox(
        &self,
        tenant_id: i64,
        phone: Option<&str>,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>> {
        const COLUMNS: &str =
            "SELECT message_id, tenant_id, biz_id, phone, sealed_text, status, created_at FROM outbox";
        let rows = match phone {
            Some(phone) => {
                sqlx::query(&format!(
                    "{COLUMNS} WHERE phone = $1 AND tenant_id = $2 \
                     ORDER BY created_at DESC, message_id DESC LIMIT $3"
                ))
                .bind(phone)
                .bind(tenant_id)
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await
            }
            None => {
                sqlx::query(&format!(
                "{COLUMNS} WHERE tenant_id = $1 ORDER BY created_at DESC, message_id DESC LIMIT $2"
            ))
                .bind(tenant_id)
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await
            }
        };
        rows.map_err(map_err)?.iter().map(outbox_entry).collect()
    }
}
