//! The schemes section's JSON API (see [`super::api`] for the conventions): the
//! tenant's phone number verification schemes (`CreateVerifyScheme`) and
//! Fusion-Auth schemes (`CreateSchemeConfig`), listed, created, changed (name and
//! app identity) and deleted through the same service functions as the Open API
//! ([`crate::service::schemes`], [`crate::service::fusion_schemes`]), which audit
//! every change.

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use numgate_store::{FusionSchemeRecord, SchemeRecord};
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{actor, invalid, scoped_tenant, TenantQuery};
use super::session::{ApiSession, ConsoleError, JsonBody};
use crate::service::fusion_schemes::{self, FusionSchemeInput};
use crate::service::schemes::{self, SchemeInput};
use crate::state::AppState;

/// The section's routes under `/console/api/schemes`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/api/schemes", get(list).post(create))
        .route(
            "/console/api/schemes/{kind}/{code}",
            post(update).delete(delete),
        )
}

/// The two kinds of scheme, as the console names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Phone number verification (`CreateVerifyScheme`).
    Verify,
    /// Fusion-Auth (`CreateSchemeConfig`).
    Fusion,
}

impl Kind {
    fn parse(s: Option<&str>) -> Result<Kind, ConsoleError> {
        match s.map(str::trim) {
            Some("verify") | None | Some("") => Ok(Kind::Verify),
            Some("fusion") => Ok(Kind::Fusion),
            Some(_) => Err(invalid("InvalidParameter", "kind must be verify or fusion")),
        }
    }
}

/// A scheme form from the console: the Open API's parameters under short names
/// (`pack_name` is `AndroidPackageName` for a Fusion-Auth scheme, …). Every
/// field is text, as typed; empty ones count as absent, as in the Open API.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SchemeForm {
    kind: Option<String>,
    name: Option<String>,
    app_name: Option<String>,
    os_type: Option<String>,
    pack_name: Option<String>,
    pack_sign: Option<String>,
    bundle_id: Option<String>,
    url: Option<String>,
    origin: Option<String>,
    hm_app_identifier: Option<String>,
    hm_package_name: Option<String>,
    hm_sign_name: Option<String>,
    auth_type: Option<String>,
    scene_type: Option<String>,
    sms_sign_name: Option<String>,
    ip_white_list: Option<String>,
    email: Option<String>,
    cm_api_code: Option<String>,
    ct_api_code: Option<String>,
    cu_api_code: Option<String>,
}

/// A form field: `None` when absent or empty.
fn text(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// A carrier API code: an integer, as the Open API's parameter.
fn number(name: &'static str, v: &Option<String>) -> Result<Option<i64>, ConsoleError> {
    text(v)
        .map(|s| {
            s.trim()
                .parse::<i64>()
                .map_err(|_| invalid("InvalidParameter", format!("{name} must be an integer")))
        })
        .transpose()
}

impl SchemeForm {
    fn verify(&self) -> Result<SchemeInput<'_>, ConsoleError> {
        Ok(SchemeInput {
            scheme_name: text(&self.name),
            app_name: text(&self.app_name),
            os_type: text(&self.os_type),
            pack_name: text(&self.pack_name),
            pack_sign: text(&self.pack_sign),
            bundle_id: text(&self.bundle_id),
            url: text(&self.url),
            origin: text(&self.origin),
            hm_app_identifier: text(&self.hm_app_identifier),
            hm_package_name: text(&self.hm_package_name),
            hm_sign_name: text(&self.hm_sign_name),
            auth_type: text(&self.auth_type),
            scene_type: text(&self.scene_type),
            sms_sign_name: text(&self.sms_sign_name),
            ip_white_list: text(&self.ip_white_list),
            email: text(&self.email),
            cm_api_code: number("CmApiCode", &self.cm_api_code)?,
            ct_api_code: number("CtApiCode", &self.ct_api_code)?,
            cu_api_code: number("CuApiCode", &self.cu_api_code)?,
        })
    }

    fn fusion(&self) -> FusionSchemeInput<'_> {
        FusionSchemeInput {
            scheme_name: text(&self.name),
            app_name: text(&self.app_name),
            platform: text(&self.os_type),
            android_package_name: text(&self.pack_name),
            android_package_sign: text(&self.pack_sign),
            ios_bundle_id: text(&self.bundle_id),
            h5_url: text(&self.url),
            h5_origin: text(&self.origin),
        }
    }
}

