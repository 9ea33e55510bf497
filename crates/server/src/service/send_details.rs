//! Send records for QuerySendDetails: a day of one number's sends, by page.

use chrono::{FixedOffset, NaiveDate, TimeZone};
use numgate_domain::PhoneNumber;
use numgate_store::{SendQuery, SendRecord};

use crate::error::ApiError;
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

pub async fn query(
    state: &AppState,
    tenant_id: i64,
    q: DetailsQuery,
) -> Result<(u64, Vec<SendRecord>), ApiError> {
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
