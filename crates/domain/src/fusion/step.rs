//! What the walker asks for next ([`Step`]) and what the caller reports back
//! ([`Event`]).

use super::node::{RiskSettings, SmsSettings, UpstreamSettings};
use super::risk::RiskEvaluation;
use super::session::RefusalReason;
use crate::PhoneNumber;

/// The next thing to do. The first three are for the server (gather facts, call
/// [`super::evaluate_endpoint`], [`super::evaluate_number`] or
/// [`super::phone_score`], report the result); the rest are shown to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Server: evaluate endpoint risk with these settings.
    EvaluateEndpointRisk {
        node: String,
        settings: RiskSettings,
    },
    /// Server: evaluate the number's risk with these settings.
    EvaluateNumberRisk {
        node: String,
        settings: RiskSettings,
        number: PhoneNumber,
    },
    /// Server: compute the PhoneScore.
    ScoreNumber { node: String, number: PhoneNumber },
    /// Client: ask the user's consent and run carrier one-click.
    CarrierConsent { node: String, timeout_ms: u32 },
    /// Client: get a carrier token to check `number`.
    NumberCheck {
        node: String,
        number: PhoneNumber,
        timeout_ms: u32,
    },
    /// Client: solve a proof-of-work CAPTCHA of this ALTCHA `maxnumber`.
    Captcha { node: String, difficulty: u64 },
    /// Client: the user enters the number (the method `node` needs it).
    EnterNumber { node: String },
    /// Server sends a code to `number`; client: the user types it.
    SmsCode {
        node: String,
        number: PhoneNumber,
        settings: SmsSettings,
    },
    /// Client: the user sends a random text to the service number; `number` is
    /// the expected sender, or `None` when the inbound message will tell it.
    UpstreamSms {
        node: String,
        number: Option<PhoneNumber>,
        settings: UpstreamSettings,
    },
    /// Passed: `number` is proven; `score` when number scoring ran.
    Done {
        number: PhoneNumber,
        score: Option<u8>,
    },
    /// Refused at `node`.
    Refused { node: String, reason: RefusalReason },
}

impl Step {
    /// Steps the server performs itself before answering the client.
    pub fn is_for_server(&self) -> bool {
        matches!(
            self,
            Self::EvaluateEndpointRisk { .. }
                | Self::EvaluateNumberRisk { .. }
                | Self::ScoreNumber { .. }
        )
    }

    pub fn is_final(&self) -> bool {
        matches!(self, Self::Done { .. } | Self::Refused { .. })
    }
}

/// What happened at the current step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The server's risk evaluation of the current risk node.
    RiskEvaluated(RiskEvaluation),
    /// The server's PhoneScore of the number.
    NumberScored(u8),
    /// The CAPTCHA solution was verified.
    CaptchaSolved,
    /// The CAPTCHA solution was wrong (a new challenge follows, up to a limit).
    CaptchaFailed,
    /// The user entered the number.
    NumberEntered(PhoneNumber),
    /// The method proved possession. One-click must report the carrier's number,
    /// upstream SMS the sender's when the session does not know it yet; a
    /// reported number that differs from a known one is a failure.
    Succeeded { number: Option<PhoneNumber> },
    /// The method failed: wrong codes, the carrier said no, no cellular data,
    /// the user gave up, or the carrier cannot check this number.
    Failed,
    /// The method's time ran out.
    TimedOut,
    /// The carrier (or SMS centre) failed: 5xx, malformed answer.
    CarrierError,
}

impl Event {
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::RiskEvaluated(_) => "risk_evaluated",
            Self::NumberScored(_) => "number_scored",
            Self::CaptchaSolved => "captcha_solved",
            Self::CaptchaFailed => "captcha_failed",
            Self::NumberEntered(_) => "number_entered",
            Self::Succeeded { .. } => "succeeded",
            Self::Failed => "failed",
            Self::TimedOut => "timed_out",
            Self::CarrierError => "carrier_error",
        }
    }
}
