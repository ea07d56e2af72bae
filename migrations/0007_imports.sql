-- Imports: product events keyed by the source's own event id, and mail threaded by Message-ID.
ALTER TABLE signals ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX signals_external_id ON signals (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX ticket_events_message_id ON ticket_events (message_id) WHERE message_id IS NOT NULL;
