DROP TRIGGER audit_log_channel_check_insert;
DROP TRIGGER audit_log_channel_check_update;
CREATE TRIGGER audit_log_channel_check_insert BEFORE INSERT ON audit_log WHEN NEW.channel NOT IN ('api', 'page', 'email', 'export')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_log.channel'); END;
CREATE TRIGGER audit_log_channel_check_update BEFORE UPDATE OF channel ON audit_log WHEN NEW.channel NOT IN ('api', 'page', 'email', 'export')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_log.channel'); END;
DROP INDEX candidates_registration;
DROP INDEX candidates_client_number;
ALTER TABLE candidates DROP COLUMN registration_date;
ALTER TABLE candidates DROP COLUMN benefit_type;
ALTER TABLE candidates DROP COLUMN client_number;
