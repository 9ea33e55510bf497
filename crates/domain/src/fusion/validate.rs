//! Validation of a policy graph before it is stored: every problem names the node
//! it is found at, so that the console can highlight it.

use std::collections::{HashMap, HashSet, VecDeque};

use super::graph::{all_edges, live_edges, may_refuse, Edge, PolicyGraph, Proof};
use super::node::{
    CarrierSettings, Dimension, Node, NodeKind, OnHigh, Outcome, RiskSettings, Settings,
    SmsSettings, Target, UpstreamSettings,
};

/// At most this many nodes: seven kinds, a few of them twice, leave room enough,
/// and the walker's and the dry run's loop bounds derive from it.
pub const MAX_NODES: usize = 32;
/// At most this many frequency rules per risk node (they are OR'ed).
pub const MAX_FREQUENCY_RULES: usize = 5;
/// Attempt records are kept a week, so no window may be longer.
pub const MAX_WINDOW_MINUTES: u32 = 7 * 24 * 60;
/// ALTCHA `maxnumber` bounds for the base difficulty: below 1,000 a CAPTCHA costs
/// a bot nothing; above 1,000,000 (ALTCHA's own default ceiling) a phone's browser
/// takes seconds even at low risk, and the difficulty still rises with the score.
pub const CAPTCHA_BASE_DIFFICULTY: (u64, u64) = (1_000, 1_000_000);
/// Carrier answers take 1–3 s on a good bearer; below 0.5 s every attempt would
/// time out, above a minute the user has long gone.
pub const CARRIER_TIMEOUT_MS: (u32, u32) = (500, 60_000);
const CODE_LENGTH: (u8, u8) = (4, 8);
const CODE_VALID_SECONDS: (u32, u32) = (60, 1_800);
const TEXT_LENGTH: (u8, u8) = (4, 12);
const WAIT_SECONDS: (u32, u32) = (30, 900);
const MAX_ID_LEN: usize = 32;

/// A graph problem and the node it was found at (`None`: the graph as a whole).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {problem}", match node { Some(n) => format!("node `{n}`"), None => "policy".to_owned() })]
pub struct GraphError {
    pub node: Option<String>,
    pub problem: GraphProblem,
}

/// What is wrong, in words fit for the console.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphProblem {
    #[error("the graph has no nodes")]
    Empty,
    #[error("the start node `{0}` does not exist")]
    UnknownStart(String),
    #[error("{0} nodes; at most 32")]
    TooManyNodes(usize),
    #[error("another node has the same id")]
    DuplicateId,
    #[error(
        "an id has 1 to 32 lower-case letters, digits, `_` or `-`, and is not `pass` or `refuse`"
    )]
    BadId,
    #[error("`{label}` leads to `{target}`, which is not a node")]
    UnknownTarget { label: String, target: String },
    #[error("outcome `{0}` has no target")]
    MissingOutcome(Outcome),
    #[error("a {kind} node has no outcome `{outcome}`")]
    UnexpectedOutcome { kind: NodeKind, outcome: Outcome },
    #[error("outcome `{0}` must not lead to `refuse`: only a failure refuses")]
    RefusingOutcome(Outcome),
    #[error("it is part of a cycle: {}", .0.join(" → "))]
    Cycle(Vec<String>),
    #[error("it cannot be reached from the start node")]
    Unreachable,
    #[error(
        "no path from the start reaches `pass` (unreachable end): every attempt would be refused"
    )]
    UnreachableEnd,
    #[error("`{0}` leads to `pass` on a path where no method has proven the number")]
    PassWithoutProof(String),
    #[error("`{setting}` is {value}; it must be {min} to {max}")]
    OutOfRange {
        setting: String,
        value: u64,
        min: u64,
        max: u64,
    },
    #[error("{0} frequency rules; at most 5")]
    TooManyRules(usize),
    #[error("frequency rule {0} counts per number: per-number rules belong on a number_risk node, which runs once the number is known")]
    NumberRuleOnEndpoint(usize),
    #[error("`{0}` is missing")]
    Missing(&'static str),
    #[error(
        "the SMS signature `{sign}` with template `{template}` is not in the tenant's catalog"
    )]
    NotInCatalog { sign: String, template: String },
    #[error("the service number must be 3 to 21 digits")]
    BadServiceNumber,
}

