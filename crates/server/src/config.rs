//! The one typed configuration: defaults, then a TOML file, then `NUMGATE_*`
//! environment variables (nested keys with `__`: `NUMGATE_SMS__HOURLY_CAP=20`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use numgate_store::StoreLocation;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Where the embedded database and the generated master key live.
    pub data_dir: PathBuf,
    /// The database: a SQLite file, or a `postgres://` URL that several nodes
    /// share. Unset: `numgate.db` in the data directory.
    pub database_url: Option<String>,
    /// Connections this node may open to PostgreSQL (N nodes need N times this
    /// below the server's `max_connections`). Ignored by SQLite.
    pub database_max_connections: u32,
    /// The master key (32 bytes, base64). When unset, `master_key_file` is read,
    /// or else `master.key` in the data directory, generated on first start.
    pub master_key: Option<String>,
    /// A file holding the master key: how nodes sharing a database get the same one.
    pub master_key_file: Option<PathBuf>,
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    pub sms: SmsConfig,
    /// The carrier gateways numgate exchanges device tokens with.
    pub carriers: CarriersConfig,
    pub fusion: FusionConfig,
    pub console: ConsoleConfig,
    pub billing: BillingConfig,
}

/// `[billing]`: the price list and who is refused when prepaid quota is gone.
///
/// Prices are per success in 1/10000 yuan (integers: no floats in money), by
/// default Alibaba's: one-click 0.03, number check 0.02, SMS 0.045 per delivered
/// segment, a passed Fusion-Auth scene 0.06. Bills price a month's paid units
/// with the prices in force when the bill is made.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BillingConfig {
    pub one_click_price: u64,
    pub number_check_price: u64,
    pub sms_price: u64,
    pub fusion_price: u64,
    /// Tenants (by name) refused with `isv.OUT_OF_SERVICE` before the work is
    /// done when their valid resource plans of the method have no units left.
    pub refuse_when_empty: Vec<String>,
}

impl Default for BillingConfig {
    fn default() -> Self {
        Self {
            one_click_price: 300,
            number_check_price: 200,
            sms_price: 450,
            fusion_price: 600,
            refuse_when_empty: Vec::new(),
        }
    }
}

impl BillingConfig {
    /// The price of one success of the method, in 1/10000 yuan.
    pub fn price(&self, method: numgate_domain::stats::Method) -> u64 {
        use numgate_domain::stats::Method;
        match method {
            Method::OneClick => self.one_click_price,
            Method::NumberCheck => self.number_check_price,
            Method::Sms => self.sms_price,
            Method::Fusion => self.fusion_price,
        }
    }
}

/// `[console]`: the web console's sign-in and sessions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Mark the console's cookies `Secure` (sent over HTTPS only). Turn off only
    /// for plain-HTTP development on loopback.
    pub secure_cookies: bool,
    /// A session unused this long ends.
    pub session_idle_secs: i64,
    /// A session ends this long after sign-in, however much it is used.
    pub session_max_secs: i64,
    /// Wrong passwords in a row that lock a user.
    pub max_failures: i64,
    /// How long a lock lasts.
    pub lockout_secs: i64,
    /// Failed sign-ins (any name, known or not) from one client address within
    /// `ip_window_secs` that refuse every further sign-in from that address
    /// until the window ends. The per-user lock alone would let anyone who
    /// knows a name keep that user locked out, and would not slow down one
    /// source guessing at many names; this limit bounds both. Counted in the
    /// database, so it holds across nodes.
    pub ip_max_failures: i64,
    /// The window of `ip_max_failures`, from its first failure.
    pub ip_window_secs: i64,
    /// Reverse proxies whose `X-Forwarded-For` is believed: when the connection
    /// comes from one of these addresses, the client is the last address in the
    /// header that is not one of them. Empty (the default): the connection's
    /// own address is the client, and the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            secure_cookies: true,
            session_idle_secs: 30 * 60,
            session_max_secs: 12 * 3600,
            max_failures: 5,
            lockout_secs: 15 * 60,
            ip_max_failures: 20,
            ip_window_secs: 15 * 60,
            trusted_proxies: Vec::new(),
        }
    }
}

