//! The records of the store and the inputs and outcomes of its operations.
//! Times are Unix milliseconds ([`Millis`]).

use crate::catalog::{OwnerDetails, ReviewStatus, ReviewTrail};
use numgate_domain::clock::Millis;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: i64,
    pub name: String,
    pub created_at: Millis,
}

#[derive(Clone)]
pub struct NewAccessKey {
    pub id: String,
    pub tenant_id: i64,
    /// The secret sealed with the master key (nonce and ciphertext).
    pub sealed_secret: Vec<u8>,
    pub created_at: Millis,
}

#[derive(Clone, PartialEq, Eq)]
pub struct AccessKeyRecord {
    pub id: String,
    pub tenant_id: i64,
    pub sealed_secret: Vec<u8>,
    pub enabled: bool,
    pub created_at: Millis,
    pub last_used_at: Option<Millis>,
}

impl std::fmt::Debug for AccessKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeyRecord")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsSignature {
    pub tenant_id: i64,
    pub name: String,
    /// Complimentary signatures come with every tenant and may be used only with
    /// complimentary templates.
    pub complimentary: bool,
    /// `status == Approved`: only an approved signature sends.
    pub approved: bool,
    pub status: ReviewStatus,
    /// `own` or `others` (custom signatures).
    pub purpose: Option<String>,
    pub owner: OwnerDetails,
    pub review: ReviewTrail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsTemplate {
    pub tenant_id: i64,
    pub code: String,
    pub name: String,
    /// The text, with `${name}` variables.
    pub content: String,
    pub complimentary: bool,
    /// `status == Approved`: only an approved template sends.
    pub approved: bool,
    pub status: ReviewStatus,
    /// Alibaba's TemplateType (custom templates): 0 verification code,
    /// 1 notification, 2 promotion, 3 international.
    pub template_type: Option<i32>,
    pub remark: Option<String>,
    pub review: ReviewTrail,
}

/// Identifies whose code it is: a number within a tenant's scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeKey {
    pub tenant_id: i64,
    pub scheme: String,
    pub country_code: String,
    /// National number, digits only.
    pub phone: String,
}

/// A code to store and send, with the limits that apply to this send.
#[derive(Clone)]
pub struct NewCode {
    pub key: CodeKey,
    /// HMAC of the code exactly as generated.
    pub code_hash: Vec<u8>,
    /// HMAC of the code with letters folded to upper case.
    pub code_hash_folded: Vec<u8>,
    pub now: Millis,
    pub expires_at: Millis,
    /// Refuse (`TooSoon`) if a code was sent to this key less than this long ago.
    pub interval_ms: i64,
    /// Refuse if this many codes were sent to this number (any scheme of the
    /// tenant) in the last hour / day.
    pub hourly_cap: u32,
    pub daily_cap: u32,
    /// `DuplicatePolicy` 1: the number's older live codes stop being valid.
    pub replace_older: bool,
    pub biz_id: String,
    pub out_id: Option<String>,
    pub sign_name: String,
    pub template_code: String,
    /// The message with the code masked: what send records show.
    pub masked_content: String,
    /// The message to deliver, sealed with the master key.
    pub sealed_text: Vec<u8>,
    /// `AutoRetry`: whether a failed delivery is tried again.
    pub auto_retry: bool,
    /// `SmsUpExtendCode`: appended to the sender number, so that replies (upstream
    /// SMS) can be told apart.
    pub up_extend_code: Option<String>,
    /// The anti-pumping limits beyond the number's own.
    pub guards: SendGuards,
}

/// An hour in milliseconds: the counters of [`SendGuards`] are per fixed UTC clock
/// hour (`hour_start = now - now % HOUR_MS`), not rolling windows.
pub const HOUR_MS: Millis = 3_600_000;
/// A day in milliseconds.
pub const DAY_MS: Millis = 24 * HOUR_MS;

