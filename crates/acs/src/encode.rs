//! Percent-encoding exactly as Alibaba Cloud signs it (RFC 3986, `%20`, `%2A`, `~` kept).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but the RFC 3986 unreserved characters `A-Z a-z 0-9 - _ . ~`.
const ALIBABA: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes `s` as Alibaba's signers do: unreserved characters stay,
/// everything else (UTF-8 bytes) becomes `%XX` with upper-case hex, so a space is
/// `%20`, `*` is `%2A` and `~` is left alone.
pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, ALIBABA).to_string()
}

/// Encodes for a URL query the way the Python SDK does (`urlencode`): as
/// [`percent_encode`] but a space becomes `+`.
pub(crate) fn form_encode(s: &str) -> String {
    percent_encode(s).replace("%20", "+")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_characters_are_kept() {
        assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
    }

    #[test]
    fn space_star_and_plus_are_encoded_like_alibaba() {
        assert_eq!(percent_encode("a b*c+d"), "a%20b%2Ac%2Bd");
    }

    #[test]
    fn reserved_characters_use_upper_case_hex() {
        assert_eq!(percent_encode("/:=&%?#"), "%2F%3A%3D%26%25%3F%23");
    }

    #[test]
    fn chinese_text_is_encoded_as_utf8_bytes() {
        assert_eq!(percent_encode("速通"), "%E9%80%9F%E9%80%9A");
    }

    #[test]
    fn form_encoding_turns_spaces_into_plus() {
        assert_eq!(form_encode("order 42*"), "order+42%2A");
    }
}
