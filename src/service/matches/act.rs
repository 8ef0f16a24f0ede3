//! An action on a match: authorise, check the version, let `domain::transition` decide, value
//! the SROI share of a start, write the row, and cause its e-mail and tasks.

use super::{event, load_for, ActionInput};
use crate::audit::{self, Act, Actor};
use crate::db::models::{Candidate, Match, SroiContract};
use crate::db::schema::{candidates, match_events, matches, placements, sroi_contracts};
use crate::db::{now, DbConnection};
use crate::domain::transition::{self, Before, Change, Refused};
use crate::domain::workflow::{self, Action};
use crate::domain::{FieldError, PlacementKind, Role};
use crate::engine::matching::InstrumentPackage;
use crate::engine::ranking as proposals;
use crate::error::ConflictCode;
use crate::error::{AppError, AppResult};
use crate::service::Ctx;
use chrono::NaiveDate;
use diesel::prelude::*;

/// Applies an action. Returns the updated match.
pub fn act(conn: &mut DbConnection, ctx: &Ctx, id: &str, input: &ActionInput) -> AppResult<Match> {
    let (user, today) = (ctx.user, ctx.today);
    let m = load_for(conn, user, id)?;
    let mut errs = crate::domain::validation::validation_errors_of(input);
    let Some(action) = Action::parse(input.action.trim()) else {
        let all: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        errs.push(FieldError::new("action", format!("Onbekende actie; kies uit: {}.", all.join(", "))));
        return Err(AppError::Validation(errs));
    };
    if !action.allowed_for(user.role) {
        return Err(AppError::Forbidden);
    }
    let Some(cand_id) = m.candidate_id.clone() else {
        return Err(AppError::conflict(
            ConflictCode::WrongStatus,
            "De gegevens van deze kandidaat zijn verwijderd; deze match kan niet meer veranderen.",
        ));
    };
    let cand: Candidate = candidates::table.find(&cand_id).select(Candidate::as_select()).first(conn)?;
    if user.role == Role::Klantmanager && cand.klantmanager_id != user.id {
        return Err(AppError::Forbidden);
    }
    let Some(version) = input.version else {
        errs.push(FieldError::new("version", "Geef de versie mee die u het laatst zag."));
        return Err(AppError::Validation(errs));
    };
    if version != m.version {
        return Err(AppError::conflict_on(
            ConflictCode::StaleVersion,
            "version",
            format!("Deze match is intussen gewijzigd (versie {} in plaats van {version}). Laad hem opnieuw.", m.version),
        ));
    }
    let from = m.status;
    let kind = Some(m.placement_kind);
    let before = before_of(conn, &m)?;
    let change = match transition::apply(&before, action, input, today) {
        Ok(c) => c,
        Err(Refused::Illegal { from, action }) => {
            return Err(AppError::IllegalTransition {
                from: from.as_str().into(),
                action: action.as_str().into(),
                allowed: workflow::allowed(from).into_iter().map(|(a, s)| (a.as_str().to_string(), s.as_str().to_string())).collect(),
            })
        }
        Err(Refused::AlreadyDone(msg)) => return Err(AppError::conflict(ConflictCode::AlreadyDone, msg)),
        Err(Refused::TooLate(msg)) => return Err(AppError::conflict(ConflictCode::WrongStatus, msg)),
        Err(Refused::Fields(f)) => {
            errs.extend(f);
            return Err(AppError::Validation(errs));
        }
    };
    AppError::check(errs)?;
    if change.consent_resumed {
        can_resume(conn, &m, &cand, change.reopens)?;
    }
    let to = change.to;
    let mut u = written(&m, &change, now());
    if action == Action::Start {
        value_sroi(conn, &m, &cand, kind, &mut u)?;
    }
    let n = diesel::update(matches::table.find(&m.id).filter(matches::version.eq(m.version))).set(&u).execute(conn)?;
    if n == 0 {
        return Err(AppError::conflict(ConflictCode::StaleVersion, "Deze match is intussen gewijzigd. Laad hem opnieuw."));
    }
    // The realised value of an SROI contract counts its started matches (the matcher keeps it).
    if let Some(sc) = u.sroi_contract_id.as_deref().filter(|_| from != to) {
        crate::db::changes::record(conn, crate::db::changes::Entity::Sroi, sc)?;
    }
    let detail = serde_json::json!({
        "reason": if action == Action::NotStarted { input.reason.clone() } else { input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(String::from) },
        "introduction_date": u.introduction_date.filter(|_| action == Action::Introduce),
        "introduction_time": u.introduction_time.clone().filter(|_| action == Action::Introduce),
        "start_date": u.start_date.filter(|_| matches!(action, Action::Start | Action::StartTrial)),
        "trial_end_date": u.trial_end_date.filter(|_| matches!(action, Action::StartTrial | Action::ExtendTrial)),
        "contract_type": u.contract_type.clone().filter(|_| action == Action::Start),
    });
    event(conn, &m.id, action.as_str(), Some(from), to, user, detail)?;
    let actor = Actor::from(user);
    audit::one(conn, &actor, &cand.id, &cand.municipality_id, audit::access(Act::Update, "voorstel (match)", audit::purpose::BEMIDDELING))?;
    super::notify::notify(conn, ctx, &actor, &u, &cand, from, action)?;
    if action == Action::Start {
        super::followup::after_start(conn, ctx.today, &u, &cand)?;
    }
    super::followup::after_answer(conn, ctx.today, &u, &cand, action)?;
    Ok(u)
}

