//! The billing section's JSON API (see [`super::api`] for the conventions): the
//! price list (`[billing]`), resource plans and what remains of them, a month's
//! bill (the figures of `QueryGateVerifyBillingPublic` and `numgate billing
//! bill`, from the same [`crate::service::billing`] functions), and adding a
//! plan, which only an operator may do.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use numgate_domain::stats::{Day, Method};
use numgate_store::UserRole;
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{actor, invalid, scoped_tenant, TenantQuery};
use super::session::{parse_json, ApiSession, ConsoleError};
use crate::service::billing::{self, item_name, yuan4, PlanInput};
use crate::service::stats::today;
use crate::state::AppState;

/// The section's routes under `/console/api/billing`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/api/billing/prices", get(prices))
        .route("/console/api/billing/plans", get(plans).post(add_plan))
        .route("/console/api/billing/bill", get(bill))
}

fn offset_ms(state: &AppState) -> i64 {
    i64::from(state.config.sms.utc_offset_hours) * 3_600_000
}

/// `GET /console/api/billing/prices`: the price of one success of each method,
/// yuan with four decimals (prices are kept in 1/10000 yuan).
async fn prices(
    State(state): State<AppState>,
    ApiSession(_): ApiSession,
) -> Result<Json<Value>, ConsoleError> {
    let prices: Vec<Value> = Method::ALL
        .into_iter()
        .map(|m| {
            json!({
                "method": m.as_str(),
                "item": item_name(m),
                "price": yuan4(state.config.billing.price(m)),
            })
        })
        .collect();
    Ok(Json(json!({ "prices": prices })))
}

/// `GET /console/api/billing/plans`: the tenant's resource plans (oldest first)
/// with what remains of each, and per method the units left in plans valid now.
async fn plans(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let now = state.clock.now_millis();
    let offset = offset_ms(&state);
    let day = |ms: i64| Day::of(ms, offset).iso();
    let plans: Vec<Value> = state
        .store
        .list_plans(Some(tenant.id))
        .await?
        .into_iter()
        .map(|p| {
            json!({
                "id": p.id,
                "method": p.method.as_str(),
                "total": p.total,
                "used": p.used,
                "left": p.total.saturating_sub(p.used),
                "from": day(p.valid_from),
                "until": day(p.valid_until - 1),
                "valid_now": p.valid_from <= now && now < p.valid_until,
            })
        })
        .collect();
    let mut left = Vec::new();
    for m in Method::ALL {
        let units = state.store.plan_units_left(tenant.id, m, now).await?;
        left.push(json!({ "method": m.as_str(), "units": units }));
    }
    Ok(Json(json!({
        "tenant": tenant.name,
        "plans": plans,
        "left": left,
        "may_add": s.user.role == UserRole::Operator,
    })))
}

#[derive(Debug, Default, Deserialize)]
struct BillQuery {
    tenant: Option<String>,
    /// `yyyyMM`; this month (in the billing calendar) when absent.
    month: Option<String>,
}

/// `GET /console/api/billing/bill?month=yyyyMM`: the tenant's bill of the
/// month, a line per method, scheme and scene, and its sum.
async fn bill(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<BillQuery>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let asked = q
        .month
        .unwrap_or_else(|| today(&state).month().replace('-', ""));
    let month = billing::parse_month(&asked)
        .ok_or_else(|| invalid("billing.invalid_month", "the month must be yyyyMM"))?;
    let lines = billing::bill(
        state.store.as_ref(),
        &state.config.billing,
        tenant.id,
        &month,
        None,
    )
    .await?;
    let sum: u64 = lines.iter().map(|l| l.amount).sum();
    let lines: Vec<Value> = lines
        .iter()
        .map(|l| {
            json!({
                "method": l.method.as_str(),
                "item": item_name(l.method),
                "scheme": l.scheme,
                "scheme_name": l.scheme_name,
                "app_name": l.app_name,
                "scene": l.scene,
                "plan_units": l.plan_units,
                "paid_units": l.paid_units,
                "units": l.plan_units + l.paid_units,
                "unit_price": yuan4(l.unit_price),
                "amount": yuan4(l.amount),
            })
        })
        .collect();
    Ok(Json(json!({
        "tenant": tenant.name,
        "month": month.replace('-', ""),
        "lines": lines,
        "amount_sum": yuan4(sum),
    })))
}

#[derive(Deserialize)]
struct PlanBody {
    method: String,
    /// A number, or digits in a string (as a form gives it).
    count: Value,
    from: String,
    until: String,
}

/// `POST /console/api/billing/plans` `{method, count, from, until}`: adds a
/// resource plan for the operator's chosen tenant, by the rules of `numgate
/// billing add-plan`. A tenant user may not (403).
async fn add_plan(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    bytes: Bytes,
) -> Result<Json<Value>, ConsoleError> {
    if s.user.role != UserRole::Operator {
        return Err(ConsoleError::Forbidden);
    }
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let b: PlanBody = parse_json(&bytes)?;
    let count = match &b.count {
        Value::Number(n) => n.as_u64(),
        Value::String(t) => t.trim().parse::<u64>().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        invalid(
            "isv.INVALID_PARAMETERS",
            format!("count: 1 to {}", billing::MAX_PLAN_UNITS),
        )
    })?;
    let added = billing::add_plan(
        state.store.as_ref(),
        offset_ms(&state),
        tenant.id,
        PlanInput {
            method: &b.method,
            count,
            from: &b.from,
            until: &b.until,
        },
        &actor(&s),
        state.clock.now_millis(),
    )
    .await?;
    Ok(Json(json!({
        "id": added.id,
        "tenant": tenant.name,
        "method": added.method.as_str(),
        "total": added.total,
        "from": added.from.iso(),
        "until": added.until.iso(),
    })))
}
