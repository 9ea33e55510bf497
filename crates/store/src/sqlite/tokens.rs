//! Single use of tokens in SQLite: a token id is consumed once.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use rusqlite::params;

use super::{execute, SqliteStore};
use crate::{Result, Tokens};

#[async_trait]
impl Tokens for SqliteStore {
    async fn consume_token(&self, id: &str, keep_until: Millis) -> Result<bool> {
        let id = id.to_owned();
        self.write_atomic(move |conn| {
            // The primary key decides: a second use inserts nothing, also within one
            // group-committed batch (the writer runs its jobs one after another). A
            // row stays until purge_expired removes it after keep_until; an expired
            // but unpurged row still refuses (the safe side).
            let inserted = execute(
                conn,
                "INSERT INTO consumed_tokens (id, keep_until) VALUES (?, ?) \
                 ON CONFLICT (id) DO NOTHING",
                params![id, keep_until],
            )?;
            Ok(inserted == 1)
        })
        .await
    }
}
