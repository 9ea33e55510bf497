//! AccessKeys: created with a random id and secret, the secret sealed at rest;
//! disabled and enabled by their tenant. The console's changes are audited
//! (`access_key.create|disable|enable`, never the secret).

use numgate_domain::secrets::SecretBox;
use numgate_store::{AccessKeyRecord, AccessKeys, NewAccessKey, Store, StoreError};
use rand::distributions::{Alphanumeric, DistString};
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use super::audit::{self, Actor, Change};

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

/// Creates a key for the tenant ([`create`]) and audits it (`access_key.create`:
/// its id, never its secret).
pub async fn create_audited(
    store: &dyn Store,
    secrets: &SecretBox,
    tenant_id: i64,
    actor: &Actor,
    now: i64,
) -> Result<IssuedKey, StoreError> {
    let issued = create(store, secrets, tenant_id, now).await?;
    audit::record(
        store,
        Change {
            tenant_id,
            actor,
            action: "access_key.create",
            target: format!("access key {}", issued.id),
            before: None,
            after: Some(serde_json::json!({ "enabled": true }).to_string()),
        },
        now,
    )
    .await?;
    Ok(issued)
}

/// The tenant's key of that id; `None` for an unknown id and for another
/// tenant's key alike.
pub async fn find_own(
    store: &dyn Store,
    tenant_id: i64,
    id: &str,
) -> Result<Option<AccessKeyRecord>, StoreError> {
    Ok(store
        .find_access_key(id)
        .await?
        .filter(|k| k.tenant_id == tenant_id))
}

/// Disables or enables the tenant's key and audits the change
/// (`access_key.disable|enable`; nothing when it already was so). `None` when
/// the tenant has no key of that id (another tenant's key is not touched).
pub async fn set_enabled(
    store: &dyn Store,
    tenant_id: i64,
    id: &str,
    enabled: bool,
    actor: &Actor,
    now: i64,
) -> Result<Option<AccessKeyRecord>, StoreError> {
    let Some(before) = find_own(store, tenant_id, id).await? else {
        return Ok(None);
    };
    if before.enabled == enabled {
        return Ok(Some(before));
    }
    if !store.set_access_key_enabled(id, enabled).await? {
        return Ok(None);
    }
    audit::record(
        store,
        Change {
            tenant_id,
            actor,
            action: if enabled {
                "access_key.enable"
            } else {
                "access_key.disable"
            },
            target: format!("access key {id}"),
            before: Some(serde_json::json!({ "enabled": before.enabled }).to_string()),
            after: Some(serde_json::json!({ "enabled": enabled }).to_string()),
        },
        now,
    )
    .await?;
    Ok(Some(AccessKeyRecord { enabled, ..before }))
}
