//! The records of the store and the inputs and outcomes of its operations.
//! Times are Unix milliseconds ([`Millis`]).

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
    pub approved: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsTemplate {
    pub tenant_id: i64,
    pub code: String,
    pub name: String,
    /// The text, with `${name}` variables.
    pub content: String,
    pub complimentary: bool,
    pub approved: bool,
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Sent,
    /// A code went to this number within the interval.
    TooSoon,
    HourlyCapReached,
    DailyCapReached,
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryResult {
    Delivered,
    Failed { err_code: String },
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
}

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
