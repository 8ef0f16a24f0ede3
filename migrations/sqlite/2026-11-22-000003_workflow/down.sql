DROP TABLE erased_subjects;
DROP TABLE job_runs;
DROP TABLE saved_searches;
DROP TABLE audit_log;
DROP TABLE outbox;
DROP TABLE tasks;
DROP TABLE match_events;
DROP TABLE matches;
