-- Occupation relatedness computed from ESCO itself at import (src/relatedness.rs): for every
-- occupation its most related occupations, 0..1. Derived from the reference data; recomputed when
-- the table is empty.
CREATE TABLE occupation_relations (
    occupation_id TEXT NOT NULL,
    related_id TEXT NOT NULL,
    relatedness REAL NOT NULL,
    PRIMARY KEY (occupation_id, related_id)
);
