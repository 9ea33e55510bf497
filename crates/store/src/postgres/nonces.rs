//! The replay guard in PostgreSQL: a nonce is claimed once per AccessKey, across nodes.

use async_trait::async_trait;
use numgate_domain::clock::Millis;

use super::{map_err, PgStore};
use crate::{Nonces, Result};

#[async_trait]
impl Nonces for PgStore {
    async fn claim_nonce(
        &self,
        access_key_id: &str,
        nonce: &str,
        keep_until: Millis,
    ) -> Result<bool> {
        // The primary key decides: of two nodes claiming one nonce at once, the
        // second's insert waits for the first's commit and then inserts nothing. A
        // row stays until purge_expired removes it after keep_until; an expired but
        // unpurged row still refuses (the safe side).
        let done = sqlx::query(
            "INSERT INTO nonces (access_key_id, nonce, keep_until) VALUES ($1, $2, $3) \
             ON CONFLICT (access_key_id, nonce) DO NOTHING",
        )
        .bind(access_key_id)
        .bind(nonce)
        .bind(keep_until)
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }
}
