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

mod catalog;
pub mod location;
pub mod model;
mod policy;
pub mod postgres;
mod purge;
mod schema;
mod seed;
pub mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;
mod users;

use async_trait::async_trait;
use numgate_domain::clock::Millis;

pub use catalog::*;
pub use location::{open, open_with, AnyStore, StoreLocation};
pub use model::*;
pub use postgres::{PgOptions, PgStore};
pub use schema::SchemaStatus;
pub use sqlite::{SqliteOptions, SqliteStore};
pub use users::*;

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
    /// Stores a custom signature as pending. A pending or rejected custom
    /// signature of that name is replaced (a resubmission, its review cleared);
    /// an approved or complimentary one is `Conflict("signature")`.
    async fn submit_signature(&self, new: NewSignature) -> Result<SmsSignature>;
    /// Stores a custom template as pending; a taken code is `Conflict("template")`.
    async fn submit_template(&self, new: NewTemplate) -> Result<SmsTemplate>;
    /// Approves or rejects a pending custom signature with one conditional
    /// update (pending, not complimentary, submitted at `review.submitted_at`);
    /// `None` when there is no such signature.
    async fn review_signature(&self, review: Review) -> Result<Option<SmsSignature>>;
    /// As [`SmsCatalog::review_signature`], for a template.
    async fn review_template(&self, review: Review) -> Result<Option<SmsTemplate>>;
}

/// Verification codes, their send records and the SMS dispatch queue.
#[async_trait]
pub trait Codes: Send + Sync {
    /// In one transaction: applies the interval and the hourly and daily caps,
    /// then the [`SendGuards`] (prefix block, prefix cap or its throttled cap,
    /// country cap, tenant's daily budget: exact under concurrency, also across
    /// nodes), retires older codes under `DuplicatePolicy` 1, stores the new
    /// code's hashes, its send record and its queued message, and counts the send
    /// for the guards. A refusal changes nothing, except that a send over the
    /// prefix's cap blocks the prefix (the block row is the refusal's one write).
    async fn send_code(&self, new: NewCode) -> Result<SendOutcome>;
    /// Consumes a matching live code with one conditional update; when none
    /// matches, counts a wrong attempt against the number's live codes. A pass
    /// counts a verified code for the prefix (in the hour the code was sent), in
    /// the same transaction.
    async fn check_code(&self, check: CodeCheck) -> Result<CheckOutcome>;
    /// One page of send records, newest first, and the total count.
    async fn query_send_details(&self, q: SendQuery) -> Result<(u64, Vec<SendRecord>)>;
}

