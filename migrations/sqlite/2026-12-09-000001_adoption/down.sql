DELETE FROM tasks WHERE kind IN ('employer_yes', 'candidate_answer', 'handover');
DROP TRIGGER tasks_kind_check_insert;
DROP TRIGGER tasks_kind_check_update;
CREATE TRIGGER tasks_kind_check_insert BEFORE INSERT ON tasks WHEN NEW.kind NOT IN ('retention_6', 'retention_12', 'ladder_update', 'loonwaarde_measurement', 'interest')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: tasks.kind'); END;
CREATE TRIGGER tasks_kind_check_update BEFORE UPDATE OF kind ON tasks WHEN NEW.kind NOT IN ('retention_6', 'retention_12', 'ladder_update', 'loonwaarde_measurement', 'interest')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: tasks.kind'); END;
ALTER TABLE erased_subjects DROP COLUMN client_group_id;
DROP TABLE import_fingerprints;
DROP TABLE import_runs;
ALTER TABLE candidates DROP COLUMN doelgroepregister_date;
ALTER TABLE candidates DROP COLUMN doelgroepregister_route;
DROP INDEX candidates_client_group;
ALTER TABLE candidates DROP COLUMN client_group_id;
DROP TABLE client_group_targets;
DROP TABLE client_groups;
