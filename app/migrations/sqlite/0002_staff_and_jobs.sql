-- Staff who log in: technicians, dispatchers, admins. Never deleted (events point at them); disabled instead.
CREATE TABLE staff (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    login          TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    phone          TEXT,
    -- Set while the technician is on duty; NULL when off.
    on_duty_since  BIGINT,
    disabled_at    BIGINT,
    created_at     BIGINT  NOT NULL
);

-- Who did a request's step when it was a member of staff.
ALTER TABLE request_events ADD COLUMN staff_id BIGINT REFERENCES staff (id);
-- The ETA a technician gave, with on_the_way and eta_changed.
ALTER TABLE request_events ADD COLUMN eta_minutes INTEGER;

-- Counts the request's events: an event is only appended if nobody else appended one since it was read, so
-- two technicians pressing Accept at once can not both win.
ALTER TABLE help_requests ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

-- The service truck's checklist: per problem ('always' for every job), items to load and questions to ask first.
CREATE TABLE checklist_items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    problem     TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    position    INTEGER NOT NULL,
    retired_at  BIGINT
);

-- Ticks on one job's checklist.
CREATE TABLE job_checks (
    request_id  BIGINT  NOT NULL REFERENCES help_requests (id),
    item_id     BIGINT  NOT NULL REFERENCES checklist_items (id),
    staff_id    BIGINT  NOT NULL REFERENCES staff (id),
    checked_at  BIGINT  NOT NULL,
    PRIMARY KEY (request_id, item_id)
);

-- Defaults from the field (PRODUCT.md); dispatch edits them later.
INSERT INTO checklist_items (problem, kind, label, position) VALUES
    ('always', 'item', 'Hi-vis vest', 1),
    ('always', 'item', 'Cones / warning triangles', 2),
    ('always', 'item', 'Amber beacon', 3),
    ('always', 'item', 'Headlamp', 4),
    ('always', 'item', 'Fire extinguisher', 5),
    ('always', 'item', 'First-aid kit', 6),
    ('always', 'item', 'Gloves', 7),
    ('always', 'item', 'Wheel chocks', 8),
    ('flat_tire', 'question', 'Is there a spare wheel, and is it inflated?', 1),
    ('flat_tire', 'question', 'Where is the wheel-lock key?', 2),
    ('flat_tire', 'item', 'Compressor and pressure gauge (spares are often low)', 3),
    ('flat_tire', 'item', 'Low-profile jack', 4),
    ('flat_tire', 'item', 'Jack stand and a board for soft ground', 5),
    ('flat_tire', 'item', 'Lug wrench / breaker bar and sockets', 6),
    ('flat_tire', 'item', 'Wheel-lock key adapter set', 7),
    ('flat_tire', 'item', 'Torque wrench', 8),
    ('flat_tire', 'item', 'Tyre plug kit (tread punctures only)', 9),
    ('battery', 'question', 'Do the dashboard lights come on when you turn the key?', 1),
    ('battery', 'item', 'Jump pack with reverse-polarity protection', 2),
    ('battery', 'item', 'Heavy-gauge jumper cables', 3),
    ('battery', 'item', 'Battery tester', 4),
    ('battery', 'item', 'Terminal brush', 5),
    ('lockout', 'question', 'Is a child or a pet inside? If yes: emergency, top priority', 1),
    ('lockout', 'question', 'Where are the keys (inside, lost, broken)?', 2),
    ('lockout', 'item', 'Lockout kit', 3),
    ('lockout', 'item', 'Air wedge', 4),
    ('fuel', 'question', 'Petrol or diesel?', 1),
    ('fuel', 'item', 'Fuel can: petrol', 2),
    ('fuel', 'item', 'Separate fuel can: diesel', 3),
    ('fuel', 'item', 'Funnel', 4),
    ('tow', 'question', 'Where should the vehicle go?', 1),
    ('tow', 'item', 'Hand off to a tow partner: note vehicle and destination', 2),
    ('other', 'question', 'What exactly happened, and is anyone hurt?', 1);
