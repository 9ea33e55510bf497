//! Country codes, phone numbers, and which network issued a mainland number.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use crate::InvalidParam;

/// The network that issued a number, known from its segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Carrier {
    ChinaMobile,
    ChinaUnicom,
    ChinaTelecom,
    ChinaBroadnet,
    /// A virtual operator's segment (162/165/167/170/171): carries higher risk.
    Virtual,
}

impl Carrier {
    fn from_tag(tag: &str) -> Option<Self> {
        Some(match tag {
            "cm" => Self::ChinaMobile,
            "cu" => Self::ChinaUnicom,
            "ct" => Self::ChinaTelecom,
            "cbn" => Self::ChinaBroadnet,
            "mvno" => Self::Virtual,
            _ => return None,
        })
    }
}

/// The segment table, parsed once from the data file beside this module.
fn segments() -> &'static HashMap<&'static str, Carrier> {
    static TABLE: OnceLock<HashMap<&'static str, Carrier>> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("segments.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let (prefix, tag) = l.split_once(' ')?;
                Some((prefix, Carrier::from_tag(tag.trim())?))
            })
            .collect()
    })
}

/// An international calling code without the `+`: 1 to 3 digits, no leading zero.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CountryCode(String);

impl CountryCode {
    pub const MAINLAND: &'static str = "86";

    pub fn parse(s: &str) -> Result<Self, InvalidParam> {
        let s = s.trim().trim_start_matches('+');
        let s = if s.is_empty() { Self::MAINLAND } else { s };
        if s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) || s.starts_with('0') {
            return Err(InvalidParam::new(
                "CountryCode",
                "must be 1 to 3 digits, such as 86",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn mainland() -> Self {
        Self(Self::MAINLAND.to_owned())
    }

    pub fn is_mainland(&self) -> bool {
        self.0 == Self::MAINLAND
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A subscriber number within its country: for mainland China 11 digits in a
/// known segment; elsewhere 4 to 14 digits (E.164 allows 15 with the country code).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    country: CountryCode,
    national: String,
}

impl PhoneNumber {
    pub fn parse(country: &CountryCode, number: &str) -> Result<Self, InvalidParam> {
        let mut n = number.trim();
        // Callers sometimes include the country code; accept it when it matches.
        if let Some(rest) = n.strip_prefix('+') {
            n = rest.strip_prefix(country.as_str()).ok_or_else(|| {
                InvalidParam::new(
                    "PhoneNumber",
                    "the country code in the number differs from CountryCode",
                )
            })?;
        }
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidParam::new("PhoneNumber", "must be digits only"));
        }
        if country.is_mainland() {
            if n.len() == 13 && n.starts_with("86") {
                n = &n[2..];
            }
            if n.len() != 11 || !n.starts_with('1') {
                return Err(InvalidParam::new(
                    "PhoneNumber",
                    "a mainland China mobile number has 11 digits and starts with 1",
                ));
            }
            if !segments().contains_key(&n[..3]) {
                return Err(InvalidParam::new(
                    "PhoneNumber",
                    "the number is not in a mainland China mobile segment",
                ));
            }
        } else if n.len() < 4 || n.len() + country.as_str().len() > 15 {
            return Err(InvalidParam::new(
                "PhoneNumber",
                "must have 4 to 14 digits, at most 15 with the country code",
            ));
        }
        Ok(Self {
            country: country.clone(),
            national: n.to_owned(),
        })
    }

    pub fn country(&self) -> &CountryCode {
        &self.country
    }

    /// The number without its country code, as the caller sent it.
    pub fn national(&self) -> &str {
        &self.national
    }

    /// The number with its country code, digits only (E.164 without the `+`).
    pub fn e164_digits(&self) -> String {
        format!("{}{}", self.country, self.national)
    }

    /// The issuing network of a mainland number; `None` outside mainland China.
    pub fn carrier(&self) -> Option<Carrier> {
        if !self.country.is_mainland() {
            return None;
        }
        segments().get(&self.national[..3]).copied()
    }

    /// The number with its middle digits hidden, as shown to users: `138****0000`.
    pub fn masked(&self) -> String {
        let n = &self.national;
        if n.len() >= 8 {
            format!("{}****{}", &n[..3], &n[n.len() - 4..])
        } else {
            "*".repeat(n.len())
        }
    }
}

/// Debug shows only the masked form: numbers are personal data and end up in logs.
impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber(+{} {})", self.country, self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cn(n: &str) -> Result<PhoneNumber, InvalidParam> {
        PhoneNumber::parse(&CountryCode::mainland(), n)
    }

    #[test]
    fn mainland_numbers_need_eleven_digits_in_a_known_segment() {
        assert_eq!(
            cn("13800138000").unwrap().carrier(),
            Some(Carrier::ChinaMobile)
        );
        assert_eq!(
            cn("13012345678").unwrap().carrier(),
            Some(Carrier::ChinaUnicom)
        );
        assert_eq!(
            cn("18912345678").unwrap().carrier(),
            Some(Carrier::ChinaTelecom)
        );
        assert_eq!(cn("17012345678").unwrap().carrier(), Some(Carrier::Virtual));
        assert!(cn("1380013800").is_err(), "10 digits");
        assert!(cn("138001380001").is_err(), "12 digits");
        assert!(cn("12000000000").is_err(), "no such segment");
        assert!(cn("23800138000").is_err(), "does not start with 1");
        assert!(cn("1380013800a").is_err());
        assert!(cn("").is_err());
        assert!(cn("１３８00138000").is_err(), "full-width digits");
    }

    #[test]
    fn a_matching_country_prefix_is_accepted_and_stripped() {
        assert_eq!(cn("+8613800138000").unwrap().national(), "13800138000");
        assert_eq!(cn("8613800138000").unwrap().national(), "13800138000");
        assert!(cn("+4413800138000").is_err());
    }

    #[test]
    fn country_codes_are_one_to_three_digits() {
        assert_eq!(CountryCode::parse("").unwrap().as_str(), "86");
        assert_eq!(CountryCode::parse("+44").unwrap().as_str(), "44");
        assert!(CountryCode::parse("0044").is_err());
        assert!(CountryCode::parse("8a").is_err());
        assert!(CountryCode::parse("1234").is_err());
    }

    #[test]
    fn other_countries_take_four_to_fourteen_digits() {
        let uk = CountryCode::parse("44").unwrap();
        assert!(PhoneNumber::parse(&uk, "7700900123").is_ok());
        assert!(PhoneNumber::parse(&uk, "123").is_err());
        assert!(PhoneNumber::parse(&uk, "1234567890123456").is_err());
    }

    #[test]
    fn debug_output_masks_the_number() {
        let s = format!("{:?}", cn("13800138000").unwrap());
        assert!(!s.contains("13800138000"), "{s}");
        assert!(s.contains("138****8000"), "{s}");
    }
}
