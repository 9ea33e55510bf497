//! Fault injection: latency, held requests, 5xx and malformed bodies, per carrier and endpoint.
//!
//! Rules live in the simulator state and are matched by a middleware in front of every carrier
//! route (never `/control`), so a fault looks to numgate exactly like a misbehaving carrier.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::state::{lock, SimState};

/// How long a `timeout` fault holds a request when the rule gives no `hold_ms`: longer than any
/// sane client timeout.
const DEFAULT_HOLD_MS: u64 = 60_000;

/// One fault rule.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FaultRule {
    /// `cm`, `cu`, `ct`, `camara` or `*`.
    pub carrier: String,
    /// Last path segment (`prefetch`, `token`, `exchange`, `verify`, `authorize`,
    /// `device-phone-number`, `check`, `retrieve-date`) or `*`.
    #[serde(default = "any")]
    pub endpoint: String,
    /// What happens.
    #[serde(flatten)]
    pub fault: FaultKind,
    /// Fire only for the next N matching requests, then disappear.
    #[serde(default)]
    pub times: Option<u32>,
    /// Fire with this probability (0.0–1.0) on each matching request.
    #[serde(default)]
    pub probability: Option<f64>,
}

fn any() -> String {
    "*".to_owned()
}

/// What a fault does to a request.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum FaultKind {
    /// Delay the request by `ms`, then serve it normally.
    Latency {
        /// Added delay.
        ms: u64,
    },
    /// Hold the request without answering (until the client gives up, the simulator shuts
    /// down, or `hold_ms` passes — then 504).
    Timeout {
        /// How long to hold; default 60 s.
        #[serde(default)]
        hold_ms: Option<u64>,
    },
    /// Answer with this HTTP status and an HTML error page, as a failing proxy would.
    Status {
        /// 400–599.
        status: u16,
    },
    /// Answer 200 with a body the client cannot use.
    Malformed {
        /// Which kind of garbage.
        #[serde(default)]
        shape: MalformedShape,
    },
}

/// The kinds of malformed body.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum MalformedShape {
    /// Truncated JSON with a JSON content type.
    #[default]
    InvalidJson,
    /// Valid JSON of the wrong shape (an array where an object is expected).
    WrongShape,
}

const CARRIERS: &[&str] = &["cm", "cu", "ct", "camara", "*"];
const ENDPOINTS: &[&str] = &[
    "prefetch",
    "token",
    "exchange",
    "verify",
    "authorize",
    "device-phone-number",
    "check",
    "retrieve-date",
    "*",
];

impl FaultRule {
    /// Checks ranges serde cannot; the message names the offending key.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !CARRIERS.contains(&self.carrier.as_str()) {
            return Err(format!(
                "carrier `{}` is not one of {}",
                self.carrier,
                CARRIERS.join(", ")
            ));
        }
        if !ENDPOINTS.contains(&self.endpoint.as_str()) {
            return Err(format!(
                "endpoint `{}` is not one of {}",
                self.endpoint,
                ENDPOINTS.join(", ")
            ));
        }
        if let Some(p) = self.probability {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("probability {p} is not within 0.0..=1.0"));
            }
        }
        if self.times == Some(0) {
            return Err("times = 0 would never fire; omit it for \"always\"".to_owned());
        }
        if let FaultKind::Status { status } = self.fault {
            if !(400..=599).contains(&status) {
                return Err(format!(
                    "status {status} is not an error status (400..=599)"
                ));
            }
        }
        Ok(())
    }

    fn matches(&self, carrier: &str, endpoint: &str) -> bool {
        (self.carrier == "*" || self.carrier == carrier)
            && (self.endpoint == "*" || self.endpoint == endpoint)
    }
}

/// The active rules, in insertion order.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Vec<FaultRule>,
}

impl Faults {
    pub(crate) fn new(rules: Vec<FaultRule>) -> Faults {
        Faults { rules }
    }

