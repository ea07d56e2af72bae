-- tend's first schema: the whole customer-success mission.
-- Timestamps are INTEGER seconds since the Unix epoch (UTC); calendar dates are TEXT 'YYYY-MM-DD'.
-- Money is INTEGER cents. Enumerations are lower-case words checked by CHECK constraints.

CREATE TABLE accounts (
    id                INTEGER PRIMARY KEY,
    external_id       TEXT UNIQUE,
    name              TEXT NOT NULL,
    segment           TEXT NOT NULL CHECK (segment IN ('enterprise', 'smb', 'self-serve')),
    plan              TEXT NOT NULL DEFAULT '',
    mrr_cents         INTEGER NOT NULL DEFAULT 0 CHECK (mrr_cents >= 0),
    stage             TEXT NOT NULL CHECK (stage IN ('onboarding', 'adoption', 'value-realization', 'expansion', 'advocacy')),
    owner             TEXT,
    signup_date       TEXT NOT NULL,
    renewal_date      TEXT,
    status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'churned')),
    churned_on        TEXT,
    churn_reason      TEXT,
    -- the latest computed health, kept beside the account so lists need no rescans
    health_score      INTEGER,
    health_usage      INTEGER,
    health_engagement INTEGER,
    health_satisfaction INTEGER,
    health_payment    INTEGER,
    health_at         INTEGER,
    last_login_at     INTEGER,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX accounts_health ON accounts (health_score, id);
CREATE INDEX accounts_name ON accounts (name COLLATE NOCASE, id);
CREATE INDEX accounts_mrr ON accounts (mrr_cents, id);
CREATE INDEX accounts_renewal ON accounts (renewal_date, id);

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    external_id TEXT UNIQUE,
    name        TEXT NOT NULL,
    email       TEXT,
    role        TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX contacts_account ON contacts (account_id);
CREATE INDEX contacts_email ON contacts (email COLLATE NOCASE);

-- one row per event from the product, the survey tool or billing
CREATE TABLE signals (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id  INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('login', 'feature', 'nps', 'csat', 'payment')),
    at          INTEGER NOT NULL,
    feature     TEXT,                 -- feature use: the feature's name
    core        INTEGER,              -- feature use: 1 when it is a core feature
    score       INTEGER,              -- nps 0-10, csat 1-5
    payment     TEXT CHECK (payment IS NULL OR payment IN ('current', 'late', 'failed'))
);
CREATE INDEX signals_account_kind_at ON signals (account_id, kind, at);

CREATE TABLE health_snapshots (
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day          TEXT NOT NULL,
    score        INTEGER NOT NULL,
    usage        INTEGER NOT NULL,
    engagement   INTEGER NOT NULL,
    satisfaction INTEGER NOT NULL,
    payment      INTEGER NOT NULL,
    PRIMARY KEY (account_id, day)
) WITHOUT ROWID;

CREATE TABLE tickets (
    id                  INTEGER PRIMARY KEY,
    external_id         TEXT UNIQUE,
    account_id          INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id          INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    subject             TEXT NOT NULL,
    body                TEXT NOT NULL DEFAULT '',
    channel             TEXT NOT NULL CHECK (channel IN ('chat', 'email', 'call', 'self-serve')),
    priority            TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    support_tier        INTEGER NOT NULL DEFAULT 1 CHECK (support_tier IN (1, 2)),
    step                TEXT NOT NULL DEFAULT 'acknowledge' CHECK (step IN ('acknowledge', 'diagnose', 'resolve', 'follow-up', 'closed')),
    assignee            TEXT,
    tags                TEXT NOT NULL DEFAULT '',   -- comma-separated, lower-case
    opened_at           INTEGER NOT NULL,
    acknowledged_at     INTEGER,
    first_response_at   INTEGER,
    resolved_at         INTEGER,
    followed_up_at      INTEGER,
    closed_at           INTEGER,
    first_response_due  INTEGER,                    -- NULL for a call with no appointment yet
    resolution_due      INTEGER NOT NULL,           -- before pauses; the clock adds paused_secs
    waiting_since       INTEGER,                    -- waiting on the customer since (clock paused)
    paused_secs         INTEGER NOT NULL DEFAULT 0, -- finished waiting periods
    snoozed_until       INTEGER,
    snoozed_until_reply INTEGER NOT NULL DEFAULT 0,
    csat                INTEGER CHECK (csat IS NULL OR csat BETWEEN 1 AND 5),
    next_due            INTEGER,                    -- the soonest running SLA due time; NULL when none runs
    message_id          TEXT,
    version             INTEGER NOT NULL DEFAULT 1,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX tickets_account ON tickets (account_id, closed_at);
CREATE INDEX tickets_step ON tickets (step, resolution_due);
CREATE INDEX tickets_open_due ON tickets (next_due) WHERE closed_at IS NULL;
CREATE INDEX tickets_opened ON tickets (opened_at);
CREATE INDEX tickets_message_id ON tickets (message_id);

-- the ticket's timeline: notes, replies, inbound messages, step changes, escalations
CREATE TABLE ticket_events (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('opened', 'note', 'reply', 'inbound', 'step', 'override', 'back', 'escalation', 'wait', 'snooze', 'resume', 'checklist', 'assign')),
    body       TEXT NOT NULL DEFAULT '',
    from_step  TEXT,
    to_step    TEXT,
    message_id TEXT
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, at);

