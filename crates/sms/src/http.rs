//! The HTTP SMS provider channel: [`HttpSender`] posts each message as signed
//! JSON to a provider, retrying within one send; the provider reports delivery
//! later by posting signed receipts back ([`parse_receipts`]).
//!
//! The wire contract, both ways:
//! - numgate → provider: `POST {url}` with
//!   `{"message_id", "to": "+<digits>", "from", "text", "callback_url"}`,
//!   headers `Idempotency-Key: <message_id>` and
//!   `X-Numgate-Signature: t=<unix secs>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`.
//!   The provider answers 2xx `{"id": "<its id>"}`; a repeated idempotency key
//!   must answer the same id and not deliver again.
//! - provider → numgate: `POST {callback_url}` (numgate serves
//!   `/sms/v1/providers/{name}/receipts`) with a JSON array of receipts,
//!   signed the same way with the same secret.

mod receipts;
mod signature;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::sender::{OutgoingSms, SendError, SmsSender, Submitted};

pub use receipts::{parse_receipts, ReceiptError, MAX_RECEIPTS_PER_CALLBACK};
pub use signature::{
    sign, verify_signature, SignatureError, DEFAULT_MAX_SKEW_SECS, SIGNATURE_HEADER,
};

/// The header that makes a send idempotent at the provider.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The longest wait between two tries of one send, whatever the backoff says.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// One HTTP provider, as configured. `Debug` leaves out the secret.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpProviderConfig {
    /// The provider's name: in receipts, logs, and the receipt path
    /// `/sms/v1/providers/{name}/receipts` (so `[a-z0-9_-]`, 1–32 characters).
    pub name: String,
    /// Where messages are posted: `http://` or `https://`.
    pub url: String,
    /// The HMAC key shared with the provider, both directions.
    pub secret: String,
    /// How long one try may take, connecting included.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Tries within one send (at least 1) on 5xx, 429, timeouts and connection
    /// errors, before the dispatcher's own, slower retry takes over.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// The wait before the second try; it doubles each try, with jitter.
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
    /// The sender number (the service number); a message's up-extend code is
    /// appended so that replies reach its scheme. `None`: the provider's default.
    #[serde(default)]
    pub sender_id: Option<String>,
    /// Where the provider should post receipts; `None`: the provider's
    /// configured default (or no receipts).
    #[serde(default)]
    pub callback_url: Option<String>,
}

fn default_timeout_ms() -> u64 {
    5000
}
fn default_retries() -> u32 {
    3
}
fn default_backoff_ms() -> u64 {
    200
}

impl std::fmt::Debug for HttpProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpProviderConfig")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("timeout_ms", &self.timeout_ms)
            .field("retries", &self.retries)
            .field("backoff_ms", &self.backoff_ms)
            .field("sender_id", &self.sender_id)
            .field("callback_url", &self.callback_url)
            .finish()
    }
}

/// A configuration that cannot work; says which field and why, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpConfigError {
    #[error("SMS provider {field}: {reason}")]
    Invalid {
        field: &'static str,
        reason: &'static str,
    },
    #[error("SMS provider url: https:// needs TLS, which this build of numgate does not include")]
    TlsUnavailable,
    #[error("SMS provider HTTP client: {0}")]
    Client(String),
}

impl HttpProviderConfig {
    /// The checks [`HttpSender::new`] makes; call it when loading configuration.
    pub fn validate(&self) -> Result<(), HttpConfigError> {
        let invalid = |field, reason| Err(HttpConfigError::Invalid { field, reason });
        if self.name.is_empty()
            || self.name.len() > 32
            || !self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            return invalid("name", "1-32 characters of a-z, 0-9, _ and -");
        }
        if !is_http_url(&self.url) {
            return invalid("url", "must start with http:// or https://");
        }
        if self.secret.is_empty() {
            return invalid("secret", "must not be empty");
        }
        if self.timeout_ms == 0 || self.timeout_ms > 300_000 {
            return invalid("timeout_ms", "must be 1..=300000");
        }
        if self.retries == 0 || self.retries > 10 {
            return invalid("retries", "must be 1..=10 (tries within one send)");
        }
        if self.backoff_ms > 60_000 {
            return invalid("backoff_ms", "must be at most 60000");
        }
        if let Some(s) = &self.sender_id {
            if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return invalid("sender_id", "1-20 letters or digits");
            }
        }
        if let Some(u) = &self.callback_url {
            if !is_http_url(u) {
                return invalid("callback_url", "must start with http:// or https://");
            }
        }
        Ok(())
    }
}

