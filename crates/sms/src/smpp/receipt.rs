//! The pure parts of SMPP: delivery receipt texts, their dates, and what a
//! `command_status` means for a retry.

use crate::sender::{Millis, SendError};

/// `esm_class` bits 2-5 say what a deliver_sm carries; `0x04` is an SMSC
/// delivery receipt.
pub fn is_delivery_receipt(esm_class: u8) -> bool {
    esm_class & 0x3C == 0x04
}

/// `esm_class` UDHI: `short_message` starts with a User Data Header.
pub const ESM_UDHI: u8 = 0x40;

/// The fields of a receipt text (SMPP 3.4 appendix B), as far as present:
/// `id:IIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiptText {
    pub id: Option<String>,
    pub stat: Option<String>,
    pub err: Option<String>,
    pub done_date: Option<String>,
}

/// Parses a receipt text. Keys are matched case-insensitively; `text:` and
/// everything after it is ignored (it is the message's start: never kept).
pub fn parse_receipt_text(text: &str) -> ReceiptText {
    // Cut the text at `text:` first: the message may contain anything.
    let lower = text.to_ascii_lowercase();
    let head = match lower.find("text:") {
        Some(i) => &text[..i],
        None => text,
    };
    let lower_head = &lower[..head.len()];
    let value_of = |key: &str| -> Option<String> {
        let mut from = 0;
        while let Some(pos) = lower_head[from..].find(key) {
            let at = from + pos;
            // A key starts the text or follows a space ("date:" must not match
            // inside "submit date:" when asking for "done date:").
            if at == 0 || lower_head.as_bytes()[at - 1] == b' ' {
                let rest = &head[at + key.len()..];
                let value = rest.split_whitespace().next().unwrap_or("");
                // "submit date:" / "done date:" values never contain spaces;
                // a key directly followed by another key is an empty value.
                if value.is_empty() || value.contains(':') {
                    return None;
                }
                return Some(value.to_owned());
            }
            from = at + key.len();
        }
        None
    };
    ReceiptText {
        id: value_of("id:"),
        stat: value_of("stat:"),
        err: value_of("err:"),
        done_date: value_of("done date:"),
    }
}

/// What a receipt's `stat` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptState {
    Delivered,
    Failed,
    /// Not final (ENROUTE, ACCEPTD): acknowledged and not reported.
    Pending,
}

/// Maps a receipt's `stat` (7 letters, sometimes shortened) to its meaning;
/// `None` for a state this code does not know.
pub fn receipt_state(stat: &str) -> Option<ReceiptState> {
    match stat.to_ascii_uppercase().as_str() {
        "DELIVRD" | "DELIVERED" => Some(ReceiptState::Delivered),
        "UNDELIV" | "UNDELIVERABLE" | "EXPIRED" | "REJECTD" | "REJECTED" | "DELETED"
        | "UNKNOWN" => Some(ReceiptState::Failed),
        "ENROUTE" | "ACCEPTD" | "ACCEPTED" => Some(ReceiptState::Pending),
        _ => None,
    }
}

/// Parses `YYMMDDhhmm` or `YYMMDDhhmmss` (UTC, years 2000-2099) into Unix
/// milliseconds; `None` when it is not a valid date.
pub fn parse_done_date(s: &str) -> Option<Millis> {
    if !(s.len() == 10 || s.len() == 12) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |i: usize| -> i64 { s[i..i + 2].parse().unwrap_or(-1) };
    let (year, month, day, hour, minute) = (2000 + n(0), n(2), n(4), n(6), n(8));
    let second = if s.len() == 12 { n(10) } else { 0 };
    if !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days_in_month = match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 => 29,
        2 => 28,
        _ => 31,
    };
    if !(1..=days_in_month).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// ESME_RTHROTTLED: the account's throughput is exceeded.
pub const STATUS_THROTTLED: u32 = 0x58;
/// ESME_RMSGQFUL: the SMSC's queue is full.
pub const STATUS_QUEUE_FULL: u32 = 0x14;
/// ESME_RSYSERR: the SMSC failed.
pub const STATUS_SYSTEM_ERROR: u32 = 0x08;
/// ESME_RX_T_APPN: a temporary application error; the SMSC sends again.
pub const STATUS_TEMPORARY_APP_ERROR: u32 = 0x64;

