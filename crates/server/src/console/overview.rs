//! The overview's JSON API: today's and the last 30 days' attempts and success
//! rates per method, from the same rollups (and the same service function) as
//! `QueryGateVerifyStatisticPublic`.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use numgate_domain::stats::Method;
use numgate_store::{DayStats, StatFilter};
use serde_json::{json, Value};

use super::api::{scoped_tenant, TenantQuery};
use super::session::{ApiSession, ConsoleError};
use crate::service::stats;
use crate::state::AppState;

/// How many days the overview's charts cover, today included.
pub const DAYS: i64 = 30;

/// The section's routes under `/console/api/overview`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/console/api/overview", get(overview))
}

/// `GET /console/api/overview`: per method, today's counts and rate, the 30
/// days' totals and rate, and each of the 30 days (oldest first, every day
/// present).
async fn overview(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let today = stats::today(&state);
    let from = today.plus(1 - DAYS);
    let mut methods = Vec::new();
    for method in Method::ALL {
        let days =
            stats::per_day(&state, tenant.id, StatFilter::method(method), from, today).await?;
        let mut total = DayStats::default();
        for (_, d) in &days {
            total.success += d.success;
            total.fail += d.fail;
            total.unknown += d.unknown;
        }
        let last = days.last().map(|(_, d)| d.clone()).unwrap_or_default();
        methods.push(json!({
            "method": method.as_str(),
            "today": counts(&last),
            "total": counts(&total),
            "days": days.iter().map(|(day, d)| json!({
                "day": day.iso(),
                "success": d.success,
                "fail": d.fail,
                "unknown": d.unknown,
            })).collect::<Vec<_>>(),
        }));
    }
    Ok(Json(json!({
        "tenant": tenant.name,
        "today": today.iso(),
        "from": from.iso(),
        "methods": methods,
    })))
}

/// Counts, their sum, and the success rate in percent with one decimal (`null`
/// without attempts): successes over all attempts, as Alibaba's console shows it.
fn counts(d: &DayStats) -> Value {
    let attempts = d.success + d.fail + d.unknown;
    let rate = (attempts > 0).then(|| (d.success as f64 * 1000.0 / attempts as f64).round() / 10.0);
    json!({
        "attempts": attempts,
        "success": d.success,
        "fail": d.fail,
        "unknown": d.unknown,
        "rate": rate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_documents_every_action() {
        let page = crate::console::pages::find("reference").unwrap();
        for a in crate::actions::Action::ALL {
            assert!(
                page.body.contains(&format!("id=\"action-{}\"", a.name())),
                "{} is not in the reference",
                a.name()
            );
            assert_eq!(crate::actions::Action::from_name(a.name()), Some(a));
        }
    }

    #[test]
    fn the_rate_is_successes_over_all_attempts() {
        let d = DayStats {
            day: String::new(),
            success: 2,
            fail: 1,
            unknown: 0,
        };
        assert_eq!(counts(&d)["rate"], json!(66.7));
        assert_eq!(counts(&DayStats::default())["rate"], Value::Null);
        assert_eq!(counts(&d)["attempts"], json!(3));
    }
}
