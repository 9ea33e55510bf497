//! The audit log's JSON API: the tenant's changes, newest first, a page at a
//! time (whoever made them: the console, the Open API, the CLI).

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{invalid, scoped_tenant};
use super::session::{ApiSession, ConsoleError};
use crate::state::AppState;

/// Entries per page unless asked otherwise; the most a page holds.
pub const PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

/// The section's routes under `/console/api/audit`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/console/api/audit", get(list))
}

#[derive(Debug, Default, Deserialize)]
struct AuditQuery {
    tenant: Option<String>,
    /// Only entries older than this one (the last id of the previous page).
    before: Option<String>,
    limit: Option<String>,
}

/// `GET /console/api/audit[?before=ID][&limit=N]`: `entries` newest first, and
/// `next` (the `before` of the next page) when there may be more.
async fn list(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, ConsoleError> {
    let before = match q.before.as_deref().filter(|b| !b.is_empty()) {
        None => None,
        Some(b) => Some(
            b.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| invalid("InvalidParameter", "before must be an entry id"))?,
        ),
    };
    let limit = match q.limit.as_deref().filter(|l| !l.is_empty()) {
        None => PAGE,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| invalid("InvalidParameter", format!("limit must be 1 to {MAX_PAGE}")))?,
    };
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let rows = state.store.list_audit(tenant.id, limit, before).await?;
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let entries: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({
                "id": r.id,
                "at": r.at,
                "actor": r.actor,
                "action": r.action,
                "target": r.target,
                "before": r.before,
                "after": r.after,
            })
        })
        .collect();
    Ok(Json(
        json!({ "tenant": tenant.name, "entries": entries, "next": next }),
    ))
}
