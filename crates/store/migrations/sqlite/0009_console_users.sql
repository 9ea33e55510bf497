-- Console users (operator and tenant users) and their sign-in sessions.
-- (Version 8 is another branch's migration: the two are merged in order.)

-- A user signs in with a name and a password; only the argon2id hash (a PHC
-- string) is stored. A tenant user belongs to one tenant; an operator to none.
CREATE TABLE console_users (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE,
    role            TEXT    NOT NULL CHECK (role IN ('operator', 'tenant')),
    tenant_id       INTEGER REFERENCES tenants (id),
    password_hash   TEXT    NOT NULL,
    enabled         INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    -- Wrong passwords since the last sign-in or lock; at the limit the user is
    -- locked until locked_until and the count starts again.
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER,
    created_at      INTEGER NOT NULL,
    CHECK ((role = 'tenant') = (tenant_id IS NOT NULL))
) STRICT;

-- A session is known by the SHA-256 of its random id (the cookie holds the id,
-- the database only its hash). It lives while now < idle_until, and idle_until
-- never passes expires_at: one column decides both timeouts and the purge.
CREATE TABLE console_sessions (
    id_hash    BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES console_users (id),
    csrf_token TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    idle_until INTEGER NOT NULL
) STRICT;
CREATE INDEX console_sessions_by_idle_until ON console_sessions (idle_until);
CREATE INDEX console_sessions_by_user ON console_sessions (user_id);
