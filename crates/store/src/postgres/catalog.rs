//! SMS signatures and templates in PostgreSQL, and the seeding of the complimentary ones.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::PgConnection;

use super::{col, map_err, PgStore};
use crate::seed::{COMPLIMENTARY_SIGNATURES, COMPLIMENTARY_TEMPLATES};
use crate::{Result, SmsCatalog, SmsSignature, SmsTemplate};

/// Adds the complimentary catalog to a tenant; entries it has already are left
/// alone, so that two nodes seeding one tenant at once end with one catalog.
pub(super) async fn seed(conn: &mut PgConnection, tenant_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO sms_signatures (tenant_id, name, complimentary, approved) \
         SELECT $1, name, TRUE, TRUE FROM UNNEST($2::TEXT[]) AS s (name) \
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant_id)
    .bind(COMPLIMENTARY_SIGNATURES)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    let column = |i: fn(&(&'static str, &'static str, &'static str)) -> &'static str| {
        COMPLIMENTARY_TEMPLATES.iter().map(i).collect::<Vec<_>>()
    };
    sqlx::query(
        "INSERT INTO sms_templates (tenant_id, code, name, content, complimentary, approved) \
         SELECT $1, code, name, content, TRUE, TRUE \
         FROM UNNEST($2::TEXT[], $3::TEXT[], $4::TEXT[]) AS t (code, name, content) \
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant_id)
    .bind(column(|t| t.0))
    .bind(column(|t| t.1))
    .bind(column(|t| t.2))
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

const SIGNATURES: &str = "SELECT tenant_id, name, complimentary, approved FROM sms_signatures";
const TEMPLATES: &str =
    "SELECT tenant_id, code, name, content, complimentary, approved FROM sms_templates";

fn signature(row: &PgRow) -> Result<SmsSignature> {
    Ok(SmsSignature {
        tenant_id: col(row, "tenant_id")?,
        name: col(row, "name")?,
        complimentary: col(row, "complimentary")?,
        approved: col(row, "approved")?,
    })
}

fn template(row: &PgRow) -> Result<SmsTemplate> {
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
impl SmsCatalog for PgStore {
    async fn list_signatures(&self, tenant_id: i64) -> Result<Vec<SmsSignature>> {
        // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
        sqlx::query(&format!(
            "{SIGNATURES} WHERE tenant_id = $1 ORDER BY name COLLATE \"C\""
        ))
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?
        .iter()
        .map(signature)
        .collect()
    }

    async fn list_templates(&self, tenant_id: i64) -> Result<Vec<SmsTemplate>> {
        sqlx::query(&format!(
            "{TEMPLATES} WHERE tenant_id = $1 ORDER BY code COLLATE \"C\""
        ))
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?
        .iter()
        .map(template)
        .collect()
    }

    async fn find_signature(&self, tenant_id: i64, name: &str) -> Result<Option<SmsSignature>> {
        sqlx::query(&format!("{SIGNATURES} WHERE tenant_id = $1 AND name = $2"))
            .bind(tenant_id)
            .bind(name)
            .fetch_optional(self.pool())
            .await
            .map_err(map_err)?
            .as_ref()
            .map(signature)
            .transpose()
    }

    async fn find_template(&self, tenant_id: i64, code: &str) -> Result<Option<SmsTemplate>> {
        sqlx::query(&format!("{TEMPLATES} WHERE tenant_id = $1 AND code = $2"))
            .bind(tenant_id)
            .bind(code)
            .fetch_optional(self.pool())
            .await
            .map_err(map_err)?
            .as_ref()
            .map(template)
            .transpose()
    }
}
