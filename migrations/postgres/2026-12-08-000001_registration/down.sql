DROP INDEX candidates_registration;
DROP INDEX candidates_client_number;
ALTER TABLE candidates DROP COLUMN registration_date;
ALTER TABLE candidates DROP COLUMN benefit_type;
ALTER TABLE candidates DROP COLUMN client_number;
