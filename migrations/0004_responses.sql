-- Replies and sequences: what was sent, drafts kept as they are typed, and sequence enrolments.

-- Every reply saved, with how it left (copied, written to a file, piped to a send command,
-- or only recorded).
CREATE TABLE messages (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    ticket_id  INTEGER REFERENCES tickets (id) ON DELETE SET NULL,
    task_id    INTEGER REFERENCES tasks (id) ON DELETE SET NULL,
    template   TEXT,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    to_addr    TEXT,
    message_id TEXT,
    delivery   TEXT NOT NULL CHECK (delivery IN ('clipboard', 'file', 'command', 'recorded')),
    actor      TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX messages_account ON messages (account_id, at);
CREATE INDEX messages_ticket ON messages (ticket_id);

-- Text being typed, saved as it is typed, per person: nothing is lost to a crash or a dropped
-- connection. The key names what the text is for (a reply to ticket 12, a note, ...).
CREATE TABLE drafts (
    actor      TEXT NOT NULL,
    key        TEXT NOT NULL,
    body       TEXT NOT NULL,
    template   TEXT,
    ticket_id  INTEGER,
    account_id INTEGER,
    task_id    INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (actor, key)
) WITHOUT ROWID;

-- An account in a sequence (onboarding, win-back): at most one active enrolment per sequence.
CREATE TABLE sequence_enrollments (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sequence    TEXT NOT NULL,
    enrolled_on TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'cancelled')),
    actor       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    ended_at    INTEGER
);
CREATE UNIQUE INDEX sequence_enrollments_one_active ON sequence_enrollments (account_id, sequence)
    WHERE status = 'active';

ALTER TABLE tasks ADD COLUMN enrollment_id INTEGER REFERENCES sequence_enrollments (id) ON DELETE CASCADE;
CREATE INDEX tasks_enrollment ON tasks (enrollment_id);
