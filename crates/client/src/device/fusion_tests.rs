//! The pure parts of the Fusion-Auth device client: the server's steps as
//! parsed, the actions it answers with, the ALTCHA solver.

use super::*;

fn hash(salt: &str, n: u64) -> String {
    hex::encode(Sha256::digest(format!("{salt}{n}")))
}

fn challenge(n: u64, max: u64) -> Challenge {
    let salt = "0123456789abcdef0123456789abcdef?expires=1900000000&bind=ff&".to_owned();
    Challenge {
        algorithm: "SHA-256".into(),
        challenge: hash(&salt, n),
        max_number: max,
        salt,
        signature: "ab".repeat(32),
    }
}

#[test]
fn signals_are_read_from_a_comma_separated_list_with_aliases() {
    assert_eq!("".parse::<Signals>().unwrap(), Signals::default());
    let s: Signals = "emulator, proxy,Root".parse().unwrap();
    assert_eq!(
        s,
        Signals {
            emulator: true,
            proxy_or_vpn: true,
            root_or_jailbreak: true,
            ..Signals::default()
        }
    );
    let s: Signals = "hooking,app-signature-mismatch,vpn".parse().unwrap();
    assert!(s.hooking && s.app_signature_mismatch && s.proxy_or_vpn && !s.emulator);
    let e = "emulator,teleport".parse::<Signals>().unwrap_err();
    assert!(e.contains("teleport"), "{e}");
}

#[test]
fn signals_go_to_the_server_under_its_names() {
    let v = Signals {
        hooking: true,
        ..Signals::default()
    }
    .to_json();
    assert_eq!(
        v,
        json!({"emulator": false, "root_or_jailbreak": false, "hooking": true,
               "proxy_or_vpn": false, "app_signature_mismatch": false})
    );
}

#[test]
fn every_step_of_the_client_api_is_read() {
    let offer = json!({"Carrier": "cm", "Gateway": "http://127.0.0.1:9", "AppId": "300011"});
    let cases = [
        (
            json!({"Step": "carrier_consent", "Carriers": [offer], "TimeoutMs": 5000, "Session": "s"}),
            Step::CarrierConsent {
                carriers: vec![Offer {
                    carrier: "cm".into(),
                    gateway: "http://127.0.0.1:9".into(),
                    app_id: "300011".into(),
                }],
                timeout_ms: 5000,
            },
        ),
        (
            json!({"Step": "number_check", "MaskedNumber": "138****0041", "Carriers": [],
                   "TimeoutMs": 5000, "Session": "s"}),
            Step::NumberCheck {
                masked_number: "138****0041".into(),
                carriers: vec![],
                timeout_ms: 5000,
            },
        ),
        (
            json!({"Step": "captcha", "Challenge": {"algorithm": "SHA-256", "challenge": "00",
                   "maxnumber": 1000, "salt": "x", "signature": "y"}, "Session": "s"}),
            Step::Captcha(Challenge {
                algorithm: "SHA-256".into(),
                challenge: "00".into(),
                max_number: 1000,
                salt: "x".into(),
                signature: "y".into(),
            }),
        ),
        (
            json!({"Step": "enter_number", "Session": "s"}),
            Step::EnterNumber,
        ),
        (
            json!({"Step": "sms_code", "MaskedNumber": "138****0041", "CodeLength": 6,
                   "ValidSeconds": 300, "Session": "s"}),
            Step::SmsCode {
                masked_number: "138****0041".into(),
                code_length: 6,
                valid_seconds: 300,
            },
        ),
        (
            json!({"Step": "upstream_sms", "To": "1069000000", "Text": "AB23CD",
                   "WaitSeconds": 300, "Session": "s"}),
            Step::UpstreamSms {
                to: "1069000000".into(),
                text: "AB23CD".into(),
                wait_seconds: 300,
            },
        ),
        (
            json!({"Step": "done", "MaskedNumber": "138****0041", "VerifyToken": "vt",
                   "Session": "s"}),
            Step::Done {
                verify_token: "vt".into(),
                masked_number: "138****0041".into(),
            },
        ),
        (
            json!({"Step": "refused", "Node": "number_risk", "Reason": "high_risk",
                   "Session": "s"}),
            Step::Refused {
                node: "number_risk".into(),
                reason: "high_risk".into(),
            },
        ),
    ];
    for (v, want) in cases {
        let shown = Shown::parse(&v).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(shown.step, want, "{v}");
        assert_eq!(shown.name(), v["Step"].as_str().unwrap());
        assert_eq!(shown.session, "s");
        assert_eq!(shown.error, None);
    }
    let again = json!({"Step": "enter_number", "Session": "s", "Error": "not a number"});
    assert_eq!(
        Shown::parse(&again).unwrap().error.as_deref(),
        Some("not a number")
    );
}

