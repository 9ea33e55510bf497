//! What both backends share about policies: how a key is stored, what its audit
//! rows say, and the JSON of a policy in them (built here, so that both backends
//! write the same bytes).

use std::fmt::Write;

use crate::{AuditEntry, PolicyRecord, PutPolicy, StoreError};

pub(crate) const ACTION_PUT: &str = "policy.put";
pub(crate) const ACTION_DELETE: &str = "policy.delete";

/// The conflict of a put whose expected version is not the stored one.
pub(crate) const VERSION_CONFLICT: StoreError = StoreError::Conflict("policy version");

/// The `scheme` column: `''` for the global policy, so that the key
/// (tenant_id, scene, scheme) is a plain primary key (NULLs would be distinct in it).
pub(crate) fn scheme_column(scheme: Option<&str>) -> &str {
    scheme.unwrap_or("")
}

/// The record's `scheme` from its column.
pub(crate) fn scheme_from_column(column: String) -> Option<String> {
    (!column.is_empty()).then_some(column)
}

/// A put's outcome against the stored version (`None`: no live policy): the
/// version the policy gets, or the conflict.
pub(crate) fn next_version(
    put: &PutPolicy,
    live: Option<i64>,
    stored: Option<i64>,
) -> Result<i64, StoreError> {
    if let Some(expected) = put.expected_version {
        if expected != live.unwrap_or(0) {
            return Err(VERSION_CONFLICT);
        }
    }
    // A restored policy's row (its tombstone) keeps the version count going.
    Ok(stored.unwrap_or(0) + 1)
}

/// The record a put stores at `version`.
pub(crate) fn record(put: &PutPolicy, version: i64) -> PolicyRecord {
    PolicyRecord {
        tenant_id: put.tenant_id,
        scene: put.scene,
        scheme: put.scheme.clone(),
        graph: put.graph.clone(),
        inherit: put.inherit,
        logging: put.logging,
        version,
        updated_at: put.at,
        updated_by: put.actor.clone(),
    }
}

/// What an audit row calls the policy: `scene 100001` or `scene 100001 scheme FC…`.
pub(crate) fn target(scene: i32, scheme: Option<&str>) -> String {
    match scheme {
        Some(s) => format!("scene {scene} scheme {s}"),
        None => format!("scene {scene}"),
    }
}

/// The audit row of a put: the live policy before (if any), the new one after.
pub(crate) fn put_audit(before: Option<&PolicyRecord>, after: &PolicyRecord) -> AuditEntry {
    AuditEntry {
        tenant_id: after.tenant_id,
        actor: after.updated_by.clone(),
        action: ACTION_PUT.into(),
        target: target(after.scene, after.scheme.as_deref()),
        before: before.map(to_json),
        after: Some(to_json(after)),
        at: after.updated_at,
    }
}

/// The audit row of a restore to defaults: the policy before, nothing after.
pub(crate) fn delete_audit(before: &PolicyRecord, actor: &str, at: i64) -> AuditEntry {
    AuditEntry {
        tenant_id: before.tenant_id,
        actor: actor.into(),
        action: ACTION_DELETE.into(),
        target: target(before.scene, before.scheme.as_deref()),
        before: Some(to_json(before)),
        after: None,
        at,
    }
}

/// The policy as a JSON object. The graph is embedded as a JSON string: the store
/// does not look inside it, so it cannot vouch that it is JSON itself.
pub(crate) fn to_json(p: &PolicyRecord) -> String {
    let mut out = String::with_capacity(p.graph.len() + 160);
    out.push_str("{\"scene\":");
    let _ = write!(out, "{}", p.scene);
    out.push_str(",\"scheme\":");
    match &p.scheme {
        Some(s) => push_string(&mut out, s),
        None => out.push_str("null"),
    }
    let _ = write!(
        out,
        ",\"inherit\":{},\"logging\":{},\"version\":{},\"updated_at\":{},\"updated_by\":",
        p.inherit, p.logging, p.version, p.updated_at
    );
    push_string(&mut out, &p.updated_by);
    out.push_str(",\"graph\":");
    push_string(&mut out, &p.graph);
    out.push('}');
    out
}

/// `s` as a JSON string literal (RFC 8259: quote, backslash and control
/// characters escaped).
fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(scheme: Option<&str>, graph: &str) -> PolicyRecord {
        PolicyRecord {
            tenant_id: 1,
            scene: 100001,
            scheme: scheme.map(str::to_owned),
            graph: graph.into(),
            inherit: true,
            logging: false,
            version: 3,
            updated_at: 1_700_000_000_000,
            updated_by: "ops \"lead\"".into(),
        }
    }

    #[test]
    fn a_policy_is_written_as_a_json_object_with_its_graph_as_a_string() {
        let json = to_json(&policy(None, "{\"nodes\":[\"a\\b\"]}\n\u{1}"));
        assert_eq!(
            json,
            "{\"scene\":100001,\"scheme\":null,\"inherit\":true,\"logging\":false,\
             \"version\":3,\"updated_at\":1700000000000,\"updated_by\":\"ops \\\"lead\\\"\",\
             \"graph\":\"{\\\"nodes\\\":[\\\"a\\\\b\\\"]}\\n\\u0001\"}"
        );
        assert!(to_json(&policy(Some("FC1"), "x")).contains("\"scheme\":\"FC1\""));
    }

    #[test]
    fn targets_name_the_scene_and_the_scheme() {
        assert_eq!(target(100002, None), "scene 100002");
        assert_eq!(target(100002, Some("FC9")), "scene 100002 scheme FC9");
    }

    #[test]
    fn the_expected_version_must_be_the_live_one() {
        let put = |expected| PutPolicy {
            tenant_id: 1,
            scene: 100001,
            scheme: None,
            graph: "{}".into(),
            inherit: true,
            logging: true,
            expected_version: expected,
            actor: "a".into(),
            at: 0,
        };
        assert_eq!(next_version(&put(None), None, None).unwrap(), 1);
        assert_eq!(next_version(&put(Some(0)), None, None).unwrap(), 1);
        assert_eq!(next_version(&put(Some(2)), Some(2), Some(2)).unwrap(), 3);
        // Restored to defaults at version 4: "none" is expected, 5 comes next.
        assert_eq!(next_version(&put(Some(0)), None, Some(4)).unwrap(), 5);
        assert!(next_version(&put(Some(4)), None, Some(4)).is_err());
        assert!(next_version(&put(Some(1)), Some(2), Some(2)).is_err());
        assert!(next_version(&put(Some(0)), Some(2), Some(2)).is_err());
    }
}
