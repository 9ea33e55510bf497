//! `DeleteVerifyScheme`: delete one of the caller's schemes; its tokens stop
//! working with it. `CustomerId` is accepted and ignored.

use serde_json::Value;

use super::{payload, Caller, Payload};
use crate::error::ApiError;
use crate::params::Params;
use crate::service::schemes;
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let code = p.required("SchemeCode")?.trim();
    schemes::delete(state, caller.tenant.id, code, &caller.actor()).await?;
    Ok(payload([("Result", Value::Bool(true))]))
}
