//! China Unicom (`/cu`): 64-hex-digit tokens living 30 minutes, numeric result codes.
//!
//! Envelope: `{"code": 0, "msg": "...", "data": {...}}` (`data` only on success). Codes:
//!
//! | code   | meaning                                         |
//! |--------|-------------------------------------------------|
//! | `0`    | success                                         |
//! | `1001` | malformed request (body, field, header)         |
//! | `1002` | signature missing or wrong                      |
//! | `1003` | timestamp outside ±5 min                        |
//! | `1004` | nonce replayed                                  |
//! | `1005` | app id unknown                                  |
//! | `2001` | token invalid, expired or already used          |
//! | `2002` | token issued to another app                     |
//! | `2003` | token issued for another purpose                |
//! | `3001` | bearer is not a China Unicom data subscriber    |
//! | `3002` | mobile data off                                 |
//! | `3003` | number suspended                                |

use serde_json::{json, Value};

use crate::config::Carrier;
use crate::gateway::{Outcome, Profile};
use crate::tokens::random_bytes;

/// The China Unicom profile.
pub(crate) static PROFILE: Profile = Profile {
    carrier: Carrier::Cu,
    token_lifetime_secs: 1800,
    mint_token,
    envelope,
};

/// 64 lower-case hex digits (32 random bytes).
fn mint_token() -> String {
    hex::encode(random_bytes(32))
}

fn envelope(result: Result<Value, Outcome>) -> Value {
    let (code, msg) = match &result {
        Ok(_) => (0, "ok".to_owned()),
        Err(Outcome::BadRequest(why)) => (1001, format!("invalid request: {why}")),
        Err(Outcome::BadSignature) => (1002, "invalid sign".to_owned()),
        Err(Outcome::TimestampSkew) => (1003, "timestamp expired".to_owned()),
        Err(Outcome::NonceReplayed) => (1004, "nonce already used".to_owned()),
        Err(Outcome::UnknownApp) => (1005, "unknown app".to_owned()),
        Err(Outcome::TokenInvalid) => (2001, "access code invalid".to_owned()),
        Err(Outcome::TokenWrongApp) => (2002, "access code belongs to another app".to_owned()),
        Err(Outcome::TokenWrongPurpose) => (2003, "access code purpose mismatch".to_owned()),
        Err(Outcome::NotSubscriber) => (3001, "not a China Unicom data subscriber".to_owned()),
        Err(Outcome::MobileDataOff) => (3002, "cellular data is off".to_owned()),
        Err(Outcome::Suspended) => (3003, "line suspended".to_owned()),
    };
    match result {
        Ok(data) => json!({ "code": code, "msg": msg, "data": data }),
        Err(_) => json!({ "code": code, "msg": msg }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_sixty_four_lower_case_hex_digits() {
        let t = mint_token();
        assert_eq!(t.len(), 64);
        assert!(t
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }

    #[test]
    fn success_is_code_zero_with_data() {
        let v = envelope(Ok(json!({"match": true})));
        assert_eq!(v["code"], 0);
        assert_eq!(v["data"]["match"], true);
    }
}
