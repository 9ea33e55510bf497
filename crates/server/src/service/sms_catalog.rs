//! Custom SMS signatures and templates: a tenant submits them, the operator
//! approves or rejects them; only approved ones send (see [`super::codes`]).
//! Every change is audited (`sms_signature.*`, `sms_template.*`).

use numgate_domain::sms_catalog::{self as rules, OwnerRegistration, SignPurpose};
use numgate_domain::InvalidParam;
use numgate_store::{
    NewSignature, NewTemplate, OwnerDetails, Review, ReviewStatus, SmsSignature, SmsTemplate,
    StoreError,
};
use rand::rngs::OsRng;
use rand::Rng;
use serde_json::json;

use super::audit::{self, Actor, Change};
use crate::state::AppState;

/// Why a submission or review is refused; none changes anything.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Invalid(#[from] InvalidParam),
    /// A signature of that name is approved or complimentary already; or a
    /// template code could not be allotted.
    #[error("a {0} of that name exists already")]
    Exists(&'static str),
    /// No pending custom signature or template of that name or code (decided
    /// already, complimentary, resubmitted since it was shown, or unknown).
    #[error("there is no pending {0} of that name (it may have been decided or resubmitted)")]
    NotPending(&'static str),
    #[error(
        "a custom signature is approved only with the owner's registration details \
         (name, unified social credit code or ID number, contact phone)"
    )]
    OwnerIncomplete,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A signature as submitted in a form (each field as typed).
pub struct SignatureForm<'a> {
    pub name: &'a str,
    pub purpose: &'a str,
    pub owner_name: &'a str,
    pub owner_id_number: &'a str,
    pub contact_phone: &'a str,
}

/// A template as submitted in a form.
pub struct TemplateForm<'a> {
    pub name: &'a str,
    pub content: &'a str,
    pub template_type: &'a str,
    pub remark: &'a str,
}

/// A decision on a pending submission. `submitted_at` is the submission the
/// reviewer saw (`None`: the current one).
pub struct Decision<'a> {
    pub key: &'a str,
    pub submitted_at: Option<i64>,
    pub approve: bool,
    pub reason: &'a str,
}

fn signature_audit(s: &SmsSignature) -> String {
    json!({
        "name": s.name,
        "status": s.status.as_str(),
        "purpose": s.purpose,
        "owner_name": s.owner.owner_name,
        "owner_registration_complete": owner_of(s).is_complete(),
        "reason": s.review.reason,
    })
    .to_string()
}

fn template_audit(t: &SmsTemplate) -> String {
    json!({
        "code": t.code,
        "name": t.name,
        "status": t.status.as_str(),
        "content": t.content,
        "template_type": t.template_type,
        "reason": t.review.reason,
    })
    .to_string()
}

fn owner_of(s: &SmsSignature) -> OwnerRegistration {
    OwnerRegistration {
        owner_name: s.owner.owner_name.clone(),
        owner_id_number: s.owner.owner_id_number.clone(),
        contact_phone: s.owner.contact_phone.clone(),
    }
}

/// Submits (or resubmits, while pending or rejected) a custom signature.
pub async fn submit_signature(
    state: &AppState,
    tenant_id: i64,
    actor: &Actor,
    form: SignatureForm<'_>,
) -> Result<SmsSignature, CatalogError> {
    let name = rules::signature_name(form.name)?;
    let purpose = SignPurpose::parse(form.purpose)?;
    let owner =
        OwnerRegistration::parse(form.owner_name, form.owner_id_number, form.contact_phone)?;
    let before = state.store.find_signature(tenant_id, &name).await?;
    let now = state.clock.now_millis();
    let sig = state
        .store
        .submit_signature(NewSignature {
            tenant_id,
            name,
            purpose: purpose.as_str().to_owned(),
            owner: OwnerDetails {
                owner_name: owner.owner_name,
                owner_id_number: owner.owner_id_number,
                contact_phone: owner.contact_phone,
            },
            submitted_by: actor.tag(),
            now,
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => CatalogError::Exists("signature"),
            e => CatalogError::Store(e),
        })?;
    audit::record(
        &*state.store,
        Change {
            tenant_id,
            actor,
            action: "sms_signature.submit",
            target: format!("signature {}", sig.name),
            before: before.as_ref().map(signature_audit),
            after: Some(signature_audit(&sig)),
        },
        now,
    )
    .await?;
    Ok(sig)
}

/// A template code in Alibaba's shape: `SMS_` and nine digits.
fn new_template_code() -> String {
    format!("SMS_{}", OsRng.gen_range(100_000_000u32..1_000_000_000))
}

