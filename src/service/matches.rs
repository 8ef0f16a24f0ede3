//! The match workflow as a service used by the API and the pages: propose, act on a match
//! (the state machine of `domain::workflow`), and show a match to each role, with staged
//! disclosure, audit entries and e-mail written in the same transaction as the change.

use crate::audit::{self, Act, Actor, Channel};
use crate::auth::CurrentUser;
use crate::db::models::{Candidate, Match, MatchEvent, Organisation, Placement, SroiContract, Task};
use crate::db::queries::{candidate_full, placement_full, CandidateFull, PlacementFull};
use crate::db::schema::{candidates, match_events, matches, organisations, placements, sroi_contracts, tasks, users};
use crate::db::{new_id, now, DbConnection};
use crate::domain::workflow::{self, Action, MatchStatus};
use crate::domain::{euros, FieldError, PlacementKind, Role};
use crate::engine::matching::{self, InstrumentPackage};
use crate::engine::ranking as proposals;
use crate::error::{AppError, AppResult};
use crate::mail::{self, templates as mt, Recipient};
use crate::service::candidates::{authorize, Access};
use crate::service::employer_view::{anonymous_profile, AnonymousProfile};
use crate::service::placements::{summary, PlacementSummary};
use crate::service::Ctx;
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

pub use crate::engine::matching::Chosen;

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeInput {
    #[validate(length(min = 1, max = 64, message = "Kies een kandidaat."))]
    pub candidate_id: String,
    #[validate(length(min = 1, max = 64, message = "Kies een plek."))]
    pub placement_id: String,
    #[serde(default)]
    pub instruments: Chosen,
    /// A note for the candidate (not shown to the employer).
    #[serde(default)]
    #[validate(length(max = 2000, message = "Maximaal 2000 tekens."))]
    pub note: String,
}

/// An action on a match. `version` is the version the client last saw.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// accept, decline, interested, not_interested, introduce, start, start_trial, extend_trial,
    /// not_started, withdraw, withdraw_consent
    pub action: String,
    pub version: Option<i32>,
    #[validate(length(max = 1000, message = "Maximaal 1000 tekens."))]
    pub reason: Option<String>,
    pub introduction_date: Option<NaiveDate>,
    pub start_date: Option<NaiveDate>,
    pub trial_end_date: Option<NaiveDate>,
    #[validate(length(max = 50, message = "Hoogstens 50 tekens."))]
    pub contract_type: Option<String>,
    pub hours_per_week: Option<f64>,
    pub hourly_wage_cents: Option<i32>,
    pub instruments_granted: Option<Vec<String>>,
    /// Introduction: time of day, "HH:MM".
    pub introduction_time: Option<String>,
    /// Introduction: where (default: the employer in the placement's place).
    #[validate(length(max = 200, message = "Hoogstens 200 tekens."))]
    pub introduction_place: Option<String>,
    /// Introduction: whom to ask for (default: the employer's contact person).
    #[validate(length(max = 200, message = "Hoogstens 200 tekens."))]
    pub introduction_contact: Option<String>,
}

/// The introduction as the candidate and the employer need to know it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Introduction {
    pub date: NaiveDate,
    /// "HH:MM", when agreed.
    pub time: Option<String>,
    /// "woensdag 9 december 2026 om 10:00"
    pub when: String,
    pub place: String,
    pub contact: String,
}

/// The introduction of a match, with the employer and the placement's place filling what the
/// klantmanager left open.
fn introduction_of(m: &Match, employer: &str, employer_contact: &str, place: &str) -> Option<Introduction> {
    let date = m.introduction_date?;
    let mut when = crate::domain::nl::date_with_day(date);
    if let Some(t) = &m.introduction_time {
        when.push_str(&format!(" om {t}"));
    }
    Some(Introduction {
        date,
        time: m.introduction_time.clone(),
        when,
        place: m.introduction_place.clone().filter(|p| !p.trim().is_empty()).unwrap_or_else(|| {
            if place.is_empty() {
                employer.to_string()
            } else {
                format!("{employer}, {place}")
            }
        }),
        contact: m.introduction_contact.clone().filter(|c| !c.trim().is_empty()).unwrap_or_else(|| employer_contact.to_string()),
    })
}

