//! China Telecom (`/ct`): `nm` + base64url tokens living 10 minutes, negative result codes.
//!
//! Envelope: `{"result": 0, "msg": "...", "data": {...}}` (`data` only on success). Codes:
//!
//! | result   | meaning                                        |
//! |----------|------------------------------------------------|
//! | `0`      | success                                        |
//! | `-10001` | malformed request (body, field, header)        |
//! | `-10002` | signature missing or wrong                     |
//! | `-10003` | timestamp outside ±5 min                       |
//! | `-10004` | nonce replayed                                 |
//! | `-10005` | app id unknown                                 |
//! | `-20001` | token invalid, expired or already used         |
//! | `-20002` | token issued to another app                    |
//! | `-20003` | token issued for another purpose               |
//! | `-30001` | bearer is not a China Telecom data subscriber  |
//! | `-30002` | mobile data off                                |
//! | `-30003` | number suspended                               |

use base64::Engine as _;
use serde_json::{json, Value};

use crate::config::Carrier;
use crate::gateway::{Outcome, Profile};
use crate::tokens::random_bytes;

/// The China Telecom profile.
pub(crate) static PROFILE: Profile = Profile {
    carrier: Carrier::Ct,
    token_lifetime_secs: 600,
    mint_token,
    envelope,
};

/// `nm` + 44 base64url characters (33 random bytes, so never padded).
fn mint_token() -> String {
    format!(
        "nm{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(33))
    )
}

fn envelope(result: Result<Value, Outcome>) -> Value {
    let (code, msg) = match &result {
        Ok(_) => (0, "success".to_owned()),
        Err(Outcome::BadRequest(why)) => (-10001, format!("parameter error: {why}")),
        Err(Outcome::BadSignature) => (-10002, "signature verification failed".to_owned()),
        Err(Outcome::TimestampSkew) => (-10003, "request expired".to_owned()),
        Err(Outcome::NonceReplayed) => (-10004, "repeated request".to_owned()),
        Err(Outcome::UnknownApp) => (-10005, "app not registered".to_owned()),
        Err(Outcome::TokenInvalid) => (-20001, "token invalid".to_owned()),
        Err(Outcome::TokenWrongApp) => (-20002, "token app mismatch".to_owned()),
        Err(Outcome::TokenWrongPurpose) => (-20003, "token scene mismatch".to_owned()),
        Err(Outcome::NotSubscriber) => (-30001, "not a China Telecom data subscriber".to_owned()),
        Err(Outcome::MobileDataOff) => (-30002, "please enable mobile data".to_owned()),
        Err(Outcome::Suspended) => (-30003, "number suspended".to_owned()),
    };
    match result {
        Ok(data) => json!({ "result": code, "msg": msg, "data": data }),
        Err(_) => json!({ "result": code, "msg": msg }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_nm_and_unpadded_base64url() {
        let t = mint_token();
        assert!(t.starts_with("nm"));
        assert_eq!(t.len(), 46);
        assert!(t[2..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn failures_are_negative() {
        assert_eq!(envelope(Err(Outcome::MobileDataOff))["result"], -30002);
    }
}
