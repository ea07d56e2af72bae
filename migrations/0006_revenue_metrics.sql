-- Changes in an account's monthly revenue: how expansion and contraction are measured.
CREATE TABLE revenue_events (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('new', 'expansion', 'contraction', 'churn')),
    mrr_before  INTEGER NOT NULL CHECK (mrr_before >= 0),
    mrr_after   INTEGER NOT NULL CHECK (mrr_after >= 0),
    actor       TEXT NOT NULL
);
CREATE INDEX revenue_events_at ON revenue_events (kind, at);
CREATE INDEX revenue_events_account ON revenue_events (account_id, at);

-- The Metrics view reads one kind of signal over a period across all accounts.
CREATE INDEX signals_kind_at ON signals (kind, at);
CREATE INDEX accounts_churned_on ON accounts (churned_on) WHERE churned_on IS NOT NULL;
CREATE INDEX tickets_resolved ON tickets (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX health_snapshots_day ON health_snapshots (day);
