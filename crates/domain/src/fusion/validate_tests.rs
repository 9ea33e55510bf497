//! Tests of graph validation: each problem is named at the right node.

use super::*;
use crate::fusion::defaults::ids::*;
use crate::fusion::node::{FrequencyRule, Outcome, Settings};
use crate::fusion::scene::Scene;
use crate::fusion::testing::{catalog, graph};

fn first(g: &PolicyGraph) -> GraphError {
    g.validate(&catalog)
        .expect_err("the graph should be invalid")
}

fn assert_at(g: &PolicyGraph, node: &str, problem: GraphProblem) {
    let e = first(g);
    assert_eq!(e.node.as_deref(), Some(node), "{e}");
    assert_eq!(e.problem, problem, "{e}");
}

fn risk<'g>(g: &'g mut PolicyGraph, id: &str) -> &'g mut RiskSettings {
    match &mut g.node_mut(id).unwrap().settings {
        Settings::EndpointRisk(r) | Settings::NumberRisk(r) => r,
        _ => panic!("{id} is no risk node"),
    }
}

fn sms(g: &mut PolicyGraph) -> &mut SmsSettings {
    match &mut g.node_mut(SMS_CODE).unwrap().settings {
        Settings::SmsCode(s) => s,
        _ => panic!("no sms node"),
    }
}

fn set_next(g: &mut PolicyGraph, id: &str, outcome: Outcome, target: &str) {
    g.node_mut(id)
        .unwrap()
        .next
        .insert(outcome, Target::node(target));
}

fn out_of_range(setting: &str, value: u64, min: u64, max: u64) -> GraphProblem {
    GraphProblem::OutOfRange {
        setting: setting.to_owned(),
        value,
        min,
        max,
    }
}

#[test]
fn errors_display_the_node_they_name() {
    let mut g = graph(Scene::Logon);
    sms(&mut g).template_code = "SMS_404".into();
    let e = first(&g);
    assert_eq!(
        e.to_string(),
        "node `sms_code`: the SMS signature `速通互联验证码` with template `SMS_404` is not in the tenant's catalog"
    );
    let empty = PolicyGraph {
        start: "x".into(),
        nodes: vec![],
    };
    assert_eq!(first(&empty).to_string(), "policy: the graph has no nodes");
}

#[test]
fn an_unknown_start_is_a_graph_error() {
    let mut g = graph(Scene::Logon);
    g.start = "nowhere".into();
    let e = first(&g);
    assert_eq!(e.node, None);
    assert_eq!(e.problem, GraphProblem::UnknownStart("nowhere".into()));
}

#[test]
fn duplicate_and_malformed_ids_are_named() {
    let mut g = graph(Scene::ResetPassword);
    let copy = g.node(SMS_CODE).unwrap().clone();
    g.nodes.push(copy);
    assert_at(&g, SMS_CODE, GraphProblem::DuplicateId);

    for bad in ["pass", "refuse", "SMS", "", "a b", &"x".repeat(33)] {
        let mut g = graph(Scene::ResetPassword);
        g.node_mut(UPSTREAM_SMS).unwrap().id = bad.to_owned();
        let e = g
            .check(&catalog)
            .into_iter()
            .find(|e| e.problem == GraphProblem::BadId)
            .expect(bad);
        assert_eq!(e.node.as_deref(), Some(bad));
    }
}

#[test]
fn an_unknown_target_is_named_with_its_edge() {
    let mut g = graph(Scene::ChangeNumber);
    set_next(&mut g, SMS_CODE, Outcome::Failure, "voice_call");
    assert_at(
        &g,
        SMS_CODE,
        GraphProblem::UnknownTarget {
            label: "failure".into(),
            target: "voice_call".into(),
        },
    );

    let mut g = graph(Scene::ChangeNumber);
    risk(&mut g, ENDPOINT_RISK).on_high = OnHigh::SkipTo {
        node: "voice_call".into(),
    };
    assert_at(
        &g,
        ENDPOINT_RISK,
        GraphProblem::UnknownTarget {
            label: "on_high".into(),
            target: "voice_call".into(),
        },
    );
}

#[test]
fn missing_and_foreign_outcomes_are_named() {
    let mut g = graph(Scene::BindNewNumber);
    g.node_mut(UPSTREAM_SMS)
        .unwrap()
        .next
        .remove(&Outcome::Failure);
    assert_at(
        &g,
        UPSTREAM_SMS,
        GraphProblem::MissingOutcome(Outcome::Failure),
    );

    let mut g = graph(Scene::BindNewNumber);
    set_next(&mut g, ENDPOINT_RISK, Outcome::Success, Target::PASS);
    assert_at(
        &g,
        ENDPOINT_RISK,
        GraphProblem::UnexpectedOutcome {
            kind: NodeKind::EndpointRisk,
            outcome: Outcome::Success,
        },
    );
}

