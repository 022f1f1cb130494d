-- A member of staff's own language: their pages on any phone they log in from, their push alerts, texts and
-- calls. NULL until they choose one (or log in once): the server's --default-locale meanwhile.
ALTER TABLE staff ADD COLUMN locale TEXT;
