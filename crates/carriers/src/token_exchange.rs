//! The token exchange of China Mobile, China Unicom and China Telecom: the device
//! gets a single-use token over its bearer; numgate, signing with the app's key,
//! exchanges it for the number (one-click) or asks whether it matches (check).

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use rand::distributions::{Alphanumeric, DistString};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::{http_client, unavailable, CarrierError, CarrierGateway, Timeouts};

/// Which carrier, and so which envelope and result codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    ChinaMobile,
    ChinaUnicom,
    ChinaTelecom,
}

impl Dialect {
    /// The carrier's path prefix at its gateway.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::ChinaMobile => "cm",
            Self::ChinaUnicom => "cu",
            Self::ChinaTelecom => "ct",
        }
    }

    /// The result code of an envelope, as text (cm sends strings, cu/ct numbers).
    fn result_code(self, body: &Value) -> Option<String> {
        let field = match self {
            Self::ChinaMobile => "resultCode",
            Self::ChinaUnicom => "code",
            Self::ChinaTelecom => "result",
        };
        match body.get(field)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// What a result code means; `None` for success.
    fn meaning(self, code: &str) -> Option<CarrierError> {
        let (ok, invalid, other_app, purpose) = match self {
            Self::ChinaMobile => ("103000", "105312", "105313", "105314"),
            Self::ChinaUnicom => ("0", "2001", "2002", "2003"),
            Self::ChinaTelecom => ("0", "-20001", "-20002", "-20003"),
        };
        if code == ok {
            None
        } else if code == invalid || code == other_app {
            // A token of another app is, for this app, no token at all.
            Some(CarrierError::TokenInvalid)
        } else if code == purpose {
            Some(CarrierError::TokenWrongPurpose)
        } else {
            Some(CarrierError::Refused(format!(
                "{} result code {code}",
                self.prefix()
            )))
        }
    }
}

/// One app's credentials at one carrier (the `CmApiCode`/`CuApiCode`/`CtApiCode`
/// registration of a tenant). `Debug` leaves the key out.
#[derive(Clone)]
pub struct AppCredentials {
    pub app_id: String,
    pub app_key: String,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

/// A token-exchange carrier at `base_url` (the gateway, without the carrier prefix).
#[derive(Debug, Clone)]
pub struct TokenExchange {
    dialect: Dialect,
    base_url: String,
    app: AppCredentials,
    http: reqwest::Client,
}

type HmacSha256 = Hmac<Sha256>;

impl TokenExchange {
    pub fn new(dialect: Dialect, base_url: &str, app: AppCredentials, timeouts: Timeouts) -> Self {
        Self {
            dialect,
            base_url: base_url.trim_end_matches('/').to_owned(),
            app,
            http: http_client(timeouts),
        }
    }

    /// Signs and sends one call; the `data` of a successful answer.
    async fn call(&self, endpoint: &str, body: Value) -> Result<Value, CarrierError> {
        let path = format!("/{}/{endpoint}", self.dialect.prefix());
        let body = serde_json::to_vec(&body)
            .map_err(|_| CarrierError::Refused("unencodable request".into()))?;
        let mut attempt = 0;
        let resp = loop {
            attempt += 1;
            let timestamp = chrono::Utc::now().timestamp().to_string();
            let nonce = Alphanumeric.sample_string(&mut rand::rngs::OsRng, 24);
            let canonical = format!(
                "POST\n{path}\n{}\n{timestamp}\n{nonce}\n{}",
                self.app.app_id,
                hex::encode(Sha256::digest(&body))
            );
            let mut mac = <HmacSha256 as Mac>::new_from_slice(self.app.app_key.as_bytes())
                .expect("HMAC takes any key length");
            mac.update(canonical.as_bytes());
            let signature = hex::encode(mac.finalize().into_bytes());
            let sent = self
                .http
                .post(format!("{}{path}", self.base_url))
                .header("content-type", "application/json")
                .header("x-app-id", &self.app.app_id)
                .header("x-timestamp", &timestamp)
                .header("x-nonce", &nonce)
                .header("x-signature", signature)
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(r) => break r,
                // Refused before anything was sent: the token is not spent, so one
                // more try is safe. A timeout is not: the carrier may have spent it.
                Err(e) if e.is_connect() && attempt < 2 => continue,
                Err(e) => return Err(unavailable(&e)),
            }
        };
        if !resp.status().is_success() {
            return Err(CarrierError::Unavailable(format!(
                "HTTP {}",
                resp.status().as_u16()
            )));
        }
        let envelope: Value = resp.json().await.map_err(|e| unavailable(&e))?;
        let code = self
            .dialect
            .result_code(&envelope)
            .ok_or_else(|| CarrierError::Unavailable("malformed answer".into()))?;
        match self.dialect.meaning(&code) {
            None => envelope
                .get("data")
                .cloned()
                .ok_or_else(|| CarrierError::Unavailable("malformed answer".into())),
            Some(e) => Err(e),
        }
    }
}

#[async_trait]
impl CarrierGateway for TokenExchange {
    async fn exchange(&self, token: &str) -> Result<String, CarrierError> {
        let data = self.call("exchange", json!({ "token": token })).await?;
        data.get("phone_number")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| CarrierError::Unavailable("malformed answer".into()))
    }

    async fn verify(&self, token: &str, number: &str) -> Result<bool, CarrierError> {
        // Only the hash leaves numgate: the carrier learns nothing it does not know.
        let hashed = hex::encode(Sha256::digest(number.as_bytes()));
        let data = self
            .call(
                "verify",
                json!({ "token": token, "phone_number_sha256": hashed }),
            )
            .await?;
        data.get("match")
            .and_then(Value::as_bool)
            .ok_or_else(|| CarrierError::Unavailable("malformed answer".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_codes_mean_the_same_across_dialects() {
        for (d, ok, invalid, purpose, sign) in [
            (Dialect::ChinaMobile, "103000", "105312", "105314", "103101"),
            (Dialect::ChinaUnicom, "0", "2001", "2003", "1002"),
            (Dialect::ChinaTelecom, "0", "-20001", "-20003", "-10002"),
        ] {
            assert_eq!(d.meaning(ok), None);
            assert_eq!(d.meaning(invalid), Some(CarrierError::TokenInvalid));
            assert_eq!(d.meaning(purpose), Some(CarrierError::TokenWrongPurpose));
            assert!(matches!(d.meaning(sign), Some(CarrierError::Refused(_))));
        }
        assert_eq!(
            Dialect::ChinaUnicom
                .result_code(&json!({"code": 2001}))
                .as_deref(),
            Some("2001")
        );
        assert_eq!(Dialect::ChinaMobile.result_code(&json!({"code": 1})), None);
    }

    #[test]
    fn debug_leaves_the_app_key_out() {
        let a = AppCredentials {
            app_id: "300011".into(),
            app_key: "very-secret".into(),
        };
        assert!(!format!("{a:?}").contains("very-secret"));
    }
}
