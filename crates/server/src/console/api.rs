//! The console's JSON API under `/console/api`. A tenant user sees their own
//! tenant only; an operator names the tenant (`?tenant=`).

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use numgate_store::{ConsoleSession, Tenant, UserRole};
use serde::Deserialize;
use serde_json::{json, Value};

use super::session::{self, ConsoleError};
use crate::state::AppState;
use crate::DEFAULT_TENANT;

#[derive(Debug, Default, Deserialize)]
pub struct TenantQuery {
    pub tenant: Option<String>,
}

/// `GET /console/api/me`: the signed-in user and their tenant.
pub async fn me(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ConsoleError> {
    let s = session::require_api(&state, &headers).await?;
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

/// `GET /console/api/schemes[?tenant=NAME]`: the tenant's schemes.
pub async fn schemes(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<TenantQuery>,
) -> Result<Json<Value>, ConsoleError> {
    let s = session::require_api(&state, &headers).await?;
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let schemes: Vec<Value> = state
        .store
        .list_schemes(tenant.id)
        .await?
        .into_iter()
        .map(|r| {
            json!({
                "code": r.code,
                "name": r.name,
                "app_name": r.app_name,
                "os_type": r.os_type,
                "pack_name": r.pack_name,
                "bundle_id": r.bundle_id,
                "url": r.url,
            })
        })
        .collect();
    Ok(Json(json!({ "tenant": tenant.name, "schemes": schemes })))
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
