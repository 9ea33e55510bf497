//! Custom SMS signatures and templates submitted by a tenant and reviewed by the
//! operator: the inputs and states of that review.

use numgate_domain::clock::Millis;

/// Where a signature or template stands: only an approved one sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewStatus {
    Pending,
    Approved,
    Rejected,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// The registration details of a custom signature's owner, as submitted
/// (validated by the caller); a signature is approved only with all three.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnerDetails {
    pub owner_name: Option<String>,
    /// Unified social credit code or resident ID number.
    pub owner_id_number: Option<String>,
    /// Digits with the country code.
    pub contact_phone: Option<String>,
}

/// Who submitted and who reviewed, when, and the reason of a rejection.
/// All `None` for the complimentary catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewTrail {
    pub submitted_by: Option<String>,
    pub submitted_at: Option<Millis>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<Millis>,
    pub reason: Option<String>,
}

/// A custom signature submitted for approval.
#[derive(Debug, Clone)]
pub struct NewSignature {
    pub tenant_id: i64,
    pub name: String,
    pub purpose: String,
    pub owner: OwnerDetails,
    pub submitted_by: String,
    pub now: Millis,
}

/// A custom template submitted for approval.
#[derive(Debug, Clone)]
pub struct NewTemplate {
    pub tenant_id: i64,
    pub code: String,
    pub name: String,
    pub content: String,
    pub template_type: i32,
    pub remark: Option<String>,
    pub submitted_by: String,
    pub now: Millis,
}

/// The operator's decision on a pending signature (`key` its name) or
/// template (`key` its code).
#[derive(Debug, Clone)]
pub struct Review {
    pub tenant_id: i64,
    pub key: String,
    /// The submission the reviewer saw: a resubmission since then is not
    /// decided by this review.
    pub submitted_at: Millis,
    pub approve: bool,
    pub reason: Option<String>,
    pub reviewed_by: String,
    pub now: Millis,
}
