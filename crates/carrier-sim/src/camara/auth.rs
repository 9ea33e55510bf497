//! Bearer-token checks shared by the CAMARA APIs: 401 for no/unknown/expired/used tokens, 403
//! for a token without the operation's scope.

use axum::http::{header, HeaderMap};

use crate::errors::ApiError;
use crate::state::{lock, SimState};

/// A token accepted for an operation.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    /// The token itself, to spend it after a successful call.
    pub(crate) token: String,
    /// The number a three-legged token identifies.
    pub(crate) subject: Option<String>,
}

/// Checks the `Authorization: Bearer` header and that the token has one of `scopes`.
pub(crate) fn grant(
    state: &SimState,
    headers: &HeaderMap,
    scopes: &[&str],
) -> Result<Grant, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(ApiError::unauthenticated)?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(ApiError::unauthenticated)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::unauthenticated());
    }
    let token = token.trim();
    let access = lock(&state.camara)
        .live_token(token, state.clock.now())
        .ok_or_else(ApiError::unauthenticated)?;
    if !access.scopes.iter().any(|s| scopes.contains(&s.as_str())) {
        return Err(ApiError::permission_denied());
    }
    Ok(Grant {
        token: token.to_owned(),
        subject: access.subject,
    })
}

/// Spends a single-use token; a concurrent call that got there first makes this one 401.
pub(crate) fn spend(state: &SimState, grant: &Grant) -> Result<(), ApiError> {
    if lock(&state.camara).spend(&grant.token) {
        Ok(())
    } else {
        Err(ApiError::unauthenticated())
    }
}
