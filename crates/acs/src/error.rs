//! The gateway (transport) errors of the Open API: Alibaba code, HTTP status, message.

use std::borrow::Cow;

use http::StatusCode;

/// Which flow-control limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottlingScope {
    /// The caller's own rate (`Throttling.User`).
    User,
    /// The action's global rate (`Throttling.Api`).
    Api,
}

/// A request refused before any action ran. Each variant's doc names its code and
/// status. Messages are for humans and never contain a secret, an expected
/// signature or a parameter value that could be a code or token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcsError {
    /// `InvalidAction.NotFound`, 404.
    #[error("Specified api {} is not found, please check your url and method.", shown(.action))]
    ActionNotFound { action: String },
    /// `InvalidVersion`, 400: a version other than [`crate::VERSION`].
    #[error("Specified parameter Version {} is not valid; numgate serves {}.", shown(.version), crate::VERSION)]
    InvalidVersion { version: String },
    /// `InvalidAccessKeyId.NotFound`, 404.
    #[error("Specified access key is not found.")]
    AccessKeyNotFound,
    /// `InvalidAccessKeyId.Inactive`, 400.
    #[error("Specified access key is disabled.")]
    AccessKeyInactive,
    /// `InvalidSecurityToken.Malformed`, 400: the security token of temporary
    /// credentials is not one this service issued, or was changed.
    #[error("Specified SecurityToken is malformed.")]
    SecurityTokenMalformed,
    /// `InvalidSecurityToken.Expired`, 400.
    #[error("Specified SecurityToken is expired.")]
    SecurityTokenExpired,
    /// `InvalidSecurityToken.MismatchWithAccessKey`, 400: the token was issued for
    /// another temporary AccessKey, or sent with a permanent one.
    #[error("Specified SecurityToken mismatch with the AccessKey.")]
    SecurityTokenMismatch,
    /// `Forbidden.RAM`, 403: the credentials may not call this action (temporary
    /// credentials are limited to what they were granted for).
    #[error("User not authorized to operate on the specified resource: these credentials may not call {}.", shown(.action))]
    Forbidden { action: String },
    /// `SignatureDoesNotMatch`, 400. Neither the expected signature nor the string
    /// to sign is echoed: the latter holds parameter values such as codes.
    #[error("Specified signature does not match our calculation. Check the AccessKey secret and how the string to sign is built.")]
    SignatureDoesNotMatch,
    /// `SignatureNonceUsed`, 400.
    #[error("Specified signature nonce was used already.")]
    SignatureNonceUsed,
    /// `InvalidTimeStamp.Expired`, 400: more than 15 minutes away from server time.
    #[error("Specified time stamp or date value is expired: request time {request}, server time {server}.")]
    TimestampExpired { request: String, server: String },
    /// `InvalidTimeStamp.Format`, 400.
    #[error("Specified time stamp or date value {} is not well formatted; use ISO 8601 UTC such as 2025-01-01T12:00:00Z.", shown(.value))]
    TimestampFormat { value: String },
    /// `IncompleteSignature`, 400: a malformed or too narrow `Authorization` header.
    #[error("The request signature does not conform to Aliyun standards: {reason}.")]
    IncompleteSignature { reason: Cow<'static, str> },
    /// `UnsupportedSignatureMethod`, 400: V1 with a `SignatureMethod` other than
    /// `HMAC-SHA1` or a `SignatureVersion` other than `1.0`, or a V3 algorithm
    /// other than `ACS3-HMAC-SHA256`.
    #[error("Specified signature method or version {} is not supported; use ACS3-HMAC-SHA256, or HMAC-SHA1 with SignatureVersion 1.0.", shown(.method))]
    UnsupportedSignatureMethod { method: String },
    /// `Missing<Name>`, 400, e.g. `MissingSignatureNonce`, `MissingPhoneNumber`;
    /// `name = "Parameter"` gives the generic `MissingParameter`.
    #[error("{name} is mandatory for this action.")]
    Missing { name: Cow<'static, str> },
    /// `InvalidParameter`, 400.
    #[error("The parameter {} is invalid: {reason}.", shown(.name))]
    InvalidParameter {
        name: String,
        reason: Cow<'static, str>,
    },
    /// `Throttling.User` / `Throttling.Api`, 400.
    #[error("Request was denied due to flow control ({}).", match .scope { ThrottlingScope::User => "user", ThrottlingScope::Api => "api" })]
    Throttling { scope: ThrottlingScope },
    /// `UnsupportedHTTPMethod`, 400 as Alibaba answers it: only GET and POST.
    #[error("This http method {} is not supported; use GET or POST.", shown(.method))]
    UnsupportedHttpMethod { method: String },
    /// `RequestEntityTooLarge`, 413: a body or query over the size limit.
    #[error("The request is too large: at most {limit} bytes are accepted.")]
    RequestEntityTooLarge { limit: usize },
    /// `ServiceUnavailable`, 503.
    #[error("The request has failed due to a temporary failure of the server.")]
    ServiceUnavailable,
    /// `InternalError`, 500. Log the cause; the client only sees this.
    #[error("The request processing has failed due to some unknown error.")]
    InternalError,
}

impl AcsError {
    /// The Alibaba error code, e.g. `InvalidTimeStamp.Expired`.
    pub fn code(&self) -> Cow<'static, str> {
        let code = match self {
            Self::ActionNotFound { .. } => "InvalidAction.NotFound",
            Self::InvalidVersion { .. } => "InvalidVersion",
            Self::AccessKeyNotFound => "InvalidAccessKeyId.NotFound",
            Self::AccessKeyInactive => "InvalidAccessKeyId.Inactive",
            Self::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            Self::SignatureNonceUsed => "SignatureNonceUsed",
            Self::SecurityTokenMalformed => "InvalidSecurityToken.Malformed",
            Self::SecurityTokenExpired => "InvalidSecurityToken.Expired",
            Self::SecurityTokenMismatch => "InvalidSecurityToken.MismatchWithAccessKey",
            Self::Forbidden { .. } => "Forbidden.RAM",
            Self::TimestampExpired { .. } => "InvalidTimeStamp.Expired",
            Self::TimestampFormat { .. } => "InvalidTimeStamp.Format",
            Self::IncompleteSignature { .. } => "IncompleteSignature",
            Self::UnsupportedSignatureMethod { .. } => "UnsupportedSignatureMethod",
            Self::Missing { name } => return Cow::Owned(format!("Missing{name}")),
            Self::InvalidParameter { .. } => "InvalidParameter",
            Self::Throttling {
                scope: ThrottlingScope::User,
            } => "Throttling.User",
            Self::Throttling {
                scope: ThrottlingScope::Api,
            } => "Throttling.Api",
            Self::UnsupportedHttpMethod { .. } => "UnsupportedHTTPMethod",
            Self::RequestEntityTooLarge { .. } => "RequestEntityTooLarge",
            Self::ServiceUnavailable => "ServiceUnavailable",
            Self::InternalError => "InternalError",
        };
        Cow::Borrowed(code)
    }

    /// The HTTP status of the gateway error response.
    pub fn http_status(&self) -> StatusCode {
        match self {
            Self::ActionNotFound { .. } | Self::AccessKeyNotFound => StatusCode::NOT_FOUND,
            Self::RequestEntityTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The human message (the same as `Display`).
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// A short hint for the `Recommend` field of the error envelope.
    pub fn recommend(&self) -> &'static str {
        match self {
            Self::ActionNotFound { .. } | Self::InvalidVersion { .. } => {
                "Check Action and Version (2017-05-25) against the numgate API reference (API.md, Actions)."
            }
            Self::AccessKeyNotFound | Self::AccessKeyInactive => {
                "Check the AccessKey ID, and that the key is enabled in the numgate console."
            }
            Self::SignatureDoesNotMatch
            | Self::IncompleteSignature { .. }
            | Self::UnsupportedSignatureMethod { .. } => {
                "Sign with the official SDK, or follow API.md, Transport, for ACS3-HMAC-SHA256 or HMAC-SHA1."
            }
            Self::SignatureNonceUsed => "Use a fresh random nonce for every request, also on retries.",
            Self::SecurityTokenMalformed
            | Self::SecurityTokenExpired
            | Self::SecurityTokenMismatch => {
                "Send the StsAccessKeyId, StsAccessKeySecret and StsToken of one GetSmsAuthTokens answer, before its ExpireTime; ask the backend for new ones when they expire."
            }
            Self::Forbidden { .. } => {
                "Temporary credentials of GetSmsAuthTokens may only call SendSmsVerifyCode, with the SignName and TemplateCode they were granted for."
            }
            Self::TimestampExpired { .. } | Self::TimestampFormat { .. } => {
                "Send the current UTC time as yyyy-MM-ddTHH:mm:ssZ and keep the client clock in sync."
            }
            Self::Missing { .. } | Self::InvalidParameter { .. } => {
                "Check the request parameters against the numgate API reference (API.md, Actions)."
            }
            Self::Throttling { .. } => "Slow down and retry later with backoff.",
            Self::UnsupportedHttpMethod { .. } => "Call the Open API with GET or POST on /.",
            Self::RequestEntityTooLarge { .. } => "Send a smaller request.",
            Self::ServiceUnavailable | Self::InternalError => {
                "Retry later; if it persists, report the RequestId to the operator."
            }
        }
    }

    /// Shorthand for an [`AcsError::IncompleteSignature`].
    pub(crate) fn incomplete(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::IncompleteSignature {
            reason: reason.into(),
        }
    }

    /// Shorthand for an [`AcsError::InvalidParameter`].
    pub(crate) fn invalid(name: &str, reason: impl Into<Cow<'static, str>>) -> Self {
        Self::InvalidParameter {
            name: name.to_owned(),
            reason: reason.into(),
        }
    }

    /// Shorthand for an [`AcsError::Missing`].
    pub(crate) fn missing(name: &'static str) -> Self {
        Self::Missing {
            name: Cow::Borrowed(name),
        }
    }
}

/// Echoes a caller-supplied name in a message: quoted, cut to 64 characters.
fn shown(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((end, _)) => format!("\"{}…\"", s.get(..end).unwrap_or_default()),
        None => format!("\"{s}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_transport_code_has_alibabas_status() {
        let cases = [
            (
                AcsError::ActionNotFound { action: "X".into() },
                "InvalidAction.NotFound",
                404,
            ),
            (
                AcsError::AccessKeyNotFound,
                "InvalidAccessKeyId.NotFound",
                404,
            ),
            (
                AcsError::AccessKeyInactive,
                "InvalidAccessKeyId.Inactive",
                400,
            ),
            (
                AcsError::SignatureDoesNotMatch,
                "SignatureDoesNotMatch",
                400,
            ),
            (AcsError::SignatureNonceUsed, "SignatureNonceUsed", 400),
            (
                AcsError::SecurityTokenMalformed,
                "InvalidSecurityToken.Malformed",
                400,
            ),
            (
                AcsError::SecurityTokenExpired,
                "InvalidSecurityToken.Expired",
                400,
            ),
            (
                AcsError::SecurityTokenMismatch,
                "InvalidSecurityToken.MismatchWithAccessKey",
                400,
            ),
            (
                AcsError::Forbidden {
                    action: "GetMobile".into(),
                },
                "Forbidden.RAM",
                403,
            ),
            (
                AcsError::missing("SecurityToken"),
                "MissingSecurityToken",
                400,
            ),
            (
                AcsError::TimestampExpired {
                    request: "a".into(),
                    server: "b".into(),
                },
                "InvalidTimeStamp.Expired",
                400,
            ),
            (
                AcsError::TimestampFormat { value: "x".into() },
                "InvalidTimeStamp.Format",
                400,
            ),
            (AcsError::incomplete("x"), "IncompleteSignature", 400),
            (AcsError::missing("Parameter"), "MissingParameter", 400),
            (
                AcsError::missing("SignatureNonce"),
                "MissingSignatureNonce",
                400,
            ),
            (AcsError::invalid("A", "b"), "InvalidParameter", 400),
            (
                AcsError::InvalidVersion {
                    version: "1".into(),
                },
                "InvalidVersion",
                400,
            ),
            (
                AcsError::Throttling {
                    scope: ThrottlingScope::User,
                },
                "Throttling.User",
                400,
            ),
            (
                AcsError::Throttling {
                    scope: ThrottlingScope::Api,
                },
                "Throttling.Api",
                400,
            ),
            (AcsError::ServiceUnavailable, "ServiceUnavailable", 503),
            (AcsError::InternalError, "InternalError", 500),
            (
                AcsError::RequestEntityTooLarge { limit: 1 },
                "RequestEntityTooLarge",
                413,
            ),
            (
                AcsError::UnsupportedHttpMethod {
                    method: "PUT".into(),
                },
                "UnsupportedHTTPMethod",
                400,
            ),
            (
                AcsError::UnsupportedSignatureMethod {
                    method: "MD5".into(),
                },
                "UnsupportedSignatureMethod",
                400,
            ),
        ];
        for (error, code, status) in cases {
            assert_eq!(error.code(), code);
            assert_eq!(error.http_status().as_u16(), status, "{code}");
            assert!(!error.message().is_empty());
            assert!(!error.recommend().is_empty());
        }
    }

    #[test]
    fn long_caller_input_is_cut_in_messages() {
        let error = AcsError::ActionNotFound {
            action: "é".repeat(1000),
        };
        assert!(error.message().chars().count() < 200);
    }

    #[test]
    fn internal_error_reveals_nothing() {
        assert_eq!(
            AcsError::InternalError.message(),
            "The request processing has failed due to some unknown error."
        );
    }
}
