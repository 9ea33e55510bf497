//! numgate's storage: the traits the service is written against, and their backends.
//!
//! # Layout
//! - [`model`]: the records and the inputs and outcomes of operations.
//! - This file: the traits, one per area, gathered in [`Store`].
//! - `sqlite/`: the embedded default (one WAL file, driven through rusqlite on
//!   threads of its own: a few readers, and one writer thread that groups
//!   concurrent operations into one transaction: group commit).
//! - `postgres/`: for scale-out, one database shared by many stateless nodes; the
//!   rules that SQLite's single writer enforces hold there across nodes.
//! - [`location`]: `--database` (a file or a `postgres://` URL) to a store: [`open`].
//! - `schema`: what both migration runners share ([`SchemaStatus`]); the migrations
//!   themselves are in `migrations/<backend>/`, embedded in the binary.
//!
//! Every operation that changes state returns only after its transaction is
//! durably committed. One-time things are consumed by one conditional update.
#![forbid(unsafe_code)]

pub mod location;
pub mod model;
pub mod postgres;
mod purge;
mod schema;
mod seed;
pub mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

use async_trait::async_trait;
use numgate_domain::clock::Millis;

pub use location::{open, open_with, AnyStore, StoreLocation};
pub use model::*;
pub use postgres::{PgOptions, PgStore};
pub use schema::SchemaStatus;
pub use sqlite::{SqliteOptions, SqliteStore};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or answered with an I/O error: the operation
    /// did not happen, and may be tried again.
    #[error("the database is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A unique key that the caller chose already exists.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The schema in the database is not one this build knows.
    #[error("database schema: {0}")]
    Schema(String),
    /// Anything else: a bug or a corrupt database.
    #[error("storage failure")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Tenants: the businesses whose data a numgate installation holds.
#[async_trait]
pub trait Tenants: Send + Sync {
    /// The tenant of that name, created (with its complimentary SMS signatures
    /// and templates) if it does not exist yet.
    async fn ensure_tenant(&self, name: &str, now: Millis) -> Result<Tenant>;
    async fn find_tenant(&self, name: &str) -> Result<Option<Tenant>>;
    async fn find_tenant_by_id(&self, id: i64) -> Result<Option<Tenant>>;
    async fn list_tenants(&self) -> Result<Vec<Tenant>>;
}

/// AccessKeys, with their secrets sealed by the caller (the store never sees them in clear).
#[async_trait]
pub trait AccessKeys: Send + Sync {
    /// `Conflict("AccessKey")` if the id exists.
    async fn create_access_key(&self, key: NewAccessKey) -> Result<()>;
    async fn find_access_key(&self, id: &str) -> Result<Option<AccessKeyRecord>>;
    /// All keys, or those of one tenant; oldest first.
    async fn list_access_keys(&self, tenant_id: Option<i64>) -> Result<Vec<AccessKeyRecord>>;
    /// Whether a key of that id existed.
    async fn set_access_key_enabled(&self, id: &str, enabled: bool) -> Result<bool>;
    /// Records that a key signed a request; best effort, may be coarse.
    async fn touch_access_key(&self, id: &str, now: Millis) -> Result<()>;
}

/// The replay guard of signed requests.
#[async_trait]
pub trait Nonces: Send + Sync {
    /// Records the nonce for the key; `false` if it was already recorded and has
    /// not been purged. Durable when it returns.
    async fn claim_nonce(
        &self,
        access_key_id: &str,
        nonce: &str,
        keep_until: Millis,
    ) -> Result<bool>;
}

/// Single use of the tokens numgate hands out (AccessTokens, spTokens): a token's
/// id is recorded when it is used; a second use finds it recorded.
///
/// The record is kept only until the token's expiry: once purged, the same id is
/// accepted again. The caller must therefore refuse an expired token *before*
/// consuming it (and pass the token's own expiry as `keep_until`); then a purged
/// row can only belong to a token that is refused anyway.
#[async_trait]
pub trait Tokens: Send + Sync {
    /// Records the use of token `id`; `false` if it was used before (and not yet
    /// purged). Durable when it returns. `keep_until` is the token's expiry: after
    /// it the token is refused as expired anyway, so the row may be purged.
    async fn consume_token(&self, id: &str, keep_until: Millis) -> Result<bool>;
}

