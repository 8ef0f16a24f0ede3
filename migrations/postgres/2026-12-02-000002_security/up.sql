-- Server-side sessions: every JWT names its session (`sid`); a request is authenticated only while
-- the session is neither revoked nor expired. Logout, a password change or reset and deactivation
-- revoke sessions, on every instance at once.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Login attempts that failed and lock-outs, per account (normalised e-mail) and per client address:
-- the throttle that all instances share, and its audit trail.
CREATE TABLE login_events (
    id TEXT PRIMARY KEY NOT NULL,
    subject TEXT NOT NULL,
    kind TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX login_events_subject ON login_events (subject, at);

-- Password reset by e-mail: only a hash of the token is stored; single use, with an expiry.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX password_resets_user ON password_resets (user_id);
