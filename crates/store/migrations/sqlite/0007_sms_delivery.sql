-- SMS delivery through providers: routes, receipts, delivery reports to
-- tenants, and delivered segments for billing.

-- The step of its route a message is at (which provider takes it next).
ALTER TABLE sms_queue ADD COLUMN route_step INTEGER NOT NULL DEFAULT 0;

-- One row per message a provider accepted or delivered: what a receipt is
-- matched to, and what a delivered message is billed by.
CREATE TABLE sms_deliveries (
    message_id          INTEGER PRIMARY KEY,
    tenant_id           INTEGER NOT NULL,
    biz_id              TEXT    NOT NULL,
    provider            TEXT    NOT NULL,
    provider_message_id TEXT,
    segments            INTEGER NOT NULL,
    -- Whether the tenant wants its delivery report pushed.
    report              INTEGER NOT NULL CHECK (report IN (0, 1)),
    accepted_at         INTEGER NOT NULL
) STRICT;
CREATE INDEX sms_deliveries_by_accepted_at ON sms_deliveries (accepted_at);

-- The forms (hex, decimal) of a provider's message id, each pointing at its message.
CREATE TABLE sms_delivery_ids (
    provider   TEXT    NOT NULL,
    form       TEXT    NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (provider, form)
) STRICT;
CREATE INDEX sms_delivery_ids_by_message ON sms_delivery_ids (message_id);

-- Receipts that came before their message's acceptance was recorded, one row
-- per form of the id; applied (and deleted) when it is.
CREATE TABLE sms_early_receipts (
    provider    TEXT    NOT NULL,
    form        TEXT    NOT NULL,
    delivered   INTEGER NOT NULL CHECK (delivered IN (0, 1)),
    err_code    TEXT,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (provider, form)
) STRICT;
CREATE INDEX sms_early_receipts_by_received_at ON sms_early_receipts (received_at);

-- Delivered SMS per tenant and day: the billing hook.
CREATE TABLE sms_usage (
    tenant_id INTEGER NOT NULL,
    day       TEXT    NOT NULL,
    messages  INTEGER NOT NULL,
    segments  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day)
) STRICT;

-- Delivery reports waiting to be pushed to their tenant's URL, until acknowledged.
CREATE TABLE sms_reports (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL,
    biz_id          TEXT    NOT NULL,
    country_code    TEXT    NOT NULL,
    phone           TEXT    NOT NULL,
    out_id          TEXT,
    sent_at         INTEGER NOT NULL,
    report_at       INTEGER NOT NULL,
    success         INTEGER NOT NULL CHECK (success IN (0, 1)),
    err_code        TEXT,
    segments        INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX sms_reports_due ON sms_reports (next_attempt_at);
CREATE INDEX sms_reports_by_created_at ON sms_reports (created_at);