/// A verification scheme as the console shows it: settings and app identity,
/// never its key material.
fn verify_json(r: &SchemeRecord) -> Value {
    json!({
        "kind": "verify",
        "code": r.code,
        "name": r.name,
        "app_name": r.app_name,
        "os_type": r.os_type,
        "pack_name": r.pack_name,
        "pack_sign": r.pack_sign,
        "bundle_id": r.bundle_id,
        "url": r.url,
        "origin": r.origin,
        "hm_app_identifier": r.hm_app_identifier,
        "hm_package_name": r.hm_package_name,
        "hm_sign_name": r.hm_sign_name,
        "auth_type": r.auth_type,
        "scene_type": r.scene_type,
        "created_at": r.created_at,
    })
}

fn fusion_json(r: &FusionSchemeRecord) -> Value {
    json!({
        "kind": "fusion",
        "code": r.code,
        "name": r.name,
        "app_name": r.app_name,
        "os_type": r.platform,
        "pack_name": r.android_package_name,
        "pack_sign": r.android_package_sign,
        "bundle_id": r.ios_bundle_id,
        "url": r.h5_url,
        "origin": r.h5_origin,
        "created_at": r.created_at,
    })
}

/// `GET /console/api/schemes[?tenant=NAME]`: the tenant's schemes, verification
/// schemes first, each kind oldest first.
pub async fn list(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let mut all: Vec<Value> = state
        .store
        .list_schemes(tenant.id)
        .await?
        .iter()
        .map(verify_json)
        .collect();
    all.extend(
        state
            .store
            .list_fusion_schemes(tenant.id)
            .await?
            .iter()
            .map(fusion_json),
    );
    Ok(Json(json!({ "tenant": tenant.name, "schemes": all })))
}

/// `POST /console/api/schemes`: creates a scheme of the form's `kind` with the
/// Open API's rules; the scheme as stored.
pub async fn create(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    JsonBody(form): JsonBody<SchemeForm>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let who = actor(&s);
    let scheme = match Kind::parse(form.kind.as_deref())? {
        Kind::Verify => {
            let code = schemes::create(&state, &tenant, &form.verify()?, &who).await?;
            let r = state
                .store
                .find_scheme(tenant.id, &code)
                .await?
                .ok_or(ConsoleError::NotFound)?;
            verify_json(&r)
        }
        Kind::Fusion => {
            fusion_json(&fusion_schemes::create(&state, tenant.id, &form.fusion(), &who).await?)
        }
    };
    Ok(Json(json!({ "scheme": scheme })))
}

/// `POST /console/api/schemes/{verify|fusion}/{code}`: changes the scheme's name
/// and app identity (its OS type stays).
pub async fn update(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    Path((kind, code)): Path<(String, String)>,
    JsonBody(form): JsonBody<SchemeForm>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let who = actor(&s);
    let scheme = match Kind::parse(Some(&kind))? {
        Kind::Verify => {
            verify_json(&schemes::update(&state, tenant.id, &code, &form.verify()?, &who).await?)
        }
        Kind::Fusion => fusion_json(
            &fusion_schemes::update(&state, tenant.id, &code, &form.fusion(), &who).await?,
        ),
    };
    Ok(Json(json!({ "scheme": scheme })))
}

/// `DELETE /console/api/schemes/{verify|fusion}/{code}`.
pub async fn delete(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    Path((kind, code)): Path<(String, String)>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let who = actor(&s);
    match Kind::parse(Some(&kind))? {
        Kind::Verify => schemes::delete(&state, tenant.id, code.trim(), &who).await?,
        Kind::Fusion => fusion_schemes::delete(&state, tenant.id, code.trim(), &who).await?,
    }
    Ok(Json(json!({ "deleted": code })))
}
