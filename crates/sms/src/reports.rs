//! Pushes delivery reports to the tenants that configured a URL, in Alibaba's
//! report format, until each is acknowledged with `{"code": 0}`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use numgate_domain::clock::Clock;
use numgate_store::{Store, TenantReport};
use serde::Serialize;
use tokio::sync::{watch, Notify};

#[derive(Debug, Clone)]
pub struct ReportPusherConfig {
    /// Reports per lease (and at most per request).
    pub batch: u32,
    /// How long a lease lasts; a push not finished by then is due again.
    pub lease: Duration,
    /// How often to look for due reports when not woken.
    pub poll: Duration,
    /// How long a tenant's endpoint may take to answer.
    pub timeout: Duration,
    /// Backoff after the first unacknowledged push; doubles, capped at 10 minutes.
    pub first_backoff: Duration,
    /// Offset from UTC, in hours, of the times in the reports.
    pub utc_offset_hours: i32,
}

impl Default for ReportPusherConfig {
    fn default() -> Self {
        Self {
            batch: 100,
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            first_backoff: Duration::from_secs(1),
            utc_offset_hours: 8,
        }
    }
}

/// One report as Alibaba pushes it (`SmsReport`).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct SmsReport {
    pub phone_number: String,
    pub send_time: String,
    pub report_time: String,
    pub success: bool,
    pub err_code: String,
    pub err_msg: String,
    pub sms_size: String,
    pub biz_id: String,
    pub out_id: String,
}

fn local_time(millis: i64, utc_offset_hours: i32) -> String {
    let shifted = millis + i64::from(utc_offset_hours) * 3_600_000;
    chrono::DateTime::from_timestamp_millis(shifted)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

impl SmsReport {
    pub fn from_record(r: &TenantReport, utc_offset_hours: i32) -> Self {
        // Mainland numbers as Alibaba gives them, without the country code.
        let phone_number = if r.country_code == "86" {
            r.phone.clone()
        } else {
            format!("{}{}", r.country_code, r.phone)
        };
        let (err_code, err_msg) = if r.success {
            ("DELIVERED".to_owned(), "用户接收成功".to_owned())
        } else {
            let code = r.err_code.clone().unwrap_or_else(|| "UNKNOWN".into());
            (code, "用户接收失败".to_owned())
        };
        Self {
            phone_number,
            send_time: local_time(r.sent_at, utc_offset_hours),
            report_time: local_time(r.report_at, utc_offset_hours),
            success: r.success,
            err_code,
            err_msg,
            sms_size: r.segments.max(1).to_string(),
            biz_id: r.biz_id.clone(),
            out_id: r.out_id.clone().unwrap_or_default(),
        }
    }
}

pub struct ReportPusher {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
    /// Tenant id → the URL its reports go to.
    urls: HashMap<i64, String>,
    config: ReportPusherConfig,
    wake: Arc<Notify>,
}

impl ReportPusher {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        urls: HashMap<i64, String>,
        config: ReportPusherConfig,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .unwrap_or_default();
        Self {
            store,
            clock,
            http,
            urls,
            config,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Wakes the pusher (after a receipt queued a report).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        crate::poll::run_until_shutdown(
            "delivery reports",
            &self.wake,
            self.config.poll,
            shutdown,
            || self.run_once(),
        )
        .await;
    }

    /// Leases one batch and pushes it, one request per tenant; how many reports
    /// it handled.
    pub async fn run_once(&self) -> Result<usize, numgate_store::StoreError> {
        let now = self.clock.now_millis();
        let lease_until = now + self.config.lease.as_millis() as i64;
        let batch = self
            .store
            .claim_reports(now, lease_until, self.config.batch)
            .await?;
        let n = batch.len();
        let mut by_tenant: BTreeMap<i64, Vec<TenantReport>> = BTreeMap::new();
        for r in batch {
            by_tenant.entry(r.tenant_id).or_default().push(r);
        }
        for (tenant_id, reports) in by_tenant {
            let ids: Vec<i64> = reports.iter().map(|r| r.id).collect();
            let Some(url) = self.urls.get(&tenant_id) else {
                // The tenant no longer wants reports: nobody is left to tell.
                self.store.ack_reports(&ids).await?;
                continue;
            };
            let body: Vec<SmsReport> = reports
                .iter()
                .map(|r| SmsReport::from_record(r, self.config.utc_offset_hours))
                .collect();
            let acknowledged = self.push(url, &body).await;
            metrics::counter!("numgate_sms_reports_pushed_total",
                "outcome" => if acknowledged { "acknowledged" } else { "retry" })
            .increment(ids.len() as u64);
            if acknowledged {
                self.store.ack_reports(&ids).await?;
            } else {
                let attempts = reports.iter().map(|r| r.attempts).max().unwrap_or(0);
                let backoff = self
                    .config
                    .first_backoff
                    .saturating_mul(1 << attempts.min(16))
                    .min(Duration::from_secs(600));
                let retry_at = self.clock.now_millis() + backoff.as_millis() as i64;
                self.store.retry_reports(&ids, retry_at).await?;
            }
        }
        Ok(n)
    }

    /// Whether the tenant's endpoint acknowledged the reports (`{"code": 0}`).
    async fn push(&self, url: &str, body: &[SmsReport]) -> bool {
        #[derive(serde::Deserialize)]
        struct Ack {
            code: i64,
        }
        let answer = match self.http.post(url).json(body).send().await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e.without_url(), "a tenant's report endpoint could not be reached");
                return false;
            }
        };
        if !answer.status().is_success() {
            tracing::warn!(status = %answer.status(), "a tenant's report endpoint refused the reports");
            return false;
        }
        match answer.json::<Ack>().await {
            Ok(ack) if ack.code == 0 => true,
            _ => {
                tracing::warn!("a tenant's report endpoint did not answer {{\"code\":0}}");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_take_alibabas_shape() {
        let r = TenantReport {
            id: 1,
            tenant_id: 1,
            biz_id: "123456789012345678^0".into(),
            country_code: "86".into(),
            phone: "13800138000".into(),
            out_id: Some("order-7".into()),
            sent_at: 1_772_395_200_000,
            report_at: 1_772_395_203_000,
            success: true,
            err_code: None,
            segments: 2,
            attempts: 0,
        };
        let json = serde_json::to_value(SmsReport::from_record(&r, 8)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "phone_number": "13800138000",
                "send_time": "2026-03-02 04:00:00",
                "report_time": "2026-03-02 04:00:03",
                "success": true,
                "err_code": "DELIVERED",
                "err_msg": "用户接收成功",
                "sms_size": "2",
                "biz_id": "123456789012345678^0",
                "out_id": "order-7"
            })
        );
    }
}