#[test]
fn only_a_failure_may_refuse() {
    let mut g = graph(Scene::ResetPassword);
    set_next(&mut g, SMS_CODE, Outcome::Success, Target::REFUSE);
    assert_at(
        &g,
        SMS_CODE,
        GraphProblem::RefusingOutcome(Outcome::Success),
    );

    let mut g = graph(Scene::ResetPassword);
    set_next(&mut g, NUMBER_RISK, Outcome::Low, Target::REFUSE);
    assert_at(&g, NUMBER_RISK, GraphProblem::RefusingOutcome(Outcome::Low));
}

#[test]
fn a_cycle_is_named_at_the_node_it_returns_to() {
    let mut g = graph(Scene::ResetPassword);
    set_next(&mut g, UPSTREAM_SMS, Outcome::Failure, SMS_CODE);
    assert_at(
        &g,
        SMS_CODE,
        GraphProblem::Cycle(vec![SMS_CODE.into(), UPSTREAM_SMS.into(), SMS_CODE.into()]),
    );
}

#[test]
fn a_skip_back_is_a_cycle_too() {
    let mut g = graph(Scene::Logon);
    risk(&mut g, NUMBER_RISK).on_high = OnHigh::SkipTo {
        node: ENDPOINT_RISK.into(),
    };
    let e = first(&g);
    assert_eq!(e.node.as_deref(), Some(ENDPOINT_RISK));
    assert!(matches!(e.problem, GraphProblem::Cycle(_)), "{e}");
    assert!(
        e.to_string()
            .contains("endpoint_risk → number_risk → endpoint_risk"),
        "{e}"
    );
}

#[test]
fn nodes_unreachable_from_the_start_are_named() {
    let mut g = graph(Scene::Logon);
    set_next(&mut g, ONE_CLICK, Outcome::Failure, UPSTREAM_SMS);
    assert_at(&g, SMS_CODE, GraphProblem::Unreachable);
}

#[test]
fn a_graph_that_can_only_refuse_has_an_unreachable_end() {
    let mut g = graph(Scene::ChangeNumber);
    g.node_mut(SMS_CODE).unwrap().enabled = false;
    g.node_mut(UPSTREAM_SMS).unwrap().enabled = false;
    assert_at(&g, ENDPOINT_RISK, GraphProblem::UnreachableEnd);
    assert!(first(&g).to_string().contains("unreachable end"));
}

#[test]
fn passing_without_a_method_is_refused() {
    let mut g = graph(Scene::Logon);
    g.nodes.retain(|n| n.id == ENDPOINT_RISK);
    set_next(&mut g, ENDPOINT_RISK, Outcome::Low, Target::PASS);
    assert_at(
        &g,
        ENDPOINT_RISK,
        GraphProblem::PassWithoutProof("low".into()),
    );

    // A skip withdraws the proof: scoring after it would pass unproven.
    let mut g = graph(Scene::Logon);
    risk(&mut g, NUMBER_RISK).on_high = OnHigh::SkipTo {
        node: NUMBER_SCORING.into(),
    };
    assert_at(
        &g,
        NUMBER_SCORING,
        GraphProblem::PassWithoutProof("next".into()),
    );

    // A disabled method's success edge is not taken.
    let mut g = graph(Scene::ResetPassword);
    set_next(&mut g, SMS_CODE, Outcome::Failure, Target::PASS);
    g.node_mut(SMS_CODE).unwrap().enabled = false;
    let errors = g.check(&catalog);
    assert!(errors.contains(&GraphError {
        node: Some(SMS_CODE.into()),
        problem: GraphProblem::PassWithoutProof("failure".into()),
    }));
}

#[test]
fn risk_settings_out_of_range_are_named() {
    let mut g = graph(Scene::Logon);
    risk(&mut g, ENDPOINT_RISK).threshold = 101;
    assert_at(&g, ENDPOINT_RISK, out_of_range("threshold", 101, 0, 100));

    let rule = |max, window_minutes| FrequencyRule {
        dimension: Dimension::Number,
        max,
        window_minutes,
    };
    let mut g = graph(Scene::Logon);
    risk(&mut g, NUMBER_RISK).frequency_rules = vec![rule(3, 10); 6];
    assert_at(&g, NUMBER_RISK, GraphProblem::TooManyRules(6));

    let mut g = graph(Scene::Logon);
    risk(&mut g, NUMBER_RISK).frequency_rules = vec![rule(3, 10), rule(3, 0)];
    assert_at(
        &g,
        NUMBER_RISK,
        out_of_range("frequency_rules[2].window_minutes", 0, 1, 10_080),
    );

    let mut g = graph(Scene::Logon);
    risk(&mut g, NUMBER_RISK).frequency_rules = vec![rule(0, 10)];
    assert_at(
        &g,
        NUMBER_RISK,
        out_of_range("frequency_rules[1].max", 0, 1, 100_000),
    );

    let mut g = graph(Scene::Logon);
    risk(&mut g, ENDPOINT_RISK)
        .frequency_rules
        .push(rule(3, 10));
    assert_at(&g, ENDPOINT_RISK, GraphProblem::NumberRuleOnEndpoint(3));

    let mut g = graph(Scene::Logon);
    risk(&mut g, ENDPOINT_RISK).on_high = OnHigh::Captcha {
        base_difficulty: 10,
    };
    assert_at(
        &g,
        ENDPOINT_RISK,
        out_of_range("on_high.base_difficulty", 10, 1_000, 1_000_000),
    );
}

