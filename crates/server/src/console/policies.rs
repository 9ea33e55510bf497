//! The policies section's JSON API (see [`super::api`] for the conventions).

use axum::Router;

use crate::state::AppState;

/// The section's routes under `/console/api/policies`.
pub fn routes() -> Router<AppState> {
    Router::new()
}
