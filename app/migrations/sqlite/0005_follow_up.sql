-- With 'follow_up': the customer's answer to "Are you satisfied?", 1 to 5 (the comment is the event's detail).
ALTER TABLE request_events ADD COLUMN rating INTEGER;
