//! Parsing a raw HTTP request into a signed Open API call ([`ParsedRequest`]).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use http::{header, HeaderMap, Method};

use crate::params::{decode_form, merge_unique};
use crate::{v1, v3, AcsError, VERSION};

/// Largest accepted query string or body, in bytes. The server should also cap
/// what it reads from the socket at this size.
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// Parameters of the signing protocol itself; [`ParsedRequest::params`] leaves
/// them out so that actions see only their own parameters.
const COMMON_PARAMS: [&str; 10] = [
    "AccessKeyId",
    "SecurityToken",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "Timestamp",
    "Format",
    "Version",
    "Action",
];

/// An HTTP request as the server received it, borrowed from the framework's types.
#[derive(Debug, Clone, Copy)]
pub struct RawRequest<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    /// The raw query string, without the `?`.
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// How a request is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Authorization: ACS3-HMAC-SHA256 …` (current SDKs).
    V3,
    /// RPC `Signature` parameter with HMAC-SHA1 (`signature_algorithm='v2'` in the SDK).
    V1,
}

/// A well-formed signed call whose signature is not checked yet: look up the
/// AccessKey by [`access_key_id`](Self::access_key_id), call
/// [`verify`](Self::verify) with its secret, and only then record the nonce.
/// `Debug` shows parameter names but no values and no signature.
pub struct ParsedRequest {
    pub(crate) scheme: Scheme,
    pub(crate) access_key_id: String,
    /// The token of temporary (STS) credentials, when the request carries one.
    pub(crate) security_token: Option<String>,
    pub(crate) nonce: String,
    pub(crate) timestamp: DateTime<Utc>,
    pub(crate) action: String,
    pub(crate) version: String,
    pub(crate) params: BTreeMap<String, String>,
    pub(crate) proof: Proof,
}

/// What the signature check needs; computed at parse time since it needs no secret.
pub(crate) enum Proof {
    V3 {
        string_to_sign: String,
        signature: Vec<u8>,
        /// Whether the body hashes to `x-acs-content-sha256`.
        payload_hash_matches: bool,
    },
    V1 {
        string_to_sign: String,
        signature: String,
    },
}

impl ParsedRequest {
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }
    /// The security token of temporary (STS) credentials: V3 the signed
    /// `x-acs-security-token` header (or a `SecurityToken` query parameter, signed
    /// in the canonical query), V1 the signed `SecurityToken` parameter. Covered by
    /// the signature either way; what it is worth is the caller's question.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }
    /// `x-acs-signature-nonce` (V3) or `SignatureNonce` (V1).
    pub fn nonce(&self) -> &str {
        &self.nonce
    }
    /// `x-acs-date` (V3) or `Timestamp` (V1).
    pub fn timestamp(&self) -> DateTime<Utc> {
        self.timestamp
    }
    pub fn action(&self) -> &str {
        &self.action
    }
    /// Always [`VERSION`]: other versions are refused by [`parse`].
    pub fn version(&self) -> &str {
        &self.version
    }
    /// The action's parameters (query and form body), without the common ones.
    pub fn params(&self) -> &BTreeMap<String, String> {
        &self.params
    }
}

