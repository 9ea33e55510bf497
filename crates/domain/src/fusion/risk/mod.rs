//! Risk scoring, pure and explainable: each evaluation lists the rules that fired
//! with their points and a reason, and is stored with the attempt.
//!
//! The caller gathers the facts (the SDK's signals, attempt counts from the
//! store, SIM swap and number status from the carrier, list membership) and these
//! functions turn them into a score from 0 to 100 (higher is riskier) and a level.

mod endpoint;
mod number;

pub use endpoint::{evaluate_endpoint, EndpointSignals};
pub use number::{evaluate_number, phone_score, ListMatch, NumberFacts, NumberStatus};

use serde::{Deserialize, Serialize};

use super::node::{Dimension, RiskSettings};

/// Points of a fired frequency rule. Velocity is judged by the rule itself, not
/// by the threshold: a fired rule makes the risk high whatever the score, and its
/// points show in the score so that the stored attempt explains it.
pub const FREQUENCY_POINTS: u8 = 50;

/// The result of one risk check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskEvaluation {
    /// 0–100, higher is riskier: the sum of the fired rules' points, capped.
    pub score: u8,
    pub level: RiskLevel,
    /// The rules that fired, in evaluation order.
    pub fired: Vec<FiredRule>,
}

impl RiskEvaluation {
    /// An evaluation of rules already fired, against the node's threshold.
    fn judge(settings: &RiskSettings, fired: Vec<FiredRule>) -> Self {
        let score = capped_sum(&fired);
        let velocity = fired.iter().any(|f| f.rule == Rule::Frequency);
        let level = if velocity || score >= settings.threshold {
            RiskLevel::High
        } else {
            RiskLevel::Low
        };
        Self {
            score,
            level,
            fired,
        }
    }
}

fn capped_sum(fired: &[FiredRule]) -> u8 {
    let sum: u32 = fired.iter().map(|f| u32::from(f.points)).sum();
    sum.min(100) as u8
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Low,
    /// The node's `on_high` applies.
    High,
    /// On the tenant's block list: refused whatever `on_high` says.
    Blocked,
}

impl RiskLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::High => "high",
            Self::Blocked => "blocked",
        }
    }
}

/// One rule that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiredRule {
    pub rule: Rule,
    pub points: u8,
    /// Why, in a short sentence for the console and the CLI.
    pub reason: String,
}

impl FiredRule {
    fn new(rule: Rule, points: u8, reason: impl Into<String>) -> Self {
        Self {
            rule,
            points,
            reason: reason.into(),
        }
    }
}

/// The rules of both risk checks (stable names: they are stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    NoDeviceId,
    Emulator,
    RootOrJailbreak,
    Hooking,
    ProxyOrVpn,
    AppSignatureMismatch,
    Frequency,
    VirtualOperator,
    SimSwap,
    NumberStatus,
    BlockList,
    AllowList,
}

/// How many attempts the store counted per dimension and window. Each count
/// includes the attempt being evaluated (record it, then count): that is what
/// makes "more than N" fire at the (N+1)-th attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AttemptCounts(Vec<WindowCount>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowCount {
    pub dimension: Dimension,
    pub window_minutes: u32,
    pub count: u32,
}

impl AttemptCounts {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the count of a dimension over a window.
    pub fn with(mut self, dimension: Dimension, window_minutes: u32, count: u32) -> Self {
        self.0
            .retain(|c| (c.dimension, c.window_minutes) != (dimension, window_minutes));
        self.0.push(WindowCount {
            dimension,
            window_minutes,
            count,
        });
        self
    }

    /// The count, or 0 when the caller had nothing to count (no device id, no
    /// number yet): a rule cannot fire on attempts nobody could attribute.
    pub fn get(&self, dimension: Dimension, window_minutes: u32) -> u32 {
        self.0
            .iter()
            .find(|c| (c.dimension, c.window_minutes) == (dimension, window_minutes))
            .map_or(0, |c| c.count)
    }
}

impl RiskSettings {
    /// The (dimension, window) pairs the caller must count for this node.
    pub fn counts_needed(&self) -> Vec<(Dimension, u32)> {
        let mut v: Vec<_> = self
            .frequency_rules
            .iter()
            .map(|r| (r.dimension, r.window_minutes))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

fn frequency(settings: &RiskSettings, counts: &AttemptCounts) -> Vec<FiredRule> {
    settings
        .frequency_rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let n = counts.get(r.dimension, r.window_minutes);
            r.fires(n).then(|| {
                FiredRule::new(
                    Rule::Frequency,
                    FREQUENCY_POINTS,
                    format!(
                        "rule {}: {n} attempts per {} in {} min, more than {}",
                        i + 1,
                        r.dimension,
                        r.window_minutes,
                        r.max
                    ),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
