//! Parsing: which requests are refused, with which code, before any secret is used.

use chrono::{DateTime, TimeZone, Utc};
use http::Method;

use crate::sign::{sign_v1, sign_v1_sts, sign_v3, sign_v3_sts};
use crate::testing::{sign_v3_in_place, v3_request, Owned};
use crate::{AcsError, VERSION};

const AK: &str = "AK";
const SECRET: &str = "secret";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0)
        .single()
        .expect("valid time")
}

fn code(owned: &Owned) -> String {
    owned
        .parse()
        .map(|_| "OK".to_owned())
        .unwrap_or_else(|e| e.code().into_owned())
}

fn v1(params: &[(&str, &str)]) -> Owned {
    let params = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Owned::from_signed(&sign_v1(
        AK,
        SECRET,
        "h",
        "CheckSmsVerifyCode",
        VERSION,
        &params,
        now(),
        "n",
    ))
}

fn without_query_param(owned: &Owned, name: &str) -> Owned {
    let mut changed = owned.clone();
    changed.query = owned
        .query
        .split('&')
        .filter(|p| p.split('=').next() != Some(name))
        .collect::<Vec<_>>()
        .join("&");
    changed
}

fn with_query_param(owned: &Owned, name: &str, value: &str) -> Owned {
    let mut changed = without_query_param(owned, name);
    changed.query = format!("{}&{name}={value}", changed.query);
    changed
}

#[test]
fn methods_other_than_get_and_post_are_refused() {
    let mut owned = v1(&[]);
    owned.method = Method::PUT;
    assert_eq!(code(&owned), "UnsupportedHTTPMethod");
}