/// The anti-pumping limits of one send, applied in its transaction after the
/// number's interval and caps. Prefixes are [`sms_prefix`] of the national number,
/// per tenant and country.
///
/// - Hourly caps count the sends of the current fixed UTC clock hour: a burst that
///   straddles the turn of an hour may send up to twice a cap within 60 minutes.
/// - A send that would exceed its prefix's cap is refused and blocks the prefix
///   for `prefix_block_ms`: every send to it is refused until then.
/// - The conversion rate of a prefix is codes verified ÷ sent over the fixed hours
///   that start within the last `conversion_window_ms` (the current hour
///   included); with at least `conversion_min_volume` sends and a rate below
///   `conversion_threshold` the prefix is throttled: its cap is
///   `throttled_prefix_hourly_cap` (exceeding it blocks the prefix too).
/// - The tenant's budget counts sends per calendar day at `utc_offset_ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct SendGuards {
    pub prefix_hourly_cap: u32,
    pub throttled_prefix_hourly_cap: u32,
    pub prefix_block_ms: Millis,
    pub country_hourly_cap: u32,
    pub conversion_window_ms: Millis,
    pub conversion_min_volume: u32,
    /// 0 turns the throttle off (no rate is below it).
    pub conversion_threshold: f64,
    pub daily_budget: u32,
    /// The offset from UTC of the budget's calendar.
    pub utc_offset_ms: Millis,
}

impl SendGuards {
    /// No limit that a test or a tool would reach (the counters still count).
    pub fn unlimited() -> Self {
        Self {
            prefix_hourly_cap: u32::MAX,
            throttled_prefix_hourly_cap: u32::MAX,
            prefix_block_ms: 0,
            country_hourly_cap: u32::MAX,
            conversion_window_ms: HOUR_MS,
            conversion_min_volume: u32::MAX,
            conversion_threshold: 0.0,
            daily_budget: u32::MAX,
            utc_offset_ms: 0,
        }
    }

    /// Whether `verified` of `sent` is a conversion low enough to throttle.
    pub fn throttles(&self, sent: u64, verified: u64) -> bool {
        sent > 0
            && sent >= u64::from(self.conversion_min_volume)
            && (verified as f64) < self.conversion_threshold * sent as f64
    }

    /// The start (UTC) of the budget day that `now` falls in.
    pub fn day_start(&self, now: Millis) -> Millis {
        (now + self.utc_offset_ms).div_euclid(DAY_MS) * DAY_MS - self.utc_offset_ms
    }
}

/// The start of the fixed UTC clock hour that `at` falls in.
pub fn hour_start(at: Millis) -> Millis {
    at - at.rem_euclid(HOUR_MS)
}

/// A number's prefix for the anti-pumping limits: the national number without its
/// last four digits (empty for a number of four digits or fewer).
pub fn sms_prefix(national: &str) -> &str {
    let cut = national.char_indices().rev().nth(3).map_or(0, |(i, _)| i);
    &national[..cut]
}

/// A prefix refused until `until` (exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixBlock {
    pub tenant_id: i64,
    pub country_code: String,
    pub prefix: String,
    pub blocked_at: Millis,
    pub until: Millis,
    /// Whether the cap exceeded was the conversion throttle's.
    pub throttled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Sent,
    /// Sent, while the prefix is throttled for its low conversion rate.
    SentThrottled,
    /// A code went to this number within the interval.
    TooSoon,
    HourlyCapReached,
    DailyCapReached,
    /// The prefix is blocked (by an earlier send) until then.
    PrefixBlocked {
        until: Millis,
    },
    /// The send would exceed the prefix's hourly cap (the throttled one if
    /// `throttled`): refused, and the prefix is now blocked until then.
    PrefixCapReached {
        throttled: bool,
        until: Millis,
    },
    CountryCapReached,
    /// The tenant's messages of the day are used up.
    DailyBudgetReached,
}

