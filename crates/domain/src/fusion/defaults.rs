//! The default policy graph of each scene: what a new tenant gets, and what
//! "restore defaults" brings back.

use std::collections::BTreeMap;

use super::graph::PolicyGraph;
use super::node::{
    CarrierSettings, Dimension, FrequencyRule, Node, OnCarrierError, OnHigh, Outcome, RiskSettings,
    ScoringSettings, Settings, SmsSettings, Target, UpstreamSettings,
};
use super::scene::Scene;

/// Node ids of the default graphs.
pub mod ids {
    pub const ENDPOINT_RISK: &str = "endpoint_risk";
    pub const NUMBER_RISK: &str = "number_risk";
    pub const ONE_CLICK: &str = "one_click";
    pub const NUMBER_CHECK: &str = "number_check";
    pub const SMS_CODE: &str = "sms_code";
    pub const UPSTREAM_SMS: &str = "upstream_sms";
    pub const NUMBER_SCORING: &str = "number_scoring";
}

/// The default risk threshold: with the weights of [`super::risk`] one strong
/// signal (hooking, a repackaged app, a SIM swapped this week) or two moderate
/// ones make the risk high, a single moderate one (a VPN, a rooted phone, a
/// virtual-operator number) does not.
pub const DEFAULT_THRESHOLD: u8 = 50;
/// ALTCHA `maxnumber` at score 0: under a second of hashing in a phone's browser.
pub const DEFAULT_CAPTCHA_DIFFICULTY: u64 = 50_000;
/// Carriers answer within 1–3 s on a working bearer; after 5 s SMS takes over.
pub const DEFAULT_CARRIER_TIMEOUT_MS: u32 = 5_000;
pub const DEFAULT_CODE_LENGTH: u8 = 6;
pub const DEFAULT_CODE_VALID_SECONDS: u32 = 300;
pub const DEFAULT_TEXT_LENGTH: u8 = 6;
pub const DEFAULT_WAIT_SECONDS: u32 = 300;
/// The number users send upstream SMS to when the deployment names none: an
/// SMS-service ("106") number of the mainland's format, recognisable as a stand-in.
pub const DEFAULT_SERVICE_NUMBER: &str = "1069000000";

/// What the default graphs send SMS with: the caller picks them from the
/// tenant's catalog (a new tenant's complimentary signature and the
/// complimentary template of the scene) and the deployment's MO service number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsDefaults {
    pub sign_name: String,
    pub template_code: String,
    /// The number users send upstream SMS to.
    pub service_number: String,
}

/// The default graph of a scene, as issue 5 lays them out:
/// - logon: endpoint risk → number risk → one-click → SMS code → upstream SMS →
///   number scoring;
/// - change number, reset password, bind new number: endpoint risk → number risk
///   → SMS code → upstream SMS;
/// - verify bound number: endpoint risk → number check → SMS code → upstream SMS
///   (the server answers `failure` at once when the number's carrier cannot
///   check numbers, so SMS takes over).
///
/// Each method falls back to the next on failure; the last one refuses.
pub fn default_graph(scene: Scene, sms: &SmsDefaults) -> PolicyGraph {
    use ids::*;
    let mut nodes = vec![endpoint_risk(NUMBER_RISK)];
    let end = match scene {
        Scene::Logon => NUMBER_SCORING,
        _ => Target::PASS,
    };
    match scene {
        Scene::Logon => {
            nodes.push(number_risk(ONE_CLICK));
            nodes.push(carrier(ONE_CLICK, end, SMS_CODE));
        }
        Scene::VerifyBoundNumber => {
            nodes[0]
                .next
                .insert(Outcome::Low, Target::node(NUMBER_CHECK));
            nodes.push(carrier(NUMBER_CHECK, end, SMS_CODE));
        }
        _ => nodes.push(number_risk(SMS_CODE)),
    }
    nodes.push(sms_code(sms, end));
    nodes.push(upstream_sms(sms, end));
    if scene == Scene::Logon {
        nodes.push(node(
            NUMBER_SCORING,
            Settings::NumberScoring(ScoringSettings {}),
            [(Outcome::Next, Target::PASS)],
        ));
    }
    PolicyGraph {
        start: ENDPOINT_RISK.to_owned(),
        nodes,
    }
}

