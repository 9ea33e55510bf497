//! The dispatch loop against a real SQLite store: delivery, retries, AutoRetry,
//! permanent failures, lapsed leases and several dispatchers at once; the HTTP
//! provider sender against the simulated provider (`http_provider`); and the
//! SMPP sender against the SMSC simulator over TCP (`smpp`).

mod http_provider;
mod smpp;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use numgate_domain::clock::Clock;
use numgate_domain::secrets::{MasterKey, SecretBox};
use numgate_domain::FakeClock;
use numgate_sms::{
    Dispatcher, DispatcherConfig, OutboxSender, OutgoingSms, Provider, Routes, SendError,
    SmsSender, Submitted,
};
use numgate_store::{
    CodeKey, NewCode, SendGuards, SendQuery, SendStatus, SqliteOptions, SqliteStore, Store,
};

mod routing;

const T0: i64 = 1_800_000_000_000;

struct Setup {
    store: Arc<dyn Store>,
    clock: FakeClock,
    secrets: SecretBox,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(SqliteOptions::new(dir.path().join("t.db")))
        .await
        .unwrap();
    Setup {
        store: Arc::new(store),
        clock: FakeClock::new(T0),
        secrets: MasterKey::generate().secret_box(),
        _dir: dir,
    }
}

impl Setup {
    /// Queues a message for `phone`, as SendSmsVerifyCode does; returns its BizId.
    async fn queue(&self, phone: &str, auto_retry: bool) -> String {
        let tenant = self.store.ensure_tenant("t", T0).await.unwrap();
        let biz_id = format!("biz-{phone}");
        let new = NewCode {
            key: CodeKey {
                tenant_id: tenant.id,
                scheme: "default".into(),
                country_code: "86".into(),
                phone: phone.into(),
            },
            code_hash: vec![1; 32],
            code_hash_folded: vec![1; 32],
            now: self.clock.now_millis(),
            expires_at: self.clock.now_millis() + 300_000,
            interval_ms: 0,
            hourly_cap: 100,
            daily_cap: 100,
            replace_older: true,
            biz_id: biz_id.clone(),
            out_id: None,
            sign_name: "s".into(),
            template_code: "100001".into(),
            masked_content: "code ******".into(),
            sealed_text: self.secrets.seal(format!("text for {phone}").as_bytes()),
            auto_retry,
            up_extend_code: None,
            guards: SendGuards::unlimited(),
        };
        self.store.send_code(new).await.unwrap();
        biz_id
    }

    fn dispatcher(&self, sender: Arc<dyn SmsSender>) -> Dispatcher {
        self.dispatcher_over(Routes::new(vec![Provider::new("only", sender)]))
    }

    fn dispatcher_over(&self, routes: Routes) -> Dispatcher {
        let config = DispatcherConfig {
            lease: Duration::from_secs(30),
            first_backoff: Duration::from_secs(2),
            ..DispatcherConfig::default()
        };
        Dispatcher::new(
            self.store.clone(),
            Arc::new(routes),
            self.secrets.clone(),
            Arc::new(self.clock.clone()),
            config,
        )
    }

    async fn status(&self, phone: &str) -> (SendStatus, Option<String>) {
        let tenant = self.store.ensure_tenant("t", T0).await.unwrap();
        let (_, records) = self
            .store
            .query_send_details(SendQuery {
                tenant_id: tenant.id,
                country_code: "86".into(),
                phone: phone.into(),
                biz_id: None,
                from: 0,
                to: i64::MAX,
                page: 1,
                page_size: 10,
            })
            .await
            .unwrap();
        (records[0].status, records[0].err_code.clone())
    }
}

/// A channel that fails each message a set number of times, then takes it;
/// it records what it took, per message id.
#[derive(Default)]
struct Flaky {
    failures_left: Mutex<HashMap<String, u32>>,
    permanent: bool,
    taken: Mutex<Vec<(i64, String)>>,
}

#[async_trait]
impl SmsSender for Flaky {
    async fn send(&self, sms: &OutgoingSms) -> Result<Submitted, SendError> {
        let mut left = self.failures_left.lock().unwrap();
        let n = left.entry(sms.phone.clone()).or_insert(0);
        if *n > 0 {
            *n -= 1;
            return Err(if self.permanent {
                SendError::Permanent {
                    err_code: "MOBILE_IN_BLACK".into(),
                }
            } else {
                SendError::Temporary("SMSC busy".into())
            });
        }
        self.taken
            .lock()
            .unwrap()
            .push((sms.message_id, sms.text.clone()));
        Ok(Submitted::delivered())
    }
}

fn flaky(phone: &str, failures: u32, permanent: bool) -> Arc<Flaky> {
    let f = Flaky {
        permanent,
        ..Flaky::default()
    };
    f.failures_left
        .lock()
        .unwrap()
        .insert(format!("86{phone}"), failures);
    Arc::new(f)
}

