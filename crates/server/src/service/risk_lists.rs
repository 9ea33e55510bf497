//! A tenant's block and allow lists of numbers, which Fusion-Auth's number risk
//! consults (`fusion::facts`): the one place where entries are validated (a
//! number by the domain's phone number rules, kept as E.164 digits, the key the
//! risk rules look up), changed and audited (`risk_list.add`, `risk_list.remove`).

use numgate_domain::clock::Millis;
use numgate_domain::{CountryCode, PhoneNumber};
use numgate_store::{ListEntry, ListKind, Store};
use serde_json::json;

use super::audit::{self, Actor, Change};
use crate::error::{ApiError, BizCode};

/// Longest note on an entry, in characters.
pub const MAX_NOTE_CHARS: usize = 200;

/// The number of an entry: `number` within `country` (empty: 86), as the Open
/// API's `PhoneNumber` and `CountryCode` are read.
pub fn parse_number(country: &str, number: &str) -> Result<PhoneNumber, ApiError> {
    let country = CountryCode::parse(country)
        .map_err(|e| ApiError::invalid(BizCode::InvalidParameters, e))?;
    PhoneNumber::parse(&country, number)
        .map_err(|e| ApiError::invalid(BizCode::MobileNumberIllegal, e))
}

fn parse_kind(kind: &str) -> Result<ListKind, ApiError> {
    ListKind::parse(kind.trim()).ok_or_else(|| {
        ApiError::biz(
            BizCode::InvalidParameters,
            "the list must be block or allow",
        )
    })
}

fn parse_note(note: Option<&str>) -> Result<Option<String>, ApiError> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if let Some(n) = note {
        if n.chars().count() > MAX_NOTE_CHARS || n.chars().any(char::is_control) {
            return Err(ApiError::biz(
                BizCode::InvalidParameters,
                format!("a note is at most {MAX_NOTE_CHARS} characters on one line"),
            ));
        }
    }
    Ok(note.map(str::to_owned))
}

fn described(e: &ListEntry) -> String {
    json!({ "kind": e.kind.as_str(), "note": e.note }).to_string()
}

/// The tenant's entries, by number.
pub async fn list(store: &dyn Store, tenant_id: i64) -> Result<Vec<ListEntry>, ApiError> {
    Ok(store.list_entries(tenant_id).await?)
}

/// What to put on a list.
pub struct AddEntry<'a> {
    /// Calling code without `+`; empty for 86.
    pub country: &'a str,
    pub number: &'a str,
    /// `block` or `allow`.
    pub kind: &'a str,
    pub note: Option<&'a str>,
}

/// Puts a number on the block or the allow list (off the other one); every
/// input is checked before anything changes. The entry as stored.
pub async fn add(
    store: &dyn Store,
    tenant_id: i64,
    input: AddEntry<'_>,
    actor: &Actor,
    now: Millis,
) -> Result<ListEntry, ApiError> {
    let number = parse_number(input.country, input.number)?;
    let kind = parse_kind(input.kind)?;
    let note = parse_note(input.note)?;
    let digits = number.e164_digits();
    let before = store
        .list_entries(tenant_id)
        .await?
        .into_iter()
        .find(|e| e.number == digits);
    let entry = ListEntry {
        tenant_id,
        number: digits,
        kind,
        note,
        updated_at: now,
    };
    store.set_list_entry(entry.clone()).await?;
    audit::record(
        store,
        Change {
            tenant_id,
            actor,
            action: "risk_list.add",
            target: format!("number +{}", entry.number),
            before: before.as_ref().map(described),
            after: Some(described(&entry)),
        },
        now,
    )
    .await?;
    Ok(entry)
}

/// An entry's key as listed: E.164 digits, with or without `+`.
fn parse_e164(number: &str) -> Result<String, ApiError> {
    let digits = number.trim().trim_start_matches('+');
    if !(5..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::biz(
            BizCode::MobileNumberIllegal,
            "a listed number is 5 to 15 digits with its country code, such as +8613800000000",
        ));
    }
    Ok(digits.to_owned())
}

/// Takes a number (as listed: E.164, `+8613800000000`) off the tenant's
/// lists; `false` (and nothing audited) when it was on neither.
pub async fn remove(
    store: &dyn Store,
    tenant_id: i64,
    number: &str,
    actor: &Actor,
    now: Millis,
) -> Result<bool, ApiError> {
    let digits = parse_e164(number)?;
    let before = store
        .list_entries(tenant_id)
        .await?
        .into_iter()
        .find(|e| e.number == digits);
    if !store.remove_list_entry(tenant_id, &digits).await? {
        return Ok(false);
    }
    audit::record(
        store,
        Change {
            tenant_id,
            actor,
            action: "risk_list.remove",
            target: format!("number +{digits}"),
            before: before.as_ref().map(described),
            after: None,
        },
        now,
    )
    .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_kinds_and_notes_are_checked() {
        assert_eq!(
            parse_number("", "13800000043").unwrap().e164_digits(),
            "8613800000043"
        );
        assert_eq!(
            parse_number("+86", "+8613800000043").unwrap().e164_digits(),
            "8613800000043"
        );
        assert_eq!(
            parse_number("852", "91234567").unwrap().e164_digits(),
            "85291234567"
        );
        for (country, bad) in [
            ("", "1380000004"),
            ("", "10000000000"),
            ("", "abc"),
            ("0", "1"),
        ] {
            assert!(parse_number(country, bad).is_err(), "{country} {bad}");
        }
        assert_eq!(parse_kind("block").unwrap(), ListKind::Block);
        assert!(parse_kind("deny").is_err());
        assert_eq!(parse_note(Some("  ")).unwrap(), None);
        assert!(parse_note(Some(&"x".repeat(201))).is_err());
        assert!(parse_note(Some("a\nb")).is_err());
        assert_eq!(parse_e164("+8613800000043").unwrap(), "8613800000043");
        for bad in ["", "+86", "86 138", &"1".repeat(16)] {
            assert!(parse_e164(bad).is_err(), "{bad}");
        }
    }
}
