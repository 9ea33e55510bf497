//! Fusion-Auth schemes in PostgreSQL: created under unique indexes, found, listed,
//! deleted with their per-scheme policies. A conflict is told apart by the name of
//! the index it hit, so a concurrent create on another node is refused by the same
//! rule.
//!
//! A deletion takes the advisory lock of each of the scheme's policies (as a put or
//! a restore of one does, see `policies.rs`) before deleting them: a change of one
//! of them in progress on another node finishes first, and its row goes too.

use async_trait::async_trait;
use sqlx::postgres::PgRow;

use super::{col, map_err, policies, PgStore};
use crate::{
    CreateFusionScheme, FusionSchemeRecord, FusionSchemes, NewFusionScheme, Result, UpdateScheme,
};

const COLUMNS: &str = "SELECT code, tenant_id, name, app_name, platform, android_package_name, \
     android_package_sign, ios_bundle_id, h5_url, h5_origin, created_at FROM fusion_schemes";

fn record(row: &PgRow) -> Result<FusionSchemeRecord> {
    Ok(FusionSchemeRecord {
        code: col(row, "code")?,
        tenant_id: col(row, "tenant_id")?,
        name: col(row, "name")?,
        app_name: col(row, "app_name")?,
        platform: col(row, "platform")?,
        android_package_name: col(row, "android_package_name")?,
        android_package_sign: col(row, "android_package_sign")?,
        ios_bundle_id: col(row, "ios_bundle_id")?,
        h5_url: col(row, "h5_url")?,
        h5_origin: col(row, "h5_origin")?,
        created_at: col(row, "created_at")?,
    })
}

/// Which unique index (of `migrations/postgres/0005_fusion_schemes.sql`) a violation hit.
fn conflict(e: &sqlx::Error) -> Option<CreateFusionScheme> {
    let sqlx::Error::Database(d) = e else {
        return None;
    };
    if d.code().as_deref() != Some("23505") {
        return None;
    }
    Some(match d.constraint()? {
        "fusion_schemes_pkey" => CreateFusionScheme::CodeTaken,
        "fusion_schemes_name" => CreateFusionScheme::NameTaken,
        "fusion_schemes_pack_sign" => CreateFusionScheme::PackSignTaken,
        "fusion_schemes_bundle_id" => CreateFusionScheme::BundleIdTaken,
        "fusion_schemes_h5" => CreateFusionScheme::UrlTaken,
        _ => return None,
    })
}

#[async_trait]
impl FusionSchemes for PgStore {
    async fn create_fusion_scheme(&self, new: NewFusionScheme) -> Result<CreateFusionScheme> {
        let inserted = sqlx::query(
            "INSERT INTO fusion_schemes (code, tenant_id, name, app_name, platform, \
             android_package_name, android_package_sign, ios_bundle_id, h5_url, h5_origin, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&new.code)
        .bind(new.tenant_id)
        .bind(&new.name)
        .bind(&new.app_name)
        .bind(&new.platform)
        .bind(&new.android_package_name)
        .bind(&new.android_package_sign)
        .bind(&new.ios_bundle_id)
        .bind(&new.h5_url)
        .bind(&new.h5_origin)
        .bind(new.created_at)
        .execute(self.pool())
        .await;
        match inserted {
            Ok(_) => Ok(CreateFusionScheme::Created(Box::new(new))),
            Err(e) => conflict(&e).map_or_else(|| Err(map_err(e)), Ok),
        }
    }

    async fn find_fusion_scheme(
        &self,
        tenant_id: i64,
        code: &str,
    ) -> Result<Option<FusionSchemeRecord>> {
        sqlx::query(&format!("{COLUMNS} WHERE tenant_id = $1 AND code = $2"))
            .bind(tenant_id)
            .bind(code)
            .fetch_optional(self.pool())
            .await
            .map_err(map_err)?
            .as_ref()
            .map(record)
            .transpose()
    }

    async fn find_fusion_scheme_by_code(&self, code: &str) -> Result<Option<FusionSchemeRecord>> {
        sqlx::query(&format!("{COLUMNS} WHERE code = $1"))
            .bind(code)
            .fetch_optional(self.pool())
            .await
            .map_err(map_err)?
            .as_ref()
            .map(record)
            .transpose()
    }

    async fn list_fusion_schemes(&self, tenant_id: i64) -> Result<Vec<FusionSchemeRecord>> {
        sqlx::query(&format!(
            "{COLUMNS} WHERE tenant_id = $1 ORDER BY created_at, code COLLATE \"C\""
        ))
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?
        .iter()
        .map(record)
        .collect()
    }

    async fn delete_fusion_scheme(&self, tenant_id: i64, code: &str) -> Result<bool> {
        // Any early return drops the transaction: it is rolled back.
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        // The scheme's row lock makes a concurrent deletion of it wait, then find nothing.
        let deleted = sqlx::query("DELETE FROM fusion_schemes WHERE tenant_id = $1 AND code = $2")
            .bind(tenant_id)
            .bind(code)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        if deleted.rows_affected() == 0 {
            return Ok(false);
        }
        let scenes: Vec<i32> = sqlx::query_scalar(
            "SELECT scene FROM fusion_policies WHERE tenant_id = $1 AND scheme = $2 ORDER BY scene",
        )
        .bind(tenant_id)
        .bind(code)
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        // Each held until the commit; in scene order, one fixed order for all takers.
        for scene in scenes {
            policies::lock(&mut tx, tenant_id, scene, code).await?;
        }
        // Live policies and restored-to-defaults rows alike: the key is gone.
        sqlx::query("DELETE FROM fusion_policies WHERE tenant_id = $1 AND scheme = $2")
            .bind(tenant_id)
            .bind(code)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    async fn update_fusion_scheme(
        &self,
        changed: FusionSchemeRecord,
    ) -> Result<UpdateScheme<FusionSchemeRecord>> {
        let returning = COLUMNS
            .trim_start_matches("SELECT ")
            .trim_end_matches(" FROM fusion_schemes");
        let updated = sqlx::query(&format!(
            "UPDATE fusion_schemes SET name = $1, app_name = $2, android_package_name = $3, \
             android_package_sign = $4, ios_bundle_id = $5, h5_url = $6, h5_origin = $7 \
             WHERE tenant_id = $8 AND code = $9 RETURNING {returning}"
        ))
        .bind(&changed.name)
        .bind(&changed.app_name)
        .bind(&changed.android_package_name)
        .bind(&changed.android_package_sign)
        .bind(&changed.ios_bundle_id)
        .bind(&changed.h5_url)
        .bind(&changed.h5_origin)
        .bind(changed.tenant_id)
        .bind(&changed.code)
        .fetch_optional(self.pool())
        .await;
        match updated {
            Ok(Some(row)) => Ok(UpdateScheme::Updated(Box::new(record(&row)?))),
            Ok(None) => Ok(UpdateScheme::NotFound),
            Err(e) => match conflict(&e) {
                Some(CreateFusionScheme::NameTaken) => Ok(UpdateScheme::NameTaken),
                Some(CreateFusionScheme::PackSignTaken) => Ok(UpdateScheme::PackSignTaken),
                Some(CreateFusionScheme::BundleIdTaken) => Ok(UpdateScheme::BundleIdTaken),
                Some(CreateFusionScheme::UrlTaken) => Ok(UpdateScheme::UrlTaken),
                _ => Err(map_err(e)),
            },
        }
    }
}
