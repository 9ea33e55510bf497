//! The walker: moves a session through its policy graph, one event at a time,
//! and says what must happen next. Pure: risk evaluations, carrier answers and
//! the user's input come in as events.
//!
//! - A disabled node is passed through along its neutral outcome
//!   ([`NodeKind::neutral_outcome`]).
//! - A number-risk node reached before the number is known is *deferred*: the
//!   walk goes on along `low`, and the node is evaluated as soon as a number is
//!   known (entered by the user, reported by the carrier or by an inbound SMS),
//!   before any further step and before `pass`. High risk then acts as it would
//!   have: a CAPTCHA before going on, a refusal, or a skip to another node.
//! - High risk with `on_high: captcha` asks for a CAPTCHA whose difficulty rises
//!   with the score; solved, the walk goes on along `low`; failed
//!   [`MAX_CAPTCHA_FAILURES`] times, the session is refused.
//! - `skip_to` withdraws any proof so far: the target must prove the number again.
//! - `pass` needs a proof; without one (a graph validation would have refused)
//!   the session is refused.

use super::graph::PolicyGraph;
use super::node::{Node, NodeKind, OnCarrierError, OnHigh, Outcome, Settings, Target};
use super::risk::RiskLevel;
use super::scene::Scene;
use super::session::{At, RefusalReason, SessionState};
use super::step::{Event, Step};
use super::trace::{Decision, RiskAction, TraceEntry};
use crate::captcha::difficulty_for_score;
use crate::PhoneNumber;

/// At this many wrong solutions to one step-up CAPTCHA the session is refused;
/// before it, a new challenge is shown. Nobody mistypes a proof of work, so the
/// allowance only covers solutions that arrived after their challenge expired.
pub const MAX_CAPTCHA_FAILURES: u8 = 3;

/// Nodes entered within one event, at most: a validated graph is acyclic and
/// holds at most [`super::MAX_NODES`] nodes, each entered at most twice (once
/// more after a `skip_to`).
const MAX_HOPS: usize = 2 * super::MAX_NODES + 2;

/// What the walk did with one event: the next step and the nodes it passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advance {
    pub step: Step,
    pub trace: Vec<TraceEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalkError {
    #[error("scene {0} needs the number when it starts")]
    NumberRequired(Scene),
    #[error("scene {0} learns the number; it is not supplied")]
    NumberNotExpected(Scene),
    #[error("node `{0}` is not in the policy as the session knew it (the policy changed)")]
    PolicyChanged(String),
    #[error("a `{event}` event does not fit a session that waits for {waiting}")]
    UnexpectedEvent {
        event: &'static str,
        waiting: &'static str,
    },
    #[error("the session has finished")]
    Finished,
    #[error("the {0} success did not report the number")]
    MissingNumber(NodeKind),
    #[error("the walk went through more than {MAX_HOPS} nodes at once: the graph has a cycle")]
    TooManyHops,
}

/// Starts a session: `number` is the one the client supplies (required by every
/// scene but logon, which learns it), and returns the first step.
pub fn begin(
    graph: &PolicyGraph,
    scene: Scene,
    number: Option<PhoneNumber>,
) -> Result<(SessionState, Advance), WalkError> {
    match (scene.requires_number_up_front(), &number) {
        (true, None) => return Err(WalkError::NumberRequired(scene)),
        (false, Some(_)) => return Err(WalkError::NumberNotExpected(scene)),
        _ => {}
    }
    let state = SessionState {
        scene,
        number,
        proven: false,
        deferred: Vec::new(),
        score: None,
        at: At::Done,
    };
    let mut walk = Walk::new(graph, state);
    let start = walk.node(&graph.start)?;
    walk.go(Target::node(&start.id), &start.id, RefusalReason::Policy)?;
    let advance = walk.finish()?;
    Ok((walk.state, advance))
}

/// Applies an event to the session and returns the next step. On error the state
/// is left as it was.
pub fn advance(
    graph: &PolicyGraph,
    state: &mut SessionState,
    event: Event,
) -> Result<Advance, WalkError> {
    let mut walk = Walk::new(graph, state.clone());
    walk.apply(event)?;
    let advance = walk.finish()?;
    *state = walk.state;
    Ok(advance)
}