CREATE TABLE ticket_checklist (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    step      TEXT NOT NULL,
    item      INTEGER NOT NULL,
    done_at   INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    PRIMARY KEY (ticket_id, step, item)
) WITHOUT ROWID;

CREATE TABLE investigations (
    id                  INTEGER PRIMARY KEY,
    account_id          INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    ticket_id           INTEGER REFERENCES tickets (id) ON DELETE SET NULL,
    situation           TEXT CHECK (situation IS NULL OR situation IN ('support-request', 'onboarding-challenge', 'adoption-issue', 'success-opportunity')),
    goal                TEXT NOT NULL DEFAULT '',
    customer_impact     TEXT CHECK (customer_impact IS NULL OR customer_impact IN ('high', 'medium', 'low')),
    relationship_impact TEXT CHECK (relationship_impact IS NULL OR relationship_impact IN ('high', 'medium', 'low')),
    scalability         TEXT CHECK (scalability IS NULL OR scalability IN ('high', 'medium', 'low')),
    resource_efficiency TEXT CHECK (resource_efficiency IS NULL OR resource_efficiency IN ('high', 'medium', 'low')),
    process_fit         TEXT CHECK (process_fit IS NULL OR process_fit IN ('adequate', 'needs-improvement')),
    priority            TEXT,
    answers             TEXT NOT NULL DEFAULT '{}',  -- the form's answers and output table, JSON
    status              TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'done')),
    health_at_start     INTEGER,
    follow_up_due       TEXT,
    actor               TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX investigations_account ON investigations (account_id);
CREATE INDEX investigations_ticket ON investigations (ticket_id);

CREATE TABLE cs_debt (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    investigation_id INTEGER REFERENCES investigations (id) ON DELETE SET NULL,
    ticket_id        INTEGER REFERENCES tickets (id) ON DELETE SET NULL,
    issue            TEXT NOT NULL,
    workaround       TEXT NOT NULL DEFAULT '',
    why_deferred     TEXT NOT NULL DEFAULT '',
    pattern          TEXT NOT NULL DEFAULT '',
    actor            TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);

-- playbook and sequence steps, follow-ups: work with a due date
CREATE TABLE tasks (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    ticket_id        INTEGER REFERENCES tickets (id) ON DELETE SET NULL,
    investigation_id INTEGER REFERENCES investigations (id) ON DELETE SET NULL,
    source           TEXT NOT NULL CHECK (source IN ('playbook', 'sequence', 'investigation', 'manual')),
    playbook         TEXT,
    cause            TEXT,          -- what raised it; one open task per account and cause
    title            TEXT NOT NULL,
    template         TEXT,
    due_date         TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'snoozed', 'dismissed', 'cancelled')),
    snoozed_until    TEXT,
    reason           TEXT,
    actor            TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    closed_at        INTEGER
);
CREATE INDEX tasks_due ON tasks (status, due_date);
CREATE INDEX tasks_account ON tasks (account_id, status);
CREATE UNIQUE INDEX tasks_one_open_per_cause ON tasks (account_id, cause)
    WHERE cause IS NOT NULL AND status IN ('open', 'snoozed');

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id INTEGER,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