/// What `transition::apply` needs to know of a match: its status and dates, the package, and
/// for a withdrawal of consent the day and the status before it.
pub(super) fn before_of(conn: &mut DbConnection, m: &Match) -> AppResult<Before> {
    let pkg: Option<InstrumentPackage> = serde_json::from_str(&m.package).ok();
    let status_before_withdrawal = match m.consent_withdrawn_at {
        None => None,
        Some(_) => match_events::table
            .filter(match_events::match_id.eq(&m.id))
            .filter(match_events::action.eq(Action::WithdrawConsent.as_str()))
            .order((match_events::created_at.desc(), match_events::id.desc()))
            .select(match_events::from_status)
            .first::<Option<workflow::MatchStatus>>(conn)
            .optional()?
            .flatten(),
    };
    Ok(Before {
        status: m.status,
        kind: Some(m.placement_kind),
        start_date: m.start_date,
        trial_end_date: m.trial_end_date,
        consent_withdrawn: m.consent_withdrawn_at.is_some(),
        withdrawn_on: m.consent_withdrawn_at.map(crate::clock::local_date),
        status_before_withdrawal,
        grantable_paid: pkg.as_ref().map(|p| p.grantable(true)).unwrap_or_default(),
        grantable_unpaid: pkg.as_ref().map(|p| p.grantable(false)).unwrap_or_default(),
    })
}

/// Undoing a stop reopens nothing that meanwhile went on without the person: the person still
/// takes part in matching, and a match that reopens needs its placement still open and no newer
/// proposal of the same pair.
fn can_resume(conn: &mut DbConnection, m: &Match, cand: &Candidate, reopens: bool) -> AppResult<()> {
    if !cand.consent_matching {
        return Err(AppError::conflict(
            ConflictCode::WrongStatus,
            "U doet nu niet mee aan het zoeken naar werk. Zet dat eerst weer aan bij 'Mijn gegevens'.",
        ));
    }
    if !reopens {
        return Ok(());
    }
    let open = match &m.placement_id {
        Some(pid) => {
            placements::table.find(pid).select(placements::status).first::<crate::domain::PlacementStatus>(conn).optional()?
                == Some(crate::domain::PlacementStatus::Open)
        }
        None => false,
    };
    if !open {
        return Err(AppError::conflict(ConflictCode::WrongStatus, "Deze plek staat niet meer open. Terugdraaien kan daarom niet meer."));
    }
    let newer: i64 = matches::table
        .filter(matches::candidate_id.eq(&cand.id))
        .filter(matches::placement_id.eq(&m.placement_id))
        .filter(matches::id.ne(&m.id))
        .filter(matches::status.eq_any(workflow::MatchStatus::standing()))
        .count()
        .get_result(conn)?;
    if newer > 0 {
        return Err(AppError::conflict(ConflictCode::AlreadyExists, "Voor deze plek loopt al een nieuw voorstel. Kijk daar verder."));
    }
    Ok(())
}

