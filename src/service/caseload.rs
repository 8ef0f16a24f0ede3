//! A klantmanager's caseload "in view": who is in it, their ladder step, the last personal
//! contact against the contact norm, proposals by status, tasks due, and one candidate's page.

use super::Ctx;
use crate::db::models::{Candidate, ContactMoment, LadderMeasurement, Match, Task};
use crate::db::queries::latest_ladder;
use crate::db::schema::{candidates, contact_moments, matches, tasks};
use crate::db::DbConnection;
use crate::domain::workflow::MatchStatus;
use crate::domain::{Role, PERSONAL_CHANNELS};
use crate::error::AppResult;
use crate::service::candidates::{authorize, Access};
use chrono::NaiveDate;
use diesel::prelude::*;
use std::collections::BTreeMap;

pub struct CaseRow {
    pub id: String,
    pub name: String,
    pub step: Option<i32>,
    /// The target step of the last measurement.
    pub target_step: Option<i32>,
    pub last_contact: Option<NaiveDate>,
    /// No personal contact within the contact norm of the candidate's klantgroep.
    pub overdue: bool,
    /// The klantgroep's name and its contact norm in days.
    pub group: String,
    pub group_id: Option<String>,
    pub norm_days: Option<i32>,
    /// The last ladder measurement is more than six months old, or there is none ("meting nodig").
    pub measurement_needed: bool,
    /// ZRM domains scored 1 or 2 ("urgente belemmering").
    pub urgent: Vec<&'static str>,
}

/// Which part of the caseload to show, and in which order.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct CaseView {
    /// A klantgroep id; none = all.
    #[serde(default)]
    pub groep: Option<String>,
    /// naam (default) | groep | contact | trede
    #[serde(default)]
    pub sorteer: Option<String>,
    /// contact (only those overdue) | meting (only those needing a ladder measurement) |
    /// belemmering (only those with an urgent ZRM obstacle)
    #[serde(default)]
    pub alleen: Option<String>,
    /// Tasks due on or before this day (YYYY-MM-DD); none = all open tasks.
    #[serde(default)]
    pub taken_tot: Option<String>,
    /// A match status code: list the klantmanager's proposals in that status.
    #[serde(default)]
    pub voorstellen: Option<String>,
}

