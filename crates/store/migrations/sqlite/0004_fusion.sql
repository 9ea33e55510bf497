-- Fusion-Auth: policy graphs and the audit log, scene sessions, risk events,
-- attempts, the tenants' block/allow lists, and upstream (MO) SMS.

-- A policy per (tenant, scene, scheme); scheme '' is the tenant's global policy
-- for the scene. Restoring defaults keeps the row with graph NULL (a tombstone),
-- so that versions never repeat for one key; tombstones are few (one per key
-- ever set) and are not purged. No reference to verify_schemes: deleting a
-- scheme deletes its row outright, and its policies must not block that.
CREATE TABLE fusion_policies (
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    scene      INTEGER NOT NULL,
    scheme     TEXT    NOT NULL,
    -- The graph as JSON text; NULL: restored to defaults.
    graph      TEXT,
    inherit    INTEGER NOT NULL CHECK (inherit IN (0, 1)),
    logging    INTEGER NOT NULL CHECK (logging IN (0, 1)),
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, scene, scheme)
) STRICT;

-- Who changed what, when, before and after (JSON). Never purged. Ids only grow
-- (AUTOINCREMENT: never reused), so newest first is by id.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    target    TEXT    NOT NULL,
    before    TEXT,
    after     TEXT,
    at        INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, id);

-- The server-side state of a scene run; version is what a compare-and-swap names.
CREATE TABLE fusion_sessions (
    id         TEXT    PRIMARY KEY,
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    scheme     TEXT    NOT NULL,
    scene      INTEGER NOT NULL,
    state      TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX fusion_sessions_by_expiry ON fusion_sessions (expires_at);

-- Velocity counting: one row per counted attempt, values hashed by the caller.
-- Written on every attempt: no foreign key to check, and the counting index is
-- the key itself, so a count is one range scan of it.
CREATE TABLE risk_events (
    tenant_id INTEGER NOT NULL,
    dimension TEXT    NOT NULL CHECK (dimension IN ('device', 'ip', 'number')),
    value     TEXT    NOT NULL,
    at        INTEGER NOT NULL
) STRICT;
CREATE INDEX risk_events_by_key ON risk_events (tenant_id, dimension, value, at);
CREATE INDEX risk_events_by_at ON risk_events (at);

-- The explainable record of each attempt. Kept as long as send records.
CREATE TABLE fusion_attempts (
    id             INTEGER PRIMARY KEY,
    tenant_id      INTEGER NOT NULL REFERENCES tenants (id),
    scheme         TEXT    NOT NULL,
    scene          INTEGER NOT NULL,
    session_id     TEXT    NOT NULL,
    number         TEXT,
    device_id      TEXT,
    ip             TEXT,
    outcome        TEXT    NOT NULL,
    endpoint_score INTEGER,
    number_score   INTEGER,
    -- JSON.
    fired_rules    TEXT    NOT NULL,
    path           TEXT    NOT NULL,
    at             INTEGER NOT NULL
) STRICT;
CREATE INDEX fusion_attempts_by_tenant ON fusion_attempts (tenant_id, at);
-- The console's "refused only" view walks only the refused attempts.
CREATE INDEX fusion_attempts_refused ON fusion_attempts (tenant_id, at) WHERE outcome = 'refused';
CREATE INDEX fusion_attempts_by_at ON fusion_attempts (at);

-- A tenant's block and allow lists: the key makes a number be on at most one.
CREATE TABLE risk_lists (
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    number     TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('block', 'allow')),
    note       TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, number)
) STRICT;

-- Upstream (MO) messages, kept a day after receipt; consumed_at once one proved
-- possession (a message is taken once).
CREATE TABLE inbound_sms (
    id          INTEGER PRIMARY KEY,
    -- E.164 digits without '+'.
    sender      TEXT    NOT NULL,
    -- The service number.
    recipient   TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    consumed_at INTEGER
) STRICT;
-- Partial: a take looks only among the unconsumed messages of one sender.
CREATE INDEX inbound_sms_unconsumed ON inbound_sms (sender, recipient, received_at)
    WHERE consumed_at IS NULL;
CREATE INDEX inbound_sms_by_received_at ON inbound_sms (received_at);
