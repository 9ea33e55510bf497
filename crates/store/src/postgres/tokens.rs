//! Single use of tokens in PostgreSQL: a token id is consumed once, across nodes.

use async_trait::async_trait;
use numgate_domain::clock::Millis;

use super::{map_err, PgStore};
use crate::{Result, Tokens};

#[async_trait]
impl Tokens for PgStore {
    async fn consume_token(&self, id: &str, keep_until: Millis) -> Result<bool> {
        // One autocommitted statement; the primary key decides: of two nodes using
        // one token at once, the second's insert waits for the first's commit and
        // then inserts nothing. A row stays until purge_expired removes it after
        // keep_until; an expired but unpurged row still refuses (the safe side).
        let done = sqlx::query(
            "INSERT INTO consumed_tokens (id, keep_until) VALUES ($1, $2) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(keep_until)
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }
}
