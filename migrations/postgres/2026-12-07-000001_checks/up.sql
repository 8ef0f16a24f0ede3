-- Kinds, statuses, roles and channels: only the values the application knows (its enums,
-- domain/). A row with another value is refused by the database itself.

ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('beheerder', 'klantmanager', 'werkgever', 'kandidaat'));
ALTER TABLE candidates ADD CONSTRAINT candidates_status_check CHECK (status IN ('actief', 'uitgestroomd'));
ALTER TABLE placements ADD CONSTRAINT placements_kind_check CHECK (kind IN ('reguliere_baan', 'werkervaringsplaats', 'proefplaatsing', 'leerwerkplek_bbl', 'detachering', 'beschut_werk', 'vrijwilligerswerk', 'arbeidsmatige_dagbesteding'));
ALTER TABLE placements ADD CONSTRAINT placements_status_check CHECK (status IN ('draft', 'open', 'filled', 'closed'));
ALTER TABLE matches ADD CONSTRAINT matches_status_check CHECK (status IN ('proposed', 'declined', 'accepted', 'not_interested', 'interested', 'introduced', 'trial', 'started', 'not_started', 'withdrawn'));
ALTER TABLE matches ADD CONSTRAINT matches_placement_kind_check CHECK (placement_kind IN ('reguliere_baan', 'werkervaringsplaats', 'proefplaatsing', 'leerwerkplek_bbl', 'detachering', 'beschut_werk', 'vrijwilligerswerk', 'arbeidsmatige_dagbesteding'));
ALTER TABLE match_events ADD CONSTRAINT match_events_to_status_check CHECK (to_status IN ('proposed', 'declined', 'accepted', 'not_interested', 'interested', 'introduced', 'trial', 'started', 'not_started', 'withdrawn'));
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('retention_6', 'retention_12', 'ladder_update', 'loonwaarde_measurement', 'interest'));
ALTER TABLE contact_moments ADD CONSTRAINT contact_moments_channel_check CHECK (channel IN ('gesprek', 'huisbezoek', 'telefoon', 'video', 'email', 'brief'));
ALTER TABLE audit_log ADD CONSTRAINT audit_log_channel_check CHECK (channel IN ('api', 'page', 'email', 'export'));
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN ('pending', 'sent', 'failed'));
