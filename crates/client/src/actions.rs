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

/// `CreateVerifyScheme`: an app to register. Set the identity of its `os_type`:
/// Android `pack_name` + `pack_sign`, iOS `bundle_id`, Web `url` + `origin`,
/// HarmonyOS the three `hm_*`.
#[derive(Debug, Clone, Default)]
pub struct CreateVerifyScheme {
    pub scheme_name: String,
    pub app_name: String,
    /// `Android`, `iOS`, `HarmonyOS` or `Web`.
    pub os_type: String,
    pub pack_name: Option<String>,
    pub pack_sign: Option<String>,
    pub bundle_id: Option<String>,
    pub url: Option<String>,
    pub origin: Option<String>,
    pub hm_app_identifier: Option<String>,
    pub hm_package_name: Option<String>,
    pub hm_sign_name: Option<String>,
    /// Comma list: 1 phone number verification, 2 SMS verification.
    pub auth_type: Option<String>,
    pub scene_type: Option<String>,
    pub sms_sign_name: Option<String>,
    pub ip_white_list: Option<String>,
    pub email: Option<String>,
    pub cm_api_code: Option<i64>,
    pub ct_api_code: Option<i64>,
    pub cu_api_code: Option<i64>,
}

impl CreateVerifyScheme {
    /// An Android app: package name and the MD5 of its signing certificate (32 hex digits).
    pub fn android(scheme_name: &str, app_name: &str, pack_name: &str, pack_sign: &str) -> Self {
        Self {
            scheme_name: scheme_name.into(),
            app_name: app_name.into(),
            os_type: "Android".into(),
            pack_name: Some(pack_name.into()),
            pack_sign: Some(pack_sign.into()),
            ..Default::default()
        }
    }

    pub fn ios(scheme_name: &str, app_name: &str, bundle_id: &str) -> Self {
        Self {
            scheme_name: scheme_name.into(),
            app_name: app_name.into(),
            os_type: "iOS".into(),
            bundle_id: Some(bundle_id.into()),
            ..Default::default()
        }
    }

    /// An H5 site: the page's URL and its origin (`scheme://host[:port]`).
    pub fn web(scheme_name: &str, app_name: &str, url: &str, origin: &str) -> Self {
        Self {
            scheme_name: scheme_name.into(),
            app_name: app_name.into(),
            os_type: "Web".into(),
            url: Some(url.into()),
            origin: Some(origin.into()),
            ..Default::default()
        }
    }

    fn params(&self) -> BTreeMap<String, String> {
        let mut p = BTreeMap::new();
        p.insert("SchemeName".into(), self.scheme_name.clone());
        p.insert("AppName".into(), self.app_name.clone());
        p.insert("OsType".into(), self.os_type.clone());
        put(&mut p, "PackName", self.pack_name.as_ref());
        put(&mut p, "PackSign", self.pack_sign.as_ref());
        put(&mut p, "BundleId", self.bundle_id.as_ref());
        put(&mut p, "Url", self.url.as_ref());
        put(&mut p, "Origin", self.origin.as_ref());
        put(&mut p, "HmAppIdentifier", self.hm_app_identifier.as_ref());
        put(&mut p, "HmPackageName", self.hm_package_name.as_ref());
        put(&mut p, "HmSignName", self.hm_sign_name.as_ref());
        put(&mut p, "AuthType", self.auth_type.as_ref());
        put(&mut p, "SceneType", self.scene_type.as_ref());
        put(&mut p, "SmsSignName", self.sms_sign_name.as_ref());
        put(&mut p, "IpWhiteList", self.ip_white_list.as_ref());
        put(&mut p, "Email", self.email.as_ref());
        put(&mut p, "CmApiCode", self.cm_api_code);
        put(&mut p, "CtApiCode", self.ct_api_code);
        put(&mut p, "CuApiCode", self.cu_api_code);
        p
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct GateVerifySchemeDto {
    #[serde(default)]
    pub scheme_code: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateVerifySchemeBody {
    #[serde(default, rename = "GateVerifySchemeDTO")]
    pub gate_verify_scheme_dto: Option<GateVerifySchemeDto>,
    #[serde(default)]
    pub http_status_code: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct SchemeQueryResultDto {
    /// Base64; what the client SDK initialises with.
    #[serde(default)]
    pub app_encrypt_info: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeVerifySchemeBody {
    #[serde(default, rename = "SchemeQueryResultDTO")]
    pub scheme_query_result_dto: Option<SchemeQueryResultDto>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteVerifySchemeBody {
    #[serde(default)]
    pub result: Option<bool>,
}

fn scheme_code_params(scheme_code: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("SchemeCode".to_owned(), scheme_code.to_owned())])
}

impl OpenApi {
    pub async fn create_verify_scheme(
        &self,
        req: &CreateVerifyScheme,
    ) -> Result<Response<CreateVerifySchemeBody>, ClientError> {
        self.call("CreateVerifyScheme", &req.params()).await
    }

    pub async fn describe_verify_scheme(
        &self,
        scheme_code: &str,
    ) -> Result<Response<DescribeVerifySchemeBody>, ClientError> {
        self.call("DescribeVerifyScheme", &scheme_code_params(scheme_code))
            .await
    }

    pub async fn delete_verify_scheme(
        &self,
        scheme_code: &str,
    ) -> Result<Response<DeleteVerifySchemeBody>, ClientError> {
        self.call("DeleteVerifyScheme", &scheme_code_params(scheme_code))
            .await
    }
}
