//! Tests of risk scoring: weights, thresholds, frequency rules, lists.

use super::*;
use crate::fusion::node::{FrequencyRule, OnHigh};
use crate::fusion::testing::{cm, mvno};

fn settings(threshold: u8, rules: &[(Dimension, u32, u32)]) -> RiskSettings {
    RiskSettings {
        threshold,
        frequency_rules: rules
            .iter()
            .map(|&(dimension, max, window_minutes)| FrequencyRule {
                dimension,
                max,
                window_minutes,
            })
            .collect(),
        on_high: OnHigh::Refuse,
    }
}

fn rules(e: &RiskEvaluation) -> Vec<(Rule, u8)> {
    e.fired.iter().map(|f| (f.rule, f.points)).collect()
}

fn active() -> NumberFacts {
    NumberFacts {
        status: NumberStatus::Active,
        ..NumberFacts::default()
    }
}

#[test]
fn a_clean_device_scores_zero() {
    let e = evaluate_endpoint(
        &settings(50, &[]),
        &EndpointSignals::default(),
        &AttemptCounts::new(),
    );
    assert_eq!((e.score, e.level, e.fired.len()), (0, RiskLevel::Low, 0));
}

#[test]
fn endpoint_signals_add_up_and_explain_themselves() {
    let s = settings(50, &[]);
    let none = AttemptCounts::new();
    let emulator = EndpointSignals {
        emulator: true,
        ..Default::default()
    };
    let e = evaluate_endpoint(&s, &emulator, &none);
    assert_eq!(
        (e.score, e.level),
        (40, RiskLevel::Low),
        "one moderate signal"
    );

    let farm = EndpointSignals {
        emulator: true,
        proxy_or_vpn: true,
        ..Default::default()
    };
    let e = evaluate_endpoint(&s, &farm, &none);
    assert_eq!((e.score, e.level), (55, RiskLevel::High));
    assert_eq!(rules(&e), [(Rule::Emulator, 40), (Rule::ProxyOrVpn, 15)]);
    assert!(e.fired[0].reason.contains("emulator"));

    for strong in [
        EndpointSignals {
            hooking: true,
            ..Default::default()
        },
        EndpointSignals {
            app_signature_mismatch: true,
            ..Default::default()
        },
    ] {
        assert_eq!(evaluate_endpoint(&s, &strong, &none).level, RiskLevel::High);
    }

    let everything = EndpointSignals {
        device_id: false,
        emulator: true,
        root_or_jailbreak: true,
        hooking: true,
        proxy_or_vpn: true,
        app_signature_mismatch: true,
    };
    let e = evaluate_endpoint(&s, &everything, &none);
    assert_eq!((e.score, e.fired.len()), (100, 6), "capped at 100");
}

#[test]
fn the_threshold_is_inclusive() {
    let hooked = EndpointSignals {
        hooking: true,
        ..Default::default()
    };
    let none = AttemptCounts::new();
    assert_eq!(
        evaluate_endpoint(&settings(50, &[]), &hooked, &none).level,
        RiskLevel::High
    );
    assert_eq!(
        evaluate_endpoint(&settings(51, &[]), &hooked, &none).level,
        RiskLevel::Low
    );
    let clean = EndpointSignals::default();
    assert_eq!(
        evaluate_endpoint(&settings(0, &[]), &clean, &none).level,
        RiskLevel::High,
        "threshold 0: every attempt is high"
    );
}

#[test]
fn frequency_rules_fire_at_exactly_their_thresholds() {
    // "More than 10 attempts per device in 60 minutes", threshold out of reach.
    let s = settings(100, &[(Dimension::Device, 10, 60), (Dimension::Ip, 50, 10)]);
    let clean = EndpointSignals::default();
    let at = |device, ip| {
        let counts = AttemptCounts::new()
            .with(Dimension::Device, 60, device)
            .with(Dimension::Ip, 10, ip);
        evaluate_endpoint(&s, &clean, &counts)
    };
    assert_eq!(
        at(10, 50).level,
        RiskLevel::Low,
        "the 10th attempt is allowed"
    );
    let e = at(11, 50);
    assert_eq!(e.level, RiskLevel::High, "the 11th is one too many");
    assert_eq!(rules(&e), [(Rule::Frequency, FREQUENCY_POINTS)]);
    assert_eq!(
        e.fired[0].reason,
        "rule 1: 11 attempts per device in 60 min, more than 10"
    );
    let e = at(1, 51);
    assert_eq!(e.level, RiskLevel::High, "rules are OR'ed");
    assert!(e.fired[0].reason.starts_with("rule 2: 51 attempts per ip"));
    assert_eq!(rules(&at(11, 51)).len(), 2);
}