#[derive(Clone)]
pub struct CodeCheck {
    pub key: CodeKey,
    /// The HMAC to match: of the exact code, or of the folded code.
    pub code_hash: Vec<u8>,
    /// Whether `code_hash` is to be compared with the folded hashes.
    pub folded: bool,
    pub now: Millis,
    /// A code with this many wrong attempts is dead.
    pub max_attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// A live code matched and is now used.
    Pass { out_id: Option<String> },
    /// Nothing matched (wrong, expired, used, dead or unknown alike).
    NoMatch,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendQuery {
    pub tenant_id: i64,
    pub country_code: String,
    pub phone: String,
    pub biz_id: Option<String>,
    /// Records sent in `[from, to)`.
    pub from: Millis,
    pub to: Millis,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
}

/// What QuerySendDetails reports of one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRecord {
    pub biz_id: String,
    pub country_code: String,
    pub phone: String,
    pub status: SendStatus,
    pub err_code: Option<String>,
    pub template_code: String,
    pub content: String,
    pub sent_at: Millis,
    pub received_at: Option<Millis>,
    pub out_id: Option<String>,
}

/// The `SendStatus` numbers of QuerySendDetails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendStatus {
    Waiting = 1,
    Failed = 2,
    Delivered = 3,
}

impl SendStatus {
    pub fn from_i64(v: i64) -> Self {
        match v {
            2 => Self::Failed,
            3 => Self::Delivered,
            _ => Self::Waiting,
        }
    }
}

#[derive(Clone)]
pub struct QueuedSms {
    pub id: i64,
    pub tenant_id: i64,
    pub biz_id: String,
    pub country_code: String,
    pub phone: String,
    pub sealed_text: Vec<u8>,
    /// How many times delivery was tried before this lease.
    pub attempts: u32,
    pub auto_retry: bool,
    pub up_extend_code: Option<String>,
    /// Which step of its route the message is at: the index (modulo the route's
    /// length) of the provider to hand it to. A redelivery after a crash stays
    /// with the same provider, so that provider's idempotency holds.
    pub route_step: u32,
}

/// Where a message went: recorded for receipts, delivery reports and billing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The provider's configured name.
    pub provider: String,
    /// The provider's id of the message, if it gives one.
    pub provider_message_id: Option<String>,
    /// The forms a receipt may name that id by (see `numgate_sms::receipt_id_forms`).
    pub id_forms: Vec<String>,
    /// SMS segments the message took: what a delivered message is billed by.
    pub segments: u32,
    /// Whether the tenant wants its delivery report pushed.
    pub report: bool,
    /// The calendar day (`YYYY-MM-DD`, the send records' calendar) a delivery at
    /// this moment is billed to.
    pub day: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryResult {
    /// The channel delivered it at once (the outbox).
    Delivered(Delivery),
    /// The channel accepted it; a receipt will tell whether it arrived.
    Accepted(Delivery),
    /// No channel took it. `report`: whether the tenant wants the report pushed.
    Failed { err_code: String, report: bool },
}

/// A delivery receipt to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptUpdate {
    pub provider: String,
    /// The forms of the id the receipt names.
    pub id_forms: Vec<String>,
    pub delivered: bool,
    pub err_code: Option<String>,
    /// When the receipt was received.
    pub at: Millis,
    /// The calendar day `at` is billed to (`YYYY-MM-DD`).
    pub day: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptOutcome {
    /// The send record changed; `biz_id` is its BizId.
    Applied { tenant_id: i64, biz_id: String },
    /// The message's record was final already (a repeated receipt).
    Repeated,
    /// No accepted message has that id yet: the receipt is kept and applied
    /// when the message's acceptance is recorded (an SMSC may send the receipt
    /// before the dispatcher commits the submit's answer).
    Early,
}

/// A delivery report waiting to be pushed to its tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantReport {
    pub id: i64,
    pub tenant_id: i64,
    pub biz_id: String,
    pub country_code: String,
    pub phone: String,
    pub out_id: Option<String>,
    pub sent_at: Millis,
    pub report_at: Millis,
    pub success: bool,
    pub err_code: Option<String>,
    pub segments: u32,
    /// Pushes tried before this lease.
    pub attempts: u32,
}

