-- One row that GET /healthz rewrites in a transaction: proof that the database takes writes (a full disk or a
-- locked file answers reads and fails here), not only that it answers a SELECT.
CREATE TABLE health (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at BIGINT NOT NULL
);
INSERT INTO health (id, checked_at) VALUES (1, 0);
