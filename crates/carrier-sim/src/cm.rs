//! China Mobile (`/cm`): `STsid` tokens living 2 minutes, six-digit string result codes.
//!
//! Envelope: `{"resultCode": "103000", "resultDesc": "...", "data": {...}}` (`data` only on
//! success). Codes:
//!
//! | code     | meaning                                                   |
//! |----------|-----------------------------------------------------------|
//! | `103000` | success                                                   |
//! | `103101` | signature missing or wrong                                |
//! | `103102` | timestamp outside ±5 min                                  |
//! | `103103` | nonce replayed                                            |
//! | `103108` | malformed request (body, field, header)                   |
//! | `103119` | app id unknown                                            |
//! | `105312` | token invalid, expired or already used                    |
//! | `105313` | token issued to another app                               |
//! | `105314` | token issued for another purpose                          |
//! | `103901` | bearer is not a China Mobile data subscriber              |
//! | `103902` | mobile data off                                           |
//! | `103903` | number suspended                                          |

use serde_json::{json, Value};

use crate::config::Carrier;
use crate::gateway::{Outcome, Profile};
use crate::tokens::random_bytes;

/// The China Mobile profile.
pub(crate) static PROFILE: Profile = Profile {
    carrier: Carrier::Cm,
    token_lifetime_secs: 120,
    mint_token,
    envelope,
};

/// `STsid` + 40 upper-case hex digits (20 random bytes).
fn mint_token() -> String {
    format!("STsid{}", hex::encode_upper(random_bytes(20)))
}

fn envelope(result: Result<Value, Outcome>) -> Value {
    let (code, desc) = match &result {
        Ok(_) => ("103000", "success".to_owned()),
        Err(Outcome::BadSignature) => ("103101", "signature error".to_owned()),
        Err(Outcome::TimestampSkew) => ("103102", "timestamp out of range".to_owned()),
        Err(Outcome::NonceReplayed) => ("103103", "duplicate msgid".to_owned()),
        Err(Outcome::BadRequest(why)) => ("103108", format!("request parameter error: {why}")),
        Err(Outcome::UnknownApp) => ("103119", "appid does not exist".to_owned()),
        Err(Outcome::TokenInvalid) => ("105312", "token invalid or expired".to_owned()),
        Err(Outcome::TokenWrongApp) => ("105313", "token does not belong to this appid".to_owned()),
        Err(Outcome::TokenWrongPurpose) => (
            "105314",
            "token not authorised for this interface".to_owned(),
        ),
        Err(Outcome::NotSubscriber) => ("103901", "not a China Mobile data subscriber".to_owned()),
        Err(Outcome::MobileDataOff) => ("103902", "mobile data network not enabled".to_owned()),
        Err(Outcome::Suspended) => ("103903", "number suspended".to_owned()),
    };
    match result {
        Ok(data) => json!({ "resultCode": code, "resultDesc": desc, "data": data }),
        Err(_) => json!({ "resultCode": code, "resultDesc": desc }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stsid_and_forty_hex_digits() {
        let t = mint_token();
        assert!(t.starts_with("STsid"));
        assert_eq!(t.len(), 45);
        assert!(t[5..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase()));
        assert_ne!(t, mint_token());
    }

    #[test]
    fn failures_carry_no_data() {
        let v = envelope(Err(Outcome::TokenInvalid));
        assert_eq!(v["resultCode"], "105312");
        assert!(v.get("data").is_none());
    }
}