/// Delivered SMS of one tenant on one day: what billing counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsUsage {
    pub day: String,
    pub messages: u64,
    pub segments: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The queue message it was delivered for.
    pub message_id: i64,
    pub tenant_id: i64,
    pub biz_id: String,
    /// Digits with the country code.
    pub phone: String,
    /// The message as delivered, sealed with the master key: even the
    /// development outbox keeps no code in clear in the database.
    pub sealed_text: Vec<u8>,
    pub status: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeCounts {
    pub nonces: u64,
    /// Used token ids past their token's expiry.
    pub tokens: u64,
    pub codes: u64,
    pub messages: u64,
    /// Send records older than the retention (QuerySendDetails looks back 30 days).
    pub records: u64,
    /// Outbox entries older than the send records kept.
    pub outbox: u64,
    /// Fusion-Auth scene sessions past their expiry.
    pub sessions: u64,
    /// Risk events older than the retention of the frequency rules.
    pub risk_events: u64,
    /// Fusion-Auth attempts older than the send records kept.
    pub attempts: u64,
    /// Inbound (MO) messages a day after their receipt.
    pub inbound: u64,
    /// Where messages went (and their provider ids), as old as the send records purged.
    pub deliveries: u64,
    /// Receipts for no known message and unacknowledged delivery reports, after three days.
    pub reports: u64,
    /// SMS guard counters (per prefix, country, budget day) older than
    /// [`SMS_COUNTER_RETENTION_MS`].
    pub sms_counters: u64,
    /// Prefix blocks that have run out.
    pub sms_blocks: u64,
    /// Console sign-in sessions past their idle timeout or expiry.
    pub console_sessions: u64,
    /// Failed sign-in windows of client addresses, a day after they started.
    pub sign_in_ips: u64,
}

/// How long the SMS guards' counters are kept: longer than the longest
/// conversion window (7 days).
pub const SMS_COUNTER_RETENTION_MS: Millis = 8 * DAY_MS;

/// A phone number verification scheme: a tenant's registration of one app (an
/// Android package and its signature, an iOS bundle, a HarmonyOS app or an H5 site)
/// for whom tokens are minted. Only the identity of its `os_type` is set; the
/// others are `None`.
///
/// Also what [`crate::Schemes::create_scheme`] takes ([`NewScheme`]): the caller
/// draws the code and seals the secret, the store keeps what it is given.
#[derive(Clone, PartialEq, Eq)]
pub struct SchemeRecord {
    /// `FC` and 15 digits; unique across tenants.
    pub code: String,
    pub tenant_id: i64,
    /// `SchemeName`: unique within the tenant.
    pub name: String,
    pub app_name: String,
    /// `Android`, `iOS`, `HarmonyOS` or `Web`.
    pub os_type: String,
    /// Android: package name and package signature (32 lower-case hex digits);
    /// the pair is unique within the tenant.
    pub pack_name: Option<String>,
    pub pack_sign: Option<String>,
    /// iOS: unique within the tenant.
    pub bundle_id: Option<String>,
    /// Web (H5): the page's URL and its origin; the pair is unique within the tenant.
    pub url: Option<String>,
    pub origin: Option<String>,
    /// HarmonyOS.
    pub hm_app_identifier: Option<String>,
    pub hm_package_name: Option<String>,
    pub hm_sign_name: Option<String>,
    /// `AuthType`: a comma list, e.g. `1,2`.
    pub auth_type: String,
    pub scene_type: Option<String>,
    pub sms_sign_name: Option<String>,
    /// Comma list of IPv4 addresses and CIDR blocks.
    pub ip_white_list: Option<String>,
    pub email: Option<String>,
    pub cm_api_code: Option<i64>,
    pub ct_api_code: Option<i64>,
    pub cu_api_code: Option<i64>,
    /// The scheme's own key material, sealed by the caller with the master key.
    pub sealed_secret: Vec<u8>,
    pub created_at: Millis,
}

/// A scheme to create: the record as it will be stored.
pub type NewScheme = SchemeRecord;

impl std::fmt::Debug for SchemeRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemeRecord")
            .field("code", &self.code)
            .field("tenant_id", &self.tenant_id)
            .field("name", &self.name)
            .field("os_type", &self.os_type)
            .finish_non_exhaustive()
    }
}

