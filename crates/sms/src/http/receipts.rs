//! The body of an HTTP provider's receipt callback
//! (`POST /sms/v1/providers/{name}/receipts`): a JSON array of
//! `{"id", "status": "delivered"|"failed", "err_code"?, "done_at"?}`.

use serde::Deserialize;

use crate::sender::{Millis, Receipt};

/// More receipts than this in one callback are refused: the provider should
/// split them (and the body stays small).
pub const MAX_RECEIPTS_PER_CALLBACK: usize = 1000;

/// Longest provider message id accepted.
const MAX_ID_LEN: usize = 64;
/// Longest error code kept; longer ones are cut.
const MAX_ERR_CODE_LEN: usize = 32;

/// Why a receipt callback body was refused (nothing of it was recorded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("receipts body is not a JSON array of receipts: {0}")]
    Invalid(String),
    #[error("receipts body has {0} receipts; at most {MAX_RECEIPTS_PER_CALLBACK} per callback")]
    TooMany(usize),
    #[error("receipt {index}: {reason}")]
    BadReceipt { index: usize, reason: &'static str },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireReceipt {
    id: String,
    status: WireStatus,
    #[serde(default)]
    err_code: Option<String>,
    #[serde(default)]
    done_at: Option<Millis>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum WireStatus {
    Delivered,
    Failed,
}

/// Parses a receipt callback body of the provider named `provider_name`.
///
/// A `failed` receipt without an `err_code` gets `FAILED`; a `delivered` one
/// keeps none. Error codes are reduced to `[A-Za-z0-9_.:-]`, at most 32
/// characters. Any malformed receipt refuses the whole body, so that the
/// provider sees the error and fixes it rather than losing receipts silently.
pub fn parse_receipts(provider_name: &str, body: &[u8]) -> Result<Vec<Receipt>, ReceiptError> {
    let wire: Vec<WireReceipt> =
        serde_json::from_slice(body).map_err(|e| ReceiptError::Invalid(e.to_string()))?;
    if wire.len() > MAX_RECEIPTS_PER_CALLBACK {
        return Err(ReceiptError::TooMany(wire.len()));
    }
    wire.into_iter()
        .enumerate()
        .map(|(index, r)| {
            let bad = |reason| ReceiptError::BadReceipt { index, reason };
            let id = r.id.trim();
            if id.is_empty() {
                return Err(bad("empty id"));
            }
            if id.len() > MAX_ID_LEN || id.chars().any(|c| c.is_control()) {
                return Err(bad("id too long or with control characters"));
            }
            if matches!(r.done_at, Some(t) if t < 0) {
                return Err(bad("done_at is negative"));
            }
            let delivered = r.status == WireStatus::Delivered;
            let err_code = if delivered {
                None
            } else {
                Some(
                    r.err_code
                        .as_deref()
                        .map(sanitise_code)
                        .filter(|c| !c.is_empty())
                        .unwrap_or_else(|| "FAILED".to_owned()),
                )
            };
            Ok(Receipt {
                provider: provider_name.to_owned(),
                provider_message_id: id.to_owned(),
                delivered,
                err_code,
                done_at: r.done_at,
            })
        })
        .collect()
}

/// A provider's error code as it may be stored and shown: printable ASCII
/// letters, digits and `_.:-`, cut to 32 characters.
pub(crate) fn sanitise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'))
        .take(MAX_ERR_CODE_LEN)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivered_and_failed_receipts_are_parsed() {
        let body = br#"[
            {"id": "hp1", "status": "delivered", "done_at": 1800000000123},
            {"id": "hp2", "status": "failed", "err_code": "UNDELIV"},
            {"id": "hp3", "status": "failed"},
            {"id": "hp4", "status": "delivered", "err_code": "IGNORED"}
        ]"#;
        let r = parse_receipts("acme", body).unwrap();
        assert_eq!(r.len(), 4);
        assert_eq!(
            r[0],
            Receipt {
                provider: "acme".into(),
                provider_message_id: "hp1".into(),
                delivered: true,
                err_code: None,
                done_at: Some(1_800_000_000_123),
            }
        );
        assert!(!r[1].delivered);
        assert_eq!(r[1].err_code.as_deref(), Some("UNDELIV"));
        assert_eq!(r[1].done_at, None);
        assert_eq!(r[2].err_code.as_deref(), Some("FAILED"));
        assert_eq!(r[3].err_code, None);
        assert_eq!(parse_receipts("acme", b"[]").unwrap(), vec![]);
    }

    #[test]
    fn error_codes_are_sanitised() {
        let body = br#"[{"id": "a", "status": "failed", "err_code": "E 1<script>\u0000\n:42-x.y_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"}]"#;
        let code = parse_receipts("p", body).unwrap()[0]
            .err_code
            .clone()
            .unwrap();
        assert_eq!(code, "E1script:42-x.y_zzzzzzzzzzzzzzzz");
        assert_eq!(code.len(), 32);
        let body = br#"[{"id": "a", "status": "failed", "err_code": "<>"}]"#;
        assert_eq!(
            parse_receipts("p", body).unwrap()[0].err_code.as_deref(),
            Some("FAILED")
        );
    }

    #[test]
    fn anything_but_an_array_of_receipts_is_refused() {
        let invalid = [
            &b""[..],
            b"not json",
            b"{}",
            br#"{"id": "a", "status": "delivered"}"#,
            b"[1]",
            br#"[{"id": "a"}]"#,
            br#"[{"status": "delivered"}]"#,
            br#"[{"id": "a", "status": "DELIVERED"}]"#,
            br#"[{"id": "a", "status": "pending"}]"#,
            br#"[{"id": 5, "status": "delivered"}]"#,
            br#"[{"id": "a", "status": "delivered", "extra": 1}]"#,
            br#"[{"id": "a", "status": "delivered", "done_at": "yesterday"}]"#,
            br#"[{"id": "a", "status": "failed", "err_code": 7}]"#,
            br#"[{"id": "a", "status": "delivered"}] trailing"#,
        ];
        for body in invalid {
            assert!(
                matches!(parse_receipts("p", body), Err(ReceiptError::Invalid(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn bad_fields_name_the_receipt() {
        let cases: [(&[u8], usize); 4] = [
            (br#"[{"id": "ok", "status": "delivered"}, {"id": " ", "status": "delivered"}]"#, 1),
            (br#"[{"id": "a\u0007", "status": "delivered"}]"#, 0),
            (br#"[{"id": "a", "status": "delivered", "done_at": -1}]"#, 0),
            (
                br#"[{"id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "status": "failed"}]"#,
                0,
            ),
        ];
        for (body, at) in cases {
            match parse_receipts("p", body) {
                Err(ReceiptError::BadReceipt { index, .. }) => assert_eq!(index, at),
                other => panic!("{other:?} for {}", String::from_utf8_lossy(body)),
            }
        }
    }

    #[test]
    fn more_than_a_thousand_receipts_are_refused() {
        let one = r#"{"id":"x","status":"delivered"}"#;
        let body = |n: usize| format!("[{}]", vec![one; n].join(","));
        assert_eq!(
            parse_receipts("p", body(1000).as_bytes()).unwrap().len(),
            1000
        );
        assert_eq!(
            parse_receipts("p", body(1001).as_bytes()),
            Err(ReceiptError::TooMany(1001))
        );
    }
}
