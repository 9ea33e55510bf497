//! Fusion-Auth, the pure core: scenes, the policy graph as data, its validation
//! and defaults, policy inheritance, explainable risk scoring, the walker that
//! moves a session through the graph, and the dry run.
//!
//! # Layout
//! - [`scene`]: the five scenes and whether the client supplies the number.
//! - [`node`], [`graph`]: the policy graph and its JSON form.
//! - [`validate`]: graph errors that name the node.
//! - [`defaults`]: each scene's default graph ("restore defaults").
//! - [`policy`]: global and scheme policies, inheritance, the graph in force.
//! - [`risk`]: endpoint and number risk, frequency rules, PhoneScore.
//! - [`session`], [`step`], [`walker`], [`trace`]: the per-session state machine.
//! - [`mod@explain`]: the dry run behind `numgate policy explain`.

pub mod defaults;
pub mod explain;
pub mod graph;
pub mod node;
mod number_serde;
pub mod policy;
pub mod risk;
pub mod scene;
pub mod session;
pub mod step;
pub mod trace;
pub mod validate;
pub mod walker;

#[cfg(test)]
mod testing;

pub use defaults::{default_graph, SmsDefaults, DEFAULT_SERVICE_NUMBER};
pub use explain::{
    explain, CaptchaOutcome, ExplainError, Explanation, Hypothesis, MethodOutcome, Verdict,
};
pub use graph::PolicyGraph;
pub use node::{
    CarrierSettings, Dimension, FrequencyRule, Node, NodeKind, OnCarrierError, OnHigh, Outcome,
    RiskSettings, ScoringSettings, Settings, SmsSettings, Target, UpstreamSettings,
};
pub use policy::{effective_policy, Policy, PolicySource};
pub use risk::{
    evaluate_endpoint, evaluate_number, phone_score, AttemptCounts, EndpointSignals, FiredRule,
    ListMatch, NumberFacts, NumberStatus, RiskEvaluation, RiskLevel, Rule,
};
pub use scene::{NumberSource, Scene};
pub use session::{RefusalReason, SessionState};
pub use step::{Event, Step};
pub use trace::{Decision, RiskAction, TraceEntry};
pub use validate::{GraphError, GraphProblem, MAX_NODES};
pub use walker::{advance, begin, Advance, WalkError};
