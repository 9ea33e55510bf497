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
    let call = Call {
        host,
        action,
        version,
        params,
        now,
        nonce,
    };
    v3_request(access_key_id, secret, None, &call)
}

/// [`sign_v3`] with temporary (STS) credentials, as the SDK sends them: the
/// security token in an `x-acs-security-token` header and the key id again in
/// `x-acs-accesskey-id`, both signed with the other headers.
#[allow(clippy::too_many_arguments)] // sign_v3's inputs and the token
pub fn sign_v3_sts(
    access_key_id: &str,
    secret: &str,
    security_token: &str,
    host: &str,
    action: &str,
    version: &str,
    params: &BTreeMap<String, String>,
    now: DateTime<Utc>,
    nonce: &str,
) -> SignedRequest {
    let call = Call {
        host,
        action,
        version,
        params,
        now,
        nonce,
    };
    v3_request(access_key_id, secret, Some(security_token), &call)
}

/// What a call is, apart from its credentials.
struct Call<'a> {
    host: &'a str,
    action: &'a str,
    version: &'a str,
    params: &'a BTreeMap<String, String>,
    now: DateTime<Utc>,
    nonce: &'a str,
}

fn v3_request(
    access_key_id: &str,
    secret: &str,
    security_token: Option<&str>,
    call: &Call<'_>,
) -> SignedRequest {
    let Call {
        host,
        action,
        version,
        params,
        now,
        nonce,
    } = *call;
    let body = Vec::new();
    let content_sha256 = v3::sha256_hex(&body);
    let mut headers: Vec<(String, String)> = [
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
    if let Some(token) = security_token {
        headers.push(("x-acs-accesskey-id".to_owned(), access_key_id.to_owned()));
        headers.push(("x-acs-security-token".to_owned(), token.trim().to_owned()));
    }
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
    let call = Call {
        host,
        action,
        version,
        params,
        now,
        nonce,
    };
    v1_request(access_key_id, secret, None, &call)
}

/// [`sign_v1`] with temporary (STS) credentials, as the SDK sends them: the
/// security token in a `SecurityToken` parameter, signed with the others.
#[allow(clippy::too_many_arguments)] // sign_v1's inputs and the token
pub fn sign_v1_sts(
    access_key_id: &str,
    secret: &str,
    security_token: &str,
    host: &str,
    action: &str,
    version: &str,
    params: &BTreeMap<String, String>,
    now: DateTime<Utc>,
    nonce: &str,
) -> SignedRequest {
    let call = Call {
        host,
        action,
        version,
        params,
        now,
        nonce,
    };
    v1_request(access_key_id, secret, Some(security_token), &call)
}

fn v1_request(
    access_key_id: &str,
    secret: &str,
    security_token: Option<&str>,
    call: &Call<'_>,
) -> SignedRequest {
    let Call {
        host,
        action,
        version,
        params,
        now,
        nonce,
    } = *call;
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
    let reserved = |name: &str| {
        matches!(name, "Signature" | "SecurityToken")
            || head.iter().chain(tail.iter()).any(|(k, _)| *k == name)
    };
    let mut query: Vec<(&str, &str)> = head.to_vec();
    query.extend(
        params
            .iter()
            .filter(|(k, _)| !reserved(k))
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    if let Some(token) = security_token {
        query.push(("SecurityToken", token));
    }
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
