//! The configuration of one SMPP provider: where its SMSC is, how to bind, and
//! how hard to push it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One SMPP 3.4 provider (an SMSC account). Unknown keys are refused, so that a
/// misspelt limit does not silently fall back to its default.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmppConfig {
    /// The provider's name, as receipts and upstream messages carry it.
    pub name: String,
    /// The SMSC, `host:port`.
    pub addr: String,
    /// The account (`system_id` of bind_transceiver), at most 15 characters.
    pub system_id: String,
    /// The account's password, at most 8 characters. Never logged.
    pub password: String,
    /// `system_type` of the bind; often empty.
    pub system_type: String,
    /// Connections bound at once: the SMSC spreads load and each has its own window.
    pub binds: usize,
    /// submit_sm sent and not yet answered, per bind. When every bind's window
    /// is full, senders wait (back-pressure): nothing is dropped.
    pub window: usize,
    /// submit_sm per second per bind, as the account allows; 0 = unlimited.
    pub throughput_per_sec: u32,
    /// Seconds between enquire_link probes of an idle-looking connection.
    pub enquire_link_secs: u64,
    /// How long a response (bind, submit_sm, enquire_link) may take before the
    /// attempt counts as failed.
    pub response_timeout_ms: u64,
    /// Reconnection backoff: doubles from the minimum up to the maximum, with jitter.
    pub reconnect_min_ms: u64,
    pub reconnect_max_ms: u64,
    /// The service number messages come from; a message's `up_extend_code` is
    /// appended so that replies reach the right scheme.
    pub source_addr: String,
    /// Ask for delivery receipts (`registered_delivery = 1`).
    pub registered_delivery: bool,
}

impl Default for SmppConfig {
    fn default() -> Self {
        Self {
            name: "smpp".into(),
            addr: "127.0.0.1:2775".into(),
            system_id: String::new(),
            password: String::new(),
            system_type: String::new(),
            binds: 1,
            window: 64,
            throughput_per_sec: 0,
            enquire_link_secs: 30,
            response_timeout_ms: 10_000,
            reconnect_min_ms: 500,
            reconnect_max_ms: 30_000,
            source_addr: String::new(),
            registered_delivery: true,
        }
    }
}

/// What is wrong with a configuration.
#[derive(Debug, thiserror::Error)]
pub enum SmppConfigError {
    #[error("smpp provider {name}: {field} {problem}")]
    Invalid {
        name: String,
        field: &'static str,
        problem: &'static str,
    },
}

impl SmppConfig {
    /// Checks the limits SMPP 3.4 and common sense put on the fields.
    pub fn validate(&self) -> Result<(), SmppConfigError> {
        let bad = |field, problem| {
            Err(SmppConfigError::Invalid {
                name: self.name.clone(),
                field,
                problem,
            })
        };
        if self.addr.is_empty() {
            return bad("addr", "is empty");
        }
        if self.system_id.is_empty() || self.system_id.len() > 15 || !self.system_id.is_ascii() {
            return bad("system_id", "must be 1-15 ASCII characters");
        }
        if self.password.len() > 8 || !self.password.is_ascii() {
            return bad("password", "must be at most 8 ASCII characters");
        }
        if self.system_type.len() > 12 || !self.system_type.is_ascii() {
            return bad("system_type", "must be at most 12 ASCII characters");
        }
        if self.binds == 0 || self.binds > 64 {
            return bad("binds", "must be 1-64");
        }
        if self.window == 0 || self.window > 10_000 {
            return bad("window", "must be 1-10000");
        }
        if self.response_timeout_ms == 0 {
            return bad("response_timeout_ms", "must be positive");
        }
        if self.reconnect_min_ms == 0 || self.reconnect_max_ms < self.reconnect_min_ms {
            return bad(
                "reconnect_min_ms",
                "must be positive and at most reconnect_max_ms",
            );
        }
        if self.source_addr.len() > 20 || !self.source_addr.is_ascii() {
            return bad("source_addr", "must be at most 20 ASCII characters");
        }
        Ok(())
    }

    pub(crate) fn response_timeout(&self) -> Duration {
        Duration::from_millis(self.response_timeout_ms)
    }
}

impl std::fmt::Debug for SmppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmppConfig")
            .field("name", &self.name)
            .field("addr", &self.addr)
            .field("system_id", &self.system_id)
            .field("binds", &self.binds)
            .field("window", &self.window)
            .field("throughput_per_sec", &self.throughput_per_sec)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_what_the_file_leaves_out_and_unknown_keys_are_refused() {
        let c: SmppConfig = serde_json::from_str(
            r#"{"name":"cmpp-a","addr":"10.0.0.1:2775","system_id":"acct","password":"pw"}"#,
        )
        .unwrap();
        assert_eq!(
            (c.binds, c.window, c.throughput_per_sec, c.enquire_link_secs),
            (1, 64, 0, 30)
        );
        assert_eq!(c.response_timeout_ms, 10_000);
        assert!(c.registered_delivery);
        c.validate().unwrap();
        assert!(serde_json::from_str::<SmppConfig>(r#"{"windw":8}"#).is_err());
    }

    #[test]
    fn invalid_accounts_and_limits_are_refused_and_the_password_is_never_shown() {
        let ok = SmppConfig {
            system_id: "acct".into(),
            password: "secret12".into(),
            ..SmppConfig::default()
        };
        ok.validate().unwrap();
        assert!(!format!("{ok:?}").contains("secret12"));
        let bad = [
            SmppConfig {
                password: "123456789".into(),
                ..ok.clone()
            },
            SmppConfig {
                system_id: String::new(),
                ..ok.clone()
            },
            SmppConfig {
                binds: 0,
                ..ok.clone()
            },
            SmppConfig {
                window: 0,
                ..ok.clone()
            },
            SmppConfig {
                reconnect_min_ms: 100,
                reconnect_max_ms: 50,
                ..ok.clone()
            },
            SmppConfig {
                source_addr: "1".repeat(21),
                ..ok.clone()
            },
        ];
        for c in bad {
            let e = c.validate().unwrap_err().to_string();
            assert!(!e.contains("secret12") && !e.contains("123456789"), "{e}");
        }
    }
}
