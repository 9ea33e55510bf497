//! Billing in SQLite: resource plans and charged units per month. The single
//! writer makes plan consumption exact: a charge reads and takes in one job.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use numgate_domain::stats::Method;
use rusqlite::{params, Connection, Row};

use super::{all, col, execute, map_err, one, to_u64, SqliteStore};
use crate::{Billing, Charge, Charged, NewPlan, PlanRecord, Result, StoreError, UsageRow};

fn method(row: &Row<'_>) -> Result<Method> {
    let m: String = col(row, "method")?;
    Method::parse(&m).ok_or_else(|| StoreError::Other(format!("unknown method {m}").into()))
}

fn plan(row: &Row<'_>) -> Result<PlanRecord> {
    Ok(PlanRecord {
        id: col(row, "id")?,
        tenant_id: col(row, "tenant_id")?,
        method: method(row)?,
        total: to_u64(col(row, "total")?),
        used: to_u64(col(row, "used")?),
        valid_from: col(row, "valid_from")?,
        valid_until: col(row, "valid_until")?,
        created_at: col(row, "created_at")?,
    })
}

/// Charges in the caller's transaction (also the delivery of an SMS).
pub(super) fn charge_in(conn: &Connection, c: &Charge) -> Result<Charged> {
    let plans: Vec<(i64, i64)> = all(
        conn,
        "SELECT id, total - used AS left FROM billing_plans WHERE tenant_id = ? AND method = ? \
         AND valid_from <= ? AND ? < valid_until AND used < total ORDER BY valid_until, id",
        params![c.tenant_id, c.method.as_str(), c.now, c.now],
        |row| Ok((col(row, "id")?, col(row, "left")?)),
    )?;
    let mut rest = i64::try_from(c.units).unwrap_or(i64::MAX);
    let mut taken = 0i64;
    for (id, left) in plans {
        if rest == 0 {
            break;
        }
        let take = rest.min(left);
        let n = execute(
            conn,
            "UPDATE billing_plans SET used = used + ? WHERE id = ? AND used + ? <= total",
            params![take, id, take],
        )?;
        if n == 1 {
            rest -= take;
            taken += take;
        }
    }
    execute(
        conn,
        "INSERT INTO billing_usage (tenant_id, month, method, scheme, scene, plan_units, \
         paid_units) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, month, method, scheme, \
         scene) DO UPDATE SET plan_units = plan_units + excluded.plan_units, \
         paid_units = paid_units + excluded.paid_units",
        params![
            c.tenant_id,
            c.month,
            c.method.as_str(),
            c.scheme,
            c.scene,
            taken,
            rest
        ],
    )?;
    Ok(Charged {
        plan_units: to_u64(taken),
        paid_units: to_u64(rest),
    })
}

#[async_trait]
impl Billing for SqliteStore {
    async fn add_plan(&self, p: NewPlan) -> Result<i64> {
        let total = i64::try_from(p.total).unwrap_or(i64::MAX);
        self.write_atomic(move |conn| {
            one(
                conn,
                "INSERT INTO billing_plans (tenant_id, method, total, used, valid_from, \
                 valid_until, created_at) VALUES (?, ?, ?, 0, ?, ?, ?) RETURNING id",
                params![
                    p.tenant_id,
                    p.method.as_str(),
                    total,
                    p.valid_from,
                    p.valid_until,
                    p.created_at
                ],
                |row| row.get(0).map_err(map_err),
            )
        })
        .await
    }

    async fn list_plans(&self, tenant_id: Option<i64>) -> Result<Vec<PlanRecord>> {
        self.read(move |conn| {
            all(
                conn,
                "SELECT id, tenant_id, method, total, used, valid_from, valid_until, created_at \
                 FROM billing_plans WHERE ?1 IS NULL OR tenant_id = ?1 ORDER BY tenant_id, id",
                params![tenant_id],
                plan,
            )
        })
        .await
    }

    async fn plan_units_left(&self, tenant_id: i64, method: Method, now: Millis) -> Result<u64> {
        self.read(move |conn| {
            one(
                conn,
                "SELECT COALESCE(SUM(total - used), 0) FROM billing_plans WHERE tenant_id = ? \
                 AND method = ? AND valid_from <= ? AND ? < valid_until",
                params![tenant_id, method.as_str(), now, now],
                |row| Ok(to_u64(row.get(0).map_err(map_err)?)),
            )
        })
        .await
    }

    async fn charge(&self, c: Charge) -> Result<Charged> {
        self.write(move |conn| charge_in(conn, &c)).await
    }

    async fn monthly_usage(&self, tenant_id: i64, month: &str) -> Result<Vec<UsageRow>> {
        let month = month.to_owned();
        self.read(move |conn| {
            all(
                conn,
                "SELECT method, scheme, scene, plan_units, paid_units FROM billing_usage \
                 WHERE tenant_id = ? AND month = ? ORDER BY method, scheme, scene",
                params![tenant_id, month],
                |row| {
                    Ok(UsageRow {
                        method: method(row)?,
                        scheme: col(row, "scheme")?,
                        scene: col(row, "scene")?,
                        plan_units: to_u64(col(row, "plan_units")?),
                        paid_units: to_u64(col(row, "paid_units")?),
                    })
                },
            )
        })
        .await
    }
}
