DROP TABLE proposal_logs;
ALTER TABLE placements DROP COLUMN language_learning;