/// The outcome of creating a scheme: created, or which unique key was in the way.
/// Nothing is stored unless `Created`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateScheme {
    Created(Box<SchemeRecord>),
    /// The scheme code exists (in any tenant): draw another one.
    CodeTaken,
    /// The tenant has a scheme of that name.
    NameTaken,
    /// The tenant has a scheme for that Android package name and signature.
    PackSignTaken,
    /// The tenant has a scheme for that iOS bundle id.
    BundleIdTaken,
    /// The tenant has a scheme for that H5 URL and origin (the H5 flow finds its
    /// scheme by them, so they must name one scheme).
    UrlTaken,
}

/// The outcome of changing a scheme's name and app identity (of either kind, `R`
/// being its record): the record as now stored, or why nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateScheme<R> {
    Updated(Box<R>),
    /// The tenant has no scheme of that code.
    NotFound,
    /// Another scheme of the tenant has that name.
    NameTaken,
    /// Another scheme of the tenant is for that Android package name and signature.
    PackSignTaken,
    /// Another scheme of the tenant is for that iOS bundle id.
    BundleIdTaken,
    /// Another scheme of the tenant is for that H5 URL and origin.
    UrlTaken,
}

/// A Fusion-Auth scheme (`CreateSchemeConfig`): one app of a tenant that runs
/// Fusion-Auth scenes. Apart from the phone number verification schemes
/// ([`SchemeRecord`]): its own table, its own codes. Only the identity of its
/// `platform` is set; the others are `None`.
///
/// Also what [`crate::FusionSchemes::create_fusion_scheme`] takes
/// ([`NewFusionScheme`]): the caller draws the code, the store keeps what it is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FusionSchemeRecord {
    /// `SchemeCode`: unique across tenants.
    pub code: String,
    pub tenant_id: i64,
    /// `SchemeName`: unique within the tenant.
    pub name: String,
    /// `AppName`.
    pub app_name: String,
    /// `Platform`: `Android`, `iOS` or `Web`.
    pub platform: String,
    /// Android: `AndroidPackageName` and `AndroidPackageSign`; the pair is unique
    /// within the tenant.
    pub android_package_name: Option<String>,
    pub android_package_sign: Option<String>,
    /// iOS: `IosBundleId`, unique within the tenant.
    pub ios_bundle_id: Option<String>,
    /// Web: `H5Url` and `H5Origin`; the pair is unique within the tenant.
    pub h5_url: Option<String>,
    pub h5_origin: Option<String>,
    pub created_at: Millis,
}

/// A Fusion-Auth scheme to create: the record as it will be stored.
pub type NewFusionScheme = FusionSchemeRecord;

/// The outcome of creating a Fusion-Auth scheme: created, or which unique key was
/// in the way. Nothing is stored unless `Created`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateFusionScheme {
    Created(Box<FusionSchemeRecord>),
    /// The scheme code exists (in any tenant): draw another one.
    CodeTaken,
    /// The tenant has a Fusion-Auth scheme of that name.
    NameTaken,
    /// The tenant has a Fusion-Auth scheme for that Android package name and signature.
    PackSignTaken,
    /// The tenant has a Fusion-Auth scheme for that iOS bundle id.
    BundleIdTaken,
    /// The tenant has a Fusion-Auth scheme for that H5 URL and origin.
    UrlTaken,
}

// ---------------------------------------------------------------------------
// Fusion-Auth: policies, audit, scene sessions, risk, attempts, inbound SMS.
// ---------------------------------------------------------------------------

/// A Fusion-Auth policy: the graph a tenant set for one scene, globally or for
/// one scheme. The graph is JSON text the store keeps as it is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRecord {
    pub tenant_id: i64,
    /// The scene, e.g. 100001 (one-click logon).
    pub scene: i32,
    /// The scheme code it applies to; `None`: the tenant's global policy for the scene.
    pub scheme: Option<String>,
    pub graph: String,
    /// A scheme's policy: whether it follows the global one (until switched off).
    pub inherit: bool,
    /// Whether attempts under this policy are recorded in detail.
    pub logging: bool,
    /// 1 when first stored, one more with each change. Never repeats for one
    /// (tenant, scene, scheme), also across a restore to defaults: an editor who
    /// read version `v` can never overwrite a later state by passing `v`.
    pub version: i64,
    pub updated_at: Millis,
    pub updated_by: String,
}

