//! The SMS channels of `[sms]` brought up at start: each provider, the routing
//! table over them, the sink their receipts go to, and the report pusher.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use numgate_domain::clock::Clock;
use numgate_domain::secrets::SecretBox;
use numgate_sms::{
    Dispatcher, DispatcherConfig, OutboxSender, Provider, ReportPusher, ReportPusherConfig,
    ReportSink, Routes, StoreReports,
};
use numgate_store::Store;

use crate::config::{SmsConfig, SmsProviderConfig};

/// What [`build`] brings up; the application runs the two loops.
pub struct SmsChannels {
    pub dispatcher: Dispatcher,
    pub pusher: ReportPusher,
    /// Where receipts that arrive over HTTP go (the SMPP binds hold one too).
    pub sink: Arc<dyn ReportSink>,
}

/// Brings up the providers of `config` and the routing table over them. Tenants
/// that routes and report URLs name are created if missing (as `keys create` does).
pub async fn build(
    config: &SmsConfig,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    secrets: SecretBox,
) -> anyhow::Result<SmsChannels> {
    let now = clock.now_millis();
    let mut report_urls = HashMap::new();
    for (tenant, url) in &config.report_urls {
        let t = store
            .ensure_tenant(tenant, now)
            .await
            .with_context(|| format!("sms.report_urls: tenant {tenant}"))?;
        report_urls.insert(t.id, url.clone());
    }
    let report_tenants: HashSet<i64> = report_urls.keys().copied().collect();
    let pusher = ReportPusher::new(
        store.clone(),
        clock.clone(),
        report_urls,
        ReportPusherConfig {
            utc_offset_hours: config.utc_offset_hours,
            ..ReportPusherConfig::default()
        },
    );
    let sink: Arc<dyn ReportSink> = Arc::new(StoreReports::new(
        store.clone(),
        clock.clone(),
        config.utc_offset_hours,
        pusher.waker(),
    ));

    let mut providers: HashMap<&str, Arc<Provider>> = HashMap::new();
    let outbox = Arc::new(OutboxSender::new(
        store.clone(),
        clock.clone(),
        secrets.clone(),
    ));
    providers.insert("outbox", Provider::new("outbox", outbox.clone()));
    for p in &config.providers {
        let provider = match p {
            SmsProviderConfig::Outbox { name } => Provider::new(name.clone(), outbox.clone()),
            SmsProviderConfig::Smpp(c) => {
                let sender = numgate_sms::smpp::SmppSender::start(c.clone(), sink.clone());
                Provider::new(c.name.clone(), Arc::new(sender))
            }
            SmsProviderConfig::Http(c) => {
                let sender = numgate_sms::HttpSender::new(c.clone())
                    .with_context(|| format!("sms.providers.{}", c.name))?;
                Provider::new(c.name.clone(), Arc::new(sender))
            }
        };
        providers.insert(p.name(), provider);
    }
    let pick = |names: &[String]| -> anyhow::Result<Vec<Arc<Provider>>> {
        names
            .iter()
            .map(|n| {
                providers
                    .get(n.as_str())
                    .cloned()
                    .with_context(|| format!("sms: no provider is named {n:?}"))
            })
            .collect()
    };
    let mut routes = Routes::new(pick(std::slice::from_ref(&config.channel))?);
    for r in &config.routes {
        let tenant_id = match &r.tenant {
            Some(name) => Some(
                store
                    .ensure_tenant(name, now)
                    .await
                    .with_context(|| format!("sms.routes: tenant {name}"))?
                    .id,
            ),
            None => None,
        };
        routes.add(tenant_id, r.country.as_deref(), pick(&r.providers)?);
    }

    let dispatcher = Dispatcher::new(
        store,
        Arc::new(routes),
        secrets,
        clock,
        DispatcherConfig {
            lease: Duration::from_secs(config.lease_secs),
            utc_offset_hours: config.utc_offset_hours,
            report_tenants,
            ..DispatcherConfig::default()
        },
    );
    Ok(SmsChannels {
        dispatcher,
        pusher,
        sink,
    })
}
