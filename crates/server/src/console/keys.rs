//! The keys section's JSON API (see [`super::api`] for the conventions): the
//! tenant's AccessKeys listed (never a secret), created (the secret in the answer
//! of the create, once; numgate keeps it only sealed), disabled and enabled,
//! through [`crate::service::keys`], which audits every change.

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use numgate_store::AccessKeyRecord;
use serde_json::{json, Value};

use super::api::{actor, scoped_tenant, TenantQuery};
use super::session::{ApiSession, ConsoleError};
use crate::service::keys;
use crate::state::AppState;

/// The section's routes under `/console/api/keys`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/api/keys", get(list).post(create))
        .route("/console/api/keys/{id}/disable", post(disable))
        .route("/console/api/keys/{id}/enable", post(enable))
}

fn key_json(k: &AccessKeyRecord) -> Value {
    json!({
        "id": k.id,
        "enabled": k.enabled,
        "created_at": k.created_at,
        "last_used_at": k.last_used_at,
    })
}

/// `GET /console/api/keys[?tenant=NAME]`: the tenant's keys, oldest first.
pub async fn list(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let keys: Vec<Value> = state
        .store
        .list_access_keys(Some(tenant.id))
        .await?
        .iter()
        .map(key_json)
        .collect();
    Ok(Json(json!({ "tenant": tenant.name, "keys": keys })))
}

/// `POST /console/api/keys`: a new key; its secret is in this answer only.
pub async fn create(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let issued = keys::create_audited(
        state.store.as_ref(),
        &state.secrets,
        tenant.id,
        &actor(&s),
        state.clock.now_millis(),
    )
    .await?;
    Ok(Json(json!({
        "id": issued.id,
        "secret": issued.secret.as_str(),
    })))
}

async fn set_enabled(
    state: AppState,
    s: numgate_store::ConsoleSession,
    q: TenantQuery,
    id: String,
    enabled: bool,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let key = keys::set_enabled(
        state.store.as_ref(),
        tenant.id,
        id.trim(),
        enabled,
        &actor(&s),
        state.clock.now_millis(),
    )
    .await?
    .ok_or(ConsoleError::NotFound)?;
    Ok(Json(json!({ "key": key_json(&key) })))
}

/// `POST /console/api/keys/{id}/disable`: the key signs nothing until enabled;
/// 404 for a key not of the tenant.
pub async fn disable(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ConsoleError> {
    set_enabled(state, s, q, id, false).await
}

/// `POST /console/api/keys/{id}/enable`.
pub async fn enable(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ConsoleError> {
    set_enabled(state, s, q, id, true).await
}
