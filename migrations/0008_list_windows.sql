-- The cockpit reads its lists a window at a time: each list order has an index to walk,
-- and an account's open-ticket count is kept beside it instead of counted per row.

ALTER TABLE accounts ADD COLUMN open_tickets INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET open_tickets =
    (SELECT count(*) FROM tickets t WHERE t.account_id = accounts.id AND t.closed_at IS NULL);

CREATE TRIGGER accounts_open_tickets_ins AFTER INSERT ON tickets WHEN NEW.closed_at IS NULL
BEGIN
    UPDATE accounts SET open_tickets = open_tickets + 1 WHERE id = NEW.account_id;
END;
CREATE TRIGGER accounts_open_tickets_del AFTER DELETE ON tickets WHEN OLD.closed_at IS NULL
BEGIN
    UPDATE accounts SET open_tickets = open_tickets - 1 WHERE id = OLD.account_id;
END;
CREATE TRIGGER accounts_open_tickets_upd AFTER UPDATE OF closed_at, account_id ON tickets
WHEN (OLD.closed_at IS NULL) != (NEW.closed_at IS NULL) OR OLD.account_id != NEW.account_id
BEGIN
    UPDATE accounts SET open_tickets = open_tickets - 1 WHERE id = OLD.account_id AND OLD.closed_at IS NULL;
    UPDATE accounts SET open_tickets = open_tickets + 1 WHERE id = NEW.account_id AND NEW.closed_at IS NULL;
END;

-- worst health first with the never-scored last; soonest renewal first with none last
CREATE INDEX accounts_list_score ON accounts (coalesce(health_score, 4294967295), id);
CREATE INDEX accounts_list_renewal ON accounts (coalesce(renewal_date, '9999'), id);
CREATE INDEX accounts_list_login ON accounts (coalesce(last_login_at, 0), id);
CREATE INDEX accounts_list_open ON accounts (open_tickets, id);
CREATE INDEX accounts_list_segment ON accounts (
    CASE segment WHEN 'enterprise' THEN 0 WHEN 'smb' THEN 1 ELSE 2 END, id);
CREATE INDEX accounts_list_stage ON accounts (
    CASE stage WHEN 'onboarding' THEN 0 WHEN 'adoption' THEN 1 WHEN 'value-realization' THEN 2
        WHEN 'expansion' THEN 3 ELSE 4 END, id);

-- an account's detail reads its sequence enrolments
CREATE INDEX sequence_enrollments_account ON sequence_enrollments (account_id);

-- the open queue, most urgent first, with what its filters read
CREATE INDEX tickets_queue ON tickets (
    next_due IS NULL, next_due, opened_at, id,
    snoozed_until_reply, snoozed_until, waiting_since, support_tier, step, account_id, assignee, closed_at
) WHERE closed_at IS NULL;