/// What [`crate::Policies::put_policy`] stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutPolicy {
    pub tenant_id: i64,
    pub scene: i32,
    pub scheme: Option<String>,
    pub graph: String,
    pub inherit: bool,
    pub logging: bool,
    /// `None`: create or overwrite whatever is there. `Some(v)`: only if the stored
    /// policy's version is `v`, `Some(0)` only if there is none (never stored, or
    /// restored to defaults); otherwise `Conflict("policy version")`.
    pub expected_version: Option<i64>,
    /// Who changes it (a console user, `cli`, …): the policy's `updated_by` and
    /// the audit row's actor.
    pub actor: String,
    pub at: Millis,
}

/// One entry of the audit log: who did what to what, when, and the state before
/// and after (JSON, `None` where there was or is nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub tenant_id: i64,
    pub actor: String,
    /// What was done, `area.verb`: `policy.put`, `policy.delete`, …
    pub action: String,
    /// What it was done to, in words: `scene 100001`, `scene 100001 scheme FC…`.
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub at: Millis,
}

/// A stored [`AuditEntry`]: ids grow with each entry, so newer entries have larger ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub tenant_id: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub at: Millis,
}

/// A Fusion-Auth scene run to start: its server-side state.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSession {
    /// Chosen by the caller (random, unguessable); unique.
    pub id: String,
    pub tenant_id: i64,
    pub scheme: String,
    pub scene: i32,
    /// The state machine's state, JSON the store keeps as it is given.
    pub state: String,
    pub created_at: Millis,
    pub expires_at: Millis,
}

/// A live scene run, at one version of its state.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    pub tenant_id: i64,
    pub scheme: String,
    pub scene: i32,
    pub state: String,
    /// 1 when created, one more with each update: what an update must name.
    pub version: i64,
    pub created_at: Millis,
    pub expires_at: Millis,
}

// A session's id may be what its client presents to continue it, and its state
// may hold what must not leak (the text to send upstream, a CAPTCHA's binding):
// Debug leaves both out.
impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("tenant_id", &self.tenant_id)
            .field("scheme", &self.scheme)
            .field("scene", &self.scene)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("tenant_id", &self.tenant_id)
            .field("scheme", &self.scheme)
            .field("scene", &self.scene)
            .field("version", &self.version)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What a velocity count is kept by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RiskDimension {
    Device,
    Ip,
    Number,
}

impl RiskDimension {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Device => "device",
            Self::Ip => "ip",
            Self::Number => "number",
        }
    }
}

/// One attempt counted for the frequency rules.
#[derive(Clone, PartialEq, Eq)]
pub struct RiskEvent {
    pub tenant_id: i64,
    pub dimension: RiskDimension,
    /// The device id, address or number, hashed by the caller: the store only
    /// compares it.
    pub value: String,
    pub at: Millis,
}

impl std::fmt::Debug for RiskEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RiskEvent")
            .field("tenant_id", &self.tenant_id)
            .field("dimension", &self.dimension)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// How long risk events are kept: the longest window a frequency rule may look
/// back over ("more than N attempts in M minutes", M at most a day). Callers of
/// [`crate::Maintenance::purge`] pass `now - RISK_EVENT_RETENTION_MS` as
/// [`PurgeCutoffs::risk_events_before`], which [`PurgeCutoffs::new`] does.
pub const RISK_EVENT_RETENTION_MS: Millis = 24 * 3_600_000;

