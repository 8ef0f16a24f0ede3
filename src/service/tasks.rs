//! Follow-up tasks of klantmanagers (retention checks, ladder updates, interest shown by a
//! candidate): the list and the completion the API and the pages share.

use super::Ctx;
use crate::audit::{self, Act, Actor};
use crate::db::models::Task;
use crate::db::now;
use crate::db::schema::{matches, tasks};
use crate::db::DbConnection;
use crate::domain::workflow::TaskKind;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TaskView {
    pub id: String,
    pub kind: String,
    pub label: String,
    pub candidate_id: Option<String>,
    pub candidate_name: Option<String>,
    pub match_id: Option<String>,
    /// The placement a candidate showed interest in.
    pub placement_id: Option<String>,
    pub placement_title: Option<String>,
    pub klantmanager_id: Option<String>,
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub done_at: Option<NaiveDateTime>,
    pub result: Option<String>,
}

fn task_label(kind: TaskKind) -> &'static str {
    kind.instruction_nl()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteTask {
    /// Retention checks: `in_dienst` (still working) or `uit_dienst`; ladder update: `vastgelegd`.
    pub result: String,
}

/// Which tasks a list asks for.
#[derive(Debug, Clone, Copy)]
pub struct TaskFilter {
    /// Only open tasks.
    pub open: bool,
    /// Only tasks due on or before this date.
    pub due_before: Option<NaiveDate>,
}

/// The tasks of the user's municipality: a klantmanager sees its own, a beheerder all.
pub fn list(conn: &mut DbConnection, ctx: &Ctx, q: &TaskFilter) -> AppResult<Vec<TaskView>> {
    let user = ctx.user;
    user.require(&[Role::Klantmanager, Role::Beheerder])?;
    let mut b = tasks::table.filter(tasks::municipality_id.eq(user.municipality()?.to_string())).into_boxed();
    if user.role == Role::Klantmanager {
        b = b.filter(tasks::klantmanager_id.eq(user.id.clone()));
    }
    if q.open {
        b = b.filter(tasks::done_at.is_null());
    }
    if let Some(d) = q.due_before {
        b = b.filter(tasks::due_on.le(d));
    }
    let rows: Vec<Task> = b.order((tasks::due_on, tasks::id)).limit(500).select(Task::as_select()).load(conn)?;
    let ids: Vec<String> = rows.iter().filter_map(|t| t.candidate_id.clone()).collect();
    let names: HashMap<String, (String, String)> = crate::db::schema::candidates::table
        .filter(crate::db::schema::candidates::id.eq_any(&ids))
        .select((crate::db::schema::candidates::id, (crate::db::schema::candidates::first_name, crate::db::schema::candidates::last_name)))
        .load::<(String, (String, String))>(conn)?
        .into_iter()
        .collect();
    let subjects: Vec<(&str, Option<&str>)> = ids.iter().map(|c| (c.as_str(), user.municipality_id.as_deref())).collect();
    audit::record(conn, &Actor::from(user), &subjects, audit::access(Act::View, "naam (taak)", audit::purpose::BEGELEIDING))?;
    let t = ctx.today;
    let pids: Vec<&String> = rows.iter().filter_map(|t| t.placement_id.as_ref()).collect();
    let titles = crate::db::queries::placement_titles(conn, &pids)?;
    Ok(rows
        .into_iter()
        .map(|r| TaskView {
            placement_title: r.placement_id.as_ref().and_then(|p| titles.get(p).cloned()),
            placement_id: r.placement_id,
            label: task_label(r.kind).into(),
            candidate_name: r.candidate_id.as_ref().and_then(|c| names.get(c)).map(|(f, l)| format!("{f} {l}")),
            overdue: r.done_at.is_none() && r.due_on < t,
            id: r.id,
            kind: r.kind.as_str().into(),
            candidate_id: r.candidate_id,
            match_id: r.match_id,
            klantmanager_id: r.klantmanager_id,
            due_on: r.due_on,
            done_at: r.done_at,
            result: r.result,
        })
        .collect::<Vec<_>>())
}