/// Everything a match carries that the audience may see.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MatchView {
    pub id: String,
    pub status: MatchStatus,
    pub status_label: String,
    pub version: i32,
    pub placement: Option<PlacementSummary>,
    pub placement_title: String,
    pub placement_kind: String,
    /// Name and contact details: staff and the candidate itself always, the employer only
    /// after disclosure and while consent stands.
    pub candidate: Option<CandidatePerson>,
    /// The anonymous profile (for the employer; also shown to staff as "what the employer sees").
    pub profile: Option<AnonymousProfile>,
    pub disclosed: bool,
    pub consent_withdrawn: bool,
    pub instruments: Chosen,
    pub package: Option<InstrumentPackage>,
    pub employer_net_monthly_cost_cents: Option<i64>,
    /// The klantmanager's note for the candidate (not for the employer).
    pub note: Option<String>,
    pub klantmanager_id: Option<String>,
    pub proposed_at: chrono::NaiveDateTime,
    pub candidate_decided_at: Option<chrono::NaiveDateTime>,
    pub candidate_reason: Option<String>,
    pub employer_decided_at: Option<chrono::NaiveDateTime>,
    pub employer_reason: Option<String>,
    pub disclosed_at: Option<chrono::NaiveDateTime>,
    pub introduction_date: Option<NaiveDate>,
    pub start_date: Option<NaiveDate>,
    pub trial_end_date: Option<NaiveDate>,
    pub contract_type: Option<String>,
    pub hours_per_week: Option<f64>,
    pub hourly_wage_cents: Option<i32>,
    pub instruments_granted: Vec<String>,
    pub not_started_reason: Option<String>,
    pub sroi_value_cents: Option<i64>,
    /// Date, time, place and contact person of the introduction (the employer only once
    /// disclosed).
    pub introduction: Option<Introduction>,
    /// The klantmanager who proposed it, for the candidate to reach (not shown to an employer
    /// before disclosure).
    pub klantmanager: Option<StaffContact>,
    /// How well it fits now, by the matcher's calibrated label (candidate and staff; on one match,
    /// not in lists).
    pub fit: Option<String>,
    /// Why it suits the candidate, in plain words (B1).
    pub reasons_b1: Vec<String>,
    /// The score per factor (staff).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub factors: Vec<matching::Factor>,
    pub score: Option<f64>,
    /// The steps done and to come, for the candidate.
    pub journey: Vec<workflow::JourneyStep>,
    /// What happens next, in plain words (candidate).
    pub next_b1: Option<String>,
    /// What may be granted at the start (code, label): only for paid work, what the proposal
    /// offers.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub grantable: Vec<(String, String)>,
    /// Whether the work is paid (the start form asks for a wage).
    pub paid: bool,
    /// What this user may do next, and where it leads.
    pub next: Vec<NextStep>,
    /// The history (staff only).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub events: Vec<EventView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CandidatePerson {
    pub id: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StaffContact {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NextStep {
    pub action: Action,
    pub to: MatchStatus,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    pub action: String,
    /// In Dutch.
    pub action_label: String,
    pub to_label: String,
    pub actor_role_label: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor_id: Option<String>,
    pub actor_role: String,
    pub detail: serde_json::Value,
    pub at: chrono::NaiveDateTime,
}

fn parse_status(m: &Match) -> AppResult<MatchStatus> {
    MatchStatus::parse(&m.status).ok_or_else(|| AppError::Internal(anyhow::anyhow!("bad match status {}", m.status)))
}

fn field(errs: &mut Vec<FieldError>, f: &str, msg: impl Into<String>) {
    errs.push(FieldError::new(f, msg));
}

fn date_nl(d: NaiveDate) -> String {
    crate::domain::nl::date_long(d)
}

fn link(keys: &crate::service::Keys, m: &str) -> String {
    keys.link(&format!("/matches/{m}"))
}

fn instrument_lines(p: &InstrumentPackage, chosen: &Chosen) -> Vec<String> {
    let mut v = Vec::new();
    if chosen.loonkostensubsidie {
        if let Some(l) = &p.loonkostensubsidie {
            v.push(format!("Loonkostensubsidie: {} per maand", euros(l.amount_cents)));
        }
    }
    if chosen.job_coach {
        v.push(format!("Jobcoach: ongeveer {:.0} uur in het eerste jaar", p.job_coach.year1_hours));
    }
    if chosen.proefplaatsing {
        v.push(format!("Proefplaatsing met behoud van uitkering (ten hoogste {} maanden)", p.trial_placement_max_months));
    }
    if chosen.no_risk_polis {
        v.push("No-riskpolis: bij ziekte betaalt UWV het loon".into());
    }
    if let Some(l) = p.lkv_per_year_cents {
        v.push(format!("Loonkostenvoordeel (LKV): tot {} per jaar", euros(l)));
    }
    if v.is_empty() {
        v.push("Geen financiële regelingen gekozen; uw contactpersoon bij de gemeente helpt u verder".into());
    }
    v
}

fn org_recipient(o: &Organisation) -> Recipient {
    Recipient { address: o.contact_email.clone(), name: o.contact_name.clone(), role: "werkgever" }
}

fn candidate_recipient(c: &Candidate) -> Option<Recipient> {
    match (&c.email, c.consent_email) {
        (Some(e), true) if !e.trim().is_empty() => {
            Some(Recipient { address: e.clone(), name: format!("{} {}", c.first_name, c.last_name), role: "kandidaat" })
        }
        _ => None,
    }
}

fn full_name(c: &Candidate) -> String {
    format!("{} {}", c.first_name, c.last_name)
}

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
        if c.status != crate::domain::ACTIEF {
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
        placement_kind: pl.placement.kind.clone(),
        placement_title: pl.placement.title.clone(),
        status: MatchStatus::Proposed.as_str().into(),
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
            kind: PlacementKind::parse(&pl.placement.kind).map(|k| k.label_nl().to_string()).unwrap_or_default(),
            employer: pl.organisation.name.clone(),
            place: ctx.refdata.pc4.get(&pl.placement.pc4).map(|x| x.place.clone()).unwrap_or_else(|| pl.placement.pc4.clone()),
            hours: format!("{} tot {}", pl.placement.hours_min, pl.placement.hours_max),
            klantmanager: km,
            note: m.note.clone(),
            link: link(ctx.keys, &id),
        };
        mail::enqueue(conn, &to, &mail, Some(&cand.id))?;
        audit::one(
            conn,
            &actor,
            &cand.id,
            &cand.municipality_id,
            audit::Access { act: Act::Email, what: "voorstel aan kandidaat", purpose: audit::purpose::BERICHT, channel: Some(Channel::Email) },
        )?;
    }
    Ok(id)
}

fn event(
    conn: &mut DbConnection,
    match_id: &str,
    action: &str,
    from: Option<MatchStatus>,
    to: MatchStatus,
    user: &CurrentUser,
    detail: serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(match_events::table)
        .values(&MatchEvent {
            id: new_id(),
            match_id: match_id.into(),
            action: action.into(),
            from_status: from.map(|s| s.as_str().to_string()),
            to_status: to.as_str().into(),
            actor_id: Some(user.id.clone()),
            actor_role: user.role.as_str().into(),
            detail: detail.to_string(),
            created_at: now(),
        })
        .execute(conn)?;
    Ok(())
}

