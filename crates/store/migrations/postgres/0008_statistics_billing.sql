-- Statistics of verification attempts and billing: rollups, not one row per attempt.

-- One counter row per (tenant, method, day, scheme, scene, OS type): an attempt
-- adds 1 to its outcome's column with one upsert, so a 30-day query reads at most
-- a few rows per day however many attempts there were. `day` is `YYYY-MM-DD` in
-- the calendar of `sms.utc_offset_hours`; `scene` is a Fusion-Auth scene code or
-- '' for the other methods; `os_type` is the scheme's, or 'unknown'.
CREATE TABLE gate_stats (
    tenant_id BIGINT  NOT NULL,
    method    TEXT    NOT NULL,
    day       TEXT    NOT NULL,
    scheme    TEXT    NOT NULL,
    scene     TEXT    NOT NULL,
    os_type   TEXT    NOT NULL,
    success   BIGINT  NOT NULL DEFAULT 0,
    fail      BIGINT  NOT NULL DEFAULT 0,
    unknown   BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, method, day, scheme, scene, os_type)
);

-- An SMS send is counted as unknown when it is sent and moved to success or fail
-- by its final status: the send record keeps the key it was counted under.
ALTER TABLE send_records ADD COLUMN stat_scheme TEXT;
ALTER TABLE send_records ADD COLUMN stat_day TEXT;

-- Resource plans: N verifications of a method, valid in [valid_from, valid_until),
-- consumed before pay-as-you-go by one conditional update each.
CREATE TABLE billing_plans (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   BIGINT  NOT NULL,
    method      TEXT    NOT NULL,
    total       BIGINT  NOT NULL CHECK (total > 0),
    used        BIGINT  NOT NULL DEFAULT 0 CHECK (used >= 0 AND used <= total),
    valid_from  BIGINT  NOT NULL,
    valid_until BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX billing_plans_by_tenant ON billing_plans (tenant_id, method, valid_until);

-- Charged successes per tenant, month (`YYYY-MM`), method, scheme and scene: units
-- taken from plans and paid units with their amount in 1/10000 yuan.
CREATE TABLE billing_usage (
    tenant_id  BIGINT  NOT NULL,
    month      TEXT    NOT NULL,
    method     TEXT    NOT NULL,
    scheme     TEXT    NOT NULL,
    scene      TEXT    NOT NULL,
    plan_units BIGINT  NOT NULL DEFAULT 0,
    paid_units BIGINT  NOT NULL DEFAULT 0,
    amount     BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, month, method, scheme, scene)
);