impl PolicyGraph {
    /// The first problem of [`check`](Self::check), if any.
    pub fn validate(&self, catalog: &dyn Fn(&str, &str) -> bool) -> Result<(), GraphError> {
        match self.check(catalog).into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Every problem of the graph, node by node in the graph's order.
    ///
    /// `catalog(sign_name, template_code)` says whether the tenant may send that
    /// template with that signature. Disabled nodes are checked like enabled ones.
    /// The graph-wide checks (cycles, reachability) run only on a graph whose
    /// nodes and edges are well formed.
    pub fn check(&self, catalog: &dyn Fn(&str, &str) -> bool) -> Vec<GraphError> {
        let mut errors = Vec::new();
        if self.nodes.is_empty() {
            errors.push(GraphError {
                node: None,
                problem: GraphProblem::Empty,
            });
            return errors;
        }
        if self.nodes.len() > MAX_NODES {
            errors.push(GraphError {
                node: None,
                problem: GraphProblem::TooManyNodes(self.nodes.len()),
            });
        }
        let mut seen = HashSet::new();
        for node in &self.nodes {
            let at = |problem| GraphError {
                node: Some(node.id.clone()),
                problem,
            };
            if !is_valid_id(&node.id) {
                errors.push(at(GraphProblem::BadId));
            } else if !seen.insert(node.id.as_str()) {
                errors.push(at(GraphProblem::DuplicateId));
            }
        }
        if self.node(&self.start).is_none() {
            errors.push(GraphError {
                node: None,
                problem: GraphProblem::UnknownStart(self.start.clone()),
            });
        }
        for node in &self.nodes {
            let mut problems = edge_problems(self, node);
            problems.extend(settings_problems(&node.settings, catalog));
            errors.extend(problems.into_iter().map(|problem| GraphError {
                node: Some(node.id.clone()),
                problem,
            }));
        }
        if errors.is_empty() {
            errors.extend(shape_problems(self));
        }
        errors
    }
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id != Target::PASS
        && id != Target::REFUSE
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn edge_problems(graph: &PolicyGraph, node: &Node) -> Vec<GraphProblem> {
    let kind = node.kind();
    let mut problems = Vec::new();
    for outcome in kind.outcomes() {
        if node.target(*outcome).is_none() {
            problems.push(GraphProblem::MissingOutcome(*outcome));
        }
    }
    for (outcome, target) in &node.next {
        if !kind.outcomes().contains(outcome) {
            problems.push(GraphProblem::UnexpectedOutcome {
                kind,
                outcome: *outcome,
            });
        } else if *target == Target::Refuse && !may_refuse(*outcome) {
            problems.push(GraphProblem::RefusingOutcome(*outcome));
        }
    }
    for edge in all_edges(node) {
        if let Target::Node(id) = &edge.target {
            if graph.node(id).is_none() {
                problems.push(GraphProblem::UnknownTarget {
                    label: edge.label.to_string(),
                    target: id.clone(),
                });
            }
        }
    }
    problems
}

fn range<T: Into<u64> + Copy>(setting: &str, value: T, (min, max): (T, T)) -> Option<GraphProblem> {
    let (value, min, max) = (value.into(), min.into(), max.into());
    (value < min || value > max).then(|| GraphProblem::OutOfRange {
        setting: setting.to_owned(),
        value,
        min,
        max,
    })
}

fn settings_problems(
    settings: &Settings,
    catalog: &dyn Fn(&str, &str) -> bool,
) -> Vec<GraphProblem> {
    match settings {
        Settings::EndpointRisk(r) => risk_problems(r, true),
        Settings::NumberRisk(r) => risk_problems(r, false),
        Settings::OneClick(c) | Settings::NumberCheck(c) => carrier_problems(c),
        Settings::SmsCode(s) => sms_problems(s, catalog),
        Settings::UpstreamSms(u) => upstream_problems(u),
        Settings::NumberScoring(_) => Vec::new(),
    }
}

fn risk_problems(r: &RiskSettings, endpoint: bool) -> Vec<GraphProblem> {
    let mut p: Vec<GraphProblem> = range("threshold", r.threshold, (0, 100))
        .into_iter()
        .collect();
    if r.frequency_rules.len() > MAX_FREQUENCY_RULES {
        p.push(GraphProblem::TooManyRules(r.frequency_rules.len()));
    }
    for (i, rule) in r.frequency_rules.iter().enumerate() {
        let n = i + 1;
        p.extend(range(
            &format!("frequency_rules[{n}].max"),
            rule.max,
            (1, 100_000),
        ));
        p.extend(range(
            &format!("frequency_rules[{n}].window_minutes"),
            rule.window_minutes,
            (1, MAX_WINDOW_MINUTES),
        ));
        if endpoint && rule.dimension == Dimension::Number {
            p.push(GraphProblem::NumberRuleOnEndpoint(n));
        }
    }
    if let OnHigh::Captcha { base_difficulty } = r.on_high {
        p.extend(range(
            "on_high.base_difficulty",
            base_difficulty,
            CAPTCHA_BASE_DIFFICULTY,
        ));
    }
    p
}

fn carrier_problems(c: &CarrierSettings) -> Vec<GraphProblem> {
    range("timeout_ms", c.timeout_ms, CARRIER_TIMEOUT_MS)
        .into_iter()
        .collect()
}

fn sms_problems(s: &SmsSettings, catalog: &dyn Fn(&str, &str) -> bool) -> Vec<GraphProblem> {
    let mut p = Vec::new();
    if s.sign_name.trim().is_empty() {
        p.push(GraphProblem::Missing("sign_name"));
    }
    if s.template_code.trim().is_empty() {
        p.push(GraphProblem::Missing("template_code"));
    }
    if p.is_empty() && !catalog(&s.sign_name, &s.template_code) {
        p.push(GraphProblem::NotInCatalog {
            sign: s.sign_name.clone(),
            template: s.template_code.clone(),
        });
    }
    p.extend(range("code_length", s.code_length, CODE_LENGTH));
    p.extend(range("valid_seconds", s.valid_seconds, CODE_VALID_SECONDS));
    p
}

fn upstream_problems(u: &UpstreamSettings) -> Vec<GraphProblem> {
    let mut p = Vec::new();
    let n = &u.service_number;
    if !(3..=21).contains(&n.len()) || !n.bytes().all(|b| b.is_ascii_digit()) {
        p.push(GraphProblem::BadServiceNumber);
    }
    p.extend(range("text_length", u.text_length, TEXT_LENGTH));
    p.extend(range("wait_seconds", u.wait_seconds, WAIT_SECONDS));
    p
}

/// Cycles, dangling nodes, an unreachable end and passes without proof, on a graph
/// whose ids are unique and whose edges all resolve.
fn shape_problems(graph: &PolicyGraph) -> Vec<GraphError> {
    if let Some(e) = find_cycle(graph) {
        return vec![e];
    }
    let at = |id: &str, problem| GraphError {
        node: Some(id.to_owned()),
        problem,
    };
    let reachable = reach(graph, all_edges);
    let mut errors: Vec<GraphError> = graph
        .nodes
        .iter()
        .filter(|n| !reachable.contains(n.id.as_str()))
        .map(|n| at(&n.id, GraphProblem::Unreachable))
        .collect();
    errors.extend(proof_problems(graph));
    errors
}

/// Depth-first search over every edge; the cycle is reported at its first node.
fn find_cycle(graph: &PolicyGraph) -> Option<GraphError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = graph
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), Mark::New))
        .collect();
    for root in &graph.nodes {
        if marks[root.id.as_str()] != Mark::New {
            continue;
        }
        // (node, its successors, index of the next successor to visit)
        let mut stack: Vec<(&str, Vec<String>, usize)> =
            vec![(root.id.as_str(), successors(graph, &root.id), 0)];
        marks.insert(root.id.as_str(), Mark::Open);
        while let Some((id, next, i)) = stack.last_mut() {
            let Some(succ) = next.get(*i).cloned() else {
                marks.insert(id, Mark::Done);
                stack.pop();
                continue;
            };
            *i += 1;
            let succ_node = graph.node(&succ).expect("targets resolve");
            match marks[succ.as_str()] {
                Mark::Done => {}
                Mark::Open => {
                    let from = stack.iter().position(|(n, _, _)| *n == succ).unwrap_or(0);
                    let mut path: Vec<String> = stack[from..]
                        .iter()
                        .map(|(n, _, _)| (*n).to_owned())
                        .collect();
                    path.push(succ.clone());
                    return Some(GraphError {
                        node: Some(succ),
                        problem: GraphProblem::Cycle(path),
                    });
                }
                Mark::New => {
                    marks.insert(succ_node.id.as_str(), Mark::Open);
                    stack.push((succ_node.id.as_str(), successors(graph, &succ_node.id), 0));
                }
            }
        }
    }
    None
}

