-- Texts and calls to send, each written in the transaction of the event that causes it and sent by a worker
-- that retries: a crash loses none, and a row's state says how far it got. One the provider may have taken
-- when the sender died is not sent again to a customer (no provider has an idempotency key for texts and calls);
-- a page is, as a second text beats a missed job.
CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id     BIGINT  NOT NULL REFERENCES help_requests (id),
    -- sms or call
    channel        TEXT    NOT NULL,
    -- page (a member of staff, about a request nobody owns), or what the customer is told
    purpose        TEXT    NOT NULL,
    -- The member paged; NULL for the customer.
    staff_id       BIGINT  REFERENCES staff (id),
    to_phone       TEXT    NOT NULL,
    -- A page belongs to one wait (when the request last became unowned): one text and one call per member and
    -- wait, however many rungs alert them again.
    wait_began     BIGINT,
    -- Not before this; after a failure, the next attempt.
    due_at         BIGINT  NOT NULL,
    -- pending; claimed (by a sender, not yet handed to the provider); sending (handed over, no answer yet);
    -- sent, delivered, failed, cancelled
    state          TEXT    NOT NULL DEFAULT 'pending',
    attempts       INTEGER NOT NULL DEFAULT 0,
    claimed_until  BIGINT,
    -- What was sent (the text, or what the call said).
    body           TEXT,
    provider_sid   TEXT,
    -- Why it failed or was not sent; the provider's last word.
    detail         TEXT,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL
);

CREATE UNIQUE INDEX outbox_one_page ON outbox (request_id, staff_id, channel, wait_began) WHERE wait_began IS NOT NULL;
CREATE INDEX outbox_due ON outbox (due_at) WHERE state = 'pending';
CREATE INDEX outbox_claimed ON outbox (claimed_until) WHERE state IN ('claimed', 'sending');
CREATE INDEX outbox_by_request ON outbox (request_id, id);
CREATE UNIQUE INDEX outbox_by_sid ON outbox (provider_sid) WHERE provider_sid IS NOT NULL;

-- A member's own delays for the text and the call after a push (ms); NULL: the server's.
ALTER TABLE staff ADD COLUMN sms_after_ms BIGINT;
ALTER TABLE staff ADD COLUMN call_after_ms BIGINT;

-- Customers who replied STOP: no texts to them until they reply START.
CREATE TABLE sms_opt_outs (
    phone  TEXT    PRIMARY KEY,
    at     BIGINT  NOT NULL
);
