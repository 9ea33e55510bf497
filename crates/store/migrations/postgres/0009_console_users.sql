-- Console users (operator and tenant users) and their sign-in sessions.
-- (Version 8 is another branch's migration: the two are merged in order.)

-- A user signs in with a name and a password; only the argon2id hash (a PHC
-- string) is stored. A tenant user belongs to one tenant; an operator to none.
CREATE TABLE console_users (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE,
    role            TEXT    NOT NULL CHECK (role IN ('operator', 'tenant')),
    tenant_id       BIGINT  REFERENCES tenants (id),
    password_hash   TEXT    NOT NULL,
    enabled         BOOLEAN NOT NULL,
    -- Wrong passwords since the last sign-in or lock; at the limit the user is
    -- locked until locked_until and the count starts again.
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    BIGINT,
    created_at      BIGINT  NOT NULL,
    CHECK ((role = 'tenant') = (tenant_id IS NOT NULL))
);

-- A session is known by the SHA-256 of its random id (the cookie holds the id,
-- the database only its hash). It lives while now < idle_until, and idle_until
-- never passes expires_at: one column decides both timeouts and the purge.
CREATE TABLE console_sessions (
    id_hash    BYTEA   PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES console_users (id),
    csrf_token TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    idle_until BIGINT  NOT NULL
);
CREATE INDEX console_sessions_by_idle_until ON console_sessions (idle_until);
CREATE INDEX console_sessions_by_user ON console_sessions (user_id);
