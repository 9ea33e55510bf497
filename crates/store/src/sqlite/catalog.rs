//! SMS signatures and templates in SQLite, and the complimentary ones every tenant gets.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::SqliteConnection;

use super::{col, map_err, SqliteStore};
use crate::{Result, SmsCatalog, SmsSignature, SmsTemplate};

/// Signatures a new tenant may use at once (only with complimentary templates),
/// as Alibaba gives every account for verification codes.
const COMPLIMENTARY_SIGNATURES: &[&str] = &[
    "速通互联验证码",
    "云渚科技验证平台",
    "速通互联验证平台",
    "云渚科技验证服务",
];

/// (code, name, content) of the complimentary templates; the codes are the
/// Fusion-Auth scene numbers they serve.
const COMPLIMENTARY_TEMPLATES: &[(&str, &str, &str)] = &[
    (
        "100001",
        "登录/注册模板",
        "您的验证码为${code}。尊敬的客户，以上验证码${min}分钟内有效，请注意保密，切勿告知他人。",
    ),
    (
        "100002",
        "修改绑定手机号模板",
        "尊敬的客户，您正在进行修改手机号操作，您的验证码为${code}。以上验证码${min}分钟内有效，请注意保密，切勿告知他人。",
    ),
    (
        "100003",
        "重置密码模板",
        "尊敬的客户，您正在进行重置密码操作，您的验证码为${code}。以上验证码${min}分钟内有效，请注意保密，切勿告知他人。",
    ),
    (
        "100004",
        "绑定新手机号模板",
        "尊敬的客户，您正在进行绑定新手机号操作，您的验证码为${code}。以上验证码${min}分钟内有效，请注意保密，切勿告知他人。",
    ),
    (
        "100005",
        "验证绑定手机号模板",
        "尊敬的客户，您正在验证绑定手机号，您的验证码为${code}。以上验证码${min}分钟内有效，请注意保密，切勿告知他人。",
    ),
];

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
