-- Counts the changes that end every session of a member of staff: disabling the account, a new password. A session
-- remembers the count from when it began and is dead once the count moves on, so enabling an account again does
-- not bring its old sessions back. A count rather than a time: no two changes can share one, and a login checked
-- while the account was being disabled still carries the count from before.
ALTER TABLE staff ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
