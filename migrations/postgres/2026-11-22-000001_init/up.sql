-- Opstap initial schema. Keep in step with migrations/sqlite (same names, same columns).
-- Ids are UUID v7 as TEXT, times are UTC TIMESTAMP set by the application, money is in cents.

CREATE TABLE app_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE municipalities (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    cbs_code         TEXT NOT NULL UNIQUE,
    settings         TEXT NOT NULL DEFAULT '{}',
    settings_version INTEGER NOT NULL DEFAULT 1,
    created_at       TIMESTAMP NOT NULL
);

-- Reference data (imported from ../shared/data)
CREATE TABLE pc4_areas (
    pc4               TEXT PRIMARY KEY,
    lat               DOUBLE PRECISION NOT NULL,
    lon               DOUBLE PRECISION NOT NULL,
    place             TEXT NOT NULL,
    municipality      TEXT NOT NULL,
    municipality_code TEXT NOT NULL,
    province          TEXT NOT NULL
);
CREATE INDEX pc4_areas_municipality_code ON pc4_areas (municipality_code);

CREATE TABLE isco_groups (
    isco_code TEXT PRIMARY KEY,
    level     INTEGER NOT NULL,
    label_nl  TEXT NOT NULL,
    label_en  TEXT NOT NULL
);

CREATE TABLE esco_occupations (
    id             TEXT PRIMARY KEY,
    esco_code      TEXT NOT NULL,
    isco_group     TEXT NOT NULL,
    label_nl       TEXT NOT NULL,
    alt_labels_nl  TEXT NOT NULL,
    label_en       TEXT NOT NULL,
    description_nl TEXT NOT NULL
);

CREATE TABLE esco_skills (
    id              TEXT PRIMARY KEY,
    skill_type      TEXT NOT NULL,
    reuse_level     TEXT NOT NULL,
    label_nl        TEXT,
    alt_labels_nl   TEXT NOT NULL,
    label_en        TEXT NOT NULL,
    group_code      TEXT NOT NULL,
    group_nl        TEXT NOT NULL,
    description_nl  TEXT NOT NULL,
    -- NULL for ESCO skills; set for a municipality's own skills
    municipality_id TEXT REFERENCES municipalities (id) ON DELETE CASCADE
);

CREATE TABLE esco_occupation_skills (
    occupation_id TEXT NOT NULL REFERENCES esco_occupations (id) ON DELETE CASCADE,
    skill_id      TEXT NOT NULL REFERENCES esco_skills (id) ON DELETE CASCADE,
    essential     BOOLEAN NOT NULL,
    PRIMARY KEY (occupation_id, skill_id)
);
CREATE INDEX esco_occupation_skills_skill ON esco_occupation_skills (skill_id);

-- Employers
CREATE TABLE organisations (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    kvk_number    TEXT NOT NULL UNIQUE,
    sector        TEXT NOT NULL,
    pc4           TEXT NOT NULL,
    contact_name  TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    verified      BOOLEAN NOT NULL,
    verified_at   TIMESTAMP,
    verified_by   TEXT,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL UNIQUE,
    password_hash    TEXT NOT NULL,
    role             TEXT NOT NULL,
    name             TEXT NOT NULL,
    municipality_id  TEXT REFERENCES municipalities (id),
    organisation_id  TEXT REFERENCES organisations (id) ON DELETE CASCADE,
    candidate_id     TEXT,
    active           BOOLEAN NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    last_login_at    TIMESTAMP
);
CREATE INDEX users_municipality ON users (municipality_id);

