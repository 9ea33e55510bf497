//! The simulator's configuration: the subscriber table, app credentials, CAMARA clients and faults.
//!
//! Everything is checked once, here, so that handlers can trust what they read: a typo in the TOML
//! becomes a message naming the field, never a subscriber that silently cannot be identified.

use std::collections::HashSet;
use std::net::IpAddr;
use std::path::Path;

use chrono::{DateTime, Utc};
use figment::providers::{Format, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::faults::FaultRule;

/// The whole configuration of one simulator instance.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    /// Bearer token for `/control/...`; without one the control API answers 404, so a simulator
    /// exposed by accident cannot be reconfigured by whoever finds it.
    #[serde(default)]
    pub control_token: Option<String>,
    /// Starting offset of the simulated clock, in seconds (may be negative).
    #[serde(default)]
    pub clock_offset_secs: i64,
    /// Settings of the CAMARA operator.
    #[serde(default)]
    pub camara: CamaraSettings,
    /// The subscriber table: who is behind which bearer address.
    #[serde(default, rename = "subscriber")]
    pub subscribers: Vec<SubscriberConfig>,
    /// Apps registered with the token-exchange carriers.
    #[serde(default, rename = "app")]
    pub apps: Vec<AppConfig>,
    /// OAuth clients registered with the CAMARA operator.
    #[serde(default, rename = "camara_client")]
    pub camara_clients: Vec<CamaraClientConfig>,
    /// Faults active from start-up (more can be added through the control API).
    #[serde(default, rename = "fault")]
    pub faults: Vec<FaultRule>,
}

/// A network the simulator plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Carrier {
    /// China Mobile (token exchange, `/cm`).
    Cm,
    /// China Unicom (token exchange, `/cu`).
    Cu,
    /// China Telecom (token exchange, `/ct`).
    Ct,
    /// A GSMA Open Gateway operator (OIDC + CAMARA APIs, `/camara`).
    Camara,
}

impl Carrier {
    /// The name used in configuration, paths and fault rules.
    pub fn as_str(self) -> &'static str {
        match self {
            Carrier::Cm => "cm",
            Carrier::Cu => "cu",
            Carrier::Ct => "ct",
            Carrier::Camara => "camara",
        }
    }

    /// Whether numbers of this carrier are E.164 (CAMARA) rather than national (cm/cu/ct).
    pub fn uses_e164(self) -> bool {
        self == Carrier::Camara
    }
}

/// The state of a line, as the network knows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriberStatus {
    /// In service.
    #[default]
    Active,
    /// Barred (e.g. unpaid): the gateway knows the line but refuses to vouch for it.
    Suspended,
    /// The number is not (or no longer) associated with a SIM: the gateway cannot identify it
    /// and SIM Swap reports no date.
    Unknown,
}

/// One SIM, identified on the bearer by its source address.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SubscriberConfig {
    /// Source address of the device's connections (any of 127.0.0.0/8 in tests).
    pub address: IpAddr,
    /// National 11-digit number for cm/cu/ct, E.164 (`+CC…`) for camara.
    pub number: String,
    /// The network the SIM belongs to.
    pub carrier: Carrier,
    /// Whether the device is on mobile data; without it no gateway can see the SIM.
    #[serde(default = "default_true")]
    pub mobile_data: bool,
    /// Latest SIM swap, if any.
    #[serde(default)]
    pub sim_swap_date: Option<DateTime<Utc>>,
    /// First attach of the SIM; reported by SIM Swap when it was never swapped.
    #[serde(default)]
    pub activation_date: Option<DateTime<Utc>>,
    /// Line status.
    #[serde(default)]
    pub status: SubscriberStatus,
    /// Whether SIM Swap is offered for this line (CAMARA `SERVICE_NOT_APPLICABLE` otherwise,
    /// as for IoT subscriptions).
    #[serde(default = "default_true")]
    pub sim_swap_applicable: bool,
}

/// Credentials of one app at one token-exchange carrier.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// `cm`, `cu` or `ct`.
    pub carrier: Carrier,
    /// The app id the carrier issued.
    pub app_id: String,
    /// The HMAC-SHA256 key of the app's server-to-server calls.
    pub app_key: String,
}

