//! `GetPhoneWithToken`: H5 one-click — the number behind an spToken, once.

use numgate_domain::access_token::Purpose;
use numgate_domain::stats::{Method, Outcome};
use serde_json::json;

use super::{payload, Caller, Payload};
use crate::error::ApiError;
use crate::params::Params;
use crate::service::{billing, h5, stats};
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let token = p.required("SpToken")?;
    billing::ensure_quota(state, caller.tenant.id, Method::OneClick).await?;
    let t = h5::redeem(state, caller.tenant.id, token, Purpose::Login).await?;
    // H5 one-click counts as one-click, from the web.
    let attempt = stats::Attempt {
        tenant_id: caller.tenant.id,
        method: Method::OneClick,
        scheme: &t.scheme,
        scene: "",
        os: Some("Web"),
    };
    stats::count(state, attempt, Outcome::one_click(true)).await;
    Ok(payload([("Data", json!({ "Mobile": t.number }))]))
}
