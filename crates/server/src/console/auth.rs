//! Sign-in and sign-out. A wrong password, an unknown user, a disabled user and
//! a locked one get the same answer after the same work (an unknown user's
//! password is checked against a dummy hash): the form does not tell which
//! names exist.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use numgate_store::Lockout;
use serde::Deserialize;

use super::i18n::{render, Lang};
use super::password;
use super::session::{
    self, cookie, language, page_headers, set_cookie, tokens_match, ConsoleError,
    LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::state::AppState;

const LOGIN_HTML: &str = include_str!("../../../../web/console/login.html");

#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    pub lang: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct SignInForm {
    name: String,
    password: String,
    csrf: String,
}

/// `GET /console/login`: the form, with a fresh double-submit token in a cookie
/// and in the form (kept if the browser has one already).
pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Result<Response, ConsoleError> {
    if session::current(&state, &headers).await?.is_some() {
        return Ok(Redirect::to("/console").into_response());
    }
    let (lang, lang_cookie) = language(&state.config.console, &headers, q.lang.as_deref());
    Ok(login_form(
        &state,
        &headers,
        lang,
        lang_cookie,
        StatusCode::OK,
        "",
    ))
}

fn login_form(
    state: &AppState,
    headers: &HeaderMap,
    lang: Lang,
    lang_cookie: Option<axum::http::HeaderValue>,
    status: StatusCode,
    error_key: &str,
) -> Response {
    let config = &state.config.console;
    let token = cookie(headers, LOGIN_CSRF_COOKIE)
        .filter(|t| {
            t.len() == 43
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map_or_else(session::random_token, str::to_owned);
    let error = if error_key.is_empty() {
        String::new()
    } else {
        lang.text(error_key)
    };
    let html = render(LOGIN_HTML, lang, &[("csrf", &token), ("error", &error)]);
    let mut res = (status, page_headers(), html).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(config, LOGIN_CSRF_COOKIE, &token, None),
    );
    if let Some(c) = lang_cookie {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// `POST /console/login`: the form's token must equal its cookie (403
/// otherwise); then the name and password, the lock and the user's state decide.
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let form: SignInForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let (lang, _) = language(&state.config.console, &headers, None);
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if !tokens_match(&form.csrf, expected) {
        let mut res = login_form(
            &state,
            &headers,
            lang,
            None,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        *res.status_mut() = StatusCode::FORBIDDEN;
        return Ok(res);
    }
    let config = &state.config.console;
    let user = state.store.find_user(&form.name).await?;
    let matches = password::verify_blocking(
        user.as_ref().map(|u| u.password_hash.clone()),
        form.password,
    )
    .await;
    let now = state.clock.now_millis();
    let signed_in = match &user {
        Some(u) if matches => {
            let (id, new) = session::new_session(config, u.id, now);
            state
                .store
                .start_console_session(new, now)
                .await?
                .then_some(id)
        }
        Some(u) => {
            let lockout = Lockout {
                max_failures: config.max_failures,
                lock_ms: config.lockout_secs * 1000,
            };
            if state
                .store
                .record_sign_in_failure(u.id, lockout, now)
                .await?
            {
                tracing::info!(user = %u.name, "console user locked after failed sign-ins");
            }
            None
        }
        None => None,
    };
    match signed_in {
        Some(id) => {
            let mut res = Redirect::to("/console").into_response();
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(config, SESSION_COOKIE, &id, None),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(config, LOGIN_CSRF_COOKIE, "", Some(0)),
            );
            Ok(res)
        }
        None => Ok(login_form(
            &state,
            &headers,
            lang,
            None,
            StatusCode::UNAUTHORIZED,
            "failed",
        )),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /console/logout`: ends the session (with its CSRF token; 403 without).
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let (id, session) = session::require_page(&state, &headers).await?;
    let form: CsrfForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    session::check_csrf(&session, &headers, form.csrf.as_deref())?;
    state
        .store
        .end_console_session(&session::id_hash(&id))
        .await?;
    let mut res = Redirect::to("/console/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state.config.console, SESSION_COOKIE, "", Some(0)),
    );
    Ok(res)
}