fn successors(graph: &PolicyGraph, id: &str) -> Vec<String> {
    let node = graph.node(id).expect("ids resolve");
    all_edges(node)
        .into_iter()
        .filter_map(|e| match e.target {
            Target::Node(n) => Some(n),
            _ => None,
        })
        .collect()
}

fn reach(graph: &PolicyGraph, edges: fn(&Node) -> Vec<Edge>) -> HashSet<&str> {
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([graph.start.as_str()]);
    while let Some(id) = queue.pop_front() {
        let Some(node) = graph.node(id) else { continue };
        if !seen.insert(node.id.as_str()) {
            continue;
        }
        for e in edges(node) {
            if let Target::Node(n) = e.target {
                if let Some(next) = graph.node(&n) {
                    queue.push_back(next.id.as_str());
                }
            }
        }
    }
    seen
}

/// Walks the edges an attempt can take, tracking whether a method has proven the
/// number: `pass` must be reachable, and only with proof.
fn proof_problems(graph: &PolicyGraph) -> Vec<GraphError> {
    let mut errors = Vec::new();
    let mut passes = false;
    let mut seen: HashSet<(&str, bool)> = HashSet::new();
    let mut queue = VecDeque::from([(graph.start.as_str(), false)]);
    while let Some((id, proven)) = queue.pop_front() {
        if !seen.insert((id, proven)) {
            continue;
        }
        let node = graph.node(id).expect("ids resolve");
        for edge in live_edges(node) {
            let proven = match edge.proof {
                Proof::Keep => proven,
                Proof::Gained => true,
                Proof::Reset => false,
            };
            match &edge.target {
                Target::Pass if proven => passes = true,
                Target::Pass => {
                    let e = GraphError {
                        node: Some(node.id.clone()),
                        problem: GraphProblem::PassWithoutProof(edge.label.to_string()),
                    };
                    if !errors.contains(&e) {
                        errors.push(e);
                    }
                }
                Target::Refuse => {}
                Target::Node(n) => {
                    let next = graph.node(n).expect("targets resolve");
                    queue.push_back((next.id.as_str(), proven));
                }
            }
        }
    }
    if !passes && errors.is_empty() {
        errors.push(GraphError {
            node: Some(graph.start.clone()),
            problem: GraphProblem::UnreachableEnd,
        });
    }
    errors
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
