//! Sign-in and sign-out. A wrong password, an unknown user, a disabled user, a
//! locked one and a client address blocked after too many failures get the same
//! answer after the same work (an unknown user's password is checked against a
//! dummy hash): the form does not tell which names exist, nor why it refused.
//!
//! Two limits: a user is locked after `console.max_failures` wrong passwords in
//! a row (a slow guess at one account from many addresses), and a client
//! address is refused after `console.ip_max_failures` failed sign-ins of any
//! names in `console.ip_window_secs` (one source guessing at many accounts, or
//! keeping users locked out). A blocked address's attempts are not judged, so
//! they neither count against a user nor sign anyone in.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use numgate_store::{IpLimit, Lockout};
use serde::Deserialize;

use super::i18n::{render, Lang};
use super::password;
use super::session::{
    self, cookie, language, page_headers, set_cookie, tokens_match, ConsoleError,
    LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::config::ConsoleConfig;
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
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
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
    let ip = client_ip(config, peer, &headers).to_string();
    let ip_limit = IpLimit {
        max_failures: config.ip_max_failures,
        window_ms: config.ip_window_secs * 1000,
    };
    let ip_blocked = state
        .store
        .sign_in_ip_blocked(&ip, ip_limit, state.clock.now_millis())
        .await?;
    let user = state.store.find_user(&form.name).await?;
    let matches = password::verify_blocking(
        user.as_ref().map(|u| u.password_hash.clone()),
        form.password,
    )
    .await;
    let now = state.clock.now_millis();
    let signed_in = match &user {
        // Refused before judging: the same answer, after the same work.
        _ if ip_blocked => None,
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
    if signed_in.is_none()
        && !ip_blocked
        && state
            .store
            .record_sign_in_ip_failure(&ip, ip_limit, now)
            .await?
    {
        tracing::info!(%ip, "console sign-in refused from an address after failed sign-ins");
    }
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

/// The client's address: the connection's, unless it comes from one of
/// `console.trusted_proxies`; then the last address of `X-Forwarded-For` that
/// is not a trusted proxy (each proxy appends the address it was reached
/// from, so only the addresses trusted proxies wrote are believed). A header
/// that is missing or does not parse leaves the connection's address.
pub fn client_ip(config: &ConsoleConfig, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    let canonical = |ip: IpAddr| ip.to_canonical();
    let peer = canonical(peer.ip());
    let trusted = |ip: &IpAddr| config.trusted_proxies.iter().any(|t| canonical(*t) == *ip);
    if !trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for hop in hops.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if trusted(&canonical(ip)) => continue,
            Ok(ip) => return canonical(ip),
            Err(_) => return peer,
        }
    }
    peer
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_client_is_the_connection_unless_it_is_a_trusted_proxy() {
        let peer: SocketAddr = "192.0.2.10:5000".parse().unwrap();
        let mut config = ConsoleConfig::default();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Nobody trusted: the header is ignored.
        let h = headers(&["203.0.113.9"]);
        assert_eq!(client_ip(&config, peer, &h), ip("192.0.2.10"));

        config.trusted_proxies = vec![ip("192.0.2.10"), ip("10.0.0.2")];
        assert_eq!(client_ip(&config, peer, &h), ip("203.0.113.9"));
        // A client cannot choose its address by sending the header itself:
        // the last address not written by a trusted proxy counts.
        let h = headers(&["1.2.3.4, 203.0.113.9, 10.0.0.2"]);
        assert_eq!(client_ip(&config, peer, &h), ip("203.0.113.9"));
        let h = headers(&["1.2.3.4", "203.0.113.9"]);
        assert_eq!(client_ip(&config, peer, &h), ip("203.0.113.9"));
        // No header, or a broken one: the proxy's own address.
        assert_eq!(client_ip(&config, peer, &headers(&[])), ip("192.0.2.10"));
        let h = headers(&["1.2.3.4, not-an-address"]);
        assert_eq!(client_ip(&config, peer, &h), ip("192.0.2.10"));
        // Only proxies in the header: the connection's address.
        let h = headers(&["10.0.0.2"]);
        assert_eq!(client_ip(&config, peer, &h), ip("192.0.2.10"));
        // An IPv4 address on an IPv6 socket is the same client.
        let mapped: SocketAddr = "[::ffff:192.0.2.10]:5000".parse().unwrap();
        assert_eq!(client_ip(&config, mapped, &h), ip("192.0.2.10"));
    }
}