#[tokio::test]
async fn a_queued_message_is_delivered_and_its_record_says_so() {
    let s = setup().await;
    s.queue("13800000001", true).await;
    let sender = flaky("13800000001", 0, false);
    let d = s.dispatcher(sender.clone());
    assert_eq!(d.run_once().await.unwrap(), 1);
    assert_eq!(
        sender.taken.lock().unwrap()[0].1,
        "text for 13800000001",
        "unsealed for the channel"
    );
    assert_eq!(s.status("13800000001").await.0, SendStatus::Delivered);
    assert_eq!(d.run_once().await.unwrap(), 0, "delivered once");
}

#[tokio::test]
async fn a_temporary_failure_is_retried_after_a_backoff() {
    let s = setup().await;
    s.queue("13800000002", true).await;
    let sender = flaky("13800000002", 2, false);
    let d = s.dispatcher(sender.clone());
    assert_eq!(d.run_once().await.unwrap(), 1);
    assert_eq!(s.status("13800000002").await.0, SendStatus::Waiting);
    assert_eq!(d.run_once().await.unwrap(), 0, "not due before its backoff");
    s.clock.advance_secs(5);
    d.run_once().await.unwrap();
    s.clock.advance_secs(10);
    d.run_once().await.unwrap();
    assert_eq!(sender.taken.lock().unwrap().len(), 1);
    assert_eq!(s.status("13800000002").await.0, SendStatus::Delivered);
}

#[tokio::test]
async fn auto_retry_zero_fails_after_the_first_attempt() {
    let s = setup().await;
    s.queue("13800000003", false).await;
    let d = s.dispatcher(flaky("13800000003", 1, false));
    d.run_once().await.unwrap();
    s.clock.advance_secs(600);
    assert_eq!(d.run_once().await.unwrap(), 0);
    let (status, err) = s.status("13800000003").await;
    assert_eq!(status, SendStatus::Failed);
    assert!(err.is_some());
}

#[tokio::test]
async fn a_permanent_failure_is_recorded_with_its_code() {
    let s = setup().await;
    s.queue("13800000004", true).await;
    let d = s.dispatcher(flaky("13800000004", 1, true));
    d.run_once().await.unwrap();
    assert_eq!(
        s.status("13800000004").await,
        (SendStatus::Failed, Some("MOBILE_IN_BLACK".into()))
    );
}

#[tokio::test]
async fn retries_give_up_after_the_maximum_attempts() {
    let s = setup().await;
    s.queue("13800000005", true).await;
    let d = s.dispatcher(flaky("13800000005", 100, false));
    for _ in 0..10 {
        d.run_once().await.unwrap();
        s.clock.advance_secs(600);
    }
    assert_eq!(s.status("13800000005").await.0, SendStatus::Failed);
}

#[tokio::test]
async fn the_outbox_keeps_one_entry_per_message_even_if_delivered_twice() {
    let s = setup().await;
    s.queue("13800000006", true).await;
    let outbox: Arc<dyn SmsSender> = Arc::new(OutboxSender::new(
        s.store.clone(),
        Arc::new(s.clock.clone()),
        s.secrets.clone(),
    ));
    let msg = s
        .store
        .claim_messages(T0, T0 + 1000, 10)
        .await
        .unwrap()
        .remove(0);
    let sms = OutgoingSms {
        message_id: msg.id,
        tenant_id: msg.tenant_id,
        biz_id: msg.biz_id,
        phone: "8613800000006".into(),
        text: "hello".into(),
        up_extend_code: None,
    };
    outbox.send(&sms).await.unwrap();
    outbox.send(&sms).await.unwrap();
    let list = s
        .store
        .list_outbox(Some("8613800000006"), 10)
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        s.secrets
            .open_string(&list[0].sealed_text)
            .unwrap()
            .as_str(),
        "hello"
    );
}

#[tokio::test]
async fn three_dispatchers_deliver_each_message_exactly_once() {
    let s = setup().await;
    let phones: Vec<String> = (0..300).map(|i| format!("1390000{i:04}")).collect();
    for p in &phones {
        s.queue(p, true).await;
    }
    let sender = Arc::new(Flaky::default());
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let d = s.dispatcher(sender.clone());
        tasks.push(tokio::spawn(async move {
            while d.run_once().await.unwrap() > 0 {}
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let taken = sender.taken.lock().unwrap();
    let mut ids: Vec<i64> = taken.iter().map(|(id, _)| *id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(taken.len(), 300, "each message taken once");
    assert_eq!(ids.len(), 300);
}

#[tokio::test]
async fn a_message_whose_lease_lapsed_is_delivered_by_another_dispatcher() {
    let s = setup().await;
    s.queue("13800000007", true).await;
    // A dispatcher leased it and died before settling.
    let leased = s.store.claim_messages(T0, T0 + 30_000, 10).await.unwrap();
    assert_eq!(leased.len(), 1);
    let sender = flaky("13800000007", 0, false);
    let d = s.dispatcher(sender.clone());
    assert_eq!(d.run_once().await.unwrap(), 0, "leased elsewhere");
    s.clock.advance_secs(31);
    assert_eq!(d.run_once().await.unwrap(), 1);
    assert_eq!(s.status("13800000007").await.0, SendStatus::Delivered);
}
