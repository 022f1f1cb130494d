-- A child or a pet shut inside the vehicle: an emergency, top of every list and an alarm on dispatch at once.
ALTER TABLE help_requests ADD COLUMN someone_inside BOOLEAN NOT NULL DEFAULT FALSE;
