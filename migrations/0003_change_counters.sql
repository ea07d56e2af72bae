-- Counters bumped by every change to the tables the cockpit lists, so an open cockpit can
-- reload only the part another process changed.
CREATE TABLE change_counters (
    tbl TEXT PRIMARY KEY,
    n   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO change_counters (tbl) VALUES ('accounts'), ('tickets'), ('tasks');

CREATE TRIGGER accounts_changed_ins AFTER INSERT ON accounts BEGIN UPDATE change_counters SET n = n + 1 WHERE tbl = 'accounts'; END;
CREATE TRIGGER accounts_changed_upd AFTER UPDATE ON accounts BEGIN UPDATE change_counters SET n = n + 1 WHERE tbl = 'accounts'; END;
CREATE TRIGGER accounts_changed_del AFTER DELETE ON accounts BEGIN UPDATE change_counters SET n = n + 1 WHERE tbl = 'accounts'; END;
CREATE TRIGGER tickets_changed_ins AFTER INSERT ON tickets BEGIN UPDATE change_counters SET n = n + 1 WHERE tbl = 'tickets'; END;
CREATE TRIGGER tickets_changed_upd AFTER UPDATE ON tickets BEGIN UPDATE change_counters SET n = n + 1 WHERE tbl = 'tickets'; END;
CREATE TRIGGER tickets_changed_del AFTER DELETE ON tickets BEGIN UPDATE change_counters SET n = n + 1 WHERE tbl = 'tickets'; END;
CREATE TRIGGER tasks_changed_ins AFTER INSERT ON tasks BEGIN UPDATE change_counters SET n = n + 1 WHERE tbl = 'tasks'; END;
CREATE TRIGGER tasks_changed_upd AFTER UPDATE ON tasks BEGIN UPDATE change_counters SET n = n + 1 WHERE tbl = 'tasks'; END;
CREATE TRIGGER tasks_changed_del AFTER DELETE ON tasks BEGIN UPDATE change_counters SET n = n + 1 WHERE tbl = 'tasks'; END;
