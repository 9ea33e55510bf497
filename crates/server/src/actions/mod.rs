//! The Open API actions: one file each. An action parses its parameters, calls a
//! service function and shapes the payload; the gateway adds the envelope.

mod check_sms_verify_code;
mod create_scheme_config;
mod create_verify_scheme;
mod delete_verify_scheme;
mod describe_verify_scheme;
mod get_auth_token;
mod get_fusion_auth_token;
mod get_mobile;
mod get_phone_with_token;
mod get_sms_auth_tokens;
mod query_gate_verify_billing_public;
mod query_gate_verify_statistic_public;
mod query_send_details;
mod send_sms_verify_code;
mod verify_mobile;
mod verify_phone_with_token;
mod verify_sms_code;
mod verify_with_fusion_auth_token;

use numgate_store::Tenant;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::params::Params;
use crate::state::AppState;

/// Who is calling: resolved by the gateway from a verified AccessKey.
pub struct Caller {
    pub tenant: Tenant,
    pub access_key_id: String,
    pub request_id: String,
}

impl Caller {
    /// Who the audit log names for this call's changes.
    pub fn actor(&self) -> crate::service::audit::Actor {
        crate::service::audit::Actor::AccessKey(self.access_key_id.clone())
    }
}

pub type Payload = Map<String, Value>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SendSmsVerifyCode,
    CheckSmsVerifyCode,
    QuerySendDetails,
    CreateVerifyScheme,
    DescribeVerifyScheme,
    DeleteVerifyScheme,
    GetMobile,
    VerifyMobile,
    GetAuthToken,
    GetPhoneWithToken,
    VerifyPhoneWithToken,
    CreateSchemeConfig,
    GetFusionAuthToken,
    VerifyWithFusionAuthToken,
    GetSmsAuthTokens,
    VerifySmsCode,
    QueryGateVerifyStatisticPublic,
    QueryGateVerifyBillingPublic,
}