/// `[fusion]`: Fusion-Auth scenes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FusionConfig {
    /// The number users send upstream SMS to (what the SMS centre delivers MO
    /// messages for).
    pub service_number: String,
    /// How long one scene run may take, start to VerifyToken.
    pub session_secs: i64,
    /// How long the tenant's backend has to redeem a VerifyToken.
    pub verify_token_secs: i64,
}

impl Default for FusionConfig {
    fn default() -> Self {
        Self {
            service_number: numgate_domain::fusion::DEFAULT_SERVICE_NUMBER.to_owned(),
            session_secs: 900,
            verify_token_secs: 600,
        }
    }
}

/// `[carriers]`: each gateway numgate may ask, with numgate's credentials there.
/// A carrier left out is not offered to devices.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CarriersConfig {
    /// The whole of one carrier call, answer included; a carrier slower than
    /// this is "unknown", never a hung request.
    pub timeout_ms: Option<u64>,
    /// China Mobile, China Unicom, China Telecom (token exchange).
    pub cm: Option<TokenCarrierConfig>,
    pub cu: Option<TokenCarrierConfig>,
    pub ct: Option<TokenCarrierConfig>,
    /// A GSMA Open Gateway operator (CAMARA).
    pub camara: Option<CamaraConfig>,
}

#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TokenCarrierConfig {
    /// The gateway, without the carrier's path prefix (`http://host:port`).
    pub url: String,
    /// numgate's own app at this carrier: used for schemes that name no API code.
    pub app_id: String,
    pub app_key: String,
    /// Tenants' own contracts with this carrier (`[[carriers.cm.accounts]]`): a
    /// scheme whose `CmApiCode` (`CuApiCode`, `CtApiCode`) names one uses its app.
    #[serde(default)]
    pub accounts: Vec<CarrierAccountConfig>,
}

/// A tenant's own app at a carrier, chosen by its API code.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CarrierAccountConfig {
    /// The name of the tenant that may use it (`numgate keys list` shows names).
    pub tenant: String,
    /// The `CmApiCode` / `CuApiCode` / `CtApiCode` that names it; unique per carrier.
    pub api_code: i64,
    pub app_id: String,
    pub app_key: String,
}

impl std::fmt::Debug for CarrierAccountConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarrierAccountConfig")
            .field("tenant", &self.tenant)
            .field("api_code", &self.api_code)
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for TokenCarrierConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCarrierConfig")
            .field("url", &self.url)
            .field("app_id", &self.app_id)
            .field("accounts", &self.accounts)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CamaraConfig {
    /// The operator's base URL (`…/camara`).
    pub url: String,
    pub client_id: String,
    pub client_secret: String,
    /// Where the operator sends the device back with its code.
    pub redirect_uri: String,
    /// Send numbers to verify as SHA-256 hashes.
    #[serde(default)]
    pub hashed: bool,
}