/// SMS signatures and templates of a tenant.
#[async_trait]
pub trait SmsCatalog: Send + Sync {
    async fn list_signatures(&self, tenant_id: i64) -> Result<Vec<SmsSignature>>;
    async fn list_templates(&self, tenant_id: i64) -> Result<Vec<SmsTemplate>>;
    async fn find_signature(&self, tenant_id: i64, name: &str) -> Result<Option<SmsSignature>>;
    async fn find_template(&self, tenant_id: i64, code: &str) -> Result<Option<SmsTemplate>>;
}

/// Verification codes, their send records and the SMS dispatch queue.
#[async_trait]
pub trait Codes: Send + Sync {
    /// In one transaction: applies the interval and the hourly and daily caps,
    /// retires older codes under `DuplicatePolicy` 1, stores the new code's hashes,
    /// its send record and its queued message.
    async fn send_code(&self, new: NewCode) -> Result<SendOutcome>;
    /// Consumes a matching live code with one conditional update; when none
    /// matches, counts a wrong attempt against the number's live codes.
    async fn check_code(&self, check: CodeCheck) -> Result<CheckOutcome>;
    /// One page of send records, newest first, and the total count.
    async fn query_send_details(&self, q: SendQuery) -> Result<(u64, Vec<SendRecord>)>;
}

/// The durable SMS dispatch queue and the development outbox.
#[async_trait]
pub trait SmsQueue: Send + Sync {
    /// Leases up to `limit` due messages until `lease_until`; a message whose lease
    /// ran out (its dispatcher died) is due again.
    async fn claim_messages(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> Result<Vec<QueuedSms>>;
    /// Settles a leased message: updates its send record, forgets its text.
    async fn settle_message(&self, id: i64, result: DeliveryResult, now: Millis) -> Result<()>;
    /// Puts a leased message back for another try at `retry_at`.
    async fn retry_message(&self, id: i64, retry_at: Millis, err: &str) -> Result<()>;
    /// Stores a delivered message in the outbox; idempotent per queue message id.
    async fn put_outbox(&self, entry: OutboxEntry) -> Result<()>;
    /// The outbox, newest first, optionally for one number (digits with country code).
    async fn list_outbox(&self, phone: Option<&str>, limit: u32) -> Result<Vec<OutboxEntry>>;
}

/// Phone number verification schemes. Deleted schemes are deleted outright (their
/// rows are gone): a deleted scheme is found by nothing, conflicts with nothing,
/// and its name and app may be registered again.
#[async_trait]
pub trait Schemes: Send + Sync {
    /// Stores the scheme, or says which unique key is taken (code; the tenant's
    /// name, package name + signature, bundle id, URL + origin). Race-free: unique
    /// indexes decide, so of concurrent creates of one name exactly one is created.
    async fn create_scheme(&self, new: NewScheme) -> Result<CreateScheme>;
    async fn find_scheme(&self, tenant_id: i64, code: &str) -> Result<Option<SchemeRecord>>;
    /// A scheme by its code alone (codes are unique across tenants): how the
    /// Client API, which devices call without an AccessKey, finds its scheme.
    async fn find_scheme_by_code(&self, code: &str) -> Result<Option<SchemeRecord>>;
    /// The tenant's schemes, oldest first.
    async fn list_schemes(&self, tenant_id: i64) -> Result<Vec<SchemeRecord>>;
    /// Whether the tenant had a scheme of that code (now deleted).
    async fn delete_scheme(&self, tenant_id: i64, code: &str) -> Result<bool>;
}

/// Background upkeep.
#[async_trait]
pub trait Maintenance: Send + Sync {
    /// Deletes expired nonces and used tokens, codes long past use, settled queue
    /// rows, and send records and outbox entries older than `records_before`.
    async fn purge_expired(&self, now: Millis, records_before: Millis) -> Result<PurgeCounts>;
    /// Whether the database answers.
    async fn ping(&self) -> Result<()>;
}

/// Everything the service needs from storage.
pub trait Store:
    Tenants + AccessKeys + Nonces + Tokens + SmsCatalog + Codes + SmsQueue + Schemes + Maintenance
{
}

impl<T> Store for T where
    T: Tenants
        + AccessKeys
        + Nonces
        + Tokens
        + SmsCatalog
        + Codes
        + SmsQueue
        + Schemes
        + Maintenance
{
}
