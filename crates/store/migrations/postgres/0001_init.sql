-- numgate's first PostgreSQL schema: the tables and indexes of sqlite/0001_init.sql.
-- All times are BIGINT Unix milliseconds. Flags are BOOLEAN (SQLite's 0/1), blobs
-- BYTEA, generated ids identity columns. Text that is sorted is sorted COLLATE "C"
-- by the queries, so that both backends order alike whatever the database's locale.

CREATE TABLE tenants (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT   NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE access_keys (
    id            TEXT    PRIMARY KEY,
    tenant_id     BIGINT  NOT NULL REFERENCES tenants (id),
    -- Sealed by the caller with the master key; never in clear here.
    sealed_secret BYTEA   NOT NULL,
    enabled       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX access_keys_by_tenant ON access_keys (tenant_id, created_at);

-- The replay guard: one row per (AccessKey, SignatureNonce) until keep_until.
CREATE TABLE nonces (
    access_key_id TEXT   NOT NULL,
    nonce         TEXT   NOT NULL,
    keep_until    BIGINT NOT NULL,
    PRIMARY KEY (access_key_id, nonce)
);
CREATE INDEX nonces_by_keep_until ON nonces (keep_until);

CREATE TABLE sms_signatures (
    tenant_id     BIGINT  NOT NULL REFERENCES tenants (id),
    name          TEXT    NOT NULL,
    complimentary BOOLEAN NOT NULL,
    approved      BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE sms_templates (
    tenant_id     BIGINT  NOT NULL REFERENCES tenants (id),
    code          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    content       TEXT    NOT NULL,
    complimentary BOOLEAN NOT NULL,
    approved      BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, code)
);

-- Verification codes, only as keyed hashes.
CREATE TABLE codes (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        BIGINT  NOT NULL REFERENCES tenants (id),
    scheme           TEXT    NOT NULL,
    country_code     TEXT    NOT NULL,
    phone            TEXT    NOT NULL,
    code_hash        BYTEA   NOT NULL,
    code_hash_folded BYTEA   NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'used', 'replaced')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    created_at       BIGINT  NOT NULL,
    expires_at       BIGINT  NOT NULL,
    out_id           TEXT
);
-- The interval check, the check itself and the retiring of older codes all
-- look up one key; the few rows of a key are then filtered.
CREATE INDEX codes_by_key ON codes (tenant_id, country_code, phone, scheme, created_at);
CREATE INDEX codes_by_expiry ON codes (expires_at);

-- What QuerySendDetails reports, and what the hourly and daily caps count.
CREATE TABLE send_records (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     BIGINT   NOT NULL REFERENCES tenants (id),
    biz_id        TEXT     NOT NULL UNIQUE,
    country_code  TEXT     NOT NULL,
    phone         TEXT     NOT NULL,
    status        SMALLINT NOT NULL CHECK (status IN (1, 2, 3)),
    err_code      TEXT,
    template_code TEXT     NOT NULL,
    sign_name     TEXT     NOT NULL,
    -- The message with the code masked.
    content       TEXT     NOT NULL,
    out_id        TEXT,
    sent_at       BIGINT   NOT NULL,
    received_at   BIGINT
);
CREATE INDEX send_records_by_number ON send_records (tenant_id, country_code, phone, sent_at);
CREATE INDEX send_records_by_sent_at ON send_records (sent_at);

-- The durable SMS dispatch queue, shared by the dispatchers of every node.
CREATE TABLE sms_queue (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants (id),
    biz_id          TEXT    NOT NULL,
    country_code    TEXT    NOT NULL,
    phone           TEXT    NOT NULL,
    -- Sealed with the master key; emptied once the message is settled.
    sealed_text     BYTEA   NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('queued', 'leased', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    lease_until     BIGINT,
    last_error      TEXT,
    -- AutoRetry: whether a failed delivery is tried again.
    auto_retry      BOOLEAN NOT NULL DEFAULT TRUE,
    -- SmsUpExtendCode: the sender number's extension, for upstream replies.
    up_extend_code  TEXT,
    created_at      BIGINT  NOT NULL
);
-- Partial indexes: only the few live rows are indexed for the dispatchers' poll.
CREATE INDEX sms_queue_due ON sms_queue (next_attempt_at) WHERE state = 'queued';
CREATE INDEX sms_queue_leases ON sms_queue (lease_until) WHERE state = 'leased';
CREATE INDEX sms_queue_settled ON sms_queue (id) WHERE state IN ('done', 'failed');

-- The development outbox: what the outbox sender "delivered".
CREATE TABLE outbox (
    message_id  BIGINT PRIMARY KEY,
    tenant_id   BIGINT NOT NULL,
    biz_id      TEXT   NOT NULL,
    phone       TEXT   NOT NULL,
    sealed_text BYTEA  NOT NULL,
    status      TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX outbox_by_created_at ON outbox (created_at);
CREATE INDEX outbox_by_phone ON outbox (phone, created_at);
