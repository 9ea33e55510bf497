//! A simulated HTTP SMS provider: takes numgate's signed sends, remembers each
//! message once per `Idempotency-Key`, and posts signed delivery receipts to
//! the message's `callback_url` until they are acknowledged.
//!
//! - `POST /send` — `{"message_id", "to": "+<digits>", "from", "text",
//!   "callback_url"}` with `Idempotency-Key` and `X-Numgate-Signature`
//!   (`t=<unix secs>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`). Answers
//!   `{"id": "<provider id>"}`; a repeated key answers the same id and counts a
//!   duplicate, not a delivery. Refusals are `{"code", "message"}`: 401
//!   `BAD_SIGNATURE`, 400 `BAD_REQUEST`, `MISSING_IDEMPOTENCY_KEY`,
//!   `IDEMPOTENCY_KEY_MISMATCH`, `INVALID_NUMBER`.
//! - Receipts: `POST <callback_url>` with `[{"id", "status": "delivered"|"failed",
//!   "err_code"?, "done_at"}]`, signed the same way with the same secret,
//!   retried with backoff until a 2xx (or shutdown).
//! - Control (see `control`): `GET /control/messages`, `GET /control/stats`,
//!   `POST /control/fail-next`, `POST /control/undeliverable`, `POST /control/delay`.

mod control;
mod signature;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// How the simulated provider runs. `Debug` leaves out the secrets.
#[derive(Clone)]
pub struct SmsProviderSimConfig {
    /// The HMAC key shared with numgate: checks sends, signs receipts.
    pub secret: String,
    /// Signature timestamps further than this from the wall clock are refused.
    pub max_skew_secs: u64,
    /// The wait after the first failed receipt post; doubles up to 5 s.
    pub receipt_backoff_ms: u64,
    /// When set, the control API wants `Authorization: Bearer <token>`;
    /// otherwise it is open (the simulator is a loopback test peer).
    pub control_token: Option<String>,
}

impl SmsProviderSimConfig {
    pub fn new(secret: impl Into<String>) -> Self {
        Self {
            secret: secret.into(),
            max_skew_secs: 300,
            receipt_backoff_ms: 100,
            control_token: None,
        }
    }
}

impl std::fmt::Debug for SmsProviderSimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsProviderSimConfig")
            .field("max_skew_secs", &self.max_skew_secs)
            .field("receipt_backoff_ms", &self.receipt_backoff_ms)
            .finish_non_exhaustive()
    }
}

const MAX_RECEIPT_BACKOFF: Duration = Duration::from_secs(5);

/// One message as the provider took it.
#[derive(Debug, Clone, Serialize)]
pub struct SimMessage {
    pub message_id: String,
    pub to: String,
    pub from: Option<String>,
    pub text: String,
    pub callback_url: Option<String>,
    /// The provider's id, as answered and as named in the receipt.
    pub provider_id: String,
    /// Always 1: a repeated idempotency key is a duplicate, not a delivery.
    pub deliveries: u64,
    pub duplicates: u64,
    /// `delivered` or `failed`, as the receipt says.
    pub receipt_status: &'static str,
    pub receipt_acknowledged: bool,
}

/// Counters since start.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SimStats {
    /// Every `POST /send`, refused ones included.
    pub requests: u64,
    pub unique_messages: u64,
    pub duplicates: u64,
    /// Sends answered with a `fail-next` status.
    pub faults: u64,
    /// Sends refused for their signature.
    pub bad_signatures: u64,
    /// Receipt posts made, retries included.
    pub receipts_sent: u64,
    /// Receipts whose post got a 2xx.
    pub receipts_acknowledged: u64,
}

#[derive(Default)]
struct Inner {
    messages: Vec<SimMessage>,
    /// Idempotency key → index in `messages`.
    by_key: HashMap<String, usize>,
    fail_next: u32,
    fail_status: u16,
    /// Digits without `+`.
    undeliverable: HashSet<String>,
    delay_ms: u64,
    stats: SimStats,
}

struct SimState {
    config: SmsProviderSimConfig,
    inner: Mutex<Inner>,
    client: reqwest::Client,
    /// Becomes `true` when shutdown starts: ends delays and receipt retries.
    shutdown: watch::Receiver<bool>,
}

impl SimState {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere leaves counters that are still worth reading.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sleeps `d`, or less if shutdown starts; `false` when it did.
    async fn sleep(&self, d: Duration) -> bool {
        let mut shutdown = self.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = shutdown.wait_for(|down| *down) => false,
        }
    }
}

