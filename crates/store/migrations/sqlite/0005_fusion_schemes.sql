-- Fusion-Auth schemes (CreateSchemeConfig): one app of a tenant (Android package
-- + signature, iOS bundle, H5 URL + origin) for Fusion-Auth, apart from the phone
-- number verification schemes of 0002_schemes.sql. Only the identity of the
-- scheme's platform is set; the others are NULL. Deleting a scheme deletes its
-- row and its per-scheme rows of fusion_policies (scheme = code), in one
-- transaction. The unique indexes are what refuses a conflicting scheme, also
-- between concurrent creates; NULLs are distinct in a unique index, so an Android
-- scheme (ios_bundle_id NULL) never conflicts on the bundle id.
CREATE TABLE fusion_schemes (
    -- Never '': that is the global policy's scheme in fusion_policies.
    code                 TEXT    PRIMARY KEY CHECK (code <> ''),
    tenant_id            INTEGER NOT NULL REFERENCES tenants (id),
    name                 TEXT    NOT NULL,
    app_name             TEXT    NOT NULL,
    platform             TEXT    NOT NULL CHECK (platform IN ('Android', 'iOS', 'Web')),
    android_package_name TEXT,
    android_package_sign TEXT,
    ios_bundle_id        TEXT,
    h5_url               TEXT,
    h5_origin            TEXT,
    created_at           INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX fusion_schemes_name ON fusion_schemes (tenant_id, name);
CREATE UNIQUE INDEX fusion_schemes_pack_sign
    ON fusion_schemes (tenant_id, android_package_name, android_package_sign);
CREATE UNIQUE INDEX fusion_schemes_bundle_id ON fusion_schemes (tenant_id, ios_bundle_id);
CREATE UNIQUE INDEX fusion_schemes_h5 ON fusion_schemes (tenant_id, h5_url, h5_origin);
