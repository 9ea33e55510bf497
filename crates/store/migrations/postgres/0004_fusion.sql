-- Fusion-Auth: the tables and indexes of sqlite/0004_fusion.sql (see the comments
-- there). Policy writes take turns per key under an advisory lock; takes of an
-- inbound message lock its row, so each is taken once across nodes.

CREATE TABLE fusion_policies (
    tenant_id  BIGINT  NOT NULL REFERENCES tenants (id),
    scene      INTEGER NOT NULL,
    -- '' is the tenant's global policy for the scene.
    scheme     TEXT    NOT NULL,
    -- The graph as JSON text; NULL: restored to defaults (the row keeps the version).
    graph      TEXT,
    inherit    BOOLEAN NOT NULL,
    logging    BOOLEAN NOT NULL,
    version    BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL,
    updated_by TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, scene, scheme)
);

-- Never purged; newest first is by id.
CREATE TABLE audit_log (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    actor     TEXT   NOT NULL,
    action    TEXT   NOT NULL,
    target    TEXT   NOT NULL,
    before    TEXT,
    after     TEXT,
    at        BIGINT NOT NULL
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, id);

CREATE TABLE fusion_sessions (
    id         TEXT    PRIMARY KEY,
    tenant_id  BIGINT  NOT NULL REFERENCES tenants (id),
    scheme     TEXT    NOT NULL,
    scene      INTEGER NOT NULL,
    state      TEXT    NOT NULL,
    version    BIGINT  NOT NULL,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX fusion_sessions_by_expiry ON fusion_sessions (expires_at);

CREATE TABLE risk_events (
    tenant_id BIGINT NOT NULL,
    dimension TEXT   NOT NULL CHECK (dimension IN ('device', 'ip', 'number')),
    value     TEXT   NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX risk_events_by_key ON risk_events (tenant_id, dimension, value, at);
CREATE INDEX risk_events_by_at ON risk_events (at);

CREATE TABLE fusion_attempts (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id      BIGINT  NOT NULL REFERENCES tenants (id),
    scheme         TEXT    NOT NULL,
    scene          INTEGER NOT NULL,
    session_id     TEXT    NOT NULL,
    number         TEXT,
    device_id      TEXT,
    ip             TEXT,
    outcome        TEXT    NOT NULL,
    endpoint_score INTEGER,
    number_score   INTEGER,
    fired_rules    TEXT    NOT NULL,
    path           TEXT    NOT NULL,
    at             BIGINT  NOT NULL
);
CREATE INDEX fusion_attempts_by_tenant ON fusion_attempts (tenant_id, at);
CREATE INDEX fusion_attempts_refused ON fusion_attempts (tenant_id, at) WHERE outcome = 'refused';
CREATE INDEX fusion_attempts_by_at ON fusion_attempts (at);

CREATE TABLE risk_lists (
    tenant_id  BIGINT NOT NULL REFERENCES tenants (id),
    number     TEXT   NOT NULL,
    kind       TEXT   NOT NULL CHECK (kind IN ('block', 'allow')),
    note       TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, number)
);

CREATE TABLE inbound_sms (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sender      TEXT   NOT NULL,
    recipient   TEXT   NOT NULL,
    text        TEXT   NOT NULL,
    received_at BIGINT NOT NULL,
    consumed_at BIGINT
);
CREATE INDEX inbound_sms_unconsumed ON inbound_sms (sender, recipient, received_at)
    WHERE consumed_at IS NULL;
CREATE INDEX inbound_sms_by_received_at ON inbound_sms (received_at);
