//! What the background purge deletes, for every backend: one list, so that a
//! table added to one backend's purge cannot be forgotten in the other's.

use numgate_domain::clock::Millis;

use crate::{PurgeCounts, PurgeCutoffs, SIGN_IN_IP_RETENTION_MS, SMS_COUNTER_RETENTION_MS};

/// A code is kept a day past its expiry (any state), for support questions.
const CODE_GRACE_MS: Millis = 24 * 3_600_000;

/// An inbound (MO) message is kept a day after its receipt: it proves possession
/// only within minutes of being sent, the rest is for support questions.
const INBOUND_KEEP_MS: Millis = 24 * 3_600_000;

/// A receipt for no known message, and a delivery report its tenant has not
/// acknowledged, are given up after three days (an SMSC reports within that).
const REPORT_KEEP_MS: Millis = 3 * 24 * 3_600_000;

/// Which counter of [`PurgeCounts`] a rule adds to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Counter {
    Nonces,
    Tokens,
    Codes,
    Messages,
    Records,
    Outbox,
    Sessions,
    RiskEvents,
    Attempts,
    Inbound,
    Deliveries,
    Reports,
    SmsCounters,
    SmsBlocks,
    ConsoleSessions,
    SignInIps,
}

/// One table's rule: rows matching `dead` go; `dead` has at most one parameter,
/// written `{}` here and replaced by the backend's placeholder, bound to `at`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    pub counter: Counter,
    pub table: &'static str,
    pub dead: &'static str,
    pub at: Option<Millis>,
}

/// The rules of one purge: what expired by `now`; send records, outbox entries
/// and attempts once older than `records_before`; risk events once older than
/// `risk_events_before`; the SMS guards' counters after
/// [`SMS_COUNTER_RETENTION_MS`], prefix blocks once run out; console sessions
/// once idle or expired; failed sign-in windows of client addresses a day after
/// they started. Policies, console users and the audit log are never purged.
pub(crate) fn rules(cutoffs: &PurgeCutoffs) -> [Rule; 20] {
    let PurgeCutoffs {
        now,
        records_before,
        risk_events_before,
    } = *cutoffs;
    let rule = |counter, table, dead, at| Rule {
        counter,
        table,
        dead,
        at,
    };
    [
        rule(Counter::Nonces, "nonces", "keep_until < {}", Some(now)),
        rule(
            Counter::Tokens,
            "consumed_tokens",
            "keep_until < {}",
            Some(now),
        ),
        rule(
            Counter::Codes,
            "codes",
            "expires_at < {}",
            Some(now.saturating_sub(CODE_GRACE_MS)),
        ),
        // Settled messages are only kept for the dispatcher; their record lives on.
        rule(
            Counter::Messages,
            "sms_queue",
            "state IN ('done', 'failed')",
            None,
        ),
        rule(
            Counter::Records,
            "send_records",
            "sent_at < {}",
            Some(records_before),
        ),
        rule(
            Counter::Outbox,
            "outbox",
            "created_at < {}",
            Some(records_before),
        ),
        // A session is live while now < expires_at; one expiring exactly now is
        // found by nothing already, and goes at the next purge.
        rule(
            Counter::Sessions,
            "fusion_sessions",
            "expires_at < {}",
            Some(now),
        ),
        rule(
            Counter::RiskEvents,
            "risk_events",
            "at < {}",
            Some(risk_events_before),
        ),
        rule(
            Counter::Attempts,
            "fusion_attempts",
            "at < {}",
            Some(records_before),
        ),
        rule(
            Counter::Inbound,
            "inbound_sms",
            "received_at < {}",
            Some(now.saturating_sub(INBOUND_KEEP_MS)),
        ),
        // Where a message went is kept as long as its send record; its id forms
        // go first (they are found through it).
        rule(
            Counter::Deliveries,
            "sms_delivery_ids",
            "message_id IN (SELECT message_id FROM sms_deliveries WHERE accepted_at < {})",
            Some(records_before),
        ),
        rule(
            Counter::Deliveries,
            "sms_deliveries",
            "accepted_at < {}",
            Some(records_before),
        ),
        rule(
            Counter::Reports,
            "sms_early_receipts",
            "received_at < {}",
            Some(now.saturating_sub(REPORT_KEEP_MS)),
        ),
        rule(
            Counter::Reports,
            "sms_reports",
            "created_at < {}",
            Some(now.saturating_sub(REPORT_KEEP_MS)),
        ),
        rule(
            Counter::SmsCounters,
            "sms_prefix_counts",
            "hour_start < {}",
            Some(now.saturating_sub(SMS_COUNTER_RETENTION_MS)),
        ),
        rule(
            Counter::SmsCounters,
            "sms_country_counts",
            "hour_start < {}",
            Some(now.saturating_sub(SMS_COUNTER_RETENTION_MS)),
        ),
        rule(
            Counter::SmsCounters,
            "sms_budget_days",
            "day_start < {}",
            Some(now.saturating_sub(SMS_COUNTER_RETENTION_MS)),
        ),
        // A block is in force while now < until.
        rule(
            Counter::SmsBlocks,
            "sms_prefix_blocks",
            "until <= {}",
            Some(now),
        ),
        // A console session lives while now < idle_until (never past its expiry).
        rule(
            Counter::ConsoleSessions,
            "console_sessions",
            "idle_until <= {}",
            Some(now),
        ),
        rule(
            Counter::SignInIps,
            "console_sign_in_ips",
            "window_start < {}",
            Some(now.saturating_sub(SIGN_IN_IP_RETENTION_MS)),
        ),
    ]
}

impl PurgeCounts {
    pub(crate) fn add(&mut self, counter: Counter, n: u64) {
        let field = match counter {
            Counter::Nonces => &mut self.nonces,
            Counter::Tokens => &mut self.tokens,
            Counter::Codes => &mut self.codes,
            Counter::Messages => &mut self.messages,
            Counter::Records => &mut self.records,
            Counter::Outbox => &mut self.outbox,
            Counter::Sessions => &mut self.sessions,
            Counter::RiskEvents => &mut self.risk_events,
            Counter::Attempts => &mut self.attempts,
            Counter::Inbound => &mut self.inbound,
            Counter::Deliveries => &mut self.deliveries,
            Counter::Reports => &mut self.reports,
            Counter::SmsCounters => &mut self.sms_counters,
            Counter::SmsBlocks => &mut self.sms_blocks,
            Counter::ConsoleSessions => &mut self.console_sessions,
            Counter::SignInIps => &mut self.sign_in_ips,
        };
        *field += n;
    }
}
