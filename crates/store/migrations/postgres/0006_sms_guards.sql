-- SMS anti-pumping: the tables and indexes of sqlite/0006_sms_guards.sql (see
-- the comments there). Sends increment the counters with conditional upserts
-- (INSERT … ON CONFLICT DO UPDATE … WHERE count < cap): the row lock makes the
-- caps exact across nodes.
CREATE TABLE sms_prefix_counts (
    tenant_id    BIGINT  NOT NULL REFERENCES tenants (id),
    country_code TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    hour_start   BIGINT  NOT NULL,
    sent         BIGINT  NOT NULL DEFAULT 0,
    verified     BIGINT  NOT NULL DEFAULT 0,
    cap_count    BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, country_code, prefix, hour_start)
);
CREATE INDEX sms_prefix_counts_hour ON sms_prefix_counts (hour_start);

CREATE TABLE sms_country_counts (
    tenant_id    BIGINT  NOT NULL REFERENCES tenants (id),
    country_code TEXT    NOT NULL,
    hour_start   BIGINT  NOT NULL,
    sent         BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, country_code, hour_start)
);
CREATE INDEX sms_country_counts_hour ON sms_country_counts (hour_start);

CREATE TABLE sms_budget_days (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    day_start BIGINT NOT NULL,
    sent      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day_start)
);
CREATE INDEX sms_budget_days_day ON sms_budget_days (day_start);

CREATE TABLE sms_prefix_blocks (
    tenant_id    BIGINT  NOT NULL REFERENCES tenants (id),
    country_code TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    blocked_at   BIGINT  NOT NULL,
    until        BIGINT  NOT NULL,
    throttled    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (tenant_id, country_code, prefix)
);
CREATE INDEX sms_prefix_blocks_until ON sms_prefix_blocks (until);
