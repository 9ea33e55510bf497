//! Prometheus metrics at `GET /metrics`: requests by action and answer code,
//! their latency, SMS deliveries by outcome, SMS sends refused by the limits,
//! the conversion alarm.
//!
//! The `metrics` facade has one recorder per process; it is installed by the
//! first application built and shared by any later one (tests run several
//! servers in one process: their counts add up, which no test relies on).

use std::sync::OnceLock;

use axum::extract::State;
use axum::response::IntoResponse;
use http::header::CONTENT_TYPE;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's Prometheus handle, installing the recorder on first use.
/// `None` if another recorder was installed by the embedding program.
pub fn handle() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .clone()
}

/// Counts one Open API answer.
pub fn record_request(action: &str, code: &str, seconds: f64) {
    metrics::counter!("numgate_requests_total", "action" => action.to_owned(), "code" => code.to_owned())
        .increment(1);
    metrics::histogram!("numgate_request_duration_seconds", "action" => action.to_owned())
        .record(seconds);
}

/// Counts one send refused by a limit (`reason`: which one, never the number).
pub fn record_sms_refused(reason: &'static str) {
    metrics::counter!("numgate_sms_refused_total", "reason" => reason).increment(1);
}

/// Raises the conversion alarm: a send went to (or was refused for) a prefix
/// throttled for its low conversion rate. The gauge holds the Unix time of the
/// latest such send, so that an alert can fire while it is recent (`time() -
/// numgate_sms_conversion_alarm_timestamp_seconds < 3600`); the counter counts them.
pub fn raise_conversion_alarm(now_millis: i64) {
    metrics::counter!("numgate_sms_conversion_throttled_total").increment(1);
    metrics::gauge!("numgate_sms_conversion_alarm_timestamp_seconds")
        .set(now_millis as f64 / 1000.0);
}

pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let body = state
        .metrics
        .as_ref()
        .map(PrometheusHandle::render)
        .unwrap_or_default();
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
