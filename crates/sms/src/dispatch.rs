//! The dispatch loop: lease due messages from the shared queue, deliver each
//! through the sender, then settle it or put it back with a backoff.
//!
//! Several dispatchers (threads or nodes) may run at once: leases keep them
//! from taking the same message, and a dispatcher that dies lets its lease lapse.

use std::sync::Arc;
use std::time::Duration;

use numgate_domain::clock::Clock;
use numgate_domain::secrets::SecretBox;
use numgate_store::{DeliveryResult, QueuedSms, Store};
use tokio::sync::{watch, Notify};

use crate::sender::{OutgoingSms, SendError, SmsSender};

#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// How many messages one lease takes.
    pub batch: u32,
    /// How long a lease lasts; a message not settled by then is due again.
    pub lease: Duration,
    /// How often to look for due messages when nobody calls [`Dispatcher::wake`].
    pub poll: Duration,
    /// After this many failed attempts a message is settled as failed; a message
    /// sent with `AutoRetry=0` is settled as failed after its first.
    pub max_attempts: u32,
    /// Backoff of the first retry; doubles with every attempt, capped at 5 minutes.
    pub first_backoff: Duration,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        Self {
            batch: 64,
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(500),
            max_attempts: 5,
            first_backoff: Duration::from_secs(2),
        }
    }
}

pub struct Dispatcher {
    store: Arc<dyn Store>,
    sender: Arc<dyn SmsSender>,
    unsealer: SecretBox,
    clock: Arc<dyn Clock>,
    config: DispatcherConfig,
    wake: Arc<Notify>,
}

impl Dispatcher {
    pub fn new(
        store: Arc<dyn Store>,
        sender: Arc<dyn SmsSender>,
        unsealer: SecretBox,
        clock: Arc<dyn Clock>,
        config: DispatcherConfig,
    ) -> Self {
        Self {
            store,
            sender,
            unsealer,
            clock,
            config,
            wake: Arc::new(Notify::new()),
        }
    }

    /// A handle that makes the loop look at the queue now (after a send commits).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Runs until `shutdown` turns true; the batch in hand is finished first.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let worked = match self.run_once().await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "SMS dispatch could not read the queue");
                    false
                }
            };
            if worked {
                continue;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.config.poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Leases one batch and delivers it; returns how many messages it handled.
    pub async fn run_once(&self) -> Result<usize, numgate_store::StoreError> {
        let now = self.clock.now_millis();
        let lease_until = now + self.config.lease.as_millis() as i64;
        let batch = self
            .store
            .claim_messages(now, lease_until, self.config.batch)
            .await?;
        let n = batch.len();
        // The batch's messages go out concurrently: a channel's latency (and each
        // settle's commit) is paid once per batch, not once per message.
        let settled = futures::future::join_all(batch.into_iter().map(|m| self.deliver(m))).await;
        settled.into_iter().collect::<Result<Vec<()>, _>>()?;
        Ok(n)
    }

    async fn deliver(&self, msg: QueuedSms) -> Result<(), numgate_store::StoreError> {
        let now = || self.clock.now_millis();
        let text = match self.unsealer.open_string(&msg.sealed_text) {
            Ok(t) => t,
            Err(_) => {
                tracing::error!(message_id = msg.id, "a queued message cannot be unsealed: is the master key the one it was sealed with?");
                let failed = DeliveryResult::Failed {
                    err_code: "NUMGATE:UNSEAL".into(),
                };
                return self.store.settle_message(msg.id, failed, now()).await;
            }
        };
        let sms = OutgoingSms {
            message_id: msg.id,
            tenant_id: msg.tenant_id,
            biz_id: msg.biz_id.clone(),
            phone: format!("{}{}", msg.country_code, msg.phone),
            text: text.to_string(),
            up_extend_code: msg.up_extend_code.clone(),
        };
        let sent = self.sender.send(&sms).await;
        let outcome = match &sent {
            Ok(_) => "delivered",
            Err(SendError::Permanent { .. }) => "refused",
            Err(SendError::Temporary(_)) => "temporary_failure",
        };
        metrics::counter!("numgate_sms_delivery_attempts_total", "outcome" => outcome).increment(1);
        match sent {
            Ok(_) => {
                self.store
                    .settle_message(msg.id, DeliveryResult::Delivered, now())
                    .await
            }
            Err(SendError::Permanent { err_code }) => {
                self.store
                    .settle_message(msg.id, DeliveryResult::Failed { err_code }, now())
                    .await
            }
            Err(SendError::Temporary(why)) => {
                let attempts = msg.attempts + 1;
                tracing::warn!(message_id = msg.id, attempts, reason = %why, "SMS delivery failed; will retry");
                if !msg.auto_retry || attempts >= self.config.max_attempts {
                    let failed = DeliveryResult::Failed {
                        err_code: "NUMGATE:RETRIES_EXHAUSTED".into(),
                    };
                    return self.store.settle_message(msg.id, failed, now()).await;
                }
                let backoff = self
                    .config
                    .first_backoff
                    .saturating_mul(1 << attempts.min(16))
                    .min(Duration::from_secs(300));
                self.store
                    .retry_message(msg.id, now() + backoff.as_millis() as i64, &why)
                    .await
            }
        }
    }
}
