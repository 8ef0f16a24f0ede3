DROP TABLE registrations;
CREATE INDEX candidates_municipality ON candidates (municipality_id);
