//! Verification schemes in PostgreSQL: created under unique indexes, found, listed,
//! deleted. A conflict is told apart by the name of the index it hit, so a
//! concurrent create on another node is refused by the same rule.

use async_trait::async_trait;
use sqlx::postgres::PgRow;

use super::{col, map_err, PgStore};
use crate::{CreateScheme, NewScheme, Result, SchemeRecord, Schemes, UpdateScheme};

const COLUMNS: &str = "SELECT code, tenant_id, name, app_name, os_type, pack_name, pack_sign, \
     bundle_id, url, origin, hm_app_identifier, hm_package_name, hm_sign_name, auth_type, \
     scene_type, sms_sign_name, ip_white_list, email, cm_api_code, ct_api_code, cu_api_code, \
     sealed_secret, created_at FROM verify_schemes";

fn record(row: &PgRow) -> Result<SchemeRecord> {
    Ok(SchemeRecord {
        code: col(row, "code")?,
        tenant_id: col(row, "tenant_id")?,
        name: col(row, "name")?,
        app_name: col(row, "app_name")?,
        os_type: col(row, "os_type")?,
        pack_name: col(row, "pack_name")?,
        pack_sign: col(row, "pack_sign")?,
        bundle_id: col(row, "bundle_id")?,
        url: col(row, "url")?,
        origin: col(row, "origin")?,
        hm_app_identifier: col(row, "hm_app_identifier")?,
        hm_package_name: col(row, "hm_package_name")?,
        hm_sign_name: col(row, "hm_sign_name")?,
        auth_type: col(row, "auth_type")?,
        scene_type: col(row, "scene_type")?,
        sms_sign_name: col(row, "sms_sign_name")?,
        ip_white_list: col(row, "ip_white_list")?,
        email: col(row, "email")?,
        cm_api_code: col(row, "cm_api_code")?,
        ct_api_code: col(row, "ct_api_code")?,
        cu_api_code: col(row, "cu_api_code")?,
        sealed_secret: col(row, "sealed_secret")?,
        created_at: col(row, "created_at")?,
    })
}

/// Which unique index (of `migrations/postgres/0002_schemes.sql`) a violation hit.
fn conflict(e: &sqlx::Error) -> Option<CreateScheme> {
    let sqlx::Error::Database(d) = e else {
        return None;
    };
    if d.code().as_deref() != Some("23505") {
        return None;
    }
    Some(match d.constraint()? {
        "verify_schemes_pkey" => CreateScheme::CodeTaken,
        "verify_schemes_name" => CreateScheme::NameTaken,
        "verify_schemes_pack_sign" => CreateScheme::PackSignTaken,
        "verify_schemes_bundle_id" => CreateScheme::BundleIdTaken,
        "verify_schemes_h5" => CreateScheme::UrlTaken,
        _ => return None,
    })
}

#[async_trait]
impl Schemes for PgStore {
    async fn create_scheme(&self, new: NewScheme) -> Result<CreateScheme> {
        let inserted = sqlx::query(
            "INSERT INTO verify_schemes (code, tenant_id, name, app_name, os_type, \
             pack_name, pack_sign, bundle_id, url, origin, hm_app_identifier, \
             hm_package_name, hm_sign_name, auth_type, scene_type, sms_sign_name, \
             ip_white_list, email, cm_api_code, ct_api_code, cu_api_code, \
             sealed_secret, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18, $19, $20, $21, $22, $23)",
        )
        .bind(&new.code)
        .bind(new.tenant_id)
        .bind(&new.name)
        .bind(&new.app_name)
        .bind(&new.os_type)
        .bind(&new.pack_name)
        .bind(&new.pack_sign)
        .bind(&new.bundle_id)
        .bind(&new.url)
        .bind(&new.origin)
        .bind(&new.hm_app_identifier)
        .bind(&new.hm_package_name)
        .bind(&new.hm_sign_name)
        .bind(&new.auth_type)
        .bind(&new.scene_type)
        .bind(&new.sms_sign_name)
        .bind(&new.ip_white_list)
        .bind(&new.email)
        .bind(new.cm_api_code)
        .bind(new.ct_api_code)
        .bind(new.cu_api_code)
        .bind(&new.sealed_secret)
        .bind(new.created_at)
        .execute(self.pool())
        .await;
        match inserted {
            Ok(_) => Ok(CreateScheme::Created(Box::new(new))),
            Err(e) => conflict(&e).map_or_else(|| Err(map_err(e)), Ok),
        }
    }

    async fn find_scheme(&self, tenant_id: i64, code: &str) -> Result<Option<SchemeRecord>> {
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

    async fn find_scheme_by_code(&self, code: &str) -> Result<Option<SchemeRecord>> {
        sqlx::query(&format!("{COLUMNS} WHERE code = $1"))
            .bind(code)
            .fetch_optional(self.pool())
            .await
            .map_err(map_err)?
            .as_ref()
            .map(record)
            .transpose()
    }

    async fn list_schemes(&self, tenant_id: i64) -> Result<Vec<SchemeRecord>> {
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

    async fn delete_scheme(&self, tenant_id: i64, code: &str) -> Result<bool> {
        let deleted = sqlx::query("DELETE FROM verify_schemes WHERE tenant_id = $1 AND code = $2")
            .bind(tenant_id)
            .bind(code)
            .execute(self.pool())
            .await
            .map_err(map_err)?;
        Ok(deleted.rows_affected() > 0)
    }

    async fn update_scheme(&self, changed: SchemeRecord) -> Result<UpdateScheme<SchemeRecord>> {
        let returning = COLUMNS
            .trim_start_matches("SELECT ")
            .trim_end_matches(" FROM verify_schemes");
        let updated = sqlx::query(&format!(
            "UPDATE verify_schemes SET name = $1, app_name = $2, pack_name = $3, \
             pack_sign = $4, bundle_id = $5, url = $6, origin = $7, hm_app_identifier = $8, \
             hm_package_name = $9, hm_sign_name = $10 WHERE tenant_id = $11 AND code = $12 \
             RETURNING {returning}"
        ))
        .bind(&changed.name)
        .bind(&changed.app_name)
        .bind(&changed.pack_name)
        .bind(&changed.pack_sign)
        .bind(&changed.bundle_id)
        .bind(&changed.url)
        .bind(&changed.origin)
        .bind(&changed.hm_app_identifier)
        .bind(&changed.hm_package_name)
        .bind(&changed.hm_sign_name)
        .bind(changed.tenant_id)
        .bind(&changed.code)
        .fetch_optional(self.pool())
        .await;
        match updated {
            Ok(Some(row)) => Ok(UpdateScheme::Updated(Box::new(record(&row)?))),
            Ok(None) => Ok(UpdateScheme::NotFound),
            Err(e) => match conflict(&e) {
                Some(CreateScheme::NameTaken) => Ok(UpdateScheme::NameTaken),
                Some(CreateScheme::PackSignTaken) => Ok(UpdateScheme::PackSignTaken),
                Some(CreateScheme::BundleIdTaken) => Ok(UpdateScheme::BundleIdTaken),
                Some(CreateScheme::UrlTaken) => Ok(UpdateScheme::UrlTaken),
                _ => Err(map_err(e)),
            },
        }
    }
}
