//! AccessKeys: created with a random id and secret, the secret sealed at rest.

use numgate_domain::secrets::SecretBox;
use numgate_store::{AccessKeys, NewAccessKey, StoreError};
use rand::distributions::{Alphanumeric, DistString};
use rand::rngs::OsRng;
use zeroize::Zeroizing;

/// A key as handed to its owner, once: the secret is not kept in clear anywhere.
pub struct IssuedKey {
    pub id: String,
    pub secret: Zeroizing<String>,
}

/// Creates a key for the tenant: an id in Alibaba's shape (`LTAI` and 20
/// characters) and a 30-character secret, both from the OS CSPRNG.
pub async fn create(
    store: &dyn AccessKeys,
    secrets: &SecretBox,
    tenant_id: i64,
    now: i64,
) -> Result<IssuedKey, StoreError> {
    loop {
        let id = format!("LTAI{}", Alphanumeric.sample_string(&mut OsRng, 20));
        let secret = Zeroizing::new(Alphanumeric.sample_string(&mut OsRng, 30));
        let new = NewAccessKey {
            id: id.clone(),
            tenant_id,
            sealed_secret: secrets.seal(secret.as_bytes()),
            created_at: now,
        };
        match store.create_access_key(new).await {
            Ok(()) => return Ok(IssuedKey { id, secret }),
            // 20 random characters collide practically never; if they do, draw again.
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
}
