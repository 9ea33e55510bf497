//! `VerifyPhoneWithToken`: H5 number check — whether an spToken's number is this one.

use numgate_domain::access_token::Purpose;
use numgate_domain::stats::{Method, Outcome};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::{payload, Caller, Payload};
use crate::error::{ApiError, BizCode};
use crate::params::Params;
use crate::service::{billing, h5, stats};
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let number = p.required("PhoneNumber")?.trim().to_owned();
    let token = p.required("SpToken")?;
    if number.len() > 20
        || !number
            .trim_start_matches('+')
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        return Err(ApiError::biz(
            BizCode::MobileNumberIllegal,
            "PhoneNumber must be digits",
        ));
    }
    billing::ensure_quota(state, caller.tenant.id, Method::NumberCheck).await?;
    let t = h5::redeem(state, caller.tenant.id, token, Purpose::Verify).await?;
    let same = bool::from(t.number.as_bytes().ct_eq(number.as_bytes()));
    // H5 number check counts as number check, from the web; PASS and REJECT
    // are both answers.
    let attempt = stats::Attempt {
        tenant_id: caller.tenant.id,
        method: Method::NumberCheck,
        scheme: &t.scheme,
        scene: "",
        os: Some("Web"),
    };
    stats::count(state, attempt, Outcome::number_check::<()>(&Ok(Some(same)))).await;
    Ok(payload([(
        "GateVerify",
        json!({
            "VerifyId": uuid::Uuid::new_v4().simple().to_string(),
            "VerifyResult": if same { "PASS" } else { "REJECT" },
        }),
    )]))
}
