//! Golden vectors: requests captured from the official Python SDK must verify,
//! and any change to what they sign must not. Two of them were sent with
//! temporary (STS) credentials: their security token is parsed and signed too.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use http::Method;
use serde::Deserialize;

use crate::encode::form_encode;
use crate::testing::Owned;
use crate::{AcsError, ParsedRequest, Scheme};

#[derive(Deserialize)]
struct Fixture {
    access_key_id: String,
    access_key_secret: String,
    /// Only the fixtures made with temporary credentials have one.
    #[serde(default)]
    security_token: Option<String>,
    expected: Expected,
    request: Captured,
}

#[derive(Deserialize)]
struct Expected {
    action: String,
    version: String,
    params: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Captured {
    method: String,
    path_and_query: String,
    headers: Vec<(String, String)>,
    body: String,
}

const FIXTURES: [(&str, Scheme, &str); 6] = [
    (
        "send_sms_verify_code_v3",
        Scheme::V3,
        include_str!("../tests/fixtures/send_sms_verify_code_v3.json"),
    ),
    (
        "check_sms_verify_code_v3",
        Scheme::V3,
        include_str!("../tests/fixtures/check_sms_verify_code_v3.json"),
    ),
    (
        "send_sms_verify_code_v1",
        Scheme::V1,
        include_str!("../tests/fixtures/send_sms_verify_code_v1.json"),
    ),
    (
        "check_sms_verify_code_v1",
        Scheme::V1,
        include_str!("../tests/fixtures/check_sms_verify_code_v1.json"),
    ),
    (
        "send_sms_verify_code_sts_v3",
        Scheme::V3,
        include_str!("../tests/fixtures/send_sms_verify_code_sts_v3.json"),
    ),
    (
        "send_sms_verify_code_sts_v1",
        Scheme::V1,
        include_str!("../tests/fixtures/send_sms_verify_code_sts_v1.json"),
    ),
];

fn fixtures() -> Vec<(&'static str, Scheme, Fixture, Owned)> {
    FIXTURES
        .iter()
        .map(|(name, scheme, json)| {
            let fixture: Fixture = serde_json::from_str(json).expect("fixture is valid JSON");
            let r = &fixture.request;
            let method = Method::from_bytes(r.method.as_bytes()).expect("method");
            let owned = Owned::new(
                method,
                &r.path_and_query,
                &r.headers,
                r.body.clone().into_bytes(),
            );
            (*name, *scheme, fixture, owned)
        })
        .collect()
}

fn parse_ok(name: &str, owned: &Owned) -> ParsedRequest {
    owned.parse().unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

/// Changes a value slightly but keeps it well formed where possible: bumps its
/// last digit, else replaces its last character.
fn flip(value: &str) -> String {
    let mut chars: Vec<char> = value.chars().collect();
    match chars.iter().rposition(char::is_ascii_digit) {
        Some(at) => {
            chars[at] = if chars[at] == '9' {
                '0'
            } else {
                (chars[at] as u8 + 1) as char
            }
        }
        None => match chars.last_mut() {
            Some(last) => *last = if *last == 'X' { 'Y' } else { 'X' },
            None => chars.push('X'),
        },
    }
    chars.into_iter().collect()
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    crate::params::decode_form(query.as_bytes()).expect("query decodes")
}

fn encode_query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn verify(owned: &Owned, secret: &str, now: DateTime<Utc>) -> Result<(), AcsError> {
    owned.parse()?.verify(secret, now)
}

#[test]
fn sdk_requests_parse_to_the_action_version_and_params_sent() {
    for (name, scheme, fixture, owned) in fixtures() {
        let parsed = parse_ok(name, &owned);
        assert_eq!(parsed.scheme(), scheme, "{name}");
        assert_eq!(parsed.access_key_id(), fixture.access_key_id, "{name}");
        assert_eq!(parsed.action(), fixture.expected.action, "{name}");
        assert_eq!(parsed.version(), fixture.expected.version, "{name}");
        assert_eq!(parsed.params(), &fixture.expected.params, "{name}");
        assert!(!parsed.nonce().is_empty(), "{name}");
        assert_eq!(
            parsed.security_token(),
            fixture.security_token.as_deref(),
            "{name}"
        );
    }
}

#[test]
fn both_signature_versions_of_the_sdk_send_sts_credentials() {
    let sts: Vec<_> = fixtures()
        .into_iter()
        .filter(|(_, _, f, _)| f.security_token.is_some())
        .collect();
    assert_eq!(sts.len(), 2);
    for (name, _, fixture, owned) in sts {
        assert!(fixture.access_key_id.starts_with("STS."), "{name}");
        let parsed = parse_ok(name, &owned);
        assert!(!parsed.params().contains_key("SecurityToken"), "{name}");
        assert!(
            !format!("{parsed:?}").contains(fixture.security_token.as_deref().unwrap_or("-")),
            "{name}: Debug hides the token"
        );
    }
}

#[test]
fn the_chinese_sign_name_and_the_phone_number_are_decoded() {
    let (_, _, _, owned) = fixtures().into_iter().next().expect("fixtures");
    let parsed = parse_ok("send", &owned);
    assert_eq!(parsed.params()["SignName"], "速通互联验证码");
    assert_eq!(parsed.params()["PhoneNumber"], "13800138000");
    assert_eq!(
        parsed.params()["TemplateParam"],
        r###"{"code":"##code##","min":"5"}"###
    );
    assert_eq!(parsed.params()["OutId"], "order 42*~/+");
}

#[test]
fn sdk_requests_verify_with_the_right_secret_at_their_own_time() {
    for (name, _, fixture, owned) in fixtures() {
        let parsed = parse_ok(name, &owned);
        let now = parsed.timestamp();
        assert_eq!(
            parsed.verify(&fixture.access_key_secret, now),
            Ok(()),
            "{name}"
        );
        for skew in [Duration::minutes(15), -Duration::minutes(15)] {
            assert_eq!(
                parsed.verify(&fixture.access_key_secret, now + skew),
                Ok(()),
                "{name}"
            );
        }
    }
}

#[test]
fn a_wrong_secret_does_not_match() {
    for (name, _, fixture, owned) in fixtures() {
        let parsed = parse_ok(name, &owned);
        let wrong = format!("{}x", fixture.access_key_secret);
        assert_eq!(
            parsed.verify(&wrong, parsed.timestamp()),
            Err(AcsError::SignatureDoesNotMatch),
            "{name}"
        );
        assert_eq!(
            parsed.verify("", parsed.timestamp()),
            Err(AcsError::SignatureDoesNotMatch),
            "{name}"
        );
    }
}

#[test]
fn sixteen_minutes_of_skew_either_way_is_expired() {
    for (name, _, fixture, owned) in fixtures() {
        let parsed = parse_ok(name, &owned);
        for skew in [Duration::minutes(16), -Duration::minutes(16)] {
            let error = parsed
                .verify(&fixture.access_key_secret, parsed.timestamp() + skew)
                .unwrap_err();
            assert_eq!(error.code(), "InvalidTimeStamp.Expired", "{name}");
        }
    }
}

/// Values that are checked before the signature: changing them is refused with
/// their own error instead of `SignatureDoesNotMatch`.
const CHECKED_BEFORE_SIGNATURE: [&str; 5] = [
    "SignatureMethod",
    "SignatureVersion",
    "Version",
    "x-acs-version",
    // Must repeat the Authorization header's Credential.
    "x-acs-accesskey-id",
];

#[test]
fn changing_any_query_parameter_fails_verification() {
    for (name, _, fixture, owned) in fixtures() {
        let now = parse_ok(name, &owned).timestamp();
        let pairs = query_pairs(&owned.query);
        for at in 0..pairs.len() {
            let mut changed = pairs.clone();
            changed[at].1 = flip(&changed[at].1);
            let mut tampered = owned.clone();
            tampered.query = encode_query(&changed);
            let result = verify(&tampered, &fixture.access_key_secret, now);
            let param = &pairs[at].0;
            if CHECKED_BEFORE_SIGNATURE.contains(&param.as_str()) {
                assert!(result.is_err(), "{name}: {param}");
            } else {
                assert_eq!(
                    result,
                    Err(AcsError::SignatureDoesNotMatch),
                    "{name}: {param}"
                );
            }
        }
    }
}

#[test]
fn adding_or_removing_a_query_parameter_fails_verification() {
    for (name, _, fixture, owned) in fixtures() {
        let now = parse_ok(name, &owned).timestamp();
        let mut added = owned.clone();
        added.query.push_str("&OwnerId=1");
        assert_eq!(
            verify(&added, &fixture.access_key_secret, now),
            Err(AcsError::SignatureDoesNotMatch),
            "{name}"
        );
        let mut pairs = query_pairs(&owned.query);
        pairs.retain(|(k, _)| k != "PhoneNumber");
        let mut removed = owned.clone();
        removed.query = encode_query(&pairs);
        assert_eq!(
            verify(&removed, &fixture.access_key_secret, now),
            Err(AcsError::SignatureDoesNotMatch),
            "{name}"
        );
    }
}

#[test]
fn changing_any_signed_v3_header_fails_verification() {
    for (name, scheme, fixture, owned) in fixtures() {
        let parsed = parse_ok(name, &owned);
        if scheme != Scheme::V3 {
            continue;
        }
        let now = parsed.timestamp();
        for (header, value) in &fixture.request.headers {
            let mut tampered = owned.clone();
            tampered.set_header(header, &flip(value));
            let result = verify(&tampered, &fixture.access_key_secret, now);
            let lower = header.to_ascii_lowercase();
            if ["accept-encoding", "content-length"].contains(&lower.as_str()) {
                // Added by the HTTP library after signing, so not covered.
                assert_eq!(result, Ok(()), "{name}: {header}");
            } else if CHECKED_BEFORE_SIGNATURE.contains(&lower.as_str()) {
                assert!(result.is_err(), "{name}: {header}");
            } else {
                assert_eq!(
                    result,
                    Err(AcsError::SignatureDoesNotMatch),
                    "{name}: {header}"
                );
            }
        }
    }
}

#[test]
fn v1_ignores_headers_since_it_signs_parameters_only() {
    for (name, scheme, fixture, owned) in fixtures() {
        if scheme != Scheme::V1 {
            continue;
        }
        let now = parse_ok(name, &owned).timestamp();
        let mut tampered = owned.clone();
        tampered.set_header("x-acs-action", "GetMobile");
        tampered.set_header("user-agent", "other");
        let parsed = tampered.parse().expect("parses");
        assert_eq!(parsed.action(), fixture.expected.action, "{name}");
        assert_eq!(
            parsed.verify(&fixture.access_key_secret, now),
            Ok(()),
            "{name}"
        );
    }
}

#[test]
fn any_body_byte_fails_v3_verification() {
    for (name, scheme, fixture, owned) in fixtures() {
        if scheme != Scheme::V3 {
            continue;
        }
        let now = parse_ok(name, &owned).timestamp();
        for body in [&b"x"[..], b"\0", b"PhoneNumber=1"] {
            let mut tampered = owned.clone();
            tampered.body = body.to_vec();
            assert_eq!(
                verify(&tampered, &fixture.access_key_secret, now),
                Err(AcsError::SignatureDoesNotMatch),
                "{name}"
            );
        }
    }
}

#[test]
fn a_replayed_v3_request_without_a_signed_header_is_incomplete() {
    for (name, scheme, fixture, owned) in fixtures() {
        if scheme != Scheme::V3 {
            continue;
        }
        let mut tampered = owned.clone();
        tampered.headers.remove("x-acs-signature-nonce");
        assert_eq!(
            tampered.parse().unwrap_err().code(),
            "IncompleteSignature",
            "{name}"
        );
        let mut added = owned.clone();
        added.set_header("x-acs-security-token", "t");
        if fixture.security_token.is_some() {
            // The SDK signed its token header: another value is another request.
            assert_eq!(
                verify(&added, &fixture.access_key_secret, now_of(&owned)),
                Err(AcsError::SignatureDoesNotMatch),
                "{name}"
            );
        } else {
            assert_eq!(
                added.parse().unwrap_err().code(),
                "IncompleteSignature",
                "{name}"
            );
        }
    }
}

fn now_of(owned: &Owned) -> DateTime<Utc> {
    parse_ok("fixture", owned).timestamp()
}

#[test]
fn an_sts_request_without_its_token_or_with_another_key_id_header_fails() {
    for (name, scheme, fixture, owned) in fixtures() {
        if fixture.security_token.is_none() {
            continue;
        }
        let now = now_of(&owned);
        let mut stripped = owned.clone();
        match scheme {
            Scheme::V3 => {
                // Dropped from the request but still named in SignedHeaders.
                stripped.headers.remove("x-acs-security-token");
                assert_eq!(
                    stripped.parse().unwrap_err().code(),
                    "IncompleteSignature",
                    "{name}"
                );
                let mut other_id = owned.clone();
                other_id.set_header("x-acs-accesskey-id", "STS.other");
                assert_eq!(
                    other_id.parse().unwrap_err().code(),
                    "InvalidParameter",
                    "{name}"
                );
            }
            Scheme::V1 => {
                let mut pairs = query_pairs(&owned.query);
                pairs.retain(|(k, _)| k != "SecurityToken");
                stripped.query = encode_query(&pairs);
                let parsed = stripped.parse().expect("parses");
                assert_eq!(parsed.security_token(), None, "{name}");
                assert_eq!(
                    parsed.verify(&fixture.access_key_secret, now),
                    Err(AcsError::SignatureDoesNotMatch),
                    "{name}"
                );
            }
        }
    }
}
