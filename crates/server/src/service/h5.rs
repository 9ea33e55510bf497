//! The H5 (web) flow: `GetAuthToken` gives a page its session tokens; the JS SDK
//! has the user type the middle four digits of the number the carrier names;
//! numgate checks them and gives an spToken; the backend redeems it once with
//! `GetPhoneWithToken` or `VerifyPhoneWithToken`.
//!
//! A session allows [`ATTEMPTS`] confirmations: each one takes the next free
//! attempt slot (`<session>#1`, `#2`, `#3`) through the store's single-use
//! tokens, which holds across nodes and concurrent tries without a table of
//! its own; a right answer also spends `<session>#ok`, so one session yields
//! one spToken.

use numgate_domain::access_token::{
    AccessToken, CarrierAccounts, H5Session, Purpose, Sealed, SpToken,
};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, BizCode};
use crate::state::AppState;

/// Wrong middle digits that kill a session.
pub const ATTEMPTS: u32 = 3;
/// The page's AccessToken and JwtToken lifetimes.
pub const ACCESS_SECS: i64 = 600;
pub const JWT_SECS: i64 = 3600;
/// How long an spToken may wait for the backend.
pub const SP_TOKEN_SECS: i64 = 600;

/// Both session tokens of one H5 verification.
pub fn session_tokens(
    state: &AppState,
    scheme: &str,
    origin: &str,
    purpose: Purpose,
    accounts: &CarrierAccounts,
) -> (String, String) {
    let now = state.clock.now_millis();
    let id = AccessToken::new_id();
    let make = |kind: &str, secs: i64| {
        H5Session {
            id: id.clone(),
            kind: kind.into(),
            scheme: scheme.into(),
            origin: origin.into(),
            purpose,
            accounts: accounts.clone(),
            expires_at: now + secs * 1000,
        }
        .seal(&state.secrets)
    };
    (make("access", ACCESS_SECS), make("jwt", JWT_SECS))
}

/// Whether `digits` are the middle four of `number` (national, 11 digits), in
/// constant time.
pub fn middle_digits_match(number: &str, digits: &str) -> bool {
    let middle = number.get(3..7).unwrap_or("");
    digits.len() == 4 && bool::from(middle.as_bytes().ct_eq(digits.as_bytes()))
}

/// Opens the page's pair of session tokens: same session, both unexpired.
pub fn open_session(state: &AppState, access: &str, jwt: &str) -> Option<H5Session> {
    let now = state.clock.now_millis();
    let a = H5Session::open(access, &state.secrets, now).ok()?;
    let j = H5Session::open(jwt, &state.secrets, now).ok()?;
    (a.kind == "access" && j.kind == "jwt" && a.id == j.id).then_some(a)
}

/// Takes the next attempt of the session: the number of tries left after it,
/// or `None` when none was left (the session is dead).
pub async fn take_attempt(state: &AppState, session: &H5Session) -> Result<Option<u32>, ApiError> {
    for n in 1..=ATTEMPTS {
        let slot = format!("{}#{n}", session.id);
        if state.store.consume_token(&slot, session.expires_at).await? {
            return Ok(Some(ATTEMPTS - n));
        }
    }
    Ok(None)
}

/// After right digits: the session's one spToken.
pub async fn sp_token(
    state: &AppState,
    session: &H5Session,
    number: &str,
) -> Result<Option<String>, ApiError> {
    if !state
        .store
        .consume_token(&format!("{}#ok", session.id), session.expires_at)
        .await?
    {
        return Ok(None);
    }
    let token = SpToken {
        id: AccessToken::new_id(),
        scheme: session.scheme.clone(),
        purpose: session.purpose,
        number: number.to_owned(),
        expires_at: state.clock.now_millis() + SP_TOKEN_SECS * 1000,
    };
    Ok(Some(token.seal(&state.secrets)))
}

/// Redeems an spToken of one of the tenant's schemes, once.
pub async fn redeem(
    state: &AppState,
    tenant_id: i64,
    sp_token: &str,
    purpose: Purpose,
) -> Result<SpToken, ApiError> {
    let invalid = || {
        ApiError::biz(
            BizCode::TokenInvalid,
            "the token is invalid, expired or used",
        )
    };
    let t =
        SpToken::open(sp_token, &state.secrets, state.clock.now_millis()).map_err(|_| invalid())?;
    state
        .store
        .find_scheme(tenant_id, &t.scheme)
        .await?
        .ok_or_else(invalid)?;
    if t.purpose != purpose {
        return Err(ApiError::biz(
            BizCode::TokenUnauthorizedUsed,
            "the token was issued for another kind of verification",
        ));
    }
    if !state.store.consume_token(&t.id, t.expires_at).await? {
        return Err(invalid());
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_middle_four_digits_match() {
        assert!(middle_digits_match("13812345678", "1234"));
        assert!(!middle_digits_match("13812345678", "1235"));
        assert!(!middle_digits_match("13812345678", "123"));
        assert!(!middle_digits_match("13812345678", "12345"));
        assert!(!middle_digits_match("138", "1234"));
    }
}
