//! `QuerySendDetails`: a day of one number's code messages and their delivery.

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::{payload, phone_param, Caller, Payload};
use crate::error::{ApiError, BizCode};
use crate::params::Params;
use crate::service::send_details::{self, DetailsQuery};
use crate::state::AppState;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let bad = |m: &str| ApiError::biz(BizCode::InvalidParameters, m.to_owned());
    let phone = phone_param(p)?;
    let date = NaiveDate::parse_from_str(p.required("SendDate")?, "%Y%m%d")
        .map_err(|_| bad("SendDate must be a date in the form yyyyMMdd"))?;
    // Ranges and lengths are the service's rules (the console's search too).
    let page_size = u32::try_from(p.required_int("PageSize")?).unwrap_or(0);
    let page = u32::try_from(p.required_int("CurrentPage")?).unwrap_or(0);
    let biz_id = p.opt("BizId").map(str::to_owned);
    let (total, records) = send_details::query(
        state,
        caller.tenant.id,
        DetailsQuery {
            phone,
            biz_id,
            date,
            page,
            page_size,
        },
    )
    .await?;

    let rows: Vec<Value> = records
        .into_iter()
        .map(|r| {
            let shown = send_details::show(state, r);
            let r = shown.record;
            json!({
                "PhoneNum": r.phone,
                "SendStatus": r.status as i64,
                "ErrCode": shown.err_code,
                "TemplateCode": r.template_code,
                "Content": r.content,
                "SendDate": shown.send_date,
                "ReceiveDate": shown.receive_date,
                "OutId": r.out_id,
                "BizId": r.biz_id,
            })
        })
        .collect();
    Ok(payload([
        ("Success", Value::Bool(true)),
        ("TotalCount", json!(total)),
        ("Model", Value::Array(rows)),
    ]))
}
