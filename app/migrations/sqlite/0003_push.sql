-- Keys the server makes once and keeps: the VAPID key that identifies us to push services.
CREATE TABLE server_keys (
    name        TEXT    PRIMARY KEY,
    value       TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);

-- One Web Push subscription per device (a phone that subscribes again replaces its old one). Deliveries are
-- recorded so dispatch can see who can actually be reached.
CREATE TABLE push_subscriptions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id         BIGINT  NOT NULL REFERENCES staff (id),
    device_id        TEXT    NOT NULL UNIQUE,
    endpoint         TEXT    NOT NULL UNIQUE,
    p256dh           TEXT    NOT NULL,
    auth             TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    last_success_at  BIGINT,
    last_failure_at  BIGINT,
    last_error       TEXT
);

CREATE INDEX push_subscriptions_by_staff ON push_subscriptions (staff_id);
