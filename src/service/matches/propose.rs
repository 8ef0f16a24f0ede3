//! A klantmanager proposes a candidate for a placement: the binding rules of the matcher and the
//! instruments the proposal may offer are checked; the candidate is told by e-mail.

use super::{candidate_recipient, event, field, link, ProposeInput};
use crate::audit::{self, Act, Actor};
use crate::db::models::Match;
use crate::db::queries::{candidate_full, placement_full};
use crate::db::schema::matches;
use crate::db::{new_id, now, DbConnection};
use crate::domain::workflow::MatchStatus;
use crate::domain::Role;
use crate::engine::matching::{self};
use crate::engine::ranking as proposals;
use crate::error::{AppError, AppResult};
use crate::mail::templates as mt;
use crate::service::candidates::{authorize, Access};
use crate::service::Ctx;
use diesel::prelude::*;

/// Proposes a candidate for a placement. Returns the new match id.
pub fn propose(conn: &mut DbConnection, ctx: &Ctx, input: &ProposeInput) -> AppResult<String> {
    let (user, today) = (ctx.user, ctx.today);
    user.require(&[Role::Klantmanager])?;
    let mut errs = crate::domain::validation::validation_errors_of(input);
    let cand = match authorize(conn, user, &input.candidate_id, Access::Write, "profiel (voorstel doen)") {
        Ok(c) => Some(c),
        Err(AppError::NotFound) => {
            field(&mut errs, "candidate_id", "Deze kandidaat bestaat niet of hoort niet bij uw gemeente.");
            None
        }
        Err(e) => return Err(e),
    };
    if let Some(c) = &cand {
        if c.status != crate::domain::CandidateStatus::Actief {
            field(&mut errs, "candidate_id", "Deze kandidaat is uitgestroomd; een voorstel kan niet meer.");
        }
    }
    let pl = placement_full(conn, &input.placement_id)?;
    match &pl {
        None => field(&mut errs, "placement_id", "Deze plek bestaat niet."),
        Some(p) if !p.is_published() => field(&mut errs, "placement_id", "Deze plek staat niet open (of de werkgever is nog niet geverifieerd)."),
        _ => {}
    }
    let (Some(cand), Some(pl)) = (cand, pl) else { return Err(AppError::Validation(errs)) };
    let c = candidate_full(conn, &cand.id)?.ok_or(AppError::NotFound)?;
    let (settings, _) = proposals::load_settings(conn, &cand.municipality_id)?;
    let sroi = proposals::sroi_states(conn, std::slice::from_ref(&pl))?;
    let sroi_state = pl.placement.sroi_contract_id.as_ref().and_then(|id| sroi.get(id).cloned());
    let cf = proposals::candidate_features(&c, ctx.refdata, today);
    let pf = proposals::placement_features(&pl, ctx.refdata, sroi_state);
    let eval = matching::evaluate(&cf, &pf, &settings, today);
    // The matcher only advises, but rules of law or municipal policy are not overridable.
    for x in eval.excluded.iter().filter(|x| matching::BINDING_RULES.contains(&x.rule.as_str())) {
        field(&mut errs, "placement_id", x.reason.clone());
    }
    let p = &eval.instruments;
    let ch = input.instruments;
    for (f, reason) in p.refusals(&ch) {
        field(&mut errs, f, reason);
    }
    AppError::check(errs)?;
    let open: i64 = matches::table
        .filter(matches::candidate_id.eq(&cand.id))
        .filter(matches::placement_id.eq(&pl.placement.id))
        .filter(matches::status.eq_any(crate::domain::workflow::MatchStatus::standing()))
        .count()
        .get_result(conn)?;
    if open > 0 {
        return Err(AppError::conflict(crate::error::ConflictCode::AlreadyExists, "Deze kandidaat is al voorgesteld voor deze plek."));
    }
    let t = now();
    let id = new_id();
    let net = p.net_cost_cents(ch.loonkostensubsidie);
    let m = Match {
        id: id.clone(),
        candidate_id: Some(cand.id.clone()),
        erased_subject_id: None,
        municipality_id: cand.municipality_id.clone(),
        klantmanager_id: Some(cand.klantmanager_id.clone()),
        placement_id: Some(pl.placement.id.clone()),
        organisation_id: Some(pl.organisation.id.clone()),
        placement_kind: pl.placement.kind,
        placement_title: pl.placement.title.clone(),
        status: MatchStatus::Proposed,
        version: 1,
        instruments: serde_json::to_string(&ch).unwrap_or_default(),
        package: serde_json::to_string(p).unwrap_or_default(),
        employer_net_cost_cents: net,
        note: input.note.trim().to_string(),
        proposed_at: t,
        candidate_decided_at: None,
        candidate_reason: None,
        klantmanager_consent_at: None,
        employer_decided_at: None,
        employer_reason: None,
        disclosed_at: None,
        consent_withdrawn_at: None,
        introduction_date: None,
        start_date: None,
        trial_end_date: None,
        contract_type: None,
        hours_per_week: None,
        hourly_wage_cents: None,
        instruments_granted: None,
        not_started_reason: None,
        sroi_contract_id: None,
        sroi_value_cents: None,
        retention_6: None,
        retention_12: None,
        introduction_time: None,
        introduction_place: None,
        introduction_contact: None,
        closed_at: None,
        updated_at: t,
    };
    diesel::insert_into(matches::table).values(&m).execute(conn)?;
    event(conn, &id, "propose", None, MatchStatus::Proposed, user, serde_json::json!({"instruments": ch}))?;
    crate::service::tasks::interest_answered(conn, &cand.id, &pl.placement.id, &user.id, &id)?;
    let actor = Actor::from(user);
    audit::one(conn, &actor, &cand.id, &cand.municipality_id, audit::access(Act::Create, "voorstel (match)", audit::purpose::BEMIDDELING))?;
    if let Some(to) = candidate_recipient(&cand) {
        let km = user.name.clone();
        let mail = mt::ProposalCandidate {
            name: cand.first_name.clone(),
            placement_title: pl.placement.title.clone(),
            kind: pl.placement.kind.label_nl().to_string(),
            employer: pl.organisation.name.clone(),
            place: ctx.refdata.pc4.get(&pl.placement.pc4).map(|x| x.place.clone()).unwrap_or_else(|| pl.placement.pc4.clone()),
            hours: crate::domain::nl::hours(pl.placement.hours_min, pl.placement.hours_max),
            klantmanager: km,
            note: m.note.clone(),
            link: link(ctx.keys, &id),
        };
        let what = "voorstel aan kandidaat";
        crate::service::mail_about(conn, &actor, (&cand.id, &cand.municipality_id), &to, &mail, what, audit::purpose::BERICHT)?;
    }
    Ok(id)
}
