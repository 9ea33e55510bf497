//! The control API: authentication, subscriber table changes, the clock.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn the_control_api_needs_the_control_token() {
    let sim = spawn().await;
    let r = server()
        .get(sim.url("/control/subscribers"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = server()
        .get(sim.url("/control/subscribers"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_control_api_is_disabled_without_a_control_token() {
    let sim = spawn_with("").await;
    let r = server()
        .get(sim.url("/control/subscribers"))
        .bearer_auth("anything")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn turning_mobile_data_off_through_control_stops_token_issue() {
    let sim = spawn().await;
    sim.put_subscriber(json!({ "address": "127.0.0.11", "number": "13800000011", "carrier": "cm", "mobile_data": false }))
        .await;
    let reply = sim
        .device_post(
            11,
            "/cm/token",
            json!({ "app_id": "app-cm", "purpose": "login" }),
        )
        .await;
    assert_eq!(reply["resultCode"], "103902");
}

#[tokio::test]
async fn a_new_subscriber_is_identified_and_a_removed_one_is_not() {
    let sim = spawn().await;
    sim.put_subscriber(
        json!({ "address": "127.0.0.70", "number": "18800000070", "carrier": "cm" }),
    )
    .await;
    let reply = sim
        .device_post(70, "/cm/prefetch", json!({ "app_id": "app-cm" }))
        .await;
    assert_eq!(reply["data"]["masked_number"], "188****0070");
    let r = sim
        .control(Method::DELETE, "/subscribers/127.0.0.70", None)
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let reply = sim
        .device_post(70, "/cm/prefetch", json!({ "app_id": "app-cm" }))
        .await;
    assert_eq!(reply["resultCode"], "103901");
    let r = sim
        .control(Method::DELETE, "/subscribers/127.0.0.70", None)
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_invalid_subscriber_is_refused_with_the_reason() {
    let sim = spawn().await;
    let r = sim
        .control(
            Method::PUT,
            "/subscribers",
            Some(json!({ "address": "127.0.0.71", "number": "+8618800000071", "carrier": "cu" })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap_or("").contains("national"),
        "{body}"
    );
}

#[tokio::test]
async fn the_clock_moves_by_advance_and_by_offset() {
    let sim = spawn().await;
    let r = sim
        .control(Method::POST, "/clock", Some(json!({ "advance_secs": 90 })))
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["offset_secs"], 90);
    let r = sim
        .control(Method::POST, "/clock", Some(json!({ "offset_secs": 5 })))
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["offset_secs"], 5);
    let r = sim
        .control(
            Method::POST,
            "/clock",
            Some(json!({ "offset_secs": 5, "advance_secs": 1 })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn two_simulators_in_one_process_keep_separate_state() {
    let a = spawn().await;
    let b = spawn().await;
    a.advance_clock(1000).await;
    let r = b.control(Method::GET, "/clock", None).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["offset_secs"], 0);
}