/// Loads a match the user may see. Out of reach = 404 (as if it did not exist).
pub fn load_for(conn: &mut DbConnection, user: &CurrentUser, id: &str) -> AppResult<Match> {
    let m: Match = matches::table.find(id).select(Match::as_select()).first(conn).optional()?.ok_or(AppError::NotFound)?;
    let ok = match user.role {
        Role::Klantmanager | Role::Beheerder => user.municipality_id.as_deref() == Some(m.municipality_id.as_str()),
        Role::Kandidaat => user.candidate_id.is_some() && user.candidate_id == m.candidate_id,
        Role::Werkgever => {
            user.organisation_verified
                && user.organisation_id.is_some()
                && user.organisation_id == m.organisation_id
                && parse_status(&m)?.visible_to_employer(m.candidate_decided_at.is_some())
        }
    };
    if ok {
        Ok(m)
    } else {
        Err(AppError::NotFound)
    }
}

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
            crate::error::ConflictCode::WrongStatus,
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
            crate::error::ConflictCode::StaleVersion,
            "version",
            format!("Deze match is intussen gewijzigd (versie {} in plaats van {version}). Laad hem opnieuw.", m.version),
        ));
    }
    let from = parse_status(&m)?;
    let Some(to) = workflow::next(from, action) else {
        return Err(AppError::IllegalTransition {
            from: from.as_str().into(),
            action: action.as_str().into(),
            allowed: workflow::allowed(from).into_iter().map(|(a, s)| (a.as_str().to_string(), s.as_str().to_string())).collect(),
        });
    };
    if action == Action::WithdrawConsent && m.consent_withdrawn_at.is_some() {
        return Err(AppError::conflict(crate::error::ConflictCode::AlreadyDone, "De toestemming is al ingetrokken."));
    }
    let reason = input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(String::from);
    let mut u = m.clone();
    let t = now();
    u.status = to.as_str().into();
    u.version = m.version + 1;
    u.updated_at = t;
    let kind = PlacementKind::parse(&m.placement_kind);
    errs.extend(crate::domain::check_date_ranges([
        ("introduction_date", input.introduction_date),
        ("start_date", input.start_date),
        ("trial_end_date", input.trial_end_date),
    ]));
    match action {
        Action::Accept => u.candidate_decided_at = Some(t),
        Action::Decline => {
            u.candidate_decided_at = Some(t);
            u.candidate_reason = reason.clone();
            u.closed_at = Some(t);
        }
        Action::Interested => u.employer_decided_at = Some(t),
        Action::NotInterested => {
            u.employer_decided_at = Some(t);
            u.employer_reason = reason.clone();
            u.closed_at = Some(t);
        }
        Action::Introduce => match input.introduction_date {
            None => field(&mut errs, "introduction_date", "Kies de datum van de kennismaking."),
            Some(d) if d < today => field(&mut errs, "introduction_date", "De kennismaking kan niet in het verleden liggen."),
            Some(d) => {
                u.introduction_date = Some(d);
                u.klantmanager_consent_at = Some(t);
                u.disclosed_at = Some(t);
                let time = input.introduction_time.as_deref().map(str::trim).filter(|x| !x.is_empty());
                match time.map(|x| chrono::NaiveTime::parse_from_str(x, "%H:%M")) {
                    Some(Err(_)) => field(&mut errs, "introduction_time", "Vul een tijd in als uu:mm, bijvoorbeeld 10:30."),
                    Some(Ok(tm)) => u.introduction_time = Some(tm.format("%H:%M").to_string()),
                    None => u.introduction_time = None,
                }
                let text = |x: &Option<String>| x.as_deref().map(str::trim).filter(|x| !x.is_empty()).map(String::from);
                u.introduction_place = text(&input.introduction_place);
                u.introduction_contact = text(&input.introduction_contact);
            }
        },
        Action::Start => {
            let min_start = if from == MatchStatus::Trial { m.start_date } else { None };
            match input.start_date {
                None => field(&mut errs, "start_date", "Vul de startdatum in."),
                Some(d) if min_start.map(|s| d < s).unwrap_or(false) => {
                    field(&mut errs, "start_date", "De start kan niet vóór het begin van de proefplaatsing liggen.")
                }
                Some(d) => u.start_date = Some(d),
            }
            let unpaid_kind = kind.is_some_and(|k| !k.is_paid());
            match input.contract_type.as_deref() {
                // Unpaid work (volunteering, dagbesteding, werkervaringsplaats) keeps the benefit.
                None | Some("") if unpaid_kind => u.contract_type = Some("onbetaald".into()),
                Some(c) if unpaid_kind && c != "onbetaald" => {
                    field(&mut errs, "contract_type", "Bij deze plek hoort geen arbeidscontract: kies 'Onbetaalde plaatsing (behoud van uitkering)'.")
                }
                Some(c) if workflow::label_of(workflow::CONTRACT_TYPES, c).is_some() => u.contract_type = Some(c.into()),
                _ => field(
                    &mut errs,
                    "contract_type",
                    format!("Kies het soort contract: {}.", workflow::CONTRACT_TYPES.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")),
                ),
            }
            match input.hours_per_week {
                Some(h) if h.is_finite() && (1.0..=40.0).contains(&h) => u.hours_per_week = Some(h),
                _ => field(&mut errs, "hours_per_week", "Vul het aantal uren per week in (1 tot 40)."),
            }
            let paid = kind.map(|k| k.is_paid()).unwrap_or(true) && u.contract_type.as_deref() != Some("onbetaald");
            match input.hourly_wage_cents {
                Some(w) if w > 0 => u.hourly_wage_cents = Some(w),
                Some(_) => field(&mut errs, "hourly_wage_cents", "Het uurloon moet groter dan 0 zijn."),
                None if paid => field(&mut errs, "hourly_wage_cents", "Vul het bruto uurloon in voor betaald werk."),
                None => {}
            }
            let granted = input.instruments_granted.clone().unwrap_or_default();
            let pkg: Option<InstrumentPackage> = serde_json::from_str(&m.package).ok();
            let grantable = pkg.as_ref().map(|p| p.grantable(paid)).unwrap_or_default();
            if let Some(bad) = granted.iter().find(|g| !workflow::INSTRUMENTS.contains(&g.as_str())) {
                field(&mut errs, "instruments_granted", format!("Onbekende regeling {bad:?}; kies uit: {}.", workflow::INSTRUMENTS.join(", ")));
            } else if let Some(bad) = granted.iter().find(|g| !grantable.contains(&g.as_str())) {
                field(
                    &mut errs,
                    "instruments_granted",
                    if grantable.is_empty() {
                        "Bij deze plaatsing horen geen regelingen (onbetaald werk of geen regeling mogelijk).".to_string()
                    } else {
                        format!(
                            "{} is hier niet mogelijk; wel: {}.",
                            workflow::instrument_label(bad),
                            grantable.iter().map(|g| workflow::instrument_label(g)).collect::<Vec<_>>().join(", ")
                        )
                    },
                );
            }
            u.instruments_granted = Some(serde_json::to_string(&granted).unwrap_or_default());
            u.closed_at = Some(t);
        }
        Action::StartTrial => match (input.start_date, input.trial_end_date) {
            (Some(s), Some(e)) => match workflow::check_trial_end(s, e, false) {
                Ok(()) => {
                    u.start_date = Some(s);
                    u.trial_end_date = Some(e);
                }
                Err(msg) => field(&mut errs, "trial_end_date", msg),
            },
            (s, e) => {
                if s.is_none() {
                    field(&mut errs, "start_date", "Vul de startdatum van de proefplaatsing in.");
                }
                if e.is_none() {
                    field(&mut errs, "trial_end_date", "Vul de einddatum van de proefplaatsing in (ten hoogste 2 maanden).");
                }
            }
        },
        Action::ExtendTrial => match (m.start_date, input.trial_end_date) {
            (Some(s), Some(e)) => {
                if m.trial_end_date.map(|old| e <= old).unwrap_or(false) {
                    field(&mut errs, "trial_end_date", "De nieuwe einddatum moet na de huidige einddatum liggen.");
                } else if let Err(msg) = workflow::check_trial_end(s, e, true) {
                    field(&mut errs, "trial_end_date", msg);
                } else {
                    u.trial_end_date = Some(e);
                }
            }
            _ => field(&mut errs, "trial_end_date", "Vul de nieuwe einddatum in."),
        },
        Action::NotStarted => match input.reason.as_deref() {
            Some(r) if workflow::label_of(workflow::NOT_STARTED_REASONS, r).is_some() => {
                u.not_started_reason = Some(r.into());
                u.closed_at = Some(t);
            }
            _ => field(
                &mut errs,
                "reason",
                format!("Kies een reden: {}.", workflow::NOT_STARTED_REASONS.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")),
            ),
        },
        Action::Withdraw => u.closed_at = Some(t),
        Action::WithdrawConsent => {
            u.consent_withdrawn_at = Some(t);
            if to == MatchStatus::Withdrawn {
                u.closed_at = Some(t);
            }
        }
    }
    AppError::check(errs)?;
    if action == Action::Start {
        if let (Some(pid), Some(start), Some(h)) = (&m.placement_id, u.start_date, u.hours_per_week) {
            let contract: Option<SroiContract> = placements::table
                .inner_join(sroi_contracts::table.on(placements::sroi_contract_id.eq(sroi_contracts::id.nullable())))
                .filter(placements::id.eq(pid))
                .select(SroiContract::as_select())
                .first(conn)
                .optional()?;
            if let Some(sc) = contract {
                let (settings, _) = proposals::load_settings(conn, &m.municipality_id)?;
                let months = months_between(start.max(sc.period_start), sc.period_end).min(12.0);
                let age = crate::domain::age_on(cand.birth_date, start);
                let v = crate::domain::instruments::sroi_value(
                    &settings,
                    &crate::domain::instruments::SroiInput {
                        participatiewet: true,
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
            }
        }
    }
    let n = diesel::update(matches::table.find(&m.id).filter(matches::version.eq(m.version))).set(&u).execute(conn)?;
    if n == 0 {
        return Err(AppError::conflict(crate::error::ConflictCode::StaleVersion, "Deze match is intussen gewijzigd. Laad hem opnieuw."));
    }
    // The realised value of an SROI contract counts its started matches (the matcher keeps it).
    if let Some(sc) = u.sroi_contract_id.as_deref().filter(|_| from != to) {
        crate::db::changes::record(conn, crate::db::changes::Entity::Sroi, sc)?;
    }
    let detail = serde_json::json!({
        "reason": if matches!(action, Action::NotStarted) { input.reason.clone() } else { reason.clone() },
        "introduction_date": u.introduction_date.filter(|_| action == Action::Introduce),
        "introduction_time": u.introduction_time.clone().filter(|_| action == Action::Introduce),
        "start_date": u.start_date.filter(|_| matches!(action, Action::Start | Action::StartTrial)),
        "trial_end_date": u.trial_end_date.filter(|_| matches!(action, Action::StartTrial | Action::ExtendTrial)),
        "contract_type": u.contract_type.clone().filter(|_| action == Action::Start),
    });
    event(conn, &m.id, action.as_str(), Some(from), to, user, detail)?;
    let actor = Actor::from(user);
    audit::one(conn, &actor, &cand.id, &cand.municipality_id, audit::access(Act::Update, "voorstel (match)", audit::purpose::BEMIDDELING))?;
    side_effects(conn, ctx, &actor, &u, &cand, from, action)?;
    Ok(u)
}

fn months_between(a: NaiveDate, b: NaiveDate) -> f64 {
    if b <= a {
        return 0.0;
    }
    (b - a).num_days() as f64 / (365.25 / 12.0)
}

/// E-mail and tasks caused by an action (inside the same transaction).
#[allow(clippy::too_many_arguments)]
fn side_effects(conn: &mut DbConnection, ctx: &Ctx, actor: &Actor, m: &Match, cand: &Candidate, from: MatchStatus, action: Action) -> AppResult<()> {
    let (user, today) = (ctx.user, ctx.today);
    let org: Option<Organisation> = match &m.organisation_id {
        Some(o) => organisations::table.find(o).select(Organisation::as_select()).first(conn).optional()?,
        None => None,
    };
    let placement: Option<Placement> = match &m.placement_id {
        Some(p) => placements::table.find(p).select(Placement::as_select()).first(conn).optional()?,
        None => None,
    };
    let km = crate::mail::user_recipient(conn, m.klantmanager_id.as_deref().or(Some(cand.klantmanager_id.as_str())))?;
    let employer_name = org.as_ref().map(|o| o.name.clone()).unwrap_or_default();
    let reference = ctx.keys.pseudonym(m.placement_id.as_deref().unwrap_or(""), &cand.id);
    let url = link(ctx.keys, &m.id);
    let email_audit = |what: &'static str| audit::Access { act: Act::Email, what, purpose: audit::purpose::BERICHT, channel: Some(Channel::Email) };
    let enqueue = |conn: &mut DbConnection, to: &Recipient, mail: &dyn mail::Mail, what: &'static str| -> AppResult<()> {
        mail::enqueue(conn, to, mail, Some(&cand.id))?;
        audit::one(conn, actor, &cand.id, &cand.municipality_id, email_audit(what))?;
        Ok(())
    };
    // The candidate's answer to its klantmanager; the klantmanager who recorded it needs no e-mail.
    let tell_klantmanager = |accepted: bool, reason: String, what: &'static str, conn: &mut DbConnection| -> AppResult<()> {
        match &km {
            Some((u, to)) if u.id != user.id => {
                let mail = mt::ConsentKlantmanager {
                    name: u.name.clone(),
                    candidate_name: full_name(cand),
                    accepted,
                    reason,
                    placement_title: m.placement_title.clone(),
                    employer: employer_name.clone(),
                    link: url.clone(),
                };
                enqueue(conn, to, &mail, what)
            }
            _ => Ok(()),
        }
    };
    let disclosed = workflow::disclosed(m.disclosed_at.is_some(), m.consent_withdrawn_at.is_some());
    match action {
        Action::Accept | Action::Decline => {
            let reason = m.candidate_reason.clone().unwrap_or_default();
            tell_klantmanager(action == Action::Accept, reason, "reactie kandidaat aan klantmanager", conn)?;
            if action == Action::Accept {
                if let (Some(o), Some(p)) = (&org, &placement) {
                    let c = candidate_full(conn, &cand.id)?.ok_or(AppError::NotFound)?;
                    let prof = anonymous_profile(ctx.keys, ctx.refdata, p, &c);
                    let chosen: Chosen = serde_json::from_str(&m.instruments).unwrap_or_default();
                    let pkg: Option<InstrumentPackage> = serde_json::from_str(&m.package).ok();
                    let mail = mt::ProposalEmployer {
                        contact_name: o.contact_name.clone(),
                        placement_title: m.placement_title.clone(),
                        reference: prof.reference.clone(),
                        occupations: prof.occupations.iter().map(|x| x.label.clone()).collect(),
                        skills: prof.skills_nl.clone(),
                        ladder_step: prof.ladder_step.map(|s| s.to_string()).unwrap_or_else(|| "onbekend".into()),
                        hours: format!("{} tot {}", prof.hours_min, prof.hours_max),
                        distance_band: prof.distance_band.clone().unwrap_or_else(|| "onbekend".into()),
                        instruments: pkg.as_ref().map(|p| instrument_lines(p, &chosen)).unwrap_or_default(),
                        net_cost: m.employer_net_cost_cents.map(euros).unwrap_or_else(|| "niet van toepassing (onbetaalde plek)".into()),
                        link: url.clone(),
                    };
                    enqueue(conn, &org_recipient(o), &mail, "anoniem profiel aan werkgever")?;
                }
            }
        }
        Action::Introduce => {
            let place_name = placement.as_ref().and_then(|p| ctx.refdata.pc4.get(&p.pc4).map(|x| x.place.clone())).unwrap_or_default();
            let intro = introduction_of(m, &employer_name, org.as_ref().map(|o| o.contact_name.as_str()).unwrap_or(""), &place_name);
            let date = intro.as_ref().map(|i| i.when.clone()).unwrap_or_default();
            let intro_place = intro.as_ref().map(|i| i.place.clone()).unwrap_or_default();
            if let Some(o) = &org {
                let (kname, kmail) = km.as_ref().map(|(u, _)| (u.name.clone(), u.email.clone())).unwrap_or_default();
                let mail = mt::IntroductionEmployer {
                    contact_name: o.contact_name.clone(),
                    placement_title: m.placement_title.clone(),
                    reference: reference.clone(),
                    candidate_name: full_name(cand),
                    candidate_email: cand.email.clone().unwrap_or_else(|| "(geen)".into()),
                    candidate_phone: cand.phone.clone().unwrap_or_else(|| "(geen)".into()),
                    introduction_date: date.clone(),
                    place: intro_place.clone(),
                    klantmanager: kname,
                    klantmanager_email: kmail,
                    link: url.clone(),
                };
                enqueue(conn, &org_recipient(o), &mail, "naam en contactgegevens aan werkgever")?;
                audit::one(
                    conn,
                    actor,
                    &cand.id,
                    &cand.municipality_id,
                    audit::access(Act::Disclose, "naam en contactgegevens aan werkgever", audit::purpose::BEMIDDELING),
                )?;
            }
            if let Some(to) = candidate_recipient(cand) {
                let mail = mt::IntroductionCandidate {
                    name: cand.first_name.clone(),
                    placement_title: m.placement_title.clone(),
                    employer: employer_name.clone(),
                    contact_name: intro.as_ref().map(|i| i.contact.clone()).unwrap_or_default(),
                    place: intro_place,
                    introduction_date: date,
                    klantmanager: km.as_ref().map(|(u, _)| u.name.clone()).unwrap_or_default(),
                    link: url.clone(),
                };
                enqueue(conn, &to, &mail, "kennismaking aan kandidaat")?;
            }
        }
        Action::Start | Action::StartTrial | Action::NotStarted | Action::Withdraw | Action::WithdrawConsent => {
            let (outcome, details): (String, Vec<String>) = match action {
                Action::Start => (
                    "gestart".into(),
                    vec![
                        format!("Startdatum: {}", m.start_date.map(date_nl).unwrap_or_default()),
                        format!("Uren per week: {}", m.hours_per_week.map(crate::domain::nl::short).unwrap_or_default()),
                    ],
                ),
                Action::StartTrial => (
                    "proefplaatsing gestart".into(),
                    vec![
                        format!("Van {} tot {}", m.start_date.map(date_nl).unwrap_or_default(), m.trial_end_date.map(date_nl).unwrap_or_default()),
                        "Tijdens de proefplaatsing houdt de kandidaat de uitkering.".into(),
                    ],
                ),
                Action::NotStarted => (
                    "niet gestart".into(),
                    vec![format!(
                        "Reden: {}",
                        m.not_started_reason.as_deref().and_then(|r| workflow::label_of(workflow::NOT_STARTED_REASONS, r)).unwrap_or("")
                    )],
                ),
                Action::Withdraw => ("voorstel ingetrokken door de klantmanager".into(), vec![]),
                _ => (
                    "de kandidaat heeft de toestemming ingetrokken".into(),
                    vec!["Gebruik de gegevens van de kandidaat niet meer en verwijder ze.".into()],
                ),
            };
            // To the candidate (not about its own withdrawal, which it just did itself).
            if action != Action::WithdrawConsent {
                if let Some(to) = candidate_recipient(cand) {
                    let mail = mt::Outcome {
                        name: cand.first_name.clone(),
                        placement_title: m.placement_title.clone(),
                        about: String::new(),
                        outcome: outcome.clone(),
                        details: details.clone(),
                        link: url.clone(),
                        to_candidate: true,
                    };
                    enqueue(conn, &to, &mail, "uitkomst aan kandidaat")?;
                }
            }
            // To the employer, when it knows of the match; the name only while disclosed.
            let from_visible = from.visible_to_employer(m.candidate_decided_at.is_some());
            if let (Some(o), true) = (&org, from_visible) {
                let about = if disclosed { full_name(cand) } else { format!("kandidaat {reference}") };
                let mail = mt::Outcome {
                    name: o.contact_name.clone(),
                    placement_title: m.placement_title.clone(),
                    about,
                    outcome: outcome.clone(),
                    details: if action == Action::WithdrawConsent { details.clone() } else { vec![] },
                    link: url.clone(),
                    to_candidate: false,
                };
                mail::enqueue(conn, &org_recipient(o), &mail, if disclosed { Some(&cand.id) } else { None })?;
                if disclosed {
                    audit::one(conn, actor, &cand.id, &cand.municipality_id, email_audit("uitkomst aan werkgever"))?;
                }
            }
            if action == Action::WithdrawConsent {
                tell_klantmanager(false, "De kandidaat heeft de toestemming ingetrokken.".into(), "intrekking toestemming aan klantmanager", conn)?;
            }
            if action == Action::Start {
                let kmid = m.klantmanager_id.clone().or(Some(cand.klantmanager_id.clone()));
                let start = m.start_date.unwrap_or(today);
                let mut rows: Vec<Task> = workflow::retention_checks(start)
                    .into_iter()
                    .map(|(kind, due)| new_task(&m.municipality_id, kmid.clone(), &cand.id, Some(&m.id), kind, due))
                    .collect();
                // A forfaitaire LKS (no loonwaarde measured) runs for at most its maximum months:
                // the loonwaarde must be measured at the workplace before then.
                let granted: Chosen = serde_json::from_str(&m.instruments).unwrap_or_default();
                let pkg: Option<matching::InstrumentPackage> = serde_json::from_str(&m.package).ok();
                if let Some(months) =
                    pkg.as_ref().and_then(|p| p.loonkostensubsidie.as_ref()).and_then(|l| l.max_months).filter(|_| granted.loonkostensubsidie)
                {
                    let due = start.checked_add_months(chrono::Months::new(months.max(0) as u32)).unwrap_or(start);
                    rows.push(new_task(
                        &m.municipality_id,
                        kmid.clone(),
                        &cand.id,
                        Some(&m.id),
                        workflow::TaskKind::LoonwaardeMeasurement.as_str(),
                        due,
                    ));
                }
                // The klantmanager records the new ladder step.
                rows.push(new_task(&m.municipality_id, kmid, &cand.id, Some(&m.id), workflow::TaskKind::LadderUpdate.as_str(), today));
                crate::insert_all!(conn, tasks::table, &rows)?;
            }
        }
        Action::Interested | Action::NotInterested | Action::ExtendTrial => {}
    }
    Ok(())
}

fn new_task(municipality: &str, km: Option<String>, candidate: &str, m: Option<&str>, kind: &str, due: NaiveDate) -> Task {
    Task {
        id: new_id(),
        municipality_id: municipality.into(),
        klantmanager_id: km,
        candidate_id: Some(candidate.into()),
        match_id: m.map(String::from),
        kind: kind.into(),
        due_on: due,
        done_at: None,
        done_by: None,
        result: None,
        reminded_at: None,
        created_at: now(),
        placement_id: None,
    }
}

/// Builds the view of a match for the user (no audit here; callers record the access), with
/// the matcher's evaluation of the pair (fit, reasons, factors).
pub fn view(conn: &mut DbConnection, ctx: &Ctx, m: &Match) -> AppResult<MatchView> {
    view_with(conn, ctx, m, true)
}

/// The view; `explain` evaluates the pair now (settings, SROI state and the matcher: a few
/// queries), which one match's page needs and a list of matches does not.
fn view_with(conn: &mut DbConnection, ctx: &Ctx, m: &Match, explain: bool) -> AppResult<MatchView> {
    let user = ctx.user;
    let status = parse_status(m)?;
    let staff = matches!(user.role, Role::Klantmanager | Role::Beheerder);
    let employer = user.role == Role::Werkgever;
    let rd = ctx.refdata;
    let pl: Option<PlacementFull> = match &m.placement_id {
        Some(p) => placement_full(conn, p)?,
        None => None,
    };
    let c: Option<CandidateFull> = match &m.candidate_id {
        Some(c) => candidate_full(conn, c)?,
        None => None,
    };
    let disclosed = workflow::disclosed(m.disclosed_at.is_some(), m.consent_withdrawn_at.is_some());
    let person = c.as_ref().filter(|_| !employer || disclosed).map(|c| CandidatePerson {
        id: (!employer).then(|| c.candidate.id.clone()),
        first_name: c.candidate.first_name.clone(),
        last_name: c.candidate.last_name.clone(),
        email: c.candidate.email.clone(),
        phone: c.candidate.phone.clone(),
    });
    // After a withdrawal of consent the employer keeps only the fact of the match.
    let profile = match (&c, &pl) {
        (Some(c), Some(p)) if (employer && m.consent_withdrawn_at.is_none()) || staff => Some(anonymous_profile(ctx.keys, rd, &p.placement, c)),
        _ => None,
    };
    let chosen: Chosen = serde_json::from_str(&m.instruments).unwrap_or_default();
    let mut package: Option<InstrumentPackage> = serde_json::from_str(&m.package).ok();
    if employer {
        if let Some(p) = package.as_mut() {
            // The formula names the loonwaarde; the employer sees the amount only.
            if let Some(l) = p.loonkostensubsidie.as_mut() {
                l.formula = String::new();
            }
        }
    }
    let next = workflow::allowed(status)
        .into_iter()
        .filter(|(a, _)| a.allowed_for(user.role))
        .filter(|_| user.role != Role::Klantmanager || c.as_ref().map(|c| c.candidate.klantmanager_id == user.id).unwrap_or(false))
        .filter(|(a, _)| *a != Action::WithdrawConsent || m.consent_withdrawn_at.is_none())
        .map(|(action, to)| NextStep { action, to })
        .collect();
    let events = if staff {
        match_events::table
            .filter(match_events::match_id.eq(&m.id))
            .order((match_events::created_at, match_events::id))
            .select(MatchEvent::as_select())
            .load(conn)?
            .into_iter()
            .map(|e| EventView {
                action_label: Action::parse(&e.action)
                    .map(|a| a.label_nl())
                    .unwrap_or(if e.action == "propose" { "Voorgesteld" } else { "Wijziging" })
                    .into(),
                to_label: MatchStatus::parse(&e.to_status).map(|s| s.label_nl()).unwrap_or("").into(),
                actor_role_label: Role::parse(&e.actor_role).map(|r| r.label_nl()).unwrap_or("systeem").into(),
                action: e.action,
                from_status: e.from_status,
                to_status: e.to_status,
                actor_id: e.actor_id,
                actor_role: e.actor_role,
                detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null),
                at: e.created_at,
            })
            .collect()
    } else {
        vec![]
    };
    let candidate_view = user.role == Role::Kandidaat;
    let place_name = pl.as_ref().and_then(|p| rd.pc4.get(&p.placement.pc4).map(|x| x.place.clone())).unwrap_or_default();
    let introduction = match &pl {
        Some(p) if !employer || disclosed => introduction_of(m, &p.organisation.name, &p.organisation.contact_name, &place_name),
        None if !employer => introduction_of(m, "", "", ""),
        _ => None,
    };
    let klantmanager = match (&m.klantmanager_id, !employer || disclosed) {
        (Some(k), true) => users::table
            .find(k)
            .select((users::name, users::email))
            .first::<(String, String)>(conn)
            .optional()?
            .map(|(name, email)| StaffContact { name, email }),
        _ => None,
    };
    // How it fits now: the matcher's own evaluation, for the candidate and staff.
    let eval = match (&c, &pl) {
        (Some(c), Some(p)) if !employer && explain => {
            let (settings, _) = proposals::load_settings(conn, &m.municipality_id)?;
            let sroi = proposals::sroi_states(conn, std::slice::from_ref(p))?;
            let sroi_state = p.placement.sroi_contract_id.as_ref().and_then(|id| sroi.get(id).cloned());
            let cf = proposals::candidate_features(c, rd, ctx.today);
            let pf = proposals::placement_features(p, rd, sroi_state);
            Some(matching::evaluate(&cf, &pf, &settings, ctx.today))
        }
        _ => None,
    };
    let (fit, reasons_b1) = match &eval {
        Some(e) if !status.has_ended() => {
            let (fit, reasons, _) = matching::plain(e);
            (Some(fit), reasons)
        }
        _ => (None, vec![]),
    };
    let journey = if employer {
        vec![]
    } else {
        workflow::candidate_journey(
            status,
            m.candidate_decided_at.is_some() && status != MatchStatus::Declined && m.status != "proposed",
            m.employer_decided_at.is_some() && status != MatchStatus::NotInterested,
            m.disclosed_at.is_some(),
        )
    };
    Ok(MatchView {
        id: m.id.clone(),
        status,
        status_label: if candidate_view { status.label_for_candidate() } else { status.label_nl() }.into(),
        introduction,
        klantmanager,
        fit,
        reasons_b1,
        factors: if staff { eval.as_ref().map(|e| e.factors.clone()).unwrap_or_default() } else { vec![] },
        score: eval.as_ref().filter(|_| !employer).map(|e| e.score),
        journey,
        next_b1: candidate_view.then(|| status.next_for_candidate().to_string()),
        grantable: if staff {
            package
                .as_ref()
                .map(|p| p.grantable(p.paid))
                .unwrap_or_default()
                .into_iter()
                .map(|g| (g.to_string(), workflow::instrument_label(g).to_string()))
                .collect()
        } else {
            vec![]
        },
        paid: package.as_ref().map(|p| p.paid).unwrap_or_else(|| PlacementKind::parse(&m.placement_kind).map(|k| k.is_paid()).unwrap_or(true)),
        version: m.version,
        placement: pl.as_ref().map(|p| summary(p, rd)),
        placement_title: m.placement_title.clone(),
        placement_kind: m.placement_kind.clone(),
        candidate: person,
        profile,
        disclosed,
        consent_withdrawn: m.consent_withdrawn_at.is_some(),
        instruments: chosen,
        package,
        employer_net_monthly_cost_cents: m.employer_net_cost_cents,
        note: (!employer).then(|| m.note.clone()),
        klantmanager_id: (!employer).then(|| m.klantmanager_id.clone()).flatten(),
        proposed_at: m.proposed_at,
        candidate_decided_at: m.candidate_decided_at,
        candidate_reason: (!employer).then(|| m.candidate_reason.clone()).flatten(),
        employer_decided_at: m.employer_decided_at,
        employer_reason: m.employer_reason.clone(),
        disclosed_at: m.disclosed_at,
        introduction_date: m.introduction_date,
        start_date: m.start_date,
        trial_end_date: m.trial_end_date,
        contract_type: m.contract_type.clone(),
        hours_per_week: m.hours_per_week,
        hourly_wage_cents: m.hourly_wage_cents,
        instruments_granted: m.instruments_granted.as_deref().and_then(|g| serde_json::from_str(g).ok()).unwrap_or_default(),
        not_started_reason: m.not_started_reason.clone(),
        sroi_value_cents: m.sroi_value_cents,
        next,
        events,
    })
}

