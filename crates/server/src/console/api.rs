//! The console's JSON API under `/console/api`. Every handler takes an
//! [`ApiSession`] (a session, and the CSRF token on changes). A tenant user sees
//! their own tenant only; an operator names the tenant (`?tenant=`). Changes go
//! through the same service functions as the Open API, and are audited.

use axum::extract::State;
use axum::Json;
use numgate_store::{ConsoleSession, Tenant, UserRole};
use serde::Deserialize;
use serde_json::{json, Value};

use super::session::{ApiSession, ConsoleError};
use crate::error::ApiError;
use crate::service::audit::Actor;
use crate::state::AppState;
use crate::DEFAULT_TENANT;

/// The audit log's name for a console user.
pub fn actor(s: &ConsoleSession) -> Actor {
    Actor::Console(s.user.name.clone())
}

/// Bad input from a console form: 400 with `code` and `message`.
pub fn invalid(code: &str, message: impl Into<String>) -> ConsoleError {
    ConsoleError::Invalid {
        code: code.to_owned(),
        message: message.into(),
    }
}

impl From<ApiError> for ConsoleError {
    /// An Open API rule's refusal keeps its code and message (which never
    /// carry a secret); anything else is unexpected.
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Business { code, message } => invalid(code.code(), message),
            ApiError::Gateway(g) if g.http_status().is_client_error() => {
                invalid(&g.code(), g.message())
            }
            other => ConsoleError::Unexpected(Box::new(other)),
        }
    }
}

/// `GET /console/api/tenants`: for an operator, every tenant's name and the
/// default one; a tenant user sees only their own.
pub async fn tenants(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
) -> Result<Json<Value>, ConsoleError> {
    let names: Vec<String> = match (s.user.role, s.user.tenant_id) {
        (UserRole::Operator, _) => state
            .store
            .list_tenants()
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect(),
        (UserRole::Tenant, Some(id)) => state
            .store
            .find_tenant_by_id(id)
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect(),
        (UserRole::Tenant, None) => Vec::new(),
    };
    Ok(Json(json!({ "tenants": names, "default": DEFAULT_TENANT })))
}

#[derive(Debug, Default, Deserialize)]
pub struct TenantQuery {
    pub tenant: Option<String>,
}

/// `GET /console/api/me`: the signed-in user and their tenant.
pub async fn me(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = match s.user.tenant_id {
        Some(id) => state.store.find_tenant_by_id(id).await?.map(|t| t.name),
        None => None,
    };
    Ok(Json(json!({
        "name": s.user.name,
        "role": s.user.role.as_str(),
        "tenant": tenant,
        "csrf_token": s.csrf_token,
    })))
}

/// The tenant a request may see: a tenant user's own (naming another is
/// refused); for an operator the one named, else the default tenant.
pub async fn scoped_tenant(
    state: &AppState,
    s: &ConsoleSession,
    asked: Option<&str>,
) -> Result<Tenant, ConsoleError> {
    match (s.user.role, s.user.tenant_id) {
        (UserRole::Tenant, Some(id)) => {
            let own = state
                .store
                .find_tenant_by_id(id)
                .await?
                .ok_or(ConsoleError::NotFound)?;
            match asked {
                Some(name) if name != own.name => Err(ConsoleError::Forbidden),
                _ => Ok(own),
            }
        }
        (UserRole::Tenant, None) => Err(ConsoleError::Forbidden),
        (UserRole::Operator, _) => state
            .store
            .find_tenant(asked.unwrap_or(DEFAULT_TENANT))
            .await?
            .ok_or(ConsoleError::NotFound),
    }
}
