//! `GetMobile`: one-click logon — the number behind a device's AccessToken.

use numgate_domain::access_token::Purpose;
use numgate_domain::stats::{Method, Outcome};
use serde_json::json;

use super::{out_id_param, payload, Caller, Payload};
use crate::error::ApiError;
use crate::params::Params;
use crate::service::carrier_tokens::{self, carrier_refusal};
use crate::service::{billing, schemes, stats};
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let token = p.required("AccessToken")?;
    let _ = out_id_param(p)?;
    billing::ensure_quota(state, caller.tenant.id, Method::OneClick).await?;
    let (token, scheme) =
        carrier_tokens::spend(state, caller.tenant.id, token, Purpose::Login).await?;
    let accounts = schemes::carrier_accounts(&caller.tenant.name, &scheme);
    let carrier = state
        .carriers
        .get(token.carrier, &accounts)
        .ok_or_else(|| ApiError::Gateway(numgate_acs::AcsError::ServiceUnavailable))?;
    let mobile = carrier.exchange(&token.carrier_token).await;
    let attempt = stats::Attempt {
        tenant_id: caller.tenant.id,
        method: Method::OneClick,
        scheme: &scheme.code,
        scene: "",
        os: Some(&scheme.os_type),
    };
    stats::count(state, attempt, Outcome::one_click(mobile.is_ok())).await;
    let mobile = mobile.map_err(carrier_refusal)?;
    Ok(payload([(
        "GetMobileResultDTO",
        json!({ "Mobile": mobile }),
    )]))
}
