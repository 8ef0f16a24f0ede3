-- A candidate's "I am interested" in a placement becomes a task for its klantmanager.
ALTER TABLE tasks ADD COLUMN placement_id TEXT REFERENCES placements (id) ON DELETE CASCADE;