/// Serves the simulated provider on `listener` until `shutdown` completes.
pub async fn run(
    config: SmsProviderSimConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if config.secret.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the SMS provider simulator needs a secret",
        ));
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(std::io::Error::other)?;
    let (shutting_down, shutdown_seen) = watch::channel(false);
    let state = Arc::new(SimState {
        config,
        inner: Mutex::new(Inner::default()),
        client,
        shutdown: shutdown_seen,
    });
    let app = Router::new()
        .route("/send", post(send))
        .nest("/control", control::routes(state.clone()))
        .with_state(state);
    let signal = async move {
        shutdown.await;
        let _ = shutting_down.send(true);
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(signal)
        .await
}

fn unix_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "code": code, "message": message }))).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendRequest {
    message_id: String,
    to: String,
    from: Option<String>,
    text: String,
    callback_url: Option<String>,
}

async fn send(State(state): State<Arc<SimState>>, headers: HeaderMap, body: Bytes) -> Response {
    let delay = {
        let mut inner = state.lock();
        inner.stats.requests += 1;
        inner.delay_ms
    };
    if delay > 0 && !state.sleep(Duration::from_millis(delay)).await {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "SHUTTING_DOWN",
            "shutting down",
        );
    }
    {
        let mut inner = state.lock();
        if inner.fail_next > 0 {
            inner.fail_next -= 1;
            inner.stats.faults += 1;
            let status =
                StatusCode::from_u16(inner.fail_status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return refuse(status, "SIM_FAULT", "injected by /control/fail-next");
        }
    }
    let signed = headers
        .get(signature::HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|h| {
            signature::verify(
                state.config.secret.as_bytes(),
                h,
                &body,
                unix_secs(),
                state.config.max_skew_secs,
            )
        });
    if !signed {
        state.lock().stats.bad_signatures += 1;
        return refuse(
            StatusCode::UNAUTHORIZED,
            "BAD_SIGNATURE",
            "signature missing or wrong",
        );
    }
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty() && k.len() <= 128)
    else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "MISSING_IDEMPOTENCY_KEY",
            "Idempotency-Key is required",
        );
    };
    let request: SendRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, "BAD_REQUEST", &e.to_string()),
    };
    if request.message_id != key {
        return refuse(
            StatusCode::BAD_REQUEST,
            "IDEMPOTENCY_KEY_MISMATCH",
            "Idempotency-Key differs from message_id",
        );
    }
    let digits = request.to.strip_prefix('+').unwrap_or("");
    if !(6..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "INVALID_NUMBER",
            "to must be +<6-15 digits>",
        );
    }
    let (provider_id, new_message) = {
        let mut inner = state.lock();
        if let Some(&i) = inner.by_key.get(key) {
            inner.stats.duplicates += 1;
            inner.messages[i].duplicates += 1;
            (inner.messages[i].provider_id.clone(), None)
        } else {
            let index = inner.messages.len();
            let provider_id = format!("hp{:08}", index + 1);
            let undeliverable = inner.undeliverable.contains(digits);
            let message = SimMessage {
                message_id: request.message_id,
                to: request.to,
                from: request.from,
                text: request.text,
                callback_url: request.callback_url,
                provider_id: provider_id.clone(),
                deliveries: 1,
                duplicates: 0,
                receipt_status: if undeliverable { "failed" } else { "delivered" },
                receipt_acknowledged: false,
            };
            inner.by_key.insert(key.to_owned(), index);
            inner.messages.push(message.clone());
            inner.stats.unique_messages += 1;
            (provider_id, Some((index, message)))
        }
    };
    if let Some((index, message)) = new_message {
        if let Some(url) = message.callback_url.clone() {
            tokio::spawn(post_receipt(state.clone(), index, message, url));
        }
    }
    (StatusCode::OK, Json(json!({ "id": provider_id }))).into_response()
}

/// Posts the message's receipt until the callback answers 2xx or shutdown.
async fn post_receipt(state: Arc<SimState>, index: usize, message: SimMessage, url: String) {
    let done_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut receipt = json!({
        "id": message.provider_id,
        "status": message.receipt_status,
        "done_at": done_at,
    });
    if message.receipt_status == "failed" {
        receipt["err_code"] = json!("UNDELIV");
    }
    let body = serde_json::to_vec(&json!([receipt])).expect("JSON values serialise");
    let mut backoff = Duration::from_millis(state.config.receipt_backoff_ms.max(1));
    loop {
        let header = signature::sign(state.config.secret.as_bytes(), unix_secs(), &body);
        let result = state
            .client
            .post(&url)
            .header("content-type", "application/json")
            .header(signature::HEADER, header)
            .body(body.clone())
            .send()
            .await;
        let acknowledged = matches!(&result, Ok(r) if r.status().is_success());
        {
            let mut inner = state.lock();
            inner.stats.receipts_sent += 1;
            if acknowledged {
                inner.stats.receipts_acknowledged += 1;
                inner.messages[index].receipt_acknowledged = true;
            }
        }
        if acknowledged || !state.sleep(backoff).await {
            return;
        }
        backoff = (backoff * 2).min(MAX_RECEIPT_BACKOFF);
    }
}