fn is_http_url(url: &str) -> bool {
    ["http://", "https://"]
        .iter()
        .any(|scheme| url.len() > scheme.len() && url[..scheme.len()].eq_ignore_ascii_case(scheme))
}

/// Sends through one HTTP provider.
pub struct HttpSender {
    config: HttpProviderConfig,
    client: reqwest::Client,
}

impl std::fmt::Debug for HttpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSender")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct SendBody<'a> {
    message_id: String,
    to: String,
    from: Option<String>,
    text: &'a str,
    callback_url: Option<&'a str>,
}

#[derive(Deserialize)]
struct Accepted {
    id: String,
}

#[derive(Deserialize)]
struct Refused {
    code: Option<serde_json::Value>,
}

/// What one try came to.
enum Try {
    Done(Result<Submitted, SendError>),
    /// Worth another try; the reason, for the log and the final error.
    Again(String),
}

impl HttpSender {
    pub fn new(config: HttpProviderConfig) -> Result<Self, HttpConfigError> {
        config.validate()?;
        if config.url[..5].eq_ignore_ascii_case("https") {
            return Err(HttpConfigError::TlsUnavailable);
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            // A redirect would replay a signed POST somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| HttpConfigError::Client(e.without_url().to_string()))?;
        Ok(Self { config, client })
    }

    pub fn config(&self) -> &HttpProviderConfig {
        &self.config
    }

    fn body(&self, sms: &OutgoingSms) -> Vec<u8> {
        let from = self.config.sender_id.as_ref().map(|s| {
            let mut from = s.clone();
            from.push_str(sms.up_extend_code.as_deref().unwrap_or(""));
            from
        });
        let body = SendBody {
            message_id: sms.message_id.to_string(),
            to: format!("+{}", sms.phone),
            from,
            text: &sms.text,
            callback_url: self.config.callback_url.as_deref(),
        };
        serde_json::to_vec(&body).expect("a struct of strings serialises")
    }

    async fn try_once(&self, sms: &OutgoingSms, body: &[u8]) -> Try {
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let response = self
            .client
            .post(&self.config.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(IDEMPOTENCY_HEADER, sms.message_id.to_string())
            .header(
                SIGNATURE_HEADER,
                sign(self.config.secret.as_bytes(), t, body),
            )
            .body(body.to_vec())
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            // Timeouts, refused connections, resets: the provider may come back.
            Err(e) => return Try::Again(describe(e)),
        };
        let status = response.status();
        let bytes = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return Try::Again(format!("HTTP {status}: {}", describe(e))),
        };
        if status.is_success() {
            return Try::Done(match serde_json::from_slice::<Accepted>(&bytes) {
                Ok(a) if !a.id.trim().is_empty() && a.id.len() <= 64 => {
                    Ok(Submitted::accepted(a.id.trim()))
                }
                // Sending again is safe (same idempotency key) and may get an id.
                _ => Err(SendError::Temporary(format!(
                    "HTTP {status} without a provider message id"
                ))),
            });
        }
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Try::Again(format!("HTTP {}", status.as_u16()));
        }
        let mut err_code = format!("HTTP:{}", status.as_u16());
        if let Ok(Refused { code: Some(code) }) = serde_json::from_slice::<Refused>(&bytes) {
            let code = match code {
                serde_json::Value::String(s) => receipts::sanitise_code(&s),
                serde_json::Value::Number(n) => receipts::sanitise_code(&n.to_string()),
                _ => String::new(),
            };
            if !code.is_empty() {
                err_code.push(':');
                err_code.push_str(&code);
            }
        }
        Try::Done(Err(SendError::Permanent { err_code }))
    }

    /// The wait after try `n` (1-based): `backoff_ms * 2^(n-1)`, between half
    /// and all of it at random so that senders do not retry in step.
    fn backoff(&self, n: u32) -> Duration {
        let full = self
            .config
            .backoff_ms
            .saturating_mul(1u64 << (n - 1).min(16))
            .min(MAX_BACKOFF.as_millis() as u64);
        let jittered = rand::thread_rng().gen_range(full / 2..=full);
        Duration::from_millis(jittered)
    }
}

