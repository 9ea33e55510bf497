//! `numgate billing`: resource plans (list, add) and monthly bills, on a data
//! directory, also while a server runs on it.

use anyhow::anyhow;
use clap::Subcommand;
use numgate_domain::clock::{Clock, SystemClock};
use numgate_domain::stats::Day;
use numgate_server::service::audit::Actor;
use numgate_server::service::billing::{self, item_name, yuan, PlanInput};
use numgate_server::{open_data_dir, DEFAULT_TENANT};
use numgate_store::Tenant;
use serde_json::json;

use crate::Global;

#[derive(Subcommand)]
pub enum BillingCmd {
    /// Resource plans and what remains of them.
    Plans {
        /// Only this tenant's [default: all].
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// A month's bill: per method, scheme and scene, the successes charged (from
    /// plans and paid) and what the paid ones cost at the price list.
    Bill {
        /// yyyyMM
        #[arg(long)]
        month: String,
        #[arg(long, default_value = DEFAULT_TENANT)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Add a resource plan: N verifications of a method, valid from the start of
    /// --from to the end of --until (days in the calendar of sms.utc_offset_hours).
    AddPlan {
        #[arg(long, default_value = DEFAULT_TENANT)]
        tenant: String,
        /// one-click, number-check, sms (delivered segments) or fusion (passed scenes).
        #[arg(long)]
        method: String,
        /// How many verifications the plan holds.
        #[arg(long)]
        count: u64,
        /// First day, yyyyMMdd or YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last day, yyyyMMdd or YYYY-MM-DD.
        #[arg(long)]
        until: String,
        #[arg(long)]
        json: bool,
    },
}

/// `yyyyMM` to `YYYY-MM`, by the Open API's rule.
fn month(s: &str) -> anyhow::Result<String> {
    billing::parse_month(s).ok_or_else(|| anyhow!("--month: a month as yyyyMM (got {s:?})"))
}

/// Who the audit log names: the operator's login name.
fn actor() -> Actor {
    let user = std::env::var("USER")
        .ok()
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "operator".to_owned());
    Actor::Cli(user)
}

pub async fn run(global: &Global, cmd: BillingCmd) -> anyhow::Result<()> {
    let config = global.load()?;
    let offset_ms = i64::from(config.sms.utc_offset_hours) * 3_600_000;
    let data = open_data_dir(&config).await?;
    let store = data.store.as_ref();
    let find = |name: String| async move {
        store
            .find_tenant(&name)
            .await?
            .ok_or_else(|| anyhow!("no tenant {name:?}"))
    };
    match cmd {
        BillingCmd::Plans { tenant, json } => {
            let only: Option<Tenant> = match tenant {
                Some(name) => Some(find(name).await?),
                None => None,
            };
            let tenants = store.list_tenants().await?;
            let name_of = |id: i64| {
                tenants
                    .iter()
                    .find(|t| t.id == id)
                    .map(|t| t.name.clone())
                    .unwrap_or_default()
            };
            let plans = store.list_plans(only.map(|t| t.id)).await?;
            let day = |ms: i64| Day::of(ms, offset_ms).iso();
            if json {
                let rows: Vec<_> = plans
                    .iter()
                    .map(|p| {
                        json!({
                            "Id": p.id, "Tenant": name_of(p.tenant_id),
                            "Method": p.method.as_str(), "Total": p.total, "Used": p.used,
                            "Left": p.total - p.used, "ValidFrom": day(p.valid_from),
                            "ValidUntil": day(p.valid_until - 1),
                        })
                    })
                    .collect();
                outln!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                outln!("ID  TENANT  METHOD  TOTAL  USED  LEFT  FROM  UNTIL");
                for p in &plans {
                    outln!(
                        "{}  {}  {}  {}  {}  {}  {}  {}",
                        p.id,
                        name_of(p.tenant_id),
                        p.method,
                        p.total,
                        p.used,
                        p.total - p.used,
                        day(p.valid_from),
                        day(p.valid_until - 1)
                    );
                }
            }
        }
        BillingCmd::Bill {
            month: m,
            tenant,
            json,
        } => {
            let month = month(&m)?;
            let t = find(tenant).await?;
            let lines = billing::bill(store, &config.billing, t.id, &month, None)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            let sum: u64 = lines.iter().map(|l| l.amount).sum();
            if json {
                let rows: Vec<_> = lines
                    .iter()
                    .map(|l| {
                        json!({
                            "Method": l.method.as_str(), "Item": item_name(l.method),
                            "Scheme": l.scheme, "SchemeName": l.scheme_name,
                            "AppName": l.app_name, "Scene": l.scene,
                            "PlanUnits": l.plan_units, "PaidUnits": l.paid_units,
                            "UnitPrice": yuan(l.unit_price), "Amount": yuan(l.amount),
                        })
                    })
                    .collect();
                let bill =
                    json!({"Tenant": t.name, "Month": m, "Lines": rows, "AmountSum": yuan(sum)});
                outln!("{}", serde_json::to_string_pretty(&bill)?);
            } else {
                outln!("{} {}", t.name, month);
                outln!("METHOD  SCHEME  SCENE  PLAN  PAID  PRICE  AMOUNT");
                for l in &lines {
                    outln!(
                        "{}  {}  {}  {}  {}  {}  {}",
                        l.method,
                        l.scheme,
                        if l.scene.is_empty() { "-" } else { &l.scene },
                        l.plan_units,
                        l.paid_units,
                        yuan(l.unit_price),
                        yuan(l.amount)
                    );
                }
                outln!("total {} yuan", yuan(sum));
            }
        }
        BillingCmd::AddPlan {
            tenant,
            method: m,
            count,
            from,
            until,
            json,
        } => {
            let t = find(tenant).await?;
            let added = billing::add_plan(
                store,
                offset_ms,
                t.id,
                PlanInput {
                    method: &m,
                    count,
                    from: &from,
                    until: &until,
                },
                &actor(),
                SystemClock.now_millis(),
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
            let (id, method, from, until) = (added.id, added.method, added.from, added.until);
            if json {
                outln!(
                    "{}",
                    json!({"Id": id, "Tenant": t.name, "Method": method.as_str(), "Total": count,
                        "ValidFrom": from.iso(), "ValidUntil": until.iso()})
                );
            } else {
                outln!(
                    "plan {id}: {count} {method} for {} from {} to {}",
                    t.name,
                    from.iso(),
                    until.iso()
                );
            }
        }
    }
    Ok(())
}
