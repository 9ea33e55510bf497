//! Decoding of query strings and form bodies into parameters, with size limits.

use std::collections::BTreeMap;

use percent_encoding::percent_decode;

use crate::AcsError;

/// Longest accepted parameter name, in bytes.
pub const MAX_NAME_BYTES: usize = 128;
/// Longest accepted parameter value, in bytes (after decoding).
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Most parameters accepted in one request (query and body together).
pub const MAX_PARAMS: usize = 200;

/// Decodes an `application/x-www-form-urlencoded` string (a query string or a form
/// body): `+` is a space, `%XX` a byte, and the result must be UTF-8. Empty pairs
/// (`a=1&&b=2`) are skipped and a name without `=` has the empty value.
pub(crate) fn decode_form(raw: &[u8]) -> Result<Vec<(String, String)>, AcsError> {
    let mut pairs = Vec::new();
    for pair in raw.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        if pairs.len() >= MAX_PARAMS {
            return Err(too_many());
        }
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (
                pair.get(..at).unwrap_or_default(),
                pair.get(at + 1..).unwrap_or_default(),
            ),
            None => (pair, &[][..]),
        };
        let name = decode_component(name, "(name)")?;
        if name.is_empty() {
            return Err(AcsError::invalid("(name)", "a parameter has an empty name"));
        }
        if name.len() > MAX_NAME_BYTES {
            return Err(AcsError::invalid(
                "(name)",
                "a parameter name is longer than 128 bytes",
            ));
        }
        let value = decode_component(value, &name)?;
        if value.len() > MAX_VALUE_BYTES {
            return Err(AcsError::invalid(&name, "the value is longer than 64 KiB"));
        }
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// Merges parameter lists into one map; a name given twice, in any of them, is an
/// error naming it (which of two values to trust is not a question to answer).
pub(crate) fn merge_unique(
    lists: &[&[(String, String)]],
) -> Result<BTreeMap<String, String>, AcsError> {
    let mut map = BTreeMap::new();
    for (name, value) in lists.iter().flat_map(|list| list.iter()) {
        if map.len() >= MAX_PARAMS {
            return Err(too_many());
        }
        if map.insert(name.clone(), value.clone()).is_some() {
            return Err(AcsError::invalid(
                name,
                "the parameter is given more than once",
            ));
        }
    }
    Ok(map)
}

fn decode_component(raw: &[u8], name_for_error: &str) -> Result<String, AcsError> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let bytes: Vec<u8> = percent_decode(&plus_as_space).collect();
    String::from_utf8(bytes)
        .map_err(|_| AcsError::invalid(name_for_error, "the text is not valid UTF-8"))
}

fn too_many() -> AcsError {
    AcsError::invalid("(request)", "more than 200 parameters")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &str) -> Vec<(String, String)> {
        decode_form(s.as_bytes()).expect("decodes")
    }

    fn pair(name: &str, value: &str) -> (String, String) {
        (name.to_owned(), value.to_owned())
    }

    #[test]
    fn plus_and_percent_twenty_are_both_spaces() {
        assert_eq!(decode("a=x+y%20z%2B"), vec![pair("a", "x y z+")]);
    }

    #[test]
    fn empty_pairs_are_skipped_and_bare_names_have_empty_values() {
        assert_eq!(decode("&a&&b=&"), vec![pair("a", ""), pair("b", "")]);
    }

    #[test]
    fn chinese_text_is_decoded_from_utf8() {
        assert_eq!(decode("s=%E9%80%9F%E9%80%9A"), vec![pair("s", "速通")]);
    }

    #[test]
    fn invalid_utf8_is_an_invalid_parameter_naming_it() {
        let error = decode_form(b"Sign=%FF").unwrap_err();
        assert_eq!(error.code(), "InvalidParameter");
        assert!(error.message().contains("Sign"));
    }

    #[test]
    fn an_empty_name_is_refused() {
        assert!(decode_form(b"=1").is_err());
    }

    #[test]
    fn names_over_128_bytes_are_refused() {
        assert!(decode_form(format!("{}=1", "a".repeat(128)).as_bytes()).is_ok());
        assert!(decode_form(format!("{}=1", "a".repeat(129)).as_bytes()).is_err());
    }

    #[test]
    fn values_over_64_kib_are_refused() {
        assert!(decode_form(format!("a={}", "b".repeat(64 * 1024)).as_bytes()).is_ok());
        assert!(decode_form(format!("a={}", "b".repeat(64 * 1024 + 1)).as_bytes()).is_err());
    }

    #[test]
    fn more_than_200_parameters_are_refused() {
        let query = |n: usize| {
            (0..n)
                .map(|i| format!("p{i}=1"))
                .collect::<Vec<_>>()
                .join("&")
        };
        assert!(decode_form(query(200).as_bytes()).is_ok());
        assert!(decode_form(query(201).as_bytes()).is_err());
        let (a, b) = (decode(&query(150)), decode(&query(150).replace('p', "q")));
        assert!(merge_unique(&[&a, &b]).is_err());
    }

    #[test]
    fn a_name_given_twice_is_refused_even_across_query_and_body() {
        let query = decode("A=1&B=2");
        let body = decode("C=3&A=1");
        let error = merge_unique(&[&query, &body]).unwrap_err();
        assert_eq!(error.code(), "InvalidParameter");
        assert!(error.message().contains("\"A\""));
        assert!(merge_unique(&[&decode("A=1&A=1")]).is_err());
    }
}
