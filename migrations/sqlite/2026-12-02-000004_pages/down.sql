DROP TABLE municipality_profiles;
ALTER TABLE matches DROP COLUMN introduction_contact;
ALTER TABLE matches DROP COLUMN introduction_place;
ALTER TABLE matches DROP COLUMN introduction_time;
