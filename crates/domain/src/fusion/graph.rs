//! The policy graph: a start node and the nodes it leads through, with the edge
//! views that validation and the walker share.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::node::{Node, OnHigh, Outcome, Target};

/// A scene's policy: which checks and methods run, in which order, with which
/// fallbacks. JSON: `{"start": "endpoint_risk", "nodes": [ … ]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyGraph {
    /// The id of the first node.
    pub start: String,
    pub nodes: Vec<Node>,
}

impl PolicyGraph {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    pub fn node_mut(&mut self, id: &str) -> Option<&mut Node> {
        self.nodes.iter_mut().find(|n| n.id == id)
    }
}

/// The label of an edge: one of the node's outcomes, or the `skip_to` of high risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EdgeLabel {
    Outcome(Outcome),
    High,
}

impl fmt::Display for EdgeLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Outcome(o) => o.fmt(f),
            Self::High => f.write_str("on_high"),
        }
    }
}

/// What following an edge does to the proof of possession.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proof {
    Keep,
    /// A method succeeded.
    Gained,
    /// High risk skipped elsewhere: the number must be proven afresh.
    Reset,
}

pub(crate) struct Edge {
    pub label: EdgeLabel,
    pub target: Target,
    pub proof: Proof,
}

/// Every edge of a node as written, the `skip_to` of high risk included, whether
/// or not the node is enabled: what a cycle or a dangling node is judged on.
pub(crate) fn all_edges(node: &Node) -> Vec<Edge> {
    let mut edges: Vec<Edge> = node
        .next
        .iter()
        .map(|(o, t)| Edge {
            label: EdgeLabel::Outcome(*o),
            target: t.clone(),
            proof: proof_of(*o),
        })
        .collect();
    if let Some(OnHigh::SkipTo { node: to }) = node.settings.risk().map(|r| &r.on_high) {
        edges.push(Edge {
            label: EdgeLabel::High,
            target: Target::node(to),
            proof: Proof::Reset,
        });
    }
    edges
}

/// The edges an attempt can actually take: a disabled node only its neutral one.
pub(crate) fn live_edges(node: &Node) -> Vec<Edge> {
    if node.enabled {
        return all_edges(node);
    }
    let neutral = node.kind().neutral_outcome();
    node.target(neutral)
        .map(|t| Edge {
            label: EdgeLabel::Outcome(neutral),
            target: t.clone(),
            proof: Proof::Keep,
        })
        .into_iter()
        .collect()
}

fn proof_of(outcome: Outcome) -> Proof {
    if outcome == Outcome::Success {
        Proof::Gained
    } else {
        Proof::Keep
    }
}

/// Whether an `outcome` may lead to `refuse`: only a failure may; a success, a
/// low risk or a score never does.
pub(crate) fn may_refuse(outcome: Outcome) -> bool {
    outcome == Outcome::Failure
}
