-- SMS anti-pumping: counters per prefix, per country and per tenant's day, and
-- the blocks of prefixes. Written in the transaction of the send they count (and
-- of the code check that verifies: `verified`), so that a refused send changes
-- none of them. Hours are fixed UTC clock hours (hour_start = now - now % 1 h);
-- days are the tenant's calendar days (sms.utc_offset_hours), day_start being the
-- UTC instant of local midnight. Purged in the background when old (8 days; the
-- longest conversion window is 7), blocks once run out. Not WITHOUT ROWID: the
-- purge deletes by rowid.
--
-- A prefix is the national number without its last four digits.
CREATE TABLE sms_prefix_counts (
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    country_code TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    hour_start   INTEGER NOT NULL,
    -- Sends and codes verified (counted in the hour the code was sent): the
    -- conversion rate.
    sent         INTEGER NOT NULL DEFAULT 0,
    verified     INTEGER NOT NULL DEFAULT 0,
    -- Sends counted against the hourly cap: as `sent`, but set back to 0 when an
    -- operator lifts the prefix's block.
    cap_count    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, country_code, prefix, hour_start)
) STRICT;
CREATE INDEX sms_prefix_counts_hour ON sms_prefix_counts (hour_start);

CREATE TABLE sms_country_counts (
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    country_code TEXT    NOT NULL,
    hour_start   INTEGER NOT NULL,
    sent         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, country_code, hour_start)
) STRICT;
CREATE INDEX sms_country_counts_hour ON sms_country_counts (hour_start);

CREATE TABLE sms_budget_days (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    day_start INTEGER NOT NULL,
    sent      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day_start)
) STRICT;
CREATE INDEX sms_budget_days_day ON sms_budget_days (day_start);

-- A prefix refused until `until` (exclusive: a send at `until` goes again). One
-- row per prefix: a block made while an older one has run out replaces it.
CREATE TABLE sms_prefix_blocks (
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    country_code TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    blocked_at   INTEGER NOT NULL,
    until        INTEGER NOT NULL,
    -- Whether the cap exceeded was the conversion throttle's.
    throttled    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, country_code, prefix)
) STRICT;
CREATE INDEX sms_prefix_blocks_until ON sms_prefix_blocks (until);
