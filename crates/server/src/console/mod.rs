//! The web console at `/console`: sign-in, sessions, CSRF, languages, and its
//! pages and JSON API, served from templates and assets embedded in the binary
//! (`web/console/`; no Node.js).
//!
//! # Layout
//! - [`auth`]: the sign-in page and form, sign-out.
//! - [`session`]: cookies, the session of a request, CSRF checks.
//! - [`pages`]: the pages behind sign-in: one layout, a body and a script each.
//! - [`api`]: JSON under `/console/api`, scoped to the session's tenant; each
//!   section's own API in its module ([`overview`], [`schemes`], [`policies`],
//!   [`sms`], [`keys`], [`risk`], [`billing`], [`audit`]).
//! - [`i18n`]: English and Simplified Chinese message tables, templates.
//! - [`password`]: argon2id hashes; [`users`]: creating users (CLI).

pub mod api;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod i18n;
pub mod keys;
pub mod overview;
pub mod pages;
pub mod password;
pub mod policies;
pub mod risk;
pub mod schemes;
pub mod session;
pub mod sms;
pub mod users;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

/// The console's routes, all under `/console`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(pages::overview))
        .route("/console/login", get(auth::login_page).post(auth::sign_in))
        .route("/console/logout", post(auth::sign_out))
        .route("/console/api/me", get(api::me))
        .route("/console/api/tenants", get(api::tenants))
        .route("/console/assets/console.css", get(css))
        .route("/console/assets/console.js", get(js))
        .route("/console/assets/{file}", get(pages::script))
        .route("/console/{page}", get(pages::named))
        .merge(overview::routes())
        .merge(schemes::routes())
        .merge(policies::routes())
        .merge(sms::routes())
        .merge(keys::routes())
        .merge(risk::routes())
        .merge(billing::routes())
        .merge(audit::routes())
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../../../web/console/console.css"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../../../web/console/console.js"),
    )
}
