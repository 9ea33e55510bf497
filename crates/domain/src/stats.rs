//! What a verification attempt counts as: its method, its outcome (success, fail,
//! unknown) by Alibaba's meaning, its OS type, and the calendar day it falls on.
//!
//! The one place that says what success, fail and unknown mean per method:
//!
//! | method | success | fail | unknown |
//! | --- | --- | --- | --- |
//! | one-click (`GetMobile`, H5 `GetPhoneWithToken`) | a number was returned | the carrier refused or erred | — |
//! | number check (`VerifyMobile`, H5 `VerifyPhoneWithToken`) | the carrier answered `PASS` or `REJECT` | the carrier refused the token or erred | the carrier could not answer (`UNKNOWN`) |
//! | SMS (`SendSmsVerifyCode`, client SDK sends) | the message was delivered | its delivery failed | no final receipt (yet) |
//! | Fusion-Auth (a scene, `VerifyWithFusionAuthToken`) | the scene passed | refused or failed | — |
//!
//! A number check that answers `REJECT` is a success: the carrier did the work
//! and answered (and Alibaba bills it). Attempts refused before they reach a
//! scheme (a token that does not open, a bad signature) are not counted: they
//! have no scheme to count under.

use std::fmt;

/// The verification method an attempt used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    OneClick,
    NumberCheck,
    Sms,
    Fusion,
}

impl Method {
    pub const ALL: [Method; 4] = [
        Method::OneClick,
        Method::NumberCheck,
        Method::Sms,
        Method::Fusion,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::OneClick => "one_click",
            Method::NumberCheck => "number_check",
            Method::Sms => "sms",
            Method::Fusion => "fusion",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an attempt ended, for statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Success,
    Fail,
    Unknown,
}

impl Outcome {
    /// One-click: whether a number was returned.
    pub fn one_click(number_returned: bool) -> Outcome {
        if number_returned {
            Outcome::Success
        } else {
            Outcome::Fail
        }
    }

    /// Number check: the carrier's answer (`Some(pass)` for PASS/REJECT, `None`
    /// when it could not answer), or `Err` when it refused or failed.
    pub fn number_check<E>(answer: &Result<Option<bool>, E>) -> Outcome {
        match answer {
            Ok(Some(_)) => Outcome::Success,
            Ok(None) => Outcome::Unknown,
            Err(_) => Outcome::Fail,
        }
    }

    /// SMS: the final status of the message, `None` while there is none.
    pub fn sms(delivered: Option<bool>) -> Outcome {
        match delivered {
            Some(true) => Outcome::Success,
            Some(false) => Outcome::Fail,
            None => Outcome::Unknown,
        }
    }

    /// Fusion-Auth: whether the scene passed.
    pub fn fusion(passed: bool) -> Outcome {
        if passed {
            Outcome::Success
        } else {
            Outcome::Fail
        }
    }

    /// Whether the attempt is billed (Alibaba bills only successes).
    pub fn billable(self) -> bool {
        self == Outcome::Success
    }
}

/// The OS type attempts are counted under: the scheme's, when it is one of these.
pub const OS_TYPES: [&str; 4] = ["Android", "iOS", "HarmonyOS", "Web"];
/// When the OS is not known (SMS, a scheme without one).
pub const OS_UNKNOWN: &str = "unknown";

/// The OS type of a scheme's `OsType` (case-insensitive), else [`OS_UNKNOWN`].
pub fn os_type(scheme_os: Option<&str>) -> &'static str {
    scheme_os
        .and_then(|s| {
            OS_TYPES
                .into_iter()
                .find(|o| o.eq_ignore_ascii_case(s.trim()))
        })
        .unwrap_or(OS_UNKNOWN)
}

const DAY_MS: i64 = 86_400_000;

/// A calendar day, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i64);

impl Day {
    /// The day that `millis` falls on in the calendar `utc_offset_ms` east of UTC.
    pub fn of(millis: i64, utc_offset_ms: i64) -> Day {
        Day((millis + utc_offset_ms).div_euclid(DAY_MS))
    }

