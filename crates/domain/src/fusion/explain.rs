//! The dry run: the path an attempt with given signals and outcomes would take
//! through a policy, with the decision at each node and the rules that fired.
//! It drives the real walker, so it cannot disagree with it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::graph::PolicyGraph;
use super::number_serde;
use super::risk::{
    evaluate_endpoint, evaluate_number, phone_score, AttemptCounts, EndpointSignals, NumberFacts,
};
use super::scene::Scene;
use super::session::RefusalReason;
use super::step::{Event, Step};
use super::trace::{Decision, RiskAction, TraceEntry};
use super::walker::{advance, begin, WalkError};
use crate::PhoneNumber;

/// Events in one dry run, at most: every node at most twice, plus CAPTCHA retries.
const MAX_EVENTS: usize = 4 * super::MAX_NODES;

/// The hypothetical attempt. Everything defaults to a clean device, no counts,
/// unknown number status, and every method and CAPTCHA succeeding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Hypothesis {
    /// The supplied number (scenes 100002–100005), or the one the carrier, the
    /// user or an inbound SMS would give (logon).
    #[serde(with = "number_serde::option", skip_serializing_if = "Option::is_none")]
    pub number: Option<PhoneNumber>,
    pub signals: EndpointSignals,
    pub counts: AttemptCounts,
    pub facts: NumberFacts,
    /// One-click and number check.
    pub carrier: MethodOutcome,
    pub sms: MethodOutcome,
    pub upstream: MethodOutcome,
    pub captcha: CaptchaOutcome,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodOutcome {
    #[default]
    Success,
    Failure,
    Timeout,
    CarrierError,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptchaOutcome {
    #[default]
    Solved,
    Failed,
}

/// The path and where it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub scene: Scene,
    pub path: Vec<TraceEntry>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Verdict {
    Passed { score: Option<u8> },
    Refused { node: String, reason: RefusalReason },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    #[error("node `{0}` needs a phone number: give one")]
    NumberNeeded(String),
    #[error(transparent)]
    Walk(#[from] WalkError),
    #[error("the walk did not end within {MAX_EVENTS} events")]
    Endless,
}

/// Walks `graph` for `scene` with the hypothetical attempt `h`.
pub fn explain(
    graph: &PolicyGraph,
    scene: Scene,
    h: &Hypothesis,
) -> Result<Explanation, ExplainError> {
    let supplied = if scene.requires_number_up_front() {
        Some(
            h.number
                .clone()
                .ok_or_else(|| ExplainError::NumberNeeded(graph.start.clone()))?,
        )
    } else {
        None
    };
    let (mut state, first) = begin(graph, scene, supplied)?;
    let mut path = first.trace;
    let mut step = first.step;
    for _ in 0..MAX_EVENTS {
        let event = match &step {
            Step::Done { score, .. } => {
                return Ok(Explanation {
                    scene,
                    path,
                    verdict: Verdict::Passed { score: *score },
                })
            }
            Step::Refused { node, reason } => {
                return Ok(Explanation {
                    scene,
                    path,
                    verdict: Verdict::Refused {
                        node: node.clone(),
                        reason: *reason,
                    },
                })
            }
            Step::EvaluateEndpointRisk { settings, .. } => {
                Event::RiskEvaluated(evaluate_endpoint(settings, &h.signals, &h.counts))
            }
            Step::EvaluateNumberRisk {
                settings, number, ..
            } => Event::RiskEvaluated(evaluate_number(settings, number, &h.facts, &h.counts)),
            Step::ScoreNumber { number, .. } => Event::NumberScored(phone_score(number, &h.facts)),
            Step::Captcha { .. } => match h.captcha {
                CaptchaOutcome::Solved => Event::CaptchaSolved,
                CaptchaOutcome::Failed => Event::CaptchaFailed,
            },
            Step::EnterNumber { node } => Event::NumberEntered(
                h.number
                    .clone()
                    .ok_or_else(|| ExplainError::NumberNeeded(node.clone()))?,
            ),
            Step::CarrierConsent { node, .. } => method(h.carrier, h, Some(node))?,
            Step::NumberCheck { .. } => method(h.carrier, h, None)?,
            Step::SmsCode { .. } => method(h.sms, h, None)?,
            Step::UpstreamSms { node, number, .. } => {
                method(h.upstream, h, number.is_none().then_some(node))?
            }
        };
        let next = advance(graph, &mut state, event)?;
        path.extend(next.trace);
        step = next.step;
    }
    Err(ExplainError::Endless)
}

/// The event of a method's hypothetical outcome; `reports` names a node whose
/// success must report the number.
fn method(
    outcome: MethodOutcome,
    h: &Hypothesis,
    reports: Option<&String>,
) -> Result<Event, ExplainError> {
    Ok(match outcome {
        MethodOutcome::Success => Event::Succeeded {
            number: match reports {
                Some(node) => Some(
                    h.number
                        .clone()
                        .ok_or_else(|| ExplainError::NumberNeeded(node.clone()))?,
                ),
                None => None,
            },
        },
        MethodOutcome::Failure => Event::Failed,
        MethodOutcome::Timeout => Event::TimedOut,
        MethodOutcome::CarrierError => Event::CarrierError,
    })
}

/// One line per decision, then the verdict: what `numgate policy explain` prints.
impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "scene {} ({})", self.scene, self.scene.name())?;
        for e in &self.path {
            write!(f, "  {:<16} ", e.node)?;
            match &e.decision {
                Decision::Skipped => writeln!(f, "switched off: passed through")?,
                Decision::Deferred => writeln!(f, "deferred until the number is known")?,
                Decision::NoNumber => writeln!(f, "no number to score")?,
                Decision::Evaluated { evaluation, action } => {
                    let level = evaluation.level.as_str();
                    write!(f, "{level} risk, score {}", evaluation.score)?;
                    match action {
                        RiskAction::Continue => writeln!(f, ": continue")?,
                        RiskAction::Captcha { difficulty } => {
                            writeln!(f, ": CAPTCHA, difficulty {difficulty}")?
                        }
                        RiskAction::Refuse => writeln!(f, ": refuse")?,
                        RiskAction::SkipTo { node } => writeln!(f, ": skip to `{node}`")?,
                        RiskAction::Blocked => writeln!(f, ": blocked")?,
                    }
                    for r in &evaluation.fired {
                        writeln!(f, "  {:<16}   +{:<3} {}", "", r.points, r.reason)?;
                    }
                }
                Decision::CaptchaSolved => writeln!(f, "CAPTCHA solved")?,
                Decision::CaptchaFailed { failures } => writeln!(f, "CAPTCHA failed ({failures})")?,
                Decision::NumberEntered => writeln!(f, "the user entered the number")?,
                Decision::Succeeded => writeln!(f, "succeeded")?,
                Decision::Failed => writeln!(f, "failed")?,
                Decision::TimedOut => writeln!(f, "timed out")?,
                Decision::CarrierError => writeln!(f, "carrier error")?,
                Decision::NumberMismatch => writeln!(f, "proved a different number")?,
                Decision::Scored { score } => writeln!(f, "PhoneScore {score}")?,
            }
        }
        match &self.verdict {
            Verdict::Passed { score: Some(s) } => write!(f, "passed, PhoneScore {s}"),
            Verdict::Passed { score: None } => write!(f, "passed"),
            Verdict::Refused { node, reason } => write!(f, "refused at `{node}`: {reason}"),
        }
    }
}

#[cfg(test)]
#[path = "explain_tests.rs"]
mod tests;
