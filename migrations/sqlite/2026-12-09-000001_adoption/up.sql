-- Klantgroepen: each municipality's own client groups, each with its contact norm in days and a
-- default target step; every candidate is in one. Existing candidates go into one group per
-- municipality, "Alle klanten", with the norm that applied to everybody until now (a year).
CREATE TABLE client_groups (
    id                  TEXT PRIMARY KEY,
    municipality_id     TEXT NOT NULL REFERENCES municipalities (id),
    name                TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    contact_norm_days   INTEGER NOT NULL CHECK (contact_norm_days BETWEEN 1 AND 730),
    default_target_step INTEGER CHECK (default_target_step BETWEEN 1 AND 6),
    is_default          BOOLEAN NOT NULL DEFAULT FALSE,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    UNIQUE (municipality_id, name)
);
CREATE UNIQUE INDEX client_groups_default ON client_groups (municipality_id) WHERE is_default;

-- Yearly targets per group, set in advance (for example uitstroom to work 20, ladder up 40).
CREATE TABLE client_group_targets (
    client_group_id TEXT NOT NULL REFERENCES client_groups (id) ON DELETE CASCADE,
    year            INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    indicator       TEXT NOT NULL CHECK (indicator IN ('instroom', 'uitstroom', 'uitstroom_werk', 'trede_omhoog')),
    target          INTEGER NOT NULL CHECK (target >= 0),
    PRIMARY KEY (client_group_id, year, indicator)
);

INSERT INTO client_groups (id, municipality_id, name, description, contact_norm_days, is_default, created_at, updated_at)
SELECT 'kg-' || id, id, 'Alle klanten', 'Iedereen die nog niet in een andere klantgroep staat.', 365, TRUE,
       strftime('%Y-%m-%d %H:%M:%f', 'now'), strftime('%Y-%m-%d %H:%M:%f', 'now')
FROM municipalities;

ALTER TABLE candidates ADD COLUMN client_group_id TEXT REFERENCES client_groups (id);
UPDATE candidates SET client_group_id = 'kg-' || municipality_id;
CREATE INDEX candidates_client_group ON candidates (client_group_id);

-- The doelgroepregister's route and date (UWV indication, Praktijkroute, PrO/VSO, Wajong, Wsw).
ALTER TABLE candidates ADD COLUMN doelgroepregister_route TEXT
    CHECK (doelgroepregister_route IN ('uwv_indicatie', 'praktijkroute', 'pro_vso', 'wajong', 'wsw'));
ALTER TABLE candidates ADD COLUMN doelgroepregister_date DATE;

-- Every caseload import (command, API or page): who, which file, what it found, and its report.
CREATE TABLE import_runs (
    id              TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    user_id         TEXT REFERENCES users (id),
    file_name       TEXT NOT NULL,
    applied         BOOLEAN NOT NULL,
    rows_read       INTEGER NOT NULL,
    valid           INTEGER NOT NULL,
    created         INTEGER NOT NULL,
    changed         INTEGER NOT NULL,
    unchanged       INTEGER NOT NULL,
    refused         TEXT,
    issues_csv      TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX import_runs_municipality ON import_runs (municipality_id, created_at);

-- What the last import took over for a person: a hash of the mapped cells of that person's row.
-- An unchanged row in the next run of the file is known as such without reading the person back,
-- and edits made in Opstap since are not overwritten by a row that did not change.
CREATE TABLE import_fingerprints (
    candidate_id TEXT PRIMARY KEY REFERENCES candidates (id) ON DELETE CASCADE,
    fingerprint  TEXT NOT NULL
);

-- An erased person's anonymous remainder keeps its klantgroep, so that the monitor per group adds up.
ALTER TABLE erased_subjects ADD COLUMN client_group_id TEXT;

-- A doelgroepregister registration ends when a beschut-werk indication is given (Besluit SUWI
-- art. 3.2 lid 3): records that carry both keep the indication.
UPDATE candidates SET doelgroepregister = FALSE WHERE beschut_werk_indicatie AND doelgroepregister;

-- New task kinds: an employer's yes, a candidate's answer, a handover.
DROP TRIGGER tasks_kind_check_insert;
DROP TRIGGER tasks_kind_check_update;
CREATE TRIGGER tasks_kind_check_insert BEFORE INSERT ON tasks WHEN NEW.kind NOT IN ('retention_6', 'retention_12', 'ladder_update', 'loonwaarde_measurement', 'interest', 'employer_yes', 'candidate_answer', 'handover')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: tasks.kind'); END;
CREATE TRIGGER tasks_kind_check_update BEFORE UPDATE OF kind ON tasks WHEN NEW.kind NOT IN ('retention_6', 'retention_12', 'ladder_update', 'loonwaarde_measurement', 'interest', 'employer_yes', 'candidate_answer', 'handover')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: tasks.kind'); END;
