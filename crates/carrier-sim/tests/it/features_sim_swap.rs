//! The scenarios of sim-swap-checkSimSwap.feature and sim-swap-retrieveSimSwapDate.feature, one
//! test each (Scenario Outlines loop over their Examples), against the simulator.
//!
//! "Identified by the token" uses a three-legged token of the device; "provided in the request
//! body" and "a token which does not identify a single phone number" use a client-credentials
//! token. SIM histories are set through the control API relative to now.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

const CHECK: &str = "/sim-swap/vwip/check";
const RETRIEVE: &str = "/sim-swap/vwip/retrieve-date";
const TEST_N: u8 = 60;
const TEST_NUMBER: &str = "+8613800000060";

/// A simulator whose subscriber .60 has the given SIM history, and a token identifying it.
async fn with_history(swap: Option<String>, activation: Option<String>) -> (Sim, String) {
    let sim = spawn().await;
    sim.put_subscriber(camara_subscriber(TEST_N, TEST_NUMBER, swap, activation))
        .await;
    let token = sim.three_legged(TEST_N, "sim-swap").await;
    (sim, token)
}

async fn check(sim: &Sim, token: Option<&str>, body: &str) -> ApiReply {
    sim.api(Method::POST, CHECK, token, Some(body)).await
}

async fn retrieve(sim: &Sim, token: Option<&str>, body: &str) -> ApiReply {
    sim.api(Method::POST, RETRIEVE, token, Some(body)).await
}

async fn spawn_with_monitored_period(days: u32) -> Sim {
    // A table header at the end closes the last `[[camara_client]]` entry.
    spawn_with(&format!(
        "{}\n[camara]\nmonitored_period_days = {days}\n",
        standard_toml()
    ))
    .await
}

// ---- checkSimSwap ----

#[tokio::test]
async fn check_sim_swap_1_common_validations_for_any_success_scenario() {
    let (sim, token) = with_history(Some(hours_ago(5, 0)), None).await;
    let reply = check(&sim, Some(&token), "{}").await;
    reply.assert_generic_success();
    assert!(reply.body["swapped"].is_boolean());
}

#[tokio::test]
async fn check_sim_swap_2_swapped_using_the_default_max_age() {
    let (sim, token) = with_history(Some(hours_ago(239, 0)), Some(hours_ago(5000, 0))).await;
    let reply = check(&sim, Some(&token), "{}").await;
    assert_eq!(reply.body["swapped"], true, "{}", reply.body);
}

