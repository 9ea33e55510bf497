//! Tests of the walker: every scene's paths, step by step.

use super::*;
use crate::captcha::difficulty_for_score;
use crate::fusion::defaults::ids::*;
use crate::fusion::risk::{
    evaluate_endpoint, evaluate_number, AttemptCounts, EndpointSignals, ListMatch, NumberFacts,
    NumberStatus, RiskEvaluation,
};
use crate::fusion::testing::{catalog, cm, cm2, graph, mvno};
use crate::fusion::trace::{Decision, RiskAction};

/// A session under test: the graph, the state, and the last step.
struct Session {
    graph: PolicyGraph,
    state: SessionState,
    step: Step,
    trace: Vec<TraceEntry>,
}

impl Session {
    fn start(graph: PolicyGraph, scene: Scene, number: Option<PhoneNumber>) -> Self {
        assert_eq!(graph.validate(&catalog), Ok(()));
        let (state, a) = begin(&graph, scene, number).unwrap();
        Self {
            graph,
            state,
            step: a.step,
            trace: a.trace,
        }
    }

    fn send(&mut self, event: Event) -> &Step {
        let a = advance(&self.graph, &mut self.state, event).unwrap();
        self.step = a.step;
        self.trace.extend(a.trace);
        assert_eq!(
            self.state.step(&self.graph).unwrap(),
            self.step,
            "re-derivable"
        );
        &self.step
    }

    /// Answers the pending risk step with a real evaluation of these facts.
    fn evaluate(&mut self, signals: &EndpointSignals, facts: &NumberFacts) -> &Step {
        let none = AttemptCounts::new();
        let e = match &self.step {
            Step::EvaluateEndpointRisk { settings, .. } => {
                evaluate_endpoint(settings, signals, &none)
            }
            Step::EvaluateNumberRisk {
                settings, number, ..
            } => evaluate_number(settings, number, facts, &none),
            other => panic!("not a risk step: {other:?}"),
        };
        self.send(Event::RiskEvaluated(e))
    }

    fn low(&mut self) -> &Step {
        self.evaluate(&EndpointSignals::default(), &active())
    }

    fn decisions(&self) -> Vec<(&str, &Decision)> {
        self.trace
            .iter()
            .map(|e| (e.node.as_str(), &e.decision))
            .collect()
    }
}

fn active() -> NumberFacts {
    NumberFacts {
        status: NumberStatus::Active,
        ..NumberFacts::default()
    }
}

fn swapped(days: u32) -> NumberFacts {
    NumberFacts {
        sim_swap_days: Some(days),
        ..active()
    }
}

fn farm() -> EndpointSignals {
    EndpointSignals {
        emulator: true,
        proxy_or_vpn: true,
        ..EndpointSignals::default()
    }
}

fn risky_evaluation(score: u8) -> RiskEvaluation {
    RiskEvaluation {
        score,
        level: crate::fusion::risk::RiskLevel::High,
        fired: vec![],
    }
}

fn set_on_high(g: &mut PolicyGraph, id: &str, on_high: OnHigh) {
    match &mut g.node_mut(id).unwrap().settings {
        Settings::EndpointRisk(r) | Settings::NumberRisk(r) => r.on_high = on_high,
        _ => panic!("{id} is no risk node"),
    }
}

fn is_step(step: &Step, node: &str) -> bool {
    let id = match step {
        Step::EvaluateEndpointRisk { node, .. }
        | Step::EvaluateNumberRisk { node, .. }
        | Step::ScoreNumber { node, .. }
        | Step::CarrierConsent { node, .. }
        | Step::NumberCheck { node, .. }
        | Step::Captcha { node, .. }
        | Step::EnterNumber { node }
        | Step::SmsCode { node, .. }
        | Step::UpstreamSms { node, .. }
        | Step::Refused { node, .. } => node,
        Step::Done { .. } => "pass",
    };
    id == node
}

fn done(number: PhoneNumber, score: Option<u8>) -> Step {
    Step::Done { number, score }
}

// --- logon (100001) ---

