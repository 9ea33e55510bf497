//! The sms section's JSON API (see [`super::api`] for the conventions): the
//! signatures and templates (complimentary and custom), submissions and the
//! operator's review, send records (the service of QuerySendDetails) and the
//! development outbox of the tenant.

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use numgate_domain::{CountryCode, PhoneNumber};
use numgate_store::{ConsoleSession, SmsSignature, SmsTemplate, UserRole};
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{actor, invalid, scoped_tenant, TenantQuery};
use super::session::{ApiSession, ConsoleError, JsonBody};
use crate::service::send_details::{self, DetailsQuery};
use crate::service::sms_catalog::{self, CatalogError, Decision, SignatureForm, TemplateForm};
use crate::state::AppState;

/// The section's routes under `/console/api/sms`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/api/sms/catalog", get(catalog))
        .route("/console/api/sms/signatures", post(submit_signature))
        .route("/console/api/sms/templates", post(submit_template))
        .route("/console/api/sms/signatures/review", post(review_signature))
        .route("/console/api/sms/templates/review", post(review_template))
        .route("/console/api/sms/records", get(records))
        .route("/console/api/sms/outbox", get(outbox))
}

impl From<CatalogError> for ConsoleError {
    fn from(e: CatalogError) -> Self {
        let message = e.to_string();
        match e {
            CatalogError::Invalid(p) => invalid(&format!("sms_invalid_{}", p.param), message),
            CatalogError::Exists(_) => invalid("sms_exists", message),
            CatalogError::NotPending(_) => invalid("sms_not_pending", message),
            CatalogError::OwnerIncomplete => invalid("sms_owner_incomplete", message),
            CatalogError::Store(s) => s.into(),
        }
    }
}

fn signature_json(s: &SmsSignature) -> Value {
    json!({
        "name": s.name,
        "complimentary": s.complimentary,
        "status": s.status.as_str(),
        "purpose": s.purpose,
        "owner_name": s.owner.owner_name,
        "owner_id_number": s.owner.owner_id_number,
        "contact_phone": s.owner.contact_phone,
        "reason": s.review.reason,
        "submitted_by": s.review.submitted_by,
        "submitted_at": s.review.submitted_at,
        "reviewed_by": s.review.reviewed_by,
        "reviewed_at": s.review.reviewed_at,
    })
}

fn template_json(t: &SmsTemplate) -> Value {
    json!({
        "code": t.code,
        "name": t.name,
        "content": t.content,
        "complimentary": t.complimentary,
        "status": t.status.as_str(),
        "template_type": t.template_type,
        "remark": t.remark,
        "reason": t.review.reason,
        "submitted_by": t.review.submitted_by,
        "submitted_at": t.review.submitted_at,
        "reviewed_by": t.review.reviewed_by,
        "reviewed_at": t.review.reviewed_at,
    })
}

