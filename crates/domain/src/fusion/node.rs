//! The nodes of a policy graph: their kinds, settings and outgoing edges, as the
//! JSON that the console and the Open API edit (field names are stable).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One step of a policy: a risk check, a verification method or number scoring.
///
/// JSON: `{"id": "sms_code", "kind": "sms_code", "enabled": true, "log": true,
/// "settings": {…}, "next": {"success": "pass", "failure": "upstream_sms"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Unique within the graph; lower-case ASCII letters, digits, `_` and `-`.
    pub id: String,
    /// The feature switch. A disabled node is passed through along its neutral
    /// outcome (see [`NodeKind::neutral_outcome`]) and keeps its settings, which
    /// are still validated so that switching it back on cannot break the graph.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Whether the node's decisions (and the rules that fired) are recorded in the
    /// attempt log.
    #[serde(default = "yes")]
    pub log: bool,
    #[serde(flatten)]
    pub settings: Settings,
    /// Where each outcome leads.
    #[serde(default)]
    pub next: BTreeMap<Outcome, Target>,
}

fn yes() -> bool {
    true
}

impl Node {
    pub fn kind(&self) -> NodeKind {
        self.settings.kind()
    }

    pub fn target(&self, outcome: Outcome) -> Option<&Target> {
        self.next.get(&outcome)
    }
}

/// The kind of a node with its kind-specific settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "settings", rename_all = "snake_case")]
pub enum Settings {
    /// Risk of the device and connection, from the SDK's signals and velocity.
    EndpointRisk(RiskSettings),
    /// Risk of the phone number; deferred until the number is known.
    NumberRisk(RiskSettings),
    /// Carrier one-click: the carrier names the SIM's number.
    OneClick(CarrierSettings),
    /// Carrier number check: the carrier says whether the SIM has the given number.
    NumberCheck(CarrierSettings),
    /// A code sent by SMS and typed back.
    SmsCode(SmsSettings),
    /// The user sends a given text from the phone to a service number.
    UpstreamSms(UpstreamSettings),
    /// Adds a PhoneScore (0–100, higher is riskier) to the result; its switch
    /// is the node's `enabled`.
    NumberScoring(ScoringSettings),
}

impl Settings {
    pub fn kind(&self) -> NodeKind {
        match self {
            Self::EndpointRisk(_) => NodeKind::EndpointRisk,
            Self::NumberRisk(_) => NodeKind::NumberRisk,
            Self::OneClick(_) => NodeKind::OneClick,
            Self::NumberCheck(_) => NodeKind::NumberCheck,
            Self::SmsCode(_) => NodeKind::SmsCode,
            Self::UpstreamSms(_) => NodeKind::UpstreamSms,
            Self::NumberScoring(_) => NodeKind::NumberScoring,
        }
    }

    pub fn risk(&self) -> Option<&RiskSettings> {
        match self {
            Self::EndpointRisk(r) | Self::NumberRisk(r) => Some(r),
            _ => None,
        }
    }
}

