//! Routes over several providers, receipts through the store, and delivery
//! reports pushed to a tenant's endpoint (a real HTTP server on loopback).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use numgate_domain::clock::Clock;
use numgate_sms::{
    billing_day, DispatcherConfig, OutgoingSms, Provider, Receipt, ReportPusher,
    ReportPusherConfig, ReportSink, Routes, SendError, SmsSender, StoreReports, Submitted,
};
use numgate_store::SendStatus;
use tokio::sync::Notify;

use crate::{flaky, setup, T0};

/// A provider that accepts every message with an id of its own (hex) and
/// remembers what it took.
#[derive(Default)]
struct Accepting {
    taken: Mutex<Vec<(i64, String)>>,
}

#[async_trait]
impl SmsSender for Accepting {
    async fn send(&self, sms: &OutgoingSms) -> Result<Submitted, SendError> {
        let mut taken = self.taken.lock().unwrap();
        taken.push((sms.message_id, sms.text.clone()));
        Ok(Submitted::accepted(format!(
            "{:X}",
            0x1000 + sms.message_id
        )))
    }
}

#[tokio::test]
async fn a_failed_provider_hands_the_message_to_the_next_one_at_once() {
    let s = setup().await;
    s.queue("13800000011", true).await;
    let first = flaky("13800000011", 1, false);
    let second = flaky("13800000011", 0, false);
    let d = s.dispatcher_over(Routes::new(vec![
        Provider::new("a", first.clone()),
        Provider::new("b", second.clone()),
    ]));
    d.run_once().await.unwrap();
    // No backoff before the next provider of the route.
    assert_eq!(d.run_once().await.unwrap(), 1);
    assert_eq!(first.taken.lock().unwrap().len(), 0);
    assert_eq!(second.taken.lock().unwrap().len(), 1);
    assert_eq!(s.status("13800000011").await.0, SendStatus::Delivered);
}

#[tokio::test]
async fn a_refusal_goes_to_the_next_provider_and_auto_retry_zero_to_none() {
    let s = setup().await;
    s.queue("13800000012", true).await;
    s.queue("13800000013", false).await;
    let refusing = Arc::new(AlwaysRefuses::default());
    let second = flaky("nobody", 0, false);
    let d = s.dispatcher_over(Routes::new(vec![
        Provider::new("a", refusing.clone()),
        Provider::new("b", second.clone()),
    ]));
    while d.run_once().await.unwrap() > 0 {}
    assert_eq!(s.status("13800000012").await.0, SendStatus::Delivered);
    assert_eq!(
        s.status("13800000013").await,
        (SendStatus::Failed, Some("REFUSED".into())),
        "AutoRetry=0: the first provider's answer is final"
    );
    assert_eq!(second.taken.lock().unwrap().len(), 1);
    assert_eq!(refusing.calls.load(Ordering::SeqCst), 2);
}

#[derive(Default)]
struct AlwaysRefuses {
    calls: AtomicUsize,
}

#[async_trait]
impl SmsSender for AlwaysRefuses {
    async fn send(&self, _: &OutgoingSms) -> Result<Submitted, SendError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(SendError::Permanent {
            err_code: "REFUSED".into(),
        })
    }
}

