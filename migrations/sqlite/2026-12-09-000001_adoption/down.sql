ALTER TABLE erased_subjects DROP COLUMN client_group_id;
DROP TABLE import_runs;
ALTER TABLE candidates DROP COLUMN doelgroepregister_date;
ALTER TABLE candidates DROP COLUMN doelgroepregister_route;
DROP INDEX candidates_client_group;
ALTER TABLE candidates DROP COLUMN client_group_id;
DROP TABLE client_group_targets;
DROP TABLE client_groups;
