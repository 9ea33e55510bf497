//! `VerifyMobile`: number check — whether the device's SIM has this number.
//! A carrier that cannot answer makes the result `UNKNOWN`, not an error.

use numgate_carriers::CarrierError;
use numgate_domain::access_token::{AccessToken, Purpose, TokenCarrier};
use numgate_domain::stats::{Method, Outcome};
use numgate_domain::{Carrier, CountryCode, PhoneNumber};
use numgate_store::SchemeRecord;
use serde_json::json;

use super::{out_id_param, payload, Caller, Payload};
use crate::error::{ApiError, BizCode};
use crate::params::Params;
use crate::service::carrier_tokens::{self, carrier_refusal};
use crate::service::{billing, schemes, stats};
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let code = p.required("AccessCode")?;
    let number = p.required("PhoneNumber")?.trim().to_owned();
    let _ = out_id_param(p)?;
    billing::ensure_quota(state, caller.tenant.id, Method::NumberCheck).await?;
    let (token, scheme) =
        carrier_tokens::spend(state, caller.tenant.id, code, Purpose::Verify).await?;
    // The token is spent: from here on the attempt counts, whatever its end.
    let result = check(state, caller, number, token, &scheme).await;
    let answer = result.as_ref().map(|r| match *r {
        "PASS" => Some(true),
        "REJECT" => Some(false),
        _ => None,
    });
    let outcome = Outcome::number_check(&answer);
    let attempt = stats::Attempt {
        tenant_id: caller.tenant.id,
        method: Method::NumberCheck,
        scheme: &scheme.code,
        scene: "",
        os: Some(&scheme.os_type),
    };
    stats::count(state, attempt, outcome).await;
    Ok(payload([(
        "GateVerifyResultDTO",
        json!({ "VerifyId": uuid::Uuid::new_v4().simple().to_string(), "VerifyResult": result? }),
    )]))
}

/// The carrier's answer for a spent token: `PASS`, `REJECT` or `UNKNOWN`.
async fn check(
    state: &AppState,
    caller: &Caller,
    number: String,
    token: AccessToken,
    scheme: &SchemeRecord,
) -> Result<&'static str, ApiError> {
    // The number in the form the token's carrier knows: mainland national digits
    // for the token-exchange carriers (whose segment must be theirs), E.164 for CAMARA.
    let number = match token.carrier {
        TokenCarrier::Camara => {
            if !number.starts_with('+')
                || number.len() < 8
                || !number[1..].bytes().all(|b| b.is_ascii_digit())
            {
                return Err(ApiError::biz(
                    BizCode::MobileNumberIllegal,
                    "PhoneNumber must be E.164, such as +447700900123",
                ));
            }
            number
        }
        carrier => {
            let phone = PhoneNumber::parse(&CountryCode::mainland(), &number)
                .map_err(|e| ApiError::invalid(BizCode::MobileNumberIllegal, e))?;
            let expected = match carrier {
                TokenCarrier::Cm => Carrier::ChinaMobile,
                TokenCarrier::Cu => Carrier::ChinaUnicom,
                _ => Carrier::ChinaTelecom,
            };
            // Virtual operators' numbers ride on one of the three networks: no mismatch to tell.
            match phone.carrier() {
                Some(c) if c != expected && c != Carrier::Virtual => {
                    return Err(ApiError::biz(
                        BizCode::ParametersMismatch,
                        "the number belongs to another carrier than the SIM",
                    ))
                }
                _ => phone.national().to_owned(),
            }
        }
    };
    let accounts = schemes::carrier_accounts(&caller.tenant.name, scheme);
    let carrier = state
        .carriers
        .get(token.carrier, &accounts)
        .ok_or_else(|| ApiError::Gateway(numgate_acs::AcsError::ServiceUnavailable))?;
    let result = match carrier.verify(&token.carrier_token, &number).await {
        Ok(true) => "PASS",
        Ok(false) => "REJECT",
        Err(CarrierError::Unavailable(why)) => {
            tracing::warn!(reason = %why, "a carrier did not answer a number check");
            "UNKNOWN"
        }
        Err(e) => return Err(carrier_refusal(e)),
    };
    Ok(result)
}
