-- Investigations join the tables whose changes an open cockpit reloads alone.
INSERT INTO change_counters (tbl) VALUES ('investigations');
CREATE TRIGGER investigations_changed_ins AFTER INSERT ON investigations BEGIN UPDATE change_counters SET n = n + 1 WHERE tbl = 'investigations'; END;
CREATE TRIGGER investigations_changed_upd AFTER UPDATE ON investigations BEGIN UPDATE change_counters SET n = n + 1 WHERE tbl = 'investigations'; END;
CREATE TRIGGER investigations_changed_del AFTER DELETE ON investigations BEGIN UPDATE change_counters SET n = n + 1 WHERE tbl = 'investigations'; END;
