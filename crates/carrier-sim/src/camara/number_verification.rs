//! CAMARA Number Verification: `POST /verify` and `GET /device-phone-number`.
//!
//! Check order, chosen so each feature-file scenario gets its documented answer: token (401) →
//! scope (403 `PERMISSION_DENIED`) → body (400) → network authentication (403
//! `NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK`) → spend the single-use token.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::auth;
use super::body::json_object;
use crate::config::is_e164;
use crate::errors::ApiError;
use crate::state::SimState;

/// What the client wants compared with the device's number.
enum Claim {
    Plain(String),
    /// Lower-case hex SHA-256 of the E.164 number.
    Hashed(String),
}

/// `NumberVerificationRequestBody`: exactly one of `phoneNumber` / `hashedPhoneNumber`.
fn parse_claim(body: &[u8]) -> Result<Claim, ApiError> {
    let object = json_object(body)?;
    if object.len() != 1 {
        return Err(ApiError::invalid_argument(
            "Exactly one of phoneNumber or hashedPhoneNumber must be provided.",
        ));
    }
    if let Some(value) = object.get("phoneNumber") {
        return match value.as_str() {
            Some(n) if is_e164(n) => Ok(Claim::Plain(n.to_owned())),
            _ => Err(ApiError::invalid_argument(
                "phoneNumber must match ^\\+[1-9][0-9]{4,14}$.",
            )),
        };
    }
    if let Some(value) = object.get("hashedPhoneNumber") {
        return match value.as_str() {
            Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(Claim::Hashed(h.to_ascii_lowercase()))
            }
            _ => Err(ApiError::invalid_argument(
                "hashedPhoneNumber must be 64 hexadecimal digits.",
            )),
        };
    }
    Err(ApiError::invalid_argument(
        "Exactly one of phoneNumber or hashedPhoneNumber must be provided.",
    ))
}

/// `POST /number-verification/v0/verify`.
pub(crate) async fn verify(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let grant = auth::grant(&state, &headers, &["number-verification:verify"])?;
    let claim = parse_claim(&body)?;
    let number = grant
        .subject
        .clone()
        .ok_or_else(ApiError::not_authenticated_by_network)?;
    auth::spend(&state, &grant)?;
    let verified = match claim {
        Claim::Plain(n) => n == number,
        Claim::Hashed(h) => hex::encode(Sha256::digest(number.as_bytes())) == h,
    };
    Ok(Json(json!({ "devicePhoneNumberVerified": verified })))
}

/// `GET /number-verification/v0/device-phone-number`.
pub(crate) async fn device_phone_number(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let grant = auth::grant(
        &state,
        &headers,
        &["number-verification:device-phone-number:read"],
    )?;
    let number = grant
        .subject
        .clone()
        .ok_or_else(ApiError::not_authenticated_by_network)?;
    auth::spend(&state, &grant)?;
    Ok(Json(json!({ "devicePhoneNumber": number })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_needs_exactly_one_known_property() {
        assert!(parse_claim(b"").is_err());
        assert!(parse_claim(b"{}").is_err());
        assert!(parse_claim(br#"{"additional_property":"foo_value"}"#).is_err());
        assert!(
            parse_claim(br#"{"phoneNumber":"+8613800000041","hashedPhoneNumber":"00"}"#).is_err()
        );
        assert!(parse_claim(br#"{"phoneNumber":"13800000041"}"#).is_err());
        assert!(matches!(
            parse_claim(br#"{"phoneNumber":"+8613800000041"}"#),
            Ok(Claim::Plain(_))
        ));
        let hashed = format!(r#"{{"hashedPhoneNumber":"{}"}}"#, "A".repeat(64));
        assert!(
            matches!(parse_claim(hashed.as_bytes()), Ok(Claim::Hashed(h)) if h == "a".repeat(64))
        );
    }
}