#[test]
fn a_bad_server_answer_is_an_error_never_a_panic() {
    let bad = [
        json!(null),
        json!([]),
        json!("done"),
        json!({"Step": 7, "Session": "s"}),
        json!({"Step": "wait", "Session": "s"}),
        json!({"Step": "teleport", "Session": "s"}),
        json!({"Step": "done", "MaskedNumber": "138****0041", "Session": "s"}),
        json!({"Step": "done", "MaskedNumber": "138****0041", "VerifyToken": "vt"}),
        json!({"Step": "carrier_consent", "Carriers": "cm", "TimeoutMs": 5000, "Session": "s"}),
        json!({"Step": "carrier_consent", "Carriers": [{"Carrier": "cm"}], "TimeoutMs": 1,
               "Session": "s"}),
        json!({"Step": "carrier_consent", "Carriers": [], "TimeoutMs": -1, "Session": "s"}),
        json!({"Step": "captcha", "Challenge": {"maxnumber": "many"}, "Session": "s"}),
        json!({"Step": "sms_code", "MaskedNumber": "x", "CodeLength": 5_000_000_000u64,
               "ValidSeconds": 300, "Session": "s"}),
        json!({"Step": "upstream_sms", "To": "1069", "Text": "", "WaitSeconds": 300,
               "Session": "s"}),
        json!({"Step": "refused", "Node": null, "Reason": "x", "Session": "s"}),
    ];
    for v in bad {
        assert!(
            matches!(Shown::parse(&v), Err(FusionError::Malformed(_))),
            "{v}"
        );
    }
    // A carrier step without carriers is fine: the run reports `no_data`.
    let v = json!({"Step": "carrier_consent", "TimeoutMs": 5000, "Session": "s"});
    assert!(
        matches!(Shown::parse(&v).unwrap().step, Step::CarrierConsent { carriers, .. } if carriers.is_empty())
    );
}

#[test]
fn an_error_message_quotes_at_most_a_clip_of_the_answer() {
    let v = json!({"Step": "done", "Session": "s", "Junk": "x".repeat(10_000)});
    let FusionError::Malformed(m) = Shown::parse(&v).unwrap_err() else {
        panic!("malformed");
    };
    assert!(m.chars().count() < 400, "{m}");
}

#[test]
fn the_carrier_step_answers_with_the_token_or_why_there_is_none() {
    let token = CarrierReport::Token {
        carrier: "cu".into(),
        masked_number: "186****0001".into(),
    };
    assert_eq!(
        carrier_action(&token, Some("t0k")),
        json!({"Action": "carrier", "Carrier": "cu", "CarrierToken": "t0k"})
    );
    assert_eq!(
        carrier_action(&CarrierReport::Timeout, None),
        json!({"Action": "carrier", "Failed": "timeout"})
    );
    let no_data = CarrierReport::NoData {
        why: "cm: mobile data off".into(),
    };
    assert_eq!(
        carrier_action(&no_data, None),
        json!({"Action": "carrier", "Failed": "no_data"})
    );
    // A token report that lost its token cannot claim success.
    assert_eq!(
        carrier_action(&token, None),
        json!({"Action": "carrier", "Failed": "no_data"})
    );
}

#[test]
fn the_users_replies_become_actions_and_quit_ends_the_run() {
    assert_eq!(
        human(Reply::Number("13800000041".into())).unwrap(),
        json!({"Action": "number", "Number": "13800000041"})
    );
    assert_eq!(
        human(Reply::SmsCode("123456".into())).unwrap(),
        json!({"Action": "sms_code", "Code": "123456"})
    );
    assert_eq!(human(Reply::Sent).unwrap(), json!({"Action": "upstream"}));
    assert_eq!(human(Reply::GiveUp).unwrap(), json!({"Action": "give_up"}));
    assert!(matches!(human(Reply::Quit), Err(FusionError::Quit)));
}

#[test]
fn decimal_writes_numbers_as_the_widget_concatenates_them() {
    let mut buf = [0u8; 20];
    for n in [0, 7, 10, 99, 100, 1_234_567, u64::MAX] {
        assert_eq!(decimal(n, &mut buf), n.to_string().as_bytes());
    }
}

#[test]
fn the_solver_finds_the_number_the_challenge_hides() {
    for n in [0, 1, 9, 10, 4_321] {
        let c = challenge(n, 5_000);
        assert_eq!(solve(&c.salt, &c.challenge, c.max_number), Some(n));
    }
    // Beyond maxnumber, or a challenge that is not a hash: no answer.
    let c = challenge(4_321, 4_000);
    assert_eq!(solve(&c.salt, &c.challenge, c.max_number), None);
    assert_eq!(solve("salt", "zz", 10), None);
    assert_eq!(solve("salt", "", 10), None);
}

