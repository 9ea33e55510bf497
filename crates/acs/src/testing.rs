//! Test helpers: owned raw requests built from signed requests or SDK captures.

use http::{HeaderMap, HeaderName, HeaderValue, Method};

use crate::{parse, AcsError, ParsedRequest, RawRequest, SignedRequest};

/// The owned parts behind a [`RawRequest`], easy to tamper with.
#[derive(Debug, Clone)]
pub(crate) struct Owned {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Owned {
    pub fn new(
        method: Method,
        path_and_query: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                HeaderValue::from_str(value).expect("header value"),
            );
        }
        Self {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers: map,
            body,
        }
    }

    pub fn from_signed(signed: &SignedRequest) -> Self {
        Self::new(
            signed.method.clone(),
            &signed.path_and_query,
            &signed.headers,
            signed.body.clone(),
        )
    }

    pub fn raw(&self) -> RawRequest<'_> {
        RawRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    pub fn parse(&self) -> Result<ParsedRequest, AcsError> {
        parse(&self.raw())
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.insert(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value).expect("header value"),
        );
    }
}

/// Signs `owned` with V3 over its query, body and every header it has (as the SDK
/// does), replacing any `Authorization`.
pub(crate) fn sign_v3_in_place(owned: &mut Owned, access_key_id: &str, secret: &str) {
    use crate::v3;
    owned.headers.remove(http::header::AUTHORIZATION);
    let mut headers: Vec<(String, String)> = owned
        .headers
        .keys()
        .map(|name| {
            let mut values: Vec<String> = owned
                .headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str().expect("ascii").trim().to_owned())
                .collect();
            values.sort();
            (name.as_str().to_owned(), values.join(","))
        })
        .collect();
    headers.sort();
    let pairs = crate::params::decode_form(owned.query.as_bytes()).expect("query");
    let query = v3::canonical_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let payload = v3::sha256_hex(&owned.body);
    let canonical = v3::canonical_request(
        owned.method.as_str(),
        &owned.path,
        &query,
        &headers,
        &payload,
    );
    let signature = hex::encode(v3::signature(secret, &v3::string_to_sign(&canonical)));
    let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    owned.set_header(
        "authorization",
        &format!(
            "ACS3-HMAC-SHA256 Credential={access_key_id},SignedHeaders={},Signature={signature}",
            signed.join(";")
        ),
    );
}

/// A minimal valid V3 request at `now` (headers only, `x-acs-content-sha256` of
/// `body`), not yet signed.
pub(crate) fn v3_request(
    method: Method,
    query: &str,
    body: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Owned {
    let headers: Vec<(String, String)> = [
        ("host", "127.0.0.1:8080".to_owned()),
        ("x-acs-action", "CheckSmsVerifyCode".to_owned()),
        ("x-acs-version", crate::VERSION.to_owned()),
        (
            "x-acs-date",
            now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
        ("x-acs-signature-nonce", "n1".to_owned()),
        ("x-acs-content-sha256", crate::v3::sha256_hex(body)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let path_and_query = if query.is_empty() {
        "/".to_owned()
    } else {
        format!("/?{query}")
    };
    Owned::new(method, &path_and_query, &headers, body.to_vec())
}
