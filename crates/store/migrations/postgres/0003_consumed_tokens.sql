-- Single use of the tokens numgate hands out: the table and index of
-- sqlite/0003_consumed_tokens.sql. The primary key decides between nodes.
CREATE TABLE consumed_tokens (
    id         TEXT   PRIMARY KEY,
    keep_until BIGINT NOT NULL
);
CREATE INDEX consumed_tokens_by_keep_until ON consumed_tokens (keep_until);
