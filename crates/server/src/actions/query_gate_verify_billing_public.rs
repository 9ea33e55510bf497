//! `QueryGateVerifyBillingPublic`: a tenant's bill of one month, a line per
//! method, scheme and scene (see `service::billing`).
//!
//! `AuthenticationType` is numbered differently from the statistics call: 0
//! number check, 1 one-click, 2 all, 3 liveness (numgate has none: an empty
//! bill), 4 SMS, and numgate's own 5: Fusion-Auth. `Month` is yyyyMM in the
//! calendar of `sms.utc_offset_hours`. In a line, `Add` is the successes charged
//! (from resource plans and paid), `Amount` what the paid ones cost at
//! `SinglePrice`; amounts are yuan as decimal strings. `SceneCode` is the
//! scheme's code; a Fusion-Auth line names its scene in `ItemName`.

use numgate_domain::stats::Method;
use serde_json::{json, Value};

use super::{payload, Caller, Payload};
use crate::error::{ApiError, BizCode};
use crate::params::Params;
use crate::service::billing::{self, item_name, yuan};
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let bad = |m: &str| ApiError::biz(BizCode::InvalidParameters, m.to_owned());
    // Outer None: liveness (nothing to bill); inner None: every method.
    let methods = match p.required_int("AuthenticationType")? {
        0 => Some(Some(Method::NumberCheck)),
        1 => Some(Some(Method::OneClick)),
        2 => Some(None),
        3 => None,
        4 => Some(Some(Method::Sms)),
        5 => Some(Some(Method::Fusion)),
        _ => {
            return Err(bad(
                "AuthenticationType must be 0 (number check), 1 (one-click), 2 (all), \
                 3 (liveness), 4 (SMS) or 5 (Fusion-Auth)",
            ))
        }
    };
    let month = billing::parse_month(p.required("Month")?)
        .ok_or_else(|| bad("Month must be a month in the form yyyyMM"))?;
    let lines = match methods {
        Some(method) => {
            billing::bill(
                state.store.as_ref(),
                &state.config.billing,
                caller.tenant.id,
                &month,
                method,
            )
            .await?
        }
        None => Vec::new(),
    };
    let sum: u64 = lines.iter().map(|l| l.amount).sum();
    let list: Vec<Value> = lines
        .iter()
        .map(|l| {
            json!({
                "SceneCode": l.scheme,
                "SceneName": l.scheme_name,
                "AppName": l.app_name,
                "ItemName": if l.scene.is_empty() {
                    item_name(l.method).to_owned()
                } else {
                    format!("{} {}", item_name(l.method), l.scene)
                },
                "Add": (l.plan_units + l.paid_units).to_string(),
                "SinglePrice": yuan(l.unit_price),
                "Amount": yuan(l.amount),
            })
        })
        .collect();
    Ok(payload([(
        "Data",
        json!({ "AmountSum": yuan(sum), "SceneBillingList": list }),
    )]))
}
