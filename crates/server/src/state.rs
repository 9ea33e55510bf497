//! What every request handler shares: the store, the keys, the clock, the config.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use numgate_domain::clock::Clock;
use numgate_domain::secrets::{CodeHasher, SecretBox};
use numgate_store::{Store, Tenant};
use tokio::sync::Notify;

use crate::config::Config;
use crate::error::ApiError;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    /// Opens AccessKey secrets and seals queued message texts.
    pub secrets: SecretBox,
    pub hasher: CodeHasher,
    /// Signs CAPTCHA challenges (derived from the master key: every node agrees).
    pub captcha_key: Arc<zeroize::Zeroizing<[u8; 32]>>,
    /// Wakes the SMS dispatcher of this node once a send has committed.
    pub dispatch_wake: Arc<Notify>,
    /// Where delivery receipts that providers POST to numgate are recorded.
    pub sms_reports: Arc<dyn numgate_sms::ReportSink>,
    pub tenants: TenantCache,
    /// The carrier gateways of `[carriers]`.
    pub carriers: Arc<crate::carriers::Carriers>,
    /// Renders `/metrics`.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
}

/// Tenants by id, read once per node. Safe to keep in memory on every node: a
/// tenant is never renamed or deleted, so a cached row can never be wrong.
#[derive(Clone, Default)]
pub struct TenantCache(Arc<RwLock<HashMap<i64, Tenant>>>);

impl TenantCache {
    pub async fn get(&self, store: &dyn Store, id: i64) -> Result<Tenant, ApiError> {
        if let Some(t) = self.0.read().ok().and_then(|m| m.get(&id).cloned()) {
            return Ok(t);
        }
        let tenant = store.find_tenant_by_id(id).await?.ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "AccessKey of tenant {id}, which does not exist"
            ))
        })?;
        if let Ok(mut m) = self.0.write() {
            m.insert(id, tenant.clone());
        }
        Ok(tenant)
    }
}
