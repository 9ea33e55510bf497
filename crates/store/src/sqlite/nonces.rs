//! The replay guard in SQLite: a nonce is claimed once per AccessKey.

use async_trait::async_trait;
use numgate_domain::clock::Millis;

use super::{map_err, SqliteStore};
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
            Box::pin(async move {
                // The primary key decides: a second claim inserts nothing. A row stays
                // until purge_expired removes it after keep_until; without a `now`
                // here, an expired but unpurged row still refuses (the safe side).
                let done = sqlx::query(
                    "INSERT INTO nonces (access_key_id, nonce, keep_until) VALUES (?, ?, ?) \
                     ON CONFLICT (access_key_id, nonce) DO NOTHING",
                )
                .bind(&key)
                .bind(&nonce)
                .bind(keep_until)
                .execute(&mut *conn)
                .await
                .map_err(map_err)?;
                Ok(done.rows_affected() == 1)
            })
        })
        .await
    }
}
