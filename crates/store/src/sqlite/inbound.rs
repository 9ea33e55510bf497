//! Upstream (MO) messages in SQLite: recorded, taken once, listed. A take is one
//! conditional UPDATE in the writer: the writer runs jobs one after another, and
//! another process's writes wait for its lock, so two takes never get one message.

use async_trait::async_trait;
use rusqlite::{params, Row};

use super::{all, col, execute, map_err, one, SqliteStore};
use crate::{InboundRecord, InboundSms, InboundTake, NewInbound, Result};

fn record(row: &Row<'_>) -> Result<InboundRecord> {
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
impl InboundSms for SqliteStore {
    async fn record_inbound(&self, m: NewInbound) -> Result<i64> {
        self.write_atomic(move |conn| {
            one(
                conn,
                "INSERT INTO inbound_sms (sender, recipient, text, received_at) \
                 VALUES (?, ?, ?, ?) RETURNING id",
                params![m.from, m.to, m.text, m.received_at],
                |row| row.get(0).map_err(map_err),
            )
        })
        .await
    }

    async fn take_inbound(&self, t: InboundTake) -> Result<bool> {
        self.write_atomic(move |conn| {
            let taken = execute(
                conn,
                "UPDATE inbound_sms SET consumed_at = ? WHERE id = ( \
                   SELECT id FROM inbound_sms WHERE sender = ? AND recipient = ? \
                   AND received_at >= ? AND consumed_at IS NULL AND text = ? \
                   ORDER BY received_at, id LIMIT 1)",
                params![t.now, t.from, t.to, t.since, t.text],
            )?;
            Ok(taken == 1)
        })
        .await
    }

    async fn take_inbound_from_anyone(&self, t: InboundTake) -> Result<Option<String>> {
        self.write_atomic(move |conn| {
            all(
                conn,
                "UPDATE inbound_sms SET consumed_at = ? WHERE id = ( \
                   SELECT id FROM inbound_sms WHERE recipient = ? \
                   AND received_at >= ? AND consumed_at IS NULL AND text = ? \
                   ORDER BY received_at, id LIMIT 1) RETURNING sender",
                params![t.now, t.to, t.since, t.text],
                |row| row.get::<_, String>(0).map_err(map_err),
            )
            .map(|v| v.into_iter().next())
        })
        .await
    }

    async fn list_inbound(&self, limit: u32) -> Result<Vec<InboundRecord>> {
        let limit = i64::from(limit);
        self.read(move |conn| {
            all(
                conn,
                "SELECT id, sender, recipient, text, received_at, consumed_at FROM inbound_sms \
                 ORDER BY received_at DESC, id DESC LIMIT ?",
                params![limit],
                record,
            )
        })
        .await
    }
}