#[test]
fn method_settings_out_of_range_are_named() {
    let mut g = graph(Scene::Logon);
    if let Settings::OneClick(c) = &mut g.node_mut(ONE_CLICK).unwrap().settings {
        c.timeout_ms = 100;
    }
    assert_at(&g, ONE_CLICK, out_of_range("timeout_ms", 100, 500, 60_000));

    let mut g = graph(Scene::Logon);
    sms(&mut g).code_length = 9;
    assert_at(&g, SMS_CODE, out_of_range("code_length", 9, 4, 8));

    let mut g = graph(Scene::Logon);
    sms(&mut g).valid_seconds = 30;
    assert_at(&g, SMS_CODE, out_of_range("valid_seconds", 30, 60, 1_800));

    let mut g = graph(Scene::Logon);
    if let Settings::UpstreamSms(u) = &mut g.node_mut(UPSTREAM_SMS).unwrap().settings {
        u.service_number = "10690x".into();
    }
    assert_at(&g, UPSTREAM_SMS, GraphProblem::BadServiceNumber);

    let mut g = graph(Scene::Logon);
    if let Settings::UpstreamSms(u) = &mut g.node_mut(UPSTREAM_SMS).unwrap().settings {
        u.text_length = 2;
        u.wait_seconds = 5;
    }
    let errors = g.check(&catalog);
    assert_eq!(
        errors.iter().map(|e| &e.problem).collect::<Vec<_>>(),
        [
            &out_of_range("text_length", 2, 4, 12),
            &out_of_range("wait_seconds", 5, 30, 900)
        ]
    );
    assert!(errors
        .iter()
        .all(|e| e.node.as_deref() == Some(UPSTREAM_SMS)));
}

#[test]
fn a_missing_sms_template_or_signature_is_named() {
    let mut g = graph(Scene::VerifyBoundNumber);
    sms(&mut g).template_code = " ".into();
    assert_at(&g, SMS_CODE, GraphProblem::Missing("template_code"));

    let mut g = graph(Scene::VerifyBoundNumber);
    sms(&mut g).sign_name = String::new();
    assert_at(&g, SMS_CODE, GraphProblem::Missing("sign_name"));

    let mut g = graph(Scene::VerifyBoundNumber);
    sms(&mut g).sign_name = "Someone Else".into();
    assert_at(
        &g,
        SMS_CODE,
        GraphProblem::NotInCatalog {
            sign: "Someone Else".into(),
            template: "100005".into(),
        },
    );
}

#[test]
fn disabled_nodes_are_validated_too() {
    let mut g = graph(Scene::Logon);
    g.node_mut(SMS_CODE).unwrap().enabled = false;
    assert_eq!(g.check(&catalog), vec![], "switching a method off is valid");
    sms(&mut g).template_code = "gone".into();
    assert_at(
        &g,
        SMS_CODE,
        GraphProblem::NotInCatalog {
            sign: "速通互联验证码".into(),
            template: "gone".into(),
        },
    );
}

#[test]
fn a_graph_has_at_most_32_nodes() {
    let mut g = graph(Scene::Logon);
    let extra = g.node(NUMBER_SCORING).unwrap().clone();
    for i in 0..30 {
        let mut n = extra.clone();
        n.id = format!("s{i}");
        g.nodes.push(n);
    }
    let e = first(&g);
    assert_eq!((e.node, e.problem), (None, GraphProblem::TooManyNodes(36)));
}

#[test]
fn graphs_deserialised_from_json_are_checked_like_built_ones() {
    let json = r#"{"start":"sms","nodes":[
        {"id":"sms","kind":"sms_code",
         "settings":{"sign_name":"速通互联验证码","template_code":"100003","code_length":6,"valid_seconds":300},
         "next":{"success":"pass","failure":"up"}},
        {"id":"up","kind":"upstream_sms",
         "settings":{"service_number":"10690","text_length":6,"wait_seconds":120},
         "next":{"success":"pass","failure":"refuse"}}]}"#;
    let g: PolicyGraph = serde_json::from_str(json).unwrap();
    assert_eq!(g.validate(&catalog), Ok(()));
}
