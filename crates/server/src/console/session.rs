//! The console's cookies and sessions: a session id is 32 random bytes, sent as
//! the `numgate_session` cookie and stored only as its SHA-256; each session has
//! its CSRF token, which every state-changing request must carry.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use numgate_store::{ConsoleSession, NewConsoleSession, StoreError};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::i18n::Lang;
use crate::config::ConsoleConfig;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "numgate_session";
/// The sign-in form's double-submit token, before there is a session.
pub const LOGIN_CSRF_COOKIE: &str = "numgate_login_csrf";
pub const LANG_COOKIE: &str = "numgate_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Why a console request is refused.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No live session: a page redirects to the sign-in page.
    #[error("sign-in required")]
    SignInPage,
    /// No live session, for an API call: 401.
    #[error("sign-in required")]
    SignInApi,
    /// A missing or wrong CSRF token, or a tenant that is not the user's: 403.
    #[error("forbidden")]
    Forbidden,
    /// 404.
    #[error("not found")]
    NotFound,
    /// Bad input, or a change the rules refuse: 400 with a code (the Open API's
    /// error code where the rule is the Open API's) and a message for the user.
    #[error("{code}: {message}")]
    Invalid { code: String, message: String },
    /// Logged with its cause; the client gets an opaque 500.
    #[error("console request failed")]
    Unexpected(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<StoreError> for ConsoleError {
    fn from(e: StoreError) -> Self {
        ConsoleError::Unexpected(Box::new(e))
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let json = |status: StatusCode, error: &str, message: &str| {
            (
                status,
                axum::Json(serde_json::json!({ "error": error, "message": message })),
            )
                .into_response()
        };
        match self {
            ConsoleError::SignInPage => Redirect::to("/console/login").into_response(),
            ConsoleError::SignInApi => json(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "sign in to the console first",
            ),
            ConsoleError::Forbidden => json(StatusCode::FORBIDDEN, "forbidden", "forbidden"),
            ConsoleError::NotFound => json(StatusCode::NOT_FOUND, "not_found", "not found"),
            ConsoleError::Invalid { code, message } => {
                json(StatusCode::BAD_REQUEST, &code, &message)
            }
            ConsoleError::Unexpected(e) => {
                tracing::error!(error = %e, cause = ?e.source(), "console request failed");
                json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the request failed",
                )
            }
        }
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, `Path=/console`, and
/// `Secure` unless configured off for plain-HTTP development. `max_age` 0 deletes it.
pub fn set_cookie(
    config: &ConsoleConfig,
    name: &str,
    value: &str,
    max_age: Option<i64>,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if config.secure_cookies {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).expect("cookie values are base64url")
}

/// 32 random bytes from the OS CSPRNG, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The store's key of a session id: SHA-256 of its bytes (of the cookie text
/// when it is not base64url: such an id was never issued and finds nothing).
pub fn id_hash(id: &str) -> Vec<u8> {
    let bytes = URL_SAFE_NO_PAD
        .decode(id)
        .unwrap_or_else(|_| id.as_bytes().to_vec());
    Sha256::digest(bytes).to_vec()
}

/// Constant-time equality of two tokens; an empty token equals nothing.
pub fn tokens_match(given: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// A new session for a user: its cookie value and what the store keeps.
pub fn new_session(config: &ConsoleConfig, user_id: i64, now: i64) -> (String, NewConsoleSession) {
    let id = random_token();
    let new = NewConsoleSession {
        id_hash: id_hash(&id),
        user_id,
        csrf_token: random_token(),
        created_at: now,
        expires_at: now + config.session_max_secs * 1000,
        idle_until: now + config.session_idle_secs * 1000,
    };
    (id, new)
}

/// The request's live session (its idle timeout moved on), if any.
pub async fn current(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(String, ConsoleSession)>, ConsoleError> {
    let Some(id) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let now = state.clock.now_millis();
    let idle_until = now + state.config.console.session_idle_secs * 1000;
    let hash = id_hash(id);
    Ok(state
        .store
        .touch_console_session(&hash, idle_until, now)
        .await?
        .map(|s| (id.to_owned(), s)))
}

/// The session of a page request, or a redirect to sign-in.
pub async fn require_page(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(String, ConsoleSession), ConsoleError> {
    current(state, headers)
        .await?
        .ok_or(ConsoleError::SignInPage)
}

/// The session of an API call, or 401.
pub async fn require_api(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<ConsoleSession, ConsoleError> {
    Ok(current(state, headers)
        .await?
        .ok_or(ConsoleError::SignInApi)?
        .1)
}

/// The session of a console API call, as a handler's argument: 401 without a
/// live session; for anything but GET and HEAD also 403 without the session's
/// CSRF token (`X-CSRF-Token`). Every `/console/api` handler takes it, so no
/// action runs without a session and no change without the token.
pub struct ApiSession(pub ConsoleSession);

impl axum::extract::FromRequestParts<AppState> for ApiSession {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let s = require_api(state, &parts.headers).await?;
        if !matches!(
            parts.method,
            axum::http::Method::GET | axum::http::Method::HEAD
        ) {
            check_csrf(&s, &parts.headers, None)?;
        }
        Ok(ApiSession(s))
    }
}

/// A console API call's JSON body, as a handler's argument: a body that is not
/// JSON of the expected shape is a 400 `InvalidParameter` in the console's error
/// answer, saying what is wrong (whatever its `Content-Type`).
pub struct JsonBody<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for JsonBody<T> {
    type Rejection = ConsoleError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| invalid_body("the body could not be read"))?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// A JSON body of the expected shape, else [`JsonBody`]'s 400.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ConsoleError> {
    serde_json::from_slice(bytes).map_err(|e| invalid_body(&e.to_string()))
}

fn invalid_body(why: &str) -> ConsoleError {
    ConsoleError::Invalid {
        code: "InvalidParameter".to_owned(),
        message: format!("the request body is not valid: {why}"),
    }
}

/// The session of a state-changing API call whose CSRF token is right: 401
/// without a session, 403 with a wrong or missing token.
pub async fn require_change(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<ConsoleSession, ConsoleError> {
    let s = require_api(state, headers).await?;
    check_csrf(&s, headers, None)?;
    Ok(s)
}

/// A state-changing request's CSRF token (the `X-CSRF-Token` header, else the
/// form field) must be the session's: 403 otherwise.
pub fn check_csrf(
    session: &ConsoleSession,
    headers: &HeaderMap,
    form_token: Option<&str>,
) -> Result<(), ConsoleError> {
    let given = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .or(form_token)
        .unwrap_or_default();
    if tokens_match(given, &session.csrf_token) {
        Ok(())
    } else {
        Err(ConsoleError::Forbidden)
    }
}

/// The request's language: `?lang=` (then also a cookie to keep it), else the
/// cookie, else English.
pub fn language(
    config: &ConsoleConfig,
    headers: &HeaderMap,
    query_lang: Option<&str>,
) -> (Lang, Option<HeaderValue>) {
    if let Some(lang) = query_lang.and_then(Lang::parse) {
        let keep = set_cookie(config, LANG_COOKIE, lang.tag(), Some(365 * 86_400));
        return (lang, Some(keep));
    }
    let lang = cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or(Lang::En);
    (lang, None)
}

/// Headers of every console page: never cached, never framed, scripts and
/// styles from the console only.
pub fn page_headers() -> [(header::HeaderName, &'static str); 4] {
    [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; numgate_session=xyz; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn cookies_are_secure_unless_configured_off() {
        let mut c = ConsoleConfig::default();
        let v = set_cookie(&c, "n", "v", None);
        assert_eq!(v, "n=v; Path=/console; HttpOnly; SameSite=Strict; Secure");
        c.secure_cookies = false;
        assert!(!set_cookie(&c, "n", "v", Some(0))
            .to_str()
            .unwrap()
            .contains("Secure"));
    }

    #[test]
    fn tokens_match_only_themselves() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abd", "abc"));
        assert!(!tokens_match("", ""));
    }
}
