//! Typed requests and responses of the actions numgate serves.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::api::{ClientError, OpenApi, Response};

/// Adds `k=v` to the parameters when the value is set.
fn put(p: &mut BTreeMap<String, String>, k: &str, v: Option<impl ToString>) {
    if let Some(v) = v {
        p.insert(k.to_owned(), v.to_string());
    }
}

#[derive(Debug, Clone, Default)]
pub struct SendSmsVerifyCode {
    pub phone_number: String,
    pub sign_name: String,
    pub template_code: String,
    /// JSON; `##code##` stands for the code. Defaults to `{"code":"##code##","min":"5"}`.
    pub template_param: String,
    pub country_code: Option<String>,
    pub scheme_name: Option<String>,
    pub code_length: Option<i64>,
    pub code_type: Option<i64>,
    pub valid_time: Option<i64>,
    pub interval: Option<i64>,
    pub duplicate_policy: Option<i64>,
    pub return_verify_code: Option<bool>,
    pub out_id: Option<String>,
    pub auto_retry: Option<i64>,
}

impl SendSmsVerifyCode {
    pub fn new(phone: &str, sign_name: &str, template_code: &str) -> Self {
        Self {
            phone_number: phone.into(),
            sign_name: sign_name.into(),
            template_code: template_code.into(),
            template_param: r###"{"code":"##code##","min":"5"}"###.into(),
            ..Default::default()
        }
    }

    fn params(&self) -> BTreeMap<String, String> {
        let mut p = BTreeMap::new();
        p.insert("PhoneNumber".into(), self.phone_number.clone());
        p.insert("SignName".into(), self.sign_name.clone());
        p.insert("TemplateCode".into(), self.template_code.clone());
        p.insert("TemplateParam".into(), self.template_param.clone());
        put(&mut p, "CountryCode", self.country_code.as_ref());
        put(&mut p, "SchemeName", self.scheme_name.as_ref());
        put(&mut p, "CodeLength", self.code_length);
        put(&mut p, "CodeType", self.code_type);
        put(&mut p, "ValidTime", self.valid_time);
        put(&mut p, "Interval", self.interval);
        put(&mut p, "DuplicatePolicy", self.duplicate_policy);
        put(&mut p, "ReturnVerifyCode", self.return_verify_code);
        put(&mut p, "OutId", self.out_id.as_ref());
        put(&mut p, "AutoRetry", self.auto_retry);
        p
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct SendSmsVerifyCodeModel {
    #[serde(default)]
    pub verify_code: Option<String>,
    #[serde(default)]
    pub biz_id: Option<String>,
    #[serde(default)]
    pub out_id: Option<String>,
    #[serde(default)]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModelBody<T> {
    #[serde(default)]
    pub model: Option<T>,
}

#[derive(Debug, Clone, Default)]
pub struct CheckSmsVerifyCode {
    pub phone_number: String,
    pub verify_code: String,
    pub country_code: Option<String>,
    pub scheme_name: Option<String>,
    pub out_id: Option<String>,
    pub case_auth_policy: Option<i64>,
}

impl CheckSmsVerifyCode {
    pub fn new(phone: &str, code: &str) -> Self {
        Self {
            phone_number: phone.into(),
            verify_code: code.into(),
            ..Default::default()
        }
    }

    fn params(&self) -> BTreeMap<String, String> {
        let mut p = BTreeMap::new();
        p.insert("PhoneNumber".into(), self.phone_number.clone());
        p.insert("VerifyCode".into(), self.verify_code.clone());
        put(&mut p, "CountryCode", self.country_code.as_ref());
        put(&mut p, "SchemeName", self.scheme_name.as_ref());
        put(&mut p, "OutId", self.out_id.as_ref());
        put(&mut p, "CaseAuthPolicy", self.case_auth_policy);
        p
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct CheckSmsVerifyCodeModel {
    #[serde(default)]
    pub verify_result: String,
    #[serde(default)]
    pub out_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct QuerySendDetails {
    pub phone_number: String,
    /// `yyyyMMdd`.
    pub send_date: String,
    pub page_size: i64,
    pub current_page: i64,
    pub biz_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct SendDetail {
    pub phone_num: String,
    pub send_status: i64,
    #[serde(default)]
    pub err_code: Option<String>,
    pub template_code: String,
    pub content: String,
    #[serde(default)]
    pub send_date: Option<String>,
    #[serde(default)]
    pub receive_date: Option<String>,
    #[serde(default)]
    pub out_id: Option<String>,
    #[serde(default)]
    pub biz_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendDetailsBody {
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub model: Vec<SendDetail>,
}

impl OpenApi {
    pub async fn send_sms_verify_code(
        &self,
        req: &SendSmsVerifyCode,
    ) -> Result<Response<ModelBody<SendSmsVerifyCodeModel>>, ClientError> {
        self.call("SendSmsVerifyCode", &req.params()).await
    }

    pub async fn check_sms_verify_code(
        &self,
        req: &CheckSmsVerifyCode,
    ) -> Result<Response<ModelBody<CheckSmsVerifyCodeModel>>, ClientError> {
        self.call("CheckSmsVerifyCode", &req.params()).await
    }

    pub async fn query_send_details(
        &self,
        req: &QuerySendDetails,
    ) -> Result<Response<SendDetailsBody>, ClientError> {
        let mut p = BTreeMap::new();
        p.insert("PhoneNumber".into(), req.phone_number.clone());
        p.insert("SendDate".into(), req.send_date.clone());
        p.insert("PageSize".into(), req.page_size.to_string());
        p.insert("CurrentPage".into(), req.current_page.to_string());
        put(&mut p, "BizId", req.biz_id.as_ref());
        self.call("QuerySendDetails", &p).await
    }
}
