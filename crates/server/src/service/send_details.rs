//! Send records for QuerySendDetails: a day of one number's sends, by page.

use chrono::{FixedOffset, NaiveDate, TimeZone};
use numgate_domain::clock::Millis;
use numgate_domain::PhoneNumber;
use numgate_store::{SendQuery, SendRecord, SendStatus};

use crate::error::{ApiError, BizCode};
use crate::state::AppState;

pub struct DetailsQuery {
    pub phone: PhoneNumber,
    pub biz_id: Option<String>,
    pub date: NaiveDate,
    pub page: u32,
    pub page_size: u32,
}

/// The calendar of `SendDate` and of the dates in records.
pub fn offset(state: &AppState) -> FixedOffset {
    FixedOffset::east_opt(state.config.sms.utc_offset_hours * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// One page of a day of one number's send records (optionally one BizId's).
pub async fn query(
    state: &AppState,
    tenant_id: i64,
    q: DetailsQuery,
) -> Result<(u64, Vec<SendRecord>), ApiError> {
    let bad = |m: &str| ApiError::biz(BizCode::InvalidParameters, m.to_owned());
    if !(1..=50).contains(&q.page_size) {
        return Err(bad("PageSize must be 1 to 50"));
    }
    if !(1..=100_000).contains(&q.page) {
        return Err(bad("CurrentPage must be at least 1"));
    }
    if q.biz_id.as_ref().is_some_and(|b| b.len() > 64) {
        return Err(bad("BizId must be at most 64 characters"));
    }
    let tz = offset(state);
    let start = q.date.and_hms_opt(0, 0, 0).expect("midnight exists");
    let from = tz
        .from_local_datetime(&start)
        .single()
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a fixed offset has one midnight")))?;
    let to = from + 86_400_000;
    Ok(state
        .store
        .query_send_details(SendQuery {
            tenant_id,
            country_code: q.phone.country().as_str().to_owned(),
            phone: q.phone.national().to_owned(),
            biz_id: q.biz_id,
            from,
            to,
            page: q.page,
            page_size: q.page_size,
        })
        .await?)
}

/// A record as QuerySendDetails shows it: dates in the SMS calendar, and the
/// error code `DELIVERED` for a delivered message that has none.
pub struct Shown {
    pub record: SendRecord,
    pub err_code: String,
    pub send_date: Option<String>,
    pub receive_date: Option<String>,
}

pub fn show(state: &AppState, r: SendRecord) -> Shown {
    let tz = offset(state);
    let fmt = |ms: Millis| {
        tz.timestamp_millis_opt(ms)
            .single()
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
    };
    Shown {
        err_code: r.err_code.clone().unwrap_or_else(|| match r.status {
            SendStatus::Delivered => "DELIVERED".into(),
            _ => String::new(),
        }),
        send_date: fmt(r.sent_at),
        receive_date: r.received_at.and_then(fmt),
        record: r,
    }
}

/// Today in the SMS calendar.
pub fn today(state: &AppState) -> NaiveDate {
    let tz = offset(state);
    tz.timestamp_millis_opt(state.clock.now_millis())
        .single()
        .map(|t| t.date_naive())
        .unwrap_or_default()
}
