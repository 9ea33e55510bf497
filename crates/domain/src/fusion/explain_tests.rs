//! Tests of the dry run, and through it every default graph end to end.

use super::*;
use crate::fusion::defaults::ids::*;
use crate::fusion::node::{Dimension, NodeKind};
use crate::fusion::risk::{ListMatch, NumberStatus};
use crate::fusion::testing::{catalog, cm, graph};

/// A clean attempt on an active China Mobile number.
fn clean() -> Hypothesis {
    Hypothesis {
        number: Some(cm()),
        facts: NumberFacts {
            status: NumberStatus::Active,
            ..NumberFacts::default()
        },
        ..Hypothesis::default()
    }
}

fn run(scene: Scene, h: &Hypothesis) -> Explanation {
    let g = graph(scene);
    assert_eq!(g.validate(&catalog), Ok(()));
    explain(&g, scene, h).unwrap()
}

fn nodes(e: &Explanation) -> Vec<&str> {
    e.path.iter().map(|t| t.node.as_str()).collect()
}

fn passed(e: &Explanation) -> bool {
    matches!(e.verdict, Verdict::Passed { .. })
}

fn actions(e: &Explanation) -> Vec<(&str, &RiskAction)> {
    e.path
        .iter()
        .filter_map(|t| match &t.decision {
            Decision::Evaluated { action, .. } => Some((t.node.as_str(), action)),
            _ => None,
        })
        .collect()
}

#[test]
fn every_default_graph_passes_on_the_low_risk_path() {
    let e = run(Scene::Logon, &clean());
    assert_eq!(
        nodes(&e),
        [
            ENDPOINT_RISK,
            NUMBER_RISK,
            ONE_CLICK,
            NUMBER_RISK,
            NUMBER_SCORING
        ]
    );
    assert_eq!(e.verdict, Verdict::Passed { score: Some(0) });
    for scene in [
        Scene::ChangeNumber,
        Scene::ResetPassword,
        Scene::BindNewNumber,
    ] {
        let e = run(scene, &clean());
        assert_eq!(nodes(&e), [ENDPOINT_RISK, NUMBER_RISK, SMS_CODE], "{scene}");
        assert_eq!(e.verdict, Verdict::Passed { score: None });
    }
    let e = run(Scene::VerifyBoundNumber, &clean());
    assert_eq!(nodes(&e), [ENDPOINT_RISK, NUMBER_CHECK]);
    assert!(passed(&e));
}

#[test]
fn a_carrier_timeout_falls_back_to_sms() {
    let h = Hypothesis {
        carrier: MethodOutcome::Timeout,
        ..clean()
    };
    let e = run(Scene::Logon, &h);
    assert_eq!(
        nodes(&e),
        [
            ENDPOINT_RISK,
            NUMBER_RISK,
            ONE_CLICK,
            SMS_CODE,
            NUMBER_RISK,
            SMS_CODE,
            NUMBER_SCORING
        ]
    );
    assert_eq!(e.path[2].decision, Decision::TimedOut);
    assert_eq!(e.path[3].decision, Decision::NumberEntered);
    assert!(passed(&e));

    let e = run(Scene::VerifyBoundNumber, &h);
    assert_eq!(nodes(&e), [ENDPOINT_RISK, NUMBER_CHECK, SMS_CODE]);
    assert!(passed(&e));
}

#[test]
fn high_endpoint_risk_goes_through_a_captcha_in_every_scene() {
    let h = Hypothesis {
        signals: EndpointSignals {
            hooking: true,
            ..EndpointSignals::default()
        },
        ..clean()
    };
    for scene in Scene::ALL {
        let e = run(scene, &h);
        assert_eq!(
            actions(&e)[0],
            (
                ENDPOINT_RISK,
                &RiskAction::Captcha {
                    difficulty: 300_000
                }
            ),
            "{scene}"
        );
        assert_eq!(e.path[1].decision, Decision::CaptchaSolved);
        assert!(passed(&e), "{scene}");
    }
    let e = run(
        Scene::Logon,
        &Hypothesis {
            captcha: CaptchaOutcome::Failed,
            ..h
        },
    );
    assert_eq!(
        e.verdict,
        Verdict::Refused {
            node: ENDPOINT_RISK.into(),
            reason: RefusalReason::CaptchaFailed
        }
    );
}

#[test]
fn a_sim_swapped_number_is_refused_by_default_where_the_scene_checks_number_risk() {
    let h = Hypothesis {
        facts: NumberFacts {
            sim_swap_days: Some(3),
            status: NumberStatus::Active,
            ..NumberFacts::default()
        },
        ..clean()
    };
    for scene in &Scene::ALL[..4] {
        let e = run(*scene, &h);
        assert_eq!(
            e.verdict,
            Verdict::Refused {
                node: NUMBER_RISK.into(),
                reason: RefusalReason::HighRisk
            },
            "{scene}"
        );
    }
    // Logon learns the number from the carrier: refused after one-click, before pass.
    let e = run(Scene::Logon, &h);
    assert_eq!(
        nodes(&e),
        [ENDPOINT_RISK, NUMBER_RISK, ONE_CLICK, NUMBER_RISK]
    );
}