fn node<const N: usize>(id: &str, settings: Settings, next: [(Outcome, &str); N]) -> Node {
    Node {
        id: id.to_owned(),
        enabled: true,
        log: true,
        settings,
        next: next
            .into_iter()
            .map(|(o, t)| (o, Target::node(t)))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn rule(dimension: Dimension, max: u32, window_minutes: u32) -> FrequencyRule {
    FrequencyRule {
        dimension,
        max,
        window_minutes,
    }
}

/// High endpoint risk is stepped up with a CAPTCHA. A device retrying more than
/// 10 times an hour is scripted; IPs are shared behind carrier NAT, so their
/// limit is looser.
fn endpoint_risk(low: &str) -> Node {
    let settings = RiskSettings {
        threshold: DEFAULT_THRESHOLD,
        frequency_rules: vec![rule(Dimension::Device, 10, 60), rule(Dimension::Ip, 50, 10)],
        on_high: OnHigh::Captcha {
            base_difficulty: DEFAULT_CAPTCHA_DIFFICULTY,
        },
    };
    node(
        ids::ENDPOINT_RISK,
        Settings::EndpointRisk(settings),
        [(Outcome::Low, low)],
    )
}

/// High number risk is refused: a CAPTCHA proves nothing about who holds a
/// recently swapped SIM, and per-number velocity is SMS pumping.
fn number_risk(low: &str) -> Node {
    let settings = RiskSettings {
        threshold: DEFAULT_THRESHOLD,
        frequency_rules: vec![
            rule(Dimension::Number, 10, 60),
            rule(Dimension::Number, 20, 24 * 60),
        ],
        on_high: OnHigh::Refuse,
    };
    node(
        ids::NUMBER_RISK,
        Settings::NumberRisk(settings),
        [(Outcome::Low, low)],
    )
}

fn carrier(id: &str, success: &str, failure: &str) -> Node {
    let settings = CarrierSettings {
        timeout_ms: DEFAULT_CARRIER_TIMEOUT_MS,
        on_carrier_error: OnCarrierError::FallBack,
    };
    let settings = if id == ids::ONE_CLICK {
        Settings::OneClick(settings)
    } else {
        Settings::NumberCheck(settings)
    };
    node(
        id,
        settings,
        [(Outcome::Success, success), (Outcome::Failure, failure)],
    )
}

fn sms_code(sms: &SmsDefaults, success: &str) -> Node {
    let settings = SmsSettings {
        sign_name: sms.sign_name.clone(),
        template_code: sms.template_code.clone(),
        code_length: DEFAULT_CODE_LENGTH,
        valid_seconds: DEFAULT_CODE_VALID_SECONDS,
    };
    node(
        ids::SMS_CODE,
        Settings::SmsCode(settings),
        [
            (Outcome::Success, success),
            (Outcome::Failure, ids::UPSTREAM_SMS),
        ],
    )
}

fn upstream_sms(sms: &SmsDefaults, success: &str) -> Node {
    let settings = UpstreamSettings {
        service_number: sms.service_number.clone(),
        text_length: DEFAULT_TEXT_LENGTH,
        wait_seconds: DEFAULT_WAIT_SECONDS,
    };
    node(
        ids::UPSTREAM_SMS,
        Settings::UpstreamSms(settings),
        [
            (Outcome::Success, success),
            (Outcome::Failure, Target::REFUSE),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusion::testing::{catalog, sms_defaults};

    fn path(scene: Scene) -> Vec<&'static str> {
        let g = default_graph(scene, &sms_defaults(scene));
        g.nodes.iter().map(|n| n.kind().as_str()).collect()
    }

    #[test]
    fn each_scene_has_the_default_graph_of_issue_5() {
        assert_eq!(
            path(Scene::Logon),
            [
                "endpoint_risk",
                "number_risk",
                "one_click",
                "sms_code",
                "upstream_sms",
                "number_scoring"
            ]
        );
        for scene in [
            Scene::ChangeNumber,
            Scene::ResetPassword,
            Scene::BindNewNumber,
        ] {
            assert_eq!(
                path(scene),
                ["endpoint_risk", "number_risk", "sms_code", "upstream_sms"]
            );
        }
        assert_eq!(
            path(Scene::VerifyBoundNumber),
            ["endpoint_risk", "number_check", "sms_code", "upstream_sms"]
        );
    }

    #[test]
    fn every_default_graph_validates_with_the_complimentary_templates() {
        for scene in Scene::ALL {
            let g = default_graph(scene, &sms_defaults(scene));
            assert_eq!(g.check(&catalog), vec![], "{scene}");
        }
    }

    #[test]
    fn the_sms_defaults_are_a_parameter() {
        let sms = SmsDefaults {
            sign_name: "Acme".into(),
            template_code: "SMS_1".into(),
            service_number: "10690001".into(),
        };
        let g = default_graph(Scene::ResetPassword, &sms);
        let Settings::SmsCode(s) = &g.node(ids::SMS_CODE).unwrap().settings else {
            panic!("sms node");
        };
        assert_eq!(
            (s.sign_name.as_str(), s.template_code.as_str()),
            ("Acme", "SMS_1")
        );
        let e = g.validate(&catalog).unwrap_err();
        assert_eq!(e.node.as_deref(), Some(ids::SMS_CODE));
    }
}