/// What a submit_sm_resp's non-zero `command_status` means for the message:
/// worth retrying (throttled, queue full, system error) or refused for good.
pub fn submit_error(status: u32) -> SendError {
    match status {
        STATUS_THROTTLED | STATUS_QUEUE_FULL | STATUS_SYSTEM_ERROR => {
            SendError::Temporary(format!("SMSC answered {status:#010X}"))
        }
        _ => SendError::Permanent {
            err_code: format!("SMPP:{status:#010X}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_standard_receipt_text_is_parsed() {
        let r = parse_receipt_text(
            "id:1A2B3C sub:001 dlvrd:001 submit date:2611281530 done date:2611281531 stat:DELIVRD err:000 text:Your code is 1",
        );
        assert_eq!(r.id.as_deref(), Some("1A2B3C"));
        assert_eq!(r.stat.as_deref(), Some("DELIVRD"));
        assert_eq!(r.err.as_deref(), Some("000"));
        assert_eq!(r.done_date.as_deref(), Some("2611281531"));
    }

    #[test]
    fn receipt_keys_are_case_insensitive_and_the_text_is_ignored() {
        let r = parse_receipt_text(
            "ID:77 SUB:001 DLVRD:000 SUBMIT DATE:2611281530 DONE DATE:261128153145 STAT:UNDELIV ERR:001 TEXT:stat:DELIVRD id:99",
        );
        assert_eq!(r.id.as_deref(), Some("77"));
        assert_eq!(r.stat.as_deref(), Some("UNDELIV"));
        assert_eq!(r.err.as_deref(), Some("001"));
        assert_eq!(r.done_date.as_deref(), Some("261128153145"));
    }

    #[test]
    fn a_short_or_broken_receipt_text_gives_what_it_has() {
        let r = parse_receipt_text("id:abc stat:EXPIRED");
        assert_eq!(r.id.as_deref(), Some("abc"));
        assert_eq!(r.stat.as_deref(), Some("EXPIRED"));
        assert_eq!(r.err, None);
        assert_eq!(r.done_date, None);
        assert_eq!(parse_receipt_text("hello"), ReceiptText::default());
        assert_eq!(parse_receipt_text("id: stat:DELIVRD").id, None);
        // "submit date" is not "done date".
        assert_eq!(
            parse_receipt_text("id:1 submit date:2611281530").done_date,
            None
        );
    }

    #[test]
    fn receipt_states_map_to_delivered_failed_or_pending() {
        assert_eq!(receipt_state("DELIVRD"), Some(ReceiptState::Delivered));
        for s in [
            "UNDELIV", "EXPIRED", "REJECTD", "DELETED", "UNKNOWN", "undeliv",
        ] {
            assert_eq!(receipt_state(s), Some(ReceiptState::Failed), "{s}");
        }
        assert_eq!(receipt_state("ENROUTE"), Some(ReceiptState::Pending));
        assert_eq!(receipt_state("ACCEPTD"), Some(ReceiptState::Pending));
        assert_eq!(receipt_state("WHATEVER"), None);
    }

    #[test]
    fn done_dates_with_and_without_seconds() {
        // 2026-11-28 15:31:00 UTC
        assert_eq!(parse_done_date("2611281531"), Some(1_795_879_860_000));
        assert_eq!(parse_done_date("261128153145"), Some(1_795_879_905_000));
        assert_eq!(parse_done_date("0001010000"), Some(946_684_800_000));
        assert!(parse_done_date("2402290000").is_some());
        for bad in [
            "2302290000",
            "2613011200",
            "2611322400",
            "26112815",
            "26112815311",
            "26112815x1",
            "",
        ] {
            assert_eq!(parse_done_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn status_mapping_retries_only_what_may_pass_later() {
        for s in [0x58, 0x14, 0x08] {
            assert!(matches!(submit_error(s), SendError::Temporary(_)), "{s:#x}");
        }
        match submit_error(0x0B) {
            SendError::Permanent { err_code } => assert_eq!(err_code, "SMPP:0x0000000B"),
            e => panic!("{e:?}"),
        }
        match submit_error(0x45) {
            SendError::Permanent { err_code } => assert_eq!(err_code, "SMPP:0x00000045"),
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn receipt_esm_class_is_bits_2_to_5() {
        assert!(is_delivery_receipt(0x04));
        assert!(is_delivery_receipt(0x44));
        assert!(!is_delivery_receipt(0x00));
        assert!(!is_delivery_receipt(0x40));
        assert!(!is_delivery_receipt(0x08));
        assert!(!is_delivery_receipt(0x24));
    }
}
