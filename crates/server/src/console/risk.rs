//! The risk section's JSON API (see [`super::api`] for the conventions): the
//! tenant's block and allow lists (through [`crate::service::risk_lists`], as
//! every other caller), and the recent refused Fusion-Auth attempts with the
//! rules that fired, newest first, a page at a time.

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use numgate_store::{AttemptCursor, AttemptRecord};
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{actor, invalid, scoped_tenant, TenantQuery};
use super::session::{ApiSession, ConsoleError, JsonBody};
use crate::service::risk_lists::{self, AddEntry};
use crate::state::AppState;

/// Refused attempts per page, unless asked for fewer.
const PAGE: u32 = 20;

/// The section's routes under `/console/api/risk`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/api/risk/lists", get(lists).post(add))
        .route("/console/api/risk/lists/remove", post(remove))
        .route("/console/api/risk/refused", get(refused))
}

/// `GET /console/api/risk/lists`: the tenant's entries by number.
async fn lists(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let entries: Vec<Value> = risk_lists::list(state.store.as_ref(), tenant.id)
        .await?
        .into_iter()
        .map(|e| {
            json!({
                "number": format!("+{}", e.number),
                "kind": e.kind.as_str(),
                "note": e.note,
                "updated_at": e.updated_at,
            })
        })
        .collect();
    Ok(Json(json!({ "tenant": tenant.name, "entries": entries })))
}

#[derive(Deserialize)]
struct AddBody {
    #[serde(default)]
    country: String,
    number: String,
    kind: String,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /console/api/risk/lists` `{country, number, kind, note}`: puts the
/// number on the block or allow list.
async fn add(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    JsonBody(b): JsonBody<AddBody>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let entry = risk_lists::add(
        state.store.as_ref(),
        tenant.id,
        AddEntry {
            country: &b.country,
            number: &b.number,
            kind: &b.kind,
            note: b.note.as_deref(),
        },
        &actor(&s),
        state.clock.now_millis(),
    )
    .await?;
    Ok(Json(json!({
        "number": format!("+{}", entry.number),
        "kind": entry.kind.as_str(),
        "note": entry.note,
    })))
}

#[derive(Deserialize)]
struct RemoveBody {
    number: String,
}

/// `POST /console/api/risk/lists/remove` `{number}` (as listed, `+86…`).
async fn remove(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    JsonBody(b): JsonBody<RemoveBody>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let removed = risk_lists::remove(
        state.store.as_ref(),
        tenant.id,
        &b.number,
        &actor(&s),
        state.clock.now_millis(),
    )
    .await?;
    if !removed {
        return Err(ConsoleError::NotFound);
    }
    Ok(Json(json!({ "removed": true })))
}

#[derive(Debug, Default, Deserialize)]
struct RefusedQuery {
    tenant: Option<String>,
    /// The cursor of the previous page's last attempt.
    before_at: Option<String>,
    before_id: Option<String>,
    limit: Option<String>,
}

fn number_param(name: &str, v: Option<&str>) -> Result<Option<i64>, ConsoleError> {
    v.map(|v| {
        v.trim()
            .parse::<i64>()
            .map_err(|_| invalid("risk.invalid_page", format!("{name} must be an integer")))
    })
    .transpose()
}

/// The rules that fired in an attempt, flattened: `{node, rule, points, reason}`.
fn rules(a: &AttemptRecord) -> Vec<Value> {
    let Ok(Value::Array(nodes)) = serde_json::from_str::<Value>(&a.fired_rules) else {
        return Vec::new();
    };
    nodes
        .iter()
        .flat_map(|n| {
            let node = n["node"].clone();
            n["fired"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |f| {
                    json!({
                        "node": node,
                        "rule": f["rule"],
                        "points": f["points"],
                        "reason": f["reason"],
                    })
                })
        })
        .collect()
}

/// `GET /console/api/risk/refused[?before_at=&before_id=&limit=]`: a page of
/// the tenant's refused attempts, newest first, and the cursor of the next
/// page (`null` on the last). Numbers are masked as they were recorded.
async fn refused(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<RefusedQuery>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let before = match (
        number_param("before_at", q.before_at.as_deref())?,
        number_param("before_id", q.before_id.as_deref())?,
    ) {
        (Some(at), Some(id)) => Some(AttemptCursor { at, id }),
        (None, None) => None,
        _ => {
            return Err(invalid(
                "risk.invalid_page",
                "before_at and before_id go together",
            ))
        }
    };
    let limit = match number_param("limit", q.limit.as_deref())? {
        None => PAGE,
        Some(n) if (1..=i64::from(PAGE)).contains(&n) => n as u32,
        Some(_) => {
            return Err(invalid(
                "risk.invalid_page",
                format!("limit must be 1 to {PAGE}"),
            ))
        }
    };
    // One more than asked tells whether there is a next page.
    let mut page = state
        .store
        .list_attempts_page(tenant.id, true, before, limit + 1)
        .await?;
    let more = page.len() > limit as usize;
    page.truncate(limit as usize);
    let next = if more {
        page.last()
            .map(|a| json!({ "before_at": a.at, "before_id": a.id }))
    } else {
        None
    };
    let attempts: Vec<Value> = page
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "at": a.at,
                "number": a.number,
                "scene": a.scene,
                "scheme": a.scheme,
                "outcome": a.outcome,
                "rules": rules(a),
            })
        })
        .collect();
    Ok(Json(
        json!({ "tenant": tenant.name, "attempts": attempts, "next": next }),
    ))
}
