//! A GSMA Open Gateway operator through the CAMARA APIs: the device proves its
//! number by network-based OIDC (`prompt=none` over its bearer) and hands numgate
//! the authorization code; numgate exchanges the code for an access token and
//! calls Number Verification. SIM Swap uses a client-credentials token.

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::{http_client, unavailable, CarrierError, CarrierGateway, Timeouts};

/// Scope of a one-click (number share) authorization.
pub const SCOPE_SHARE: &str = "openid number-verification:device-phone-number:read";
/// Scope of a number check authorization.
pub const SCOPE_VERIFY: &str = "openid number-verification:verify";

/// numgate's registration at the operator. `Debug` leaves the secret out.
#[derive(Clone)]
pub struct CamaraClient {
    pub client_id: String,
    pub client_secret: String,
    /// Where the operator sends the device back with the code.
    pub redirect_uri: String,
}

impl std::fmt::Debug for CamaraClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CamaraClient")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct Camara {
    base_url: String,
    client: CamaraClient,
    /// Send numbers to verify as SHA-256 hashes (the operator learns no number).
    hashed: bool,
    http: reqwest::Client,
}

impl Camara {
    /// `base_url` is the operator's, e.g. `http://127.0.0.1:9100/camara`.
    pub fn new(base_url: &str, client: CamaraClient, hashed: bool, timeouts: Timeouts) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            client,
            hashed,
            http: http_client(timeouts),
        }
    }

    /// The URL the device opens over its bearer (network-based authentication).
    pub fn authorize_url(&self, scope: &str, state: &str) -> String {
        let q = serde_urlencoded_pairs(&[
            ("response_type", "code"),
            ("client_id", &self.client.client_id),
            ("redirect_uri", &self.client.redirect_uri),
            ("scope", scope),
            ("state", state),
            ("prompt", "none"),
        ]);
        format!("{}/authorize?{q}", self.base_url)
    }

    fn basic_auth(&self) -> String {
        let pair = format!("{}:{}", self.client.client_id, self.client.client_secret);
        format!("Basic {}", STANDARD.encode(pair))
    }

    async fn token(&self, form: &[(&str, &str)]) -> Result<String, CarrierError> {
        let resp = self
            .http
            .post(format!("{}/token", self.base_url))
            .header("authorization", self.basic_auth())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded_pairs(form))
            .send()
            .await
            .map_err(|e| unavailable(&e))?;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.map_err(|e| unavailable(&e))?;
        match status {
            200 => body
                .get("access_token")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| CarrierError::Unavailable("malformed answer".into())),
            400 if body.get("error").and_then(Value::as_str) == Some("invalid_grant") => {
                Err(CarrierError::TokenInvalid)
            }
            s if s >= 500 => Err(CarrierError::Unavailable(format!("HTTP {s}"))),
            s => Err(CarrierError::Refused(format!(
                "token endpoint HTTP {s} {}",
                body.get("error").and_then(Value::as_str).unwrap_or("")
            ))),
        }
    }

    async fn code_token(&self, code: &str) -> Result<String, CarrierError> {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.client.redirect_uri),
        ])
        .await
    }

    /// Calls an API with a bearer token; the answer's JSON.
    async fn api(
        &self,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, CarrierError> {
        let url = format!("{}{path}", self.base_url);
        let req = match body {
            Some(b) => self.http.post(url).json(&b),
            None => self.http.get(url),
        };
        let resp = req
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| unavailable(&e))?;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.map_err(|e| unavailable(&e))?;
        let code = body.get("code").and_then(Value::as_str).unwrap_or("");
        match status {
            200 => Ok(body),
            401 => Err(CarrierError::TokenInvalid),
            403 if code == "PERMISSION_DENIED" => Err(CarrierError::TokenWrongPurpose),
            s if s >= 500 => Err(CarrierError::Unavailable(format!("HTTP {s}"))),
            s => Err(CarrierError::Refused(format!("HTTP {s} {code}"))),
        }
    }

    /// Whether the number's SIM changed in the last `max_age_hours`.
    pub async fn sim_swapped(&self, e164: &str, max_age_hours: u32) -> Result<bool, CarrierError> {
        let token = self
            .token(&[("grant_type", "client_credentials"), ("scope", "sim-swap")])
            .await?;
        let body = self
            .api(
                &token,
                "/sim-swap/v0/check",
                Some(json!({"phoneNumber": e164, "maxAge": max_age_hours})),
            )
            .await?;
        body.get("swapped")
            .and_then(Value::as_bool)
            .ok_or_else(|| CarrierError::Unavailable("malformed answer".into()))
    }

    /// When the number's SIM last changed, if the operator knows.
    pub async fn sim_swap_date(&self, e164: &str) -> Result<Option<DateTime<Utc>>, CarrierError> {
        let token = self
            .token(&[("grant_type", "client_credentials"), ("scope", "sim-swap")])
            .await?;
        let body = self
            .api(
                &token,
                "/sim-swap/v0/retrieve-date",
                Some(json!({"phoneNumber": e164})),
            )
            .await?;
        match body.get("latestSimChange") {
            Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
                .map(|d| Some(d.with_timezone(&Utc)))
                .map_err(|_| CarrierError::Unavailable("malformed answer".into())),
            Some(Value::Null) | None => Ok(None),
            Some(_) => Err(CarrierError::Unavailable("malformed answer".into())),
        }
    }
}

#[async_trait]
impl CarrierGateway for Camara {
    /// `code` is the authorization code the device got with [`SCOPE_SHARE`].
    async fn exchange(&self, code: &str) -> Result<String, CarrierError> {
        let token = self.code_token(code).await?;
        let body = self
            .api(&token, "/number-verification/v0/device-phone-number", None)
            .await?;
        body.get("devicePhoneNumber")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| CarrierError::Unavailable("malformed answer".into()))
    }

    /// `code` is the authorization code the device got with [`SCOPE_VERIFY`];
    /// `number` is E.164 (`+…`).
    async fn verify(&self, code: &str, number: &str) -> Result<bool, CarrierError> {
        let token = self.code_token(code).await?;
        let body = if self.hashed {
            json!({ "hashedPhoneNumber": hex::encode(Sha256::digest(number.as_bytes())) })
        } else {
            json!({ "phoneNumber": number })
        };
        let answer = self
            .api(&token, "/number-verification/v0/verify", Some(body))
            .await?;
        answer
            .get("devicePhoneNumberVerified")
            .and_then(Value::as_bool)
            .ok_or_else(|| CarrierError::Unavailable("malformed answer".into()))
    }
}

/// `k=v&…`, form-encoded.
fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}
