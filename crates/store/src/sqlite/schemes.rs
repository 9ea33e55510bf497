//! Verification schemes in SQLite: created under unique indexes, found, listed,
//! changed (name and app identity), deleted.

use async_trait::async_trait;
use rusqlite::{params, Row};

use super::{all, classify, col, execute, map_err, optional, Class, SqliteStore};
use crate::{CreateScheme, NewScheme, Result, SchemeRecord, Schemes, UpdateScheme};

const COLUMNS: &str = "SELECT code, tenant_id, name, app_name, os_type, pack_name, pack_sign, \
     bundle_id, url, origin, hm_app_identifier, hm_package_name, hm_sign_name, auth_type, \
     scene_type, sms_sign_name, ip_white_list, email, cm_api_code, ct_api_code, cu_api_code, \
     sealed_secret, created_at FROM verify_schemes";

fn record(row: &Row<'_>) -> Result<SchemeRecord> {
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

/// Which unique index a violation names. SQLite's message lists the index's
/// columns ("UNIQUE constraint failed: verify_schemes.tenant_id, verify_schemes.name"),
/// never row values.
fn conflict(e: &rusqlite::Error) -> Option<CreateScheme> {
    let rusqlite::Error::SqliteFailure(_, Some(msg)) = e else {
        return None;
    };
    let columns = msg.strip_prefix("UNIQUE constraint failed: ")?;
    Some(match columns {
        "verify_schemes.code" => CreateScheme::CodeTaken,
        "verify_schemes.tenant_id, verify_schemes.name" => CreateScheme::NameTaken,
        "verify_schemes.tenant_id, verify_schemes.pack_name, verify_schemes.pack_sign" => {
            CreateScheme::PackSignTaken
        }
        "verify_schemes.tenant_id, verify_schemes.bundle_id" => CreateScheme::BundleIdTaken,
        "verify_schemes.tenant_id, verify_schemes.url, verify_schemes.origin" => {
            CreateScheme::UrlTaken
        }
        _ => return None,
    })
}

#[async_trait]
impl Schemes for SqliteStore {
    async fn create_scheme(&self, new: NewScheme) -> Result<CreateScheme> {
        self.write_atomic(move |conn| {
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO verify_schemes (code, tenant_id, name, app_name, os_type, \
                     pack_name, pack_sign, bundle_id, url, origin, hm_app_identifier, \
                     hm_package_name, hm_sign_name, auth_type, scene_type, sms_sign_name, \
                     ip_white_list, email, cm_api_code, ct_api_code, cu_api_code, \
                     sealed_secret, created_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .and_then(|mut stmt| {
                    stmt.execute(params![
                        new.code,
                        new.tenant_id,
                        new.name,
                        new.app_name,
                        new.os_type,
                        new.pack_name,
                        new.pack_sign,
                        new.bundle_id,
                        new.url,
                        new.origin,
                        new.hm_app_identifier,
                        new.hm_package_name,
                        new.hm_sign_name,
                        new.auth_type,
                        new.scene_type,
                        new.sms_sign_name,
                        new.ip_white_list,
                        new.email,
                        new.cm_api_code,
                        new.ct_api_code,
                        new.cu_api_code,
                        new.sealed_secret,
                        new.created_at,
                    ])
                });
            match inserted {
                Ok(_) => Ok(CreateScheme::Created(Box::new(new))),
                Err(e) => match (classify(&e), conflict(&e)) {
                    (Class::Unique, Some(taken)) => Ok(taken),
                    _ => Err(map_err(e)),
                },
            }
        })
        .await
    }

    async fn find_scheme(&self, tenant_id: i64, code: &str) -> Result<Option<SchemeRecord>> {
        let code = code.to_owned();
        self.read(move |conn| {
            optional(
                conn,
                &format!("{COLUMNS} WHERE tenant_id = ? AND code = ?"),
                params![tenant_id, code],
                record,
            )
        })
        .await
    }

    async fn find_scheme_by_code(&self, code: &str) -> Result<Option<SchemeRecord>> {
        let code = code.to_owned();
        self.read(move |conn| {
            optional(
                conn,
                &format!("{COLUMNS} WHERE code = ?"),
                params![code],
                record,
            )
        })
        .await
    }

    async fn list_schemes(&self, tenant_id: i64) -> Result<Vec<SchemeRecord>> {
        self.read(move |conn| {
            all(
                conn,
                &format!("{COLUMNS} WHERE tenant_id = ? ORDER BY created_at, code"),
                params![tenant_id],
                record,
            )
        })
        .await
    }

    async fn delete_scheme(&self, tenant_id: i64, code: &str) -> Result<bool> {
        let code = code.to_owned();
        self.write_atomic(move |conn| {
            let deleted = execute(
                conn,
                "DELETE FROM verify_schemes WHERE tenant_id = ? AND code = ?",
                params![tenant_id, code],
            )?;
            Ok(deleted > 0)
        })
        .await
    }

    async fn update_scheme(&self, changed: SchemeRecord) -> Result<UpdateScheme<SchemeRecord>> {
        // The update, then the row as stored: a savepoint undoes the update if the read fails.
        self.write(move |conn| {
            let updated = conn
                .prepare_cached(
                    "UPDATE verify_schemes SET name = ?, app_name = ?, pack_name = ?, \
                     pack_sign = ?, bundle_id = ?, url = ?, origin = ?, hm_app_identifier = ?, \
                     hm_package_name = ?, hm_sign_name = ? WHERE tenant_id = ? AND code = ?",
                )
                .and_then(|mut stmt| {
                    stmt.execute(params![
                        changed.name,
                        changed.app_name,
                        changed.pack_name,
                        changed.pack_sign,
                        changed.bundle_id,
                        changed.url,
                        changed.origin,
                        changed.hm_app_identifier,
                        changed.hm_package_name,
                        changed.hm_sign_name,
                        changed.tenant_id,
                        changed.code,
                    ])
                });
            let taken = |c| match c {
                CreateScheme::NameTaken => Some(UpdateScheme::NameTaken),
                CreateScheme::PackSignTaken => Some(UpdateScheme::PackSignTaken),
                CreateScheme::BundleIdTaken => Some(UpdateScheme::BundleIdTaken),
                CreateScheme::UrlTaken => Some(UpdateScheme::UrlTaken),
                _ => None,
            };
            match updated {
                Ok(0) => Ok(UpdateScheme::NotFound),
                Ok(_) => optional(
                    conn,
                    &format!("{COLUMNS} WHERE tenant_id = ? AND code = ?"),
                    params![changed.tenant_id, changed.code],
                    record,
                )?
                .map_or(Ok(UpdateScheme::NotFound), |r| {
                    Ok(UpdateScheme::Updated(Box::new(r)))
                }),
                Err(e) => match (classify(&e), conflict(&e).and_then(taken)) {
                    (Class::Unique, Some(t)) => Ok(t),
                    _ => Err(map_err(e)),
                },
            }
        })
        .await
    }
}
