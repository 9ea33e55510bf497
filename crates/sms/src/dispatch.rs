//! The dispatch loop: lease due messages from the shared queue, hand each to the
//! provider its route names, then record where it went or put it back.
//!
//! Several dispatchers (threads or nodes) may run at once: leases keep them
//! from taking the same message, and a dispatcher that dies lets its lease lapse.
//! A message taken again after a lapsed lease goes to the same provider as
//! before (its route step only moves on an answered failure), so a provider that
//! is idempotent per message id delivers it once.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use numgate_domain::clock::Clock;
use numgate_domain::secrets::SecretBox;
use numgate_store::{Delivery, DeliveryResult, QueuedSms, Store};
use tokio::sync::{watch, Notify};

use crate::routes::Routes;
use crate::sender::{receipt_id_forms, OutgoingSms, SendError};

#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// How many messages one lease takes.
    pub batch: u32,
    /// How long a lease lasts; a message not settled by then is due again.
    pub lease: Duration,
    /// How often to look for due messages when nobody calls [`Dispatcher::wake`].
    pub poll: Duration,
    /// How many tries (over the route's providers, in turn) a message with
    /// `AutoRetry=1` gets; at least one per provider of its route. A message
    /// sent with `AutoRetry=0` is settled as failed after its first.
    pub max_attempts: u32,
    /// Backoff after every provider of the route failed once; doubles each round,
    /// capped at 5 minutes. The next provider of the route is tried at once.
    pub first_backoff: Duration,
    /// Offset from UTC, in hours, of the calendar that billing days use.
    pub utc_offset_hours: i32,
    /// Tenants that want delivery reports pushed.
    pub report_tenants: HashSet<i64>,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        Self {
            batch: 64,
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(500),
            max_attempts: 5,
            first_backoff: Duration::from_secs(2),
            utc_offset_hours: 8,
            report_tenants: HashSet::new(),
        }
    }
}

/// The calendar day (`YYYY-MM-DD`) of `millis` at `utc_offset_hours`: the
/// domain's calendar, the one statistics and billing use.
pub fn billing_day(millis: i64, utc_offset_hours: i32) -> String {
    numgate_domain::stats::Day::of(millis, i64::from(utc_offset_hours) * 3_600_000).iso()
}

pub struct Dispatcher {
    store: Arc<dyn Store>,
    routes: Arc<Routes>,
    unsealer: SecretBox,
    clock: Arc<dyn Clock>,
    config: DispatcherConfig,
    wake: Arc<Notify>,
}

impl Dispatcher {
    pub fn new(
        store: Arc<dyn Store>,
        routes: Arc<Routes>,
        unsealer: SecretBox,
        clock: Arc<dyn Clock>,
        config: DispatcherConfig,
    ) -> Self {
        Self {
            store,
            routes,
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
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        crate::poll::run_until_shutdown(
            "SMS dispatch",
            &self.wake,
            self.config.poll,
            shutdown,
            || self.run_once(),
        )
        .await;
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
        let report = self.config.report_tenants.contains(&msg.tenant_id);
        let fail = |err_code: &str| DeliveryResult::Failed {
            err_code: err_code.to_owned(),
            report,
        };
        let text = match self.unsealer.open_string(&msg.sealed_text) {
            Ok(t) => t,
            Err(_) => {
                tracing::error!(message_id = msg.id, "a queued message cannot be unsealed: is the master key the one it was sealed with?");
                return self
                    .store
                    .settle_message(msg.id, fail("NUMGATE:UNSEAL"), now())
                    .await;
            }
        };
        let providers = self.routes.providers(msg.tenant_id, &msg.country_code);
        if providers.is_empty() {
            tracing::error!(message_id = msg.id, country = %msg.country_code, "no SMS route for this tenant and country");
            return self
                .store
                .settle_message(msg.id, fail("NUMGATE:NO_ROUTE"), now())
                .await;
        }
        let step = msg.route_step as usize;
        let provider = &providers[step % providers.len()];
        let segments = crate::segment::count_segments(&text);
        let sms = OutgoingSms {
            message_id: msg.id,
            tenant_id: msg.tenant_id,
            biz_id: msg.biz_id.clone(),
            phone: format!("{}{}", msg.country_code, msg.phone),
            text: text.to_string(),
            up_extend_code: msg.up_extend_code.clone(),
        };
        let sent = provider.sender.send(&sms).await;
        let outcome = match &sent {
            Ok(s) if s.delivered => "delivered",
            Ok(_) => "accepted",
            Err(SendError::Permanent { .. }) => "refused",
            Err(SendError::Temporary(_)) => "temporary_failure",
        };
        metrics::counter!("numgate_sms_delivery_attempts_total",
            "provider" => provider.name.clone(), "outcome" => outcome)
        .increment(1);
        let sent = match sent {
            Ok(submitted) => {
                let delivery = Delivery {
                    provider: provider.name.clone(),
                    id_forms: submitted
                        .provider_message_id
                        .iter()
                        .chain(&submitted.other_part_ids)
                        .flat_map(|id| receipt_id_forms(id))
                        .collect(),
                    provider_message_id: submitted.provider_message_id,
                    segments,
                    report,
                    day: billing_day(now(), self.config.utc_offset_hours),
                };
                let result = if submitted.delivered {
                    DeliveryResult::Delivered(delivery)
                } else {
                    DeliveryResult::Accepted(delivery)
                };
                return self.store.settle_message(msg.id, result, now()).await;
            }
            Err(e) => e,
        };

        // A failure: the next provider of the route, at once; after a whole round
        // of failures, the first again after a backoff; until the tries run out.
        let tried = step + 1;
        let n = providers.len();
        let (last_err, tries) = match &sent {
            // A provider's refusal is final for that provider: only the rest of
            // the round may still take it.
            SendError::Permanent { err_code } => (err_code.clone(), n),
            SendError::Temporary(_) => (
                "NUMGATE:RETRIES_EXHAUSTED".to_owned(),
                (self.config.max_attempts as usize).max(n),
            ),
        };
        tracing::warn!(message_id = msg.id, provider = %provider.name, tried, reason = %sent, "SMS delivery failed");
        if !msg.auto_retry || tried >= tries {
            return self
                .store
                .settle_message(msg.id, fail(&last_err), now())
                .await;
        }
        let retry_at = if tried.is_multiple_of(n) {
            let round = (tried / n) as u32;
            let backoff = self
                .config
                .first_backoff
                .saturating_mul(1 << round.saturating_sub(1).min(16))
                .min(Duration::from_secs(300));
            now() + backoff.as_millis() as i64
        } else {
            now()
        };
        self.store
            .retry_message(msg.id, retry_at, &sent.to_string(), true)
            .await?;
        if retry_at <= now() {
            self.wake.notify_one();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::billing_day;

    #[test]
    fn billing_days_follow_the_configured_calendar() {
        // 2026-03-01T20:00:00Z is already 2 March in China (UTC+8).
        let t = 1_772_395_200_000;
        assert_eq!(billing_day(t, 0), "2026-03-01");
        assert_eq!(billing_day(t, 8), "2026-03-02");
    }
}
