//! The HTTP provider sender against the simulated provider over loopback
//! HTTP, and the provider's signed receipts into a small receiver that checks
//! them as numgate's endpoint will.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use numgate_carrier_sim::sms_http::{self, SmsProviderSimConfig};
use numgate_sms::http::{
    parse_receipts, verify_signature, HttpProviderConfig, DEFAULT_MAX_SKEW_SECS, SIGNATURE_HEADER,
};
use numgate_sms::{receipt_id_forms, HttpSender, OutgoingSms, Receipt, SendError, SmsSender};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

const SECRET: &str = "shared-provider-secret";

/// The simulated provider, stopped when dropped.
struct Provider {
    /// `http://127.0.0.1:<port>/`
    base: String,
    http: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

async fn provider() -> Provider {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let config = SmsProviderSimConfig {
        receipt_backoff_ms: 20,
        ..SmsProviderSimConfig::new(SECRET)
    };
    tokio::spawn(sms_http::run(config, listener, async move {
        let _ = stopped.await;
    }));
    Provider {
        base,
        http: reqwest::Client::new(),
        _stop: stop,
    }
}

impl Provider {
    async fn control(&self, path: &str, body: Value) {
        let r = self
            .http
            .post(format!("{}control/{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }

    async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}control/{path}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn messages(&self) -> Vec<Value> {
        self.get("messages").await["messages"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// A sender to this provider; `change` adjusts the configuration.
    fn sender(&self, change: impl FnOnce(&mut HttpProviderConfig)) -> HttpSender {
        let mut config: HttpProviderConfig = serde_json::from_value(json!({
            "name": "acme",
            "url": format!("{}send", self.base),
            "secret": SECRET,
            "timeout_ms": 2000,
            "backoff_ms": 10,
        }))
        .unwrap();
        change(&mut config);
        HttpSender::new(config).unwrap()
    }
}

fn sms(message_id: i64, phone: &str) -> OutgoingSms {
    OutgoingSms {
        message_id,
        tenant_id: 1,
        biz_id: format!("biz-{message_id}"),
        phone: phone.into(),
        text: format!("Your code is {}", 100_000 + message_id),
        up_extend_code: None,
    }
}

/// numgate's side of the receipt callback, as the server will have it:
/// signature checked, body parsed, receipts handed on, then 200.
struct Receiver {
    url: String,
    receipts: mpsc::UnboundedReceiver<Vec<Receipt>>,
    bad_signatures: Arc<AtomicU32>,
}

#[derive(Clone)]
struct ReceiverState {
    tx: mpsc::UnboundedSender<Vec<Receipt>>,
    /// Answer this many posts with 503 before taking any.
    refuse_first: Arc<AtomicU32>,
    bad_signatures: Arc<AtomicU32>,
}

async fn receive(State(s): State<ReceiverState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let header = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if verify_signature(SECRET.as_bytes(), header, &body, now, DEFAULT_MAX_SKEW_SECS).is_err() {
        s.bad_signatures.fetch_add(1, Ordering::SeqCst);
        return StatusCode::UNAUTHORIZED;
    }
    if s.refuse_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    match parse_receipts("acme", &body) {
        Ok(receipts) => {
            let _ = s.tx.send(receipts);
            StatusCode::OK
        }
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

async fn receiver(refuse_first: u32) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/sms/v1/providers/acme/receipts",
        listener.local_addr().unwrap()
    );
    let (tx, receipts) = mpsc::unbounded_channel();
    let bad_signatures = Arc::new(AtomicU32::new(0));
    let state = ReceiverState {
        tx,
        refuse_first: Arc::new(AtomicU32::new(refuse_first)),
        bad_signatures: bad_signatures.clone(),
    };
    let app = Router::new()
        .route("/sms/v1/providers/{name}/receipts", post(receive))
        .with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver {
        url,
        receipts,
        bad_signatures,
    }
}

impl Receiver {
    async fn next(&mut self) -> Vec<Receipt> {
        tokio::time::timeout(Duration::from_secs(10), self.receipts.recv())
            .await
            .expect("a receipt within 10 s")
            .unwrap()
    }
}

#[tokio::test]
async fn a_message_sent_over_http_arrives_with_its_text_and_number() {
    let provider = provider().await;
    let sender = provider.sender(|c| c.sender_id = Some("1069".into()));
    let mut message = sms(7, "8613800138000");
    message.up_extend_code = Some("12".into());

    let submitted = sender.send(&message).await.unwrap();

    assert!(!submitted.delivered);
    let id = submitted.provider_message_id.expect("the provider's id");
    let messages = provider.messages().await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert_eq!(m["message_id"], "7");
    assert_eq!(m["to"], "+8613800138000");
    assert_eq!(m["from"], "106912");
    assert_eq!(m["text"], "Your code is 100007");
    assert_eq!(m["provider_id"], id.as_str());
    assert_eq!(m["deliveries"], 1);
    assert_eq!(m["callback_url"], Value::Null);
}

#[tokio::test]
async fn the_provider_receipt_comes_back_signed_and_verifies() {
    let provider = provider().await;
    let mut receiver = receiver(0).await;
    let callback = receiver.url.clone();
    let sender = provider.sender(|c| c.callback_url = Some(callback));

    let id = sender
        .send(&sms(8, "8613800138000"))
        .await
        .unwrap()
        .provider_message_id
        .unwrap();
    let receipts = receiver.next().await;

    assert_eq!(receipts.len(), 1);
    let r = &receipts[0];
    assert_eq!(r.provider, "acme");
    assert!(receipt_id_forms(&r.provider_message_id)
        .iter()
        .any(|f| receipt_id_forms(&id).contains(f)));
    assert!(r.delivered);
    assert_eq!(r.err_code, None);
    assert!(r.done_at.is_some());
    assert_eq!(receiver.bad_signatures.load(Ordering::SeqCst), 0);
    let messages = provider.messages().await;
    assert_eq!(messages[0]["callback_url"], receiver.url.as_str());
}

#[tokio::test]
async fn a_refused_receipt_is_posted_again_until_acknowledged() {
    let provider = provider().await;
    let mut receiver = receiver(2).await;
    let callback = receiver.url.clone();
    let sender = provider.sender(|c| c.callback_url = Some(callback));

    sender.send(&sms(9, "8613800138000")).await.unwrap();
    let receipts = receiver.next().await;

    assert_eq!(receipts.len(), 1);
    // The acknowledgement is counted just after the receiver answers.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stats = provider.get("stats").await;
        if stats["receipts_acknowledged"] == 1 {
            assert_eq!(stats["receipts_sent"], 3, "{stats}");
            break;
        }
        assert!(Instant::now() < deadline, "{stats}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(provider.messages().await[0]["receipt_acknowledged"], true);
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_the_provider_for_good() {
    let provider = provider().await;
    let sender = provider.sender(|c| c.secret = "not-the-shared-secret".into());

    let err = sender.send(&sms(10, "8613800138000")).await.unwrap_err();

    match err {
        SendError::Permanent { err_code } => assert_eq!(err_code, "HTTP:401:BAD_SIGNATURE"),
        other => panic!("{other:?}"),
    }
    let stats = provider.get("stats").await;
    // Refused at once: a 401 is not retried.
    assert_eq!(stats["requests"], 1, "{stats}");
    assert_eq!(stats["bad_signatures"], 1, "{stats}");
    assert_eq!(stats["unique_messages"], 0, "{stats}");
}

#[tokio::test]
async fn a_refusal_carries_the_provider_code() {
    let provider = provider().await;
    let sender = provider.sender(|_| {});

    let err = sender.send(&sms(11, "12")).await.unwrap_err();

    match err {
        SendError::Permanent { err_code } => assert_eq!(err_code, "HTTP:400:INVALID_NUMBER"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn two_503s_are_retried_within_one_send() {
    let provider = provider().await;
    provider
        .control("fail-next", json!({"n": 2, "status": 503}))
        .await;
    let sender = provider.sender(|_| {});

    let submitted = sender.send(&sms(12, "8613800138000")).await.unwrap();

    assert!(submitted.provider_message_id.is_some());
    let stats = provider.get("stats").await;
    assert_eq!(stats["requests"], 3, "{stats}");
    assert_eq!(stats["faults"], 2, "{stats}");
    assert_eq!(stats["unique_messages"], 1, "{stats}");
}

#[tokio::test]
async fn service_unavailable_beyond_the_tries_of_one_send_is_temporary() {
    let provider = provider().await;
    provider
        .control("fail-next", json!({"n": 3, "status": 503}))
        .await;
    let sender = provider.sender(|c| c.retries = 3);

    let err = sender.send(&sms(13, "8613800138000")).await.unwrap_err();

    assert!(matches!(err, SendError::Temporary(_)), "{err:?}");
    let stats = provider.get("stats").await;
    assert_eq!(stats["requests"], 3, "{stats}");
    assert_eq!(stats["unique_messages"], 0, "{stats}");
    // The dispatcher's later retry gets through.
    sender.send(&sms(13, "8613800138000")).await.unwrap();
}

#[tokio::test]
async fn too_many_requests_is_retried_too() {
    let provider = provider().await;
    provider
        .control("fail-next", json!({"n": 1, "status": 429}))
        .await;
    let sender = provider.sender(|_| {});

    sender.send(&sms(14, "8613800138000")).await.unwrap();

    assert_eq!(provider.get("stats").await["requests"], 2);
}

#[tokio::test]
async fn a_provider_that_answers_too_slowly_is_a_temporary_failure() {
    let provider = provider().await;
    provider.control("delay", json!({"ms": 3000})).await;
    let sender = provider.sender(|c| {
        c.timeout_ms = 200;
        c.retries = 2;
    });

    let started = Instant::now();
    let err = sender.send(&sms(15, "8613800138000")).await.unwrap_err();

    match err {
        SendError::Temporary(reason) => assert!(reason.contains("timed out"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_millis(2500));
    // Later, with the provider fast again, the message goes through once,
    // whatever the provider made of the abandoned tries.
    provider.control("delay", json!({"ms": 0})).await;
    sender.send(&sms(15, "8613800138000")).await.unwrap();
    let messages = provider.messages().await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["deliveries"], 1);
}

#[tokio::test]
async fn an_unreachable_provider_is_a_temporary_failure() {
    // A port that was just free: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config: HttpProviderConfig = serde_json::from_value(json!({
        "name": "acme",
        "url": format!("http://127.0.0.1:{port}/send"),
        "secret": SECRET,
        "backoff_ms": 10,
    }))
    .unwrap();

    let err = HttpSender::new(config)
        .unwrap()
        .send(&sms(16, "8613800138000"))
        .await
        .unwrap_err();

    match err {
        SendError::Temporary(reason) => {
            assert!(reason.contains("after 3 tries"), "{reason}");
            assert!(!reason.contains(SECRET), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_same_message_id_sent_twice_is_delivered_once() {
    let provider = provider().await;
    let sender = provider.sender(|_| {});

    let first = sender.send(&sms(17, "8613800138000")).await.unwrap();
    let second = sender.send(&sms(17, "8613800138000")).await.unwrap();

    assert_eq!(first.provider_message_id, second.provider_message_id);
    let stats = provider.get("stats").await;
    assert_eq!(stats["unique_messages"], 1, "{stats}");
    assert_eq!(stats["duplicates"], 1, "{stats}");
    let messages = provider.messages().await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["deliveries"], 1);
    assert_eq!(messages[0]["duplicates"], 1);
}

#[tokio::test]
async fn an_undeliverable_number_gets_a_failed_receipt() {
    let provider = provider().await;
    provider
        .control("undeliverable", json!({"numbers": ["+8613900000000"]}))
        .await;
    let mut receiver = receiver(0).await;
    let callback = receiver.url.clone();
    let sender = provider.sender(|c| c.callback_url = Some(callback));

    sender.send(&sms(18, "8613900000000")).await.unwrap();
    let receipts = receiver.next().await;

    assert_eq!(receipts.len(), 1);
    assert!(!receipts[0].delivered);
    assert_eq!(receipts[0].err_code.as_deref(), Some("UNDELIV"));
}
