//! Billing: successes charged to resource plans first and then paid as you go,
//! the quota check of tenants refused when their prepaid quota is gone, and the
//! monthly bill (`QueryGateVerifyBillingPublic`, `numgate billing bill`).
//!
//! Only successes are charged (`Outcome::billable`): [`super::stats::count`]
//! charges one unit of a one-click, number check or Fusion-Auth success; an SMS
//! is charged per delivered segment by the store, in the transaction that
//! records the delivery. Money is in 1/10000 yuan, as integers.

use numgate_domain::clock::Millis;
use numgate_domain::stats::{Day, Method};
use numgate_store::{Charge, NewPlan, Store, UsageRow};
use serde_json::json;

use super::audit::{self, Actor, Change};
use crate::config::BillingConfig;

use crate::error::{ApiError, BizCode};
use crate::state::AppState;

/// Refuses (`isv.OUT_OF_SERVICE`) a tenant listed in `billing.refuse_when_empty`
/// whose valid plans of the method have no units left; called before the work.
pub async fn ensure_quota(
    state: &AppState,
    tenant_id: i64,
    method: Method,
) -> Result<(), ApiError> {
    let refused = &state.config.billing.refuse_when_empty;
    if refused.is_empty() {
        return Ok(());
    }
    let Some(tenant) = state.store.find_tenant_by_id(tenant_id).await? else {
        return Ok(());
    };
    if !refused.contains(&tenant.name) {
        return Ok(());
    }
    let now = state.clock.now_millis();
    if state.store.plan_units_left(tenant_id, method, now).await? == 0 {
        return Err(ApiError::biz(
            BizCode::OutOfService,
            "the prepaid quota of this verification method is used up",
        ));
    }
    Ok(())
}

/// Charges one success. The verification has happened: a failure to charge is
/// logged, not answered as the attempt's error.
pub async fn charge(state: &AppState, tenant_id: i64, method: Method, scheme: &str, scene: &str) {
    let charge = Charge {
        tenant_id,
        method,
        month: super::stats::today(state).month(),
        scheme: scheme.to_owned(),
        scene: scene.to_owned(),
        units: 1,
        now: state.clock.now_millis(),
    };
    if let Err(e) = state.store.charge(charge).await {
        tracing::error!(error = %e, %method, "a success was not charged");
    }
}

/// One line of a monthly bill: a method's paid units of one scheme and scene.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillLine {
    pub method: Method,
    /// The scheme code (the SchemeName for SMS).
    pub scheme: String,
    pub scheme_name: String,
    pub app_name: String,
    pub scene: String,
    pub plan_units: u64,
    pub paid_units: u64,
    /// 1/10000 yuan.
    pub unit_price: u64,
    /// `paid_units × unit_price`, 1/10000 yuan.
    pub amount: u64,
}

/// The tenant's bill of `month` (`YYYY-MM`), for one method or all.
/// Takes the store and the price list (not the server's state): the CLI makes
/// bills too.
pub async fn bill(
    store: &dyn Store,
    prices: &BillingConfig,
    tenant_id: i64,
    month: &str,
    method: Option<Method>,
) -> Result<Vec<BillLine>, ApiError> {
    let rows = store.monthly_usage(tenant_id, month).await?;
    let mut lines = Vec::new();
    for UsageRow {
        method: m,
        scheme,
        scene,
        plan_units,
        paid_units,
    } in rows
    {
        if method.is_some_and(|want| want != m) {
            continue;
        }
        let (scheme_name, app_name) = names(store, tenant_id, m, &scheme).await?;
        let unit_price = prices.price(m);
        lines.push(BillLine {
            method: m,
            scheme,
            scheme_name,
            app_name,
            scene,
            plan_units,
            paid_units,
            unit_price,
            amount: paid_units.saturating_mul(unit_price),
        });
    }
    Ok(lines)
}

/// The scheme's name and app name (empty when it is gone).
async fn names(
    store: &dyn Store,
    tenant_id: i64,
    method: Method,
    scheme: &str,
) -> Result<(String, String), ApiError> {
    Ok(match method {
        Method::Sms => (scheme.to_owned(), String::new()),
        Method::Fusion => store
            .find_fusion_scheme(tenant_id, scheme)
            .await?
            .map(|s| (s.name, s.app_name))
            .unwrap_or_default(),
        _ => store
            .find_scheme(tenant_id, scheme)
            .await?
            .map(|s| (s.name, s.app_name))
            .unwrap_or_default(),
    })
}

/// A month as `yyyyMM` (the Open API's and the CLI's form) to the stored
/// `YYYY-MM`; `None` for anything else.
pub fn parse_month(s: &str) -> Option<String> {
    let s = s.trim();
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m): (u32, u32) = (s[..4].parse().ok()?, s[4..].parse().ok()?);
    ((1970..=9999).contains(&y) && (1..=12).contains(&m)).then(|| format!("{y:04}-{m:02}"))
}

/// Most verifications one resource plan may hold.
pub const MAX_PLAN_UNITS: u64 = 1_000_000_000_000;

/// A resource plan to add, as a person gives it.
pub struct PlanInput<'a> {
    /// `one-click`, `number-check`, `sms` or `fusion` (`_` for `-` too).
    pub method: &'a str,
    pub count: u64,
    /// First and last day, `yyyyMMdd` or `YYYY-MM-DD`.
    pub from: &'a str,
    pub until: &'a str,
}

