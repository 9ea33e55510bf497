//! Phone-number risk: the number's segment, SIM swap recency, status, velocity
//! and the tenant's block and allow lists; and the PhoneScore built from them.

use serde::{Deserialize, Serialize};

use super::{capped_sum, frequency, AttemptCounts, FiredRule, RiskEvaluation, RiskLevel, Rule};
use crate::fusion::node::RiskSettings;
use crate::{Carrier, PhoneNumber};

// Weights, with the default threshold of 50 in mind.

/// A SIM changed within a week is the signature of SIM-swap account takeover:
/// high alone.
pub const SIM_SWAP_WEEK: u8 = 60;
/// Within a month: suspicious, high with one more signal.
pub const SIM_SWAP_MONTH: u8 = 35;
/// Within three months (CAMARA's longest look-back is about 100 days): a trace.
pub const SIM_SWAP_QUARTER: u8 = 15;
/// Virtual-operator numbers are cheap and anonymous, a favourite of number
/// farms, yet many honest people use them: high only with another signal.
pub const VIRTUAL_OPERATOR: u8 = 30;
/// A number not in service cannot be the user's working phone.
pub const STATUS_INACTIVE: u8 = 80;
/// A suspended number cannot receive SMS or calls now, yet someone verifies it.
pub const STATUS_SUSPENDED: u8 = 50;
/// The carrier could not tell: a little uncertainty, not an accusation.
pub const STATUS_UNKNOWN: u8 = 10;

/// What the caller learnt about the number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NumberFacts {
    /// Days since the SIM was last changed (CAMARA SIM Swap `retrieve-date`);
    /// `None` when no change is on record or the operator cannot tell.
    pub sim_swap_days: Option<u32>,
    pub status: NumberStatus,
    pub list: ListMatch,
}

/// The number's status at its carrier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberStatus {
    Active,
    Suspended,
    /// Not in service: cancelled, never issued, or recycled and not yet reissued.
    Inactive,
    #[default]
    Unknown,
}

/// Whether the number is on one of the tenant's lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListMatch {
    #[default]
    Unlisted,
    /// Refused whatever the node's settings say.
    Blocked,
    /// Zero risk: no rule applies (test numbers, known good customers).
    Allowed,
}

/// Scores the number and the node's frequency rules.
pub fn evaluate_number(
    settings: &RiskSettings,
    number: &PhoneNumber,
    facts: &NumberFacts,
    counts: &AttemptCounts,
) -> RiskEvaluation {
    if let Some(listed) = listed(facts.list) {
        return listed;
    }
    let mut fired = number_rules(number, facts);
    fired.extend(frequency(settings, counts));
    RiskEvaluation::judge(settings, fired)
}

/// The PhoneScore of `VerifyWithFusionAuthToken` (0–100, higher is riskier):
/// the number's own rules, without velocity, which belongs to the attempt.
pub fn phone_score(number: &PhoneNumber, facts: &NumberFacts) -> u8 {
    match listed(facts.list) {
        Some(e) => e.score,
        None => capped_sum(&number_rules(number, facts)),
    }
}

fn listed(list: ListMatch) -> Option<RiskEvaluation> {
    match list {
        ListMatch::Unlisted => None,
        ListMatch::Blocked => Some(RiskEvaluation {
            score: 100,
            level: RiskLevel::Blocked,
            fired: vec![FiredRule::new(
                Rule::BlockList,
                100,
                "the number is on the tenant's block list",
            )],
        }),
        ListMatch::Allowed => Some(RiskEvaluation {
            score: 0,
            level: RiskLevel::Low,
            fired: vec![FiredRule::new(
                Rule::AllowList,
                0,
                "the number is on the tenant's allow list: no other rule applies",
            )],
        }),
    }
}

fn number_rules(number: &PhoneNumber, facts: &NumberFacts) -> Vec<FiredRule> {
    let mut fired = Vec::new();
    if number.carrier() == Some(Carrier::Virtual) {
        fired.push(FiredRule::new(
            Rule::VirtualOperator,
            VIRTUAL_OPERATOR,
            format!("{} is a virtual-operator segment", &number.national()[..3]),
        ));
    }
    if let Some(days) = facts.sim_swap_days {
        let points = match days {
            0..=7 => SIM_SWAP_WEEK,
            8..=30 => SIM_SWAP_MONTH,
            31..=90 => SIM_SWAP_QUARTER,
            _ => 0,
        };
        if points > 0 {
            fired.push(FiredRule::new(
                Rule::SimSwap,
                points,
                format!("the SIM was changed {days} days ago"),
            ));
        }
    }
    let status = match facts.status {
        NumberStatus::Active => None,
        NumberStatus::Suspended => Some((STATUS_SUSPENDED, "the number is suspended")),
        NumberStatus::Inactive => Some((STATUS_INACTIVE, "the number is not in service")),
        NumberStatus::Unknown => Some((
            STATUS_UNKNOWN,
            "the carrier did not tell the number's status",
        )),
    };
    if let Some((points, reason)) = status {
        fired.push(FiredRule::new(Rule::NumberStatus, points, reason));
    }
    fired
}
