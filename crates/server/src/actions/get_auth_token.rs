//! `GetAuthToken`: the session tokens a web page hands the H5 JS SDK, for one
//! of the tenant's Web schemes (`SceneCode`), bound to its Url and Origin.

use numgate_domain::access_token::{Purpose, TokenCarrier};
use serde_json::json;

use super::{payload, Caller, Payload};
use crate::error::{ApiError, BizCode};
use crate::params::Params;
use crate::service::{h5, schemes};
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let bad = |m: &str| ApiError::biz(BizCode::InvalidParameters, m.to_owned());
    let url = p.required("Url")?;
    let origin = p.required("Origin")?;
    let scene = p.required("SceneCode")?;
    let purpose = match p.int("BizType")?.unwrap_or(1) {
        1 => Purpose::Login,
        0 | 2 => Purpose::Verify,
        _ => {
            return Err(bad(
                "BizType must be 1 (one-click logon) or 0 (number check)",
            ))
        }
    };
    let (url, origin) = schemes::url_and_origin(url, origin)
        .map_err(|e| ApiError::invalid(BizCode::InvalidParameters, e))?;
    let scheme = state
        .store
        .find_scheme(caller.tenant.id, scene)
        .await?
        .ok_or_else(|| {
            ApiError::biz(
                BizCode::VerifySchemeNotExist,
                "the scheme does not exist in this account",
            )
        })?;
    if scheme.os_type != "Web"
        || scheme.url.as_deref() != Some(url.as_str())
        || scheme.origin.as_deref() != Some(origin.as_str())
    {
        return Err(bad("Url and Origin are not those of the scheme"));
    }
    let wanted = if purpose == Purpose::Login { "1" } else { "2" };
    if !scheme.auth_type.split(',').any(|t| t.trim() == wanted) {
        return Err(bad("the scheme does not allow this BizType"));
    }
    // The page may name its own carrier accounts; by default the scheme's.
    let tenant = caller.tenant.name.as_str();
    let mut accounts = schemes::carrier_accounts(tenant, &scheme);
    for (carrier, param, slot) in [
        (TokenCarrier::Cm, "CmApiCode", &mut accounts.cm),
        (TokenCarrier::Cu, "CuApiCode", &mut accounts.cu),
        (TokenCarrier::Ct, "CtApiCode", &mut accounts.ct),
    ] {
        if let Some(code) = schemes::api_code(state, tenant, carrier, param, p.int(param)?)? {
            *slot = Some(code);
        }
    }
    let (access, jwt) = h5::session_tokens(state, &scheme.code, &origin, purpose, &accounts);
    Ok(payload([(
        "TokenInfo",
        json!({ "AccessToken": access, "JwtToken": jwt }),
    )]))
}
