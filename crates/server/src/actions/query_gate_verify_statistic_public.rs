//! `QueryGateVerifyStatisticPublic`: a tenant's verification attempts per day, by
//! method, with success, fail and unknown counts (see `service::stats`).
//!
//! `AuthenticationType`: 1 one-click, 2 number check (H5 included), 3 SMS,
//! 4 liveness (numgate has none: zeros), and numgate's own 5: Fusion-Auth scenes.
//! `SceneCode` is the scheme's code (Alibaba's "scene" of this call); with type 5
//! a Fusion-Auth scene template id (`100001`…) filters by scene instead.
//! `OsType` is the scheme's OS (`Android`, `iOS`, `HarmonyOS`, `Web`, or
//! `unknown` for SMS). Days are in the calendar of `sms.utc_offset_hours`.

use numgate_domain::stats::{Day, Method, OS_TYPES, OS_UNKNOWN};
use numgate_store::StatFilter;
use serde_json::{json, Value};

use super::{payload, Caller, Payload};
use crate::error::{ApiError, BizCode};
use crate::params::Params;
use crate::service::stats;
use crate::state::AppState;

/// The longest range one query may ask for, in days.
pub const MAX_DAYS: i64 = 90;

pub async fn run(state: &AppState, caller: &Caller, p: &Params) -> Result<Payload, ApiError> {
    let bad = |m: &str| ApiError::biz(BizCode::InvalidParameters, m.to_owned());
    let method = match p.required_int("AuthenticationType")? {
        1 => Some(Method::OneClick),
        2 => Some(Method::NumberCheck),
        3 => Some(Method::Sms),
        4 => None,
        5 => Some(Method::Fusion),
        _ => {
            return Err(bad(
                "AuthenticationType must be 1 (one-click), 2 (number check), 3 (SMS), \
                 4 (liveness) or 5 (Fusion-Auth)",
            ))
        }
    };
    let date = |name: &'static str| -> Result<Day, ApiError> {
        Day::parse_compact(p.required(name)?)
            .ok_or_else(|| bad(&format!("{name} must be a date in the form yyyyMMdd")))
    };
    let (from, to) = (date("StartDate")?, date("EndDate")?);
    if to < from {
        return Err(bad("EndDate must not be before StartDate"));
    }
    if to.days() - from.days() + 1 > MAX_DAYS {
        return Err(bad(&format!(
            "StartDate to EndDate may span at most {MAX_DAYS} days"
        )));
    }
    let os_type = match p.opt("OsType").map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(os) => Some(
            OS_TYPES
                .into_iter()
                .chain([OS_UNKNOWN])
                .find(|o| o.eq_ignore_ascii_case(os))
                .ok_or_else(|| bad("OsType must be Android, iOS, HarmonyOS, Web or unknown"))?
                .to_owned(),
        ),
    };
    let scene_code = p.opt("SceneCode").map(str::trim).filter(|s| !s.is_empty());
    if scene_code.is_some_and(|s| s.len() > 64 || !s.bytes().all(|b| b.is_ascii_graphic())) {
        return Err(bad("SceneCode must be a scheme code"));
    }

    let days = match method {
        Some(method) => {
            let is_scene = method == Method::Fusion
                && scene_code
                    .is_some_and(|s| s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()));
            let filter = StatFilter {
                method,
                os_type,
                scheme: scene_code.filter(|_| !is_scene).map(str::to_owned),
                scene: scene_code.filter(|_| is_scene).map(str::to_owned),
            };
            stats::per_day(state, caller.tenant.id, filter, from, to).await?
        }
        // Liveness: numgate has none, every day is zeros.
        None => {
            let mut all = Vec::new();
            let mut d = from;
            while d <= to {
                all.push((d, numgate_store::DayStats::default()));
                d = d.plus(1);
            }
            all
        }
    };
    let (mut success, mut fail, mut unknown) = (0u64, 0u64, 0u64);
    let rows: Vec<Value> = days
        .iter()
        .map(|(d, s)| {
            success += s.success;
            fail += s.fail;
            unknown += s.unknown;
            json!({
                "StatisticDateStr": d.compact(),
                "TotalSuccess": s.success,
                "TotalFail": s.fail,
                "TotalUnknown": s.unknown,
            })
        })
        .collect();
    Ok(payload([(
        "Data",
        json!({
            "Total": success + fail + unknown,
            "TotalSuccess": success,
            "TotalFail": fail,
            "TotalUnknown": unknown,
            "DayStatistic": rows,
        }),
    )]))
}
