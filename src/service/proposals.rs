//! Asking the matcher, as the API and the pages share it: who may ask for which candidate or
//! placement, the settings in force, the proposal log (kept for the AI Act), the employer's
//! profile allowance and the audit entries. The matching itself is `crate::engine::ranking`.

use super::Ctx;
use crate::db::models::Candidate;
use crate::db::queries::{placement_full, CandidateFull, PlacementFull};
use crate::db::DbConnection;
use crate::domain::Role;
use crate::engine::matching::Evaluation;
use crate::engine::ranking::{self as proposals, Audience, Options};
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use crate::journal::{Entries, Pending};
use crate::service::candidates::{audit_access, authorize_only, Access};

/// Placements for one candidate, ranked and explained.
pub struct ForCandidate {
    pub candidate: Candidate,
    pub settings_version: i32,
    pub results: Vec<(PlacementFull, Evaluation)>,
    /// For a klantmanager: the placements this candidate has a standing proposal for.
    pub already_proposed: Vec<String>,
}

/// Placements for a candidate the user may read (its klantmanager's municipality, or the
/// candidate itself); the request is logged with the settings version. The answer is pending
/// until the log and the audit entries are stored (`journal::Pending`).
/// `mark_proposed` (pages) also reads which placements the candidate has a standing proposal for.
pub fn for_candidate(
    conn: &mut DbConnection,
    ctx: &Ctx,
    engine: &Engine,
    id: &str,
    opts: Options,
    mark_proposed: bool,
) -> AppResult<Pending<ForCandidate>> {
    let user = ctx.user;
    user.require(&[Role::Klantmanager, Role::Kandidaat])?;
    let c = authorize_only(conn, user, id, Access::Read)?;
    // The access is audited in the same group commit as the proposal log, before the answer.
    let audit = crate::audit::entries(
        &crate::audit::Actor::from(user),
        &[(id, Some(&c.municipality_id))],
        audit_access(user, Access::Read).with_what("profiel (passend werk zoeken)"),
    );
    let cf = proposals::subject_candidate(conn, engine, ctx.refdata, id, ctx.today).map_err(AppError::Internal)?.ok_or(AppError::NotFound)?;
    let (settings, version) = proposals::settings_of(conn, engine, &c.municipality_id)?;
    let started = std::time::Instant::now();
    let res = proposals::for_candidate(conn, engine, ctx.refdata, &cf, &settings, opts, ctx.today).map_err(AppError::Internal)?;
    crate::metrics::get().proposals("for_candidate", started.elapsed().as_secs_f64());
    let logged: Vec<(String, &Evaluation)> = res.iter().map(|(p, e)| (p.placement.id.clone(), e)).collect();
    let log = proposals::log_entry("candidate", id, Some(&c.municipality_id), &user.id, user.role.as_str(), version, opts.include_excluded, &logged);
    let already_proposed =
        if mark_proposed && user.role == Role::Klantmanager { crate::db::queries::standing_placements_of(conn, id)? } else { vec![] };
    let found = ForCandidate { candidate: c, settings_version: version, results: res, already_proposed };
    ctx.journal.submit(found, Entries { proposal_logs: vec![log], audit }).map_err(AppError::Internal)
}

/// Candidates for one placement, ranked and explained.
pub struct ForPlacement {
    pub placement: PlacementFull,
    /// The employer sees anonymous profiles only.
    pub employer: bool,
    pub results: Vec<(CandidateFull, Evaluation)>,
    /// For a klantmanager: the candidates with a standing proposal for this placement.
    pub already_proposed: Vec<String>,
}

/// Candidates for a placement: a klantmanager gets its municipality's candidates; the
/// placement's own (verified) employer gets the region's candidates who allow an anonymous
/// profile, counted against its hourly allowance. Logged and audited per candidate shown; the
/// answer is pending until those rows are stored.
/// `mark_proposed` (pages) also reads which candidates have a standing proposal for it.
pub fn for_placement(
    conn: &mut DbConnection,
    ctx: &Ctx,
    engine: &Engine,
    id: &str,
    opts: Options,
    mark_proposed: bool,
) -> AppResult<Pending<ForPlacement>> {
    let user = ctx.user;
    user.require(&[Role::Klantmanager, Role::Werkgever])?;
    let p = placement_full(conn, id)?.ok_or(AppError::NotFound)?;
    let audience = match user.role {
        Role::Klantmanager => Audience::Klantmanager { municipality_id: user.municipality()?.to_string() },
        _ => {
            if user.organisation_id.as_deref() != Some(p.placement.organisation_id.as_str()) {
                return Err(AppError::NotFound);
            }
            if !user.organisation_verified {
                return Err(AppError::conflict(
                    crate::error::ConflictCode::WrongStatus,
                    "Uw organisatie is nog niet geverifieerd; daarna ziet u voorgestelde kandidaten.",
                ));
            }
            Audience::Werkgever
        }
    };
    let started = std::time::Instant::now();
    let res = proposals::for_placement(conn, engine, ctx.refdata, &p, &audience, opts, ctx.today).map_err(AppError::Internal)?;
    crate::metrics::get().proposals("for_placement", started.elapsed().as_secs_f64());
    let municipality = match &audience {
        Audience::Klantmanager { municipality_id } => Some(municipality_id.clone()),
        Audience::Werkgever => None,
    };
    let version = match &municipality {
        Some(m) => proposals::settings_of(conn, engine, m)?.1,
        None => 0,
    };
    let logged: Vec<(String, &Evaluation)> = res.iter().map(|(c, e)| (c.candidate.id.clone(), e)).collect();
    let log = proposals::log_entry("placement", id, municipality.as_deref(), &user.id, user.role.as_str(), version, opts.include_excluded, &logged);
    let employer = user.role == Role::Werkgever;
    if employer {
        // Anonymous profiles count against the employer's hourly allowance.
        crate::service::profile_views::charge_for(conn, ctx, res.len())?;
    }
    let subjects: Vec<(&str, Option<&str>)> =
        res.iter().map(|(c, _)| (c.candidate.id.as_str(), Some(c.candidate.municipality_id.as_str()))).collect();
    let (what, purpose) = if employer {
        ("anoniem profiel (voorstellen)", crate::audit::purpose::BEMIDDELING)
    } else {
        ("naam en match-score", crate::audit::purpose::MATCHING)
    };
    let audit = crate::audit::entries(&crate::audit::Actor::from(user), &subjects, crate::audit::access(crate::audit::Act::View, what, purpose));
    let already_proposed = if mark_proposed && !employer { crate::db::queries::standing_candidates_of(conn, id)? } else { vec![] };
    let found = ForPlacement { placement: p, employer, results: res, already_proposed };
    ctx.journal.submit(found, Entries { proposal_logs: vec![log], audit }).map_err(AppError::Internal)
}
