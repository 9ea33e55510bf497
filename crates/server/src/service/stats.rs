//! Statistics of verification attempts: where the service counts them, and the
//! query behind `QueryGateVerifyStatisticPublic` (and later the console).
//!
//! What success, fail and unknown mean per method is `numgate_domain::stats`.
//! The counting points: `GetMobile` and H5 `GetPhoneWithToken` (one-click),
//! `VerifyMobile` and H5 `VerifyPhoneWithToken` (number check), the end of a
//! Fusion-Auth run (`fusion::finish`), and SMS in the store itself (a send is
//! counted as unknown in its transaction and moved by its final status). An
//! attempt is counted once it has a scheme: a token that does not open names
//! none, and is not counted.

use numgate_domain::stats::{self, Day, Method, Outcome};
use numgate_store::{DayStats, StatFilter, StatKey};

use crate::error::ApiError;
use crate::state::AppState;

/// The day of `now` in the service's calendar (`sms.utc_offset_hours`).
pub fn today(state: &AppState) -> Day {
    Day::of(
        state.clock.now_millis(),
        i64::from(state.config.sms.utc_offset_hours) * 3_600_000,
    )
}

/// What an attempt is counted under.
pub struct Attempt<'a> {
    pub tenant_id: i64,
    pub method: Method,
    /// The scheme code.
    pub scheme: &'a str,
    /// A Fusion-Auth scene code, or empty.
    pub scene: &'a str,
    /// The scheme's `OsType` / platform, if it has one.
    pub os: Option<&'a str>,
}

/// Counts one attempt today, and charges it when it is a success. The verification it counts has happened (a token
/// is spent): a failure to count is logged, not answered as the attempt's error.
pub async fn count(state: &AppState, a: Attempt<'_>, outcome: Outcome) {
    let key = StatKey {
        tenant_id: a.tenant_id,
        method: a.method,
        day: today(state).iso(),
        scheme: a.scheme.to_owned(),
        scene: a.scene.to_owned(),
        os_type: stats::os_type(a.os).to_owned(),
    };
    if let Err(e) = state.store.count_attempt(key, outcome, 1).await {
        tracing::error!(error = %e, method = %a.method, "an attempt was not counted");
    }
    // Only successes are billed (an SMS by the store, per delivered segment).
    if outcome.billable() && a.method != Method::Sms {
        super::billing::charge(state, a.tenant_id, a.method, a.scheme, a.scene).await;
    }
}

/// The tenant's attempts per day in `[from, to]`, every day present (zeros where
/// there were none).
pub async fn per_day(
    state: &AppState,
    tenant_id: i64,
    filter: StatFilter,
    from: Day,
    to: Day,
) -> Result<Vec<(Day, DayStats)>, ApiError> {
    let rows = state
        .store
        .query_statistics(tenant_id, filter, &from.iso(), &to.iso())
        .await?;
    let mut rows = rows.into_iter().peekable();
    let mut all = Vec::new();
    let mut d = from;
    while d <= to {
        let iso = d.iso();
        let row = match rows.peek() {
            Some(r) if r.day == iso => rows.next().unwrap_or_default(),
            _ => DayStats {
                day: iso,
                ..DayStats::default()
            },
        };
        all.push((d, row));
        d = d.plus(1);
    }
    Ok(all)
}
