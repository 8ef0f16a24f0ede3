-- The durable change feed: one row per changed entity, written in the same transaction as the
-- change. Every instance's search index follows it (see src/db/changes.rs). Writers take a
-- transaction-level advisory lock before they append, so `seq` order is commit order.
CREATE TABLE changes (
    seq BIGSERIAL PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX changes_created_at ON changes (created_at);

-- Anonymous candidate profiles shown to employer accounts, for the rolling-hour limit that all
-- instances share.
CREATE TABLE profile_views (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    organisation_id TEXT,
    profiles INTEGER NOT NULL,
    viewed_at TIMESTAMP NOT NULL
);
CREATE INDEX profile_views_user ON profile_views (user_id, viewed_at);
CREATE INDEX profile_views_org ON profile_views (organisation_id, viewed_at);