/// A plan as added: its id, method, size and first and last day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedPlan {
    pub id: i64,
    pub method: Method,
    pub total: u64,
    pub from: Day,
    pub until: Day,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::biz(BizCode::InvalidParameters, message.into())
}

fn plan_day(what: &str, s: &str) -> Result<Day, ApiError> {
    Day::parse_compact(s.trim())
        .or_else(|| Day::parse_iso(s.trim()))
        .ok_or_else(|| bad(format!("{what}: a date as yyyyMMdd or YYYY-MM-DD")))
}

/// Adds a resource plan for the tenant (`numgate billing add-plan`, the
/// console): `count` verifications of the method, valid from the start of
/// `from` to the end of `until`, days in the calendar `utc_offset_ms` east of
/// UTC. Every input is checked before anything changes; audited
/// (`billing.add_plan`).
pub async fn add_plan(
    store: &dyn Store,
    utc_offset_ms: Millis,
    tenant_id: i64,
    input: PlanInput<'_>,
    actor: &Actor,
    now: Millis,
) -> Result<AddedPlan, ApiError> {
    let method = Method::parse(&input.method.trim().replace('-', "_"))
        .ok_or_else(|| bad("method: one of one-click, number-check, sms, fusion"))?;
    let (from, until) = (
        plan_day("from", input.from)?,
        plan_day("until", input.until)?,
    );
    if until < from {
        return Err(bad("until must not be before from"));
    }
    if input.count == 0 || input.count > MAX_PLAN_UNITS {
        return Err(bad(format!("count: 1 to {MAX_PLAN_UNITS}")));
    }
    let start = |d: Day| d.days() * 86_400_000 - utc_offset_ms;
    let id = store
        .add_plan(NewPlan {
            tenant_id,
            method,
            total: input.count,
            valid_from: start(from),
            valid_until: start(until.plus(1)),
            created_at: now,
        })
        .await?;
    let added = AddedPlan {
        id,
        method,
        total: input.count,
        from,
        until,
    };
    audit::record(
        store,
        Change {
            tenant_id,
            actor,
            action: "billing.add_plan",
            target: format!("plan {id}"),
            before: None,
            after: Some(
                json!({
                    "method": method.as_str(),
                    "total": added.total,
                    "from": from.iso(),
                    "until": until.iso(),
                })
                .to_string(),
            ),
        },
        now,
    )
    .await?;
    Ok(added)
}

/// 1/10000 yuan as yuan with all four decimals: 300 → `0.0300`.
pub fn yuan4(amount: u64) -> String {
    format!("{}.{:04}", amount / 10_000, amount % 10_000)
}

/// What a line bills, in words: Alibaba's item names.
pub fn item_name(method: Method) -> &'static str {
    match method {
        Method::OneClick => "一键登录",
        Method::NumberCheck => "本机号码校验",
        Method::Sms => "短信认证",
        Method::Fusion => "融合认证",
    }
}

/// 1/10000 yuan as a decimal yuan string: 300 → `0.03`, 12345 → `1.2345`.
pub fn yuan(amount: u64) -> String {
    let (whole, frac) = (amount / 10_000, amount % 10_000);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:04}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::{parse_month, yuan, yuan4};

    #[test]
    fn months_are_yyyymm() {
        assert_eq!(parse_month("202603").as_deref(), Some("2026-03"));
        for bad in [
            "202613",
            "202600",
            "2026-3",
            "20260",
            "abcdef",
            "196912",
            "２０２６03",
        ] {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
    }

    #[test]
    fn four_decimals_for_the_price_list() {
        assert_eq!(yuan4(300), "0.0300");
        assert_eq!(yuan4(12_345), "1.2345");
        assert_eq!(yuan4(0), "0.0000");
    }

    #[test]
    fn amounts_print_as_yuan_without_floats() {
        assert_eq!(yuan(0), "0");
        assert_eq!(yuan(300), "0.03");
        assert_eq!(yuan(450), "0.045");
        assert_eq!(yuan(12_345), "1.2345");
        assert_eq!(yuan(20_000), "2");
    }
}

/// What a charge of a Fusion-Auth node is counted per.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeBasis {
    /// One unit when the scene passes (whichever method passed it), once per run.
    PassedScene,
    /// Each delivered SMS segment of the codes the node sends.
    DeliveredSegment,
}

impl ChargeBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeBasis::PassedScene => "passed_scene",
            ChargeBasis::DeliveredSegment => "delivered_segment",
        }
    }
}

/// How the work of a Fusion-Auth node of this kind is billed, by which method's
/// price: a method that passes the scene makes the run's one Fusion-Auth charge
/// (its carrier call is not billed on its own); the SMS code node also sends
/// SMS, billed per delivered segment as SMS; risk checks and number scoring are
/// not billed (empty).
pub fn fusion_node_charges(
    kind: numgate_domain::fusion::NodeKind,
) -> &'static [(Method, ChargeBasis)] {
    use numgate_domain::fusion::NodeKind;
    match kind {
        NodeKind::EndpointRisk | NodeKind::NumberRisk | NodeKind::NumberScoring => &[],
        NodeKind::OneClick | NodeKind::NumberCheck | NodeKind::UpstreamSms => {
            &[(Method::Fusion, ChargeBasis::PassedScene)]
        }
        NodeKind::SmsCode => &[
            (Method::Sms, ChargeBasis::DeliveredSegment),
            (Method::Fusion, ChargeBasis::PassedScene),
        ],
    }
}
