-- Kept with each request so boards and the ladder read only what concerns them, however many requests are
-- closed: when it closed (done or cancelled), and when the escalation ladder must look at it next (NULL: never).
-- Both are derived from the timeline, which stays the record; a new event sets due_at to its own time and the
-- ladder, on its next pass, replaces it with the exact moment of the next rung.
ALTER TABLE help_requests ADD COLUMN closed_at BIGINT;
ALTER TABLE help_requests ADD COLUMN due_at BIGINT;

UPDATE help_requests SET closed_at = (
    SELECT MIN(e.at) FROM request_events e WHERE e.request_id = help_requests.id AND e.kind IN ('done', 'cancelled')
);
UPDATE help_requests SET due_at = created_at WHERE closed_at IS NULL;

CREATE INDEX help_requests_open ON help_requests (created_at, id) WHERE closed_at IS NULL;
CREATE INDEX help_requests_due ON help_requests (due_at) WHERE due_at IS NOT NULL;
-- A search by phone shows the newest first: served from the index alone, however many requests share the number.
DROP INDEX help_requests_by_phone;
CREATE INDEX help_requests_by_phone ON help_requests (phone, created_at);
