//! `QuerySendDetails`: a day of one number's code messages and their delivery.

use chrono::{NaiveDate, TimeZone};
use numgate_store::SendStatus;
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
    let page_size = p.required_int("PageSize")?;
    if !(1..=50).contains(&page_size) {
        return Err(bad("PageSize must be 1 to 50"));
    }
    let page = p.required_int("CurrentPage")?;
    if !(1..=100_000).contains(&page) {
        return Err(bad("CurrentPage must be at least 1"));
    }
    let biz_id = p.opt("BizId").map(str::to_owned);
    if biz_id.as_ref().is_some_and(|b| b.len() > 64) {
        return Err(bad("BizId must be at most 64 characters"));
    }
    let (total, records) = send_details::query(
        state,
        caller.tenant.id,
        DetailsQuery {
            phone,
            biz_id,
            date,
            page: page as u32,
            page_size: page_size as u32,
        },
    )
    .await?;

    let tz = send_details::offset(state);
    let fmt = |ms: i64| {
        tz.timestamp_millis_opt(ms)
            .single()
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
    };
    let rows: Vec<Value> = records
        .into_iter()
        .map(|r| {
            json!({
                "PhoneNum": r.phone,
                "SendStatus": r.status as i64,
                "ErrCode": r.err_code.unwrap_or_else(|| match r.status {
                    SendStatus::Delivered => "DELIVERED".into(),
                    _ => String::new(),
                }),
                "TemplateCode": r.template_code,
                "Content": r.content,
                "SendDate": fmt(r.sent_at),
                "ReceiveDate": r.received_at.and_then(fmt),
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
