//! Fusion-Auth schemes in SQLite: created under unique indexes, found, listed,
//! deleted with their per-scheme policies. A deletion is one writer job: the writer
//! is the only one writing, so no policy put comes between its two statements.

use async_trait::async_trait;
use rusqlite::{params, Row};

use super::{all, classify, col, execute, map_err, optional, Class, SqliteStore};
use crate::{
    CreateFusionScheme, FusionSchemeRecord, FusionSchemes, NewFusionScheme, Result, UpdateScheme,
};

const COLUMNS: &str = "SELECT code, tenant_id, name, app_name, platform, android_package_name, \
     android_package_sign, ios_bundle_id, h5_url, h5_origin, created_at FROM fusion_schemes";

fn record(row: &Row<'_>) -> Result<FusionSchemeRecord> {
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

/// Which unique index a violation names. SQLite's message lists the index's
/// columns ("UNIQUE constraint failed: fusion_schemes.tenant_id, fusion_schemes.name"),
/// never row values.
fn conflict(e: &rusqlite::Error) -> Option<CreateFusionScheme> {
    let rusqlite::Error::SqliteFailure(_, Some(msg)) = e else {
        return None;
    };
    let columns = msg.strip_prefix("UNIQUE constraint failed: ")?;
    Some(match columns {
        "fusion_schemes.code" => CreateFusionScheme::CodeTaken,
        "fusion_schemes.tenant_id, fusion_schemes.name" => CreateFusionScheme::NameTaken,
        "fusion_schemes.tenant_id, fusion_schemes.android_package_name, \
         fusion_schemes.android_package_sign" => CreateFusionScheme::PackSignTaken,
        "fusion_schemes.tenant_id, fusion_schemes.ios_bundle_id" => {
            CreateFusionScheme::BundleIdTaken
        }
        "fusion_schemes.tenant_id, fusion_schemes.h5_url, fusion_schemes.h5_origin" => {
            CreateFusionScheme::UrlTaken
        }
        _ => return None,
    })
}

#[async_trait]
impl FusionSchemes for SqliteStore {
    async fn create_fusion_scheme(&self, new: NewFusionScheme) -> Result<CreateFusionScheme> {
        self.write_atomic(move |conn| {
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO fusion_schemes (code, tenant_id, name, app_name, platform, \
                     android_package_name, android_package_sign, ios_bundle_id, h5_url, \
                     h5_origin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .and_then(|mut stmt| {
                    stmt.execute(params![
                        new.code,
                        new.tenant_id,
                        new.name,
                        new.app_name,
                        new.platform,
                        new.android_package_name,
                        new.android_package_sign,
                        new.ios_bundle_id,
                        new.h5_url,
                        new.h5_origin,
                        new.created_at,
                    ])
                });
            match inserted {
                Ok(_) => Ok(CreateFusionScheme::Created(Box::new(new))),
                Err(e) => match (classify(&e), conflict(&e)) {
                    (Class::Unique, Some(taken)) => Ok(taken),
                    _ => Err(map_err(e)),
                },
            }
        })
        .await
    }

    async fn find_fusion_scheme(
        &self,
        tenant_id: i64,
        code: &str,
    ) -> Result<Option<FusionSchemeRecord>> {
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

    async fn find_fusion_scheme_by_code(&self, code: &str) -> Result<Option<FusionSchemeRecord>> {
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

    async fn list_fusion_schemes(&self, tenant_id: i64) -> Result<Vec<FusionSchemeRecord>> {
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

    async fn delete_fusion_scheme(&self, tenant_id: i64, code: &str) -> Result<bool> {
        let code = code.to_owned();
        // Two writes: a savepoint undoes the scheme's deletion if its policies' fails.
        self.write(move |conn| {
            let deleted = execute(
                conn,
                "DELETE FROM fusion_schemes WHERE tenant_id = ? AND code = ?",
                params![tenant_id, code],
            )?;
            if deleted == 0 {
                return Ok(false);
            }
            // Live policies and restored-to-defaults rows alike: the key is gone.
            execute(
                conn,
                "DELETE FROM fusion_policies WHERE tenant_id = ? AND scheme = ?",
                params![tenant_id, code],
            )?;
            Ok(true)
        })
        .await
    }

    async fn update_fusion_scheme(
        &self,
        changed: FusionSchemeRecord,
    ) -> Result<UpdateScheme<FusionSchemeRecord>> {
        // The update, then the row as stored: a savepoint undoes the update if the read fails.
        self.write(move |conn| {
            let updated = conn
                .prepare_cached(
                    "UPDATE fusion_schemes SET name = ?, app_name = ?, android_package_name = ?, \
                     android_package_sign = ?, ios_bundle_id = ?, h5_url = ?, h5_origin = ? \
                     WHERE tenant_id = ? AND code = ?",
                )
                .and_then(|mut stmt| {
                    stmt.execute(params![
                        changed.name,
                        changed.app_name,
                        changed.android_package_name,
                        changed.android_package_sign,
                        changed.ios_bundle_id,
                        changed.h5_url,
                        changed.h5_origin,
                        changed.tenant_id,
                        changed.code,
                    ])
                });
            let taken = |c| match c {
                CreateFusionScheme::NameTaken => Some(UpdateScheme::NameTaken),
                CreateFusionScheme::PackSignTaken => Some(UpdateScheme::PackSignTaken),
                CreateFusionScheme::BundleIdTaken => Some(UpdateScheme::BundleIdTaken),
                CreateFusionScheme::UrlTaken => Some(UpdateScheme::UrlTaken),
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
