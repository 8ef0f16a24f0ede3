DROP TABLE password_resets;
DROP TABLE login_events;
DROP TABLE sessions;
