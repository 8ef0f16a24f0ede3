ALTER TABLE audit_log DROP CONSTRAINT audit_log_channel_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_channel_check CHECK (channel IN ('api', 'page', 'email', 'export'));
DROP INDEX candidates_registration;
DROP INDEX candidates_client_number;
ALTER TABLE candidates DROP COLUMN registration_date;
ALTER TABLE candidates DROP COLUMN benefit_type;
ALTER TABLE candidates DROP COLUMN client_number;