/// The kind of a node, without its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    EndpointRisk,
    NumberRisk,
    OneClick,
    NumberCheck,
    SmsCode,
    UpstreamSms,
    NumberScoring,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EndpointRisk => "endpoint_risk",
            Self::NumberRisk => "number_risk",
            Self::OneClick => "one_click",
            Self::NumberCheck => "number_check",
            Self::SmsCode => "sms_code",
            Self::UpstreamSms => "upstream_sms",
            Self::NumberScoring => "number_scoring",
        }
    }

    /// The outcomes a node of this kind has, each of which needs a target.
    ///
    /// High risk is not an edge: [`RiskSettings::on_high`] says what it does.
    /// A carrier timeout follows `failure` (SMS takes over); a carrier error
    /// follows `failure` or refuses, as [`CarrierSettings::on_carrier_error`] says.
    pub fn outcomes(self) -> &'static [Outcome] {
        match self {
            Self::EndpointRisk | Self::NumberRisk => &[Outcome::Low],
            Self::NumberScoring => &[Outcome::Next],
            _ => &[Outcome::Success, Outcome::Failure],
        }
    }

    /// The outcome a disabled node is passed through along: `low` for a risk
    /// check (nothing evaluated, nothing fired), `failure` for a method (it is
    /// unavailable, so its fallback takes over; never `success`, which would pass
    /// without proof), `next` for scoring (no score).
    pub fn neutral_outcome(self) -> Outcome {
        match self {
            Self::EndpointRisk | Self::NumberRisk => Outcome::Low,
            Self::NumberScoring => Outcome::Next,
            _ => Outcome::Failure,
        }
    }

    /// Methods prove possession of the number when they succeed.
    pub fn is_method(self) -> bool {
        matches!(
            self,
            Self::OneClick | Self::NumberCheck | Self::SmsCode | Self::UpstreamSms
        )
    }

    /// Whether the node cannot run before the session knows the number. One-click
    /// and upstream SMS learn it (from the carrier, from the sender of the MO).
    pub fn needs_number(self) -> bool {
        matches!(
            self,
            Self::NumberRisk | Self::NumberCheck | Self::SmsCode | Self::NumberScoring
        )
    }
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The label of an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A risk check found the risk low (or a CAPTCHA mitigated it).
    Low,
    /// A method proved possession.
    Success,
    /// A method failed, timed out, was unavailable or disabled.
    Failure,
    /// Number scoring is done.
    Next,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Next => "next",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an edge leads: another node, or one of the two ends. JSON: the node id,
/// `"pass"` or `"refuse"` (which are therefore not valid node ids).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Target {
    Pass,
    Refuse,
    Node(String),
}

impl Target {
    pub const PASS: &'static str = "pass";
    pub const REFUSE: &'static str = "refuse";

    pub fn node(id: &str) -> Self {
        Self::from(id.to_owned())
    }
}

impl From<String> for Target {
    fn from(s: String) -> Self {
        match s.as_str() {
            Self::PASS => Self::Pass,
            Self::REFUSE => Self::Refuse,
            _ => Self::Node(s),
        }
    }
}

impl From<Target> for String {
    fn from(t: Target) -> Self {
        t.to_string()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pass => f.write_str(Self::PASS),
            Self::Refuse => f.write_str(Self::REFUSE),
            Self::Node(id) => f.write_str(id),
        }
    }
}

/// Settings of an endpoint or number risk check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskSettings {
    /// 0–100: a score at or above it is high risk (0: every attempt is high).
    pub threshold: u8,
    /// Up to five rules, OR'ed: any one that fires makes the risk high.
    #[serde(default)]
    pub frequency_rules: Vec<FrequencyRule>,
    /// What high risk does.
    pub on_high: OnHigh,
}

/// What a risk check does when the risk is high. A number on the tenant's block
/// list is refused whatever this says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OnHigh {
    /// Step up: the client solves a proof-of-work CAPTCHA whose difficulty rises
    /// with the score from `base_difficulty` (ALTCHA `maxnumber`, see
    /// [`crate::captcha::difficulty_for_score`]), then the walk continues along `low`.
    /// This is the node's CAPTCHA switch: any other action means CAPTCHA off.
    Captcha { base_difficulty: u64 },
    /// End the scene: refused.
    Refuse,
    /// Continue at another node (e.g. straight to SMS); possession must then be
    /// proven afresh there, even if a method had already succeeded.
    SkipTo { node: String },
}

/// "More than `max` attempts per `dimension` in `window_minutes` minutes".
///
/// The count the caller passes includes the attempt being evaluated, so the rule
/// fires at the (`max` + 1)-th attempt within the window: with `max` 5 the fifth
/// attempt passes and the sixth is high risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FrequencyRule {
    pub dimension: Dimension,
    pub max: u32,
    pub window_minutes: u32,
}

impl FrequencyRule {
    /// Whether `count` attempts in the window (this one included) break the rule.
    pub fn fires(&self, count: u32) -> bool {
        count > self.max
    }
}

/// What attempts are counted per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Device,
    Ip,
    Number,
}

