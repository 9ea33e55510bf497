//! The signature of server-to-server calls to the token-exchange carriers (shared by cm/cu/ct).
//!
//! Canonical string (fields joined by `\n`, no trailing newline):
//!
//! ```text
//! METHOD            upper case, e.g. POST
//! PATH              the request path as sent, without query, e.g. /cm/exchange
//! APP_ID            value of X-App-Id
//! TIMESTAMP         value of X-Timestamp (Unix seconds, decimal)
//! NONCE             value of X-Nonce (8–64 of [A-Za-z0-9_-], single use within 10 min)
//! BODY_SHA256       lower-case hex SHA-256 of the raw request body bytes
//! ```
//!
//! `X-Signature` = lower-case hex HMAC-SHA256(app_key, canonical string). The headers are
//! `X-App-Id`, `X-Timestamp`, `X-Nonce` and `X-Signature`; the carrier compares the timestamp with
//! its wall clock (not the simulated clock) and refuses more than 5 minutes of skew.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Header names of a signed call.
pub const APP_ID: &str = "x-app-id";
pub const TIMESTAMP: &str = "x-timestamp";
pub const NONCE: &str = "x-nonce";
pub const SIGNATURE: &str = "x-signature";

/// Builds the canonical string.
pub fn canonical_string(
    method: &str,
    path: &str,
    app_id: &str,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
) -> String {
    let body_hash = hex::encode(Sha256::digest(body));
    format!("{method}\n{path}\n{app_id}\n{timestamp}\n{nonce}\n{body_hash}")
}

/// Hex HMAC-SHA256 of the canonical string.
#[cfg(test)]
pub fn sign(key: &str, canonical: &str) -> String {
    let mut mac =
        HmacSha256::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(canonical.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time check of a hex signature (either case).
pub(crate) fn verify(key: &str, canonical: &str, signature_hex: &str) -> bool {
    let Ok(signature) = hex::decode(signature_hex) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(key.as_bytes()) else {
        return false;
    };
    mac.update(canonical.as_bytes());
    mac.verify_slice(&signature).is_ok()
}

/// Whether a nonce has the documented shape.
pub(crate) fn is_valid_nonce(nonce: &str) -> bool {
    (8..=64).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canonical_string_joins_fields_with_newlines_and_hashes_the_body() {
        let c = canonical_string(
            "POST",
            "/cm/exchange",
            "300011",
            "1767225600",
            "abcdefgh",
            b"{}",
        );
        assert_eq!(
            c,
            "POST\n/cm/exchange\n300011\n1767225600\nabcdefgh\n\
             44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }

    #[test]
    fn a_signature_verifies_only_with_its_key_and_string() {
        let c = canonical_string("POST", "/cu/verify", "a", "1", "nonce-123", b"x");
        let s = sign("key", &c);
        assert!(verify("key", &c, &s));
        assert!(verify("key", &c, &s.to_uppercase()));
        assert!(!verify("other", &c, &s));
        assert!(!verify("key", &c.replace("/cu/", "/ct/"), &s));
        assert!(!verify("key", &c, "not hex"));
    }

    #[test]
    fn nonces_have_a_bounded_alphabet_and_length() {
        assert!(is_valid_nonce("abcDEF12_-"));
        assert!(!is_valid_nonce("short"));
        assert!(!is_valid_nonce("has space in it"));
    }
}