/// An OAuth client of the CAMARA operator.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CamaraClientConfig {
    /// OAuth `client_id`.
    pub client_id: String,
    /// OAuth `client_secret` (client_secret_basic).
    pub client_secret: String,
    /// Registered redirect URIs, compared exactly as OAuth requires.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Scopes the client may ask for (`openid` is always allowed).
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// Settings of the CAMARA operator.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CamaraSettings {
    /// Lifetime of access tokens from the authorization-code grant; Number Verification caps it
    /// at 300 s.
    #[serde(default = "default_three_legged_secs")]
    pub access_token_lifetime_secs: u32,
    /// Lifetime of client-credentials (two-legged) tokens.
    #[serde(default = "default_two_legged_secs")]
    pub client_token_lifetime_secs: u32,
    /// SIM swap history the operator may keep by local regulation, in days; `None` = unlimited.
    #[serde(default)]
    pub monitored_period_days: Option<u32>,
}

impl Default for CamaraSettings {
    fn default() -> Self {
        CamaraSettings {
            access_token_lifetime_secs: default_three_legged_secs(),
            client_token_lifetime_secs: default_two_legged_secs(),
            monitored_period_days: None,
        }
    }
}

fn default_true() -> bool {
    true
}
fn default_three_legged_secs() -> u32 {
    300
}
fn default_two_legged_secs() -> u32 {
    3600
}

/// The scopes the CAMARA operator knows.
pub(crate) const KNOWN_SCOPES: &[&str] = &[
    "openid",
    "number-verification:verify",
    "number-verification:device-phone-number:read",
    "sim-swap",
    "sim-swap:check",
    "sim-swap:retrieve-date",
];

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read carrier simulator config {path}: {source}")]
    Read {
        /// The file asked for.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The TOML is malformed or a value has the wrong type.
    #[error("invalid carrier simulator config: {0}")]
    Parse(Box<figment::Error>),
    /// The TOML is well-formed but a value makes no sense.
    #[error("invalid carrier simulator config: {field}: {reason}")]
    Invalid {
        /// Where, e.g. `subscriber[2].number`.
        field: String,
        /// What is wrong and what is expected.
        reason: String,
    },
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

impl SimConfig {
    /// Reads and checks a TOML file.
    pub fn load(path: impl AsRef<Path>) -> Result<SimConfig, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        SimConfig::from_toml(&text)
    }

    /// Parses and checks TOML text.
    pub fn from_toml(text: &str) -> Result<SimConfig, ConfigError> {
        let config: SimConfig = Figment::from(Toml::string(text))
            .extract()
            .map_err(|e| ConfigError::Parse(Box::new(e)))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the rules serde cannot express (number formats, duplicates, ranges).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if matches!(&self.control_token, Some(t) if t.trim().is_empty()) {
            return Err(invalid(
                "control_token",
                "must not be empty (omit it to disable /control)",
            ));
        }
        if !(1..=300).contains(&self.camara.access_token_lifetime_secs) {
            return Err(invalid(
                "camara.access_token_lifetime_secs",
                "must be 1..=300 (Number Verification tokens live at most 5 minutes)",
            ));
        }
        if self.camara.client_token_lifetime_secs == 0 {
            return Err(invalid(
                "camara.client_token_lifetime_secs",
                "must be at least 1",
            ));
        }
        if self.camara.monitored_period_days == Some(0) {
            return Err(invalid(
                "camara.monitored_period_days",
                "must be at least 1 (omit it for unlimited)",
            ));
        }
        let mut addresses = HashSet::new();
        for (i, s) in self.subscribers.iter().enumerate() {
            s.validate(&format!("subscriber[{i}]"))?;
            if !addresses.insert(s.address) {
                return Err(invalid(
                    format!("subscriber[{i}].address"),
                    format!(
                        "{} is used by another subscriber; one address is one SIM",
                        s.address
                    ),
                ));
            }
        }
        let mut apps = HashSet::new();
        for (i, a) in self.apps.iter().enumerate() {
            let at = format!("app[{i}]");
            if a.carrier == Carrier::Camara {
                return Err(invalid(
                    format!("{at}.carrier"),
                    "apps are for cm, cu or ct; CAMARA clients go in [[camara_client]]",
                ));
            }
            if a.app_id.trim().is_empty() {
                return Err(invalid(format!("{at}.app_id"), "must not be empty"));
            }
            if a.app_key.trim().is_empty() {
                return Err(invalid(format!("{at}.app_key"), "must not be empty"));
            }
            if !apps.insert((a.carrier, a.app_id.clone())) {
                return Err(invalid(
                    format!("{at}.app_id"),
                    format!(
                        "{} is registered twice with {}",
                        a.app_id,
                        a.carrier.as_str()
                    ),
                ));
            }
        }
        let mut clients = HashSet::new();
        for (i, c) in self.camara_clients.iter().enumerate() {
            let at = format!("camara_client[{i}]");
            if c.client_id.trim().is_empty() || c.client_id.contains(':') {
                return Err(invalid(
                    format!("{at}.client_id"),
                    "must be non-empty and contain no ':'",
                ));
            }
            if c.client_secret.trim().is_empty() {
                return Err(invalid(format!("{at}.client_secret"), "must not be empty"));
            }
            if !clients.insert(c.client_id.clone()) {
                return Err(invalid(
                    format!("{at}.client_id"),
                    format!("{} is registered twice", c.client_id),
                ));
            }
            for (j, uri) in c.redirect_uris.iter().enumerate() {
                if !(uri.starts_with("http://") || uri.starts_with("https://")) || uri.contains('#')
                {
                    return Err(invalid(
                        format!("{at}.redirect_uris[{j}]"),
                        format!("`{uri}` must be an absolute http(s) URI without a fragment"),
                    ));
                }
            }
            for (j, scope) in c.scopes.iter().enumerate() {
                if !KNOWN_SCOPES.contains(&scope.as_str()) {
                    return Err(invalid(
                        format!("{at}.scopes[{j}]"),
                        format!(
                            "unknown scope `{scope}`; known: {}",
                            KNOWN_SCOPES.join(", ")
                        ),
                    ));
                }
            }
        }
        for (i, f) in self.faults.iter().enumerate() {
            f.validate()
                .map_err(|reason| invalid(format!("fault[{i}]"), reason))?;
        }
        Ok(())
    }
}

