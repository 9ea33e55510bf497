//! The numbers of a run: per action and in total, requests, req/s, latency
//! percentiles and outcomes; as a table or as one JSON object.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{json, Value};

use super::load::{ActionResult, CheckInfo, RunResult, Settings, TokenInfo};

/// One row: an action or the total.
struct Row {
    name: String,
    requests: u64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    errors: u64,
    refusals: u64,
    outcomes: BTreeMap<String, u64>,
}

impl Row {
    fn new(name: &str, mut r: ActionResult, secs: f64) -> Row {
        r.latencies_us.sort_unstable();
        let lat = &r.latencies_us;
        let pct = |p: f64| -> f64 {
            if lat.is_empty() {
                return 0.0;
            }
            // Nearest rank: the smallest value with at least p of them at or below it.
            let rank = ((p * lat.len() as f64).ceil() as usize).clamp(1, lat.len());
            f64::from(lat[rank - 1]) / 1000.0
        };
        let count = |f: &dyn Fn(&str) -> bool| -> u64 {
            r.outcomes
                .iter()
                .filter(|(k, _)| f(k))
                .map(|(_, n)| n)
                .sum()
        };
        let requests = lat.len() as u64;
        Row {
            name: name.to_owned(),
            requests,
            rps: requests as f64 / secs,
            p50_ms: pct(0.50),
            p99_ms: pct(0.99),
            max_ms: lat.last().map_or(0.0, |m| f64::from(*m) / 1000.0),
            errors: count(&|k| !k.starts_with("refused:") && is_error(k)),
            refusals: count(&|k| k.starts_with("refused:")),
            outcomes: r.outcomes,
        }
    }

    fn to_json(&self, ceiling: Option<f64>) -> Value {
        let mut v = json!({
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "max_ms": round(self.max_ms, 3),
            "errors": self.errors,
            "refusals": self.refusals,
            "outcomes": self.outcomes,
        });
        if let Some(c) = ceiling.filter(|c| *c > 0.0) {
            v["ratio_to_noop"] = json!(round(self.rps / c, 4));
        }
        v
    }
}

