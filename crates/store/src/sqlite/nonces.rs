//! The replay guard in SQLite: a nonce is claimed once per AccessKey.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use rusqlite::params;

use super::{execute, SqliteStore};
use crate::{Nonces, Result};

#[async_trait]
impl Nonces for SqliteStore {
    async fn claim_nonce(
        &self,
        access_key_id: &str,
        nonce: &str,
        keep_until: Millis,
    ) -> Result<bool> {
        let (key, nonce) = (access_key_id.to_owned(), nonce.to_owned());
        self.write_atomic(move |conn| {
            // The primary key decides: a second claim inserts nothing. A row stays
            // until purge_expired removes it after keep_until; without a `now`
            // here, an expired but unpurged row still refuses (the safe side).
            let inserted = execute(
                conn,
                "INSERT INTO nonces (access_key_id, nonce, keep_until) VALUES (?, ?, ?) \
                 ON CONFLICT (access_key_id, nonce) DO NOTHING",
                params![key, nonce, keep_until],
            )?;
            Ok(inserted == 1)
        })
        .await
    }
}
