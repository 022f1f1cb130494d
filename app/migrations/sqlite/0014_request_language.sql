-- The customer's language, from the page they sent it on (or the partner's `language`): their texts and calls are
-- written in it. NULL for requests from before, and for partners who say none: the server's --default-locale.
ALTER TABLE help_requests ADD COLUMN locale TEXT;
