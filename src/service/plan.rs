//! Mijn plan: a plan of action agreed between klantmanager and person. Concrete goals (what, who
//! does it, by when, status) and the target step of the latest ladder measurement. Both see it;
//! the klantmanager writes it; the person marks their own actions done and comments. A goal for
//! the klantmanager (or both) that comes due within a week becomes a task (daily job).

use super::Ctx;
use crate::audit::{self, Act, Actor};
use crate::db::models::{Candidate, PlanGoal};
use crate::db::schema::{candidates, plan_goals, tasks};
use crate::db::{new_id, now, DbConnection};
use crate::domain::workflow::TaskKind;
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult};
use crate::service::candidates::{authorize_only, Access};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

pub const WHO: &[(&str, &str)] = &[("kandidaat", "U zelf"), ("klantmanager", "Uw klantmanager"), ("samen", "Samen")];
pub const STATUSES: &[(&str, &str)] = &[("open", "Nog te doen"), ("gedaan", "Gedaan"), ("vervallen", "Niet meer nodig")];

pub fn who_label(code: &str) -> &'static str {
    WHO.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("Onbekend")
}
pub fn status_label(code: &str) -> &'static str {
    STATUSES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("Onbekend")
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct GoalInput {
    #[validate(length(min = 3, max = 500, message = "Schrijf op wat er moet gebeuren (3 tot 500 tekens)."))]
    pub what: String,
    /// kandidaat, klantmanager or samen.
    pub who: String,
    pub due_on: Option<NaiveDate>,
    /// open (default), gedaan or vervallen.
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct OwnGoalInput {
    /// Mark the goal done (only the person's own or shared goals).
    #[serde(default)]
    pub done: Option<bool>,
    #[validate(length(max = 1000, message = "Hoogstens 1000 tekens."))]
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub candidate_id: String,
    /// The target step of the latest ladder measurement, and the step now.
    pub target_step: Option<i32>,
    pub current_step: Option<i32>,
    pub goals: Vec<PlanGoal>,
}

fn check(g: &GoalInput, today: NaiveDate, new: bool) -> Vec<FieldError> {
    let mut e = vec![];
    if !WHO.iter().any(|(c, _)| *c == g.who) {
        e.push(FieldError::new("who", "Kies wie het doet: kandidaat, klantmanager of samen."));
    }
    if let Some(s) = &g.status {
        if !STATUSES.iter().any(|(c, _)| c == s) {
            e.push(FieldError::new("status", "Kies open, gedaan of vervallen."));
        }
    }
    if new && g.due_on.is_some_and(|d| d < today) {
        e.push(FieldError::new("due_on", "Kies een datum vanaf vandaag."));
    }
    e
}

fn view(conn: &mut DbConnection, c: &Candidate) -> AppResult<PlanView> {
    let goals: Vec<PlanGoal> = plan_goals::table
        .filter(plan_goals::candidate_id.eq(&c.id))
        .order((plan_goals::status.desc(), plan_goals::due_on.asc(), plan_goals::created_at.asc()))
        .select(PlanGoal::as_select())
        .load(conn)?;
    let latest = crate::db::records::ladder_of(conn, &c.id)?.into_iter().next();
    Ok(PlanView { candidate_id: c.id.clone(), target_step: latest.as_ref().and_then(|l| l.target_step), current_step: latest.map(|l| l.step), goals })
}

/// The plan, for the person, their klantmanager (or a colleague standing in) and a beheerder.
pub fn get(conn: &mut DbConnection, ctx: &Ctx, cid: &str) -> AppResult<PlanView> {
    let c = crate::service::candidates::authorize(conn, ctx.user, cid, Access::Read, "plan van aanpak")?;
    view(conn, &c)
}

/// The klantmanager adds a goal to the plan of a person in their caseload.
pub fn add(conn: &mut DbConnection, ctx: &Ctx, cid: &str, input: &GoalInput) -> AppResult<PlanGoal> {
    ctx.user.require(&[Role::Klantmanager])?;
    let c = authorize_only(conn, ctx.user, cid, Access::Write)?;
    super::validate_with(input, check(input, ctx.today, true))?;
    let t = now();
    let g = PlanGoal {
        id: new_id(),
        candidate_id: c.id.clone(),
        what: input.what.trim().to_string(),
        who: input.who.clone(),
        due_on: input.due_on,
        status: input.status.clone().unwrap_or_else(|| "open".into()),
        comment: String::new(),
        done_at: None,
        created_by: Some(ctx.user.id.clone()),
        created_at: t,
        updated_at: t,
    };
    diesel::insert_into(plan_goals::table).values(&g).execute(conn)?;
    audit::one(
        conn,
        &Actor::from(ctx.user),
        &c.id,
        &c.municipality_id,
        audit::access(Act::Create, "plan: een afspraak", audit::purpose::BEGELEIDING),
    )?;
    Ok(g)
}

fn goal_of(conn: &mut DbConnection, cid: &str, gid: &str) -> AppResult<PlanGoal> {
    plan_goals::table
        .find(gid)
        .filter(plan_goals::candidate_id.eq(cid))
        .select(PlanGoal::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// The klantmanager changes a goal (what, who, date, status).
pub fn update(conn: &mut DbConnection, ctx: &Ctx, cid: &str, gid: &str, input: &GoalInput) -> AppResult<PlanGoal> {
    ctx.user.require(&[Role::Klantmanager])?;
    let c = authorize_only(conn, ctx.user, cid, Access::Write)?;
    super::validate_with(input, check(input, ctx.today, false))?;
    let mut g = goal_of(conn, &c.id, gid)?;
    let status = input.status.clone().unwrap_or_else(|| g.status.clone());
    if status == "gedaan" && g.status != "gedaan" {
        g.done_at = Some(now());
    } else if status != "gedaan" {
        g.done_at = None;
    }
    g.what = input.what.trim().to_string();
    g.who = input.who.clone();
    g.due_on = input.due_on;
    g.status = status;
    g.updated_at = now();
    diesel::update(plan_goals::table.find(&g.id)).set(&g).execute(conn)?;
    audit::one(
        conn,
        &Actor::from(ctx.user),
        &c.id,
        &c.municipality_id,
        audit::access(Act::Update, "plan: een afspraak", audit::purpose::BEGELEIDING),
    )?;
    Ok(g)
}

/// The person marks their own (or a shared) goal done, and may comment on any goal.
pub fn own_update(conn: &mut DbConnection, ctx: &Ctx, gid: &str, input: &OwnGoalInput) -> AppResult<PlanGoal> {
    let cid = ctx.user.own_candidate()?;
    super::validate_with(input, vec![])?;
    let c: Candidate = candidates::table.find(&cid).select(Candidate::as_select()).first(conn)?;
    let mut g = goal_of(conn, &c.id, gid)?;
    if input.done.is_some() && g.who == "klantmanager" {
        return Err(AppError::field("done", "Deze afspraak doet uw klantmanager. U kunt er wel iets bij schrijven."));
    }
    match input.done {
        Some(true) if g.status != "gedaan" => {
            g.status = "gedaan".into();
            g.done_at = Some(now());
        }
        Some(false) if g.status == "gedaan" => {
            g.status = "open".into();
            g.done_at = None;
        }
        _ => {}
    }
    if let Some(cm) = &input.comment {
        g.comment = cm.trim().to_string();
    }
    g.updated_at = now();
    diesel::update(plan_goals::table.find(&g.id)).set(&g).execute(conn)?;
    audit::one(
        conn,
        &Actor::from(ctx.user),
        &c.id,
        &c.municipality_id,
        audit::access(Act::Update, "plan: eigen afspraak", audit::purpose::EIGEN_GEGEVENS),
    )?;
    Ok(g)
}

/// Goals for the klantmanager (or both) that come due within `days` become a task, once each
/// (the task's id is the goal's, so a second run adds nothing).
pub fn due_tasks(conn: &mut DbConnection, today: NaiveDate, days: i64) -> QueryResult<usize> {
    let due: Vec<(PlanGoal, String, String)> = plan_goals::table
        .inner_join(candidates::table)
        .filter(plan_goals::status.eq("open"))
        .filter(plan_goals::who.ne("kandidaat"))
        .filter(plan_goals::due_on.le(today + chrono::Duration::days(days)))
        .filter(candidates::status.eq(crate::domain::ACTIEF))
        .select((PlanGoal::as_select(), candidates::municipality_id, candidates::klantmanager_id))
        .load(conn)?;
    let ids: Vec<String> = due.iter().map(|(g, _, _)| format!("plan-{}", g.id)).collect();
    let made: std::collections::HashSet<String> =
        tasks::table.filter(tasks::id.eq_any(&ids)).select(tasks::id).load::<String>(conn)?.into_iter().collect();
    let new: Vec<crate::db::models::Task> = due
        .into_iter()
        .zip(ids)
        .filter(|(_, id)| !made.contains(id))
        .map(|((g, m, km), id)| {
            let mut t = crate::service::tasks::new_task(&m, Some(km), &g.candidate_id, None, TaskKind::PlanGoal, g.due_on.unwrap_or(today));
            t.id = id;
            t
        })
        .collect();
    if new.is_empty() {
        return Ok(0);
    }
    crate::insert_all!(conn, tasks::table, &new)
}

/// For API and pages: each in one transaction.
pub async fn add_for(state: &crate::state::AppState, user: &crate::auth::CurrentUser, cid: &str, input: GoalInput) -> AppResult<PlanGoal> {
    let (user, env, cid) = (user.clone(), state.env(), cid.to_string());
    state.tx(move |conn| add(conn, &Ctx::new(&user, &env), &cid, &input)).await
}

pub async fn update_for(
    state: &crate::state::AppState,
    user: &crate::auth::CurrentUser,
    cid: &str,
    gid: &str,
    input: GoalInput,
) -> AppResult<PlanGoal> {
    let (user, env, cid, gid) = (user.clone(), state.env(), cid.to_string(), gid.to_string());
    state.tx(move |conn| update(conn, &Ctx::new(&user, &env), &cid, &gid, &input)).await
}

pub async fn own_update_for(state: &crate::state::AppState, user: &crate::auth::CurrentUser, gid: &str, input: OwnGoalInput) -> AppResult<PlanGoal> {
    let (user, env, gid) = (user.clone(), state.env(), gid.to_string());
    state.tx(move |conn| own_update(conn, &Ctx::new(&user, &env), &gid, &input)).await
}

pub async fn get_for(state: &crate::state::AppState, user: &crate::auth::CurrentUser, cid: &str) -> AppResult<PlanView> {
    let (user, env, cid) = (user.clone(), state.env(), cid.to_string());
    state.tx(move |conn| get(conn, &Ctx::new(&user, &env), &cid)).await
}
