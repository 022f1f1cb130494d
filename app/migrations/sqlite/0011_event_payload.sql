-- Each event's own facts as JSON beside its kind, in place of a column per fact that most kinds left empty.
-- Who did it (staff_id) and whom a dispatcher assigned (technician_id) stay columns: the names are joined.
ALTER TABLE request_events ADD COLUMN payload TEXT NOT NULL DEFAULT '{}';

UPDATE request_events SET payload = CASE kind
    WHEN 'on_the_way' THEN json_object('eta_minutes', eta_minutes)
    WHEN 'eta_changed' THEN json_object('eta_minutes', eta_minutes)
    WHEN 'done' THEN json_object('note', COALESCE(detail, ''))
    WHEN 'released' THEN json_object('reason', COALESCE(detail, ''))
    WHEN 'cancelled' THEN CASE WHEN detail IS NULL THEN '{}' ELSE json_object('reason', detail) END
    WHEN 'escalated' THEN json_object('level', COALESCE(level, 1), 'note', COALESCE(detail, ''))
    WHEN 'follow_up' THEN
        CASE WHEN detail IS NULL THEN json_object('rating', rating) ELSE json_object('rating', rating, 'comment', detail) END
    ELSE '{}'
END;

ALTER TABLE request_events DROP COLUMN detail;
ALTER TABLE request_events DROP COLUMN eta_minutes;
ALTER TABLE request_events DROP COLUMN level;
ALTER TABLE request_events DROP COLUMN rating;