/// Submits a custom template under a new code.
pub async fn submit_template(
    state: &AppState,
    tenant_id: i64,
    actor: &Actor,
    form: TemplateForm<'_>,
) -> Result<SmsTemplate, CatalogError> {
    let name = rules::template_name(form.name)?;
    let kind = rules::template_type(form.template_type)?;
    let content = rules::template_content(form.content, kind)?;
    let remark = form.remark.trim();
    if remark.chars().count() > 200 || remark.chars().any(char::is_control) {
        return Err(InvalidParam::new(
            "remark",
            "must be at most 200 characters, without control characters",
        )
        .into());
    }
    let remark = (!remark.is_empty()).then(|| remark.to_owned());
    let now = state.clock.now_millis();
    // A code taken already (by chance) is drawn again.
    let mut tries = 0;
    let tpl = loop {
        tries += 1;
        let new = NewTemplate {
            tenant_id,
            code: new_template_code(),
            name: name.clone(),
            content: content.clone(),
            template_type: kind,
            remark: remark.clone(),
            submitted_by: actor.tag(),
            now,
        };
        match state.store.submit_template(new).await {
            Ok(t) => break t,
            Err(StoreError::Conflict(_)) if tries < 5 => continue,
            Err(StoreError::Conflict(_)) => return Err(CatalogError::Exists("template")),
            Err(e) => return Err(e.into()),
        }
    };
    audit::record(
        &*state.store,
        Change {
            tenant_id,
            actor,
            action: "sms_template.submit",
            target: format!("template {}", tpl.code),
            before: None,
            after: Some(template_audit(&tpl)),
        },
        now,
    )
    .await?;
    Ok(tpl)
}

/// A rejection's reason (required), or an approval's note (optional).
fn reason(d: &Decision<'_>) -> Result<Option<String>, InvalidParam> {
    let r = d.reason.trim();
    if r.chars().count() > 200 || r.chars().any(char::is_control) {
        return Err(InvalidParam::new(
            "reason",
            "must be at most 200 characters, without control characters",
        ));
    }
    if r.is_empty() {
        if d.approve {
            return Ok(None);
        }
        return Err(InvalidParam::new("reason", "a rejection needs a reason"));
    }
    Ok(Some(r.to_owned()))
}

/// The operator's decision on a pending custom signature. Approval needs the
/// owner's complete registration details.
pub async fn review_signature(
    state: &AppState,
    tenant_id: i64,
    actor: &Actor,
    d: Decision<'_>,
) -> Result<SmsSignature, CatalogError> {
    let reason = reason(&d)?;
    let current = state
        .store
        .find_signature(tenant_id, d.key)
        .await?
        .filter(|s| !s.complimentary && s.status == ReviewStatus::Pending)
        .ok_or(CatalogError::NotPending("signature"))?;
    let submitted_at = current
        .review
        .submitted_at
        .ok_or(CatalogError::NotPending("signature"))?;
    if d.submitted_at.is_some_and(|seen| seen != submitted_at) {
        return Err(CatalogError::NotPending("signature"));
    }
    if d.approve && !owner_of(&current).is_complete() {
        return Err(CatalogError::OwnerIncomplete);
    }
    let now = state.clock.now_millis();
    // Conditional on the submission checked above: a resubmission in between
    // is not decided by this review.
    let sig = state
        .store
        .review_signature(Review {
            tenant_id,
            key: current.name.clone(),
            submitted_at,
            approve: d.approve,
            reason,
            reviewed_by: actor.tag(),
            now,
        })
        .await?
        .ok_or(CatalogError::NotPending("signature"))?;
    audit::record(
        &*state.store,
        Change {
            tenant_id,
            actor,
            action: if d.approve {
                "sms_signature.approve"
            } else {
                "sms_signature.reject"
            },
            target: format!("signature {}", sig.name),
            before: Some(signature_audit(&current)),
            after: Some(signature_audit(&sig)),
        },
        now,
    )
    .await?;
    Ok(sig)
}

/// The operator's decision on a pending custom template.
pub async fn review_template(
    state: &AppState,
    tenant_id: i64,
    actor: &Actor,
    d: Decision<'_>,
) -> Result<SmsTemplate, CatalogError> {
    let reason = reason(&d)?;
    let current = state
        .store
        .find_template(tenant_id, d.key)
        .await?
        .filter(|t| !t.complimentary && t.status == ReviewStatus::Pending)
        .ok_or(CatalogError::NotPending("template"))?;
    let submitted_at = current
        .review
        .submitted_at
        .ok_or(CatalogError::NotPending("template"))?;
    if d.submitted_at.is_some_and(|seen| seen != submitted_at) {
        return Err(CatalogError::NotPending("template"));
    }
    let now = state.clock.now_millis();
    let tpl = state
        .store
        .review_template(Review {
            tenant_id,
            key: current.code.clone(),
            submitted_at,
            approve: d.approve,
            reason,
            reviewed_by: actor.tag(),
            now,
        })
        .await?
        .ok_or(CatalogError::NotPending("template"))?;
    audit::record(
        &*state.store,
        Change {
            tenant_id,
            actor,
            action: if d.approve {
                "sms_template.approve"
            } else {
                "sms_template.reject"
            },
            target: format!("template {}", tpl.code),
            before: Some(template_audit(&current)),
            after: Some(template_audit(&tpl)),
        },
        now,
    )
    .await?;
    Ok(tpl)
}
