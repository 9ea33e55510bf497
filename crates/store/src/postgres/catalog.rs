//! SMS signatures and templates in PostgreSQL, and the seeding of the complimentary ones.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::PgConnection;

use super::{col, map_conflict, map_err, PgStore};
use crate::seed::{COMPLIMENTARY_SIGNATURES, COMPLIMENTARY_TEMPLATES};
use crate::{
    NewSignature, NewTemplate, OwnerDetails, Result, Review, ReviewStatus, ReviewTrail, SmsCatalog,
    SmsSignature, SmsTemplate, StoreError,
};

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

const SIGNATURE_COLUMNS: &str = "tenant_id, name, complimentary, approved, status, purpose, \
     owner_name, owner_id_number, contact_phone, reason, submitted_by, submitted_at, \
     reviewed_by, reviewed_at";
const TEMPLATE_COLUMNS: &str = "tenant_id, code, name, content, complimentary, approved, status, \
     template_type, remark, reason, submitted_by, submitted_at, reviewed_by, reviewed_at";

fn status(row: &PgRow) -> Result<ReviewStatus> {
    let s: String = col(row, "status")?;
    ReviewStatus::parse(&s)
        .ok_or_else(|| StoreError::Other(format!("unknown review status {s:?}").into()))
}

fn trail(row: &PgRow) -> Result<ReviewTrail> {
    Ok(ReviewTrail {
        submitted_by: col(row, "submitted_by")?,
        submitted_at: col(row, "submitted_at")?,
        reviewed_by: col(row, "reviewed_by")?,
        reviewed_at: col(row, "reviewed_at")?,
        reason: col(row, "reason")?,
    })
}

fn signature(row: &PgRow) -> Result<SmsSignature> {
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

fn template(row: &PgRow) -> Result<SmsTemplate> {
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
impl SmsCatalog for PgStore {
    async fn list_signatures(&self, tenant_id: i64) -> Result<Vec<SmsSignature>> {
        // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
        sqlx::query(&format!(
            "SELECT {SIGNATURE_COLUMNS} FROM sms_signatures WHERE tenant_id = $1 \
             ORDER BY name COLLATE \"C\""
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
            "SELECT {TEMPLATE_COLUMNS} FROM sms_templates WHERE tenant_id = $1 \
             ORDER BY code COLLATE \"C\""
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
        sqlx::query(&format!(
            "SELECT {SIGNATURE_COLUMNS} FROM sms_signatures WHERE tenant_id = $1 AND name = $2"
        ))
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
        sqlx::query(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM sms_templates WHERE tenant_id = $1 AND code = $2"
        ))
        .bind(tenant_id)
        .bind(code)
        .fetch_optional(self.pool())
        .await
        .map_err(map_err)?
        .as_ref()
        .map(template)
        .transpose()
    }

    async fn submit_signature(&self, new: NewSignature) -> Result<SmsSignature> {
        sqlx::query(&format!(
            "INSERT INTO sms_signatures (tenant_id, name, complimentary, approved, status, \
             purpose, owner_name, owner_id_number, contact_phone, submitted_by, submitted_at) \
             VALUES ($1, $2, FALSE, FALSE, 'pending', $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (tenant_id, name) DO UPDATE SET status = 'pending', approved = FALSE, \
             purpose = excluded.purpose, owner_name = excluded.owner_name, \
             owner_id_number = excluded.owner_id_number, \
             contact_phone = excluded.contact_phone, reason = NULL, \
             submitted_by = excluded.submitted_by, submitted_at = excluded.submitted_at, \
             reviewed_by = NULL, reviewed_at = NULL \
             WHERE NOT sms_signatures.complimentary AND sms_signatures.status <> 'approved' \
             RETURNING {SIGNATURE_COLUMNS}"
        ))
        .bind(new.tenant_id)
        .bind(&new.name)
        .bind(&new.purpose)
        .bind(&new.owner.owner_name)
        .bind(&new.owner.owner_id_number)
        .bind(&new.owner.contact_phone)
        .bind(&new.submitted_by)
        .bind(new.now)
        .fetch_optional(self.pool())
        .await
        .map_err(map_err)?
        .as_ref()
        .map(signature)
        .transpose()?
        .ok_or(StoreError::Conflict("signature"))
    }

    async fn submit_template(&self, new: NewTemplate) -> Result<SmsTemplate> {
        let row = sqlx::query(&format!(
            "INSERT INTO sms_templates (tenant_id, code, name, content, complimentary, \
             approved, status, template_type, remark, submitted_by, submitted_at) \
             VALUES ($1, $2, $3, $4, FALSE, FALSE, 'pending', $5, $6, $7, $8) \
             RETURNING {TEMPLATE_COLUMNS}"
        ))
        .bind(new.tenant_id)
        .bind(&new.code)
        .bind(&new.name)
        .bind(&new.content)
        .bind(new.template_type)
        .bind(&new.remark)
        .bind(&new.submitted_by)
        .bind(new.now)
        .fetch_one(self.pool())
        .await
        .map_err(map_conflict("template"))?;
        template(&row)
    }

    async fn review_signature(&self, review: Review) -> Result<Option<SmsSignature>> {
        let (status, approved) = decided(&review);
        sqlx::query(&format!(
            "UPDATE sms_signatures SET status = $1, approved = $2, reason = $3, \
             reviewed_by = $4, reviewed_at = $5 \
             WHERE tenant_id = $6 AND name = $7 AND status = 'pending' \
             AND NOT complimentary AND submitted_at = $8 RETURNING {SIGNATURE_COLUMNS}"
        ))
        .bind(status)
        .bind(approved)
        .bind(&review.reason)
        .bind(&review.reviewed_by)
        .bind(review.now)
        .bind(review.tenant_id)
        .bind(&review.key)
        .bind(review.submitted_at)
        .fetch_optional(self.pool())
        .await
        .map_err(map_err)?
        .as_ref()
        .map(signature)
        .transpose()
    }

    async fn review_template(&self, review: Review) -> Result<Option<SmsTemplate>> {
        let (status, approved) = decided(&review);
        sqlx::query(&format!(
            "UPDATE sms_templates SET status = $1, approved = $2, reason = $3, \
             reviewed_by = $4, reviewed_at = $5 \
             WHERE tenant_id = $6 AND code = $7 AND status = 'pending' \
             AND NOT complimentary AND submitted_at = $8 RETURNING {TEMPLATE_COLUMNS}"
        ))
        .bind(status)
        .bind(approved)
        .bind(&review.reason)
        .bind(&review.reviewed_by)
        .bind(review.now)
        .bind(review.tenant_id)
        .bind(&review.key)
        .bind(review.submitted_at)
        .fetch_optional(self.pool())
        .await
        .map_err(map_err)?
        .as_ref()
        .map(template)
        .transpose()
    }
}