/// The caseload with what the page offers to filter on.
pub struct Caseload {
    pub rows: Vec<CaseRow>,
    /// The whole active caseload, before any filter.
    pub total: usize,
    /// Of the whole caseload: without contact within the norm, needing a measurement, with an
    /// urgent obstacle.
    pub overdue: usize,
    pub measurement_needed: usize,
    pub urgent: usize,
    pub by_status: Vec<(MatchStatus, &'static str, i64)>,
    pub tasks: Vec<TaskRow>,
    /// The municipality's groups (id, name, norm days, people in this caseload).
    pub groups: Vec<(String, String, i32, usize)>,
    /// The proposals in the status asked for (`CaseView::voorstellen`), newest first.
    pub proposals: Option<(&'static str, Vec<ProposalRow>)>,
}

pub struct ProposalRow {
    pub match_id: String,
    /// The candidate's name when the candidate is still in this caseload, else none.
    pub candidate: Option<(String, String)>,
    pub placement: String,
    pub proposed_on: NaiveDate,
}

pub struct TaskRow {
    pub id: String,
    pub label: &'static str,
    pub candidate: String,
    pub candidate_id: Option<String>,
    /// The placement the task is about (interest), or the placement of its match (follow-up).
    pub placement: Option<(String, String)>,
    pub match_id: Option<String>,
    pub due: NaiveDate,
    pub overdue: bool,
    /// The answers that close it (code, label).
    pub results: &'static [(&'static str, &'static str)],
}

/// The klantmanager's own active caseload (with ladder step and target, last personal contact
/// against the contact norm of the candidate's klantgroep, "meting nodig" and urgent ZRM
/// obstacles), filtered by klantgroep and sorted as asked; its proposals counted by status; and
/// all its open tasks up to `tasks_until` (all when none), the earliest first. Audited for every
/// candidate shown.
pub fn dashboard(conn: &mut DbConnection, ctx: &Ctx, view: &CaseView) -> AppResult<Caseload> {
    let tasks_until = match view.taken_tot.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| crate::error::AppError::field("taken_tot", "Geen geldige datum."))?),
        None => None,
    };
    ctx.user.require(&[Role::Klantmanager])?;
    let uid = ctx.user.id.clone();
    let municipality = ctx.user.municipality()?.to_string();
    let today = ctx.today;
    let cs: Vec<Candidate> = candidates::table
        .filter(candidates::klantmanager_id.eq(&uid))
        .filter(candidates::status.eq(crate::domain::ACTIEF))
        .select(Candidate::as_select())
        .load(conn)?;
    let groups = crate::db::client_groups::of_municipality(conn, &municipality)?;
    let group_of = |id: Option<&String>| id.and_then(|g| groups.iter().find(|x| &x.id == g));
    let total = cs.len();
    let in_group: Vec<(String, String, i32, usize)> = groups
        .iter()
        .map(|g| (g.id.clone(), g.name.clone(), g.contact_norm_days, cs.iter().filter(|c| c.client_group_id.as_ref() == Some(&g.id)).count()))
        .collect();
    let ids: Vec<&String> = cs.iter().map(|c| &c.id).collect();
    let ladder = latest_ladder(conn, &ids)?;
    let personal: Vec<(String, NaiveDate)> = contact_moments::table
        .filter(contact_moments::candidate_id.eq_any(&ids))
        .filter(contact_moments::channel.eq_any(PERSONAL_CHANNELS))
        .select((contact_moments::candidate_id, contact_moments::contact_date))
        .load(conn)?;
    let mut last: BTreeMap<String, NaiveDate> = BTreeMap::new();
    for (c, d) in personal {
        let e = last.entry(c).or_insert(d);
        if d > *e {
            *e = d;
        }
    }
    let subjects: Vec<(&str, Option<&str>)> = cs.iter().map(|c| (c.id.as_str(), Some(c.municipality_id.as_str()))).collect();
    crate::audit::record(
        conn,
        &crate::audit::Actor::from(ctx.user),
        &subjects,
        crate::audit::Access {
            act: crate::audit::Act::View,
            what: "naam, trede en klantgroep (caseload)",
            purpose: crate::audit::purpose::BEGELEIDING,
            channel: None,
        },
    )?;
    let mut rows: Vec<(CaseRow, String)> = cs
        .iter()
        .map(|c| {
            let lc = last.get(&c.id).copied();
            let g = group_of(c.client_group_id.as_ref());
            let norm = g.map(|g| g.contact_norm_days);
            let lm = ladder.get(&c.id);
            let row = CaseRow {
                id: c.id.clone(),
                name: format!("{} {}", c.first_name, c.last_name),
                step: lm.map(|l| l.step),
                target_step: lm.and_then(|l| l.target_step),
                last_contact: lc,
                overdue: !crate::domain::contact_norm_met(norm, lc, today),
                group: g.map(|g| g.name.clone()).unwrap_or_else(|| "Zonder klantgroep".into()),
                group_id: c.client_group_id.clone(),
                norm_days: norm,
                measurement_needed: crate::domain::measurement_needed(lm.map(|l| l.measured_on), today),
                urgent: crate::domain::urgent_obstacles(&c.zrm_scores),
            };
            (row, crate::domain::nl::name_sort_key(&c.last_name, &c.first_name))
        })
        .collect();
    match view.sorteer.as_deref() {
        Some("groep") => rows.sort_by(|a, b| (a.0.group.to_lowercase(), &a.1).cmp(&(b.0.group.to_lowercase(), &b.1))),
        // Longest without contact first (never = first of all).
        Some("contact") => rows.sort_by(|a, b| (a.0.last_contact, &a.1).cmp(&(b.0.last_contact, &b.1))),
        Some("trede") => rows.sort_by(|a, b| (a.0.step, &a.1).cmp(&(b.0.step, &b.1))),
        _ => rows.sort_by(|a, b| a.1.cmp(&b.1)),
    }
    let mut rows: Vec<CaseRow> = rows.into_iter().map(|(r, _)| r).collect();
    let (overdue, measurement_needed, urgent) = (
        rows.iter().filter(|r| r.overdue).count(),
        rows.iter().filter(|r| r.measurement_needed).count(),
        rows.iter().filter(|r| !r.urgent.is_empty()).count(),
    );
    if let Some(g) = view.groep.as_deref().filter(|g| !g.is_empty()) {
        rows.retain(|r| r.group_id.as_deref() == Some(g));
    }
    match view.alleen.as_deref() {
        Some("contact") => rows.retain(|r| r.overdue),
        Some("meting") => rows.retain(|r| r.measurement_needed),
        Some("belemmering") => rows.retain(|r| !r.urgent.is_empty()),
        _ => {}
    }
    let ms: Vec<Match> = matches::table.filter(matches::klantmanager_id.eq(&uid)).select(Match::as_select()).load(conn)?;
    let mut counts: BTreeMap<usize, (MatchStatus, &'static str, i64)> = BTreeMap::new();
    for m in &ms {
        let i = MatchStatus::ALL.iter().position(|x| *x == m.status).unwrap_or(0);
        counts.entry(i).or_insert((m.status, m.status.label_nl(), 0)).2 += 1;
    }
    let in_caseload: BTreeMap<&String, &Candidate> = cs.iter().map(|c| (&c.id, c)).collect();
    let proposals = match view.voorstellen.as_deref().filter(|s| !s.is_empty()) {
        Some(code) => {
            let status = MatchStatus::ALL
                .into_iter()
                .find(|s| s.as_str() == code)
                .ok_or_else(|| crate::error::AppError::field("voorstellen", "Onbekende stand van zaken."))?;
            let mut list: Vec<&Match> = ms.iter().filter(|m| m.status == status).collect();
            list.sort_by_key(|m| std::cmp::Reverse(m.proposed_at));
            let rows = list
                .into_iter()
                .map(|m| ProposalRow {
                    match_id: m.id.clone(),
                    candidate: m
                        .candidate_id
                        .as_ref()
                        .and_then(|c| in_caseload.get(c))
                        .map(|c| (c.id.clone(), format!("{} {}", c.first_name, c.last_name))),
                    placement: m.placement_title.clone(),
                    proposed_on: m.proposed_at.date(),
                })
                .collect();
            Some((status.label_nl(), rows))
        }
        None => None,
    };
    let mut q = tasks::table.filter(tasks::klantmanager_id.eq(&uid)).filter(tasks::done_at.is_null()).into_boxed();
    if let Some(until) = tasks_until {
        q = q.filter(tasks::due_on.le(until));
    }
    let ts: Vec<Task> = q.order((tasks::due_on, tasks::created_at)).select(Task::as_select()).load(conn)?;
    let names: BTreeMap<String, String> = candidates::table
        .filter(candidates::id.eq_any(ts.iter().filter_map(|t| t.candidate_id.clone()).collect::<Vec<_>>()))
        .select((candidates::id, candidates::first_name, candidates::last_name))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, f, l)| (id, format!("{f} {l}")))
        .collect();
    let pids: Vec<&String> = ts.iter().filter_map(|t| t.placement_id.as_ref()).collect();
    let titles = crate::db::queries::placement_titles(conn, &pids)?;
    let match_placements: BTreeMap<&String, (String, String)> =
        ms.iter().filter_map(|m| m.placement_id.as_ref().map(|p| (&m.id, (p.clone(), m.placement_title.clone())))).collect();
    let tasks = ts
        .iter()
        .map(|t| {
            let kind = t.kind;
            let placement = match (&t.placement_id, &t.match_id) {
                (Some(p), _) => titles.get(p).map(|title| (p.clone(), title.clone())),
                (None, Some(m)) => match_placements.get(m).cloned(),
                _ => None,
            };
            TaskRow {
                id: t.id.clone(),
                label: kind.label_nl(),
                candidate: t.candidate_id.as_ref().and_then(|c| names.get(c).cloned()).unwrap_or_default(),
                candidate_id: t.candidate_id.clone(),
                placement,
                match_id: t.match_id.clone(),
                due: t.due_on,
                overdue: t.due_on < today,
                results: kind.results(),
            }
        })
        .collect();
    Ok(Caseload { rows, total, overdue, measurement_needed, urgent, by_status: counts.into_values().collect(), tasks, groups: in_group, proposals })
}