impl Action {
    /// Every action, in the order of API.md.
    pub const ALL: [Action; 18] = [
        Self::SendSmsVerifyCode,
        Self::CheckSmsVerifyCode,
        Self::QuerySendDetails,
        Self::GetMobile,
        Self::VerifyMobile,
        Self::GetAuthToken,
        Self::GetPhoneWithToken,
        Self::VerifyPhoneWithToken,
        Self::GetFusionAuthToken,
        Self::VerifyWithFusionAuthToken,
        Self::GetSmsAuthTokens,
        Self::VerifySmsCode,
        Self::CreateVerifyScheme,
        Self::CreateSchemeConfig,
        Self::DescribeVerifyScheme,
        Self::DeleteVerifyScheme,
        Self::QueryGateVerifyStatisticPublic,
        Self::QueryGateVerifyBillingPublic,
    ];

    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "SendSmsVerifyCode" => Self::SendSmsVerifyCode,
            "CheckSmsVerifyCode" => Self::CheckSmsVerifyCode,
            "QuerySendDetails" => Self::QuerySendDetails,
            "CreateVerifyScheme" => Self::CreateVerifyScheme,
            "DescribeVerifyScheme" => Self::DescribeVerifyScheme,
            "DeleteVerifyScheme" => Self::DeleteVerifyScheme,
            "GetMobile" => Self::GetMobile,
            "VerifyMobile" => Self::VerifyMobile,
            "GetAuthToken" => Self::GetAuthToken,
            "GetPhoneWithToken" => Self::GetPhoneWithToken,
            "VerifyPhoneWithToken" => Self::VerifyPhoneWithToken,
            "CreateSchemeConfig" => Self::CreateSchemeConfig,
            "GetFusionAuthToken" => Self::GetFusionAuthToken,
            "VerifyWithFusionAuthToken" => Self::VerifyWithFusionAuthToken,
            "GetSmsAuthTokens" => Self::GetSmsAuthTokens,
            "VerifySmsCode" => Self::VerifySmsCode,
            "QueryGateVerifyStatisticPublic" => Self::QueryGateVerifyStatisticPublic,
            "QueryGateVerifyBillingPublic" => Self::QueryGateVerifyBillingPublic,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::SendSmsVerifyCode => "SendSmsVerifyCode",
            Self::CheckSmsVerifyCode => "CheckSmsVerifyCode",
            Self::QuerySendDetails => "QuerySendDetails",
            Self::CreateVerifyScheme => "CreateVerifyScheme",
            Self::DescribeVerifyScheme => "DescribeVerifyScheme",
            Self::DeleteVerifyScheme => "DeleteVerifyScheme",
            Self::GetMobile => "GetMobile",
            Self::VerifyMobile => "VerifyMobile",
            Self::GetAuthToken => "GetAuthToken",
            Self::GetPhoneWithToken => "GetPhoneWithToken",
            Self::VerifyPhoneWithToken => "VerifyPhoneWithToken",
            Self::CreateSchemeConfig => "CreateSchemeConfig",
            Self::GetFusionAuthToken => "GetFusionAuthToken",
            Self::VerifyWithFusionAuthToken => "VerifyWithFusionAuthToken",
            Self::GetSmsAuthTokens => "GetSmsAuthTokens",
            Self::VerifySmsCode => "VerifySmsCode",
            Self::QueryGateVerifyStatisticPublic => "QueryGateVerifyStatisticPublic",
            Self::QueryGateVerifyBillingPublic => "QueryGateVerifyBillingPublic",
        }
    }

    pub async fn run(
        self,
        state: &AppState,
        caller: &Caller,
        params: &Params,
    ) -> Result<Payload, ApiError> {
        match self {
            Self::SendSmsVerifyCode => send_sms_verify_code::run(state, caller, params).await,
            Self::CheckSmsVerifyCode => check_sms_verify_code::run(state, caller, params).await,
            Self::QuerySendDetails => query_send_details::run(state, caller, params).await,
            Self::CreateVerifyScheme => create_verify_scheme::run(state, caller, params).await,
            Self::DescribeVerifyScheme => describe_verify_scheme::run(state, caller, params).await,
            Self::DeleteVerifyScheme => delete_verify_scheme::run(state, caller, params).await,
            Self::GetMobile => get_mobile::run(state, caller, params).await,
            Self::VerifyMobile => verify_mobile::run(state, caller, params).await,
            Self::GetAuthToken => get_auth_token::run(state, caller, params).await,
            Self::GetPhoneWithToken => get_phone_with_token::run(state, caller, params).await,
            Self::VerifyPhoneWithToken => verify_phone_with_token::run(state, caller, params).await,
            Self::CreateSchemeConfig => create_scheme_config::run(state, caller, params).await,
            Self::GetFusionAuthToken => get_fusion_auth_token::run(state, caller, params).await,
            Self::VerifyWithFusionAuthToken => {
                verify_with_fusion_auth_token::run(state, caller, params).await
            }
            Self::GetSmsAuthTokens => get_sms_auth_tokens::run(state, caller, params).await,
            Self::VerifySmsCode => verify_sms_code::run(state, caller, params).await,
            Self::QueryGateVerifyStatisticPublic => {
                query_gate_verify_statistic_public::run(state, caller, params).await
            }
            Self::QueryGateVerifyBillingPublic => {
                query_gate_verify_billing_public::run(state, caller, params).await
            }
        }
    }
}

/// Parameters accepted by every action and ignored (Alibaba's account plumbing).
pub const IGNORED: [&str; 3] = ["OwnerId", "ResourceOwnerAccount", "ResourceOwnerId"];

/// Builds a payload from `(key, value)` pairs.
pub fn payload<const N: usize>(pairs: [(&str, Value); N]) -> Payload {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The phone number of a request: `PhoneNumber` within `CountryCode` (default 86).
pub fn phone_param(params: &Params) -> Result<numgate_domain::PhoneNumber, ApiError> {
    use crate::error::BizCode;
    let country = numgate_domain::CountryCode::parse(params.opt("CountryCode").unwrap_or(""))
        .map_err(|e| ApiError::invalid(BizCode::InvalidParameters, e))?;
    let number = params.required("PhoneNumber")?;
    numgate_domain::PhoneNumber::parse(&country, number)
        .map_err(|e| ApiError::invalid(BizCode::MobileNumberIllegal, e))
}

/// `SchemeName`, defaulting to the tenant's default scheme.
pub fn scheme_param(params: &Params) -> Result<numgate_domain::names::SchemeName, ApiError> {
    numgate_domain::names::SchemeName::parse(params.opt("SchemeName").unwrap_or(""))
        .map_err(|e| ApiError::invalid(crate::error::BizCode::InvalidParameters, e))
}

/// `OutId`, echoed back.
pub fn out_id_param(params: &Params) -> Result<Option<String>, ApiError> {
    numgate_domain::names::out_id(params.opt("OutId").unwrap_or(""))
        .map_err(|e| ApiError::invalid(crate::error::BizCode::InvalidParameters, e))
}
