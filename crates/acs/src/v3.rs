//! ACS3-HMAC-SHA256: the `Authorization` header, the canonical request, the signature.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::{percent_encode, AcsError};

/// The algorithm name that opens the `Authorization` header.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Headers that a V3 request must sign.
pub(crate) const REQUIRED_SIGNED: [&str; 4] = [
    "host",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
];

/// The parts of `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Authorization {
    pub access_key_id: String,
    /// Lower-case header names in the order the client listed them.
    pub signed_headers: Vec<String>,
    /// The decoded 32-byte signature.
    pub signature: Vec<u8>,
}

/// Parses the header after its `ACS3-HMAC-SHA256 ` prefix.
pub(crate) fn parse_authorization(rest: &str) -> Result<Authorization, AcsError> {
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',').map(str::trim) {
        let (key, value) = part.split_once('=').ok_or_else(|| {
            AcsError::incomplete("the Authorization header has a part without '='")
        })?;
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            _ => {
                return Err(AcsError::incomplete(
                    "the Authorization header has an unknown part",
                ))
            }
        };
        if slot.replace(value).is_some() {
            return Err(AcsError::incomplete(
                "the Authorization header repeats a part",
            ));
        }
    }
    let access_key_id = credential
        .filter(|c| !c.is_empty())
        .ok_or_else(|| AcsError::incomplete("the Authorization header lacks Credential"))?;
    let signed = signed
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AcsError::incomplete("the Authorization header lacks SignedHeaders"))?;
    let signature = signature
        .and_then(|s| hex::decode(s).ok())
        .filter(|s| s.len() == 32)
        .ok_or_else(|| AcsError::incomplete("the Signature is not 64 hex digits"))?;
    let signed_headers: Vec<String> = signed.split(';').map(str::to_ascii_lowercase).collect();
    if signed_headers
        .iter()
        .any(|h| http::HeaderName::from_bytes(h.as_bytes()).is_err())
    {
        return Err(AcsError::incomplete(
            "SignedHeaders holds an invalid header name",
        ));
    }
    Ok(Authorization {
        access_key_id: access_key_id.to_owned(),
        signed_headers,
        signature,
    })
}

/// The canonical query: `enc(k)=enc(v)` sorted by encoded name, joined by `&`.
pub(crate) fn canonical_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut encoded: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    encoded.sort();
    encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD\nPATH\nQUERY\nname:value\n…\nSIGNED;HEADERS\nPAYLOAD-HASH`. `headers` are
/// the signed headers, in order, with their canonical (trimmed, joined) values.
pub(crate) fn canonical_request(
    method: &str,
    path: &str,
    canonical_query: &str,
    headers: &[(String, String)],
    payload_sha256: &str,
) -> String {
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    format!(
        "{method}\n{path}\n{canonical_query}\n{canonical_headers}\n{}\n{payload_sha256}",
        signed.join(";")
    )
}

/// `ACS3-HMAC-SHA256\n` + hex(SHA-256(canonical request)).
pub(crate) fn string_to_sign(canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// HMAC-SHA256(secret, string to sign), raw bytes.
pub(crate) fn signature(secret: &str, string_to_sign: &str) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(string_to_sign.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Lower-case hex SHA-256, the form of `x-acs-content-sha256`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "b3220d33a2e7f0739840474c2bfb324288367275b76bce284cd77655c40b6e45";

    #[test]
    fn a_well_formed_header_is_parsed() {
        let auth = parse_authorization(&format!(
            "Credential=AK1,SignedHeaders=host;X-Acs-Date,Signature={SIG}"
        ))
        .expect("parses");
        assert_eq!(auth.access_key_id, "AK1");
        assert_eq!(auth.signed_headers, ["host", "x-acs-date"]);
        assert_eq!(hex::encode(auth.signature), SIG);
    }

    #[test]
    fn malformed_headers_are_incomplete_signatures() {
        for rest in [
            String::new(),
            format!("Credential=,SignedHeaders=host,Signature={SIG}"),
            format!("SignedHeaders=host,Signature={SIG}"),
            format!("Credential=A,Signature={SIG}"),
            "Credential=A,SignedHeaders=host,Signature=abc".to_owned(),
            "Credential=A,SignedHeaders=host,Signature=zz".to_owned(),
            format!("Credential=A,SignedHeaders=host,Signature={SIG},Signature={SIG}"),
            format!("Credential=A,SignedHeaders=ho st,Signature={SIG}"),
            format!("Credential=A,SignedHeaders=host;;x,Signature={SIG}"),
            format!("Credential=A,Other=1,SignedHeaders=host,Signature={SIG}"),
            format!("Credential=A,SignedHeaders,Signature={SIG}"),
        ] {
            let Err(error) = parse_authorization(&rest) else {
                panic!("{rest} was accepted");
            };
            assert_eq!(error.code(), "IncompleteSignature", "{rest}");
        }
    }

    #[test]
    fn the_canonical_query_encodes_and_sorts() {
        let query = canonical_query([("b", "x y*"), ("a", ""), ("S", "速")]);
        assert_eq!(query, "S=%E9%80%9F&a=&b=x%20y%2A");
    }

    #[test]
    fn the_canonical_request_has_alibabas_layout() {
        let headers = [
            ("host".to_owned(), "h".to_owned()),
            ("x-acs-date".to_owned(), "d".to_owned()),
        ];
        assert_eq!(
            canonical_request("POST", "/", "a=1", &headers, "e3"),
            "POST\n/\na=1\nhost:h\nx-acs-date:d\n\nhost;x-acs-date\ne3"
        );
    }

    #[test]
    fn the_empty_payload_hash_is_the_sdks() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