#[test]
fn logon_low_risk_passes_by_one_click_and_checks_the_carriers_number() {
    let mut s = Session::start(graph(Scene::Logon), Scene::Logon, None);
    assert!(matches!(&s.step, Step::EvaluateEndpointRisk { node, .. } if node == ENDPOINT_RISK));
    assert!(s.step.is_for_server());
    let step = s.low().clone();
    assert_eq!(
        step,
        Step::CarrierConsent {
            node: ONE_CLICK.into(),
            timeout_ms: 5_000
        }
    );
    assert_eq!(s.state.deferred, [NUMBER_RISK], "no number yet: deferred");

    // The carrier names the number: its risk is evaluated before anything else.
    let step = s.send(Event::Succeeded { number: Some(cm()) }).clone();
    assert!(
        matches!(&step, Step::EvaluateNumberRisk { node, number, .. } if node == NUMBER_RISK && *number == cm()),
        "{step:?}"
    );
    assert!(
        s.low().clone()
            == Step::ScoreNumber {
                node: NUMBER_SCORING.into(),
                number: cm()
            }
    );
    assert_eq!(*s.send(Event::NumberScored(12)), done(cm(), Some(12)));
    assert!(s.state.is_finished() && s.state.is_proven());

    let nodes: Vec<&str> = s.trace.iter().map(|e| e.node.as_str()).collect();
    assert_eq!(
        nodes,
        [
            ENDPOINT_RISK,
            NUMBER_RISK,
            ONE_CLICK,
            NUMBER_RISK,
            NUMBER_SCORING
        ]
    );
    assert_eq!(s.decisions()[1], (NUMBER_RISK, &Decision::Deferred));
}

#[test]
fn logon_falls_back_to_sms_when_the_carrier_times_out() {
    let mut s = Session::start(graph(Scene::Logon), Scene::Logon, None);
    s.low();
    assert_eq!(
        *s.send(Event::TimedOut),
        Step::EnterNumber {
            node: SMS_CODE.into()
        }
    );
    // The entered number's risk comes before the code is sent.
    let step = s.send(Event::NumberEntered(cm())).clone();
    assert!(is_step(&step, NUMBER_RISK), "{step:?}");
    let Step::SmsCode {
        number, settings, ..
    } = s.low().clone()
    else {
        panic!("{:?}", s.step)
    };
    assert_eq!(number, cm());
    assert_eq!(
        (settings.sign_name.as_str(), settings.template_code.as_str()),
        ("速通互联验证码", "100001")
    );
    assert!(is_step(
        s.send(Event::Succeeded { number: None }),
        NUMBER_SCORING
    ));
    assert_eq!(*s.send(Event::NumberScored(0)), done(cm(), Some(0)));
}

#[test]
fn a_carrier_error_falls_back_or_refuses_as_the_node_says() {
    let mut s = Session::start(graph(Scene::Logon), Scene::Logon, None);
    s.low();
    assert!(is_step(s.send(Event::CarrierError), SMS_CODE));

    let mut g = graph(Scene::Logon);
    if let Settings::OneClick(c) = &mut g.node_mut(ONE_CLICK).unwrap().settings {
        c.on_carrier_error = OnCarrierError::Refuse;
    }
    let mut s = Session::start(g, Scene::Logon, None);
    s.low();
    assert_eq!(
        *s.send(Event::CarrierError),
        Step::Refused {
            node: ONE_CLICK.into(),
            reason: RefusalReason::CarrierError
        }
    );
}

#[test]
fn high_endpoint_risk_is_stepped_up_with_a_captcha_that_scales_with_the_score() {
    let mut s = Session::start(graph(Scene::Logon), Scene::Logon, None);
    let step = s.evaluate(&farm(), &active()).clone();
    // Emulator (40) + proxy (15) = 55: four times and a fifth the base of 50,000.
    assert_eq!(
        step,
        Step::Captcha {
            node: ENDPOINT_RISK.into(),
            difficulty: difficulty_for_score(50_000, 55)
        }
    );
    assert_eq!(difficulty_for_score(50_000, 55), 350_000);
    assert!(is_step(s.send(Event::CaptchaSolved), ONE_CLICK));
    let Decision::Evaluated { evaluation, action } = s.decisions()[0].1 else {
        panic!()
    };
    assert_eq!(evaluation.score, 55);
    assert_eq!(
        *action,
        RiskAction::Captcha {
            difficulty: 350_000
        }
    );
}

#[test]
fn a_captcha_failed_too_often_refuses() {
    let mut s = Session::start(
        graph(Scene::ResetPassword),
        Scene::ResetPassword,
        Some(cm()),
    );
    s.send(Event::RiskEvaluated(risky_evaluation(80)));
    for _ in 1..MAX_CAPTCHA_FAILURES {
        assert!(matches!(s.send(Event::CaptchaFailed), Step::Captcha { .. }));
    }
    assert_eq!(
        *s.send(Event::CaptchaFailed),
        Step::Refused {
            node: ENDPOINT_RISK.into(),
            reason: RefusalReason::CaptchaFailed
        }
    );

    let mut s = Session::start(
        graph(Scene::ResetPassword),
        Scene::ResetPassword,
        Some(cm()),
    );
    s.send(Event::RiskEvaluated(risky_evaluation(80)));
    s.send(Event::CaptchaFailed);
    s.send(Event::CaptchaFailed);
    assert!(
        is_step(s.send(Event::CaptchaSolved), NUMBER_RISK),
        "solved in time"
    );
}

