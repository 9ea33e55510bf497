//! The record of a walk: each node passed and the decision taken there, with the
//! rules that fired. Stored per attempt (for nodes whose `log` is on) and printed
//! by the dry run.

use serde::{Deserialize, Serialize};

use super::node::{Node, NodeKind};
use super::risk::RiskEvaluation;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEntry {
    pub node: String,
    pub kind: NodeKind,
    /// The node's logging switch: whether this entry belongs in the attempt log.
    pub log: bool,
    #[serde(flatten)]
    pub decision: Decision,
}

impl TraceEntry {
    pub(super) fn new(node: &Node, decision: Decision) -> Self {
        Self {
            node: node.id.clone(),
            kind: node.kind(),
            log: node.log,
            decision,
        }
    }
}

/// What happened at a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Switched off: passed through along its neutral outcome.
    Skipped,
    /// A number-risk node reached before the number was known: it runs as soon
    /// as the number is.
    Deferred,
    /// A number-scoring node reached without a number (no method learnt one).
    NoNumber,
    /// A risk node was evaluated, and this is what it led to.
    Evaluated {
        evaluation: RiskEvaluation,
        action: RiskAction,
    },
    CaptchaSolved,
    CaptchaFailed {
        failures: u8,
    },
    NumberEntered,
    Succeeded,
    Failed,
    TimedOut,
    CarrierError,
    /// The method proved a number other than the session's.
    NumberMismatch,
    Scored {
        score: u8,
    },
}

/// What a risk evaluation led to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RiskAction {
    /// Low risk: on along `low`.
    Continue,
    /// High risk, stepped up.
    Captcha { difficulty: u64 },
    /// High risk, refused.
    Refuse,
    /// High risk, on at another node.
    SkipTo { node: String },
    /// On the block list, refused.
    Blocked,
}
