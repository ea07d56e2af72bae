-- The newest signal a health recompute has read: `tend health recompute --changed` rescores
-- only the accounts with signals added after it. 0 until the first recompute: all of them.
CREATE TABLE health_mark (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    signal_id INTEGER NOT NULL
);
INSERT INTO health_mark (id, signal_id) VALUES (1, 0);

-- The health recompute reads each account's signals and tickets over time windows, account
-- by account: these indexes (wider versions of the ones they replace) hold every column it
-- reads, so it never visits the rows themselves. `id` right after `at` keeps the order the
-- latest answer is picked by (at, then id), as the old index's implicit rowid did.
DROP INDEX IF EXISTS signals_account_kind_at;
CREATE INDEX signals_account_kind_at ON signals (account_id, kind, at, id, core, feature, score, payment);
DROP INDEX IF EXISTS tickets_account;
CREATE INDEX tickets_account ON tickets (account_id, closed_at, opened_at, next_due, tags);
