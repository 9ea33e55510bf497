//! Small validated identifiers of the Open API.

use crate::InvalidParam;

/// Checks a free-text identifier: at most `max` characters, no control characters.
pub fn bounded_text(param: &'static str, value: &str, max: usize) -> Result<String, InvalidParam> {
    if value.chars().count() > max {
        return Err(InvalidParam::new(
            param,
            format!("must be at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(InvalidParam::new(
            param,
            "must not contain control characters",
        ));
    }
    Ok(value.to_owned())
}

/// `SchemeName`: at most 20 characters; empty means the tenant's default scheme.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemeName(String);

impl SchemeName {
    pub const DEFAULT: &'static str = "default";

    pub fn parse(s: &str) -> Result<Self, InvalidParam> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(Self(Self::DEFAULT.to_owned()));
        }
        Ok(Self(bounded_text("SchemeName", s, 20)?))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `OutId`: the caller's own reference, echoed back; at most 64 characters.
pub fn out_id(s: &str) -> Result<Option<String>, InvalidParam> {
    if s.is_empty() {
        return Ok(None);
    }
    bounded_text("OutId", s, 64).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_names_default_and_are_bounded() {
        assert_eq!(SchemeName::parse("").unwrap().as_str(), "default");
        assert_eq!(SchemeName::parse("login").unwrap().as_str(), "login");
        assert!(SchemeName::parse("x".repeat(21).as_str()).is_err());
        assert!(SchemeName::parse("a\u{0}b").is_err());
        assert!(out_id(&"y".repeat(65)).is_err());
        assert_eq!(out_id("").unwrap(), None);
    }
}