#[test]
fn the_payload_is_the_widgets_base64_json() {
    let c = challenge(42, 1_000);
    let p = payload(&c, 42, Duration::from_millis(15));
    let v: Value = serde_json::from_slice(&STANDARD.decode(p).unwrap()).unwrap();
    assert_eq!(
        v,
        json!({"algorithm": "SHA-256", "challenge": c.challenge, "number": 42,
               "salt": c.salt, "signature": c.signature, "took": 15})
    );
}

#[test]
fn challenges_the_widget_would_not_work_on_are_refused_before_any_work() {
    let ok = challenge(1, 1_000);
    assert!(check_challenge(&ok).is_ok());
    let other = Challenge {
        algorithm: "SHA-512".into(),
        ..ok.clone()
    };
    assert!(matches!(
        check_challenge(&other),
        Err(FusionError::Captcha(_))
    ));
    let huge = Challenge {
        max_number: u64::MAX,
        ..ok.clone()
    };
    assert!(matches!(
        check_challenge(&huge),
        Err(FusionError::Captcha(_))
    ));
    let short = Challenge {
        challenge: "abcd".into(),
        ..ok
    };
    assert!(matches!(
        check_challenge(&short),
        Err(FusionError::Captcha(_))
    ));
}

/// A handler that answers from a script and records what it was asked.
struct Scripted {
    replies: Vec<Reply>,
    asked: Vec<Prompt>,
    notices: Vec<Notice>,
}

impl FusionHandler for Scripted {
    async fn prompt(&mut self, prompt: Prompt) -> Reply {
        self.asked.push(prompt);
        if self.replies.is_empty() {
            Reply::Quit
        } else {
            self.replies.remove(0)
        }
    }

    fn notice(&mut self, notice: &Notice) {
        self.notices.push(notice.clone());
    }
}

#[tokio::test]
async fn a_captcha_is_solved_and_reported_with_its_payload() {
    let mut h = Scripted {
        replies: vec![],
        asked: vec![],
        notices: vec![],
    };
    let c = challenge(777, 2_000);
    let action = captcha(c.clone(), &mut h).await.unwrap();
    assert_eq!(action["Action"], "captcha");
    let v: Value = serde_json::from_slice(
        &STANDARD
            .decode(action["Payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(v["number"], 777);
    assert_eq!(h.notices[0], Notice::SolvingCaptcha { max_number: 2_000 });
    assert!(matches!(
        h.notices[1],
        Notice::CaptchaSolved { number: 777, .. }
    ));
    // A challenge without a solution in range is an error, not a guess.
    let e = captcha(challenge(3_000, 2_000), &mut h).await.unwrap_err();
    assert!(matches!(e, FusionError::Captcha(_)), "{e}");
}

#[tokio::test]
async fn a_run_that_was_not_started_takes_no_step() {
    let mut run = FusionRun::new("127.0.0.1".parse().unwrap(), "http://127.0.0.1:9/").unwrap();
    assert_eq!(run.session(), None);
    assert!(matches!(
        run.act(json!({"Action": "give_up"})).await,
        Err(FusionError::NotStarted)
    ));
    run.session = Some("s".into());
    assert!(matches!(
        run.act(json!("give_up")).await,
        Err(FusionError::NotAnAction)
    ));
}

#[tokio::test]
async fn the_run_ends_on_done_or_refused_and_stops_when_the_user_quits() {
    let mut run = FusionRun::new("127.0.0.1".parse().unwrap(), "http://127.0.0.1:9").unwrap();
    let mut h = Scripted {
        replies: vec![],
        asked: vec![],
        notices: vec![],
    };
    let shown = |step| Shown {
        session: "s".into(),
        step,
        error: None,
    };
    let done = run
        .drive(
            shown(Step::Done {
                verify_token: "vt".into(),
                masked_number: "138****0041".into(),
            }),
            &mut h,
        )
        .await
        .unwrap();
    assert_eq!(
        done,
        FusionOutcome::Done {
            verify_token: "vt".into(),
            masked_number: "138****0041".into()
        }
    );
    let refused = run
        .drive(
            shown(Step::Refused {
                node: "n".into(),
                reason: "high_risk".into(),
            }),
            &mut h,
        )
        .await
        .unwrap();
    assert_eq!(
        refused,
        FusionOutcome::Refused {
            node: "n".into(),
            reason: "high_risk".into()
        }
    );
    let mut again = shown(Step::EnterNumber);
    again.error = Some("the number is not a valid mobile number".into());
    let e = run.drive(again, &mut h).await.unwrap_err();
    assert!(matches!(e, FusionError::Quit), "{e}");
    assert_eq!(
        h.asked,
        [Prompt::EnterNumber {
            error: Some("the number is not a valid mobile number".into())
        }]
    );
}