impl SessionState {
    /// The step the session waits at, again (e.g. for a client that reloads).
    pub fn step(&self, graph: &PolicyGraph) -> Result<Step, WalkError> {
        Walk::new(graph, self.clone()).step()
    }
}

struct Walk<'g> {
    graph: &'g PolicyGraph,
    state: SessionState,
    trace: Vec<TraceEntry>,
}

impl<'g> Walk<'g> {
    fn new(graph: &'g PolicyGraph, state: SessionState) -> Self {
        Self {
            graph,
            state,
            trace: Vec::new(),
        }
    }

    fn node(&self, id: &str) -> Result<&'g Node, WalkError> {
        self.graph
            .node(id)
            .ok_or_else(|| WalkError::PolicyChanged(id.to_owned()))
    }

    fn record(&mut self, node: &Node, decision: Decision) {
        self.trace.push(TraceEntry::new(node, decision));
    }

    fn finish(&self) -> Result<Advance, WalkError> {
        Ok(Advance {
            step: self.step()?,
            trace: self.trace.clone(),
        })
    }

    fn refuse(&mut self, node: &str, reason: RefusalReason) {
        self.state.at = At::Refused {
            node: node.to_owned(),
            reason,
        };
    }

    /// Follows `outcome` from `node`; `reason` is why, should it lead to `refuse`.
    fn follow(
        &mut self,
        node: &Node,
        outcome: Outcome,
        reason: RefusalReason,
    ) -> Result<(), WalkError> {
        let target = node
            .target(outcome)
            .cloned()
            .ok_or_else(|| WalkError::PolicyChanged(node.id.clone()))?;
        self.go(target, &node.id, reason)
    }

    /// Moves on to `target` (reached from `from`), passing through disabled and
    /// deferred nodes, until the session must wait for an event.
    fn go(
        &mut self,
        mut target: Target,
        from: &str,
        mut reason: RefusalReason,
    ) -> Result<(), WalkError> {
        let mut from = from.to_owned();
        for _ in 0..MAX_HOPS {
            if target != Target::Refuse && self.state.number.is_some() {
                if let Some(id) = self.take_deferred() {
                    self.state.at = At::Risk {
                        node: id,
                        then: target,
                    };
                    return Ok(());
                }
            }
            let id = match target {
                Target::Refuse => {
                    self.refuse(&from, reason);
                    return Ok(());
                }
                Target::Pass if self.state.proven => {
                    self.state.at = At::Done;
                    return Ok(());
                }
                Target::Pass => {
                    self.refuse(&from, RefusalReason::Policy);
                    return Ok(());
                }
                Target::Node(id) => id,
            };
            let node = self.node(&id)?;
            let kind = node.kind();
            let known = self.state.number.is_some();
            let (decision, outcome, why) = if !node.enabled {
                let why = if kind.is_method() {
                    RefusalReason::Disabled
                } else {
                    RefusalReason::Policy
                };
                (Decision::Skipped, kind.neutral_outcome(), why)
            } else if kind == NodeKind::NumberRisk && !known {
                self.state.deferred.push(id.clone());
                (Decision::Deferred, Outcome::Low, RefusalReason::Policy)
            } else if kind == NodeKind::NumberScoring && !known {
                (Decision::NoNumber, Outcome::Next, RefusalReason::Policy)
            } else {
                self.state.at = self.wait_at(node)?;
                return Ok(());
            };
            self.record(node, decision);
            target = node
                .target(outcome)
                .cloned()
                .ok_or_else(|| WalkError::PolicyChanged(id.clone()))?;
            from = id;
            reason = why;
        }
        Err(WalkError::TooManyHops)
    }

    fn take_deferred(&mut self) -> Option<String> {
        if self.state.deferred.is_empty() {
            None
        } else {
            Some(self.state.deferred.remove(0))
        }
    }

    /// Where the session waits on entering an enabled node.
    fn wait_at(&self, node: &Node) -> Result<At, WalkError> {
        let id = node.id.clone();
        let known = self.state.number.is_some();
        Ok(match node.kind() {
            NodeKind::EndpointRisk | NodeKind::NumberRisk => At::Risk {
                then: node
                    .target(Outcome::Low)
                    .cloned()
                    .ok_or_else(|| WalkError::PolicyChanged(id.clone()))?,
                node: id,
            },
            NodeKind::NumberScoring => At::Score { node: id },
            kind if kind.needs_number() && !known => At::Number { node: id },
            _ => At::Method { node: id },
        })
    }

    fn apply(&mut self, event: Event) -> Result<(), WalkError> {
        let at = self.state.at.clone();
        match (at, event) {
            (At::Done | At::Refused { .. }, _) => Err(WalkError::Finished),
            (At::Risk { node, then }, Event::RiskEvaluated(evaluation)) => {
                self.risk_evaluated(&node, then, evaluation)
            }
            (
                At::Captcha {
                    node,
                    difficulty,
                    failures,
                    then,
                },
                e @ (Event::CaptchaSolved | Event::CaptchaFailed),
            ) => {
                let n = self.node(&node)?;
                if e == Event::CaptchaSolved {
                    self.record(n, Decision::CaptchaSolved);
                    return self.go(then, &node, RefusalReason::Policy);
                }
                let failures = failures + 1;
                self.record(n, Decision::CaptchaFailed { failures });
                if failures >= MAX_CAPTCHA_FAILURES {
                    self.refuse(&node, RefusalReason::CaptchaFailed);
                } else {
                    self.state.at = At::Captcha {
                        node,
                        difficulty,
                        failures,
                        then,
                    };
                }
                Ok(())
            }
            (At::Number { node }, Event::NumberEntered(number)) => {
                let n = self.node(&node)?;
                self.state.number = Some(number);
                self.record(n, Decision::NumberEntered);
                self.go(Target::Node(node), &n.id, RefusalReason::Policy)
            }
            (
                At::Method { node },
                event @ (Event::Succeeded { .. }
                | Event::Failed
                | Event::TimedOut
                | Event::CarrierError),
            ) => self.method_outcome(&node, event),
            (At::Score { node }, Event::NumberScored(score)) => {
                let n = self.node(&node)?;
                let score = score.min(100);
                self.state.score = Some(score);
                self.record(n, Decision::Scored { score });
                self.follow(n, Outcome::Next, RefusalReason::Policy)
            }
            (at, event) => Err(WalkError::UnexpectedEvent {
                event: event.name(),
                waiting: waiting(&at),
            }),
        }
    }

    fn risk_evaluated(
        &mut self,
        id: &str,
        then: Target,
        evaluation: super::risk::RiskEvaluation,
    ) -> Result<(), WalkError> {
        let node = self.node(id)?;
        let settings = node
            .settings
            .risk()
            .ok_or_else(|| WalkError::PolicyChanged(id.to_owned()))?;
        let action = match evaluation.level {
            RiskLevel::Low => RiskAction::Continue,
            RiskLevel::Blocked => RiskAction::Blocked,
            RiskLevel::High => match &settings.on_high {
                OnHigh::Captcha { base_difficulty } => RiskAction::Captcha {
                    difficulty: difficulty_for_score(*base_difficulty, evaluation.score),
                },
                OnHigh::Refuse => RiskAction::Refuse,
                OnHigh::SkipTo { node } => RiskAction::SkipTo { node: node.clone() },
            },
        };
        self.record(
            node,
            Decision::Evaluated {
                evaluation,
                action: action.clone(),
            },
        );
        match action {
            RiskAction::Continue => self.go(then, id, RefusalReason::Policy),
            RiskAction::Captcha { difficulty } => {
                self.state.at = At::Captcha {
                    node: id.to_owned(),
                    difficulty,
                    failures: 0,
                    then,
                };
                Ok(())
            }
            RiskAction::Refuse => {
                self.refuse(id, RefusalReason::HighRisk);
                Ok(())
            }
            RiskAction::Blocked => {
                self.refuse(id, RefusalReason::Blocked);
                Ok(())
            }
            RiskAction::SkipTo { node: to } => {
                self.state.proven = false;
                self.go(Target::Node(to), id, RefusalReason::HighRisk)
            }
        }
    }

    fn method_outcome(&mut self, id: &str, event: Event) -> Result<(), WalkError> {
        let node = self.node(id)?;
        let (decision, reason) = match event {
            Event::Succeeded { number } => return self.succeeded(node, number),
            Event::Failed => (Decision::Failed, RefusalReason::MethodFailed),
            Event::TimedOut => (Decision::TimedOut, RefusalReason::TimedOut),
            _ => (Decision::CarrierError, RefusalReason::CarrierError),
        };
        self.record(node, decision);
        if let Settings::OneClick(c) | Settings::NumberCheck(c) = &node.settings {
            if reason == RefusalReason::CarrierError && c.on_carrier_error == OnCarrierError::Refuse
            {
                self.refuse(id, reason);
                return Ok(());
            }
        }
        self.follow(node, Outcome::Failure, reason)
    }

    fn succeeded(&mut self, node: &Node, reported: Option<PhoneNumber>) -> Result<(), WalkError> {
        match (&self.state.number, reported) {
            (Some(known), Some(reported)) if *known != reported => {
                self.record(node, Decision::NumberMismatch);
                return self.follow(node, Outcome::Failure, RefusalReason::NumberMismatch);
            }
            (Some(_), _) => {}
            (None, Some(reported)) => self.state.number = Some(reported),
            (None, None) => return Err(WalkError::MissingNumber(node.kind())),
        }
        self.state.proven = true;
        self.record(node, Decision::Succeeded);
        self.follow(node, Outcome::Success, RefusalReason::Policy)
    }

    /// The step the session waits at.
    fn step(&self) -> Result<Step, WalkError> {
        let s = &self.state;
        let number = |id: &str| {
            s.number
                .clone()
                .ok_or_else(|| WalkError::PolicyChanged(id.to_owned()))
        };
        let lookup = |id: &str| self.node(id).map(|n| (id.to_owned(), &n.settings));
        Ok(match &s.at {
            At::Risk { node: id, .. } => match lookup(id)? {
                (node, Settings::EndpointRisk(r)) => Step::EvaluateEndpointRisk {
                    node,
                    settings: r.clone(),
                },
                (node, Settings::NumberRisk(r)) => Step::EvaluateNumberRisk {
                    settings: r.clone(),
                    number: number(id)?,
                    node,
                },
                _ => return Err(WalkError::PolicyChanged(id.clone())),
            },
            At::Captcha {
                node, difficulty, ..
            } => Step::Captcha {
                node: node.clone(),
                difficulty: *difficulty,
            },
            At::Number { node } => Step::EnterNumber { node: node.clone() },
            At::Method { node: id } => match lookup(id)? {
                (node, Settings::OneClick(c)) => Step::CarrierConsent {
                    node,
                    timeout_ms: c.timeout_ms,
                },
                (node, Settings::NumberCheck(c)) => Step::NumberCheck {
                    number: number(id)?,
                    node,
                    timeout_ms: c.timeout_ms,
                },
                (node, Settings::SmsCode(settings)) => Step::SmsCode {
                    number: number(id)?,
                    node,
                    settings: settings.clone(),
                },
                (node, Settings::UpstreamSms(settings)) => Step::UpstreamSms {
                    node,
                    number: s.number.clone(),
                    settings: settings.clone(),
                },
                _ => return Err(WalkError::PolicyChanged(id.clone())),
            },
            At::Score { node } => Step::ScoreNumber {
                node: node.clone(),
                number: number(node)?,
            },
            At::Done => Step::Done {
                number: number("pass")?,
                score: s.score,
            },
            At::Refused { node, reason } => Step::Refused {
                node: node.clone(),
                reason: *reason,
            },
        })
    }
}

fn waiting(at: &At) -> &'static str {
    match at {
        At::Risk { .. } => "a risk evaluation",
        At::Captcha { .. } => "a CAPTCHA solution",
        At::Number { .. } => "the number",
        At::Method { .. } => "a method's outcome",
        At::Score { .. } => "the PhoneScore",
        At::Done | At::Refused { .. } => "nothing",
    }
}

#[cfg(test)]
#[path = "walker_tests.rs"]
mod tests;