impl std::fmt::Debug for CamaraConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CamaraConfig")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// The provider of the default route: `outbox` (development) or the name of
    /// one of `providers`.
    pub channel: String,
    /// Country calling codes a code may be sent to.
    pub allowed_countries: Vec<String>,
    /// Codes per number per hour and per day (`isv.BUSINESS_LIMIT_CONTROL`).
    pub hourly_cap: u32,
    pub daily_cap: u32,
    /// Defaults for a send that leaves them out.
    pub code_length: i64,
    pub valid_time_secs: i64,
    pub interval_secs: i64,
    /// Wrong checks after which a code is dead.
    pub max_check_attempts: u32,
    /// Offset from UTC, in hours, of the calendar that `SendDate` and the dates
    /// in send records use (Alibaba's is China Standard Time, +8).
    pub utc_offset_hours: i32,
    /// Days send records are kept for QuerySendDetails.
    pub record_retention_days: i64,
    /// The providers messages may go through, each under a unique name
    /// (`outbox`, the development channel, is always there).
    pub providers: Vec<SmsProviderConfig>,
    /// Which providers take a tenant's messages to a country, in priority order;
    /// the most specific route wins, and without one a message goes to `channel`.
    pub routes: Vec<SmsRouteConfig>,
    /// Tenant name → the URL its delivery reports are pushed to (Alibaba's
    /// `SmsReport` format, retried until the receiver answers `{"code":0}`).
    pub report_urls: std::collections::BTreeMap<String, String>,
    /// How long a dispatcher holds a message before another may take it (a node
    /// that died mid-delivery is noticed after this).
    pub lease_secs: u64,
    /// Anti-pumping (refusals are `isv.BUSINESS_LIMIT_CONTROL`): sends per number
    /// prefix (the national number without its last four digits) per fixed UTC
    /// clock hour. A send over it blocks the prefix for `prefix_block_hours`.
    pub prefix_hourly_cap: u32,
    pub prefix_block_hours: u32,
    /// Sends per country calling code per fixed UTC clock hour, per tenant.
    pub country_hourly_cap: u32,
    /// The conversion alarm: over the last `conversion_window_hours` (whole clock
    /// hours), a prefix with at least `conversion_min_volume` sends of which
    /// fewer than `conversion_threshold` (0 to 1; 0 turns the alarm off) were
    /// verified is throttled to `throttled_prefix_hourly_cap` (or
    /// `prefix_hourly_cap` if that is lower).
    pub conversion_window_hours: u32,
    pub conversion_min_volume: u32,
    pub conversion_threshold: f64,
    pub throttled_prefix_hourly_cap: u32,
    /// Messages per tenant per calendar day (at `utc_offset_hours`), refused past
    /// it with `isv.DAY_LIMIT_CONTROL`; `tenant_budgets` overrides it by tenant
    /// name (0 there: that tenant sends no SMS).
    pub daily_budget: u32,
    pub tenant_budgets: BTreeMap<String, u32>,
}

impl SmsConfig {
    /// The daily budget of the tenant of that name.
    pub fn budget_of(&self, tenant: &str) -> u32 {
        self.tenant_budgets
            .get(tenant)
            .copied()
            .unwrap_or(self.daily_budget)
    }
}

/// A provider of `[[sms.providers]]`, by `kind`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SmsProviderConfig {
    /// An SMS centre over SMPP 3.4: transceiver binds with windows; receipts and
    /// upstream messages come back over the binds.
    Smpp(numgate_sms::smpp::SmppConfig),
    /// An SMS provider's HTTP API: signed JSON sends, signed receipt callbacks
    /// to `/sms/v1/providers/{name}/receipts`.
    Http(numgate_sms::HttpProviderConfig),
    /// Another development outbox under a name of its own (for tests of routes).
    Outbox { name: String },
}

impl SmsProviderConfig {
    pub fn name(&self) -> &str {
        match self {
            Self::Smpp(c) => &c.name,
            Self::Http(c) => &c.name,
            Self::Outbox { name } => name,
        }
    }
}

/// A route of `[[sms.routes]]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SmsRouteConfig {
    /// The tenant's name; unset: every tenant.
    #[serde(default)]
    pub tenant: Option<String>,
    /// The country calling code; unset: every country.
    #[serde(default)]
    pub country: Option<String>,
    /// Provider names, tried in this order.
    pub providers: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("numgate-data"),
            database_url: None,
            database_max_connections: 16,
            master_key: None,
            master_key_file: None,
            log_format: LogFormat::Text,
            max_body_bytes: 64 * 1024,
            sms: SmsConfig::default(),
            fusion: FusionConfig::default(),
            console: ConsoleConfig::default(),
            carriers: CarriersConfig::default(),
            billing: BillingConfig::default(),
        }
    }
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            channel: "outbox".into(),
            allowed_countries: vec!["86".into()],
            hourly_cap: 5,
            daily_cap: 10,
            code_length: 6,
            valid_time_secs: 300,
            interval_secs: 60,
            max_check_attempts: 5,
            utc_offset_hours: 8,
            record_retention_days: 30,
            providers: Vec::new(),
            routes: Vec::new(),
            report_urls: Default::default(),
            lease_secs: 30,
            prefix_hourly_cap: 100,
            prefix_block_hours: 12,
            country_hourly_cap: 10_000,
            conversion_window_hours: 24,
            conversion_min_volume: 200,
            conversion_threshold: 0.05,
            throttled_prefix_hourly_cap: 10,
            daily_budget: 10_000,
            tenant_budgets: BTreeMap::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration: {0}")]
    Invalid(String),
}

