//! Typed access to an action's parameters: a value of the wrong type is
//! `InvalidParameter`, a missing required one `Missing<Name>`.

use std::collections::BTreeMap;

use crate::error::ApiError;

pub struct Params(BTreeMap<String, String>);

impl Params {
    pub fn new(map: BTreeMap<String, String>) -> Self {
        Self(map)
    }

    /// The value, or `None` when absent or empty (the SDKs send empty for unset).
    pub fn opt(&self, name: &'static str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<&str, ApiError> {
        self.opt(name).ok_or_else(|| ApiError::missing(name))
    }

    pub fn int(&self, name: &'static str) -> Result<Option<i64>, ApiError> {
        self.opt(name)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| ApiError::malformed(name, "must be an integer"))
            })
            .transpose()
    }

    pub fn required_int(&self, name: &'static str) -> Result<i64, ApiError> {
        self.int(name)?.ok_or_else(|| ApiError::missing(name))
    }

    pub fn bool(&self, name: &'static str) -> Result<Option<bool>, ApiError> {
        self.opt(name)
            .map(|v| match v.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(ApiError::malformed(name, "must be true or false")),
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        Params::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn typed_parameters_refuse_the_wrong_type() {
        let ps = p(&[
            ("A", "12"),
            ("B", "x1"),
            ("C", "true"),
            ("D", "yes"),
            ("E", ""),
        ]);
        assert_eq!(ps.int("A").unwrap(), Some(12));
        let code = |r: Result<_, ApiError>| match r {
            Err(ApiError::Gateway(e)) => e.code().to_string(),
            _ => "none".into(),
        };
        assert_eq!(code(ps.int("B").map(|_| ())), "InvalidParameter");
        assert_eq!(ps.bool("C").unwrap(), Some(true));
        assert!(ps.bool("D").is_err());
        assert_eq!(ps.int("E").unwrap(), None);
        assert_eq!(code(ps.required("E").map(|_| ())), "MissingE");
        assert_eq!(code(ps.required_int("Z").map(|_| ())), "MissingZ");
    }
}