#[test]
fn a_sim_swapped_number_from_the_carrier_is_refused_by_default() {
    let mut s = Session::start(graph(Scene::Logon), Scene::Logon, None);
    s.low();
    s.send(Event::Succeeded { number: Some(cm()) });
    assert_eq!(
        *s.evaluate(&EndpointSignals::default(), &swapped(2)),
        Step::Refused {
            node: NUMBER_RISK.into(),
            reason: RefusalReason::HighRisk
        }
    );
}

#[test]
fn a_sim_swapped_number_is_stepped_up_when_the_policy_says_captcha() {
    let mut g = graph(Scene::Logon);
    set_on_high(
        &mut g,
        NUMBER_RISK,
        OnHigh::Captcha {
            base_difficulty: 10_000,
        },
    );
    let mut s = Session::start(g, Scene::Logon, None);
    s.low();
    s.send(Event::Succeeded { number: Some(cm()) });
    assert_eq!(
        *s.evaluate(&EndpointSignals::default(), &swapped(2)),
        Step::Captcha {
            node: NUMBER_RISK.into(),
            difficulty: difficulty_for_score(10_000, 60)
        }
    );
    // Solved: on to where the walk was heading when the number became known.
    assert!(is_step(s.send(Event::CaptchaSolved), NUMBER_SCORING));
    assert!(matches!(s.send(Event::NumberScored(60)), Step::Done { .. }));
}

#[test]
fn a_skip_after_one_click_demands_a_fresh_proof() {
    let mut g = graph(Scene::Logon);
    set_on_high(
        &mut g,
        NUMBER_RISK,
        OnHigh::SkipTo {
            node: UPSTREAM_SMS.into(),
        },
    );
    let mut s = Session::start(g, Scene::Logon, None);
    s.low();
    s.send(Event::Succeeded {
        number: Some(mvno()),
    });
    let step = s
        .evaluate(&EndpointSignals::default(), &swapped(20))
        .clone();
    assert!(
        matches!(&step, Step::UpstreamSms { number: Some(n), .. } if *n == mvno()),
        "{step:?}"
    );
    assert!(!s.state.is_proven(), "one-click's proof is withdrawn");
    assert!(is_step(
        s.send(Event::Succeeded { number: None }),
        NUMBER_SCORING
    ));
}

#[test]
fn a_blocked_number_is_refused_even_where_high_risk_is_stepped_up() {
    let mut g = graph(Scene::Logon);
    set_on_high(
        &mut g,
        NUMBER_RISK,
        OnHigh::Captcha {
            base_difficulty: 10_000,
        },
    );
    let mut s = Session::start(g, Scene::Logon, None);
    s.low();
    s.send(Event::TimedOut);
    s.send(Event::NumberEntered(cm()));
    let blocked = NumberFacts {
        list: ListMatch::Blocked,
        ..active()
    };
    assert_eq!(
        *s.evaluate(&EndpointSignals::default(), &blocked),
        Step::Refused {
            node: NUMBER_RISK.into(),
            reason: RefusalReason::Blocked
        }
    );
}

#[test]
fn an_allowed_number_passes_whatever_its_sim_says() {
    let mut s = Session::start(graph(Scene::ChangeNumber), Scene::ChangeNumber, Some(cm()));
    s.low();
    let allowed = NumberFacts {
        list: ListMatch::Allowed,
        ..swapped(0)
    };
    assert!(is_step(
        s.evaluate(&EndpointSignals::default(), &allowed),
        SMS_CODE
    ));
}

#[test]
fn upstream_sms_can_learn_the_number_in_logon() {
    let mut g = graph(Scene::Logon);
    g.node_mut(ONE_CLICK).unwrap().enabled = false;
    g.node_mut(SMS_CODE).unwrap().enabled = false;
    let mut s = Session::start(g, Scene::Logon, None);
    let step = s.low().clone();
    assert!(
        matches!(step, Step::UpstreamSms { number: None, .. }),
        "{step:?}"
    );
    let err = advance(
        &s.graph,
        &mut s.state.clone(),
        Event::Succeeded { number: None },
    );
    assert_eq!(err, Err(WalkError::MissingNumber(NodeKind::UpstreamSms)));
    // The sender of the inbound message is the number; its risk still runs.
    assert!(is_step(
        s.send(Event::Succeeded { number: Some(cm()) }),
        NUMBER_RISK
    ));
    assert!(is_step(s.low(), NUMBER_SCORING));
    let skipped: Vec<_> = s
        .decisions()
        .into_iter()
        .filter(|(_, d)| **d == Decision::Skipped)
        .map(|(n, _)| n)
        .collect();
    assert_eq!(skipped, [ONE_CLICK, SMS_CODE]);
}

