//! The console's pages behind sign-in. For now the overview: who is signed in,
//! for which tenant; the real pages come next.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use numgate_store::UserRole;

use super::auth::LangQuery;
use super::i18n::render;
use super::session::{self, language, page_headers, ConsoleError};
use crate::state::AppState;

const OVERVIEW_HTML: &str = include_str!("../../../../web/console/overview.html");

/// `GET /console`: the overview placeholder.
pub async fn overview(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Result<Response, ConsoleError> {
    let (_, s) = session::require_page(&state, &headers).await?;
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
    let html = render(
        OVERVIEW_HTML,
        lang,
        &[
            ("user", &s.user.name),
            ("role", &role),
            ("tenant", &tenant),
            ("csrf", &s.csrf_token),
        ],
    );
    let mut res = (page_headers(), html).into_response();
    if let Some(c) = lang_cookie {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}
