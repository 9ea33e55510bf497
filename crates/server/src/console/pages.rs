//! The console's pages behind sign-in. Every page is the one layout
//! (`web/console/layout.html`: header, sections, language, sign-out) around the
//! page's own body (`web/console/pages/<page>.html`); the page's script
//! (`web/console/js/<page>.js`) draws it from `/console/api`.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use numgate_store::UserRole;

use super::auth::LangQuery;
use super::i18n::render;
use super::session::{self, language, page_headers, ConsoleError};
use crate::state::AppState;

const LAYOUT_HTML: &str = include_str!("../../../../web/console/layout.html");

/// A page: its path segment (also its script's name), the key of its title,
/// its body and its script.
pub struct Page {
    pub name: &'static str,
    pub title_key: &'static str,
    pub body: &'static str,
    pub script: &'static str,
}

macro_rules! page {
    ($name:literal, $title:literal) => {
        Page {
            name: $name,
            title_key: $title,
            body: include_str!(concat!("../../../../web/console/pages/", $name, ".html")),
            script: include_str!(concat!("../../../../web/console/js/", $name, ".js")),
        }
    };
}

/// Every page of the console, in the order of the sections.
pub const PAGES: &[Page] = &[
    page!("overview", "overview"),
    page!("schemes", "nav_schemes"),
    page!("policies", "nav_policies"),
    page!("sms", "nav_sms"),
    page!("keys", "nav_keys"),
    page!("risk", "nav_risk"),
    page!("billing", "nav_billing"),
    page!("audit", "nav_audit"),
    // Not a section: reached from the overview's API & SDK area.
    page!("reference", "overview_reference"),
];

pub fn find(name: &str) -> Option<&'static Page> {
    PAGES.iter().find(|p| p.name == name)
}

/// `GET /console`: the overview.
pub async fn overview(
    state: State<AppState>,
    headers: HeaderMap,
    q: Query<LangQuery>,
) -> Result<Response, ConsoleError> {
    show(state, headers, q, "overview").await
}

/// `GET /console/{page}`.
pub async fn named(
    state: State<AppState>,
    headers: HeaderMap,
    q: Query<LangQuery>,
    Path(name): Path<String>,
) -> Result<Response, ConsoleError> {
    show(state, headers, q, &name).await
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
    name: &str,
) -> Result<Response, ConsoleError> {
    let (_, s) = session::require_page(&state, &headers).await?;
    let page = find(name).ok_or(ConsoleError::NotFound)?;
    let (lang, lang_cookie) = language(&state.config.console, &headers, q.lang.as_deref());
    let tenant = match s.user.tenant_id {
        Some(id) => state
            .store
            .find_tenant_by_id(id)
            .await?
            .map(|t| t.name)
            .unwrap_or_default(),
        None => lang.text("all_tenants"),
    };
    let role = match s.user.role {
        UserRole::Operator => lang.text("role_operator"),
        UserRole::Tenant => lang.text("role_tenant"),
    };
    // The body goes in before filling, so that its own `{{…}}` are filled too.
    let template = LAYOUT_HTML.replace("{{body}}", page.body);
    let html = render(
        &template,
        lang,
        &[
            ("page", page.name),
            ("page_title", &lang.text(page.title_key)),
            ("user", &s.user.name),
            ("role", &role),
            ("role_tag", s.user.role.as_str()),
            ("tenant", &tenant),
            ("csrf", &s.csrf_token),
            ("messages", &lang.json()),
        ],
    );
    let mut res = (page_headers(), html).into_response();
    if let Some(c) = lang_cookie {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// `GET /console/assets/{page}.js`: a page's script.
pub async fn script(Path(file): Path<String>) -> Result<Response, ConsoleError> {
    let page = file
        .strip_suffix(".js")
        .and_then(find)
        .ok_or(ConsoleError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        page.script,
    )
        .into_response())
}