impl SubscriberConfig {
    /// Checks the number against the carrier's numbering plan.
    pub(crate) fn validate(&self, at: &str) -> Result<(), ConfigError> {
        if self.carrier.uses_e164() {
            if !is_e164(&self.number) {
                return Err(invalid(
                    format!("{at}.number"),
                    format!(
                        "`{}` is not E.164 (`+` then 5 to 15 digits, e.g. +8613800000011)",
                        self.number
                    ),
                ));
            }
        } else if !is_national_mobile(&self.number) {
            return Err(invalid(
                format!("{at}.number"),
                format!(
                    "`{}` is not a national 11-digit mobile number (carrier {} numbers are national, e.g. 13800000011)",
                    self.number,
                    self.carrier.as_str()
                ),
            ));
        }
        Ok(())
    }
}

/// `^\+[1-9][0-9]{4,14}$`, the CAMARA `PhoneNumber` pattern.
pub(crate) fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (5..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// An 11-digit Chinese mobile number in national form.
pub(crate) fn is_national_mobile(s: &str) -> bool {
    s.len() == 11 && s.starts_with('1') && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
        control_token = "ctl"
        [[subscriber]]
        address = "127.0.0.11"
        number = "13800000011"
        carrier = "cm"
        sim_swap_date = "2026-11-01T00:00:00Z"
        [[subscriber]]
        address = "127.0.0.41"
        number = "+8613800000041"
        carrier = "camara"
        mobile_data = false
        status = "suspended"
        [[app]]
        carrier = "cm"
        app_id = "300011"
        app_key = "k"
        [[camara_client]]
        client_id = "numgate"
        client_secret = "s"
        redirect_uris = ["http://127.0.0.1:8080/cb"]
        scopes = ["number-verification:verify"]
        [[fault]]
        carrier = "cm"
        endpoint = "exchange"
        fault = "latency"
        ms = 50
        times = 2
    "#;

    fn err(text: &str) -> String {
        SimConfig::from_toml(text).unwrap_err().to_string()
    }

    #[test]
    fn a_complete_config_parses_with_defaults_filled_in() {
        let c = SimConfig::from_toml(GOOD).unwrap();
        assert_eq!(c.subscribers.len(), 2);
        assert!(c.subscribers[0].mobile_data);
        assert_eq!(c.subscribers[0].status, SubscriberStatus::Active);
        assert_eq!(c.subscribers[1].status, SubscriberStatus::Suspended);
        assert_eq!(c.camara.access_token_lifetime_secs, 300);
        assert_eq!(c.faults.len(), 1);
    }

    #[test]
    fn an_unknown_carrier_is_refused_naming_the_key() {
        let e = err(
            "[[subscriber]]\naddress = \"127.0.0.2\"\nnumber = \"13800000011\"\ncarrier = \"xx\"\n",
        );
        assert!(e.contains("carrier"), "{e}");
        assert!(e.contains("xx"), "{e}");
    }

    #[test]
    fn a_bad_address_is_refused() {
        let e = err(
            "[[subscriber]]\naddress = \"localhost\"\nnumber = \"13800000011\"\ncarrier = \"cm\"\n",
        );
        assert!(e.contains("address"), "{e}");
    }

    #[test]
    fn an_e164_number_for_a_national_carrier_is_refused() {
        let e = err("[[subscriber]]\naddress = \"127.0.0.2\"\nnumber = \"+8613800000011\"\ncarrier = \"cu\"\n");
        assert!(
            e.contains("subscriber[0].number") && e.contains("national"),
            "{e}"
        );
    }

    #[test]
    fn a_national_number_for_camara_is_refused() {
        let e = err("[[subscriber]]\naddress = \"127.0.0.2\"\nnumber = \"13800000011\"\ncarrier = \"camara\"\n");
        assert!(e.contains("E.164"), "{e}");
    }

    #[test]
    fn two_subscribers_on_one_address_are_refused() {
        let one =
            "[[subscriber]]\naddress = \"127.0.0.2\"\nnumber = \"13800000011\"\ncarrier = \"cm\"\n";
        let e = err(&format!("{one}{one}"));
        assert!(e.contains("subscriber[1].address"), "{e}");
    }

    #[test]
    fn a_bad_date_is_refused() {
        let e = err("[[subscriber]]\naddress = \"127.0.0.2\"\nnumber = \"13800000011\"\ncarrier = \"cm\"\nsim_swap_date = \"yesterday\"\n");
        assert!(e.contains("sim_swap_date"), "{e}");
    }

    #[test]
    fn a_misspelt_field_is_refused() {
        let e = err("[[subscriber]]\naddress = \"127.0.0.2\"\nnumber = \"13800000011\"\ncarrier = \"cm\"\nmobiledata = true\n");
        assert!(e.contains("mobiledata"), "{e}");
    }

    #[test]
    fn a_camara_app_is_refused() {
        let e = err("[[app]]\ncarrier = \"camara\"\napp_id = \"a\"\napp_key = \"k\"\n");
        assert!(e.contains("camara_client"), "{e}");
    }

    #[test]
    fn an_unknown_scope_is_refused() {
        let e = err("[[camara_client]]\nclient_id = \"c\"\nclient_secret = \"s\"\nscopes = [\"everything\"]\n");
        assert!(e.contains("everything"), "{e}");
    }

    #[test]
    fn a_fault_with_a_bad_probability_is_refused() {
        let e = err("[[fault]]\ncarrier = \"cm\"\nfault = \"timeout\"\nprobability = 1.5\n");
        assert!(e.contains("fault[0]") && e.contains("probability"), "{e}");
    }

    #[test]
    fn a_missing_file_is_reported_with_its_path() {
        let e = SimConfig::load("/nonexistent/sim.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/sim.toml"), "{e}");
    }

    #[test]
    fn e164_follows_the_camara_pattern() {
        assert!(is_e164("+8613800000011"));
        assert!(is_e164("+12345"));
        assert!(!is_e164("+0123456"));
        assert!(!is_e164("8613800000011"));
        assert!(!is_e164("+1234"));
        assert!(!is_e164("+1234567890123456"));
    }
}
