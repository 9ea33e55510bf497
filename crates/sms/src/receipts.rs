//! The store behind [`ReportSink`]: receipts update send records, billing and
//! tenant reports; upstream messages wait for upstream-SMS verification.

use std::sync::Arc;

use async_trait::async_trait;
use numgate_domain::clock::Clock;
use numgate_store::{NewInbound, ReceiptOutcome, ReceiptUpdate, Store};
use tokio::sync::Notify;

use crate::dispatch::billing_day;
use crate::sender::{receipt_id_forms, Inbound, Receipt, ReportError, ReportSink};

pub struct StoreReports {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    utc_offset_hours: i32,
    /// Woken when a receipt queued a report for a tenant.
    reports_wake: Arc<Notify>,
}

impl StoreReports {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        utc_offset_hours: i32,
        reports_wake: Arc<Notify>,
    ) -> Self {
        Self {
            store,
            clock,
            utc_offset_hours,
            reports_wake,
        }
    }
}

#[async_trait]
impl ReportSink for StoreReports {
    async fn receipt(&self, r: Receipt) -> Result<(), ReportError> {
        let at = self.clock.now_millis();
        let update = ReceiptUpdate {
            id_forms: receipt_id_forms(&r.provider_message_id),
            provider: r.provider.clone(),
            delivered: r.delivered,
            err_code: r.err_code,
            at,
            day: billing_day(at, self.utc_offset_hours),
        };
        let outcome = self
            .store
            .record_receipt(update)
            .await
            .map_err(|e| ReportError(e.to_string()))?;
        let label = match outcome {
            ReceiptOutcome::Applied { .. } => {
                self.reports_wake.notify_one();
                "applied"
            }
            ReceiptOutcome::Repeated => "repeated",
            ReceiptOutcome::Early => "early",
        };
        metrics::counter!("numgate_sms_receipts_total", "provider" => r.provider,
            "delivered" => if r.delivered { "true" } else { "false" }, "outcome" => label)
        .increment(1);
        Ok(())
    }

    async fn inbound(&self, m: Inbound) -> Result<(), ReportError> {
        self.store
            .record_inbound(NewInbound {
                from: m.from,
                to: m.to,
                text: m.text,
                received_at: self.clock.now_millis(),
            })
            .await
            .map_err(|e| ReportError(e.to_string()))?;
        metrics::counter!("numgate_sms_inbound_total", "provider" => m.provider).increment(1);
        Ok(())
    }
}
