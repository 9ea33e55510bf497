//! The provider's side of the `X-Numgate-Signature` scheme, written here from
//! the contract rather than shared with numgate, so that the simulator checks
//! numgate's implementation instead of agreeing with it by construction:
//! `t=<unix secs>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub(crate) const HEADER: &str = "x-numgate-signature";

fn mac(secret: &[u8], t: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac
}

/// The header value for `body` at unix time `t`.
pub(crate) fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    format!(
        "t={t},v1={}",
        hex::encode(mac(secret, t, body).finalize().into_bytes())
    )
}

/// Whether `header` signs `body` under `secret` within `max_skew_secs` of `now`.
pub(crate) fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    max_skew_secs: u64,
) -> bool {
    let mut t = None;
    let mut tags = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) if t.is_none() => t = v.parse::<i64>().ok(),
            Some(("v1", v)) if tags.len() < 4 => match hex::decode(v) {
                Ok(tag) => tags.push(tag),
                Err(_) => return false,
            },
            _ => return false,
        }
    }
    let Some(t) = t else { return false };
    if now.abs_diff(t) > max_skew_secs {
        return false;
    }
    tags.iter().fold(false, |ok, tag| {
        ok | mac(secret, t, body).verify_slice(tag).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_body_verifies_and_a_changed_one_does_not() {
        let header = sign(b"k", 1_800_000_000, b"[1]");
        assert!(verify(b"k", &header, b"[1]", 1_800_000_100, 300));
        assert!(!verify(b"k", &header, b"[2]", 1_800_000_100, 300));
        assert!(!verify(b"j", &header, b"[1]", 1_800_000_100, 300));
        assert!(!verify(b"k", &header, b"[1]", 1_800_000_301, 300));
        assert!(!verify(b"k", "t=1800000000", b"[1]", 1_800_000_000, 300));
        assert!(!verify(b"k", "", b"[1]", 1_800_000_000, 300));
    }
}