/// The operator's view of the SMS guards' prefix blocks (see [`SendGuards`]).
#[async_trait]
pub trait SmsGuards: Send + Sync {
    /// The blocks in force at `now` (all tenants), by tenant, country, prefix.
    async fn list_prefix_blocks(&self, now: Millis) -> Result<Vec<PrefixBlock>>;
    /// Lifts the prefix's block: it is gone, and the sends of the prefix counted
    /// against its hourly cap start again from 0 (else the next send would block
    /// it again at once). Its conversion counts stay. Whether a block in force
    /// at `now` was lifted.
    async fn lift_prefix_block(
        &self,
        tenant_id: i64,
        country_code: &str,
        prefix: &str,
        now: Millis,
    ) -> Result<bool>;
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
    /// Settles a leased message: forgets its text and records where it went (for
    /// receipts and billing); a delivered or failed message's send record and
    /// report change with it, in one transaction. Settling twice changes nothing
    /// the second time.
    async fn settle_message(&self, id: i64, result: DeliveryResult, now: Millis) -> Result<()>;
    /// Puts a leased message back for another try at `retry_at`; `next_provider`
    /// moves it on to the next provider of its route.
    async fn retry_message(
        &self,
        id: i64,
        retry_at: Millis,
        err: &str,
        next_provider: bool,
    ) -> Result<()>;
    /// Stores a delivered message in the outbox; idempotent per queue message id.
    async fn put_outbox(&self, entry: OutboxEntry) -> Result<()>;
    /// The outbox, newest first, optionally for one number (digits with country code).
    async fn list_outbox(&self, phone: Option<&str>, limit: u32) -> Result<Vec<OutboxEntry>>;
    /// The tenant's own outbox, newest first, optionally for one number.
    async fn list_tenant_outbox(
        &self,
        tenant_id: i64,
        phone: Option<&str>,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>>;
}

/// What happens to a message after its channel took it: receipts, the delivery
/// reports pushed to tenants, and the delivered segments billing counts.
#[async_trait]
pub trait SmsDeliveries: Send + Sync {
    /// Applies a receipt to the message it names: its send record, and when
    /// delivered the tenant's usage, and its report if the tenant wants one;
    /// all in one transaction, once per message however often it is repeated.
    async fn record_receipt(&self, receipt: ReceiptUpdate) -> Result<ReceiptOutcome>;
    /// Leases up to `limit` due reports until `lease_until`, oldest first.
    async fn claim_reports(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> Result<Vec<TenantReport>>;
    /// The tenant acknowledged these reports: they are gone.
    async fn ack_reports(&self, ids: &[i64]) -> Result<()>;
    /// These reports were not acknowledged: tried again at `retry_at`.
    async fn retry_reports(&self, ids: &[i64], retry_at: Millis) -> Result<()>;
    /// A tenant's delivered SMS per day, for days in `[from_day, to_day]`.
    async fn sms_usage(
        &self,
        tenant_id: i64,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<SmsUsage>>;
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
    /// Sets the name, app name and app identity (package name and signature,
    /// bundle id, URL and origin, HarmonyOS identifier, package and signing name)
    /// of the tenant's scheme of `changed.code` to `changed`'s; everything else
    /// (OS type, key material, settings, creation time) stays as stored. A unique
    /// key of another of the tenant's schemes in the way changes nothing.
    async fn update_scheme(&self, changed: SchemeRecord) -> Result<UpdateScheme<SchemeRecord>>;
}

/// Fusion-Auth schemes (`CreateSchemeConfig`), apart from the phone number
/// verification schemes of [`Schemes`]. Deleted schemes are deleted outright, as
/// there: found by nothing, conflicting with nothing, their name and app free again.
#[async_trait]
pub trait FusionSchemes: Send + Sync {
    /// Stores the scheme, or says which unique key is taken (code; the tenant's
    /// name, package name + signature, bundle id, URL + origin). Race-free: unique
    /// indexes decide, so of concurrent creates of one name exactly one is created.
    async fn create_fusion_scheme(&self, new: NewFusionScheme) -> Result<CreateFusionScheme>;
    async fn find_fusion_scheme(
        &self,
        tenant_id: i64,
        code: &str,
    ) -> Result<Option<FusionSchemeRecord>>;
    /// A scheme by its code alone (codes are unique across tenants).
    async fn find_fusion_scheme_by_code(&self, code: &str) -> Result<Option<FusionSchemeRecord>>;
    /// The tenant's schemes, oldest first.
    async fn list_fusion_schemes(&self, tenant_id: i64) -> Result<Vec<FusionSchemeRecord>>;
    /// Whether the tenant had a scheme of that code (now deleted). Its per-scheme
    /// policies (of every scene, also their restored-to-defaults rows) go with it in
    /// the same transaction; the tenant's global policies and other schemes' stay.
    /// Writes no audit row (the caller audits the deletion). When the tenant had
    /// no such scheme, nothing changes: policies stored under that code stay.
    ///
    /// The caller checks that a scheme exists before putting a policy for it; a
    /// put racing the deletion may still land after it (and is then an orphan no
    /// scheme finds).
    async fn delete_fusion_scheme(&self, tenant_id: i64, code: &str) -> Result<bool>;
    /// Sets the name, app name and app identity (Android package name and
    /// signature, iOS bundle id, H5 URL and origin) of the tenant's Fusion-Auth
    /// scheme of `changed.code` to `changed`'s; the platform and creation time stay.
    /// A unique key of another of the tenant's schemes in the way changes nothing.
    async fn update_fusion_scheme(
        &self,
        changed: FusionSchemeRecord,
    ) -> Result<UpdateScheme<FusionSchemeRecord>>;
}

/// Fusion-Auth policy graphs: a global policy per tenant and scene, and per-scheme
/// policies. Every change writes its audit row (before, after) in the same
/// transaction: there is no change without its audit row, nor the other way round.
///
/// Restoring defaults ([`Policies::delete_policy`]) keeps the policy's version
/// (see [`PolicyRecord::version`]), so versions never repeat.
#[async_trait]
pub trait Policies: Send + Sync {
    /// The policy of the scene for the scheme, or the global one with `None`;
    /// `None` when there is none (never stored, or restored to defaults).
    async fn get_policy(
        &self,
        tenant_id: i64,
        scene: i32,
        scheme: Option<&str>,
    ) -> Result<Option<PolicyRecord>>;
    /// The tenant's policies by scene, each scene's global one first, then by scheme.
    async fn list_policies(&self, tenant_id: i64) -> Result<Vec<PolicyRecord>>;
    /// Stores the policy (version one more than before) with its audit row
    /// (`policy.put`); `Conflict("policy version")` if `expected_version` is given
    /// and differs, and then nothing is written.
    async fn put_policy(&self, put: PutPolicy) -> Result<PolicyRecord>;
    /// Restores the defaults: the policy is gone, with its audit row
    /// (`policy.delete`). `false` (and no audit row) when there was none.
    async fn delete_policy(
        &self,
        tenant_id: i64,
        scene: i32,
        scheme: Option<&str>,
        actor: &str,
        at: Millis,
    ) -> Result<bool>;
}

/// The audit log of tenants' settings: who changed what, when, before and after.
/// Never purged.
#[async_trait]
pub trait Audit: Send + Sync {
    /// Appends the entry; its id.
    async fn append_audit(&self, entry: AuditEntry) -> Result<i64>;
    /// Up to `limit` of the tenant's entries, newest first; with `before_id`, only
    /// those older than that entry (the next page: pass the last id of this one).
    async fn list_audit(
        &self,
        tenant_id: i64,
        limit: u32,
        before_id: Option<i64>,
    ) -> Result<Vec<AuditRecord>>;
}

/// The server-side state of Fusion-Auth scene runs, shared by all nodes. A session
/// is live while `now < expires_at`; an expired one is found by nothing and
/// purged.
#[async_trait]
pub trait FusionSessions: Send + Sync {
    /// Stores the session at version 1; `Conflict("session")` if the id exists
    /// (also an expired one not yet purged).
    async fn create_session(&self, new: NewSession) -> Result<()>;
    /// The live session of that id.
    async fn load_session(&self, id: &str, now: Millis) -> Result<Option<SessionRecord>>;
    /// Compare-and-swap: replaces the state and expiry and moves the version to
    /// `expected_version + 1`, only if the session is live at `now` and still at
    /// `expected_version`. Of concurrent updates naming one version exactly one
    /// wins; `false` for the others (and for an unknown or expired session).
    async fn update_session(
        &self,
        id: &str,
        expected_version: i64,
        state: &str,
        expires_at: Millis,
        now: Millis,
    ) -> Result<bool>;
}

/// Velocity counting for the frequency rules ("more than N attempts per device /
/// IP / number in M minutes"). Events are kept for [`RISK_EVENT_RETENTION_MS`].
#[async_trait]
pub trait RiskEvents: Send + Sync {
    async fn record_risk_event(&self, event: RiskEvent) -> Result<()>;
    /// Records all of them in one transaction (one commit for an attempt's events).
    async fn record_risk_events(&self, events: &[RiskEvent]) -> Result<()>;
    /// How many events of the value were recorded at or after `since` (an event
    /// exactly at `since` counts): a window of M minutes ending now is
    /// `since = now - M minutes`. One index range scan.
    async fn count_risk_events(
        &self,
        tenant_id: i64,
        dimension: RiskDimension,
        value: &str,
        since: Millis,
    ) -> Result<u64>;
}

/// The explainable record of each Fusion-Auth attempt: which rules fired, which
/// path it took. Kept as long as send records.
#[async_trait]
pub trait Attempts: Send + Sync {
    /// Records the attempt; its id.
    async fn record_attempt(&self, attempt: NewAttempt) -> Result<i64>;
    /// Up to `limit` of the tenant's attempts, newest first; only those with the
    /// outcome [`OUTCOME_REFUSED`] with `refused_only`.
    async fn list_attempts(
        &self,
        tenant_id: i64,
        refused_only: bool,
        limit: u32,
    ) -> Result<Vec<AttemptRecord>> {
        self.list_attempts_page(tenant_id, refused_only, None, limit)
            .await
    }
    /// A page of [`Attempts::list_attempts`]: newest first (by time, then id),
    /// only attempts older than `before` (the cursor of the previous page's
    /// last one), so that pages do not shift as attempts are added.
    async fn list_attempts_page(
        &self,
        tenant_id: i64,
        refused_only: bool,
        before: Option<AttemptCursor>,
        limit: u32,
    ) -> Result<Vec<AttemptRecord>>;
}

/// A tenant's block and allow lists of numbers; a number is on at most one.
#[async_trait]
pub trait RiskLists: Send + Sync {
    /// Puts the number on the entry's list, taking it off the other one.
    async fn set_list_entry(&self, entry: ListEntry) -> Result<()>;
    /// Whether the number was on a list.
    async fn remove_list_entry(&self, tenant_id: i64, number: &str) -> Result<bool>;
    /// The tenant's entries by number.
    async fn list_entries(&self, tenant_id: i64) -> Result<Vec<ListEntry>>;
    /// The list the number is on.
    async fn list_kind(&self, tenant_id: i64, number: &str) -> Result<Option<ListKind>>;
}

/// Upstream (MO) messages: a user texts a given text to a service number, and the
/// message, taken once, proves they hold the sending number. Kept a day after
/// receipt. The texts are users' words: no implementation logs them.
#[async_trait]
pub trait InboundSms: Send + Sync {
    /// Stores an arrived message; its id.
    async fn record_inbound(&self, new: NewInbound) -> Result<i64>;
    /// Consumes the oldest unconsumed message from `from` to `to` with exactly
    /// `text`, received at or after `since`, with one conditional update: of
    /// concurrent takes (on any node) exactly one gets each message.
    async fn take_inbound(&self, take: InboundTake) -> Result<bool>;
    /// As [`InboundSms::take_inbound`] from any sender (`take.from` is ignored):
    /// the sender of the message taken. For a session that learns the number
    /// from the message itself; the text is random, so it names one user.
    async fn take_inbound_from_anyone(&self, take: InboundTake) -> Result<Option<String>>;
    /// The latest messages, newest first.
    async fn list_inbound(&self, limit: u32) -> Result<Vec<InboundRecord>>;
}

/// Console users and their sign-in sessions. Passwords and session ids never
/// reach the store: only an argon2id hash and a SHA-256 hash.
#[async_trait]
pub trait ConsoleUsers: Send + Sync {
    /// `Conflict("user")` if the name is taken.
    async fn create_user(&self, new: NewUser) -> Result<UserRecord>;
    async fn find_user(&self, name: &str) -> Result<Option<UserRecord>>;
    async fn find_user_by_id(&self, id: i64) -> Result<Option<UserRecord>>;
    /// All users by name.
    async fn list_users(&self) -> Result<Vec<UserRecord>>;
    /// Whether a user of that name existed. Disabling also ends the user's
    /// sessions, in the same transaction.
    async fn set_user_enabled(&self, name: &str, enabled: bool) -> Result<bool>;
    /// Counts a wrong password with one conditional update: the failure that
    /// reaches `lockout.max_failures` locks the user until `now + lock_ms` and
    /// starts the count again. A failure while locked changes nothing (a lock is
    /// not prolonged by guessing). Whether the user is locked afterwards.
    async fn record_sign_in_failure(
        &self,
        user_id: i64,
        lockout: Lockout,
        now: Millis,
    ) -> Result<bool>;
    /// After a right password: in one transaction, resets the user's failure
    /// count and stores the session, only if the user is enabled and not locked
    /// at `now` (one conditional update decides). `false`, and nothing written,
    /// otherwise.
    async fn start_console_session(&self, new: NewConsoleSession, now: Millis) -> Result<bool>;
    /// The live session of that id hash (`now < idle_until`) of an enabled user,
    /// its idle timeout moved to `min(idle_until, expires_at)` by the same
    /// conditional update.
    async fn touch_console_session(
        &self,
        id_hash: &[u8],
        idle_until: Millis,
        now: Millis,
    ) -> Result<Option<ConsoleSession>>;
    /// Sign-out: whether the session existed.
    async fn end_console_session(&self, id_hash: &[u8]) -> Result<bool>;
    /// Whether sign-ins from the client address `ip` are refused at `now`:
    /// `limit.max_failures` or more failures in a window that still runs.
    async fn sign_in_ip_blocked(&self, ip: &str, limit: IpLimit, now: Millis) -> Result<bool>;
    /// Counts a failed sign-in from `ip` with one upsert: in the address's running
    /// window the count goes up; after it (or at the first failure) a new window
    /// starts at `now` with one failure. Whether the address is blocked afterwards.
    async fn record_sign_in_ip_failure(
        &self,
        ip: &str,
        limit: IpLimit,
        now: Millis,
    ) -> Result<bool>;
}

/// Background upkeep.
#[async_trait]
pub trait Maintenance: Send + Sync {
    /// Deletes what is past its cut-off (`purge.rs` has the one list of rules):
    /// expired nonces, used tokens, scene sessions; codes a day past expiry;
    /// settled queue rows; inbound messages a day after receipt; send records,
    /// outbox entries and attempts older than `records_before`; risk events older
    /// than `risk_events_before`; SMS guard counters older than
    /// [`SMS_COUNTER_RETENTION_MS`] and prefix blocks that ran out. Never policies
    /// or the audit log.
    async fn purge(&self, cutoffs: PurgeCutoffs) -> Result<PurgeCounts>;
    /// [`Maintenance::purge`] with [`PurgeCutoffs::new`]: risk events are kept
    /// for [`RISK_EVENT_RETENTION_MS`].
    async fn purge_expired(&self, now: Millis, records_before: Millis) -> Result<PurgeCounts> {
        self.purge(PurgeCutoffs::new(now, records_before)).await
    }
    /// Whether the database answers.
    async fn ping(&self) -> Result<()>;
}

/// Statistics of verification attempts, kept as rollups: one counter row per
/// (tenant, method, day, scheme, scene, OS type), bumped by one upsert per attempt,
/// so that queries read a few rows per day however many attempts there were.
/// Counting is exact under concurrency (the upsert adds in the database).
///
/// SMS sends are counted by [`Codes::send_code`] itself as unknown, in its
/// transaction, and moved to success or fail in the transaction that makes the
/// message's status final (`settle_message`, `record_receipt`): once per message.
#[async_trait]
pub trait Statistics: Send + Sync {
    /// Adds `n` attempts with `outcome` to the key's row. Durable when it returns.
    async fn count_attempt(
        &self,
        key: StatKey,
        outcome: numgate_domain::stats::Outcome,
        n: u64,
    ) -> Result<()>;
    /// The tenant's attempts per day for days in `[from_day, to_day]` (`YYYY-MM-DD`)
    /// that match the filter, by day; days without attempts are absent.
    async fn query_statistics(
        &self,
        tenant_id: i64,
        filter: StatFilter,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<DayStats>>;
}

/// Billing: resource plans, consumed before pay-as-you-go, and the units charged
/// per month, method, scheme and scene. Only successes are charged (the caller
/// charges them; an SMS is charged per segment by the transaction that records
/// its delivery). Plan consumption is exact under concurrency: units are taken
/// under the plan rows' locks (SQLite: its single writer), never beyond `total`.
/// Amounts are not stored: a bill prices the units with the price list.
#[async_trait]
pub trait Billing: Send + Sync {
    /// Stores the plan; its id.
    async fn add_plan(&self, plan: NewPlan) -> Result<i64>;
    /// The plans of a tenant (or all), by tenant, then oldest first.
    async fn list_plans(&self, tenant_id: Option<i64>) -> Result<Vec<PlanRecord>>;
    /// Units left in the tenant's plans of the method valid at `now`.
    async fn plan_units_left(
        &self,
        tenant_id: i64,
        method: numgate_domain::stats::Method,
        now: Millis,
    ) -> Result<u64>;
    /// Charges the units: from plans first, the rest paid. Durable when it returns.
    async fn charge(&self, charge: Charge) -> Result<Charged>;
    /// The tenant's charged units of the month (`YYYY-MM`), by method, scheme, scene.
    async fn monthly_usage(&self, tenant_id: i64, month: &str) -> Result<Vec<UsageRow>>;
}

/// Everything the service needs from storage.
pub trait Store:
    Tenants
    + AccessKeys
    + Nonces
    + Tokens
    + SmsCatalog
    + Codes
    + SmsGuards
    + SmsQueue
    + SmsDeliveries
    + Schemes
    + FusionSchemes
    + Policies
    + Audit
    + FusionSessions
    + RiskEvents
    + Attempts
    + RiskLists
    + InboundSms
    + ConsoleUsers
    + Statistics
    + Billing
    + Maintenance
{
}

impl<T> Store for T where
    T: Tenants
        + AccessKeys
        + Nonces
        + Tokens
        + SmsCatalog
        + Codes
        + SmsGuards
        + SmsQueue
        + SmsDeliveries
        + Schemes
        + FusionSchemes
        + Policies
        + Audit
        + FusionSessions
        + RiskEvents
        + Attempts
        + RiskLists
        + InboundSms
        + ConsoleUsers
        + Statistics
        + Billing
        + Maintenance
{
}
