//! CAMARA SIM Swap: `POST /check` and `POST /retrieve-date`.
//!
//! The latest SIM change is the swap date, or the activation date when never swapped (a new
//! subscription counts as a SIM change in the spec); dates after the simulated now have not
//! happened yet. A line with status `unknown` has no SIM, hence no date.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{json, Map, Value};

use super::auth::{self, Grant};
use super::body::json_object;
use crate::config::{is_e164, SubscriberConfig, SubscriberStatus};
use crate::errors::ApiError;
use crate::state::SimState;

/// `maxAge` when the request gives none.
const DEFAULT_MAX_AGE: i64 = 240;

/// The subscriber the request is about, per the spec's identifier rules.
fn subject(
    state: &SimState,
    grant: &Grant,
    body: &Map<String, Value>,
) -> Result<SubscriberConfig, ApiError> {
    let given = match body.get("phoneNumber") {
        None => None,
        Some(Value::String(n)) if is_e164(n) => Some(n.clone()),
        Some(_) => {
            return Err(ApiError::invalid_argument(
                "phoneNumber must match ^\\+[1-9][0-9]{4,14}$.",
            ))
        }
    };
    let number = match (&grant.subject, given) {
        (Some(_), Some(_)) => return Err(ApiError::unnecessary_identifier()),
        (None, None) => return Err(ApiError::missing_identifier()),
        (Some(n), None) => n.clone(),
        (None, Some(n)) => n,
    };
    let subscriber = state
        .subscriber_by_e164(&number)
        .ok_or_else(ApiError::identifier_not_found)?;
    if !subscriber.sim_swap_applicable {
        return Err(ApiError::service_not_applicable());
    }
    Ok(subscriber)
}

fn latest_change(subscriber: &SubscriberConfig, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if subscriber.status == SubscriberStatus::Unknown {
        return None;
    }
    let past = |d: &DateTime<Utc>| *d <= now;
    subscriber
        .sim_swap_date
        .filter(past)
        .or(subscriber.activation_date.filter(past))
}

/// `POST /sim-swap/v0/check`.
pub(crate) async fn check(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let grant = auth::grant(&state, &headers, &["sim-swap", "sim-swap:check"])?;
    let body = json_object(&body)?;
    let max_age = match body.get("maxAge") {
        None => DEFAULT_MAX_AGE,
        Some(v) => v.as_i64().ok_or_else(|| {
            ApiError::invalid_argument("maxAge must be an integer number of hours.")
        })?,
    };
    if !(1..=2400).contains(&max_age) {
        return Err(ApiError::out_of_range(
            "maxAge must be between 1 and 2400 hours.",
        ));
    }
    if let Some(days) = state.camara_settings.monitored_period_days {
        if max_age > i64::from(days) * 24 {
            return Err(ApiError::out_of_range(format!(
                "Check monitor period could not exceed local regulations ({days} days)."
            )));
        }
    }
    let subscriber = subject(&state, &grant, &body)?;
    let now = state.clock.now();
    let swapped =
        latest_change(&subscriber, now).is_some_and(|at| now - at <= TimeDelta::hours(max_age));
    Ok(Json(json!({ "swapped": swapped })))
}

/// `POST /sim-swap/v0/retrieve-date`.
pub(crate) async fn retrieve_date(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let grant = auth::grant(&state, &headers, &["sim-swap", "sim-swap:retrieve-date"])?;
    let body = json_object(&body)?;
    let subscriber = subject(&state, &grant, &body)?;
    let now = state.clock.now();
    let latest = latest_change(&subscriber, now);
    if let (Some(at), Some(days)) = (latest, state.camara_settings.monitored_period_days) {
        if now - at > TimeDelta::days(i64::from(days)) {
            // Regulation forbids telling: null, plus the window the answer is good for.
            return Ok(Json(
                json!({ "latestSimChange": null, "monitoredPeriod": days }),
            ));
        }
    }
    let latest = latest.map(|at| at.to_rfc3339_opts(SecondsFormat::AutoSi, true));
    Ok(Json(json!({ "latestSimChange": latest })))
}
