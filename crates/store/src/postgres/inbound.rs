//! Upstream (MO) messages in PostgreSQL: recorded, taken once across nodes, listed.

use async_trait::async_trait;
use sqlx::postgres::PgRow;

use super::{col, map_err, PgStore};
use crate::{InboundRecord, InboundSms, InboundTake, NewInbound, Result};

fn record(row: &PgRow) -> Result<InboundRecord> {
    Ok(InboundRecord {
        id: col(row, "id")?,
        from: col(row, "sender")?,
        to: col(row, "recipient")?,
        text: col(row, "text")?,
        received_at: col(row, "received_at")?,
        consumed_at: col(row, "consumed_at")?,
    })
}

#[async_trait]
impl InboundSms for PgStore {
    async fn record_inbound(&self, m: NewInbound) -> Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO inbound_sms (sender, recipient, text, received_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&m.from)
        .bind(&m.to)
        .bind(&m.text)
        .bind(m.received_at)
        .fetch_one(self.pool())
        .await
        .map_err(map_err)
    }

    async fn take_inbound(&self, t: InboundTake) -> Result<bool> {
        // One autocommitted statement. FOR UPDATE: of concurrent takes (on any
        // node) of one message, the others wait for the first's row lock, then
        // re-check the row (READ COMMITTED), find it consumed, and go on to the
        // next matching message or none; the outer condition re-checks as well.
        let taken = sqlx::query(
            "UPDATE inbound_sms SET consumed_at = $1 WHERE consumed_at IS NULL AND id = ( \
               SELECT id FROM inbound_sms WHERE sender = $2 AND recipient = $3 \
               AND received_at >= $4 AND consumed_at IS NULL AND text = $5 \
               ORDER BY received_at, id LIMIT 1 FOR UPDATE)",
        )
        .bind(t.now)
        .bind(&t.from)
        .bind(&t.to)
        .bind(t.since)
        .bind(&t.text)
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(taken.rows_affected() == 1)
    }

    async fn take_inbound_from_anyone(&self, t: InboundTake) -> Result<Option<String>> {
        // As `take_inbound`, without the sender in the match.
        let row = sqlx::query(
            "UPDATE inbound_sms SET consumed_at = $1 WHERE consumed_at IS NULL AND id = ( \
               SELECT id FROM inbound_sms WHERE recipient = $2 \
               AND received_at >= $3 AND consumed_at IS NULL AND text = $4 \
               ORDER BY received_at, id LIMIT 1 FOR UPDATE) RETURNING sender",
        )
        .bind(t.now)
        .bind(&t.to)
        .bind(t.since)
        .bind(&t.text)
        .fetch_optional(self.pool())
        .await
        .map_err(map_err)?;
        row.map(|r| sqlx::Row::try_get::<String, _>(&r, "sender").map_err(map_err))
            .transpose()
    }

    async fn list_inbound(&self, limit: u32) -> Result<Vec<InboundRecord>> {
        sqlx::query(
            "SELECT id, sender, recipient, text, received_at, consumed_at FROM inbound_sms \
             ORDER BY received_at DESC, id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?
        .iter()
        .map(record)
        .collect()
    }
}
