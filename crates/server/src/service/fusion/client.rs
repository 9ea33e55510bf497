//! The client's side of a run: what each step is prepared with, how it is shown
//! (`{"Step": …}` JSON of the Client API), and what the client's action at it
//! means for the walker.

use std::time::Duration;

use numgate_carriers::CarrierError;
use numgate_domain::access_token::{CarrierAccounts, TokenCarrier};
use numgate_domain::fusion::{Event, Step};
use numgate_domain::{
    captcha, CaseAuthPolicy, CodeType, CountryCode, DuplicatePolicy, PhoneNumber,
};
use rand::Rng;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{Pending, Session};
use crate::error::ApiError;
use crate::service::codes;
use crate::state::AppState;

/// How long a CAPTCHA challenge lives.
const CAPTCHA_SECS: u64 = 120;
/// Upstream texts: unambiguous capitals and digits (no O/0, I/1).
const TEXT_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// The carrier apps of Fusion-Auth runs: numgate's own at each carrier.
fn accounts(session: &Session) -> CarrierAccounts {
    CarrierAccounts {
        tenant: session.run.tenant.clone(),
        ..CarrierAccounts::default()
    }
}

/// Readies a client step. `Some(event)`: the step cannot be offered (no carrier
/// for it, a code that could not be sent), and the walk goes on with that event.
pub async fn prepare(
    state: &AppState,
    session: &mut Session,
    step: &Step,
) -> Result<Option<Event>, ApiError> {
    match step {
        Step::CarrierConsent { .. } => {
            session.run.pending = Pending::Nothing;
            if state.carriers.offered(&accounts(session)).is_empty() {
                return Ok(Some(Event::Failed));
            }
        }
        Step::NumberCheck { number, .. } => {
            session.run.pending = Pending::Nothing;
            if carrier_of(state, session, number).is_none() {
                // The number's carrier cannot check it: SMS takes over.
                return Ok(Some(Event::Failed));
            }
        }
        Step::Captcha { node, .. } => {
            session.run.pending = Pending::Captcha { node: node.clone() };
        }
        Step::SmsCode {
            node,
            number,
            settings,
        } => {
            if matches!(&session.run.pending, Pending::Sms { node: n, .. } if n == node) {
                return Ok(None);
            }
            let send = codes::SendCode {
                scheme: session.code_scheme(),
                phone: number.clone(),
                sign_name: settings.sign_name.clone(),
                template_code: settings.template_code.clone(),
                template_params: numgate_domain::template::TemplateParams::parse(&format!(
                    r###"{{"code":"##code##","min":"{}"}}"###,
                    settings.valid_seconds.div_ceil(60)
                ))
                .expect("a fixed TemplateParam parses"),
                length: numgate_domain::CodeLength::parse(i64::from(settings.code_length))
                    .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?,
                kind: CodeType::Digits,
                valid_secs: i64::from(settings.valid_seconds),
                interval_secs: 0,
                policy: DuplicatePolicy::Replace,
                out_id: None,
                auto_retry: true,
                up_extend_code: None,
            };
            match codes::send(state, session.tenant_id, send).await {
                Ok(_) => {
                    session.run.pending = Pending::Sms {
                        node: node.clone(),
                        wrong: 0,
                    };
                }
                Err(ApiError::Business { code, .. }) => {
                    tracing::info!(code = ?code, "a Fusion-Auth code was not sent; the next method takes over");
                    return Ok(Some(Event::Failed));
                }
                Err(e) => return Err(e),
            }
        }
        Step::UpstreamSms {
            node,
            number,
            settings,
        } => {
            if matches!(&session.run.pending, Pending::Upstream { node: n, .. } if n == node) {
                return Ok(None);
            }
            // Without a number the inbound message tells it: the text is random.
            let _ = number;
            let mut rng = rand::rngs::OsRng;
            let text: String = (0..settings.text_length)
                .map(|_| TEXT_ALPHABET[rng.gen_range(0..TEXT_ALPHABET.len())] as char)
                .collect();
            session.run.pending = Pending::Upstream {
                node: node.clone(),
                text,
                since: state.clock.now_millis(),
            };
        }
        _ => session.run.pending = Pending::Nothing,
    }
    Ok(None)
}

