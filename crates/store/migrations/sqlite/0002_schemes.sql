-- Phone number verification schemes: one app (Android package + signature, iOS
-- bundle, HarmonyOS app, H5 URL + origin) of a tenant. Deleting a scheme deletes
-- its row. The unique indexes are what refuses a conflicting scheme, also between
-- concurrent creates; NULLs are distinct in a unique index, so an Android scheme
-- (bundle_id NULL) never conflicts on bundle_id.
CREATE TABLE verify_schemes (
    code              TEXT    PRIMARY KEY,
    tenant_id         INTEGER NOT NULL REFERENCES tenants (id),
    name              TEXT    NOT NULL,
    app_name          TEXT    NOT NULL,
    os_type           TEXT    NOT NULL CHECK (os_type IN ('Android', 'iOS', 'HarmonyOS', 'Web')),
    pack_name         TEXT,
    pack_sign         TEXT,
    bundle_id         TEXT,
    url               TEXT,
    origin            TEXT,
    hm_app_identifier TEXT,
    hm_package_name   TEXT,
    hm_sign_name      TEXT,
    auth_type         TEXT    NOT NULL,
    scene_type        TEXT,
    sms_sign_name     TEXT,
    ip_white_list     TEXT,
    email             TEXT,
    cm_api_code       INTEGER,
    ct_api_code       INTEGER,
    cu_api_code       INTEGER,
    -- Sealed by the caller with the master key; never in clear here.
    sealed_secret     BLOB    NOT NULL,
    created_at        INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX verify_schemes_name ON verify_schemes (tenant_id, name);
CREATE UNIQUE INDEX verify_schemes_pack_sign ON verify_schemes (tenant_id, pack_name, pack_sign);
CREATE UNIQUE INDEX verify_schemes_bundle_id ON verify_schemes (tenant_id, bundle_id);
CREATE UNIQUE INDEX verify_schemes_h5 ON verify_schemes (tenant_id, url, origin);