fn is_error(outcome: &str) -> bool {
    !matches!(outcome, "OK" | "PASS" | "REJECT" | "UNKNOWN")
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

pub struct Report {
    target: String,
    describe: String,
    signature: &'static str,
    mix: String,
    concurrency: usize,
    warmup_s: f64,
    duration_s: f64,
    rows: Vec<Row>,
    total: Row,
    checks: Option<CheckInfo>,
    tokens: Option<TokenInfo>,
}

impl Report {
    pub fn new(
        target: String,
        describe: String,
        signature: &'static str,
        settings: &Settings,
        result: RunResult,
    ) -> Report {
        let secs = result.window.as_secs_f64();
        let mut all = ActionResult::default();
        let mut rows = Vec::new();
        for (kind, r) in result.actions {
            all.latencies_us.extend_from_slice(&r.latencies_us);
            for (k, n) in &r.outcomes {
                *all.outcomes.entry(k.clone()).or_default() += n;
            }
            rows.push(Row::new(kind.action(), r, secs));
        }
        Report {
            target,
            describe,
            signature,
            mix: settings.mix.to_string(),
            concurrency: settings.concurrency,
            warmup_s: settings.warmup.as_secs_f64(),
            duration_s: secs,
            rows,
            total: Row::new("total", all, secs),
            checks: result.checks,
            tokens: result.tokens,
        }
    }

    fn row(&self, name: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.name == name)
    }

    /// The same action's (or the total's) req/s in the baseline.
    fn ceiling(baseline: Option<&Report>, name: &str) -> Option<f64> {
        let b = baseline?;
        if name == "total" {
            Some(b.total.rps)
        } else {
            b.row(name).map(|r| r.rps)
        }
    }

    pub fn to_json(&self, baseline: Option<&Report>) -> Value {
        let actions: serde_json::Map<String, Value> = self
            .rows
            .iter()
            .map(|r| (r.name.clone(), r.to_json(Self::ceiling(baseline, &r.name))))
            .collect();
        let mut v = json!({
            "target": self.target,
            "describe": self.describe,
            "signature": self.signature,
            "actions_mix": self.mix,
            "concurrency": self.concurrency,
            "warmup_s": self.warmup_s,
            "duration_s": self.duration_s,
            "actions": actions,
            "total": self.total.to_json(Self::ceiling(baseline, "total")),
        });
        if let Some(c) = &self.checks {
            v["check_mix"] = json!({
                "codes_prepared": c.codes,
                "setup_s": round(c.setup.as_secs_f64(), 3),
                "wrong_pct": c.wrong_pct,
                "right_pct": 100 - c.wrong_pct,
                "stale_checks": c.stale,
            });
        }
        if let Some(t) = &self.tokens {
            v["token_mix"] = json!({
                "tokens_prepared": t.login + t.verify,
                "login_tokens": t.login,
                "verify_tokens": t.verify,
                "setup_s": round(t.setup.as_secs_f64(), 3),
                "bearers": t.bearers,
                "wrong_pct": t.wrong_pct,
                "stale_tokens": t.stale,
                "carrier_latency_ms": t.carrier_latency_ms,
            });
        }
        if let Some(b) = baseline {
            v["baseline"] = b.to_json(None);
        }
        v
    }

    pub fn to_text(&self, baseline: Option<&Report>) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "target:  {} ({})", self.target, self.describe);
        let _ = writeln!(
            s,
            "load:    actions {}, concurrency {}, warm-up {:.1}s, measured {:.1}s, signature {}",
            self.mix, self.concurrency, self.warmup_s, self.duration_s, self.signature
        );
        if let Some(c) = &self.checks {
            let _ = writeln!(
                s,
                "checks:  {} codes sent beforehand in {:.1}s; {}% of checks carry the right code (passes once), {}% a wrong one (counts an attempt); {} checks hit an already used code",
                c.codes,
                c.setup.as_secs_f64(),
                100 - c.wrong_pct,
                c.wrong_pct,
                c.stale
            );
        }
        if let Some(t) = &self.tokens {
            let _ = writeln!(
                s,
                "tokens:  {} AccessTokens ({} login, {} verify) prepared beforehand through the device flow in {:.1}s (bearers {}); carrier latency +{} ms; {} requests hit a used, expired or invalid token",
                t.login + t.verify,
                t.login,
                t.verify,
                t.setup.as_secs_f64(),
                t.bearers.join(", "),
                t.carrier_latency_ms,
                t.stale
            );
            if t.verify > 0 {
                let _ = writeln!(
                    s,
                    "         VerifyMobile carries the SIM's number for {}% of the tokens (PASS), a wrong number of its carrier for {}% (REJECT)",
                    100 - t.wrong_pct,
                    t.wrong_pct
                );
            }
        }
        let _ = writeln!(
            s,
            "{:<20} {:>9} {:>10} {:>8} {:>8} {:>8} {:>7}  outcomes",
            "action", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "ratio"
        );
        for r in self.rows.iter().chain(std::iter::once(&self.total)) {
            let ratio = Self::ceiling(baseline, &r.name)
                .filter(|c| *c > 0.0)
                .map_or_else(|| "-".to_owned(), |c| format!("{:.1}%", 100.0 * r.rps / c));
            let outcomes: Vec<String> =
                r.outcomes.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let _ = writeln!(
                s,
                "{:<20} {:>9} {:>10.1} {:>8.2} {:>8.2} {:>8.2} {:>7}  {}",
                r.name,
                r.requests,
                r.rps,
                r.p50_ms,
                r.p99_ms,
                r.max_ms,
                ratio,
                outcomes.join(", ")
            );
        }
        if self.total.errors > 0 || self.total.refusals > 0 {
            let _ = writeln!(
                s,
                "warning: {} errors and {} business refusals in the run",
                self.total.errors, self.total.refusals
            );
        }
        if let Some(t) = self.tokens.as_ref().filter(|t| t.stale > 0) {
            let _ = writeln!(
                s,
                "warning: {} requests hit a token that was not live: prepare more with --tokens, or run shorter",
                t.stale
            );
        }
        s
    }
}
