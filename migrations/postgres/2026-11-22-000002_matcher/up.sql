-- The matcher: placements that combine work with learning Dutch (valuable for statushouders),
-- and a log of every proposal call, so that a proposal can be explained later.
ALTER TABLE placements ADD COLUMN language_learning BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE proposal_logs (
    id               TEXT PRIMARY KEY,
    -- 'candidate' (placements for a candidate) or 'placement' (candidates for a placement)
    direction        TEXT NOT NULL,
    subject_id       TEXT NOT NULL,
    municipality_id  TEXT,
    requested_by     TEXT NOT NULL,
    role             TEXT NOT NULL,
    settings_version INTEGER NOT NULL,
    include_excluded BOOLEAN NOT NULL,
    -- JSON: [{"id": ..., "score": ..., "excluded": [...]}], the results as returned
    results          TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL
);
CREATE INDEX proposal_logs_subject ON proposal_logs (subject_id, created_at);