/// One Fusion-Auth attempt as recorded, to explain its outcome later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttempt {
    pub tenant_id: i64,
    pub scheme: String,
    pub scene: i32,
    pub session_id: String,
    /// The number, device id and client address as the caller chooses to keep
    /// them (the caller masks or hashes what must not be kept in clear).
    pub number: Option<String>,
    pub device_id: Option<String>,
    pub ip: Option<String>,
    /// `pass`, `refused`, `abandoned`, …
    pub outcome: String,
    pub endpoint_score: Option<i32>,
    pub number_score: Option<i32>,
    /// The rules that fired, JSON.
    pub fired_rules: String,
    /// The nodes the attempt went through, JSON.
    pub path: String,
    pub at: Millis,
}

/// The outcome that [`crate::Attempts::list_attempts`] picks with `refused_only`.
pub const OUTCOME_REFUSED: &str = "refused";

/// A recorded attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub id: i64,
    pub tenant_id: i64,
    pub scheme: String,
    pub scene: i32,
    pub session_id: String,
    pub number: Option<String>,
    pub device_id: Option<String>,
    pub ip: Option<String>,
    pub outcome: String,
    pub endpoint_score: Option<i32>,
    pub number_score: Option<i32>,
    pub fired_rules: String,
    pub path: String,
    pub at: Millis,
}

/// Where a page of attempts starts: after the attempt at `at` with `id`
/// (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptCursor {
    pub at: Millis,
    pub id: i64,
}

impl AttemptRecord {
    /// The cursor of the page after this attempt.
    pub fn cursor(&self) -> AttemptCursor {
        AttemptCursor {
            at: self.at,
            id: self.id,
        }
    }
}

/// Which of a tenant's lists a number is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListKind {
    /// Refused (or stepped up, as the policy says) whatever its scores.
    Block,
    /// Trusted: phone-number risk does not step it up.
    Allow,
}

impl ListKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::Allow => "allow",
        }
    }

    /// The kind named `block` or `allow`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "block" => Some(Self::Block),
            "allow" => Some(Self::Allow),
            _ => None,
        }
    }
}

/// A number on one of a tenant's lists; a number is on at most one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    pub tenant_id: i64,
    /// As the caller normalises it (E.164 digits without `+`).
    pub number: String,
    pub kind: ListKind,
    pub note: Option<String>,
    pub updated_at: Millis,
}

pub use numgate_domain::fusion::DEFAULT_SERVICE_NUMBER;

/// An upstream (MO) message as it arrived from the SMS centre.
#[derive(Clone, PartialEq, Eq)]
pub struct NewInbound {
    /// The sender: E.164 digits without `+`, e.g. `8613800000000`.
    pub from: String,
    /// The service number it was sent to.
    pub to: String,
    pub text: String,
    pub received_at: Millis,
}

/// A stored upstream message; `consumed_at` once it proved possession.
#[derive(Clone, PartialEq, Eq)]
pub struct InboundRecord {
    pub id: i64,
    pub from: String,
    pub to: String,
    pub text: String,
    pub received_at: Millis,
    pub consumed_at: Option<Millis>,
}

/// What [`crate::InboundSms::take_inbound`] looks for.
#[derive(Clone, PartialEq, Eq)]
pub struct InboundTake {
    pub from: String,
    pub to: String,
    /// Compared exactly: the caller normalises (case, spaces) alike on both sides.
    pub text: String,
    /// Only messages received at or after this.
    pub since: Millis,
    /// Recorded as the message's `consumed_at`.
    pub now: Millis,
}

// The texts are not codes, but a message is a user's words: Debug leaves them out.
impl std::fmt::Debug for NewInbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewInbound")
            .field("to", &self.to)
            .field("received_at", &self.received_at)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for InboundRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundRecord")
            .field("id", &self.id)
            .field("to", &self.to)
            .field("received_at", &self.received_at)
            .field("consumed_at", &self.consumed_at)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for InboundTake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundTake")
            .field("to", &self.to)
            .field("since", &self.since)
            .finish_non_exhaustive()
    }
}

/// The cut-offs of one purge: what is older than them (or expired at `now`) goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeCutoffs {
    /// Nonces, used tokens, codes (a day after expiry), scene sessions and
    /// inbound messages (a day after receipt) expire relative to this.
    pub now: Millis,
    /// Send records, outbox entries and Fusion-Auth attempts older than this go.
    pub records_before: Millis,
    /// Risk events older than this go.
    pub risk_events_before: Millis,
}

