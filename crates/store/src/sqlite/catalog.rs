//! SMS signatures and templates in SQLite, and the complimentary ones every tenant gets.

use async_trait::async_trait;
use rusqlite::{params, Connection, Row};

use super::{all, col, execute, optional, SqliteStore};
use crate::seed::{COMPLIMENTARY_SIGNATURES, COMPLIMENTARY_TEMPLATES};
use crate::{Result, SmsCatalog, SmsSignature, SmsTemplate};

/// Adds the complimentary catalog to a tenant; entries it has already are left alone.
pub(super) fn seed(conn: &Connection, tenant_id: i64) -> Result<()> {
    for name in COMPLIMENTARY_SIGNATURES {
        execute(
            conn,
            "INSERT INTO sms_signatures (tenant_id, name, complimentary, approved) \
             VALUES (?, ?, 1, 1) ON CONFLICT DO NOTHING",
            params![tenant_id, name],
        )?;
    }
    for (code, name, content) in COMPLIMENTARY_TEMPLATES {
        execute(
            conn,
            "INSERT INTO sms_templates (tenant_id, code, name, content, complimentary, approved) \
             VALUES (?, ?, ?, ?, 1, 1) ON CONFLICT DO NOTHING",
            params![tenant_id, code, name, content],
        )?;
    }
    Ok(())
}

const SIGNATURES: &str = "SELECT tenant_id, name, complimentary, approved FROM sms_signatures";
const TEMPLATES: &str =
    "SELECT tenant_id, code, name, content, complimentary, approved FROM sms_templates";

fn signature(row: &Row<'_>) -> Result<SmsSignature> {
    Ok(SmsSignature {
        tenant_id: col(row, "tenant_id")?,
        name: col(row, "name")?,
        complimentary: col(row, "complimentary")?,
        approved: col(row, "approved")?,
    })
}

fn template(row: &Row<'_>) -> Result<SmsTemplate> {
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
        self.read(move |conn| {
            all(
                conn,
                &format!("{SIGNATURES} WHERE tenant_id = ? ORDER BY name"),
                params![tenant_id],
                signature,
            )
        })
        .await
    }

    async fn list_templates(&self, tenant_id: i64) -> Result<Vec<SmsTemplate>> {
        self.read(move |conn| {
            all(
                conn,
                &format!("{TEMPLATES} WHERE tenant_id = ? ORDER BY code"),
                params![tenant_id],
                template,
            )
        })
        .await
    }

    async fn find_signature(&self, tenant_id: i64, name: &str) -> Result<Option<SmsSignature>> {
        let name = name.to_owned();
        self.read(move |conn| {
            optional(
                conn,
                &format!("{SIGNATURES} WHERE tenant_id = ? AND name = ?"),
                params![tenant_id, name],
                signature,
            )
        })
        .await
    }

    async fn find_template(&self, tenant_id: i64, code: &str) -> Result<Option<SmsTemplate>> {
        let code = code.to_owned();
        self.read(move |conn| {
            optional(
                conn,
                &format!("{TEMPLATES} WHERE tenant_id = ? AND code = ?"),
                params![tenant_id, code],
                template,
            )
        })
        .await
    }
}