/// What a view of matches reveals, for the audit log: the employer sees an anonymous profile
/// (and, when disclosed, name and contact details); others see the person.
pub fn audit_views(conn: &mut DbConnection, user: &CurrentUser, views: &[(&Match, &MatchView)], channel: Channel) -> QueryResult<()> {
    let actor = Actor::from(user);
    for (m, v) in views {
        let Some(cid) = m.candidate_id.as_deref() else { continue };
        let (what, purpose) = match (user.role, v.candidate.is_some()) {
            (Role::Werkgever, false) => ("anoniem profiel", audit::purpose::BEMIDDELING),
            (Role::Werkgever, true) => ("naam, contactgegevens en profiel", audit::purpose::BEMIDDELING),
            (Role::Kandidaat, _) => ("eigen voorstel", audit::purpose::EIGEN_GEGEVENS),
            _ => ("voorstel (match)", audit::purpose::BEMIDDELING),
        };
        audit::one(conn, &actor, cid, &m.municipality_id, audit::Access { act: Act::View, what, purpose, channel: Some(channel) })?;
    }
    Ok(())
}

/// Marks open ladder-update tasks of a candidate done (a new ladder measurement was recorded).
pub fn ladder_recorded(conn: &mut DbConnection, candidate_id: &str, by: &str) -> QueryResult<usize> {
    diesel::update(
        tasks::table
            .filter(tasks::candidate_id.eq(candidate_id))
            .filter(tasks::kind.eq(workflow::TaskKind::LadderUpdate.as_str()))
            .filter(tasks::done_at.is_null()),
    )
    .set((tasks::done_at.eq(Some(now())), tasks::done_by.eq(Some(by.to_string())), tasks::result.eq(Some("vastgelegd".to_string()))))
    .execute(conn)
}