/// The row as the change leaves it (`t` is now).
fn written(m: &Match, c: &Change, t: chrono::NaiveDateTime) -> Match {
    let mut u = m.clone();
    u.status = c.to;
    u.version = m.version + 1;
    u.updated_at = t;
    if c.candidate_decided {
        u.candidate_decided_at = Some(t);
        if c.candidate_reason.is_some() {
            u.candidate_reason = c.candidate_reason.clone();
        }
    }
    if c.employer_decided {
        u.employer_decided_at = Some(t);
        if c.employer_reason.is_some() {
            u.employer_reason = c.employer_reason.clone();
        }
    }
    if let Some(i) = &c.introduction {
        u.introduction_date = Some(i.date);
        u.introduction_time = i.time.clone();
        u.introduction_place = i.place.clone();
        u.introduction_contact = i.contact.clone();
        u.klantmanager_consent_at = Some(t);
        u.disclosed_at = Some(t);
    }
    if c.start_date.is_some() {
        u.start_date = c.start_date;
    }
    if c.trial_end_date.is_some() {
        u.trial_end_date = c.trial_end_date;
    }
    if c.contract_type.is_some() {
        u.contract_type = c.contract_type.clone();
    }
    if c.hours_per_week.is_some() {
        u.hours_per_week = c.hours_per_week;
    }
    if c.hourly_wage_cents.is_some() {
        u.hourly_wage_cents = c.hourly_wage_cents;
    }
    if let Some(g) = &c.instruments_granted {
        u.instruments_granted = Some(serde_json::to_string(g).unwrap_or_default());
    }
    if c.not_started_reason.is_some() {
        u.not_started_reason = c.not_started_reason.clone();
    }
    if c.consent_withdrawn {
        u.consent_withdrawn_at = Some(t);
    }
    if c.consent_resumed {
        u.consent_withdrawn_at = None;
    }
    if c.closes {
        u.closed_at = Some(t);
    }
    if c.reopens {
        u.closed_at = None;
    }
    u
}

/// A start in a placement under an SROI contract: the contract and the social value the start
/// realises (the building blocks of the municipality's settings, months within the contract).
fn value_sroi(conn: &mut DbConnection, m: &Match, cand: &Candidate, kind: Option<PlacementKind>, u: &mut Match) -> AppResult<()> {
    let (Some(pid), Some(start), Some(h)) = (&m.placement_id, u.start_date, u.hours_per_week) else { return Ok(()) };
    let contract: Option<SroiContract> = placements::table
        .inner_join(sroi_contracts::table.on(placements::sroi_contract_id.eq(sroi_contracts::id.nullable())))
        .filter(placements::id.eq(pid))
        .select(SroiContract::as_select())
        .first(conn)
        .optional()?;
    let Some(sc) = contract else { return Ok(()) };
    let (settings, _) = proposals::load_settings(conn, &m.municipality_id)?;
    let months = months_between(start.max(sc.period_start), sc.period_end).min(12.0);
    let age = crate::domain::age_on(cand.birth_date, start);
    let v = crate::domain::instruments::sroi_value(
        &settings,
        &crate::domain::instruments::SroiInput {
            benefit: cand.benefit_type,
            doelgroepregister: cand.doelgroepregister,
            bbl: kind == Some(PlacementKind::LeerwerkplekBbl),
            age_50_plus: age >= 50,
            statushouder: cand.statushouder,
            permanent_contract: u.contract_type.as_deref() == Some("onbepaalde_tijd"),
            hours_per_week: h,
            months,
        },
    );
    u.sroi_contract_id = Some(sc.id);
    u.sroi_value_cents = Some(v.value_cents);
    Ok(())
}

fn months_between(a: NaiveDate, b: NaiveDate) -> f64 {
    if b <= a {
        return 0.0;
    }
    (b - a).num_days() as f64 / (365.25 / 12.0)
}
