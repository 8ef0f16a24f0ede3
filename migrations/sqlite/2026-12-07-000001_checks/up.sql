-- Kinds, statuses, roles and channels: only the values the application knows (its enums,
-- domain/). A row with another value is refused by the database itself.
-- SQLite cannot add a CHECK constraint to an existing table: triggers refuse the row instead.

CREATE TRIGGER users_role_check_insert BEFORE INSERT ON users WHEN NEW.role NOT IN ('beheerder', 'klantmanager', 'werkgever', 'kandidaat')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: users.role'); END;
CREATE TRIGGER users_role_check_update BEFORE UPDATE OF role ON users WHEN NEW.role NOT IN ('beheerder', 'klantmanager', 'werkgever', 'kandidaat')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: users.role'); END;
CREATE TRIGGER candidates_status_check_insert BEFORE INSERT ON candidates WHEN NEW.status NOT IN ('actief', 'uitgestroomd')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: candidates.status'); END;
CREATE TRIGGER candidates_status_check_update BEFORE UPDATE OF status ON candidates WHEN NEW.status NOT IN ('actief', 'uitgestroomd')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: candidates.status'); END;
CREATE TRIGGER placements_kind_check_insert BEFORE INSERT ON placements WHEN NEW.kind NOT IN ('reguliere_baan', 'werkervaringsplaats', 'proefplaatsing', 'leerwerkplek_bbl', 'detachering', 'beschut_werk', 'vrijwilligerswerk', 'arbeidsmatige_dagbesteding')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: placements.kind'); END;
CREATE TRIGGER placements_kind_check_update BEFORE UPDATE OF kind ON placements WHEN NEW.kind NOT IN ('reguliere_baan', 'werkervaringsplaats', 'proefplaatsing', 'leerwerkplek_bbl', 'detachering', 'beschut_werk', 'vrijwilligerswerk', 'arbeidsmatige_dagbesteding')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: placements.kind'); END;
CREATE TRIGGER placements_status_check_insert BEFORE INSERT ON placements WHEN NEW.status NOT IN ('draft', 'open', 'filled', 'closed')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: placements.status'); END;
CREATE TRIGGER placements_status_check_update BEFORE UPDATE OF status ON placements WHEN NEW.status NOT IN ('draft', 'open', 'filled', 'closed')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: placements.status'); END;
CREATE TRIGGER matches_status_check_insert BEFORE INSERT ON matches WHEN NEW.status NOT IN ('proposed', 'declined', 'accepted', 'not_interested', 'interested', 'introduced', 'trial', 'started', 'not_started', 'withdrawn')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: matches.status'); END;
CREATE TRIGGER matches_status_check_update BEFORE UPDATE OF status ON matches WHEN NEW.status NOT IN ('proposed', 'declined', 'accepted', 'not_interested', 'interested', 'introduced', 'trial', 'started', 'not_started', 'withdrawn')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: matches.status'); END;
CREATE TRIGGER matches_placement_kind_check_insert BEFORE INSERT ON matches WHEN NEW.placement_kind NOT IN ('reguliere_baan', 'werkervaringsplaats', 'proefplaatsing', 'leerwerkplek_bbl', 'detachering', 'beschut_werk', 'vrijwilligerswerk', 'arbeidsmatige_dagbesteding')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: matches.placement_kind'); END;
CREATE TRIGGER matches_placement_kind_check_update BEFORE UPDATE OF placement_kind ON matches WHEN NEW.placement_kind NOT IN ('reguliere_baan', 'werkervaringsplaats', 'proefplaatsing', 'leerwerkplek_bbl', 'detachering', 'beschut_werk', 'vrijwilligerswerk', 'arbeidsmatige_dagbesteding')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: matches.placement_kind'); END;
CREATE TRIGGER match_events_to_status_check_insert BEFORE INSERT ON match_events WHEN NEW.to_status NOT IN ('proposed', 'declined', 'accepted', 'not_interested', 'interested', 'introduced', 'trial', 'started', 'not_started', 'withdrawn')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: match_events.to_status'); END;
CREATE TRIGGER match_events_to_status_check_update BEFORE UPDATE OF to_status ON match_events WHEN NEW.to_status NOT IN ('proposed', 'declined', 'accepted', 'not_interested', 'interested', 'introduced', 'trial', 'started', 'not_started', 'withdrawn')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: match_events.to_status'); END;
CREATE TRIGGER tasks_kind_check_insert BEFORE INSERT ON tasks WHEN NEW.kind NOT IN ('retention_6', 'retention_12', 'ladder_update', 'loonwaarde_measurement', 'interest')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: tasks.kind'); END;
CREATE TRIGGER tasks_kind_check_update BEFORE UPDATE OF kind ON tasks WHEN NEW.kind NOT IN ('retention_6', 'retention_12', 'ladder_update', 'loonwaarde_measurement', 'interest')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: tasks.kind'); END;
CREATE TRIGGER contact_moments_channel_check_insert BEFORE INSERT ON contact_moments WHEN NEW.channel NOT IN ('gesprek', 'huisbezoek', 'telefoon', 'video', 'email', 'brief')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: contact_moments.channel'); END;
CREATE TRIGGER contact_moments_channel_check_update BEFORE UPDATE OF channel ON contact_moments WHEN NEW.channel NOT IN ('gesprek', 'huisbezoek', 'telefoon', 'video', 'email', 'brief')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: contact_moments.channel'); END;
CREATE TRIGGER audit_log_channel_check_insert BEFORE INSERT ON audit_log WHEN NEW.channel NOT IN ('api', 'page', 'email', 'export')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_log.channel'); END;
CREATE TRIGGER audit_log_channel_check_update BEFORE UPDATE OF channel ON audit_log WHEN NEW.channel NOT IN ('api', 'page', 'email', 'export')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_log.channel'); END;
CREATE TRIGGER outbox_status_check_insert BEFORE INSERT ON outbox WHEN NEW.status NOT IN ('pending', 'sent', 'failed')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: outbox.status'); END;
CREATE TRIGGER outbox_status_check_update BEFORE UPDATE OF status ON outbox WHEN NEW.status NOT IN ('pending', 'sent', 'failed')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: outbox.status'); END;