/// The configured carrier that can check `number` (its segment's network).
fn carrier_of(state: &AppState, session: &Session, number: &PhoneNumber) -> Option<TokenCarrier> {
    let c = match number.carrier()? {
        numgate_domain::Carrier::ChinaMobile => TokenCarrier::Cm,
        numgate_domain::Carrier::ChinaUnicom => TokenCarrier::Cu,
        numgate_domain::Carrier::ChinaTelecom => TokenCarrier::Ct,
        _ => return None,
    };
    state.carriers.get(c, &accounts(session)).map(|_| c)
}

fn binding(session: &Session, node: &str) -> String {
    format!("{}/{node}", session.id)
}

/// The step as the client sees it.
pub fn render(state: &AppState, session: &Session, step: &Step) -> Value {
    let mut v = match step {
        Step::CarrierConsent { timeout_ms, .. } => json!({
            "Step": "carrier_consent",
            "Carriers": state.carriers.offered(&accounts(session)),
            "TimeoutMs": timeout_ms,
        }),
        Step::NumberCheck {
            number, timeout_ms, ..
        } => {
            let name = carrier_of(state, session, number).map(|c| match c {
                TokenCarrier::Cm => "cm",
                TokenCarrier::Cu => "cu",
                _ => "ct",
            });
            let carriers: Vec<Value> = state
                .carriers
                .offered(&accounts(session))
                .into_iter()
                .filter(|c| c["Carrier"].as_str() == name)
                .collect();
            json!({
                "Step": "number_check",
                "MaskedNumber": number.masked(),
                "Carriers": carriers,
                "TimeoutMs": timeout_ms,
            })
        }
        Step::Captcha { node, difficulty } => {
            let c = captcha::create_challenge(
                &state.captcha_key[..],
                &binding(session, node),
                *difficulty,
                state.clock.now_millis(),
                CAPTCHA_SECS,
            );
            json!({ "Step": "captcha", "Challenge": c })
        }
        Step::EnterNumber { .. } => json!({ "Step": "enter_number" }),
        Step::SmsCode {
            number, settings, ..
        } => json!({
            "Step": "sms_code",
            "MaskedNumber": number.masked(),
            "CodeLength": settings.code_length,
            "ValidSeconds": settings.valid_seconds,
        }),
        Step::UpstreamSms { settings, .. } => {
            let text = match &session.run.pending {
                Pending::Upstream { text, .. } => text.clone(),
                _ => String::new(),
            };
            json!({
                "Step": "upstream_sms",
                "To": settings.service_number,
                "Text": text,
                "WaitSeconds": settings.wait_seconds,
            })
        }
        Step::Done { number, score } => json!({
            "Step": "done",
            "MaskedNumber": number.masked(),
            "VerifyToken": super::verify_token(state, session, number, *score),
        }),
        Step::Refused { node, reason } => json!({
            "Step": "refused",
            "Node": node,
            "Reason": reason.to_string(),
        }),
        // The server's own steps never reach the client.
        _ => json!({ "Step": "wait" }),
    };
    v["Session"] = json!(session.id);
    v
}

/// What a client reports at its step.
#[derive(Deserialize)]
#[serde(tag = "Action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// The carrier's token, or why there is none (`no_data`, `declined`, `timeout`).
    Carrier {
        #[serde(rename = "Carrier", default)]
        carrier: Option<TokenCarrier>,
        #[serde(rename = "CarrierToken", default)]
        carrier_token: Option<String>,
        #[serde(rename = "Failed", default)]
        failed: Option<CarrierFailure>,
    },
    Captcha {
        #[serde(rename = "Payload")]
        payload: String,
    },
    Number {
        #[serde(rename = "Number")]
        number: String,
    },
    SmsCode {
        #[serde(rename = "Code")]
        code: String,
    },
    /// The user says the upstream message is sent.
    Upstream,
    /// The user gives up the current method (the next one takes over).
    GiveUp,
}

