//! The state of one Fusion-Auth session, small and serde: the server stores it
//! per session and hands it back to the walker with each event.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::node::Target;
use super::number_serde;
use super::scene::Scene;
use crate::PhoneNumber;

/// Where a session stands. Fields are private: only the walker moves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    pub(super) scene: Scene,
    /// The number being verified, once known (supplied, entered or learnt).
    #[serde(
        default,
        with = "number_serde::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub(super) number: Option<PhoneNumber>,
    /// Whether a method has proven possession of `number`.
    #[serde(default)]
    pub(super) proven: bool,
    /// Number-risk nodes passed before the number was known: evaluated as soon
    /// as it is, before any further step and before `pass`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) deferred: Vec<String>,
    /// The PhoneScore, once number scoring ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) score: Option<u8>,
    pub(super) at: At,
}

/// What the session waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub(super) enum At {
    /// The caller's evaluation of a risk node; then the walk goes on to `then`.
    Risk {
        node: String,
        then: Target,
    },
    /// A solved CAPTCHA; then the walk goes on to `then`.
    Captcha {
        node: String,
        difficulty: u64,
        failures: u8,
        then: Target,
    },
    /// The number, which the method `node` needs.
    Number {
        node: String,
    },
    /// The outcome of the method `node`.
    Method {
        node: String,
    },
    /// The PhoneScore.
    Score {
        node: String,
    },
    Done,
    Refused {
        node: String,
        reason: RefusalReason,
    },
}

/// Why a session was refused (stable names: they are stored and reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// A risk node's `on_high` is `refuse`.
    HighRisk,
    /// The number is on the tenant's block list.
    Blocked,
    /// Too many wrong CAPTCHA solutions.
    CaptchaFailed,
    /// The last method failed and its `failure` refuses.
    MethodFailed,
    /// The last method timed out and its `failure` refuses.
    TimedOut,
    /// The carrier failed and the node refuses on carrier errors (or its
    /// `failure` refuses).
    CarrierError,
    /// The method proved a different number than the one supplied.
    NumberMismatch,
    /// The node is switched off and its `failure` refuses.
    Disabled,
    /// The graph led to `pass` without a proof, or to `refuse` from an outcome
    /// that may not refuse (validation prevents both; the walker still refuses).
    Policy,
}

impl fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::HighRisk => "the risk is high",
            Self::Blocked => "the number is on the block list",
            Self::CaptchaFailed => "the CAPTCHA was failed too often",
            Self::MethodFailed => "verification failed",
            Self::TimedOut => "verification timed out",
            Self::CarrierError => "the carrier failed",
            Self::NumberMismatch => "the carrier's number differs from the supplied one",
            Self::Disabled => "no verification method is switched on",
            Self::Policy => "the policy refuses",
        })
    }
}

impl SessionState {
    pub fn scene(&self) -> Scene {
        self.scene
    }

    /// The number, once known; it is proven only when [`Self::is_proven`].
    pub fn number(&self) -> Option<&PhoneNumber> {
        self.number.as_ref()
    }

    pub fn is_proven(&self) -> bool {
        self.proven
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.at, At::Done | At::Refused { .. })
    }

    /// The node the session is at (for a finished session: none, or the refusing one).
    pub fn node(&self) -> Option<&str> {
        match &self.at {
            At::Risk { node, .. }
            | At::Captcha { node, .. }
            | At::Number { node }
            | At::Method { node }
            | At::Score { node }
            | At::Refused { node, .. } => Some(node),
            At::Done => None,
        }
    }
}
