//! SMS signatures and templates in SQLite, and the complimentary ones every tenant gets.

use async_trait::async_trait;
use rusqlite::{params, Connection, Row};

use super::{all, col, execute, map_conflict, optional, SqliteStore};
use crate::seed::{COMPLIMENTARY_SIGNATURES, COMPLIMENTARY_TEMPLATES};
use crate::{
    NewSignature, NewTemplate, OwnerDetails, Result, Review, ReviewStatus, ReviewTrail, SmsCatalog,
    SmsSignature, SmsTemplate, StoreError,
};

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

const SIGNATURES: &str = "SELECT tenant_id, name, complimentary, approved, status, purpose, \
     owner_name, owner_id_number, contact_phone, reason, submitted_by, submitted_at, \
     reviewed_by, reviewed_at FROM sms_signatures";
const TEMPLATES: &str = "SELECT tenant_id, code, name, content, complimentary, approved, status, \
     template_type, remark, reason, submitted_by, submitted_at, reviewed_by, reviewed_at \
     FROM sms_templates";
const SIGNATURE_COLUMNS: &str = "tenant_id, name, complimentary, approved, status, purpose, \
     owner_name, owner_id_number, contact_phone, reason, submitted_by, submitted_at, \
     reviewed_by, reviewed_at";
const TEMPLATE_COLUMNS: &str = "tenant_id, code, name, content, complimentary, approved, status, \
     template_type, remark, reason, submitted_by, submitted_at, reviewed_by, reviewed_at";

fn status(row: &Row<'_>) -> Result<ReviewStatus> {
    let s: String = col(row, "status")?;
    ReviewStatus::parse(&s)
        .ok_or_else(|| StoreError::Other(format!("unknown review status {s:?}").into()))
}

fn trail(row: &Row<'_>) -> Result<ReviewTrail> {
    Ok(ReviewTrail {
        submitted_by: col(row, "submitted_by")?,
        submitted_at: col(row, "submitted_at")?,
        reviewed_by: col(row, "reviewed_by")?,
        reviewed_at: col(row, "reviewed_at")?,
        reason: col(row, "reason")?,
    })
}

fn signature(row: &Row<'_>) -> Result<SmsSignature> {
    Ok(SmsSignature {
        tenant_id: col(row, "tenant_id")?,
        name: col(row, "name")?,
        complimentary: col(row, "complimentary")?,
        approved: col(row, "approved")?,
        status: status(row)?,
        purpose: col(row, "purpose")?,
        owner: OwnerDetails {
            owner_name: col(row, "owner_name")?,
            owner_id_number: col(row, "owner_id_number")?,
            contact_phone: col(row, "contact_phone")?,
        },
        review: trail(row)?,
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
        status: status(row)?,
        template_type: col(row, "template_type")?,
        remark: col(row, "remark")?,
        review: trail(row)?,
    })
}

/// The status a review leaves, and whether that is approved.
fn decided(review: &Review) -> (&'static str, bool) {
    if review.approve {
        (ReviewStatus::Approved.as_str(), true)
    } else {
        (ReviewStatus::Rejected.as_str(), false)
    }
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

    async fn submit_signature(&self, new: NewSignature) -> Result<SmsSignature> {
        self.write(move |conn| {
            optional(
                conn,
                &format!(
                    "INSERT INTO sms_signatures (tenant_id, name, complimentary, approved, status, \
                     purpose, owner_name, owner_id_number, contact_phone, submitted_by, submitted_at) \
                     VALUES (?1, ?2, 0, 0, 'pending', ?3, ?4, ?5, ?6, ?7, ?8) \
                     ON CONFLICT (tenant_id, name) DO UPDATE SET status = 'pending', approved = 0, \
                     purpose = excluded.purpose, owner_name = excluded.owner_name, \
                     owner_id_number = excluded.owner_id_number, \
                     contact_phone = excluded.contact_phone, reason = NULL, \
                     submitted_by = excluded.submitted_by, submitted_at = excluded.submitted_at, \
                     reviewed_by = NULL, reviewed_at = NULL \
                     WHERE sms_signatures.complimentary = 0 AND sms_signatures.status <> 'approved' \
                     RETURNING {SIGNATURE_COLUMNS}"
                ),
                params![
                    new.tenant_id,
                    new.name,
                    new.purpose,
                    new.owner.owner_name,
                    new.owner.owner_id_number,
                    new.owner.contact_phone,
                    new.submitted_by,
                    new.now
                ],
                signature,
            )?
            .ok_or(StoreError::Conflict("signature"))
        })
        .await
    }

    async fn submit_template(&self, new: NewTemplate) -> Result<SmsTemplate> {
        self.write(move |conn| {
            conn.prepare_cached(&format!(
                "INSERT INTO sms_templates (tenant_id, code, name, content, complimentary, \
                 approved, status, template_type, remark, submitted_by, submitted_at) \
                 VALUES (?, ?, ?, ?, 0, 0, 'pending', ?, ?, ?, ?) RETURNING {TEMPLATE_COLUMNS}"
            ))
            .and_then(|mut stmt| {
                stmt.query_row(
                    params![
                        new.tenant_id,
                        new.code,
                        new.name,
                        new.content,
                        new.template_type,
                        new.remark,
                        new.submitted_by,
                        new.now
                    ],
                    |row| Ok(template(row)),
                )
            })
            .map_err(map_conflict("template"))?
        })
        .await
    }

    async fn review_signature(&self, review: Review) -> Result<Option<SmsSignature>> {
        self.write(move |conn| {
            let (status, approved) = decided(&review);
            optional(
                conn,
                &format!(
                    "UPDATE sms_signatures SET status = ?, approved = ?, reason = ?, \
                     reviewed_by = ?, reviewed_at = ? \
                     WHERE tenant_id = ? AND name = ? AND status = 'pending' \
                     AND complimentary = 0 AND submitted_at = ? RETURNING {SIGNATURE_COLUMNS}"
                ),
                params![
                    status,
                    approved,
                    review.reason,
                    review.reviewed_by,
                    review.now,
                    review.tenant_id,
                    review.key,
                    review.submitted_at
                ],
                signature,
            )
        })
        .await
    }

    async fn review_template(&self, review: Review) -> Result<Option<SmsTemplate>> {
        self.write(move |conn| {
            let (status, approved) = decided(&review);
            optional(
                conn,
                &format!(
                    "UPDATE sms_templates SET status = ?, approved = ?, reason = ?, \
                     reviewed_by = ?, reviewed_at = ? \
                     WHERE tenant_id = ? AND code = ? AND status = 'pending' \
                     AND complimentary = 0 AND submitted_at = ? RETURNING {TEMPLATE_COLUMNS}"
                ),
                params![
                    status,
                    approved,
                    review.reason,
                    review.reviewed_by,
                    review.now,
                    review.tenant_id,
                    review.key,
                    review.submitted_at
                ],
                template,
            )
        })
        .await
    }
}