/// A candidate with ladder measurements, contact moments and matches.
/// The candidate, the Dutch names of its occupations and skills, ladder measurements, contact
/// moments and matches.
pub struct CandidatePageData {
    pub candidate: Candidate,
    pub occupations: Vec<String>,
    pub skills: Vec<String>,
    pub ladder: Vec<LadderMeasurement>,
    pub contacts: Vec<ContactMoment>,
    pub matches: Vec<Match>,
    /// The target step the candidate's klantgroep proposes for a new measurement.
    pub default_target_step: Option<i32>,
    /// The person's own changes to their wishes (when, what), newest first.
    pub wish_changes: Vec<(chrono::NaiveDateTime, String)>,
    /// What the person wrote when signing up themself, if they did.
    pub signup_message: Option<String>,
    /// Whether the person has an account (else the klantmanager can invite them).
    pub has_account: bool,
    /// Skills the person suggested, newest first.
    pub suggestions: Vec<crate::service::wishes::SuggestionView>,
    /// The travel distance the matcher uses, in words (one figure on every page).
    pub travel: String,
}

/// One candidate of the klantmanager's reach with ladder measurements, contact moments and
/// matches, newest first (audited).
pub fn candidate_page(conn: &mut DbConnection, ctx: &Ctx, id: &str) -> AppResult<CandidatePageData> {
    let c = authorize(conn, ctx.user, id, Access::Read, "profiel, trede en contactmomenten")?;
    let ladder = crate::db::records::ladder_of(conn, id)?;
    let contacts = crate::db::records::contacts_of(conn, id)?;
    let ms = crate::db::queries::matches_of_candidate(conn, id)?;
    let full = crate::db::queries::candidate_full(conn, id)?;
    let rd = ctx.refdata;
    let (occupations, skills) = match &full {
        Some(f) => (
            f.occupations
                .iter()
                .map(|o| rd.occupation(&o.occupation_id).map(|x| x.label_nl.clone()).unwrap_or_else(|| o.occupation_id.clone()))
                .collect(),
            f.skills
                .iter()
                .map(|s| match (&s.skill_id, &s.free_text) {
                    (Some(sid), _) => rd.skill(sid).map(|x| x.label().to_string()).unwrap_or_else(|| sid.clone()),
                    (None, Some(t)) => t.clone(),
                    _ => String::new(),
                })
                .collect(),
        ),
        None => (vec![], vec![]),
    };
    let default_target_step = match &c.client_group_id {
        Some(g) => crate::db::client_groups::one(conn, &c.municipality_id, g)?.and_then(|g| g.default_target_step),
        None => None,
    };
    let wish_changes = crate::service::wishes::changes_by_person(conn, id, 5)?;
    let signup_message: Option<String> = crate::db::schema::registrations::table
        .filter(crate::db::schema::registrations::candidate_id.eq(id))
        .select(crate::db::schema::registrations::message)
        .first(conn)
        .optional()?
        .filter(|m: &String| !m.is_empty());
    let has_account = crate::db::schema::users::table.filter(crate::db::schema::users::candidate_id.eq(id)).count().get_result::<i64>(conn)? > 0;
    let (settings, _) = crate::engine::ranking::load_settings(conn, &c.municipality_id)?;
    let km = settings.travel_km(c.max_travel_km, c.own_transport);
    let travel = if (km - c.max_travel_km.max(0) as f64).abs() < 1e-9 {
        format!("tot {} km", c.max_travel_km.max(0))
    } else {
        format!("tot {} km: zonder eigen vervoer (wil zelf tot {} km)", crate::domain::nl::short(km), c.max_travel_km)
    };
    Ok(CandidatePageData {
        travel,
        candidate: c,
        occupations,
        skills,
        ladder,
        contacts,
        matches: ms,
        default_target_step,
        wish_changes,
        signup_message,
        has_account,
        suggestions: crate::service::wishes::suggestions_of(conn, rd, id)?,
    })
}
