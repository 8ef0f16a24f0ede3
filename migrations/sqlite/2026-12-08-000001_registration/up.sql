-- What a municipality's client system knows of every person: the client number there (the key of a
-- caseload import; never a BSN), the benefit type, and the date the person was registered with the
-- municipality (instroom counts from it, not from the day the record was made here).
ALTER TABLE candidates ADD COLUMN client_number TEXT;
ALTER TABLE candidates ADD COLUMN benefit_type TEXT NOT NULL DEFAULT 'participatiewet'
    CHECK (benefit_type IN ('participatiewet', 'ioaw', 'ioaz', 'anw', 'nug'));
ALTER TABLE candidates ADD COLUMN registration_date DATE NOT NULL DEFAULT '1970-01-01';
-- Records made before: registered on the day they were made (Europe/Amsterdam; summer time taken
-- as April to October).
UPDATE candidates SET registration_date = CASE
    WHEN strftime('%m', created_at) BETWEEN '04' AND '10' THEN date(created_at, '+2 hours')
    ELSE date(created_at, '+1 hours') END;
CREATE UNIQUE INDEX candidates_client_number ON candidates (municipality_id, client_number) WHERE client_number IS NOT NULL;
CREATE INDEX candidates_registration ON candidates (municipality_id, registration_date);

-- A caseload import writes its own access-log rows (channel "import").
DROP TRIGGER audit_log_channel_check_insert;
DROP TRIGGER audit_log_channel_check_update;
CREATE TRIGGER audit_log_channel_check_insert BEFORE INSERT ON audit_log WHEN NEW.channel NOT IN ('api', 'page', 'email', 'export', 'import')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_log.channel'); END;
CREATE TRIGGER audit_log_channel_check_update BEFORE UPDATE OF channel ON audit_log WHEN NEW.channel NOT IN ('api', 'page', 'email', 'export', 'import')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_log.channel'); END;