#[test]
fn the_upstream_sms_path_follows_a_failed_code() {
    let h = Hypothesis {
        carrier: MethodOutcome::Failure,
        sms: MethodOutcome::Failure,
        ..clean()
    };
    for scene in Scene::ALL {
        let e = run(scene, &h);
        assert_eq!(
            e.path
                .iter()
                .rev()
                .find(|t| t.kind == NodeKind::UpstreamSms)
                .map(|t| &t.decision),
            Some(&Decision::Succeeded),
            "{scene}"
        );
        assert!(passed(&e), "{scene}");
    }
    let e = run(
        Scene::ResetPassword,
        &Hypothesis {
            upstream: MethodOutcome::Failure,
            ..h
        },
    );
    assert_eq!(
        e.verdict,
        Verdict::Refused {
            node: UPSTREAM_SMS.into(),
            reason: RefusalReason::MethodFailed
        }
    );
}

#[test]
fn block_and_allow_lists_decide_before_the_rules() {
    let listed = |list| Hypothesis {
        facts: NumberFacts {
            sim_swap_days: Some(0),
            list,
            ..NumberFacts::default()
        },
        ..clean()
    };
    let e = run(Scene::BindNewNumber, &listed(ListMatch::Blocked));
    assert_eq!(
        e.verdict,
        Verdict::Refused {
            node: NUMBER_RISK.into(),
            reason: RefusalReason::Blocked
        }
    );
    let e = run(Scene::BindNewNumber, &listed(ListMatch::Allowed));
    assert!(passed(&e));
    let e = run(Scene::Logon, &listed(ListMatch::Allowed));
    assert_eq!(e.verdict, Verdict::Passed { score: Some(0) });
}

#[test]
fn frequency_rules_fire_at_exactly_their_thresholds_in_a_dry_run() {
    // Default logon: "more than 10 attempts per device in 60 minutes".
    let with = |count| Hypothesis {
        counts: AttemptCounts::new().with(Dimension::Device, 60, count),
        ..clean()
    };
    let e = run(Scene::Logon, &with(10));
    assert_eq!(actions(&e)[0], (ENDPOINT_RISK, &RiskAction::Continue));
    let e = run(Scene::Logon, &with(11));
    assert!(matches!(
        actions(&e)[0],
        (ENDPOINT_RISK, RiskAction::Captcha { .. })
    ));

    // "More than 20 attempts per number in a day": the 21st is refused.
    let per_day = |count| Hypothesis {
        counts: AttemptCounts::new().with(Dimension::Number, 1440, count),
        ..clean()
    };
    assert!(passed(&run(Scene::ChangeNumber, &per_day(20))));
    assert!(!passed(&run(Scene::ChangeNumber, &per_day(21))));
}

#[test]
fn the_explanation_prints_the_path_and_the_rules_that_fired() {
    let h = Hypothesis {
        signals: EndpointSignals {
            emulator: true,
            proxy_or_vpn: true,
            ..EndpointSignals::default()
        },
        carrier: MethodOutcome::Timeout,
        ..clean()
    };
    let text = run(Scene::Logon, &h).to_string();
    let expected = "\
scene 100001 (logon or registration)
  endpoint_risk    high risk, score 55: CAPTCHA, difficulty 350000
                     +40  the app runs in an emulator
                     +15  the connection goes through a proxy or VPN
  endpoint_risk    CAPTCHA solved
  number_risk      deferred until the number is known
  one_click        timed out
  sms_code         the user entered the number
  number_risk      low risk, score 0: continue
  sms_code         succeeded
  number_scoring   PhoneScore 0
passed, PhoneScore 0";
    assert_eq!(text, expected);
}

#[test]
fn the_explanation_serialises_for_the_cli_and_the_attempt_log() {
    let e = run(Scene::ResetPassword, &clean());
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["scene"], "100003");
    assert_eq!(v["verdict"]["result"], "passed");
    assert_eq!(v["path"][0]["node"], "endpoint_risk");
    assert_eq!(v["path"][0]["decision"], "evaluated");
    assert_eq!(v["path"][0]["action"]["action"], "continue");
    assert_eq!(v["path"][2]["decision"], "succeeded");

    let h: Hypothesis = serde_json::from_str(
        r#"{"number":{"country":"86","number":"13800138000"},
            "signals":{"emulator":true},"carrier":"carrier_error",
            "counts":[{"dimension":"ip","window_minutes":10,"count":3}]}"#,
    )
    .unwrap();
    assert_eq!(h.carrier, MethodOutcome::CarrierError);
    assert_eq!(h.counts.get(Dimension::Ip, 10), 3);
}

#[test]
fn a_path_that_needs_a_number_says_where() {
    let h = Hypothesis {
        number: None,
        ..clean()
    };
    let g = graph(Scene::Logon);
    assert_eq!(
        explain(&g, Scene::Logon, &h),
        Err(ExplainError::NumberNeeded(ONE_CLICK.into()))
    );
    let g = graph(Scene::ChangeNumber);
    assert_eq!(
        explain(&g, Scene::ChangeNumber, &h),
        Err(ExplainError::NumberNeeded(ENDPOINT_RISK.into()))
    );
}
