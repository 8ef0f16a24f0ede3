DROP TABLE skill_suggestions;
DROP TABLE plan_goals;
ALTER TABLE candidates DROP COLUMN wishes_changed_at;
ALTER TABLE candidates DROP COLUMN days_available;
ALTER TABLE candidates DROP COLUMN kind_preferences;
DROP TABLE registrations;
CREATE INDEX candidates_municipality ON candidates (municipality_id);