#[test]
fn counts_are_looked_up_by_dimension_and_window() {
    let counts = AttemptCounts::new()
        .with(Dimension::Number, 60, 3)
        .with(Dimension::Number, 1440, 9)
        .with(Dimension::Number, 60, 4);
    assert_eq!(counts.get(Dimension::Number, 60), 4, "replaced");
    assert_eq!(counts.get(Dimension::Number, 1440), 9);
    assert_eq!(counts.get(Dimension::Device, 60), 0, "nothing counted");
    let s = settings(
        50,
        &[
            (Dimension::Number, 5, 60),
            (Dimension::Ip, 5, 10),
            (Dimension::Number, 9, 60),
        ],
    );
    assert_eq!(
        s.counts_needed(),
        [(Dimension::Ip, 10), (Dimension::Number, 60)]
    );
}

#[test]
fn number_risk_weighs_segment_sim_swap_and_status() {
    let s = settings(50, &[]);
    let none = AttemptCounts::new();
    assert_eq!(evaluate_number(&s, &cm(), &active(), &none).score, 0);

    let e = evaluate_number(&s, &mvno(), &active(), &none);
    assert_eq!((e.score, e.level), (30, RiskLevel::Low));
    assert_eq!(e.fired[0].reason, "170 is a virtual-operator segment");

    let swapped = |days| NumberFacts {
        sim_swap_days: Some(days),
        ..active()
    };
    let score = |facts: &NumberFacts| evaluate_number(&s, &cm(), facts, &none);
    assert_eq!(score(&swapped(0)).level, RiskLevel::High);
    assert_eq!(rules(&score(&swapped(7))), [(Rule::SimSwap, 60)]);
    assert_eq!(rules(&score(&swapped(8))), [(Rule::SimSwap, 35)]);
    assert_eq!(rules(&score(&swapped(90))), [(Rule::SimSwap, 15)]);
    assert_eq!(rules(&score(&swapped(91))), []);
    let e = evaluate_number(&s, &mvno(), &swapped(20), &none);
    assert_eq!(
        (e.score, e.level),
        (65, RiskLevel::High),
        "two moderate signals"
    );

    let status = |status| NumberFacts {
        status,
        ..NumberFacts::default()
    };
    assert_eq!(score(&status(NumberStatus::Unknown)).score, 10);
    assert_eq!(
        score(&status(NumberStatus::Suspended)).level,
        RiskLevel::High
    );
    assert_eq!(score(&status(NumberStatus::Inactive)).score, 80);
}

#[test]
fn the_block_list_refuses_and_the_allow_list_clears() {
    let lenient = settings(100, &[(Dimension::Number, 1, 60)]);
    let busy = AttemptCounts::new().with(Dimension::Number, 60, 5);
    let facts = |list| NumberFacts {
        sim_swap_days: Some(1),
        list,
        ..active()
    };
    let e = evaluate_number(&lenient, &mvno(), &facts(ListMatch::Blocked), &busy);
    assert_eq!((e.score, e.level), (100, RiskLevel::Blocked));
    assert_eq!(rules(&e), [(Rule::BlockList, 100)]);

    let e = evaluate_number(&lenient, &mvno(), &facts(ListMatch::Allowed), &busy);
    assert_eq!((e.score, e.level), (0, RiskLevel::Low));
    assert_eq!(rules(&e), [(Rule::AllowList, 0)]);
}

#[test]
fn the_phone_score_is_the_numbers_own_risk_without_velocity() {
    let facts = NumberFacts {
        sim_swap_days: Some(20),
        ..active()
    };
    assert_eq!(phone_score(&mvno(), &facts), 65);
    assert_eq!(phone_score(&cm(), &active()), 0);
    let blocked = NumberFacts {
        list: ListMatch::Blocked,
        ..active()
    };
    assert_eq!(phone_score(&cm(), &blocked), 100);
}

#[test]
fn evaluations_serialise_with_stable_names() {
    let farm = EndpointSignals {
        emulator: true,
        ..Default::default()
    };
    let e = evaluate_endpoint(&settings(50, &[]), &farm, &AttemptCounts::new());
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"score": 40, "level": "low", "fired": [
            {"rule": "emulator", "points": 40, "reason": "the app runs in an emulator"}
        ]})
    );
    assert_eq!(serde_json::from_value::<RiskEvaluation>(v).unwrap(), e);
    let signals: EndpointSignals = serde_json::from_str(r#"{"hooking":true}"#).unwrap();
    assert!(
        signals.device_id && signals.hooking,
        "absent signals are clean"
    );
}