#[tokio::test]
async fn routes_pick_providers_by_country() {
    let s = setup().await;
    let tenant = s.store.ensure_tenant("t", T0).await.unwrap();
    s.queue("13800000014", true).await;
    let cn = Arc::new(Accepting::default());
    let other = Arc::new(Accepting::default());
    let mut routes = Routes::new(vec![Provider::new("other", other.clone())]);
    routes.add(
        Some(tenant.id),
        Some("86"),
        vec![Provider::new("cn", cn.clone())],
    );
    let d = s.dispatcher_over(routes);
    d.run_once().await.unwrap();
    assert_eq!(cn.taken.lock().unwrap().len(), 1);
    assert!(other.taken.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_receipt_in_decimal_flips_an_accepted_message_and_is_billed_by_segments() {
    let s = setup().await;
    s.queue("13800000015", true).await;
    let provider = Arc::new(Accepting::default());
    let d = s.dispatcher_over(Routes::new(vec![Provider::new("smsc", provider.clone())]));
    d.run_once().await.unwrap();
    assert_eq!(s.status("13800000015").await.0, SendStatus::Waiting);
    let message_id = provider.taken.lock().unwrap()[0].0;

    let clock: Arc<dyn Clock> = Arc::new(s.clock.clone());
    let sink = StoreReports::new(s.store.clone(), clock, 8, Arc::new(Notify::new()));
    // The SMSC answered hex and reports in decimal.
    let decimal = (0x1000 + message_id).to_string();
    sink.receipt(Receipt {
        provider: "smsc".into(),
        provider_message_id: decimal,
        delivered: true,
        err_code: None,
        done_at: None,
    })
    .await
    .unwrap();
    assert_eq!(s.status("13800000015").await.0, SendStatus::Delivered);
    let tenant = s.store.ensure_tenant("t", T0).await.unwrap();
    let day = billing_day(T0, 8);
    let usage = s.store.sms_usage(tenant.id, &day, &day).await.unwrap();
    assert_eq!((usage[0].messages, usage[0].segments), (1, 1));
}

/// A tenant's report endpoint: refuses the first push, acknowledges the rest.
async fn report_endpoint() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    use axum::routing::post;
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let pushes = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/reports",
        post({
            let got = got.clone();
            move |axum::Json(body): axum::Json<serde_json::Value>| async move {
                got.lock().unwrap().push(body);
                let code = if pushes.fetch_add(1, Ordering::SeqCst) == 0 {
                    1
                } else {
                    0
                };
                axum::Json(serde_json::json!({"code": code, "msg": "Success"}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/reports", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

#[tokio::test]
async fn delivery_reports_are_pushed_in_alibabas_format_until_acknowledged() {
    let s = setup().await;
    let tenant = s.store.ensure_tenant("t", T0).await.unwrap();
    let biz_id = s.queue("13800000016", true).await;
    let config = DispatcherConfig {
        report_tenants: [tenant.id].into_iter().collect(),
        ..DispatcherConfig::default()
    };
    let d = numgate_sms::Dispatcher::new(
        s.store.clone(),
        Arc::new(Routes::new(vec![Provider::new(
            "only",
            flaky("x", 0, false),
        )])),
        s.secrets.clone(),
        Arc::new(s.clock.clone()),
        config,
    );
    d.run_once().await.unwrap();

    let (url, got) = report_endpoint().await;
    let pusher = ReportPusher::new(
        s.store.clone(),
        Arc::new(s.clock.clone()),
        [(tenant.id, url)].into_iter().collect(),
        ReportPusherConfig {
            first_backoff: Duration::from_secs(1),
            ..ReportPusherConfig::default()
        },
    );
    assert_eq!(
        pusher.run_once().await.unwrap(),
        1,
        "pushed, not acknowledged"
    );
    assert_eq!(
        pusher.run_once().await.unwrap(),
        0,
        "not due before its backoff"
    );
    s.clock.advance_secs(2);
    assert_eq!(pusher.run_once().await.unwrap(), 1, "pushed again");
    s.clock.advance_secs(3600);
    assert_eq!(pusher.run_once().await.unwrap(), 0, "acknowledged: gone");

    let got = got.lock().unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], got[1], "the same report both times");
    let report = &got[1][0];
    assert_eq!(report["phone_number"], "13800000016");
    assert_eq!(report["success"], true);
    assert_eq!(report["err_code"], "DELIVERED");
    assert_eq!(report["sms_size"], "1");
    assert_eq!(report["biz_id"], biz_id.as_str());
    for field in ["send_time", "report_time", "err_msg", "out_id"] {
        assert!(report.get(field).is_some(), "{field}");
    }
}
