-- With 'assigned': the technician a dispatcher gave the job to (staff_id is the dispatcher).
ALTER TABLE request_events ADD COLUMN technician_id BIGINT REFERENCES staff (id);
-- With 'escalated': the rung of the ladder reached (1 alert again, 2 backups, 3 dispatch alarm).
ALTER TABLE request_events ADD COLUMN level INTEGER;

-- Backup technicians: alerted on the ladder's second rung, on duty or not. Set by dispatch on the roster.
ALTER TABLE staff ADD COLUMN backup_since BIGINT;

-- Finding closed requests by phone, and the reports by time.
CREATE INDEX help_requests_by_phone ON help_requests (phone);
CREATE INDEX request_events_by_kind ON request_events (kind, at);