/// Completes one of the klantmanager's own open tasks with its result; a retention check also
/// stores the answer on the match.
pub fn complete(conn: &mut DbConnection, ctx: &Ctx, id: &str, result: &str) -> AppResult<TaskView> {
    let user = ctx.user;
    user.require(&[Role::Klantmanager])?;
    let result = result.trim().to_string();
    let t: Task = tasks::table.find(id).select(Task::as_select()).first(conn).optional()?.ok_or(AppError::NotFound)?;
    if user.municipality_id.as_deref() != Some(t.municipality_id.as_str()) {
        return Err(AppError::NotFound);
    }
    if t.klantmanager_id.as_deref() != Some(user.id.as_str()) {
        return Err(AppError::Forbidden);
    }
    if t.done_at.is_some() {
        return Err(AppError::conflict(crate::error::ConflictCode::AlreadyDone, "Deze taak is al afgerond."));
    }
    let allowed: Vec<&str> = t.kind.results().iter().map(|(c, _)| *c).collect();
    if !allowed.contains(&result.as_str()) {
        return Err(AppError::field("result", format!("Kies: {}.", allowed.join(" of "))));
    }
    diesel::update(tasks::table.find(id))
        .set((tasks::done_at.eq(Some(now())), tasks::done_by.eq(Some(user.id.clone())), tasks::result.eq(Some(result.clone()))))
        .execute(conn)?;
    if let Some(mid) = &t.match_id {
        match t.kind {
            TaskKind::Retention6 => {
                diesel::update(matches::table.find(mid)).set(matches::retention_6.eq(Some(result.clone()))).execute(conn)?;
            }
            TaskKind::Retention12 => {
                diesel::update(matches::table.find(mid)).set(matches::retention_12.eq(Some(result.clone()))).execute(conn)?;
            }
            _ => {}
        }
    }
    if let Some(c) = &t.candidate_id {
        audit::one(conn, &Actor::from(user), c, &t.municipality_id, audit::access(Act::Update, "nazorg", audit::purpose::BEGELEIDING))?;
    }
    Ok(TaskView {
        label: task_label(t.kind).into(),
        candidate_name: None,
        placement_title: None,
        placement_id: t.placement_id,
        overdue: false,
        id: t.id,
        kind: t.kind.as_str().into(),
        candidate_id: t.candidate_id,
        match_id: t.match_id,
        klantmanager_id: t.klantmanager_id,
        due_on: t.due_on,
        done_at: Some(now()),
        result: Some(result),
    })
}

/// "I am interested" in a published placement: a task for the candidate's klantmanager (once per
/// placement), written to the candidate's access log.
pub fn interest(conn: &mut DbConnection, ctx: &Ctx, placement_id: &str) -> AppResult<()> {
    let c = crate::service::candidates::authorize(
        conn,
        ctx.user,
        &ctx.user.own_candidate()?,
        crate::service::candidates::Access::Read,
        "interesse in een plek",
    )?;
    let p = crate::db::queries::placement_full(conn, placement_id)?.ok_or(AppError::NotFound)?;
    if !p.is_published() {
        return Err(AppError::NotFound);
    }
    let exists: i64 = tasks::table.filter(tasks::candidate_id.eq(&c.id)).filter(tasks::placement_id.eq(placement_id)).count().get_result(conn)?;
    if exists > 0 {
        return Ok(());
    }
    let due = ctx.today + chrono::Duration::days(7);
    diesel::insert_into(tasks::table)
        .values(&Task {
            placement_id: Some(placement_id.to_string()),
            ..new_task(&c.municipality_id, Some(c.klantmanager_id.clone()), &c.id, None, TaskKind::Interest, due)
        })
        .execute(conn)?;
    let actor = Actor::from(ctx.user);
    audit::one(conn, &actor, &c.id, &c.municipality_id, audit::access(Act::Create, "interesse in een plek", audit::purpose::EIGEN_GEGEVENS))?;
    // The klantmanager hears of it at once (the task alone would wait for the next visit).
    if let Some((km, to)) = crate::mail::user_recipient(conn, Some(&c.klantmanager_id))? {
        let mail = crate::mail::templates::InterestKlantmanager {
            name: km.name,
            candidate_name: format!("{} {}", c.first_name, c.last_name),
            placement_title: p.placement.title.clone(),
            kind: p.placement.kind.label_nl().into(),
            employer: p.organisation.name.clone(),
            place: ctx.refdata.pc4.get(&p.placement.pc4).map(|x| x.place.clone()).unwrap_or_else(|| p.placement.pc4.clone()),
            due: crate::domain::nl::date_long(due),
            link: ctx.keys.link(&format!("/klantmanager/plekken/{placement_id}")),
        };
        crate::service::mail_about(conn, &actor, (&c.id, &c.municipality_id), &to, &mail, "interesse aan klantmanager", audit::purpose::BERICHT)?;
    }
    Ok(())
}