impl PurgeCutoffs {
    /// The cut-offs at `now`, with records kept from `records_before` on and
    /// risk events for [`RISK_EVENT_RETENTION_MS`].
    pub fn new(now: Millis, records_before: Millis) -> Self {
        Self {
            now,
            records_before,
            risk_events_before: now.saturating_sub(RISK_EVENT_RETENTION_MS),
        }
    }
}

/// The rollup row an attempt is counted in (see `numgate_domain::stats`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatKey {
    pub tenant_id: i64,
    pub method: numgate_domain::stats::Method,
    /// `YYYY-MM-DD` ([`numgate_domain::stats::Day::iso`]).
    pub day: String,
    /// The scheme code (the SchemeName for SMS, whose sends name no code).
    pub scheme: String,
    /// A Fusion-Auth scene code; empty for the other methods.
    pub scene: String,
    /// One of `numgate_domain::stats::OS_TYPES` or `unknown`.
    pub os_type: String,
}

/// Which attempts a statistics query adds up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatFilter {
    pub method: numgate_domain::stats::Method,
    pub os_type: Option<String>,
    pub scheme: Option<String>,
    pub scene: Option<String>,
}

impl StatFilter {
    pub fn method(method: numgate_domain::stats::Method) -> Self {
        Self {
            method,
            os_type: None,
            scheme: None,
            scene: None,
        }
    }
}

/// One day's attempts of a statistics query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayStats {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub success: u64,
    pub fail: u64,
    pub unknown: u64,
}

/// The statistics key of an SMS send at `now` (its day in the budget's calendar).
pub fn sms_stat_key(key: &CodeKey, now: Millis, utc_offset_ms: Millis) -> StatKey {
    use numgate_domain::stats::{Day, Method, OS_UNKNOWN};
    StatKey {
        tenant_id: key.tenant_id,
        method: Method::Sms,
        day: Day::of(now, utc_offset_ms).iso(),
        scheme: key.scheme.clone(),
        scene: String::new(),
        os_type: OS_UNKNOWN.to_owned(),
    }
}

/// A resource plan to add: `total` verifications of a method, valid in
/// `[valid_from, valid_until)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    pub tenant_id: i64,
    pub method: numgate_domain::stats::Method,
    pub total: u64,
    pub valid_from: Millis,
    pub valid_until: Millis,
    pub created_at: Millis,
}

/// A stored resource plan and how much of it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRecord {
    pub id: i64,
    pub tenant_id: i64,
    pub method: numgate_domain::stats::Method,
    pub total: u64,
    pub used: u64,
    pub valid_from: Millis,
    pub valid_until: Millis,
    pub created_at: Millis,
}

/// Successes to charge: taken from the tenant's plans of the method valid at
/// `now` (the one that runs out first, first), the rest paid as you go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub tenant_id: i64,
    pub method: numgate_domain::stats::Method,
    /// `YYYY-MM`: the month of the bill.
    pub month: String,
    pub scheme: String,
    pub scene: String,
    pub units: u64,
    pub now: Millis,
}

/// How a charge was covered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Charged {
    pub plan_units: u64,
    pub paid_units: u64,
}

/// A month's charged units of one method, scheme and scene.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    pub method: numgate_domain::stats::Method,
    pub scheme: String,
    pub scene: String,
    pub plan_units: u64,
    pub paid_units: u64,
}

/// The charge of a delivered SMS: its segments, in the month of `day`
/// (`YYYY-MM-DD`), against plans valid at `at`.
pub fn sms_charge(
    tenant_id: i64,
    scheme: Option<String>,
    day: &str,
    segments: u32,
    at: Millis,
) -> Charge {
    Charge {
        tenant_id,
        method: numgate_domain::stats::Method::Sms,
        month: day.get(..7).unwrap_or(day).to_owned(),
        scheme: scheme.unwrap_or_default(),
        scene: String::new(),
        units: u64::from(segments),
        now: at,
    }
}
