//! Fault injection: latency, held requests against a client timeout, 5xx, malformed bodies.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

async fn add_fault(sim: &Sim, rule: Value) {
    let r = sim.control(Method::POST, "/faults", Some(rule)).await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap_or_default()
    );
}

async fn prefetch(sim: &Sim) -> reqwest::Response {
    device(11)
        .post(sim.url("/cm/prefetch"))
        .json(&json!({ "app_id": "app-cm" }))
        .send()
        .await
        .expect("response")
}

#[tokio::test]
async fn added_latency_delays_the_answer_but_keeps_it_correct() {
    let sim = spawn().await;
    add_fault(
        &sim,
        json!({ "carrier": "cm", "endpoint": "prefetch", "fault": "latency", "ms": 300 }),
    )
    .await;
    let started = Instant::now();
    let body: Value = prefetch(&sim).await.json().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(body["resultCode"], "103000");
}

#[tokio::test]
async fn a_timeout_fault_holds_the_request_past_the_clients_timeout() {
    let sim = spawn().await;
    add_fault(
        &sim,
        json!({ "carrier": "cu", "endpoint": "exchange", "fault": "timeout" }),
    )
    .await;
    let started = Instant::now();
    let result = server()
        .post(sim.url("/cu/exchange"))
        .timeout(Duration::from_millis(300))
        .json(&json!({ "token": "x" }))
        .send()
        .await;
    let err = result.expect_err("the simulator must not answer");
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_status_fault_answers_5xx_for_the_next_n_requests_only() {
    let sim = spawn().await;
    add_fault(
        &sim,
        json!({ "carrier": "cm", "endpoint": "*", "fault": "status", "status": 502, "times": 2 }),
    )
    .await;
    assert_eq!(prefetch(&sim).await.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(prefetch(&sim).await.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(prefetch(&sim).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn malformed_faults_answer_invalid_json_or_the_wrong_shape() {
    let sim = spawn().await;
    add_fault(
        &sim,
        json!({ "carrier": "cm", "fault": "malformed", "times": 1 }),
    )
    .await;
    add_fault(
        &sim,
        json!({ "carrier": "cm", "fault": "malformed", "shape": "wrong_shape", "times": 1 }),
    )
    .await;
    let invalid = prefetch(&sim).await;
    assert_eq!(invalid.status(), StatusCode::OK);
    assert!(invalid.json::<Value>().await.is_err());
    let wrong: Value = prefetch(&sim).await.json().await.unwrap();
    assert!(wrong.is_array());
}

#[tokio::test]
async fn camara_endpoints_take_faults_too() {
    let sim = spawn().await;
    add_fault(
        &sim,
        json!({ "carrier": "camara", "endpoint": "verify", "fault": "status", "status": 503 }),
    )
    .await;
    let reply = sim
        .api(
            Method::POST,
            "/number-verification/v0/verify",
            None,
            Some("{}"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn faults_from_the_config_are_active_from_start() {
    let sim = spawn_with(&format!(
        "{}\n[[fault]]\ncarrier = \"cm\"\nendpoint = \"prefetch\"\nfault = \"status\"\nstatus = 500\n",
        standard_toml()
    ))
    .await;
    assert_eq!(
        prefetch(&sim).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

#[tokio::test]
async fn clearing_faults_restores_normal_service() {
    let sim = spawn().await;
    add_fault(
        &sim,
        json!({ "carrier": "*", "fault": "status", "status": 500 }),
    )
    .await;
    assert_eq!(
        prefetch(&sim).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let r = sim.control(Method::DELETE, "/faults", None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(prefetch(&sim).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_invalid_fault_rule_is_refused_with_a_reason() {
    let sim = spawn().await;
    let r = sim
        .control(
            Method::POST,
            "/faults",
            Some(json!({ "carrier": "cm", "fault": "status", "status": 200 })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert!(body["message"].as_str().unwrap_or("").contains("200"));
}