/// A proposal for the placement answers the candidate's interest in it: the open interest task
/// is closed as "voorgesteld".
pub fn interest_answered(conn: &mut DbConnection, candidate_id: &str, placement_id: &str, by: &str, match_id: &str) -> QueryResult<usize> {
    diesel::update(
        tasks::table
            .filter(tasks::candidate_id.eq(candidate_id))
            .filter(tasks::placement_id.eq(placement_id))
            .filter(tasks::kind.eq(TaskKind::Interest.as_str()))
            .filter(tasks::done_at.is_null()),
    )
    .set((
        tasks::done_at.eq(Some(now())),
        tasks::done_by.eq(Some(by.to_string())),
        tasks::result.eq(Some("voorgesteld".to_string())),
        tasks::match_id.eq(Some(match_id.to_string())),
    ))
    .execute(conn)
}

/// What became of the candidate's "Ik heb interesse", newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InterestRow {
    pub placement_id: String,
    pub title: String,
    pub since: NaiveDate,
    /// In plain words (B1).
    pub status: String,
    pub match_id: Option<String>,
}

/// The candidate's own interests, for its overview.
pub fn my_interests(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<Vec<InterestRow>> {
    let cid = ctx.user.own_candidate()?;
    let rows: Vec<Task> = tasks::table
        .filter(tasks::candidate_id.eq(&cid))
        .filter(tasks::kind.eq(TaskKind::Interest.as_str()))
        .order((tasks::created_at.desc(), tasks::id))
        .select(Task::as_select())
        .load(conn)?;
    let pids: Vec<&String> = rows.iter().filter_map(|t| t.placement_id.as_ref()).collect();
    let titles = crate::db::queries::placement_titles(conn, &pids)?;
    Ok(rows
        .iter()
        .filter_map(|t| {
            let pid = t.placement_id.clone()?;
            Some(InterestRow {
                title: titles.get(&pid).cloned().unwrap_or_else(|| "Plek (niet meer te zien)".into()),
                placement_id: pid,
                since: crate::clock::local_datetime(t.created_at).date(),
                status: match t.result.as_deref() {
                    None => "Uw klantmanager bekijkt het en neemt contact met u op",
                    Some("voorgesteld") => "Uw klantmanager heeft u voorgesteld",
                    Some(_) => "Uw klantmanager heeft het met u besproken",
                }
                .into(),
                match_id: t.match_id.clone(),
            })
        })
        .collect())
}

/// A new open task for a klantmanager about a candidate (and one of its matches).
/// A new person from a self-registration: the klantmanager plans the intake within a week (a
/// handover task: get acquainted).
pub fn intake_task(conn: &mut DbConnection, c: &crate::db::models::Candidate) -> QueryResult<usize> {
    let due = crate::clock::today() + chrono::Duration::days(7);
    diesel::insert_into(tasks::table)
        .values(&new_task(&c.municipality_id, Some(c.klantmanager_id.clone()), &c.id, None, TaskKind::Handover, due))
        .execute(conn)
}

pub fn new_task(municipality: &str, km: Option<String>, candidate: &str, m: Option<&str>, kind: TaskKind, due: chrono::NaiveDate) -> Task {
    Task {
        id: crate::db::new_id(),
        municipality_id: municipality.into(),
        klantmanager_id: km,
        candidate_id: Some(candidate.into()),
        match_id: m.map(String::from),
        kind,
        due_on: due,
        done_at: None,
        done_by: None,
        result: None,
        reminded_at: None,
        created_at: now(),
        placement_id: None,
    }
}
