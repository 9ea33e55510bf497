//! The signed transport: build the request with `numgate-acs`, send it, decode
//! the envelope.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Which of Alibaba's request signatures to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureScheme {
    /// `ACS3-HMAC-SHA256`, what current SDKs send.
    #[default]
    V3,
    /// The RPC `HMAC-SHA1` signature (`Signature`, `SignatureNonce`, `Timestamp`).
    V1,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    /// The gateway refused the request (HTTP 4xx/5xx): its code and message.
    #[error("{code} (HTTP {status}): {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
        request_id: String,
    },
    #[error("unexpected response: {0}")]
    Decode(String),
    #[error("bad endpoint: {0}")]
    Endpoint(String),
}

/// A decoded success envelope (business refusals included: check `code`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response<T> {
    pub request_id: String,
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub success: Option<bool>,
    #[serde(flatten)]
    pub body: T,
}

impl<T> Response<T> {
    pub fn is_ok(&self) -> bool {
        self.code == "OK"
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorBody {
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// Where the client reads the time it signs with.
pub type TimeSource = std::sync::Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>;

/// A client of one endpoint with one AccessKey.
#[derive(Clone)]
pub struct OpenApi {
    http: reqwest::Client,
    /// `http://host:port`, no trailing slash.
    base: String,
    host: String,
    access_key_id: String,
    secret: String,
    scheme: SignatureScheme,
    /// The system clock unless told otherwise (tests that move a server's fake
    /// clock sign with the same clock).
    now: TimeSource,
}

impl std::fmt::Debug for OpenApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenApi")
            .field("base", &self.base)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl OpenApi {
    /// `endpoint` is `http://host:port` (or `host:port`, taken as http).
    pub fn new(endpoint: &str, access_key_id: &str, secret: &str) -> Self {
        let base = if endpoint.contains("://") {
            endpoint.trim_end_matches('/').to_owned()
        } else {
            format!("http://{}", endpoint.trim_end_matches('/'))
        };
        let host = base
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(rest).to_owned())
            .unwrap_or_default();
        Self {
            http: reqwest::Client::new(),
            base,
            host,
            access_key_id: access_key_id.to_owned(),
            secret: secret.to_owned(),
            scheme: SignatureScheme::V3,
            now: std::sync::Arc::new(chrono::Utc::now),
        }
    }

    pub fn with_time_source(mut self, now: TimeSource) -> Self {
        self.now = now;
        self
    }

    pub fn with_scheme(mut self, scheme: SignatureScheme) -> Self {
        self.scheme = scheme;
        self
    }

    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// Calls any action with string parameters and decodes the envelope into `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        action: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<Response<T>, ClientError> {
        let (status, bytes) = self.call_raw(action, params).await?;
        if !(200..300).contains(&status) {
            let e: ErrorBody = serde_json::from_slice(&bytes)
                .map_err(|e| ClientError::Decode(format!("HTTP {status}: {e}")))?;
            return Err(ClientError::Api {
                status,
                code: e.code,
                message: e.message,
                request_id: e.request_id,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// Signs and sends; the HTTP status and body as they came.
    pub async fn call_raw(
        &self,
        action: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<(u16, Vec<u8>), ClientError> {
        let now = (self.now)();
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let signed = match self.scheme {
            SignatureScheme::V3 => numgate_acs::sign::sign_v3(
                &self.access_key_id,
                &self.secret,
                &self.host,
                action,
                numgate_acs::VERSION,
                params,
                now,
                &nonce,
            ),
            SignatureScheme::V1 => numgate_acs::sign::sign_v1(
                &self.access_key_id,
                &self.secret,
                &self.host,
                action,
                numgate_acs::VERSION,
                params,
                now,
                &nonce,
            ),
        };
        let url = format!("{}{}", self.base, signed.path_and_query);
        let mut req = self.http.request(signed.method.clone(), url);
        for (k, v) in &signed.headers {
            if !k.eq_ignore_ascii_case("host") {
                req = req.header(k, v);
            }
        }
        let resp = req.body(signed.body.clone()).send().await?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await?;
        Ok((status, bytes.to_vec()))
    }
}