/// `GET /console/api/sms/catalog`: the tenant's signatures and templates.
async fn catalog(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let signatures = state.store.list_signatures(tenant.id).await?;
    let templates = state.store.list_templates(tenant.id).await?;
    Ok(Json(json!({
        "tenant": tenant.name,
        "signatures": signatures.iter().map(signature_json).collect::<Vec<_>>(),
        "templates": templates.iter().map(template_json).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SignatureBody {
    name: String,
    purpose: String,
    owner_name: String,
    owner_id_number: String,
    contact_phone: String,
}

/// `POST /console/api/sms/signatures`: submits a custom signature.
async fn submit_signature(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    JsonBody(b): JsonBody<SignatureBody>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let sig = sms_catalog::submit_signature(
        &state,
        tenant.id,
        &actor(&s),
        SignatureForm {
            name: &b.name,
            purpose: &b.purpose,
            owner_name: &b.owner_name,
            owner_id_number: &b.owner_id_number,
            contact_phone: &b.contact_phone,
        },
    )
    .await?;
    Ok(Json(signature_json(&sig)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TemplateBody {
    name: String,
    content: String,
    template_type: String,
    remark: String,
}

/// `POST /console/api/sms/templates`: submits a custom template.
async fn submit_template(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    JsonBody(b): JsonBody<TemplateBody>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let tpl = sms_catalog::submit_template(
        &state,
        tenant.id,
        &actor(&s),
        TemplateForm {
            name: &b.name,
            content: &b.content,
            template_type: &b.template_type,
            remark: &b.remark,
        },
    )
    .await?;
    Ok(Json(template_json(&tpl)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReviewBody {
    /// The signature's name or the template's code.
    key: String,
    /// `approve` or `reject`.
    decision: String,
    reason: String,
    /// The submission shown to the reviewer.
    submitted_at: Option<i64>,
}

/// Only the operator reviews.
fn decision<'a>(s: &ConsoleSession, b: &'a ReviewBody) -> Result<Decision<'a>, ConsoleError> {
    if s.user.role != UserRole::Operator {
        return Err(ConsoleError::Forbidden);
    }
    let approve = match b.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(invalid(
                "sms_invalid_decision",
                "decision must be approve or reject",
            ))
        }
    };
    Ok(Decision {
        key: &b.key,
        submitted_at: b.submitted_at,
        approve,
        reason: &b.reason,
    })
}

/// `POST /console/api/sms/signatures/review` (operator): approves or rejects.
async fn review_signature(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    JsonBody(b): JsonBody<ReviewBody>,
) -> Result<Json<Value>, ConsoleError> {
    let d = decision(&s, &b)?;
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let sig = sms_catalog::review_signature(&state, tenant.id, &actor(&s), d).await?;
    Ok(Json(signature_json(&sig)))
}

/// `POST /console/api/sms/templates/review` (operator): approves or rejects.
async fn review_template(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<TenantQuery>,
    JsonBody(b): JsonBody<ReviewBody>,
) -> Result<Json<Value>, ConsoleError> {
    let d = decision(&s, &b)?;
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let tpl = sms_catalog::review_template(&state, tenant.id, &actor(&s), d).await?;
    Ok(Json(template_json(&tpl)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RecordsQuery {
    tenant: Option<String>,
    phone: String,
    /// `YYYY-MM-DD` (or `YYYYMMDD`); today when empty.
    date: String,
    biz_id: String,
    page: Option<u32>,
}

/// A number as typed: mainland by default, `+CC…` for another country.
fn phone(s: &str) -> Result<PhoneNumber, ConsoleError> {
    let s = s.trim();
    let bad = |_| invalid("sms_invalid_phone", "enter a valid phone number");
    match s.strip_prefix('+') {
        Some(rest) if !rest.starts_with("86") => {
            // The country code is the longest prefix of 1 to 3 digits that parses.
            (1..=3)
                .filter_map(|n| {
                    let cc = CountryCode::parse(rest.get(..n)?).ok()?;
                    PhoneNumber::parse(&cc, rest.get(n..)?).ok()
                })
                .next()
                .ok_or_else(|| invalid("sms_invalid_phone", "enter a valid phone number"))
        }
        _ => PhoneNumber::parse(&CountryCode::mainland(), s).map_err(bad),
    }
}

/// `GET /console/api/sms/records?phone=&date=&biz_id=&page=`: a day of one
/// number's send records, as QuerySendDetails gives them (codes masked).
async fn records(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<RecordsQuery>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    if q.phone.trim().is_empty() {
        return Err(invalid("sms_invalid_phone", "the phone number is required"));
    }
    let phone = phone(&q.phone)?;
    let date = match q.date.trim() {
        "" => send_details::today(&state),
        d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(d, "%Y%m%d"))
            .map_err(|_| invalid("sms_invalid_date", "the date must be YYYY-MM-DD"))?,
    };
    let biz_id = q.biz_id.trim();
    let page_size = 50;
    let (total, rows) = send_details::query(
        &state,
        tenant.id,
        DetailsQuery {
            phone,
            biz_id: (!biz_id.is_empty()).then(|| biz_id.to_owned()),
            date,
            page: q.page.unwrap_or(1),
            page_size,
        },
    )
    .await?;
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let shown = send_details::show(&state, r);
            let r = shown.record;
            json!({
                "phone": r.phone,
                "country_code": r.country_code,
                "status": r.status as i64,
                "err_code": shown.err_code,
                "template_code": r.template_code,
                "content": r.content,
                "send_date": shown.send_date,
                "receive_date": shown.receive_date,
                "out_id": r.out_id,
                "biz_id": r.biz_id,
            })
        })
        .collect();
    Ok(Json(json!({
        "date": date.format("%Y-%m-%d").to_string(),
        "total": total,
        "page_size": page_size,
        "records": rows,
    })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OutboxQuery {
    tenant: Option<String>,
    phone: String,
}

/// `GET /console/api/sms/outbox[?phone=]`: the newest 100 messages the outbox
/// channel took for the tenant, with their text (the development outbox).
async fn outbox(
    State(state): State<AppState>,
    ApiSession(s): ApiSession,
    Query(q): Query<OutboxQuery>,
) -> Result<Json<Value>, ConsoleError> {
    let tenant = scoped_tenant(&state, &s, q.tenant.as_deref()).await?;
    let number = match q.phone.trim() {
        "" => None,
        p => Some(phone(p)?.e164_digits()),
    };
    let list = state
        .store
        .list_tenant_outbox(tenant.id, number.as_deref(), 100)
        .await?;
    let rows: Vec<Value> = list
        .iter()
        .map(|m| {
            // A text sealed under another master key is shown as unreadable.
            let text = state
                .secrets
                .open_string(&m.sealed_text)
                .map(|t| t.to_string())
                .ok();
            json!({
                "phone": m.phone,
                "text": text,
                "biz_id": m.biz_id,
                "status": m.status,
                "created_at": m.created_at,
            })
        })
        .collect();
    Ok(Json(json!({ "tenant": tenant.name, "messages": rows })))
}
