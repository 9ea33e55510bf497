//! The carrier flows' AccessTokens: minted for a device (Client API), then used
//! once by the tenant's backend (`GetMobile`, `VerifyMobile`).

use numgate_carriers::CarrierError;
use numgate_domain::access_token::{AccessToken, Purpose, Sealed, TokenCarrier};
use numgate_store::SchemeRecord;

use crate::error::{ApiError, BizCode};
use crate::state::AppState;

/// How long a token may live: the carrier token inside lives no longer.
pub fn lifetime_secs(carrier: TokenCarrier) -> i64 {
    match carrier {
        TokenCarrier::Cm => 120,
        TokenCarrier::Cu => 1800,
        TokenCarrier::Ct => 600,
        // An OIDC authorization code.
        TokenCarrier::Camara => 60,
    }
}

fn token_invalid() -> ApiError {
    ApiError::biz(
        BizCode::TokenInvalid,
        "the token is invalid, expired or used",
    )
}

/// Opens a token the tenant's backend presents and spends it: it must be ours,
/// unexpired, of one of the tenant's schemes, for `purpose`, and unused.
pub async fn spend(
    state: &AppState,
    tenant_id: i64,
    token: &str,
    purpose: Purpose,
) -> Result<(AccessToken, SchemeRecord), ApiError> {
    let now = state.clock.now_millis();
    let token = AccessToken::open(token, &state.secrets, now).map_err(|_| token_invalid())?;
    let scheme = state
        .store
        .find_scheme(tenant_id, &token.scheme)
        .await?
        .ok_or_else(token_invalid)?;
    if token.purpose != purpose {
        return Err(ApiError::biz(
            BizCode::TokenUnauthorizedUsed,
            "the token was issued for another kind of verification",
        ));
    }
    if !state
        .store
        .consume_token(&token.id, token.expires_at)
        .await?
    {
        return Err(token_invalid());
    }
    Ok((token, scheme))
}

/// A carrier's answer as the Open API tells it.
pub fn carrier_refusal(e: CarrierError) -> ApiError {
    match e {
        CarrierError::TokenInvalid => token_invalid(),
        CarrierError::TokenWrongPurpose => ApiError::biz(
            BizCode::TokenUnauthorizedUsed,
            "the token was issued for another kind of verification",
        ),
        CarrierError::Unavailable(why) => {
            tracing::warn!(reason = %why, "a carrier did not answer");
            ApiError::Gateway(numgate_acs::AcsError::ServiceUnavailable)
        }
        CarrierError::Refused(why) => {
            ApiError::Internal(anyhow::anyhow!("the carrier refused numgate: {why}"))
        }
    }
}