/// A transport error with its causes ("timed out", "connection refused"),
/// without the URL (it may hold credentials).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    if e.is_timeout() && !text.contains("timed out") {
        text.push_str(": timed out");
    }
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[async_trait]
impl SmsSender for HttpSender {
    async fn send(&self, sms: &OutgoingSms) -> Result<Submitted, SendError> {
        let body = self.body(sms);
        let mut last = String::new();
        for n in 1..=self.config.retries {
            match self.try_once(sms, &body).await {
                Try::Done(result) => {
                    if let Err(e) = &result {
                        tracing::warn!(
                            provider = %self.config.name,
                            message_id = sms.message_id,
                            error = %e,
                            "SMS provider did not accept the message"
                        );
                    }
                    return result;
                }
                Try::Again(reason) => {
                    tracing::warn!(
                        provider = %self.config.name,
                        message_id = sms.message_id,
                        attempt = n,
                        reason = %reason,
                        "SMS provider send failed; trying again"
                    );
                    last = reason;
                }
            }
            if n < self.config.retries {
                tokio::time::sleep(self.backoff(n)).await;
            }
        }
        Err(SendError::Temporary(format!(
            "{} after {} tries: {last}",
            self.config.name, self.config.retries
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> HttpProviderConfig {
        serde_json::from_value(serde_json::json!({
            "name": "acme",
            "url": "http://127.0.0.1:9/send",
            "secret": "s3cr3t-value",
        }))
        .unwrap()
    }

    #[test]
    fn defaults_apply_and_unknown_fields_are_refused() {
        let c = config();
        assert_eq!((c.timeout_ms, c.retries, c.backoff_ms), (5000, 3, 200));
        assert_eq!((c.sender_id, c.callback_url), (None, None));
        let err = serde_json::from_value::<HttpProviderConfig>(serde_json::json!({
            "name": "acme", "url": "http://x/", "secret": "s", "retry": 2,
        }))
        .unwrap_err();
        assert!(err.to_string().contains("retry"), "{err}");
    }

    #[test]
    fn debug_does_not_print_the_secret() {
        let c = config();
        let text = format!("{c:?}");
        assert!(!text.contains("s3cr3t-value"), "{text}");
        let sender = HttpSender::new(c).unwrap();
        assert!(!format!("{sender:?}").contains("s3cr3t-value"));
    }

    #[test]
    fn invalid_configurations_say_which_field() {
        type Change = fn(&mut HttpProviderConfig);
        let cases: [(&str, Change); 9] = [
            ("name", |c| c.name = "Acme Corp".into()),
            ("name", |c| c.name = String::new()),
            ("url", |c| c.url = "ftp://x/".into()),
            ("url", |c| c.url = "http://".into()),
            ("secret", |c| c.secret = String::new()),
            ("timeout_ms", |c| c.timeout_ms = 0),
            ("retries", |c| c.retries = 0),
            ("sender_id", |c| c.sender_id = Some("10 69".into())),
            ("callback_url", |c| {
                c.callback_url = Some("/receipts".into())
            }),
        ];
        for (field, change) in cases {
            let mut c = config();
            change(&mut c);
            match c.validate() {
                Err(HttpConfigError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let mut c = config();
        c.url = "HTTPS://provider.example/send".into();
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(
            HttpSender::new(c).unwrap_err(),
            HttpConfigError::TlsUnavailable
        );
    }

    #[test]
    fn the_body_carries_the_number_with_plus_and_the_extended_sender() {
        let mut c = config();
        c.sender_id = Some("1069".into());
        c.callback_url = Some("http://numgate/sms/v1/providers/acme/receipts".into());
        let sender = HttpSender::new(c).unwrap();
        let sms = OutgoingSms {
            message_id: 42,
            tenant_id: 1,
            biz_id: "b".into(),
            phone: "8613800000000".into(),
            text: "code 123456".into(),
            up_extend_code: Some("77".into()),
        };
        let v: serde_json::Value = serde_json::from_slice(&sender.body(&sms)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "message_id": "42",
                "to": "+8613800000000",
                "from": "106977",
                "text": "code 123456",
                "callback_url": "http://numgate/sms/v1/providers/acme/receipts",
            })
        );
        let sender = HttpSender::new(config()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&sender.body(&sms)).unwrap();
        assert_eq!(v["from"], serde_json::Value::Null);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let sender = HttpSender::new(config()).unwrap();
        for _ in 0..50 {
            let b1 = sender.backoff(1).as_millis();
            let b3 = sender.backoff(3).as_millis();
            assert!((100..=200).contains(&b1), "{b1}");
            assert!((400..=800).contains(&b3), "{b3}");
            assert!(sender.backoff(40) <= MAX_BACKOFF);
        }
    }
}