/// Why a device has no carrier token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CarrierFailure {
    /// No mobile data, or no carrier offered serves this SIM.
    NoData,
    /// The user did not agree.
    Declined,
    /// The carrier did not answer within the step's `TimeoutMs`.
    Timeout,
}

/// What an action means: an event for the walker, or the same step again with
/// a message (a wrong code with tries left, an upstream message not yet in).
pub enum Outcome {
    Event(Event),
    Again(&'static str),
    /// The action does not fit the step.
    Misplaced,
}

/// Judges the client's action at the current step.
pub async fn act(
    state: &AppState,
    session: &mut Session,
    step: &Step,
    action: Action,
) -> Result<Outcome, ApiError> {
    Ok(match (step, action) {
        (Step::CarrierConsent { .. } | Step::NumberCheck { .. }, Action::GiveUp) => {
            Outcome::Event(Event::Failed)
        }
        (
            Step::CarrierConsent { timeout_ms, .. },
            Action::Carrier {
                carrier,
                carrier_token,
                failed,
            },
        ) => Outcome::Event(match (carrier, carrier_token, failed) {
            (_, _, Some(CarrierFailure::Timeout)) => Event::TimedOut,
            (_, _, Some(_)) => Event::Failed,
            (Some(c), Some(t), None) if !t.is_empty() && t.len() <= 2048 => {
                let Some(gw) = state.carriers.get(c, &accounts(session)) else {
                    return Ok(Outcome::Event(Event::Failed));
                };
                let limit = Duration::from_millis(u64::from(*timeout_ms));
                match tokio::time::timeout(limit, gw.exchange(&t)).await {
                    Err(_) => Event::TimedOut,
                    Ok(Ok(n)) => match PhoneNumber::parse(&CountryCode::mainland(), &n) {
                        Ok(number) => Event::Succeeded {
                            number: Some(number),
                        },
                        Err(_) => Event::CarrierError,
                    },
                    Ok(Err(CarrierError::Unavailable(_))) => Event::CarrierError,
                    Ok(Err(CarrierError::Refused(why))) => {
                        tracing::error!(reason = %why, "a carrier refused numgate");
                        Event::CarrierError
                    }
                    Ok(Err(_)) => Event::Failed,
                }
            }
            _ => return Ok(Outcome::Misplaced),
        }),
        (
            Step::NumberCheck {
                number, timeout_ms, ..
            },
            Action::Carrier {
                carrier,
                carrier_token,
                failed,
            },
        ) => Outcome::Event(match (carrier, carrier_token, failed) {
            (_, _, Some(CarrierFailure::Timeout)) => Event::TimedOut,
            (_, _, Some(_)) => Event::Failed,
            (Some(c), Some(t), None) if !t.is_empty() && t.len() <= 2048 => {
                if carrier_of(state, session, number) != Some(c) {
                    return Ok(Outcome::Event(Event::Failed));
                }
                let Some(gw) = state.carriers.get(c, &accounts(session)) else {
                    return Ok(Outcome::Event(Event::Failed));
                };
                let limit = Duration::from_millis(u64::from(*timeout_ms));
                match tokio::time::timeout(limit, gw.verify(&t, number.national())).await {
                    Err(_) => Event::TimedOut,
                    Ok(Ok(true)) => Event::Succeeded { number: None },
                    Ok(Ok(false)) => Event::Failed,
                    Ok(Err(CarrierError::Unavailable(_) | CarrierError::Refused(_))) => {
                        Event::CarrierError
                    }
                    Ok(Err(_)) => Event::Failed,
                }
            }
            _ => return Ok(Outcome::Misplaced),
        }),
        (Step::Captcha { node, .. }, Action::Captcha { payload }) => {
            let now = state.clock.now_millis();
            let solved = match captcha::verify_solution(
                &state.captcha_key[..],
                &payload,
                &binding(session, node),
                now,
            ) {
                Ok(v) => state.store.consume_token(&v.id, v.expires_at).await?,
                Err(e) => {
                    tracing::debug!(error = ?e, "a CAPTCHA solution was refused");
                    false
                }
            };
            Outcome::Event(if solved {
                Event::CaptchaSolved
            } else {
                Event::CaptchaFailed
            })
        }
        (Step::EnterNumber { .. }, Action::Number { number }) => {
            match PhoneNumber::parse(&CountryCode::mainland(), number.trim()) {
                Ok(n) => Outcome::Event(Event::NumberEntered(n)),
                Err(_) => Outcome::Again("the number is not a valid mobile number"),
            }
        }
        (Step::SmsCode { .. }, Action::GiveUp) => Outcome::Event(Event::Failed),
        (Step::SmsCode { number, .. }, Action::SmsCode { code }) => {
            let Ok(code) = numgate_domain::VerifyCode::parse(&code) else {
                return Ok(wrong_code(state, session));
            };
            let scheme = session.code_scheme();
            if codes::check(
                state,
                session.tenant_id,
                &scheme,
                number,
                &code,
                CaseAuthPolicy::Sensitive,
            )
            .await?
            {
                Outcome::Event(Event::Succeeded { number: None })
            } else {
                wrong_code(state, session)
            }
        }
        (Step::UpstreamSms { .. }, Action::GiveUp) => Outcome::Event(Event::Failed),
        (
            Step::UpstreamSms {
                number, settings, ..
            },
            Action::Upstream,
        ) => {
            let Pending::Upstream { text, since, .. } = &session.run.pending else {
                return Ok(Outcome::Event(Event::Failed));
            };
            let now = state.clock.now_millis();
            let take = numgate_store::InboundTake {
                from: number
                    .as_ref()
                    .map(PhoneNumber::e164_digits)
                    .unwrap_or_default(),
                to: settings.service_number.clone(),
                text: text.clone(),
                since: *since,
                now,
            };
            let proven = match number {
                Some(_) => state.store.take_inbound(take).await?.then_some(None),
                // The sender, as the SMS centre gives it: E.164 digits.
                None => match state.store.take_inbound_from_anyone(take).await? {
                    Some(sender) => match sender_number(&sender) {
                        Some(n) => Some(Some(n)),
                        None => return Ok(Outcome::Event(Event::Failed)),
                    },
                    None => None,
                },
            };
            if let Some(number) = proven {
                Outcome::Event(Event::Succeeded { number })
            } else if now > since + i64::from(settings.wait_seconds) * 1000 {
                Outcome::Event(Event::TimedOut)
            } else {
                Outcome::Again("the message has not arrived yet")
            }
        }
        _ => Outcome::Misplaced,
    })
}

/// An inbound message's sender (E.164 digits) as a number; one that is not a
/// mainland mobile number proves nothing the scene can use.
fn sender_number(sender: &str) -> Option<PhoneNumber> {
    let national = sender.strip_prefix("86")?;
    PhoneNumber::parse(&CountryCode::mainland(), national).ok()
}

/// A wrong code: the same step again while tries are left, then the next method.
fn wrong_code(state: &AppState, session: &mut Session) -> Outcome {
    if let Pending::Sms { wrong, .. } = &mut session.run.pending {
        *wrong += 1;
        if u32::from(*wrong) >= state.config.sms.max_check_attempts {
            return Outcome::Event(Event::Failed);
        }
    }
    Outcome::Again("the code is not right")
}
