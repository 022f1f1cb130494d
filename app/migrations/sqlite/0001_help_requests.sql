-- Portable SQL: the PostgreSQL migrations differ only in the id column type.
CREATE TABLE help_requests (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    number          TEXT    NOT NULL UNIQUE,
    token           TEXT    NOT NULL UNIQUE,
    idempotency_key TEXT    UNIQUE,
    source          TEXT    NOT NULL,
    problem         TEXT    NOT NULL,
    problem_detail  TEXT,
    phone           TEXT    NOT NULL,
    name            TEXT,
    lat             DOUBLE PRECISION,
    lon             DOUBLE PRECISION,
    accuracy_m      DOUBLE PRECISION,
    place           TEXT,
    access_notes    TEXT,
    vehicle_make    TEXT,
    vehicle_model   TEXT,
    vehicle_colour  TEXT,
    vehicle_plate   TEXT,
    notes           TEXT,
    created_at      BIGINT  NOT NULL
);

-- Append-only: rows are inserted, never updated or deleted. The timeline and the status come from here.
CREATE TABLE request_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  BIGINT  NOT NULL REFERENCES help_requests (id),
    at          BIGINT  NOT NULL,
    kind        TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    detail      TEXT
);

CREATE INDEX request_events_by_request ON request_events (request_id, id);
CREATE INDEX help_requests_by_created ON help_requests (created_at);
