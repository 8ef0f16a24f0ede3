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
    pub last_contact: Option<NaiveDate>,
    pub overdue: bool,
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

/// The klantmanager's own active caseload by name (with ladder step, last personal contact and
/// whether the contact norm is missed), its proposals counted by status, and the open tasks due
/// in the next 30 days. Audited for every candidate shown.
#[allow(clippy::type_complexity)]
pub fn dashboard(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<(Vec<CaseRow>, Vec<(&'static str, i64)>, Vec<TaskRow>)> {
    ctx.user.require(&[Role::Klantmanager])?;
    let uid = ctx.user.id.clone();
    let today = ctx.today;
    let mut cs: Vec<Candidate> = candidates::table
        .filter(candidates::klantmanager_id.eq(&uid))
        .filter(candidates::status.eq(crate::domain::ACTIEF))
        .select(Candidate::as_select())
        .load(conn)?;
    cs.sort_by_cached_key(|c| crate::domain::nl::name_sort_key(&c.last_name, &c.first_name));
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
            what: "naam en trede (caseload)",
            purpose: crate::audit::purpose::BEGELEIDING,
            channel: None,
        },
    )?;
    let rows: Vec<CaseRow> = cs
        .iter()
        .map(|c| {
            let lc = last.get(&c.id).copied();
            CaseRow {
                id: c.id.clone(),
                name: format!("{} {}", c.first_name, c.last_name),
                step: ladder.get(&c.id).map(|l| l.step),
                last_contact: lc,
                overdue: !crate::domain::contact_norm_met(lc, today),
            }
        })
        .collect();
    let ms: Vec<Match> = matches::table.filter(matches::klantmanager_id.eq(&uid)).select(Match::as_select()).load(conn)?;
    let mut counts: BTreeMap<usize, (&'static str, i64)> = BTreeMap::new();
    for m in &ms {
        let i = MatchStatus::ALL.iter().position(|x| *x == m.status).unwrap_or(0);
        counts.entry(i).or_insert((m.status.label_nl(), 0)).1 += 1;
    }
    let ts: Vec<Task> = tasks::table
        .filter(tasks::klantmanager_id.eq(&uid))
        .filter(tasks::done_at.is_null())
        .filter(tasks::due_on.le(today + chrono::Duration::days(30)))
        .order(tasks::due_on)
        .select(Task::as_select())
        .load(conn)?;
    let names: BTreeMap<String, String> = cs.iter().map(|c| (c.id.clone(), format!("{} {}", c.first_name, c.last_name))).collect();
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
    Ok((rows, counts.into_values().collect::<Vec<_>>(), tasks))
}

/// A candidate with ladder measurements, contact moments and matches.
pub type CandidatePageData = (Candidate, Vec<LadderMeasurement>, Vec<ContactMoment>, Vec<Match>);

/// One candidate of the klantmanager's reach with ladder measurements, contact moments and
/// matches, newest first (audited).
pub fn candidate_page(conn: &mut DbConnection, ctx: &Ctx, id: &str) -> AppResult<CandidatePageData> {
    let c = authorize(conn, ctx.user, id, Access::Read, "profiel, trede en contactmomenten")?;
    let ladder = crate::db::records::ladder_of(conn, id)?;
    let contacts = crate::db::records::contacts_of(conn, id)?;
    let ms = crate::db::queries::matches_of_candidate(conn, id)?;
    Ok((c, ladder, contacts, ms))
}