    pub(crate) fn add(&mut self, rule: FaultRule) {
        self.rules.push(rule);
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    pub(crate) fn list(&self) -> Vec<FaultRule> {
        self.rules.clone()
    }

    /// The first rule that fires for this request, consuming one of its `times`.
    pub(crate) fn pick(&mut self, carrier: &str, endpoint: &str) -> Option<FaultKind> {
        let mut rng = rand::thread_rng();
        let index = self.rules.iter().position(|r| {
            r.matches(carrier, endpoint)
                && r.probability
                    .is_none_or(|p| rng.gen_bool(p.clamp(0.0, 1.0)))
        })?;
        let rule = &mut self.rules[index];
        let fault = rule.fault.clone();
        if let Some(n) = rule.times.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.rules.remove(index);
            }
        }
        Some(fault)
    }
}

/// `(carrier, endpoint)` of a carrier route: first and last path segments.
fn classify(path: &str) -> Option<(&str, &str)> {
    let mut segments = path.trim_matches('/').split('/');
    let carrier = segments.next()?;
    if !matches!(carrier, "cm" | "cu" | "ct" | "camara") {
        return None;
    }
    let endpoint = segments.next_back()?;
    Some((carrier, endpoint))
}

/// Middleware applying the first firing rule.
pub(crate) async fn inject(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    let fault = classify(request.uri().path()).and_then(|(c, e)| lock(&state.faults).pick(c, e));
    match fault {
        None => next.run(request).await,
        Some(FaultKind::Latency { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(request).await
        }
        Some(FaultKind::Timeout { hold_ms }) => {
            let mut shutdown = state.shutdown.clone();
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(hold_ms.unwrap_or(DEFAULT_HOLD_MS))) => {}
                // Held requests must not keep a graceful shutdown waiting for a minute.
                _ = shutdown.wait_for(|down| *down) => {}
            }
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Some(FaultKind::Status { status }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let page = format!(
                "<html><head><title>{status}</title></head><body><h1>{status}</h1><hr>gateway</body></html>"
            );
            (status, [(header::CONTENT_TYPE, "text/html")], page).into_response()
        }
        Some(FaultKind::Malformed { shape }) => {
            let body = match shape {
                MalformedShape::InvalidJson => "{\"resultCode\": \"1030",
                MalformedShape::WrongShape => "[\"unexpected\", 1, null]",
            };
            let mut response = Response::new(Body::from(body));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(times: Option<u32>) -> FaultRule {
        FaultRule {
            carrier: "cm".into(),
            endpoint: "exchange".into(),
            fault: FaultKind::Status { status: 503 },
            times,
            probability: None,
        }
    }

    #[test]
    fn a_rule_with_times_fires_that_often_then_disappears() {
        let mut faults = Faults::new(vec![rule(Some(2))]);
        assert!(faults.pick("cm", "exchange").is_some());
        assert!(faults.pick("cm", "exchange").is_some());
        assert!(faults.pick("cm", "exchange").is_none());
    }

    #[test]
    fn a_rule_only_fires_for_its_carrier_and_endpoint() {
        let mut faults = Faults::new(vec![rule(None)]);
        assert!(faults.pick("cu", "exchange").is_none());
        assert!(faults.pick("cm", "verify").is_none());
        assert!(faults.pick("cm", "exchange").is_some());
    }

    #[test]
    fn probability_zero_never_fires() {
        let mut r = rule(None);
        r.probability = Some(0.0);
        let mut faults = Faults::new(vec![r]);
        assert!(faults.pick("cm", "exchange").is_none());
    }

    #[test]
    fn paths_are_classified_by_first_and_last_segment() {
        assert_eq!(classify("/cm/exchange"), Some(("cm", "exchange")));
        assert_eq!(
            classify("/camara/sim-swap/v0/check"),
            Some(("camara", "check"))
        );
        assert_eq!(classify("/control/faults"), None);
    }

    #[test]
    fn rules_parse_from_json_with_a_flattened_kind() {
        let r: FaultRule = serde_json::from_str(
            r#"{"carrier":"ct","fault":"malformed","shape":"wrong_shape","times":1}"#,
        )
        .unwrap();
        assert_eq!(r.endpoint, "*");
        assert_eq!(
            r.fault,
            FaultKind::Malformed {
                shape: MalformedShape::WrongShape
            }
        );
        assert!(r.validate().is_ok());
    }
}