#[test]
fn an_oversized_body_or_query_is_refused() {
    let mut owned = v1(&[]);
    owned.body = vec![b'a'; crate::MAX_REQUEST_BYTES + 1];
    assert_eq!(code(&owned), "RequestEntityTooLarge");
    let mut owned = v1(&[]);
    owned.query = "a".repeat(crate::MAX_REQUEST_BYTES + 1);
    assert_eq!(
        owned.parse().unwrap_err().http_status(),
        http::StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[test]
fn an_unsigned_request_misses_its_access_key_or_signature() {
    let plain = Owned::new(
        Method::GET,
        "/?Action=GetMobile&Version=2017-05-25",
        &[],
        Vec::new(),
    );
    assert_eq!(code(&plain), "MissingAccessKeyId");
    let signed = v1(&[]);
    assert_eq!(
        code(&without_query_param(&signed, "Signature")),
        "MissingSignature"
    );
}

#[test]
fn each_missing_v1_common_parameter_has_its_code() {
    let signed = v1(&[]);
    for (name, expected) in [
        ("AccessKeyId", "MissingAccessKeyId"),
        ("SignatureNonce", "MissingSignatureNonce"),
        ("Timestamp", "MissingTimestamp"),
        ("SignatureMethod", "MissingSignatureMethod"),
        ("SignatureVersion", "MissingSignatureVersion"),
        ("Action", "MissingAction"),
        ("Version", "MissingVersion"),
    ] {
        assert_eq!(
            code(&without_query_param(&signed, name)),
            expected,
            "{name}"
        );
    }
}

#[test]
fn other_v1_signature_methods_and_versions_are_unsupported() {
    let signed = v1(&[]);
    assert_eq!(
        code(&with_query_param(&signed, "SignatureMethod", "HMAC-SHA256")),
        "UnsupportedSignatureMethod"
    );
    assert_eq!(
        code(&with_query_param(&signed, "SignatureVersion", "2.0")),
        "UnsupportedSignatureMethod"
    );
}

#[test]
fn another_version_is_invalid() {
    assert_eq!(
        code(&with_query_param(&v1(&[]), "Version", "2017-05-26")),
        "InvalidVersion"
    );
}

#[test]
fn an_unparsable_timestamp_is_a_format_error() {
    for bad in [
        "yesterday",
        "2025-03-01",
        "2025-03-01T12%3A00Z",
        "1740830400",
    ] {
        assert_eq!(
            code(&with_query_param(&v1(&[]), "Timestamp", bad)),
            "InvalidTimeStamp.Format",
            "{bad}"
        );
    }
}

#[test]
fn a_parameter_given_twice_is_invalid() {
    let signed = v1(&[("PhoneNumber", "1")]);
    assert_eq!(
        code(&with_query_param(&signed, "X", "1").clone_with_query_suffix("&X=2")),
        "InvalidParameter"
    );
    let mut in_body = signed.clone();
    in_body.set_header("content-type", "application/x-www-form-urlencoded");
    in_body.body = b"PhoneNumber=1".to_vec();
    assert_eq!(code(&in_body), "InvalidParameter");
}

#[test]
fn v1_form_body_parameters_are_signed_and_passed_on() {
    let signed = v1(&[]);
    let mut moved = signed.clone();
    moved.set_header(
        "content-type",
        "application/x-www-form-urlencoded; charset=UTF-8",
    );
    moved.body = b"PhoneNumber=138&SignName=%E9%80%9F".to_vec();
    let parsed = moved.parse().expect("parses");
    assert_eq!(parsed.params()["SignName"], "速");
    // The query's signature did not cover the body parameters.
    assert_eq!(
        parsed.verify(SECRET, now()),
        Err(AcsError::SignatureDoesNotMatch)
    );
}

#[test]
fn a_body_that_is_not_a_form_is_not_read_for_parameters() {
    let mut owned = v1(&[]);
    owned.set_header("content-type", "application/json");
    owned.body = b"{\"PhoneNumber\":\"1\"}".to_vec();
    let parsed = owned.parse().expect("parses");
    assert!(parsed.params().is_empty());
    assert_eq!(parsed.verify(SECRET, now()), Ok(()));
}

#[test]
fn non_utf8_parameters_are_invalid() {
    assert_eq!(
        code(&with_query_param(&v1(&[]), "SignName", "%C3%28")),
        "InvalidParameter"
    );
}

#[test]
fn a_v3_form_body_is_hashed_and_its_content_type_must_be_signed() {
    let body = b"PhoneNumber=13800138000&VerifyCode=1234";
    let mut owned = v3_request(Method::POST, "CountryCode=86", body, now());
    owned.set_header("content-type", "application/x-www-form-urlencoded");
    sign_v3_in_place(&mut owned, AK, SECRET);
    let parsed = owned.parse().expect("parses");
    assert_eq!(parsed.params().len(), 3);
    assert_eq!(parsed.params()["VerifyCode"], "1234");
    assert_eq!(parsed.verify(SECRET, now()), Ok(()));

    let mut unsigned_type = v3_request(Method::POST, "", body, now());
    sign_v3_in_place(&mut unsigned_type, AK, SECRET);
    unsigned_type.set_header("content-type", "application/x-www-form-urlencoded");
    assert_eq!(code(&unsigned_type), "IncompleteSignature");
}

#[test]
fn v3_needs_the_four_headers_signed() {
    for header in [
        "host",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-content-sha256",
    ] {
        let mut owned = v3_request(Method::GET, "", b"", now());
        owned.headers.remove(header);
        sign_v3_in_place(&mut owned, AK, SECRET);
        if header != "host" {
            assert_eq!(code(&owned), "IncompleteSignature", "{header}");
        }
        // Signed without it, then sent with it: still not signed.
        owned.set_header(header, "x");
        assert_eq!(code(&owned), "IncompleteSignature", "{header}");
    }
}

#[test]
fn an_unsigned_x_acs_action_cannot_redirect_a_signed_call() {
    let mut owned = v3_request(Method::GET, "", b"", now());
    owned.headers.remove("x-acs-action");
    owned.query = "Action=CheckSmsVerifyCode".to_owned();
    sign_v3_in_place(&mut owned, AK, SECRET);
    assert_eq!(
        owned.parse().expect("parses").action(),
        "CheckSmsVerifyCode"
    );
    owned.set_header("x-acs-action", "GetMobile");
    assert_eq!(code(&owned), "IncompleteSignature");
}

#[test]
fn v3_action_and_version_may_come_from_the_query_but_must_agree() {
    let mut owned = v3_request(
        Method::GET,
        "Action=CheckSmsVerifyCode&Version=2017-05-25",
        b"",
        now(),
    );
    sign_v3_in_place(&mut owned, AK, SECRET);
    let parsed = owned.parse().expect("parses");
    assert!(parsed.params().is_empty());
    let mut other = v3_request(Method::GET, "Action=GetMobile", b"", now());
    sign_v3_in_place(&mut other, AK, SECRET);
    assert_eq!(code(&other), "InvalidParameter");
    let mut none = v3_request(Method::GET, "", b"", now());
    none.headers.remove("x-acs-action");
    sign_v3_in_place(&mut none, AK, SECRET);
    assert_eq!(code(&none), "MissingAction");
}

#[test]
fn malformed_or_other_authorization_headers_are_refused() {
    let mut owned = v3_request(Method::GET, "", b"", now());
    for (value, expected) in [
        ("ACS3-HMAC-SHA256 Credential=AK", "IncompleteSignature"),
        ("ACS3-HMAC-SHA256", "IncompleteSignature"),
        (
            "ACS3-HMAC-SM3 Credential=AK,SignedHeaders=host,Signature=00",
            "UnsupportedSignatureMethod",
        ),
        ("Bearer abc", "IncompleteSignature"),
    ] {
        owned.set_header("authorization", value);
        assert_eq!(code(&owned), expected, "{value}");
    }
}

#[test]
fn a_bad_v3_date_is_a_format_error() {
    let mut owned = v3_request(Method::GET, "", b"", now());
    owned.set_header("x-acs-date", "Sat, 01 Mar 2025 12:00:00 GMT");
    sign_v3_in_place(&mut owned, AK, SECRET);
    assert_eq!(code(&owned), "InvalidTimeStamp.Format");
}

#[test]
fn a_signed_header_sent_twice_is_canonicalised_like_the_sdk() {
    let mut owned = v3_request(Method::GET, "", b"", now());
    owned
        .headers
        .append("x-acs-extra", http::HeaderValue::from_static(" b "));
    owned
        .headers
        .append("x-acs-extra", http::HeaderValue::from_static("a"));
    sign_v3_in_place(&mut owned, AK, SECRET);
    assert_eq!(owned.parse().expect("parses").verify(SECRET, now()), Ok(()));
}

#[test]
fn debug_output_hides_the_signature_and_parameter_values() {
    for signed in [
        sign_v3(
            AK,
            SECRET,
            "h",
            "CheckSmsVerifyCode",
            VERSION,
            &[("VerifyCode".to_owned(), "987654".to_owned())].into(),
            now(),
            "n",
        ),
        sign_v1(
            AK,
            SECRET,
            "h",
            "CheckSmsVerifyCode",
            VERSION,
            &[("VerifyCode".to_owned(), "987654".to_owned())].into(),
            now(),
            "n",
        ),
    ] {
        let owned = Owned::from_signed(&signed);
        let debug = format!("{:?}", owned.parse().expect("parses"));
        assert!(debug.contains("VerifyCode"));
        assert!(!debug.contains("987654"), "{debug}");
        assert!(!debug.to_lowercase().contains("signature:"), "{debug}");
        let signature = owned
            .query
            .rsplit("Signature=")
            .next()
            .unwrap_or_default()
            .to_owned();
        let authorization = owned
            .headers
            .get("authorization")
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        let hidden = authorization
            .and_then(|a| a.rsplit("Signature=").next().map(str::to_owned))
            .unwrap_or(signature);
        assert!(!debug.contains(&hidden), "{debug}");
    }
}

const TOKEN: &str = "CAIS/sts+token=1";

fn security_token(owned: &Owned) -> Option<String> {
    owned
        .parse()
        .expect("parses")
        .security_token()
        .map(str::to_owned)
}

#[test]
fn a_signed_v3_security_token_header_is_the_requests_token() {
    let mut owned = v3_request(Method::POST, "PhoneNumber=1", b"", now());
    owned.set_header("x-acs-security-token", TOKEN);
    owned.set_header("x-acs-accesskey-id", "STS.AK");
    sign_v3_in_place(&mut owned, "STS.AK", SECRET);
    let parsed = owned.parse().expect("parses");
    assert_eq!(parsed.security_token(), Some(TOKEN));
    assert_eq!(parsed.access_key_id(), "STS.AK");
    assert_eq!(parsed.params().keys().collect::<Vec<_>>(), ["PhoneNumber"]);
    assert_eq!(parsed.verify(SECRET, now()), Ok(()));

    let mut changed = owned.clone();
    changed.set_header("x-acs-security-token", "CAIS/other");
    assert_eq!(
        changed.parse().expect("parses").verify(SECRET, now()),
        Err(AcsError::SignatureDoesNotMatch)
    );
}

#[test]
fn a_v3_request_without_a_token_has_none() {
    let mut owned = v3_request(Method::POST, "", b"", now());
    sign_v3_in_place(&mut owned, AK, SECRET);
    assert_eq!(security_token(&owned), None);
    // An empty header is no token either.
    let mut empty = v3_request(Method::POST, "", b"", now());
    empty.set_header("x-acs-security-token", "");
    sign_v3_in_place(&mut empty, AK, SECRET);
    assert_eq!(security_token(&empty), None);
}

#[test]
fn an_unsigned_v3_security_token_is_incomplete() {
    let mut owned = v3_request(Method::POST, "", b"", now());
    sign_v3_in_place(&mut owned, "STS.AK", SECRET);
    owned.set_header("x-acs-security-token", TOKEN);
    assert_eq!(code(&owned), "IncompleteSignature");
}

#[test]
fn the_v3_key_id_header_must_repeat_the_credential() {
    let mut owned = v3_request(Method::POST, "", b"", now());
    owned.set_header("x-acs-security-token", TOKEN);
    owned.set_header("x-acs-accesskey-id", "STS.other");
    sign_v3_in_place(&mut owned, "STS.AK", SECRET);
    assert_eq!(code(&owned), "InvalidParameter");
}

#[test]
fn a_v3_token_may_come_from_the_signed_query_but_must_agree_with_the_header() {
    let mut owned = v3_request(Method::POST, "SecurityToken=CAIS%2Fq", b"", now());
    sign_v3_in_place(&mut owned, "STS.AK", SECRET);
    let parsed = owned.parse().expect("parses");
    assert_eq!(parsed.security_token(), Some("CAIS/q"));
    assert!(parsed.params().is_empty());
    assert_eq!(parsed.verify(SECRET, now()), Ok(()));

    let mut both = v3_request(Method::POST, "SecurityToken=CAIS%2Fq", b"", now());
    both.set_header("x-acs-security-token", TOKEN);
    sign_v3_in_place(&mut both, "STS.AK", SECRET);
    assert_eq!(code(&both), "InvalidParameter");
}

#[test]
fn a_v1_security_token_parameter_is_signed_and_not_passed_on() {
    let signed = v1(&[("PhoneNumber", "1")]);
    assert_eq!(security_token(&signed), None);
    let with_token = Owned::from_signed(&sign_v1_sts(
        "STS.AK",
        SECRET,
        TOKEN,
        "h",
        "SendSmsVerifyCode",
        VERSION,
        &[("PhoneNumber".to_owned(), "1".to_owned())].into(),
        now(),
        "n",
    ));
    let parsed = with_token.parse().expect("parses");
    assert_eq!(parsed.security_token(), Some(TOKEN));
    assert_eq!(parsed.params().keys().collect::<Vec<_>>(), ["PhoneNumber"]);
    assert_eq!(parsed.verify(SECRET, now()), Ok(()));
    assert_eq!(
        with_query_param(&with_token, "SecurityToken", "CAIS%2Fother")
            .parse()
            .expect("parses")
            .verify(SECRET, now()),
        Err(AcsError::SignatureDoesNotMatch)
    );
    // V1 ignores headers: a token header is neither read nor a reason to refuse.
    let mut header_only = signed.clone();
    header_only.set_header("x-acs-security-token", TOKEN);
    assert_eq!(security_token(&header_only), None);
}

#[test]
fn sts_signing_round_trips_in_both_schemes_and_debug_hides_the_token() {
    let params = [("PhoneNumber".to_owned(), "1".to_owned())].into();
    for signed in [
        sign_v3_sts(
            "STS.AK",
            SECRET,
            TOKEN,
            "h",
            "SendSmsVerifyCode",
            VERSION,
            &params,
            now(),
            "n",
        ),
        sign_v1_sts(
            "STS.AK",
            SECRET,
            TOKEN,
            "h",
            "SendSmsVerifyCode",
            VERSION,
            &params,
            now(),
            "n",
        ),
    ] {
        let parsed = Owned::from_signed(&signed).parse().expect("parses");
        assert_eq!(parsed.access_key_id(), "STS.AK");
        assert_eq!(parsed.security_token(), Some(TOKEN));
        assert_eq!(parsed.verify(SECRET, now()), Ok(()));
        let debug = format!("{parsed:?}");
        assert!(!debug.contains("sts+token"), "{debug}");
        assert!(debug.contains("has_security_token: true"), "{debug}");
    }
}

trait QuerySuffix {
    fn clone_with_query_suffix(&self, suffix: &str) -> Owned;
}

impl QuerySuffix for Owned {
    fn clone_with_query_suffix(&self, suffix: &str) -> Owned {
        let mut changed = self.clone();
        changed.query.push_str(suffix);
        changed
    }
}

/// A xorshift generator: deterministic noise without a dependency.
struct Noise(u64);

impl Noise {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }

    fn text(&mut self, len: usize) -> String {
        const ALPHABET: &str = "aZ0=&%+;, .~*/:-_\u{0}\u{7f}é速FEC2Signature=Action=ACS3-HMAC-SHA256 Credential=SignedHeaders=host";
        let chars: Vec<char> = ALPHABET.chars().collect();
        (0..len).map(|_| chars[self.below(chars.len())]).collect()
    }
}

#[test]
fn arbitrary_input_is_refused_or_parsed_but_never_panics() {
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let mut owned = if noise.below(2) == 0 {
            v1(&[("PhoneNumber", "1")])
        } else {
            v3_request(Method::POST, "", b"", now())
        };
        match noise.below(4) {
            0 => owned.query = noise.text(40),
            1 => owned.query.push_str(&noise.text(20)),
            2 => owned.body = noise.text(30).into_bytes(),
            _ => {
                let value = noise.text(60).replace(['\u{0}', '\u{7f}'], "");
                if let Ok(value) = http::HeaderValue::from_bytes(value.as_bytes()) {
                    owned.headers.insert(http::header::AUTHORIZATION, value);
                }
            }
        }
        owned.set_header("content-type", "application/x-www-form-urlencoded");
        if let Ok(parsed) = owned.parse() {
            let _ = parsed.verify(SECRET, now());
        }
    }
}
