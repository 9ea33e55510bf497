//! Creating console users (`numgate users create`): the password is hashed
//! here and never stored or shown.

use numgate_domain::clock::Millis;
use numgate_store::{NewUser, Store, StoreError, UserRecord, UserRole};

use super::password::{self, PasswordError};
use crate::DEFAULT_TENANT;

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("a user name is 1 to 64 letters, digits, '.', '-', '_' or '@'")]
    BadName,
    #[error("a tenant user needs --tenant, an operator must not have one")]
    TenantRole,
    #[error("no tenant named {0:?}")]
    UnknownTenant(String),
    #[error("a user named {0:?} exists")]
    Taken(String),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Store(StoreError),
}

pub async fn create(
    store: &dyn Store,
    name: &str,
    role: UserRole,
    tenant: Option<&str>,
    password: &str,
    now: Millis,
) -> Result<UserRecord, CreateUserError> {
    let well_formed = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b));
    if !well_formed {
        return Err(CreateUserError::BadName);
    }
    let tenant_id = match (role, tenant) {
        // The default tenant is created if new (as the server does at its
        // start); any other must exist: a typo creates nothing.
        (UserRole::Tenant, Some(t)) if t == DEFAULT_TENANT => Some(
            store
                .ensure_tenant(t, now)
                .await
                .map_err(CreateUserError::Store)?
                .id,
        ),
        (UserRole::Tenant, Some(t)) => Some(
            store
                .find_tenant(t)
                .await
                .map_err(CreateUserError::Store)?
                .ok_or_else(|| CreateUserError::UnknownTenant(t.to_owned()))?
                .id,
        ),
        (UserRole::Operator, None) => None,
        _ => return Err(CreateUserError::TenantRole),
    };
    let password = password.to_owned();
    let password_hash = tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|_| PasswordError::Hash)??;
    store
        .create_user(NewUser {
            name: name.to_owned(),
            role,
            tenant_id,
            password_hash,
            created_at: now,
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => CreateUserError::Taken(name.to_owned()),
            e => CreateUserError::Store(e),
        })
}
