-- The match workflow: proposals turned into introductions and placements, their history,
-- follow-up tasks, the e-mail outbox, the audit log of access to personal data, saved
-- searches, and the anonymous remainder of erased candidates (for the quarterly monitor).

CREATE TABLE matches (
    id                       TEXT PRIMARY KEY,
    -- NULL once the candidate is erased; erased_subject_id then keeps the anonymous link
    candidate_id             TEXT REFERENCES candidates (id) ON DELETE SET NULL,
    erased_subject_id        TEXT,
    municipality_id          TEXT NOT NULL REFERENCES municipalities (id),
    klantmanager_id          TEXT REFERENCES users (id) ON DELETE SET NULL,
    placement_id             TEXT REFERENCES placements (id) ON DELETE SET NULL,
    organisation_id          TEXT REFERENCES organisations (id) ON DELETE SET NULL,
    placement_kind           TEXT NOT NULL,
    placement_title          TEXT NOT NULL,
    status                   TEXT NOT NULL,
    version                  INTEGER NOT NULL,
    -- JSON: the instruments the klantmanager chose, and the package computed for them
    instruments              TEXT NOT NULL,
    package                  TEXT NOT NULL,
    employer_net_cost_cents  BIGINT,
    note                     TEXT NOT NULL,
    proposed_at              TIMESTAMP NOT NULL,
    candidate_decided_at     TIMESTAMP,
    candidate_reason         TEXT,
    klantmanager_consent_at  TIMESTAMP,
    employer_decided_at      TIMESTAMP,
    employer_reason          TEXT,
    disclosed_at             TIMESTAMP,
    consent_withdrawn_at     TIMESTAMP,
    introduction_date        DATE,
    start_date               DATE,
    trial_end_date           DATE,
    contract_type            TEXT,
    hours_per_week           DOUBLE PRECISION,
    hourly_wage_cents        INTEGER,
    instruments_granted      TEXT,
    not_started_reason       TEXT,
    sroi_contract_id         TEXT REFERENCES sroi_contracts (id) ON DELETE SET NULL,
    sroi_value_cents         BIGINT,
    retention_6              TEXT,
    retention_12             TEXT,
    closed_at                TIMESTAMP,
    updated_at               TIMESTAMP NOT NULL
);
CREATE INDEX matches_candidate ON matches (candidate_id);
CREATE INDEX matches_organisation ON matches (organisation_id, status);
CREATE INDEX matches_municipality ON matches (municipality_id, status);
CREATE INDEX matches_placement ON matches (placement_id);

CREATE TABLE match_events (
    id          TEXT PRIMARY KEY,
    match_id    TEXT NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    actor_id    TEXT,
    actor_role  TEXT NOT NULL,
    -- JSON: the fields given with the action (no free text about the candidate's health)
    detail      TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX match_events_match ON match_events (match_id, created_at);

CREATE TABLE tasks (
    id              TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    klantmanager_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    candidate_id    TEXT REFERENCES candidates (id) ON DELETE CASCADE,
    match_id        TEXT REFERENCES matches (id) ON DELETE CASCADE,
    -- 'retention_6', 'retention_12', 'ladder_update'
    kind            TEXT NOT NULL,
    due_on          DATE NOT NULL,
    done_at         TIMESTAMP,
    done_by         TEXT,
    result          TEXT,
    reminded_at     TIMESTAMP,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX tasks_klantmanager ON tasks (klantmanager_id, done_at, due_on);

CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    to_address      TEXT NOT NULL,
    to_name         TEXT NOT NULL,
    recipient_role  TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    -- the candidate the message is about: erasure deletes the message
    candidate_id    TEXT REFERENCES candidates (id) ON DELETE CASCADE,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until   TIMESTAMP,
    last_error      TEXT,
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_candidate ON outbox (candidate_id);

CREATE TABLE audit_log (
    id              TEXT PRIMARY KEY,
    actor_id        TEXT,
    actor_role      TEXT NOT NULL,
    organisation_id TEXT,
    candidate_id    TEXT NOT NULL,
    municipality_id TEXT,
    -- 'view', 'create', 'update', 'delete', 'email', 'disclose', 'erase'
    action          TEXT NOT NULL,
    what            TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    -- 'api', 'page', 'email', 'export'
    channel         TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_candidate ON audit_log (candidate_id, created_at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, created_at);
CREATE INDEX audit_log_municipality ON audit_log (municipality_id, created_at);

CREATE TABLE saved_searches (
    candidate_id TEXT PRIMARY KEY REFERENCES candidates (id) ON DELETE CASCADE,
    -- JSON: the filters of the placement search
    query        TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_sent_at TIMESTAMP NOT NULL
);

-- Periodic jobs done (job + period, e.g. 'contact_digest:<user>' + '2026-W47'): each runs once.
CREATE TABLE job_runs (
    job        TEXT NOT NULL,
    period     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (job, period)
);

-- What remains of an erased candidate: no name, contact data, birth date, address or notes;
-- only what the quarterly monitor counts.
CREATE TABLE erased_subjects (
    id              TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    klantmanager_id TEXT,
    registered_on   DATE NOT NULL,
    erased_on       DATE NOT NULL,
    status          TEXT NOT NULL,
    outflow_reason  TEXT,
    outflow_date    DATE,
    -- JSON: [["2026-01-05", 3], ...]
    ladder_history  TEXT NOT NULL,
    -- JSON: ["2026-02-01", ...]
    contact_dates   TEXT NOT NULL
);
