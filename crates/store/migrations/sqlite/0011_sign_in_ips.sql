-- Failed console sign-ins per client address: a fixed window that starts at
-- the first failure; while failures >= the limit and the window runs, every
-- sign-in from the address is refused. Kept in the database so that the limit
-- holds across nodes; rows are purged a day after their window started.
-- (Version 10 is another branch's migration: the two are merged in order.)
CREATE TABLE console_sign_in_ips (
    ip           TEXT    PRIMARY KEY,
    window_start INTEGER NOT NULL,
    failures     INTEGER NOT NULL
) STRICT;
CREATE INDEX console_sign_in_ips_by_window ON console_sign_in_ips (window_start);
