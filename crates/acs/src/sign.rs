//! Signing Open API calls for the Rust client, laid out as the official SDK does.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use http::Method;

use crate::encode::form_encode;
use crate::{v1, v3};

/// The `user-agent` the signed requests carry (V3 signs it, as the SDK does).
pub const USER_AGENT: &str = concat!("numgate-acs/", env!("CARGO_PKG_VERSION"));

/// A request ready to send. Send exactly these headers (the `host` must be the
/// authority of the URL) and no other `x-acs-*` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    pub method: Method,
    /// `/` or `/?…`, with the parameters form-encoded as the SDK encodes them.
    pub path_and_query: String,
    /// Lower-case names except `Authorization`, in the SDK's order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Signs with ACS3-HMAC-SHA256 as the SDK does for RPC actions: `POST /` with the
/// parameters in the query, an empty body, and every header but `Authorization`
/// signed.
#[allow(clippy::too_many_arguments)] // the agreed public signature: one call, all inputs
pub fn sign_v3(
    access_key_id: &str,
    secret: &str,
    host: &str,
    action: &str,
    version: &str,
    params: &BTreeMap<String, String>,
    now: DateTime<Utc>,
    nonce: &str,
) -> SignedRequest {
    let body = Vec::new();
    let content_sha256 = v3::sha256_hex(&body);
    let headers: Vec<(String, String)> = [
        ("host", host),
        ("x-acs-version", version),
        ("x-acs-action", action),
        ("user-agent", USER_AGENT),
        ("x-acs-date", &timestamp(now)),
        ("x-acs-signature-nonce", nonce),
        ("accept", "application/json"),
        ("x-acs-content-sha256", &content_sha256),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
    .collect();
    let mut canonical_headers = headers.clone();
    canonical_headers.sort();
    let signed_headers = canonical_headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_query = v3::canonical_query(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let canonical_request = v3::canonical_request(
        "POST",
        "/",
        &canonical_query,
        &canonical_headers,
        &content_sha256,
    );
    let signature = hex::encode(v3::signature(
        secret,
        &v3::string_to_sign(&canonical_request),
    ));
    let mut headers = headers;
    headers.push((
        "authorization".to_owned(),
        format!(
            "{} Credential={access_key_id},SignedHeaders={signed_headers},Signature={signature}",
            v3::ALGORITHM
        ),
    ));
    SignedRequest {
        method: Method::POST,
        path_and_query: path_and_query(params.iter()),
        headers,
        body,
    }
}

/// Signs with RPC HMAC-SHA1 as the SDK does with `signature_algorithm='v2'`:
/// `POST /` with every parameter, `Signature` last, in the query, an empty body,
/// and unsigned `x-acs-action`/`x-acs-version` headers. Business parameters
/// named like a common parameter (`Action`, `Timestamp`, …) are dropped.
#[allow(clippy::too_many_arguments)] // the agreed public signature: one call, all inputs
pub fn sign_v1(
    access_key_id: &str,
    secret: &str,
    host: &str,
    action: &str,
    version: &str,
    params: &BTreeMap<String, String>,
    now: DateTime<Utc>,
    nonce: &str,
) -> SignedRequest {
    let time = timestamp(now);
    let head = [
        ("Action", action),
        ("Format", "json"),
        ("Version", version),
        ("Timestamp", &time),
        ("SignatureNonce", nonce),
    ];
    let tail = [
        ("SignatureMethod", v1::SIGNATURE_METHOD),
        ("SignatureVersion", v1::SIGNATURE_VERSION),
        ("AccessKeyId", access_key_id),
    ];
    let reserved =
        |name: &str| name == "Signature" || head.iter().chain(tail.iter()).any(|(k, _)| *k == name);
    let mut query: Vec<(&str, &str)> = head.to_vec();
    query.extend(
        params
            .iter()
            .filter(|(k, _)| !reserved(k))
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    query.extend(tail);
    let signature = v1::signature(secret, &v1::string_to_sign("POST", query.iter().copied()));
    query.push(("Signature", &signature));
    let headers = [
        ("host", host),
        ("x-acs-version", version),
        ("x-acs-action", action),
        ("user-agent", USER_AGENT),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    SignedRequest {
        method: Method::POST,
        path_and_query: path_and_query(query),
        headers,
        body: Vec::new(),
    }
}

/// `yyyy-MM-ddTHH:mm:ssZ`, the SDK's format for `x-acs-date` and `Timestamp`.
fn timestamp(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn path_and_query<K: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (K, V)>) -> String {
    let query = pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", form_encode(k.as_ref()), form_encode(v.as_ref())))
        .collect::<Vec<_>>()
        .join("&");
    if query.is_empty() {
        "/".to_owned()
    } else {
        format!("/?{query}")
    }
}

#[cfg(test)]
#[path = "sign_tests.rs"]
mod tests;
