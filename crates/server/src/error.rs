//! The server's one error type. Every variant maps to an Alibaba error code and
//! HTTP status in [`ApiError::refusal`]; unexpected failures are logged with
//! their cause chain and answered opaquely.

use std::borrow::Cow;

use numgate_acs::AcsError;
use numgate_domain::InvalidParam;
use numgate_store::StoreError;

/// Business codes: refusals answered with HTTP 200 and `Success: false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BizCode {
    MobileNumberIllegal,
    InvalidParameters,
    Frequency,
    BusinessLimitControl,
    /// `isv.DAY_LIMIT_CONTROL`: the tenant's daily SMS budget is used up.
    DayLimitControl,
    SmsSignatureIllegal,
    SmsTemplateIllegal,
    SmsTemplateParamsIllegal,
    VerifySchemeNotExist,
    TokenInvalid,
    TokenUnauthorizedUsed,
    ParametersMismatch,
    VerifySchemeConflict,
    PackSignConflict,
    BundleIdConflict,
    InvalidApp,
    /// `isv.RAM_PERMISSION_DENY`: the credentials may call the action, but not
    /// with these parameters (a send outside what temporary credentials grant).
    RamPermissionDeny,
    /// `isv.OUT_OF_SERVICE`: the tenant's prepaid quota is used up and it is
    /// refused when it is (`billing.refuse_when_empty`).
    OutOfService,
}

impl BizCode {
    pub fn code(self) -> &'static str {
        match self {
            Self::MobileNumberIllegal => "isv.MOBILE_NUMBER_ILLEGAL",
            Self::InvalidParameters => "isv.INVALID_PARAMETERS",
            Self::Frequency => "biz.FREQUENCY",
            Self::BusinessLimitControl => "isv.BUSINESS_LIMIT_CONTROL",
            Self::DayLimitControl => "isv.DAY_LIMIT_CONTROL",
            Self::SmsSignatureIllegal => "isv.SMS_SIGNATURE_ILLEGAL",
            Self::SmsTemplateIllegal => "isv.SMS_TEMPLATE_ILLEGAL",
            Self::SmsTemplateParamsIllegal => "isv.SMS_TEMPLATE_PARAMS_ILLEGAL",
            Self::VerifySchemeNotExist => "isv.VERIFY_SCHEME_NOT_EXIST",
            Self::TokenInvalid => "isv.TOKEN_INVALID",
            Self::TokenUnauthorizedUsed => "isv.TOKEN_UNAUTHORIZED_USED",
            Self::ParametersMismatch => "isv.PARAMETERS_MISMATCH",
            Self::VerifySchemeConflict => "isv.VERIFY_SCHEME_CONFLICT",
            Self::PackSignConflict => "isv.PACK_SIGN_CONFLICT",
            Self::BundleIdConflict => "isv.BUNDLE_ID_CONFLICT",
            Self::InvalidApp => "isv.INVALID_APP",
            Self::RamPermissionDeny => "isv.RAM_PERMISSION_DENY",
            Self::OutOfService => "isv.OUT_OF_SERVICE",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Refused by the gateway (HTTP 4xx): signature, key, nonce, timestamp,
    /// action, version, a missing or mistyped parameter, size.
    #[error(transparent)]
    Gateway(#[from] AcsError),
    /// A business refusal (HTTP 200, `Success: false`).
    #[error("{message}")]
    Business { code: BizCode, message: String },
    /// `ServiceUnavailable` (503): the database is away; the request may be retried.
    #[error("the service is temporarily unavailable")]
    Unavailable(#[source] StoreError),
    /// `InternalError` (500): a bug or a broken database; details only in the log.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// What the client is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// HTTP 200 with the business code in the success envelope.
    Business { code: &'static str, message: String },
    /// HTTP 4xx/5xx with Alibaba's gateway error envelope.
    Gateway(AcsError),
}

impl ApiError {
    pub fn biz(code: BizCode, message: impl Into<String>) -> Self {
        Self::Business {
            code,
            message: message.into(),
        }
    }

    /// A domain validation failure as the business code the API documents.
    pub fn invalid(code: BizCode, e: InvalidParam) -> Self {
        Self::biz(code, e.to_string())
    }

    /// `Missing<Name>` (400).
    pub fn missing(name: &'static str) -> Self {
        Self::Gateway(AcsError::Missing {
            name: Cow::Borrowed(name),
        })
    }

    /// `InvalidParameter` (400): a value that is not of its type.
    pub fn malformed(name: &'static str, reason: &'static str) -> Self {
        Self::Gateway(AcsError::InvalidParameter {
            name: name.to_owned(),
            reason: Cow::Borrowed(reason),
        })
    }

    pub fn refusal(&self) -> Refusal {
        match self {
            Self::Gateway(e) => Refusal::Gateway(e.clone()),
            Self::Business { code, message } => Refusal::Business {
                code: code.code(),
                message: message.clone(),
            },
            Self::Unavailable(_) => Refusal::Gateway(AcsError::ServiceUnavailable),
            Self::Internal(_) => Refusal::Gateway(AcsError::InternalError),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => Self::Unavailable(e),
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}
