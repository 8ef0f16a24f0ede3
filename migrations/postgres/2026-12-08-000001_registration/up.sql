-- What a municipality's client system knows of every person: the client number there (the key of a
-- caseload import; never a BSN), the benefit type, and the date the person was registered with the
-- municipality (instroom counts from it, not from the day the record was made here).
ALTER TABLE candidates ADD COLUMN client_number TEXT;
ALTER TABLE candidates ADD COLUMN benefit_type TEXT NOT NULL DEFAULT 'participatiewet'
    CONSTRAINT candidates_benefit_type_check CHECK (benefit_type IN ('participatiewet', 'ioaw', 'ioaz', 'anw', 'nug'));
ALTER TABLE candidates ADD COLUMN registration_date DATE;
UPDATE candidates SET registration_date = (created_at AT TIME ZONE 'UTC' AT TIME ZONE 'Europe/Amsterdam')::date;
ALTER TABLE candidates ALTER COLUMN registration_date SET NOT NULL;
CREATE UNIQUE INDEX candidates_client_number ON candidates (municipality_id, client_number) WHERE client_number IS NOT NULL;
CREATE INDEX candidates_registration ON candidates (municipality_id, registration_date);

-- A caseload import writes its own access-log rows (channel "import").
ALTER TABLE audit_log DROP CONSTRAINT audit_log_channel_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_channel_check CHECK (channel IN ('api', 'page', 'email', 'export', 'import'));