#[tokio::test]
async fn check_sim_swap_3_swapped_with_max_age_provided() {
    for hours in [260, 120, 24, 12] {
        let (sim, token) = with_history(Some(hours_ago(hours, 600)), None).await;
        let reply = check(&sim, Some(&token), &format!(r#"{{"maxAge":{hours}}}"#)).await;
        assert_eq!(reply.status.as_u16(), 200);
        assert_eq!(reply.body["swapped"], true, "hours {hours}: {}", reply.body);
    }
}

#[tokio::test]
async fn check_sim_swap_4_not_swapped_when_the_last_swap_was_more_than_240_hours_ago() {
    let (sim, token) = with_history(Some(hours_ago(241, 0)), None).await;
    let reply = check(&sim, Some(&token), "{}").await;
    assert_eq!(reply.body["swapped"], false, "{}", reply.body);
}

#[tokio::test]
async fn check_sim_swap_5_not_swapped_when_the_last_swap_was_before_max_age() {
    let since = 100;
    let (sim, token) = with_history(Some(hours_ago(since, 0)), None).await;
    let reply = check(
        &sim,
        Some(&token),
        &format!(r#"{{"maxAge":{}}}"#, since - 1),
    )
    .await;
    assert_eq!(reply.body["swapped"], false, "{}", reply.body);
}

#[tokio::test]
async fn check_sim_swap_6_never_swapped_without_max_age() {
    let (sim, token) = with_history(None, Some(hours_ago(300, 0))).await;
    let reply = check(&sim, Some(&token), "{}").await;
    assert_eq!(reply.body["swapped"], false, "{}", reply.body);
}

#[tokio::test]
async fn check_sim_swap_7_never_swapped_with_max_age_provided() {
    for hours in [260, 120, 24, 12] {
        let (sim, token) = with_history(None, Some(hours_ago(hours + 1, 0))).await;
        let reply = check(
            &sim,
            Some(&token),
            &format!(r#"{{"maxAge":{}}}"#, hours - 1),
        )
        .await;
        assert_eq!(
            reply.body["swapped"], false,
            "hours {hours}: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn check_sim_swap_401_1_no_authorization_header() {
    let sim = spawn().await;
    check(&sim, None, "{}")
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn check_sim_swap_401_2_expired_access_token() {
    let (sim, token) = with_history(None, None).await;
    sim.advance_clock(301).await;
    check(&sim, Some(&token), "{}")
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn check_sim_swap_401_3_invalid_access_token() {
    let sim = spawn().await;
    check(&sim, Some("not-a-token"), "{}")
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn check_sim_swap_400_1_max_age_does_not_comply_with_the_schema() {
    let (sim, token) = with_history(None, None).await;
    check(&sim, Some(&token), r#"{"maxAge":"240"}"#)
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    check(&sim, Some(&token), r#"{"maxAge":2.5}"#)
        .await
        .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn check_sim_swap_400_2_max_age_above_the_limit() {
    let (sim, token) = with_history(None, None).await;
    check(&sim, Some(&token), r#"{"maxAge":100000}"#)
        .await
        .assert_error(400, "OUT_OF_RANGE");
}

#[tokio::test]
async fn check_sim_swap_400_3_max_age_above_the_monitored_period() {
    let sim = spawn_with_monitored_period(30).await;
    let token = sim.three_legged(CAMARA_DEVICE, "sim-swap:check").await;
    let reply = check(&sim, Some(&token), r#"{"maxAge":1000}"#).await;
    reply.assert_error(400, "OUT_OF_RANGE");
    assert!(reply.body["message"]
        .as_str()
        .unwrap_or("")
        .contains("30 days"));
}

#[tokio::test]
async fn check_sim_swap_c02_01_phone_number_does_not_comply_with_the_schema() {
    let sim = spawn().await;
    let token = sim.two_legged("sim-swap:check").await;
    check(&sim, Some(&token), r#"{"phoneNumber":"0034666"}"#)
        .await
        .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn check_sim_swap_c02_02_phone_number_not_found() {
    let sim = spawn().await;
    let token = sim.two_legged("sim-swap:check").await;
    check(&sim, Some(&token), r#"{"phoneNumber":"+34666111333"}"#)
        .await
        .assert_error(404, "IDENTIFIER_NOT_FOUND");
}

#[tokio::test]
async fn check_sim_swap_c02_03_unnecessary_phone_number() {
    let sim = spawn().await;
    let token = sim.three_legged(CAMARA_DEVICE, "sim-swap:check").await;
    check(
        &sim,
        Some(&token),
        &format!(r#"{{"phoneNumber":"{CAMARA_NUMBER}"}}"#),
    )
    .await
    .assert_error(422, "UNNECESSARY_IDENTIFIER");
}

#[tokio::test]
async fn check_sim_swap_c02_04_missing_phone_number() {
    let sim = spawn().await;
    let token = sim.two_legged("sim-swap:check").await;
    check(&sim, Some(&token), r#"{"maxAge":24}"#)
        .await
        .assert_error(422, "MISSING_IDENTIFIER");
}

#[tokio::test]
async fn check_sim_swap_c02_05_service_not_available_for_the_phone_number() {
    let sim = spawn().await;
    let token = sim
        .three_legged(CAMARA_NOT_APPLICABLE, "sim-swap:check")
        .await;
    check(&sim, Some(&token), "{}")
        .await
        .assert_error(422, "SERVICE_NOT_APPLICABLE");
}

// ---- retrieveSimSwapDate ----

#[tokio::test]
async fn retrieve_sim_swap_date_1_common_validations_for_any_success_scenario() {
    let sim = spawn().await;
    let token = sim.two_legged("sim-swap:retrieve-date").await;
    let reply = retrieve(
        &sim,
        Some(&token),
        &format!(r#"{{"phoneNumber":"{CAMARA_NUMBER}"}}"#),
    )
    .await;
    reply.assert_generic_success();
    assert!(reply.body.get("latestSimChange").is_some());
}

#[tokio::test]
async fn retrieve_sim_swap_date_2_a_valid_sim_swap() {
    let swap = hours_ago(48, 0);
    let (sim, token) = with_history(Some(swap.clone()), Some(hours_ago(5000, 0))).await;
    let reply = retrieve(&sim, Some(&token), "{}").await;
    assert_eq!(reply.status.as_u16(), 200);
    let latest = reply.body["latestSimChange"].as_str().expect("a timestamp");
    assert!(
        chrono::DateTime::parse_from_rfc3339(latest).is_ok(),
        "{latest}"
    );
    assert_eq!(latest, swap);
}

#[tokio::test]
async fn retrieve_sim_swap_date_3_never_swapped_returns_the_activation_date() {
    let activation = hours_ago(5000, 0);
    let (sim, token) = with_history(None, Some(activation.clone())).await;
    let reply = retrieve(&sim, Some(&token), "{}").await;
    assert_eq!(reply.body["latestSimChange"], activation.as_str());
}

#[tokio::test]
async fn retrieve_sim_swap_date_4_number_never_associated_with_a_sim() {
    let sim = spawn().await;
    let token = sim.two_legged("sim-swap:retrieve-date").await;
    let reply = retrieve(&sim, Some(&token), r#"{"phoneNumber":"+8613800000044"}"#).await;
    assert_eq!(reply.status.as_u16(), 200);
    assert!(reply.body["latestSimChange"].is_null(), "{}", reply.body);
}

#[tokio::test]
async fn retrieve_sim_swap_date_5_swap_before_the_legal_history_window() {
    let sim = spawn_with_monitored_period(120).await;
    sim.put_subscriber(camara_subscriber(
        TEST_N,
        TEST_NUMBER,
        Some(hours_ago(24 * 200, 0)),
        None,
    ))
    .await;
    let token = sim.two_legged("sim-swap:retrieve-date").await;
    let reply = retrieve(
        &sim,
        Some(&token),
        &format!(r#"{{"phoneNumber":"{TEST_NUMBER}"}}"#),
    )
    .await;
    assert_eq!(reply.status.as_u16(), 200);
    assert_eq!(
        reply.body,
        json!({ "latestSimChange": null, "monitoredPeriod": 120 })
    );
}

#[tokio::test]
async fn retrieve_sim_swap_date_401_1_no_authorization_header() {
    let sim = spawn().await;
    retrieve(&sim, None, "{}")
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn retrieve_sim_swap_date_401_2_expired_access_token() {
    let (sim, token) = with_history(None, None).await;
    sim.advance_clock(301).await;
    retrieve(&sim, Some(&token), "{}")
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn retrieve_sim_swap_date_401_3_invalid_access_token() {
    let sim = spawn().await;
    retrieve(&sim, Some("not-a-token"), "{}")
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn retrieve_sim_swap_date_c02_01_phone_number_does_not_comply_with_the_schema() {
    let sim = spawn().await;
    let token = sim.two_legged("sim-swap:retrieve-date").await;
    retrieve(&sim, Some(&token), r#"{"phoneNumber":"+34-666"}"#)
        .await
        .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn retrieve_sim_swap_date_c02_02_phone_number_not_found() {
    let sim = spawn().await;
    let token = sim.two_legged("sim-swap:retrieve-date").await;
    retrieve(&sim, Some(&token), r#"{"phoneNumber":"+34666111333"}"#)
        .await
        .assert_error(404, "IDENTIFIER_NOT_FOUND");
}

#[tokio::test]
async fn retrieve_sim_swap_date_c02_03_unnecessary_phone_number() {
    let sim = spawn().await;
    let token = sim
        .three_legged(CAMARA_DEVICE, "sim-swap:retrieve-date")
        .await;
    retrieve(
        &sim,
        Some(&token),
        &format!(r#"{{"phoneNumber":"{CAMARA_NUMBER}"}}"#),
    )
    .await
    .assert_error(422, "UNNECESSARY_IDENTIFIER");
}

#[tokio::test]
async fn retrieve_sim_swap_date_c02_04_missing_phone_number() {
    let sim = spawn().await;
    let token = sim.two_legged("sim-swap:retrieve-date").await;
    retrieve(&sim, Some(&token), "{}")
        .await
        .assert_error(422, "MISSING_IDENTIFIER");
}

#[tokio::test]
async fn retrieve_sim_swap_date_c02_05_service_not_available_for_the_phone_number() {
    let sim = spawn().await;
    let token = sim.two_legged("sim-swap:retrieve-date").await;
    retrieve(&sim, Some(&token), r#"{"phoneNumber":"+8613800000045"}"#)
        .await
        .assert_error(422, "SERVICE_NOT_APPLICABLE");
}