/// Which matches a list asks for.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub statuses: Vec<String>,
    /// Staff: only the matches of the klantmanager's own caseload.
    pub mine: bool,
    pub candidate_id: Option<String>,
    pub placement_id: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// The matches a user may see, newest first, with the total, each shown as that user may see it
/// (an employer's anonymous profiles count against its hourly allowance) and audited. The
/// matcher's evaluation (fit, reasons, factors) is left out of lists: it is on one match.
pub fn list(conn: &mut DbConnection, ctx: &Ctx, f: &ListFilter, channel: Channel) -> AppResult<(i64, Vec<MatchView>)> {
    let user = ctx.user;
    let build = || {
        let mut b = matches::table.into_boxed();
        match user.role {
            Role::Klantmanager | Role::Beheerder => {
                b = b.filter(matches::municipality_id.eq(user.municipality_id.clone().unwrap_or_default()));
                if f.mine {
                    b = b.filter(matches::klantmanager_id.eq(user.id.clone()));
                }
            }
            Role::Kandidaat => b = b.filter(matches::candidate_id.eq(user.candidate_id.clone().unwrap_or_else(|| "-".into()))),
            Role::Werkgever => {
                let org = if user.organisation_verified { user.organisation_id.clone().unwrap_or_else(|| "-".into()) } else { "-".into() };
                b = b.filter(crate::db::queries::employer_may_see(&org));
            }
        }
        if !f.statuses.is_empty() {
            b = b.filter(matches::status.eq_any(f.statuses.clone()));
        }
        if let Some(c) = &f.candidate_id {
            if user.role != Role::Werkgever {
                b = b.filter(matches::candidate_id.eq(c.clone()));
            }
        }
        if let Some(p) = &f.placement_id {
            b = b.filter(matches::placement_id.eq(p.clone()));
        }
        b
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows: Vec<Match> =
        build().order((matches::updated_at.desc(), matches::id)).limit(f.limit).offset(f.offset).select(Match::as_select()).load(conn)?;
    if user.role == Role::Werkgever {
        crate::service::profile_views::charge_for(conn, ctx, rows.len())?;
    }
    let mut items = Vec::with_capacity(rows.len());
    for m in &rows {
        items.push(view_with(conn, ctx, m, false)?);
    }
    let pairs: Vec<(&Match, &MatchView)> = rows.iter().zip(items.iter()).collect();
    audit_views(conn, user, &pairs, channel)?;
    Ok((total, items))
}

/// One match as the user may see it (an employer's anonymous profile counts against its hourly
/// allowance), audited.
pub fn show(conn: &mut DbConnection, ctx: &Ctx, id: &str, channel: Channel) -> AppResult<MatchView> {
    let m = load_for(conn, ctx.user, id)?;
    if ctx.user.role == Role::Werkgever {
        crate::service::profile_views::charge_for(conn, ctx, 1)?;
    }
    let v = view(conn, ctx, &m)?;
    audit_views(conn, ctx.user, &[(&m, &v)], channel)?;
    Ok(v)
}

/// Acts on a match and shows the result to the actor; after a withdrawal of consent the employer
/// still sees the match, without the person.
pub fn act_and_view(conn: &mut DbConnection, ctx: &Ctx, id: &str, input: &ActionInput) -> AppResult<MatchView> {
    let m = act(conn, ctx, id, input)?;
    match load_for(conn, ctx.user, &m.id) {
        Ok(m) => view(conn, ctx, &m),
        Err(_) => view(conn, ctx, &m),
    }
}

/// Proposes a match and shows it to the klantmanager.
pub fn propose_and_view(conn: &mut DbConnection, ctx: &Ctx, input: &ProposeInput) -> AppResult<MatchView> {
    let id = propose(conn, ctx, input)?;
    let m = load_for(conn, ctx.user, &id)?;
    view(conn, ctx, &m)
}
