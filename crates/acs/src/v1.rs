//! RPC HMAC-SHA1 (signature version 1.0): the string to sign and the signature.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::percent_encode;

/// The only `SignatureMethod` accepted.
pub const SIGNATURE_METHOD: &str = "HMAC-SHA1";
/// The only `SignatureVersion` accepted.
pub const SIGNATURE_VERSION: &str = "1.0";

/// `METHOD&%2F&` + enc(sorted `enc(k)=enc(v)` joined by `&`); pass every
/// parameter except `Signature`.
pub(crate) fn string_to_sign<'a>(
    method: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let mut encoded: Vec<(String, String)> = params
        .into_iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    encoded.sort();
    let canonical = encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!("{method}&%2F&{}", percent_encode(&canonical))
}

/// Base64(HMAC-SHA1(secret + "&", string to sign)).
pub(crate) fn signature(secret: &str, string_to_sign: &str) -> String {
    let key = format!("{secret}&");
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_to_sign_sorts_and_encodes_twice() {
        let sts = string_to_sign("GET", [("b", "x y"), ("a", "1")]);
        assert_eq!(sts, "GET&%2F&a%3D1%26b%3Dx%2520y");
    }

    #[test]
    fn the_signature_matches_alibabas_documented_example() {
        // The example of Alibaba's RPC signature documentation (DescribeRegions,
        // secret "testsecret").
        let sts = "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26";
        assert_eq!(signature("testsecret", sts), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    }
}