impl fmt::Debug for ParsedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedRequest")
            .field("scheme", &self.scheme)
            .field("access_key_id", &self.access_key_id)
            .field("has_security_token", &self.security_token.is_some())
            .field("nonce", &self.nonce)
            .field("timestamp", &self.timestamp)
            .field("action", &self.action)
            .field("version", &self.version)
            .field("param_names", &self.params.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Parses method, parameters, scheme, credentials, action, version and the
/// material for the signature check. Refuses, in this order: other methods than
/// GET/POST, oversized requests, bad parameters, missing or malformed signing
/// data (an unparsable timestamp included), a missing action, a missing or other
/// version. Whether the action exists is the caller's question.
pub fn parse(raw: &RawRequest) -> Result<ParsedRequest, AcsError> {
    if raw.method != Method::GET && raw.method != Method::POST {
        return Err(AcsError::UnsupportedHttpMethod {
            method: raw.method.to_string(),
        });
    }
    if raw.query.len() > MAX_REQUEST_BYTES || raw.body.len() > MAX_REQUEST_BYTES {
        return Err(AcsError::RequestEntityTooLarge {
            limit: MAX_REQUEST_BYTES,
        });
    }
    let query = decode_form(raw.query.as_bytes())?;
    let has_form_body = raw.method == Method::POST && !raw.body.is_empty() && is_form(raw.headers)?;
    let body = if has_form_body {
        decode_form(raw.body)?
    } else {
        Vec::new()
    };
    let all = merge_unique(&[&query, &body])?;

    let authorization = single_header(raw.headers, header::AUTHORIZATION.as_str())?;
    let parsed = match authorization.as_deref() {
        Some(value) => match value.split_once(' ').unwrap_or((value, "")) {
            (v3::ALGORITHM, rest) => parse_v3(raw, rest, &query, all, has_form_body)?,
            (algorithm, _) if algorithm.starts_with("ACS3-") => {
                return Err(AcsError::UnsupportedSignatureMethod {
                    method: algorithm.to_owned(),
                });
            }
            _ if all.contains_key("Signature") => parse_v1(raw, all)?,
            _ => {
                return Err(AcsError::incomplete(
                    "the Authorization header is not ACS3-HMAC-SHA256",
                ))
            }
        },
        None if all.contains_key("Signature") => parse_v1(raw, all)?,
        None if all.contains_key("AccessKeyId") => return Err(AcsError::missing("Signature")),
        None => return Err(AcsError::missing("AccessKeyId")),
    };
    Ok(parsed)
}

/// The pieces common to both schemes, taken from the merged parameters.
struct Call {
    action: String,
    version: String,
    params: BTreeMap<String, String>,
}

fn call(
    mut all: BTreeMap<String, String>,
    action_header: Option<String>,
    version_header: Option<String>,
) -> Result<Call, AcsError> {
    let action = pick("Action", action_header, all.get("Action"))?
        .ok_or_else(|| AcsError::missing("Action"))?;
    let version = pick("Version", version_header, all.get("Version"))?
        .ok_or_else(|| AcsError::missing("Version"))?;
    if version != VERSION {
        return Err(AcsError::InvalidVersion { version });
    }
    all.retain(|name, _| !COMMON_PARAMS.contains(&name.as_str()));
    Ok(Call {
        action,
        version,
        params: all,
    })
}

/// The header's value, else the parameter's; both given and different is refused.
fn pick(
    name: &str,
    header: Option<String>,
    param: Option<&String>,
) -> Result<Option<String>, AcsError> {
    match (
        header.filter(|h| !h.is_empty()),
        param.filter(|p| !p.is_empty()),
    ) {
        (Some(h), Some(p)) if &h != p => Err(AcsError::invalid(
            name,
            "the parameter and the x-acs- header disagree",
        )),
        (Some(h), _) => Ok(Some(h)),
        (None, p) => Ok(p.cloned()),
    }
}

fn parse_v3(
    raw: &RawRequest,
    authorization: &str,
    query: &[(String, String)],
    all: BTreeMap<String, String>,
    has_form_body: bool,
) -> Result<ParsedRequest, AcsError> {
    let auth = v3::parse_authorization(authorization)?;
    let is_signed = |name: &str| auth.signed_headers.iter().any(|h| h == name);
    if let Some(name) = v3::REQUIRED_SIGNED.iter().find(|h| !is_signed(h)) {
        return Err(AcsError::incomplete(format!(
            "the header {name} must be signed"
        )));
    }
    // Every x-acs- header present must be signed, as Alibaba requires: otherwise
    // an unsigned x-acs-action could redirect a signed request to another action.
    if let Some(name) = raw
        .headers
        .keys()
        .map(http::HeaderName::as_str)
        .find(|h| h.starts_with("x-acs-") && !is_signed(h))
    {
        return Err(AcsError::incomplete(format!(
            "the header {name} must be signed"
        )));
    }
    if has_form_body && !is_signed(header::CONTENT_TYPE.as_str()) {
        return Err(AcsError::incomplete(
            "the header content-type must be signed",
        ));
    }
    let mut canonical_headers = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let mut values = raw
            .headers
            .get_all(name.as_str())
            .iter()
            .map(|v| header_text(v.as_bytes()).trim().to_owned())
            .collect::<Vec<_>>();
        if values.is_empty() {
            return Err(AcsError::incomplete(format!(
                "the signed header {name} is missing"
            )));
        }
        values.sort();
        canonical_headers.push((name.clone(), values.join(",")));
    }
    let signed_value = |name: &str| {
        canonical_headers
            .iter()
            .find(|(h, _)| h == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let content_sha256 = signed_value("x-acs-content-sha256");
    let nonce = signed_value("x-acs-signature-nonce");
    if nonce.is_empty() {
        return Err(AcsError::missing("SignatureNonce"));
    }
    let timestamp = parse_timestamp(&signed_value("x-acs-date"))?;
    // Temporary credentials: the SDK sends the token in x-acs-security-token and
    // the key id again in x-acs-accesskey-id, both signed (every x-acs- header is).
    let security_token = pick(
        "SecurityToken",
        single_header(raw.headers, "x-acs-security-token")?.map(|t| t.trim().to_owned()),
        all.get("SecurityToken"),
    )?;
    if let Some(id) = single_header(raw.headers, "x-acs-accesskey-id")?
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
    {
        if id != auth.access_key_id {
            return Err(AcsError::invalid(
                "x-acs-accesskey-id",
                "the header differs from the Credential of the Authorization header",
            ));
        }
    }
    let call = call(
        all,
        single_header(raw.headers, "x-acs-action")?,
        single_header(raw.headers, "x-acs-version")?,
    )?;
    let canonical_query = v3::canonical_query(query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let path = if raw.path.is_empty() { "/" } else { raw.path };
    let canonical_request = v3::canonical_request(
        raw.method.as_str(),
        path,
        &canonical_query,
        &canonical_headers,
        &content_sha256,
    );
    Ok(ParsedRequest {
        scheme: Scheme::V3,
        access_key_id: auth.access_key_id,
        security_token,
        nonce,
        timestamp,
        action: call.action,
        version: call.version,
        params: call.params,
        proof: Proof::V3 {
            string_to_sign: v3::string_to_sign(&canonical_request),
            signature: auth.signature,
            payload_hash_matches: v3::sha256_hex(raw.body).eq_ignore_ascii_case(&content_sha256),
        },
    })
}

fn parse_v1(raw: &RawRequest, all: BTreeMap<String, String>) -> Result<ParsedRequest, AcsError> {
    let required = |name: &'static str| {
        all.get(name)
            .filter(|v| !v.is_empty())
            .cloned()
            .ok_or_else(|| AcsError::missing(name))
    };
    let access_key_id = required("AccessKeyId")?;
    let signature = required("Signature")?;
    let method = required("SignatureMethod")?;
    if method != v1::SIGNATURE_METHOD {
        return Err(AcsError::UnsupportedSignatureMethod { method });
    }
    let version = required("SignatureVersion")?;
    if version != v1::SIGNATURE_VERSION {
        return Err(AcsError::UnsupportedSignatureMethod {
            method: format!("{method} {version}"),
        });
    }
    let nonce = required("SignatureNonce")?;
    let timestamp = parse_timestamp(&required("Timestamp")?)?;
    let string_to_sign = v1::string_to_sign(
        raw.method.as_str(),
        all.iter()
            .filter(|(k, _)| k.as_str() != "Signature")
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let security_token = all.get("SecurityToken").filter(|t| !t.is_empty()).cloned();
    let call = call(all, None, None)?;
    Ok(ParsedRequest {
        scheme: Scheme::V1,
        access_key_id,
        security_token,
        nonce,
        timestamp,
        action: call.action,
        version: call.version,
        params: call.params,
        proof: Proof::V1 {
            string_to_sign,
            signature,
        },
    })
}

/// ISO 8601 / RFC 3339 (`2025-01-01T12:00:00Z`), as UTC.
fn parse_timestamp(value: &str) -> Result<DateTime<Utc>, AcsError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| AcsError::TimestampFormat {
            value: value.to_owned(),
        })
}

/// Whether the body is declared `application/x-www-form-urlencoded`.
fn is_form(headers: &HeaderMap) -> Result<bool, AcsError> {
    let content_type = single_header(headers, header::CONTENT_TYPE.as_str())?.unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    Ok(essence.eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

/// A header that must appear at most once, as text.
fn single_header(headers: &HeaderMap, name: &str) -> Result<Option<String>, AcsError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next().map(|v| header_text(v.as_bytes()));
    if values.next().is_some() {
        return Err(AcsError::invalid(
            name,
            "the header is given more than once",
        ));
    }
    Ok(first)
}

/// Header bytes as text: UTF-8 if valid, else Latin-1 (what Python's http.client
/// puts on the wire for the `str` the SDK signed).
fn header_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|b| char::from(*b)).collect(),
    }
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
