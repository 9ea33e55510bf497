-- numgate's first SQLite schema. All times are INTEGER Unix milliseconds.
-- STRICT tables: a value of the wrong type is an error, not silently stored.

CREATE TABLE tenants (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE access_keys (
    id            TEXT    PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    -- Sealed by the caller with the master key; never in clear here.
    sealed_secret BLOB    NOT NULL,
    enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
) STRICT;
CREATE INDEX access_keys_by_tenant ON access_keys (tenant_id, created_at);

-- The replay guard: one row per (AccessKey, SignatureNonce) until keep_until.
CREATE TABLE nonces (
    access_key_id TEXT    NOT NULL,
    nonce         TEXT    NOT NULL,
    keep_until    INTEGER NOT NULL,
    PRIMARY KEY (access_key_id, nonce)
) STRICT;
CREATE INDEX nonces_by_keep_until ON nonces (keep_until);

CREATE TABLE sms_signatures (
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    name          TEXT    NOT NULL,
    complimentary INTEGER NOT NULL CHECK (complimentary IN (0, 1)),
    approved      INTEGER NOT NULL CHECK (approved IN (0, 1)),
    PRIMARY KEY (tenant_id, name)
) STRICT;

CREATE TABLE sms_templates (
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    code          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    content       TEXT    NOT NULL,
    complimentary INTEGER NOT NULL CHECK (complimentary IN (0, 1)),
    approved      INTEGER NOT NULL CHECK (approved IN (0, 1)),
    PRIMARY KEY (tenant_id, code)
) STRICT;

-- Verification codes, only as keyed hashes.
CREATE TABLE codes (
    id               INTEGER PRIMARY KEY,
    tenant_id        INTEGER NOT NULL REFERENCES tenants (id),
    scheme           TEXT    NOT NULL,
    country_code     TEXT    NOT NULL,
    phone            TEXT    NOT NULL,
    code_hash        BLOB    NOT NULL,
    code_hash_folded BLOB    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'used', 'replaced')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    out_id           TEXT
) STRICT;
-- The interval check, the check itself and the retiring of older codes all
-- look up one key; the few rows of a key are then filtered.
CREATE INDEX codes_by_key ON codes (tenant_id, country_code, phone, scheme, created_at);
CREATE INDEX codes_by_expiry ON codes (expires_at);

-- What QuerySendDetails reports, and what the hourly and daily caps count.
CREATE TABLE send_records (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    biz_id        TEXT    NOT NULL UNIQUE,
    country_code  TEXT    NOT NULL,
    phone         TEXT    NOT NULL,
    status        INTEGER NOT NULL CHECK (status IN (1, 2, 3)),
    err_code      TEXT,
    template_code TEXT    NOT NULL,
    sign_name     TEXT    NOT NULL,
    -- The message with the code masked.
    content       TEXT    NOT NULL,
    out_id        TEXT,
    sent_at       INTEGER NOT NULL,
    received_at   INTEGER
) STRICT;
CREATE INDEX send_records_by_number ON send_records (tenant_id, country_code, phone, sent_at);
CREATE INDEX send_records_by_sent_at ON send_records (sent_at);

-- The durable SMS dispatch queue.
CREATE TABLE sms_queue (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenants (id),
    biz_id          TEXT    NOT NULL,
    country_code    TEXT    NOT NULL,
    phone           TEXT    NOT NULL,
    -- Sealed with the master key; emptied once the message is settled.
    sealed_text     BLOB    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('queued', 'leased', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    last_error      TEXT,
    -- AutoRetry: whether a failed delivery is tried again.
    auto_retry      INTEGER NOT NULL DEFAULT 1,
    -- SmsUpExtendCode: the sender number's extension, for upstream replies.
    up_extend_code  TEXT,
    created_at      INTEGER NOT NULL
) STRICT;
-- Partial indexes: only the few live rows are indexed for the dispatcher's poll.
CREATE INDEX sms_queue_due ON sms_queue (next_attempt_at) WHERE state = 'queued';
CREATE INDEX sms_queue_leases ON sms_queue (lease_until) WHERE state = 'leased';
CREATE INDEX sms_queue_settled ON sms_queue (id) WHERE state IN ('done', 'failed');

-- The development outbox: what the outbox sender "delivered".
CREATE TABLE outbox (
    message_id INTEGER PRIMARY KEY,
    tenant_id  INTEGER NOT NULL,
    biz_id     TEXT    NOT NULL,
    phone      TEXT    NOT NULL,
    sealed_text BLOB   NOT NULL,
    status     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_by_created_at ON outbox (created_at);
CREATE INDEX outbox_by_phone ON outbox (phone, created_at);
