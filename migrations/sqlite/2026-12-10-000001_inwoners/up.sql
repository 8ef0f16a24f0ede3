-- candidates_registration (municipality_id, registration_date) starts with the municipality, so
-- the single-column index was a second copy of it, written on every insert (an import's cost).
DROP INDEX candidates_municipality;

-- Aanmelden: an inwoner signs up. Until a beheerder assigns a klantmanager the person is only
-- this row (and an account), never a candidate: nothing searches, matches or shows it but the
-- beheerders of the municipality. On assignment the candidate is made from it.
CREATE TABLE registrations (
    id                 TEXT PRIMARY KEY,
    municipality_id    TEXT NOT NULL REFERENCES municipalities (id),
    user_id            TEXT REFERENCES users (id) ON DELETE SET NULL,
    first_name         TEXT NOT NULL,
    last_name          TEXT NOT NULL,
    email              TEXT NOT NULL,
    phone              TEXT,
    birth_date         DATE NOT NULL,
    pc4                TEXT NOT NULL,
    education_level    TEXT NOT NULL,
    benefit_type       TEXT NOT NULL CHECK (benefit_type IN ('participatiewet', 'ioaw', 'ioaz', 'anw', 'nug')),
    hours_min          INTEGER NOT NULL,
    hours_max          INTEGER NOT NULL,
    message            TEXT NOT NULL,
    consent_matching          BOOLEAN NOT NULL,
    consent_anonymous_profile BOOLEAN NOT NULL,
    consent_email             BOOLEAN NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('onbevestigd', 'aangemeld', 'toegewezen')),
    confirm_token_hash TEXT,
    confirm_expires_at TIMESTAMP,
    confirmed_at       TIMESTAMP,
    candidate_id       TEXT REFERENCES candidates (id) ON DELETE CASCADE,
    assigned_by        TEXT,
    assigned_at        TIMESTAMP,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE INDEX registrations_municipality ON registrations (municipality_id, status);
CREATE UNIQUE INDEX registrations_token ON registrations (confirm_token_hash) WHERE confirm_token_hash IS NOT NULL;
CREATE INDEX registrations_user ON registrations (user_id);
CREATE INDEX registrations_candidate ON registrations (candidate_id);

-- Own wishes the person keeps (besides hours, distance and transport): the kinds of work they
-- want (placement kinds, JSON array), the days they can work (JSON array of ma..zo), and when
-- they last changed their wishes themselves (the klantmanager sees it).
ALTER TABLE candidates ADD COLUMN kind_preferences TEXT NOT NULL DEFAULT '[]';
ALTER TABLE candidates ADD COLUMN days_available TEXT NOT NULL DEFAULT '[]';
ALTER TABLE candidates ADD COLUMN wishes_changed_at TIMESTAMP;

-- Mijn plan: goals agreed between klantmanager and person (what, who does it, by when, status),
-- with the person's comment. A goal for the klantmanager that comes due becomes a task.
CREATE TABLE plan_goals (
    id            TEXT PRIMARY KEY,
    candidate_id  TEXT NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    what          TEXT NOT NULL,
    who           TEXT NOT NULL CHECK (who IN ('kandidaat', 'klantmanager', 'samen')),
    due_on        DATE,
    status        TEXT NOT NULL CHECK (status IN ('open', 'gedaan', 'vervallen')),
    comment       TEXT NOT NULL,
    done_at       TIMESTAMP,
    created_by    TEXT,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX plan_goals_candidate ON plan_goals (candidate_id);
CREATE INDEX plan_goals_due ON plan_goals (status, due_on);

DROP TRIGGER tasks_kind_check_insert;
DROP TRIGGER tasks_kind_check_update;
CREATE TRIGGER tasks_kind_check_insert BEFORE INSERT ON tasks WHEN NEW.kind NOT IN ('retention_6', 'retention_12', 'ladder_update', 'loonwaarde_measurement', 'interest', 'employer_yes', 'candidate_answer', 'handover', 'plan_goal')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: tasks.kind'); END;
CREATE TRIGGER tasks_kind_check_update BEFORE UPDATE OF kind ON tasks WHEN NEW.kind NOT IN ('retention_6', 'retention_12', 'ladder_update', 'loonwaarde_measurement', 'interest', 'employer_yes', 'candidate_answer', 'handover', 'plan_goal')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: tasks.kind'); END;

-- Skills the person suggests (ESCO), until the klantmanager confirms (then a candidate skill) or
-- declines them.
CREATE TABLE skill_suggestions (
    id            TEXT PRIMARY KEY,
    candidate_id  TEXT NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    skill_id      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('voorgesteld', 'bevestigd', 'afgewezen')),
    created_at    TIMESTAMP NOT NULL,
    decided_at    TIMESTAMP,
    decided_by    TEXT
);
CREATE INDEX skill_suggestions_candidate ON skill_suggestions (candidate_id);
