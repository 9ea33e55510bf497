//! `GetPhoneWithToken`: H5 one-click — the number behind an spToken, once.

use numgate_domain::access_token::Purpose;
use serde_json::json;

use super::{payload, Caller, Payload};
use crate::error::ApiError;
use crate::params::Params;
use crate::service::h5;
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let token = p.required("SpToken")?;
    let t = h5::redeem(state, caller.tenant.id, token, Purpose::Login).await?;
    Ok(payload([("Data", json!({ "Mobile": t.number }))]))
}
