//! The signature of calls between numgate and an HTTP SMS provider, both ways
//! (numgate's sends, the provider's receipt callbacks).
//!
//! Header `X-Numgate-Signature: t=<unix secs>,v1=<hex>` where the hex is
//! HMAC-SHA256(secret, "<t>." followed by the raw body bytes). Several `v1`
//! values may be given (a provider rotating its secret); one must match.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "x-numgate-signature";

/// The skew [`verify_signature`] callers should allow unless they have a reason
/// not to: five minutes.
pub const DEFAULT_MAX_SKEW_SECS: u64 = 300;

/// More `v1` values than this make the header malformed: nobody rotates
/// through that many secrets, and each one costs a MAC.
const MAX_SIGNATURES: usize = 4;

/// Longer headers are refused before they are looked at.
const MAX_HEADER_LEN: usize = 1024;

/// Why a signature was refused. No variant carries the secret or a MAC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is missing parts, has unknown or repeated ones, or values
    /// that are not what they should be.
    #[error("malformed signature header: {0}")]
    Malformed(&'static str),
    /// The timestamp is further from now than the allowed skew (a replay, or
    /// a clock that is off).
    #[error("signature timestamp outside the allowed skew of {max_skew_secs} s")]
    Stale { max_skew_secs: u64 },
    /// No MAC matches the body under this secret.
    #[error("signature does not match")]
    BadMac,
}