/// Whether an environment variable (without `NUMGATE_`) names a key of [`Config`].
/// Others with the prefix (`NUMGATE_TEST_DATABASE_URL`, `NUMGATE_VENV`) belong to
/// tools and tests, not to the server.
fn is_config_key(key: &str) -> bool {
    const TOP: [&str; 13] = [
        "listen",
        "data_dir",
        "database_url",
        "database_max_connections",
        "master_key",
        "master_key_file",
        "log_format",
        "max_body_bytes",
        "sms",
        "carriers",
        "fusion",
        "console",
        "billing",
    ];
    let key = key.to_ascii_lowercase();
    let first = key.split("__").next().unwrap_or_default();
    let nested = ["sms", "carriers", "fusion", "console", "billing"];
    TOP.contains(&first) && (!nested.contains(&first) || key.starts_with(&format!("{first}__")))
}

impl Config {
    /// Defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = file {
            if !f.exists() {
                return Err(ConfigError::Invalid(format!(
                    "config file {} does not exist",
                    f.display()
                )));
            }
            fig = fig.merge(Toml::file(f));
        }
        let cfg: Config = fig
            .merge(
                Env::prefixed("NUMGATE_")
                    .filter(|k| is_config_key(k.as_str()))
                    .split("__"),
            )
            .extract()
            .map_err(Box::new)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Where the store lives: `database_url`, or the SQLite file in `data_dir`.
    pub fn store_location(&self) -> StoreLocation {
        match &self.database_url {
            Some(url) => StoreLocation::parse(url),
            None => StoreLocation::Sqlite(self.data_dir.join("numgate.db")),
        }
    }

    /// Whether several nodes may share the store (PostgreSQL).
    pub fn is_shared_store(&self) -> bool {
        matches!(self.store_location(), StoreLocation::Postgres(_))
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |s: &str| Err(ConfigError::Invalid(s.to_owned()));
        let bad_owned = |s: String| Err(ConfigError::Invalid(s));
        if self.is_shared_store() && self.master_key.is_none() && self.master_key_file.is_none() {
            return bad(
                "with a PostgreSQL database every node needs the same master key: \
                 set master_key (NUMGATE_MASTER_KEY) or master_key_file",
            );
        }
        let b = &self.billing;
        if [
            b.one_click_price,
            b.number_check_price,
            b.sms_price,
            b.fusion_price,
        ]
        .iter()
        .any(|p| *p > 100_000_000)
        {
            return bad("billing prices are in 1/10000 yuan and at most 100000000 (10000 yuan)");
        }
        let s = &self.sms;
        let mut names = std::collections::HashSet::from(["outbox"]);
        for p in &s.providers {
            let name = p.name();
            let well_formed = !name.is_empty()
                && name.len() <= 64
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !well_formed {
                return bad("sms.providers: each name must be 1 to 64 letters, digits, - or _");
            }
            if !names.insert(name) {
                return bad_owned(format!("sms.providers: the name {name:?} is taken"));
            }
            let invalid = match p {
                SmsProviderConfig::Http(c) => c.validate().err().map(|e| e.to_string()),
                SmsProviderConfig::Smpp(c) => c.validate().err().map(|e| e.to_string()),
                SmsProviderConfig::Outbox { .. } => None,
            };
            if let Some(e) = invalid {
                return bad_owned(format!("sms.providers.{name}: {e}"));
            }
        }
        if !names.contains(s.channel.as_str()) {
            return bad_owned(format!(
                "sms.channel: {:?} is neither \"outbox\" nor a provider of sms.providers",
                s.channel
            ));
        }
        for r in &s.routes {
            if r.providers.is_empty() {
                return bad("sms.routes: each route needs at least one provider");
            }
            if let Some(p) = r.providers.iter().find(|p| !names.contains(p.as_str())) {
                return bad_owned(format!("sms.routes: no provider is named {p:?}"));
            }
            if let Some(c) = &r.country {
                let digits = !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit());
                if !digits || numgate_domain::CountryCode::parse(c).is_err() {
                    return bad("sms.routes: country must be a calling code such as \"86\"");
                }
            }
            if r.tenant.as_deref() == Some("") {
                return bad("sms.routes: tenant must not be empty");
            }
        }
        for (tenant, url) in &s.report_urls {
            // This build's HTTP client has no TLS: an https:// URL would fail
            // every push, quietly, for three days. Refuse it now.
            if !url.starts_with("http://") {
                return bad_owned(format!(
                    "sms.report_urls.{tenant}: the URL must start with http:// \
                     (this build has no TLS client; reach an https:// receiver through a proxy)"
                ));
            }
        }
        if s.lease_secs == 0 || s.lease_secs > 3600 {
            return bad("sms.lease_secs must be 1 to 3600");
        }
        if !(4..=8).contains(&s.code_length) {
            return bad("sms.code_length must be 4 to 8");
        }
        if s.valid_time_secs < 60 || s.valid_time_secs > 86_400 {
            return bad("sms.valid_time_secs must be 60 to 86400");
        }
        if s.interval_secs < 0 || s.interval_secs > 86_400 {
            return bad("sms.interval_secs must be 0 to 86400");
        }
        if s.max_check_attempts == 0 || s.max_check_attempts > 20 {
            return bad("sms.max_check_attempts must be 1 to 20");
        }
        if s.hourly_cap == 0 || s.daily_cap == 0 {
            return bad("sms.hourly_cap and sms.daily_cap must be at least 1");
        }
        if !(-12..=14).contains(&s.utc_offset_hours) {
            return bad("sms.utc_offset_hours must be -12 to 14");
        }
        if s.record_retention_days < 1 {
            return bad("sms.record_retention_days must be at least 1");
        }
        const MILLION: u32 = 1_000_000;
        if !(1..=MILLION).contains(&s.prefix_hourly_cap) {
            return bad("sms.prefix_hourly_cap must be 1 to 1000000");
        }
        if !(1..=MILLION).contains(&s.throttled_prefix_hourly_cap) {
            return bad("sms.throttled_prefix_hourly_cap must be 1 to 1000000");
        }
        if !(1..=720).contains(&s.prefix_block_hours) {
            return bad("sms.prefix_block_hours must be 1 to 720 (30 days)");
        }
        if !(1..=100 * MILLION).contains(&s.country_hourly_cap) {
            return bad("sms.country_hourly_cap must be 1 to 100000000");
        }
        if !(1..=168).contains(&s.conversion_window_hours) {
            return bad("sms.conversion_window_hours must be 1 to 168 (7 days)");
        }
        if s.conversion_min_volume == 0 {
            return bad("sms.conversion_min_volume must be at least 1");
        }
        if !(0.0..=1.0).contains(&s.conversion_threshold) {
            return bad("sms.conversion_threshold must be 0 (off) to 1: verified codes / sends");
        }
        if !(1..=1000 * MILLION).contains(&s.daily_budget) {
            return bad("sms.daily_budget must be 1 to 1000000000");
        }
        for (tenant, budget) in &s.tenant_budgets {
            if *budget > 1000 * MILLION {
                return bad_owned(format!(
                    "sms.tenant_budgets.{tenant} must be 0 (no SMS) to 1000000000"
                ));
            }
        }
        for c in &s.allowed_countries {
            if numgate_domain::CountryCode::parse(c).is_err() {
                return bad("sms.allowed_countries: each must be a calling code such as \"86\"");
            }
        }
        let urls = [&self.carriers.cm, &self.carriers.cu, &self.carriers.ct]
            .into_iter()
            .flatten()
            .map(|c| c.url.as_str())
            .chain(self.carriers.camara.iter().map(|c| c.url.as_str()));
        for url in urls {
            if !url.starts_with("http://") && !url.starts_with("https://") {
                return bad("carriers: every url must start with http:// or https://");
            }
        }
        for (name, c) in [
            ("cm", &self.carriers.cm),
            ("cu", &self.carriers.cu),
            ("ct", &self.carriers.ct),
        ] {
            let Some(c) = c else { continue };
            let mut codes = std::collections::HashSet::new();
            for a in &c.accounts {
                if a.api_code < 0 {
                    return bad_owned(format!(
                        "carriers.{name}.accounts: api_code must not be negative"
                    ));
                }
                if !codes.insert(a.api_code) {
                    return bad_owned(format!(
                        "carriers.{name}.accounts: api_code {} is given twice",
                        a.api_code
                    ));
                }
                if a.tenant.trim().is_empty() || a.app_id.trim().is_empty() || a.app_key.is_empty()
                {
                    return bad_owned(format!(
                        "carriers.{name}.accounts: api_code {} needs a tenant, an app_id and an app_key",
                        a.api_code
                    ));
                }
            }
        }
        let c = &self.console;
        if !(60..=86_400).contains(&c.session_idle_secs) {
            return bad("console.session_idle_secs must be 60 to 86400");
        }
        if !(c.session_idle_secs..=30 * 86_400).contains(&c.session_max_secs) {
            return bad("console.session_max_secs must be session_idle_secs to 2592000");
        }
        if !(1..=100).contains(&c.max_failures) {
            return bad("console.max_failures must be 1 to 100");
        }
        if !(1..=86_400).contains(&c.lockout_secs) {
            return bad("console.lockout_secs must be 1 to 86400");
        }
        if !(1..=10_000).contains(&c.ip_max_failures) {
            return bad("console.ip_max_failures must be 1 to 10000");
        }
        if !(60..=86_400).contains(&c.ip_window_secs) {
            return bad("console.ip_window_secs must be 60 to 86400");
        }
        let f = &self.fusion;
        if !(3..=21).contains(&f.service_number.len())
            || !f.service_number.bytes().all(|b| b.is_ascii_digit())
        {
            return bad("fusion.service_number must be 3 to 21 digits");
        }
        if !(60..=3600).contains(&f.session_secs) {
            return bad("fusion.session_secs must be 60 to 3600");
        }
        if !(60..=3600).contains(&f.verify_token_secs) {
            return bad("fusion.verify_token_secs must be 60 to 3600");
        }
        if self
            .carriers
            .timeout_ms
            .is_some_and(|t| !(100..=60_000).contains(&t))
        {
            return bad("carriers.timeout_ms must be 100 to 60000");
        }
        if !(1..=1000).contains(&self.database_max_connections) {
            return bad("database_max_connections must be 1 to 1000");
        }
        if self.max_body_bytes < 1024 {
            return bad("max_body_bytes must be at least 1024");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_toml_file_overrides_defaults_and_unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("n.toml");
        std::fs::write(&f, "listen = \"127.0.0.1:9999\"\n[sms]\nhourly_cap = 7\n").unwrap();
        let c = Config::load(Some(&f)).unwrap();
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.sms.hourly_cap, 7);
        assert_eq!(c.sms.daily_cap, 10);
        std::fs::write(&f, "lisen = \"127.0.0.1:9999\"\n").unwrap();
        assert!(Config::load(Some(&f)).is_err());
        std::fs::write(&f, "[sms]\ncode_length = 12\n").unwrap();
        assert!(Config::load(Some(&f)).is_err());
        std::fs::write(
            &f,
            "[carriers.cm]\nurl = \"http://127.0.0.1:9100\"\napp_id = \"300011\"\napp_key = \"k\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&f)).unwrap();
        assert_eq!(c.carriers.cm.as_ref().unwrap().app_id, "300011");
        assert!(!format!("{:?}", c.carriers).contains("app_key: \"k\""));
        std::fs::write(
            &f,
            "[carriers.cm]\nurl = \"ftp://x\"\napp_id = \"a\"\napp_key = \"k\"\n",
        )
        .unwrap();
        assert!(Config::load(Some(&f)).is_err());
    }

    #[test]
    fn the_billing_price_list_and_refused_tenants_are_read_and_checked() {
        use numgate_domain::stats::Method;
        let d = Config::default().billing;
        assert_eq!(
            Method::ALL.map(|m| d.price(m)),
            [300, 200, 450, 600],
            "Alibaba's prices in 1/10000 yuan"
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("n.toml");
        std::fs::write(
            &f,
            "[billing]\nsms_price = 400\nrefuse_when_empty = [\"acme\"]\n",
        )
        .unwrap();
        let c = Config::load(Some(&f)).unwrap();
        assert_eq!(c.billing.price(Method::Sms), 400);
        assert_eq!(c.billing.price(Method::OneClick), 300);
        assert_eq!(c.billing.refuse_when_empty, vec!["acme".to_owned()]);
        std::fs::write(&f, "[billing]\nfusion_price = 100000001\n").unwrap();
        assert!(Config::load(Some(&f)).is_err());
        std::fs::write(&f, "[billing]\nsms_price = 0.045\n").unwrap();
        assert!(Config::load(Some(&f)).is_err(), "prices are integers");
        std::fs::write(&f, "[billing]\nprice = 1\n").unwrap();
        assert!(Config::load(Some(&f)).is_err());
    }

    #[test]
    fn sms_providers_routes_and_report_urls_are_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("n.toml");
        let providers = "[[sms.providers]]\nkind = \"outbox\"\nname = \"spare\"\n";
        std::fs::write(
            &f,
            format!(
                "[sms]\nchannel = \"spare\"\n[sms.report_urls]\nacme = \"http://127.0.0.1:9/r\"\n\
                 {providers}[[sms.routes]]\ntenant = \"acme\"\ncountry = \"86\"\n\
                 providers = [\"spare\", \"outbox\"]\n"
            ),
        )
        .unwrap();
        let c = Config::load(Some(&f)).unwrap();
        assert_eq!(c.sms.providers[0].name(), "spare");
        assert_eq!(c.sms.routes[0].providers, ["spare", "outbox"]);
        assert_eq!(c.sms.report_urls["acme"], "http://127.0.0.1:9/r");
        for (bad, says) in [
            ("[sms]\nchannel = \"smsc\"\n".to_owned(), "sms.channel"),
            (
                format!("{providers}[[sms.providers]]\nkind = \"outbox\"\nname = \"spare\"\n"),
                "is taken",
            ),
            (
                format!("{providers}[[sms.routes]]\nproviders = [\"nobody\"]\n"),
                "no provider",
            ),
            (
                "[[sms.routes]]\nproviders = []\n".to_owned(),
                "at least one provider",
            ),
            (
                "[[sms.routes]]\ncountry = \"+86\"\nproviders = [\"outbox\"]\n".to_owned(),
                "calling code",
            ),
            (
                "[sms.report_urls]\nacme = \"ftp://x\"\n".to_owned(),
                "report_urls.acme",
            ),
            (
                "[sms.report_urls]\nacme = \"https://acme.example/r\"\n".to_owned(),
                "no TLS client",
            ),
            (
                "[[sms.providers]]\nkind = \"outbox\"\nname = \"a b\"\n".to_owned(),
                "letters, digits",
            ),
        ] {
            std::fs::write(&f, &bad).unwrap();
            let e = Config::load(Some(&f)).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn sms_guards_are_read_and_their_ranges_checked() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("n.toml");
        std::fs::write(
            &f,
            "[sms]\ndaily_budget = 300\n[sms.tenant_budgets]\nacme = 500\n",
        )
        .unwrap();
        let c = Config::load(Some(&f)).unwrap();
        assert_eq!(c.sms.budget_of("acme"), 500);
        assert_eq!(c.sms.budget_of("other"), 300);
        assert_eq!(c.sms.prefix_hourly_cap, 100);
        assert_eq!(c.sms.prefix_block_hours, 12);
        for (bad, says) in [
            ("prefix_hourly_cap = 0", "sms.prefix_hourly_cap"),
            (
                "throttled_prefix_hourly_cap = 0",
                "sms.throttled_prefix_hourly_cap",
            ),
            ("prefix_block_hours = 0", "sms.prefix_block_hours"),
            ("country_hourly_cap = 0", "sms.country_hourly_cap"),
            (
                "conversion_window_hours = 169",
                "sms.conversion_window_hours",
            ),
            ("conversion_min_volume = 0", "sms.conversion_min_volume"),
            ("conversion_threshold = 1.5", "sms.conversion_threshold"),
            ("conversion_threshold = -0.1", "sms.conversion_threshold"),
            ("daily_budget = 0", "sms.daily_budget"),
            (
                "[sms.tenant_budgets]\nacme = 2000000000",
                "sms.tenant_budgets.acme",
            ),
        ] {
            std::fs::write(&f, format!("[sms]\n{bad}\n")).unwrap();
            let e = Config::load(Some(&f)).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn console_settings_are_read_and_their_ranges_checked() {
        let c = Config::default();
        assert!(
            c.console.secure_cookies,
            "cookies are Secure unless turned off"
        );
        assert_eq!((c.console.max_failures, c.console.lockout_secs), (5, 900));
        assert_eq!(
            (c.console.ip_max_failures, c.console.ip_window_secs),
            (20, 900)
        );
        assert!(c.console.trusted_proxies.is_empty());
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("n.toml");
        std::fs::write(
            &f,
            "[console]\nsecure_cookies = false\nsession_idle_secs = 600\n",
        )
        .unwrap();
        let c = Config::load(Some(&f)).unwrap();
        assert!(!c.console.secure_cookies);
        assert_eq!(c.console.session_idle_secs, 600);
        std::fs::write(
            &f,
            "[console]\nip_max_failures = 50\ntrusted_proxies = [\"10.0.0.1\", \"::1\"]\n",
        )
        .unwrap();
        let c = Config::load(Some(&f)).unwrap();
        assert_eq!(c.console.ip_max_failures, 50);
        assert_eq!(
            c.console.trusted_proxies,
            [
                "10.0.0.1".parse::<std::net::IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        for (bad, says) in [
            ("session_idle_secs = 10", "console.session_idle_secs"),
            ("session_max_secs = 60", "console.session_max_secs"),
            ("max_failures = 0", "console.max_failures"),
            ("lockout_secs = 0", "console.lockout_secs"),
            ("ip_max_failures = 0", "console.ip_max_failures"),
            ("ip_window_secs = 86401", "console.ip_window_secs"),
            ("trusted_proxies = [\"proxy\"]", "trusted_proxies"),
            ("cookie_name = \"x\"", "cookie_name"),
        ] {
            std::fs::write(&f, format!("[console]\n{bad}\n")).unwrap();
            let e = Config::load(Some(&f)).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn tenants_carrier_accounts_are_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("n.toml");
        let cm = "[carriers.cm]\nurl = \"http://127.0.0.1:9100\"\napp_id = \"300011\"\napp_key = \"k\"\n";
        let account = |code: i64, tenant: &str| {
            format!("[[carriers.cm.accounts]]\ntenant = \"{tenant}\"\napi_code = {code}\napp_id = \"a{code}\"\napp_key = \"secret-{code}\"\n")
        };
        std::fs::write(
            &f,
            format!("{cm}{}{}", account(1, "acme"), account(2, "other")),
        )
        .unwrap();
        let c = Config::load(Some(&f)).unwrap();
        let accounts = &c.carriers.cm.as_ref().unwrap().accounts;
        assert_eq!(accounts.len(), 2);
        assert_eq!(
            (accounts[0].tenant.as_str(), accounts[0].api_code),
            ("acme", 1)
        );
        assert!(
            !format!("{c:?}").contains("secret-1"),
            "keys stay out of Debug"
        );
        for (bad, says) in [
            (
                format!("{cm}{}{}", account(1, "acme"), account(1, "other")),
                "given twice",
            ),
            (format!("{cm}{}", account(-3, "acme")), "negative"),
            (format!("{cm}{}", account(4, " ")), "needs a tenant"),
        ] {
            std::fs::write(&f, bad).unwrap();
            let e = Config::load(Some(&f)).unwrap_err().to_string();
            assert!(
                e.contains(says) && e.contains("carriers.cm.accounts"),
                "{e}"
            );
        }
    }
}