impl Dimension {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Device => "device",
            Self::Ip => "ip",
            Self::Number => "number",
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Settings of one-click and number check, the carrier methods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierSettings {
    /// After this many milliseconds without the carrier's answer the method has
    /// timed out and `failure` (typically SMS) takes over.
    pub timeout_ms: u32,
    /// What a carrier error (5xx, malformed answer) does.
    pub on_carrier_error: OnCarrierError,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnCarrierError {
    /// Follow `failure`, as for a timeout.
    FallBack,
    /// End the scene: refused.
    Refuse,
}

/// Settings of the SMS code method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsSettings {
    /// A signature in the tenant's catalog.
    pub sign_name: String,
    /// A template in the tenant's catalog that may be sent with `sign_name`.
    pub template_code: String,
    /// 4–8 digits.
    pub code_length: u8,
    /// How long a code stays valid: 60–1800 seconds.
    pub valid_seconds: u32,
}

/// Number scoring has no settings yet: `"settings": {}`, so that every node's
/// JSON has the same shape.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoringSettings {}

/// Settings of the upstream (MO) SMS method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamSettings {
    /// The number the user sends the text to: 3–21 digits.
    pub service_number: String,
    /// Length of the random text the user sends: 4–12 characters.
    pub text_length: u8,
    /// How long to wait for the inbound message: 30–900 seconds.
    pub wait_seconds: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_round_trip_through_their_json_form() {
        let json = r#"{"id":"sms","kind":"sms_code","enabled":false,
            "settings":{"sign_name":"s","template_code":"t","code_length":6,"valid_seconds":300},
            "next":{"success":"pass","failure":"refuse"}}"#;
        let node: Node = serde_json::from_str(json).unwrap();
        assert_eq!(node.kind(), NodeKind::SmsCode);
        assert!(!node.enabled);
        assert!(node.log, "logging defaults to on");
        assert_eq!(node.target(Outcome::Success), Some(&Target::Pass));
        assert_eq!(node.target(Outcome::Failure), Some(&Target::Refuse));
        let again: Node = serde_json::from_value(serde_json::to_value(&node).unwrap()).unwrap();
        assert_eq!(again, node);
    }

    #[test]
    fn every_node_has_settings_and_actions_have_a_plain_form() {
        let json = r#"{"id":"score","kind":"number_scoring","settings":{},"next":{"next":"pass"}}"#;
        let node: Node = serde_json::from_str(json).unwrap();
        assert_eq!(node.settings, Settings::NumberScoring(ScoringSettings {}));
        let v = serde_json::to_value(&node).unwrap();
        assert_eq!(v["kind"], "number_scoring");
        assert_eq!(v["settings"], serde_json::json!({}));

        let risk = RiskSettings {
            threshold: 50,
            frequency_rules: vec![FrequencyRule {
                dimension: Dimension::Ip,
                max: 5,
                window_minutes: 10,
            }],
            on_high: OnHigh::SkipTo { node: "sms".into() },
        };
        let v = serde_json::to_value(&risk).unwrap();
        assert_eq!(v["on_high"]["action"], "skip_to");
        assert_eq!(v["on_high"]["node"], "sms");
        assert_eq!(v["frequency_rules"][0]["dimension"], "ip");
    }

    #[test]
    fn a_frequency_rule_fires_on_the_attempt_after_its_maximum() {
        let rule = FrequencyRule {
            dimension: Dimension::Device,
            max: 5,
            window_minutes: 10,
        };
        assert!(!rule.fires(5), "the fifth attempt is allowed");
        assert!(rule.fires(6), "the sixth is one too many");
    }

    #[test]
    fn targets_are_node_ids_or_the_two_ends() {
        assert_eq!(Target::node("pass"), Target::Pass);
        assert_eq!(Target::node("refuse"), Target::Refuse);
        assert_eq!(Target::node("sms"), Target::Node("sms".into()));
        assert_eq!(serde_json::to_string(&Target::Pass).unwrap(), "\"pass\"");
    }
}
