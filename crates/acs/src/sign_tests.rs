//! Round trips: what `sign_*` produces, `parse` + `verify` accept.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;
use crate::testing::Owned;
use crate::{AcsError, Scheme, VERSION};

const AK: &str = "LTAI5tRoundTrip";
const SECRET: &str = "round-trip-secret";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0)
        .single()
        .expect("valid time")
}

fn params() -> BTreeMap<String, String> {
    [
        ("PhoneNumber", "13800138000"),
        ("SignName", "速通互联验证码"),
        ("TemplateParam", r###"{"code":"##code##","min":"5"}"###),
        ("OutId", "a b*c~d+e/f%g&h=i"),
        ("Empty", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

type Signer = fn(
    &str,
    &str,
    &str,
    &str,
    &str,
    &BTreeMap<String, String>,
    DateTime<Utc>,
    &str,
) -> SignedRequest;

const SIGNERS: [(Scheme, Signer); 2] = [(Scheme::V3, sign_v3), (Scheme::V1, sign_v1)];

#[test]
fn signed_requests_verify_and_carry_the_call() {
    for (scheme, sign) in SIGNERS {
        let signed = sign(
            AK,
            SECRET,
            "127.0.0.1:8080",
            "SendSmsVerifyCode",
            VERSION,
            &params(),
            now(),
            "nonce-1",
        );
        let parsed = Owned::from_signed(&signed).parse().expect("parses");
        assert_eq!(parsed.scheme(), scheme);
        assert_eq!(parsed.access_key_id(), AK);
        assert_eq!(parsed.nonce(), "nonce-1");
        assert_eq!(parsed.timestamp(), now());
        assert_eq!(parsed.action(), "SendSmsVerifyCode");
        assert_eq!(parsed.version(), VERSION);
        assert_eq!(parsed.params(), &params());
        assert_eq!(parsed.verify(SECRET, now() + Duration::minutes(3)), Ok(()));
        assert_eq!(
            parsed.verify("other", now()),
            Err(AcsError::SignatureDoesNotMatch)
        );
    }
}

#[test]
fn a_call_without_parameters_round_trips() {
    for (_, sign) in SIGNERS {
        let signed = sign(
            AK,
            SECRET,
            "h",
            "GetMobile",
            VERSION,
            &BTreeMap::new(),
            now(),
            "n",
        );
        let parsed = Owned::from_signed(&signed).parse().expect("parses");
        assert!(parsed.params().is_empty());
        assert_eq!(parsed.verify(SECRET, now()), Ok(()));
    }
}

#[test]
fn v3_is_laid_out_like_the_sdk() {
    let signed = sign_v3(
        AK,
        SECRET,
        "h:1",
        "CheckSmsVerifyCode",
        VERSION,
        &params(),
        now(),
        "n",
    );
    assert_eq!(signed.method, http::Method::POST);
    assert!(signed.body.is_empty());
    assert!(signed
        .path_and_query
        .starts_with("/?Empty=&OutId=a+b%2Ac~d%2Be%2Ff%25g%26h%3Di&"));
    let names: Vec<&str> = signed.headers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "host",
            "x-acs-version",
            "x-acs-action",
            "user-agent",
            "x-acs-date",
            "x-acs-signature-nonce",
            "accept",
            "x-acs-content-sha256",
            "authorization"
        ]
    );
    let authorization = &signed.headers[8].1;
    assert!(authorization.starts_with(&format!(
        "ACS3-HMAC-SHA256 Credential={AK},SignedHeaders=accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature="
    )));
    assert_eq!(signed.headers[4].1, "2025-03-01T12:00:00Z");
}

#[test]
fn v1_is_laid_out_like_the_sdk() {
    let signed = sign_v1(
        AK,
        SECRET,
        "h:1",
        "CheckSmsVerifyCode",
        VERSION,
        &params(),
        now(),
        "n",
    );
    assert_eq!(signed.method, http::Method::POST);
    assert!(signed.body.is_empty());
    assert!(signed
        .path_and_query
        .starts_with("/?Action=CheckSmsVerifyCode&Format=json&Version=2017-05-25&Timestamp=2025-03-01T12%3A00%3A00Z&SignatureNonce=n&"));
    assert!(signed.path_and_query.contains(&format!(
        "&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&AccessKeyId={AK}&Signature="
    )));
    let names: Vec<&str> = signed.headers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["host", "x-acs-version", "x-acs-action", "user-agent"]
    );
}

#[test]
fn v1_drops_business_parameters_named_like_common_ones() {
    let mut params = params();
    params.insert("Timestamp".to_owned(), "1999".to_owned());
    params.insert("Signature".to_owned(), "forged".to_owned());
    let signed = sign_v1(AK, SECRET, "h", "GetMobile", VERSION, &params, now(), "n");
    let parsed = Owned::from_signed(&signed).parse().expect("parses");
    assert_eq!(parsed.timestamp(), now());
    assert_eq!(parsed.verify(SECRET, now()), Ok(()));
}

#[test]
fn v3_requests_also_verify_as_get() {
    let signed = sign_v3(AK, SECRET, "h", "GetMobile", VERSION, &params(), now(), "n");
    let mut owned = Owned::from_signed(&signed);
    owned.method = http::Method::GET;
    // The method is signed: the POST signature does not fit a GET.
    assert_eq!(
        owned.parse().expect("parses").verify(SECRET, now()),
        Err(AcsError::SignatureDoesNotMatch)
    );
    crate::testing::sign_v3_in_place(&mut owned, AK, SECRET);
    assert_eq!(owned.parse().expect("parses").verify(SECRET, now()), Ok(()));
}