    pub fn from_days(days: i64) -> Day {
        Day(days)
    }

    pub fn days(self) -> i64 {
        self.0
    }

    /// The day `n` days later (earlier when negative).
    pub fn plus(self, n: i64) -> Day {
        Day(self.0 + n)
    }

    /// `yyyyMMdd` (the Open API's form), a real date.
    pub fn parse_compact(s: &str) -> Option<Day> {
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let y: i64 = s[0..4].parse().ok()?;
        let m: u32 = s[4..6].parse().ok()?;
        let d: u32 = s[6..8].parse().ok()?;
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) || y < 1970 {
            return None;
        }
        Some(Day(days_from_civil(y, m, d)))
    }

    /// `(year, month, day)`.
    pub fn civil(self) -> (i64, u32, u32) {
        civil_from_days(self.0)
    }

    /// `YYYY-MM-DD`: the stored form (sorts as the days do).
    pub fn iso(self) -> String {
        let (y, m, d) = self.civil();
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// `yyyyMMdd`.
    pub fn compact(self) -> String {
        let (y, m, d) = self.civil();
        format!("{y:04}{m:02}{d:02}")
    }

    /// `YYYY-MM`: the month billing counts it in.
    pub fn month(self) -> String {
        let (y, m, _) = self.civil();
        format!("{y:04}-{m:02}")
    }

    /// The stored form back to a day.
    pub fn parse_iso(s: &str) -> Option<Day> {
        let b = s.as_bytes();
        if s.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        Day::parse_compact(&format!("{}{}{}", &s[0..4], &s[5..7], &s[8..10]))
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in month `m` of year `y`.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

// Howard Hinnant's civil calendar algorithms (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_follow_the_configured_calendar() {
        // 2026-03-01T20:00:00Z
        let t = 1_772_395_200_000;
        assert_eq!(Day::of(t, 0).iso(), "2026-03-01");
        assert_eq!(Day::of(t, 8 * 3_600_000).iso(), "2026-03-02");
        assert_eq!(Day::of(0, -3_600_000).iso(), "1969-12-31");
    }

    #[test]
    fn compact_dates_parse_only_when_real() {
        let d = Day::parse_compact("20240229").unwrap();
        assert_eq!(d.iso(), "2024-02-29");
        assert_eq!(d.compact(), "20240229");
        assert_eq!(d.plus(1).iso(), "2024-03-01");
        assert_eq!(d.month(), "2024-02");
        for bad in [
            "20230229",
            "20241301",
            "2024011",
            "2024-01-01",
            "20240100",
            "abcdefgh",
        ] {
            assert_eq!(Day::parse_compact(bad), None, "{bad}");
        }
        assert_eq!(Day::parse_iso("2024-02-29"), Some(d));
        for z in [-1000, 0, 1, 19_000, 20_000, 100_000] {
            let d = Day::from_days(z);
            let (y, m, dd) = d.civil();
            assert_eq!(days_from_civil(y, m, dd), z);
        }
    }

    #[test]
    fn outcomes_follow_alibabas_meaning() {
        assert_eq!(Outcome::one_click(true), Outcome::Success);
        assert_eq!(Outcome::one_click(false), Outcome::Fail);
        assert_eq!(
            Outcome::number_check::<()>(&Ok(Some(false))),
            Outcome::Success
        );
        assert_eq!(Outcome::number_check::<()>(&Ok(None)), Outcome::Unknown);
        assert_eq!(Outcome::number_check(&Err(())), Outcome::Fail);
        assert_eq!(Outcome::sms(None), Outcome::Unknown);
        assert_eq!(Outcome::sms(Some(false)), Outcome::Fail);
        assert_eq!(Outcome::fusion(true), Outcome::Success);
        assert!(Outcome::Success.billable() && !Outcome::Unknown.billable());
        assert_eq!(os_type(Some("ios")), "iOS");
        assert_eq!(os_type(Some("Symbian")), OS_UNKNOWN);
        assert_eq!(Method::parse("sms"), Some(Method::Sms));
    }
}
