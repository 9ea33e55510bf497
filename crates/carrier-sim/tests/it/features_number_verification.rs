//! The scenarios of number-verification-phoneNumberVerify.feature and
//! number-verification-phoneNumberShare.feature, one test each, against the simulator.
//!
//! "A valid access token" is a three-legged token from network-based authentication of device
//! 127.0.0.41; "a token not obtained by network/SIM authentication" and "a token which does not
//! identify a single phone number" are client-credentials tokens.

use reqwest::Method;

use crate::helpers::*;

const VERIFY: &str = "/number-verification/vwip/verify";
const SHARE: &str = "/number-verification/vwip/device-phone-number";
const VERIFY_SCOPE: &str = "number-verification:verify";
const SHARE_SCOPE: &str = "number-verification:device-phone-number:read";

fn plain(number: &str) -> String {
    format!(r#"{{"phoneNumber":"{number}"}}"#)
}

fn hashed(number: &str) -> String {
    format!(r#"{{"hashedPhoneNumber":"{}"}}"#, sha256_hex(number))
}

async fn verify_with_valid_token(body: Option<&str>) -> ApiReply {
    let sim = spawn().await;
    let token = sim.three_legged(CAMARA_DEVICE, VERIFY_SCOPE).await;
    sim.api(Method::POST, VERIFY, Some(&token), body).await
}

async fn expired_token(sim: &Sim, scope: &str) -> String {
    let token = sim.three_legged(CAMARA_DEVICE, scope).await;
    sim.advance_clock(301).await;
    token
}

// ---- phoneNumberVerify ----

#[tokio::test]
async fn phone_number_verify_01_common_validations_for_any_success_scenario() {
    let reply = verify_with_valid_token(Some(&plain(CAMARA_NUMBER))).await;
    reply.assert_generic_success();
    assert!(reply.body["devicePhoneNumberVerified"].is_boolean());
}

#[tokio::test]
async fn phone_number_verify_02_validate_success_with_phone_number_when_response_is_true() {
    let reply = verify_with_valid_token(Some(&plain(CAMARA_NUMBER))).await;
    assert_eq!(reply.body["devicePhoneNumberVerified"], true);
}

#[tokio::test]
async fn phone_number_verify_03_validate_success_with_phone_number_when_response_is_false() {
    let reply = verify_with_valid_token(Some(&plain("+8613800009999"))).await;
    assert_eq!(reply.status.as_u16(), 200);
    assert_eq!(reply.body["devicePhoneNumberVerified"], false);
}

#[tokio::test]
async fn phone_number_verify_04_validate_success_with_hashed_phone_number_when_response_is_true() {
    let reply = verify_with_valid_token(Some(&hashed(CAMARA_NUMBER))).await;
    assert_eq!(reply.body["devicePhoneNumberVerified"], true);
}

#[tokio::test]
async fn phone_number_verify_05_validate_success_with_hashed_phone_number_when_response_is_false() {
    let reply = verify_with_valid_token(Some(&hashed("+8613800009999"))).await;
    assert_eq!(reply.status.as_u16(), 200);
    assert_eq!(reply.body["devicePhoneNumberVerified"], false);
}

#[tokio::test]
async fn phone_number_verify_400_1_missing_request_body() {
    verify_with_valid_token(None)
        .await
        .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn phone_number_verify_400_2_empty_object_as_request_body() {
    verify_with_valid_token(Some("{}"))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn phone_number_verify_400_3_a_property_that_is_neither_phone_number_nor_hashed_phone_number()
{
    verify_with_valid_token(Some(r#"{"additional_property":"foo_value"}"#))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn phone_number_verify_400_4_phone_number_and_hashed_phone_number_together() {
    let body = format!(
        r#"{{"phoneNumber":"{CAMARA_NUMBER}","hashedPhoneNumber":"{}"}}"#,
        sha256_hex(CAMARA_NUMBER)
    );
    verify_with_valid_token(Some(&body))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn phone_number_verify_401_1_no_authorization_header() {
    let sim = spawn().await;
    let reply = sim
        .api(Method::POST, VERIFY, None, Some(&plain(CAMARA_NUMBER)))
        .await;
    reply.assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn phone_number_verify_401_2_expired_access_token() {
    let sim = spawn().await;
    let token = expired_token(&sim, VERIFY_SCOPE).await;
    let reply = sim
        .api(
            Method::POST,
            VERIFY,
            Some(&token),
            Some(&plain(CAMARA_NUMBER)),
        )
        .await;
    reply.assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn phone_number_verify_401_3_invalid_access_token() {
    let sim = spawn().await;
    let reply = sim
        .api(
            Method::POST,
            VERIFY,
            Some("not-a-token"),
            Some(&plain(CAMARA_NUMBER)),
        )
        .await;
    reply.assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn phone_number_verify_403_1_access_token_does_not_have_the_required_permissions() {
    let sim = spawn().await;
    let token = sim.three_legged(CAMARA_DEVICE, SHARE_SCOPE).await;
    let reply = sim
        .api(
            Method::POST,
            VERIFY,
            Some(&token),
            Some(&plain(CAMARA_NUMBER)),
        )
        .await;
    reply.assert_error(403, "PERMISSION_DENIED");
}

#[tokio::test]
async fn phone_number_verify_403_2_token_not_obtained_by_a_supported_authentication_method() {
    let sim = spawn().await;
    let token = sim.two_legged(VERIFY_SCOPE).await;
    let reply = sim
        .api(
            Method::POST,
            VERIFY,
            Some(&token),
            Some(&plain(CAMARA_NUMBER)),
        )
        .await;
    reply.assert_error(
        403,
        "NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK",
    );
}

#[tokio::test]
async fn phone_number_verify_c02_01_phone_number_value_does_not_comply_with_the_schema() {
    let sim = spawn().await;
    let token = sim.two_legged(VERIFY_SCOPE).await;
    let reply = sim
        .api(
            Method::POST,
            VERIFY,
            Some(&token),
            Some(&plain("8613800000041")),
        )
        .await;
    reply.assert_error(400, "INVALID_ARGUMENT");
}

// ---- phoneNumberShare ----

#[tokio::test]
async fn phone_number_share_01_common_validations_for_any_success_scenario() {
    let sim = spawn().await;
    let token = sim.three_legged(CAMARA_DEVICE, SHARE_SCOPE).await;
    let reply = sim.api(Method::GET, SHARE, Some(&token), None).await;
    reply.assert_generic_success();
    assert!(reply.body["devicePhoneNumber"].is_string());
}

#[tokio::test]
async fn phone_number_share_02_validate_success_scenario() {
    let sim = spawn().await;
    let token = sim.three_legged(CAMARA_DEVICE, SHARE_SCOPE).await;
    let reply = sim.api(Method::GET, SHARE, Some(&token), None).await;
    assert_eq!(reply.body["devicePhoneNumber"], CAMARA_NUMBER);
}

#[tokio::test]
async fn phone_number_share_401_1_no_authorization_header() {
    let sim = spawn().await;
    sim.api(Method::GET, SHARE, None, None)
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn phone_number_share_401_2_expired_access_token() {
    let sim = spawn().await;
    let token = expired_token(&sim, SHARE_SCOPE).await;
    sim.api(Method::GET, SHARE, Some(&token), None)
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn phone_number_share_401_3_invalid_access_token() {
    let sim = spawn().await;
    sim.api(Method::GET, SHARE, Some("not-a-token"), None)
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn phone_number_share_403_1_access_token_does_not_have_the_required_permissions() {
    let sim = spawn().await;
    let token = sim.three_legged(CAMARA_DEVICE, VERIFY_SCOPE).await;
    sim.api(Method::GET, SHARE, Some(&token), None)
        .await
        .assert_error(403, "PERMISSION_DENIED");
}

#[tokio::test]
async fn phone_number_share_403_2_token_not_obtained_by_a_supported_authentication_method() {
    let sim = spawn().await;
    let token = sim.two_legged(SHARE_SCOPE).await;
    sim.api(Method::GET, SHARE, Some(&token), None)
        .await
        .assert_error(
            403,
            "NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK",
        );
}