// --- scenes with a supplied number ---

#[test]
fn change_number_checks_the_number_then_sends_a_code() {
    for scene in [
        Scene::ChangeNumber,
        Scene::ResetPassword,
        Scene::BindNewNumber,
    ] {
        let mut s = Session::start(graph(scene), scene, Some(cm()));
        assert!(is_step(s.low(), NUMBER_RISK), "{scene}");
        assert!(is_step(s.low(), SMS_CODE), "{scene}");
        assert_eq!(*s.send(Event::Succeeded { number: None }), done(cm(), None));
    }
}

#[test]
fn a_failed_sms_code_falls_back_to_upstream_sms_and_then_refuses() {
    let mut s = Session::start(
        graph(Scene::BindNewNumber),
        Scene::BindNewNumber,
        Some(cm()),
    );
    s.low();
    s.low();
    let step = s.send(Event::Failed).clone();
    assert!(
        matches!(&step, Step::UpstreamSms { number: Some(n), settings, .. }
            if *n == cm() && settings.service_number == "1069000012345"),
        "{step:?}"
    );
    assert_eq!(
        *s.send(Event::Succeeded { number: Some(cm()) }),
        done(cm(), None)
    );

    let mut s = Session::start(
        graph(Scene::BindNewNumber),
        Scene::BindNewNumber,
        Some(cm()),
    );
    s.low();
    s.low();
    s.send(Event::Failed);
    assert_eq!(
        *s.send(Event::TimedOut),
        Step::Refused {
            node: UPSTREAM_SMS.into(),
            reason: RefusalReason::TimedOut
        }
    );
}

#[test]
fn a_sim_swapped_supplied_number_is_refused_or_stepped_up() {
    let mut s = Session::start(
        graph(Scene::ResetPassword),
        Scene::ResetPassword,
        Some(cm()),
    );
    s.low();
    assert!(matches!(
        s.evaluate(&EndpointSignals::default(), &swapped(1)),
        Step::Refused {
            reason: RefusalReason::HighRisk,
            ..
        }
    ));

    let mut g = graph(Scene::ResetPassword);
    set_on_high(
        &mut g,
        NUMBER_RISK,
        OnHigh::Captcha {
            base_difficulty: 50_000,
        },
    );
    let mut s = Session::start(g, Scene::ResetPassword, Some(cm()));
    s.low();
    assert!(matches!(
        s.evaluate(&EndpointSignals::default(), &swapped(1)),
        Step::Captcha { .. }
    ));
    assert!(is_step(s.send(Event::CaptchaSolved), SMS_CODE));
}

#[test]
fn verify_bound_number_uses_the_carrier_check_then_sms() {
    let mut s = Session::start(
        graph(Scene::VerifyBoundNumber),
        Scene::VerifyBoundNumber,
        Some(cm()),
    );
    assert_eq!(
        *s.low(),
        Step::NumberCheck {
            node: NUMBER_CHECK.into(),
            number: cm(),
            timeout_ms: 5_000
        }
    );
    assert_eq!(*s.send(Event::Succeeded { number: None }), done(cm(), None));

    // The carrier cannot answer for this number (or says no): SMS takes over.
    let mut s = Session::start(
        graph(Scene::VerifyBoundNumber),
        Scene::VerifyBoundNumber,
        Some(mvno()),
    );
    s.low();
    assert!(is_step(s.send(Event::Failed), SMS_CODE));
}

#[test]
fn a_carrier_proving_another_number_is_a_failure() {
    let mut g = graph(Scene::VerifyBoundNumber);
    let node = g.node_mut(NUMBER_CHECK).unwrap();
    let Settings::NumberCheck(c) = node.settings.clone() else {
        panic!()
    };
    node.settings = Settings::OneClick(c);
    let mut s = Session::start(g, Scene::VerifyBoundNumber, Some(cm()));
    assert!(matches!(s.low(), Step::CarrierConsent { .. }));
    let step = s
        .send(Event::Succeeded {
            number: Some(cm2()),
        })
        .clone();
    assert!(
        matches!(&step, Step::SmsCode { number, .. } if *number == cm()),
        "{step:?}"
    );
    assert_eq!(s.decisions().last().unwrap().1, &Decision::NumberMismatch);
}

