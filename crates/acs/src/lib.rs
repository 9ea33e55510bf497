//! The Alibaba Cloud Open API wire format of `Dypnsapi` 2017-05-25: request
//! parsing, signatures (ACS3-HMAC-SHA256 "V3" and RPC HMAC-SHA1 "V1", sign and
//! verify), error codes and response envelopes.
//!
//! # Layout
//!
//! - [`encode`]: Alibaba's RFC 3986 percent-encoding.
//! - `params`: query/form decoding with limits; duplicates refused.
//! - [`request`]: [`parse`] a [`RawRequest`] into a [`ParsedRequest`].
//! - `verify`: [`ParsedRequest::verify`]: clock skew, then the signature.
//! - `v3`, `v1`: the canonical strings and HMACs of the two schemes.
//! - [`sign`]: [`sign_v3`], [`sign_v1`] for the Rust client.
//! - [`error`]: [`AcsError`], every gateway code with its HTTP status.
//! - [`envelope`]: the JSON bodies of success, business refusal, gateway error.
//!
//! # What the official Python SDK sends
//!
//! Learnt from `alibabacloud-dypnsapi20170525` 2.0.0 with
//! `alibabacloud-tea-openapi` 0.4.6; the captures are in `tests/fixtures/`
//! (regenerate with `tests/fixtures/capture.py`).
//!
//! - Every Dypnsapi action is `POST /` with all parameters in the **query**,
//!   form-encoded (`+` for a space), and an empty body (`Content-Length: 0`, no
//!   `Content-Type`). Booleans are Python's `str()`: `ReturnVerifyCode=True`.
//! - V3: headers `host`, `x-acs-version`, `x-acs-action`, `user-agent`,
//!   `x-acs-date` (`yyyy-MM-ddTHH:mm:ssZ`), `x-acs-signature-nonce` (32 hex),
//!   `accept: application/json`, `x-acs-content-sha256` (hex SHA-256 of the empty
//!   body, `e3b0c442…b855`), `x-acs-credentials-provider: static_ak`, then
//!   `Authorization`. It signs **all** of those headers (sorted, lower case,
//!   `user-agent` and `accept` included); `Accept-Encoding` and `Content-Length`
//!   are added later by the HTTP library, unsigned. Its canonical query encodes
//!   values only (names are ASCII anyway) and sorts by name.
//! - V1 (`signature_algorithm='v2'`): the query holds `Action`, `Format=json`,
//!   `Version`, `Timestamp`, `SignatureNonce`, the action's parameters,
//!   `SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`, `AccessKeyId`,
//!   `Signature`; the string to sign uses `POST`. It also sends `x-acs-action`
//!   and `x-acs-version` headers, unsigned: V1 ignores headers.
//! - With temporary (STS) credentials (`Config(access_key_id, access_key_secret,
//!   security_token)`, credential type `sts`): V3 adds the headers
//!   `x-acs-accesskey-id` (the key id again) and `x-acs-security-token`, signed
//!   like the others; V1 adds a `SecurityToken` parameter, signed like the others.
//!   [`ParsedRequest::security_token`] returns it; the key id of the header must
//!   be the `Credential`'s.
//!
//! # Choices
//!
//! - A V3 request must sign `host`, `x-acs-date`, `x-acs-signature-nonce`,
//!   `x-acs-content-sha256`, every other `x-acs-*` header present (so an
//!   unsigned `x-acs-action` cannot redirect a call) and `content-type` when a
//!   form body carries parameters; else `IncompleteSignature`.
//! - V1 with another `SignatureMethod` or `SignatureVersion`, or an `ACS3-*`
//!   algorithm other than HMAC-SHA256: `UnsupportedSignatureMethod`.
//! - `SignatureDoesNotMatch` does not echo the string to sign: for V1 it holds
//!   every parameter, verification codes included.
//! - The server must pass the `host` header; on HTTP/2 copy `:authority` into it.
#![forbid(unsafe_code)]

pub mod encode;
pub mod envelope;
pub mod error;
mod params;
pub mod request;
pub mod sign;
mod v1;
mod v3;
mod verify;

#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod testing;

pub use encode::percent_encode;
pub use error::{AcsError, ThrottlingScope};
pub use params::{MAX_NAME_BYTES, MAX_PARAMS, MAX_VALUE_BYTES};
pub use request::{parse, ParsedRequest, RawRequest, Scheme, MAX_REQUEST_BYTES};
pub use sign::{sign_v1, sign_v1_sts, sign_v3, sign_v3_sts, SignedRequest, USER_AGENT};
pub use verify::MAX_CLOCK_SKEW;

/// The only API version served: Dypnsapi 2017-05-25.
pub const VERSION: &str = "2017-05-25";
