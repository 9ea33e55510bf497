//! SMS signatures and templates in SQLite, and the complimentary ones every tenant gets.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::SqliteConnection;

use super::{col, map_err, SqliteStore};
use crate::seed::{COMPLIMENTARY_SIGNATURES, COMPLIMENTARY_TEMPLATES};
use crate::{Result, SmsCatalog, SmsSignature, SmsTemplate};

/// Adds the complimentary catalog to a tenant; entries it has already are left alone.
pub(super) async fn seed(conn: &mut SqliteConnection, tenant_id: i64) -> Result<()> {
    for name in COMPLIMENTARY_SIGNATURES {
        sqlx::query(
            "INSERT INTO sms_signatures (tenant_id, name, complimentary, approved) \
             VALUES (?, ?, 1, 1) ON CONFLICT DO NOTHING",
        )
        .bind(tenant_id)
        .bind(name)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    }
    for (code, name, content) in COMPLIMENTARY_TEMPLATES {
        sqlx::query(
            "INSERT INTO sms_templates (tenant_id, code, name, content, complimentary, approved) \
             VALUES (?, ?, ?, ?, 1, 1) ON CONFLICT DO NOTHING",
        )
        .bind(tenant_id)
        .bind(code)
        .bind(name)
        .bind(content)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    }
    Ok(())
}

const SIGNATURES: &str = "SELECT tenant_id, name, complimentary, approved FROM sms_signatures";
const TEMPLATES: &str =
    "SELECT tenant_id, code, name, content, complimentary, approved FROM sms_templates";

fn signature(row: &SqliteRow) -> Result<SmsSignature> {
    Ok(SmsSignature {
        tenant_id: col(row, "tenant_id")?,
        name: col(row, "name")?,
        complimentary: col(row, "complimentary")?,
        approved: col(row, "approved")?,
    })
}

fn template(row: &SqliteRow) -> Result<SmsTemplate> {
    Ok(SmsTemplate {
        tenant_id: col(row, "tenant_id")?,
        code: col(row, "code")?,
        name: col(row, "name")?,
        content: col(row, "content")?,
        complimentary: col(row, "complimentary")?,
        approved: col(row, "approved")?,
    })
}

#[async_trait]
impl SmsCatalog for SqliteStore {
    async fn list_signatures(&self, tenant_id: i64) -> Result<Vec<SmsSignature>> {
        sqlx::query(&format!("{SIGNATURES} WHERE tenant_id = ? ORDER BY name"))
            .bind(tenant_id)
            .fetch_all(self.reader())
            .await
            .map_err(map_err)?
            .iter()
            .map(signature)
            .collect()
    }

    async fn list_templates(&self, tenant_id: i64) -> Result<Vec<SmsTemplate>> {
        sqlx::query(&format!("{TEMPLATES} WHERE tenant_id = ? ORDER BY code"))
            .bind(tenant_id)
            .fetch_all(self.reader())
            .await
            .map_err(map_err)?
            .iter()
            .map(template)
            .collect()
    }

    async fn find_signature(&self, tenant_id: i64, name: &str) -> Result<Option<SmsSignature>> {
        sqlx::query(&format!("{SIGNATURES} WHERE tenant_id = ? AND name = ?"))
            .bind(tenant_id)
            .bind(name)
            .fetch_optional(self.reader())
            .await
            .map_err(map_err)?
            .as_ref()
            .map(signature)
            .transpose()
    }

    async fn find_template(&self, tenant_id: i64, code: &str) -> Result<Option<SmsTemplate>> {
        sqlx::query(&format!("{TEMPLATES} WHERE tenant_id = ? AND code = ?"))
            .bind(tenant_id)
            .bind(code)
            .fetch_optional(self.reader())
            .await
            .map_err(map_err)?
            .as_ref()
            .map(template)
            .transpose()
    }
}