fn mac(secret: &[u8], t: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` sent at unix time `t`.
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    let tag = mac(secret, t, body).finalize().into_bytes();
    format!("t={t},v1={}", hex::encode(tag))
}

/// Checks a header value against `body`: well formed, a MAC that matches in
/// constant time, and a timestamp within `max_skew_secs` of `now_secs`.
pub fn verify_signature(
    secret: &[u8],
    header_value: &str,
    body: &[u8],
    now_secs: i64,
    max_skew_secs: u64,
) -> Result<(), SignatureError> {
    let (t, tags) = parse_header(header_value)?;
    // Any match, but every candidate is computed: the time taken does not
    // tell which one matched.
    let mut matched = false;
    for tag in &tags {
        matched |= mac(secret, t, body).verify_slice(tag).is_ok();
    }
    if !matched {
        return Err(SignatureError::BadMac);
    }
    // The MAC first: "stale" then means a genuine but old request (a replay).
    if now_secs.abs_diff(t) > max_skew_secs {
        return Err(SignatureError::Stale { max_skew_secs });
    }
    Ok(())
}

fn parse_header(value: &str) -> Result<(i64, Vec<[u8; 32]>), SignatureError> {
    use SignatureError::Malformed;
    if value.len() > MAX_HEADER_LEN {
        return Err(Malformed("too long"));
    }
    let mut t = None;
    let mut tags = Vec::new();
    for part in value.split(',') {
        let (key, val) = part
            .trim()
            .split_once('=')
            .ok_or(Malformed("a part without '='"))?;
        match key {
            "t" => {
                if t.is_some() {
                    return Err(Malformed("t given twice"));
                }
                if val.is_empty() || val.len() > 12 || !val.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Malformed("t is not unix seconds"));
                }
                t = Some(
                    val.parse::<i64>()
                        .map_err(|_| Malformed("t is not unix seconds"))?,
                );
            }
            "v1" => {
                let mut tag = [0u8; 32];
                hex::decode_to_slice(val, &mut tag)
                    .map_err(|_| Malformed("v1 is not 64 hex digits"))?;
                tags.push(tag);
                if tags.len() > MAX_SIGNATURES {
                    return Err(Malformed("too many v1 values"));
                }
            }
            _ => return Err(Malformed("unknown part")),
        }
    }
    let t = t.ok_or(Malformed("no t"))?;
    if tags.is_empty() {
        return Err(Malformed("no v1"));
    }
    Ok((t, tags))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"provider-shared-secret";
    const T: i64 = 1_800_000_000;
    const BODY: &[u8] = br#"{"message_id":"42","to":"+8613800000000","text":"code 123456"}"#;

    #[test]
    fn a_signature_verifies_with_the_same_secret_and_body() {
        let header = sign(SECRET, T, BODY);
        assert!(header.starts_with("t=1800000000,v1="));
        assert_eq!(header.len(), "t=1800000000,v1=".len() + 64);
        assert_eq!(verify_signature(SECRET, &header, BODY, T, 300), Ok(()));
        // Upper-case hex and spaces after the comma are accepted too.
        let tag = header.split_once(",v1=").unwrap().1;
        let upper = format!("t={T}, v1={}", tag.to_uppercase());
        assert_eq!(verify_signature(SECRET, &upper, BODY, T, 300), Ok(()));
    }

    #[test]
    fn any_changed_body_byte_fails() {
        let header = sign(SECRET, T, BODY);
        for i in 0..BODY.len() {
            let mut body = BODY.to_vec();
            body[i] ^= 0x01;
            assert_eq!(
                verify_signature(SECRET, &header, &body, T, 300),
                Err(SignatureError::BadMac),
                "byte {i}"
            );
        }
        let mut longer = BODY.to_vec();
        longer.push(b' ');
        assert_eq!(
            verify_signature(SECRET, &header, &longer, T, 300),
            Err(SignatureError::BadMac)
        );
        assert_eq!(
            verify_signature(b"another secret", &header, BODY, T, 300),
            Err(SignatureError::BadMac)
        );
    }

    #[test]
    fn a_changed_timestamp_fails_the_mac() {
        let header = sign(SECRET, T, BODY).replace("t=1800000000", "t=1800000001");
        assert_eq!(
            verify_signature(SECRET, &header, BODY, T, 300),
            Err(SignatureError::BadMac)
        );
    }

    #[test]
    fn timestamps_beyond_the_skew_are_stale_both_ways() {
        let header = sign(SECRET, T, BODY);
        assert_eq!(
            verify_signature(SECRET, &header, BODY, T + 300, 300),
            Ok(())
        );
        assert_eq!(
            verify_signature(SECRET, &header, BODY, T - 300, 300),
            Ok(())
        );
        assert_eq!(
            verify_signature(SECRET, &header, BODY, T + 301, 300),
            Err(SignatureError::Stale { max_skew_secs: 300 })
        );
        assert_eq!(
            verify_signature(SECRET, &header, BODY, T - 301, 300),
            Err(SignatureError::Stale { max_skew_secs: 300 })
        );
    }

    #[test]
    fn one_of_several_v1_values_may_match() {
        let good = sign(SECRET, T, BODY);
        let other = sign(b"old secret", T, BODY);
        let other_tag = other.split_once(",v1=").unwrap().1;
        let header = format!("{good},v1={other_tag}");
        assert_eq!(verify_signature(SECRET, &header, BODY, T, 300), Ok(()));
        let header = format!("t={T},v1={other_tag}");
        assert_eq!(
            verify_signature(SECRET, &header, BODY, T, 300),
            Err(SignatureError::BadMac)
        );
    }

    #[test]
    fn malformed_headers_are_refused_as_malformed() {
        let tag = sign(SECRET, T, BODY)
            .split_once(",v1=")
            .unwrap()
            .1
            .to_owned();
        let cases = [
            String::new(),
            "garbage".to_owned(),
            format!("v1={tag}"),
            format!("t={T}"),
            format!("t={T},t={T},v1={tag}"),
            format!("t=-5,v1={tag}"),
            format!("t=,v1={tag}"),
            format!("t=12e3,v1={tag}"),
            format!("t=99999999999999999999,v1={tag}"),
            format!("t={T},v1={}", &tag[..62]),
            format!("t={T},v1={tag}00"),
            format!("t={T},v1=zz{}", &tag[2..]),
            format!("t={T},v0={tag}"),
            format!("t={T},v1={tag},"),
            format!("t={T},v1={tag},v1={tag},v1={tag},v1={tag},v1={tag}"),
            format!("t={T},v1={tag}{}", " ".repeat(2000)),
        ];
        for header in cases {
            assert!(
                matches!(
                    verify_signature(SECRET, &header, BODY, T, 300),
                    Err(SignatureError::Malformed(_))
                ),
                "{header:?}"
            );
        }
    }

    #[test]
    fn errors_carry_neither_the_secret_nor_the_mac() {
        let header = sign(SECRET, T, BODY);
        let tag = header.split_once(",v1=").unwrap().1;
        for err in [
            verify_signature(b"x", &header, BODY, T, 300).unwrap_err(),
            verify_signature(SECRET, &header, BODY, T + 999, 300).unwrap_err(),
            verify_signature(SECRET, "t=1", BODY, T, 300).unwrap_err(),
        ] {
            let text = format!("{err} {err:?}");
            assert!(!text.contains("provider-shared-secret"), "{text}");
            assert!(!text.contains(tag), "{text}");
        }
    }
}
