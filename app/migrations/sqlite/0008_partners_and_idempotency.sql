-- Partners who call the API (insurers' call centres, telematics), each with a key of its own. Only a hash of
-- the key is kept: the key is 256 random bits, so SHA-256 is enough and a stolen database gives no key away.
CREATE TABLE partners (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    key_hash    TEXT    NOT NULL UNIQUE,
    -- Requests it may create per minute; NULL: the server's default.
    per_minute  INTEGER,
    created_at  BIGINT  NOT NULL,
    revoked_at  BIGINT
);

-- The partner a request came from (source 'api').
ALTER TABLE help_requests ADD COLUMN partner_id BIGINT REFERENCES partners (id);

-- Idempotency keys belong to their caller ('web', 'staff:<id>' or 'partner:<id>'), remember a hash of what
-- was sent with them, and expire: the same key never returns another caller's request, nor a different one.
-- help_requests.idempotency_key is no longer written.
CREATE TABLE idempotency_keys (
    caller       TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    fingerprint  TEXT    NOT NULL,
    request_id   BIGINT  NOT NULL REFERENCES help_requests (id),
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (caller, key)
);
