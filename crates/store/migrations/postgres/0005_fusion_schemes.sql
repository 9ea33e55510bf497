-- Fusion-Auth schemes: the table and indexes of sqlite/0005_fusion_schemes.sql
-- (see the comments there). The unique indexes are what refuses a conflicting
-- scheme (their names map to the conflict reported, see
-- src/postgres/fusion_schemes.rs); NULLs are distinct in them.
CREATE TABLE fusion_schemes (
    -- Never '': that is the global policy's scheme in fusion_policies.
    code                 TEXT    PRIMARY KEY CHECK (code <> ''),
    tenant_id            BIGINT  NOT NULL REFERENCES tenants (id),
    name                 TEXT    NOT NULL,
    app_name             TEXT    NOT NULL,
    platform             TEXT    NOT NULL CHECK (platform IN ('Android', 'iOS', 'Web')),
    android_package_name TEXT,
    android_package_sign TEXT,
    ios_bundle_id        TEXT,
    h5_url               TEXT,
    h5_origin            TEXT,
    created_at           BIGINT  NOT NULL
);
CREATE UNIQUE INDEX fusion_schemes_name ON fusion_schemes (tenant_id, name);
CREATE UNIQUE INDEX fusion_schemes_pack_sign
    ON fusion_schemes (tenant_id, android_package_name, android_package_sign);
CREATE UNIQUE INDEX fusion_schemes_bundle_id ON fusion_schemes (tenant_id, ios_bundle_id);
CREATE UNIQUE INDEX fusion_schemes_h5 ON fusion_schemes (tenant_id, h5_url, h5_origin);
