-- Single use of the tokens numgate hands out (AccessTokens, spTokens): one row per
-- used token id, until keep_until (the token's expiry; after it the token is
-- refused as expired anyway, so purge_expired may delete the row).
CREATE TABLE consumed_tokens (
    id         TEXT    PRIMARY KEY,
    keep_until INTEGER NOT NULL
) STRICT;
CREATE INDEX consumed_tokens_by_keep_until ON consumed_tokens (keep_until);