CREATE TABLE candidates (
    id                        TEXT PRIMARY KEY,
    municipality_id           TEXT NOT NULL REFERENCES municipalities (id),
    klantmanager_id           TEXT NOT NULL REFERENCES users (id),
    first_name                TEXT NOT NULL,
    last_name                 TEXT NOT NULL,
    email                     TEXT,
    phone                     TEXT,
    birth_date                DATE NOT NULL,
    pc4                       TEXT NOT NULL,
    education_level           TEXT NOT NULL,
    startkwalificatie         BOOLEAN NOT NULL,
    language_level            TEXT,
    hours_min                 INTEGER NOT NULL,
    hours_max                 INTEGER NOT NULL,
    max_travel_km             INTEGER NOT NULL,
    driving_licence           BOOLEAN NOT NULL,
    own_transport             BOOLEAN NOT NULL,
    loonwaarde                INTEGER,
    loonwaarde_date           DATE,
    doelgroepregister         BOOLEAN NOT NULL,
    beschut_werk_indicatie    BOOLEAN NOT NULL,
    lks_target_group          BOOLEAN NOT NULL,
    needs_job_coach           BOOLEAN NOT NULL,
    statushouder              BOOLEAN NOT NULL,
    work_capacity_limits      TEXT NOT NULL,
    support_needs             TEXT NOT NULL,
    zrm_scores                TEXT NOT NULL,
    sector_preferences        TEXT NOT NULL,
    available_from            DATE,
    consent_matching          BOOLEAN NOT NULL,
    consent_anonymous_profile BOOLEAN NOT NULL,
    consent_email             BOOLEAN NOT NULL,
    status                    TEXT NOT NULL,
    outflow_reason            TEXT,
    outflow_date              DATE,
    version                   INTEGER NOT NULL,
    created_at                TIMESTAMP NOT NULL,
    updated_at                TIMESTAMP NOT NULL
);
CREATE INDEX candidates_municipality ON candidates (municipality_id);
CREATE INDEX candidates_klantmanager ON candidates (klantmanager_id);
ALTER TABLE users ADD CONSTRAINT users_candidate_fk FOREIGN KEY (candidate_id) REFERENCES candidates (id) ON DELETE CASCADE;

CREATE TABLE candidate_occupations (
    candidate_id  TEXT NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    occupation_id TEXT NOT NULL REFERENCES esco_occupations (id),
    experience    TEXT NOT NULL,
    PRIMARY KEY (candidate_id, occupation_id)
);

CREATE TABLE candidate_skills (
    id           TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    skill_id     TEXT REFERENCES esco_skills (id),
    free_text    TEXT,
    level        TEXT NOT NULL
);
CREATE INDEX candidate_skills_candidate ON candidate_skills (candidate_id);

CREATE TABLE ladder_measurements (
    id           TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    measured_on  DATE NOT NULL,
    step         INTEGER NOT NULL,
    target_step  INTEGER,
    measured_by  TEXT REFERENCES users (id) ON DELETE SET NULL,
    note         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX ladder_measurements_candidate ON ladder_measurements (candidate_id, measured_on);

CREATE TABLE contact_moments (
    id           TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    contact_date DATE NOT NULL,
    channel      TEXT NOT NULL,
    by_user_id   TEXT REFERENCES users (id) ON DELETE SET NULL,
    note         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX contact_moments_candidate ON contact_moments (candidate_id, contact_date);

CREATE TABLE sroi_contracts (
    id                   TEXT PRIMARY KEY,
    organisation_id      TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    municipality_id      TEXT NOT NULL REFERENCES municipalities (id),
    reference            TEXT NOT NULL,
    description          TEXT NOT NULL,
    contract_value_cents BIGINT NOT NULL,
    percentage           DOUBLE PRECISION NOT NULL,
    period_start         DATE NOT NULL,
    period_end           DATE NOT NULL,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);
CREATE INDEX sroi_contracts_organisation ON sroi_contracts (organisation_id);

CREATE TABLE placements (
    id                      TEXT PRIMARY KEY,
    organisation_id         TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    kind                    TEXT NOT NULL,
    title                   TEXT NOT NULL,
    description             TEXT NOT NULL,
    occupation_id           TEXT REFERENCES esco_occupations (id),
    hours_min               INTEGER NOT NULL,
    hours_max               INTEGER NOT NULL,
    pc4                     TEXT NOT NULL,
    hourly_wage_cents       INTEGER,
    language_level_required TEXT,
    ladder_steps            TEXT NOT NULL,
    internal_supervisor     BOOLEAN NOT NULL,
    job_coach_welcome       BOOLEAN NOT NULL,
    adapted_workplace       BOOLEAN NOT NULL,
    lks_accepted            BOOLEAN NOT NULL,
    counts_banenafspraak    BOOLEAN NOT NULL,
    sroi_contract_id        TEXT REFERENCES sroi_contracts (id) ON DELETE SET NULL,
    positions               INTEGER NOT NULL,
    start_date              DATE,
    duration_months         INTEGER,
    extension_months        INTEGER,
    status                  TEXT NOT NULL,
    version                 INTEGER NOT NULL,
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL
);
CREATE INDEX placements_organisation ON placements (organisation_id);
CREATE INDEX placements_status ON placements (status);

CREATE TABLE placement_skills (
    placement_id TEXT NOT NULL REFERENCES placements (id) ON DELETE CASCADE,
    skill_id     TEXT NOT NULL REFERENCES esco_skills (id),
    required     BOOLEAN NOT NULL,
    PRIMARY KEY (placement_id, skill_id)
);
CREATE INDEX placement_skills_skill ON placement_skills (skill_id);
