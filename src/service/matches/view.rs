//! A match as each role may see it (staged disclosure), lists of matches and the audit of what
//! a view revealed.

use super::{load_for, Chosen};
use crate::audit::{self, Act, Actor, Channel};
use crate::auth::CurrentUser;
use crate::db::models::{Match, MatchEvent};
use crate::db::queries::{candidate_full, placement_full, CandidateFull, PlacementFull};
use crate::db::schema::{match_events, matches, users};
use crate::db::DbConnection;
use crate::domain::transition;
use crate::domain::workflow::{self, Action, MatchStatus};
use crate::domain::{PlacementKind, Role};
use crate::engine::matching::{self, InstrumentPackage};
use crate::engine::ranking as proposals;
use crate::error::AppResult;
use crate::service::employer_view::{anonymous_profile, AnonymousProfile};
use crate::service::placements::{summary, PlacementSummary};
use crate::service::Ctx;
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
pub(super) fn introduction_of(m: &Match, employer: &str, employer_contact: &str, place: &str) -> Option<Introduction> {
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
    pub placement_kind: PlacementKind,
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
    /// The skills the placement asks that the candidate lacks (candidate and staff).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub missing_skills: Vec<crate::service::labels::SkillGap>,
    /// The same in plain words, for the candidate ("Dit leert u nog: ...").
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub to_learn: Option<String>,
    /// What may be granted at the start (code, label): only for paid work, what the proposal
    /// offers.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub grantable: Vec<(String, String)>,
    /// Whether the work is paid (the start form asks for a wage).
    pub paid: bool,
    /// What this user may do next, and where it leads.
    pub next: Vec<NextStep>,
    /// After a withdrawal of consent: the last day (Europe/Amsterdam) the candidate (or its
    /// klantmanager) can undo it with `resume_consent`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub resume_until: Option<chrono::NaiveDate>,
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
    pub from_status: Option<MatchStatus>,
    pub to_status: MatchStatus,
    pub actor_id: Option<String>,
    pub actor_role: Role,
    pub detail: serde_json::Value,
    pub at: chrono::NaiveDateTime,
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
    let status = m.status;
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
    let own = user.role != Role::Klantmanager || c.as_ref().map(|c| c.candidate.klantmanager_id == user.id).unwrap_or(false);
    // A stop can be undone for a while (the match's history says where it goes back to).
    let resume = match m.consent_withdrawn_at {
        Some(at) if m.candidate_id.is_some() => {
            let before = super::act::before_of(conn, m)?;
            transition::resumable(&before, ctx.today).map(|to| (to, transition::resume_until(crate::clock::local_date(at))))
        }
        _ => None,
    };
    let mut next: Vec<NextStep> = workflow::allowed(status)
        .into_iter()
        .filter(|(a, _)| a.allowed_for(user.role) && own)
        .filter(|(a, _)| *a != Action::WithdrawConsent || m.consent_withdrawn_at.is_none())
        .map(|(action, to)| NextStep { action, to })
        .collect();
    if let Some((to, _)) = resume.filter(|_| Action::ResumeConsent.allowed_for(user.role) && own) {
        next.push(NextStep { action: Action::ResumeConsent, to });
    }
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
                to_label: e.to_status.label_nl().into(),
                actor_role_label: e.actor_role.label_nl().into(),
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
    let gaps = match &eval {
        Some(e) if !status.has_ended() => crate::service::labels::skill_gaps(rd, &e.missing_skills),
        _ => vec![],
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
            m.candidate_decided_at.is_some() && status != MatchStatus::Declined && m.status != MatchStatus::Proposed,
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
        to_learn: if candidate_view { crate::service::labels::to_learn_b1(&gaps) } else { None },
        missing_skills: gaps,
        resume_until: resume.filter(|_| !employer).map(|(_, until)| until),
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
        paid: package.as_ref().map(|p| p.paid).unwrap_or_else(|| m.placement_kind.is_paid()),
        version: m.version,
        placement: pl.as_ref().map(|p| summary(p, rd)),
        placement_title: m.placement_title.clone(),
        placement_kind: m.placement_kind,
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
