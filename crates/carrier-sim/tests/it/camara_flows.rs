//! The CAMARA operator's OIDC flow and token endpoint, beyond what the feature files cover.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::*;

async fn authorize_error(sim: &Sim, device_n: u8, scope: &str) -> Option<String> {
    let location = sim.authorize(device_n, scope).await;
    assert_eq!(query_param(&location, "state").as_deref(), Some("st-1"));
    query_param(&location, "error")
}

#[tokio::test]
async fn network_authorization_redirects_with_a_code_and_the_state() {
    let sim = spawn().await;
    let location = sim
        .authorize(CAMARA_DEVICE, "openid number-verification:verify")
        .await;
    assert!(location.as_str().starts_with(REDIRECT_URI));
    assert!(query_param(&location, "code").is_some());
    assert_eq!(query_param(&location, "state").as_deref(), Some("st-1"));
}

#[tokio::test]
async fn an_unidentifiable_device_gets_login_required() {
    let sim = spawn().await;
    for n in [NOBODY, CAMARA_DATA_OFF, CAMARA_NO_SIM, 11] {
        let error = authorize_error(&sim, n, "openid number-verification:verify").await;
        assert_eq!(error.as_deref(), Some("login_required"), "device .{n}");
    }
}

#[tokio::test]
async fn a_suspended_line_gets_access_denied() {
    let sim = spawn().await;
    let error = authorize_error(&sim, CAMARA_SUSPENDED, "openid number-verification:verify").await;
    assert_eq!(error.as_deref(), Some("access_denied"));
}

#[tokio::test]
async fn a_scope_the_client_may_not_use_gets_invalid_scope() {
    let sim = spawn().await;
    let error = authorize_error(&sim, CAMARA_DEVICE, "openid location-retrieval:read").await;
    assert_eq!(error.as_deref(), Some("invalid_scope"));
    let error = authorize_error(&sim, CAMARA_DEVICE, "number-verification:verify").await;
    assert_eq!(error.as_deref(), Some("invalid_scope"));
}

#[tokio::test]
async fn an_unknown_client_or_redirect_uri_is_not_redirected() {
    let sim = spawn().await;
    for (client, redirect) in [
        ("stranger", REDIRECT_URI),
        (CLIENT_ID, "http://evil.example/cb"),
    ] {
        let r = device(CAMARA_DEVICE)
            .get(sim.url("/camara/authorize"))
            .query(&[
                ("response_type", "code"),
                ("client_id", client),
                ("redirect_uri", redirect),
                ("scope", "openid number-verification:verify"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
    }
}

#[tokio::test]
async fn the_token_endpoint_refuses_a_wrong_secret_with_invalid_client() {
    let sim = spawn().await;
    let r = server()
        .post(sim.url("/camara/token"))
        .basic_auth(CLIENT_ID, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().contains_key("www-authenticate"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn an_authorization_code_is_single_use_and_bound_to_its_redirect_uri() {
    let sim = spawn().await;
    let location = sim
        .authorize(CAMARA_DEVICE, "openid number-verification:verify")
        .await;
    let code = query_param(&location, "code").unwrap();
    let wrong = sim
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://x/cb"),
        ])
        .await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    // The code died with the failed attempt, as codes are single use.
    let again = sim
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ])
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_token_response_has_the_oauth_shape() {
    let sim = spawn().await;
    let location = sim
        .authorize(CAMARA_DEVICE, "openid number-verification:verify")
        .await;
    let code = query_param(&location, "code").unwrap();
    let r = sim
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["scope"], "openid number-verification:verify");
    assert!(body["access_token"].as_str().is_some_and(|t| t.len() >= 32));
}

#[tokio::test]
async fn an_unsupported_grant_type_is_refused() {
    let sim = spawn().await;
    let r = sim.token_request(&[("grant_type", "password")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn a_number_verification_token_is_good_for_one_call_only() {
    let sim = spawn().await;
    let token = sim
        .three_legged(CAMARA_DEVICE, "number-verification:verify")
        .await;
    let body = format!(r#"{{"phoneNumber":"{CAMARA_NUMBER}"}}"#);
    let first = sim
        .api(
            Method::POST,
            "/number-verification/v0/verify",
            Some(&token),
            Some(&body),
        )
        .await;
    assert_eq!(first.body["devicePhoneNumberVerified"], true);
    let second = sim
        .api(
            Method::POST,
            "/number-verification/v0/verify",
            Some(&token),
            Some(&body),
        )
        .await;
    second.assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_invalid_x_correlator_is_refused() {
    let sim = spawn().await;
    let r = server()
        .get(sim.url("/camara/number-verification/v0/device-phone-number"))
        .header("x-correlator", "has spaces")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "INVALID_ARGUMENT");
}

#[tokio::test]
async fn an_unknown_camara_path_is_not_found_with_the_spec_body() {
    let sim = spawn().await;
    let reply = sim
        .api(Method::GET, "/number-verification/v0/nothing", None, None)
        .await;
    reply.assert_error(404, "NOT_FOUND");
}
