ALTER TABLE tasks DROP COLUMN placement_id;
