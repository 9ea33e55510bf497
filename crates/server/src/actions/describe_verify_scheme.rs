//! `DescribeVerifyScheme`: a scheme's `AppEncryptInfo`, what the client SDK
//! initialises with. `CustomerId` is accepted and ignored.

use serde_json::json;

use super::{payload, Caller, Payload};
use crate::error::ApiError;
use crate::params::Params;
use crate::service::schemes;
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let code = p.required("SchemeCode")?.trim();
    let info = schemes::app_encrypt_info(state, caller.tenant.id, code).await?;
    Ok(payload([(
        "SchemeQueryResultDTO",
        json!({ "AppEncryptInfo": info }),
    )]))
}
