//! Billing in PostgreSQL: resource plans and charged units per month. A charge
//! locks the plans it may take from (`FOR UPDATE`, always in the same order, so
//! concurrent charges queue instead of deadlocking) and takes what their current
//! versions have left: exact across any number of nodes.

use async_trait::async_trait;
use numgate_domain::clock::Millis;
use numgate_domain::stats::Method;
use sqlx::postgres::PgRow;
use sqlx::PgConnection;

use super::{col, map_err, to_u64, PgStore};
use crate::{Billing, Charge, Charged, NewPlan, PlanRecord, Result, StoreError, UsageRow};

fn method(row: &PgRow) -> Result<Method> {
    let m: String = col(row, "method")?;
    Method::parse(&m).ok_or_else(|| StoreError::Other(format!("unknown method {m}").into()))
}

fn plan(row: &PgRow) -> Result<PlanRecord> {
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
pub(super) async fn charge_in(conn: &mut PgConnection, c: &Charge) -> Result<Charged> {
    let plans: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, total - used FROM billing_plans WHERE tenant_id = $1 AND method = $2 \
         AND valid_from <= $3 AND $3 < valid_until AND used < total \
         ORDER BY valid_until, id FOR UPDATE",
    )
    .bind(c.tenant_id)
    .bind(c.method.as_str())
    .bind(c.now)
    .fetch_all(&mut *conn)
    .await
    .map_err(map_err)?;
    let mut rest = i64::try_from(c.units).unwrap_or(i64::MAX);
    let mut taken = 0i64;
    for (id, left) in plans {
        if rest == 0 {
            break;
        }
        let take = rest.min(left);
        let n = sqlx::query(
            "UPDATE billing_plans SET used = used + $1 WHERE id = $2 AND used + $1 <= total",
        )
        .bind(take)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?
        .rows_affected();
        if n == 1 {
            rest -= take;
            taken += take;
        }
    }
    sqlx::query(
        "INSERT INTO billing_usage (tenant_id, month, method, scheme, scene, plan_units, \
         paid_units) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, month, method, \
         scheme, scene) DO UPDATE SET plan_units = billing_usage.plan_units + excluded.plan_units, \
         paid_units = billing_usage.paid_units + excluded.paid_units",
    )
    .bind(c.tenant_id)
    .bind(&c.month)
    .bind(c.method.as_str())
    .bind(&c.scheme)
    .bind(&c.scene)
    .bind(taken)
    .bind(rest)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(Charged {
        plan_units: to_u64(taken),
        paid_units: to_u64(rest),
    })
}

#[async_trait]
impl Billing for PgStore {
    async fn add_plan(&self, p: NewPlan) -> Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO billing_plans (tenant_id, method, total, used, valid_from, \
             valid_until, created_at) VALUES ($1, $2, $3, 0, $4, $5, $6) RETURNING id",
        )
        .bind(p.tenant_id)
        .bind(p.method.as_str())
        .bind(i64::try_from(p.total).unwrap_or(i64::MAX))
        .bind(p.valid_from)
        .bind(p.valid_until)
        .bind(p.created_at)
        .fetch_one(self.pool())
        .await
        .map_err(map_err)
    }

    async fn list_plans(&self, tenant_id: Option<i64>) -> Result<Vec<PlanRecord>> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, method, total, used, valid_from, valid_until, created_at \
             FROM billing_plans WHERE $1::BIGINT IS NULL OR tenant_id = $1 \
             ORDER BY tenant_id, id",
        )
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        rows.iter().map(plan).collect()
    }

    async fn plan_units_left(&self, tenant_id: i64, method: Method, now: Millis) -> Result<u64> {
        let left: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(total - used), 0)::BIGINT FROM billing_plans \
             WHERE tenant_id = $1 AND method = $2 AND valid_from <= $3 AND $3 < valid_until",
        )
        .bind(tenant_id)
        .bind(method.as_str())
        .bind(now)
        .fetch_one(self.pool())
        .await
        .map_err(map_err)?;
        Ok(to_u64(left))
    }

    async fn charge(&self, c: Charge) -> Result<Charged> {
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        let charged = charge_in(&mut tx, &c).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(charged)
    }

    async fn monthly_usage(&self, tenant_id: i64, month: &str) -> Result<Vec<UsageRow>> {
        let rows = sqlx::query(
            "SELECT method, scheme, scene, plan_units, paid_units FROM billing_usage \
             WHERE tenant_id = $1 AND month = $2 ORDER BY method, scheme, scene",
        )
        .bind(tenant_id)
        .bind(month)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(UsageRow {
                    method: method(row)?,
                    scheme: col(row, "scheme")?,
                    scene: col(row, "scene")?,
                    plan_units: to_u64(col(row, "plan_units")?),
                    paid_units: to_u64(col(row, "paid_units")?),
                })
            })
            .collect()
    }
}
