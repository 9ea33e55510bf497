//! Checking a parsed request's timestamp and signature against the AccessKey secret.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use subtle::ConstantTimeEq;

use crate::request::{ParsedRequest, Proof};
use crate::{v1, v3, AcsError};

/// Largest accepted distance between the request's time and the server's.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(15);

impl ParsedRequest {
    /// Checks that the request time is within 15 minutes of `now` (either way),
    /// then the signature with `secret`, compared in constant time. The nonce is
    /// not checked here: record it (and refuse a repeat with
    /// [`AcsError::SignatureNonceUsed`]) only after this succeeds.
    pub fn verify(&self, secret: &str, now: DateTime<Utc>) -> Result<(), AcsError> {
        let skew = now.signed_duration_since(self.timestamp).abs();
        if skew > MAX_CLOCK_SKEW {
            return Err(AcsError::TimestampExpired {
                request: self.timestamp.to_rfc3339_opts(SecondsFormat::Secs, true),
                server: now.to_rfc3339_opts(SecondsFormat::Secs, true),
            });
        }
        let matches = match &self.proof {
            Proof::V3 {
                string_to_sign,
                signature,
                payload_hash_matches,
            } => {
                let expected = v3::signature(secret, string_to_sign);
                *payload_hash_matches && bool::from(expected.ct_eq(signature))
            }
            Proof::V1 {
                string_to_sign,
                signature,
            } => {
                let expected = v1::signature(secret, string_to_sign);
                bool::from(expected.as_bytes().ct_eq(signature.as_bytes()))
            }
        };
        if matches {
            Ok(())
        } else {
            Err(AcsError::SignatureDoesNotMatch)
        }
    }
}