// --- disabled nodes, errors, state ---

#[test]
fn disabled_nodes_are_passed_through_along_their_neutral_outcome() {
    let mut g = graph(Scene::Logon);
    for id in [ENDPOINT_RISK, ONE_CLICK, NUMBER_SCORING] {
        g.node_mut(id).unwrap().enabled = false;
    }
    let mut s = Session::start(g, Scene::Logon, None);
    assert_eq!(
        s.step,
        Step::EnterNumber {
            node: SMS_CODE.into()
        }
    );
    assert_eq!(
        s.decisions(),
        [
            (ENDPOINT_RISK, &Decision::Skipped),
            (NUMBER_RISK, &Decision::Deferred),
            (ONE_CLICK, &Decision::Skipped)
        ]
    );
    s.send(Event::NumberEntered(cm()));
    s.low();
    assert_eq!(
        *s.send(Event::Succeeded { number: None }),
        done(cm(), None),
        "no score"
    );
}

#[test]
fn the_last_method_switched_off_refuses_as_disabled() {
    let mut g = graph(Scene::ChangeNumber);
    g.node_mut(UPSTREAM_SMS).unwrap().enabled = false;
    let mut s = Session::start(g, Scene::ChangeNumber, Some(cm()));
    s.low();
    s.low();
    assert_eq!(
        *s.send(Event::Failed),
        Step::Refused {
            node: UPSTREAM_SMS.into(),
            reason: RefusalReason::Disabled
        }
    );
}

#[test]
fn scenes_check_whether_the_number_is_supplied() {
    let g = graph(Scene::ChangeNumber);
    assert_eq!(
        begin(&g, Scene::ChangeNumber, None).unwrap_err(),
        WalkError::NumberRequired(Scene::ChangeNumber)
    );
    let g = graph(Scene::Logon);
    assert_eq!(
        begin(&g, Scene::Logon, Some(cm())).unwrap_err(),
        WalkError::NumberNotExpected(Scene::Logon)
    );
}

#[test]
fn events_that_do_not_fit_change_nothing() {
    let mut s = Session::start(graph(Scene::Logon), Scene::Logon, None);
    let before = s.state.clone();
    let err = advance(&s.graph, &mut s.state, Event::CaptchaSolved).unwrap_err();
    assert_eq!(
        err,
        WalkError::UnexpectedEvent {
            event: "captcha_solved",
            waiting: "a risk evaluation"
        }
    );
    assert_eq!(s.state, before);

    s.low();
    s.send(Event::Succeeded { number: Some(cm()) });
    s.low();
    s.send(Event::NumberScored(0));
    assert_eq!(
        advance(&s.graph, &mut s.state, Event::Failed),
        Err(WalkError::Finished)
    );
}

#[test]
fn a_policy_changed_under_a_session_is_an_error_not_a_pass() {
    let mut s = Session::start(
        graph(Scene::ResetPassword),
        Scene::ResetPassword,
        Some(cm()),
    );
    s.low();
    s.low();
    let mut changed = s.graph.clone();
    changed.nodes.retain(|n| n.id != SMS_CODE);
    assert_eq!(
        advance(&changed, &mut s.state, Event::Succeeded { number: None }),
        Err(WalkError::PolicyChanged(SMS_CODE.into()))
    );
    assert_eq!(
        s.state.step(&changed),
        Err(WalkError::PolicyChanged(SMS_CODE.into()))
    );
}

#[test]
fn the_session_state_is_small_and_survives_serialisation() {
    let mut s = Session::start(graph(Scene::Logon), Scene::Logon, None);
    s.low();
    s.send(Event::TimedOut);
    s.send(Event::NumberEntered(cm()));
    let json = serde_json::to_string(&s.state).unwrap();
    assert!(json.len() < 200, "{} bytes: {json}", json.len());
    let back: SessionState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s.state);
    assert_eq!(back.step(&s.graph).unwrap(), s.step);
    assert_eq!(back.node(), Some(NUMBER_RISK));
}

#[test]
fn the_trace_carries_each_nodes_logging_switch() {
    let mut g = graph(Scene::ChangeNumber);
    g.node_mut(ENDPOINT_RISK).unwrap().log = false;
    let mut s = Session::start(g, Scene::ChangeNumber, Some(cm()));
    s.low();
    s.low();
    let logged: Vec<(&str, bool)> = s.trace.iter().map(|e| (e.node.as_str(), e.log)).collect();
    assert_eq!(logged, [(ENDPOINT_RISK, false), (NUMBER_RISK, true)]);
}
