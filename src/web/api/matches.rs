//! Matches (the workflow from proposal to placement), follow-up tasks, the candidate's own
//! access log and saved search, and the beheerder's audit-log query. Thin handlers over
//! `crate::matches`.

use crate::audit::{self, Act, Actor, Channel};
use crate::auth::CurrentUser;
use crate::db::models::{AuditEntry, Match, Organisation, SavedSearch, Task, User};
use crate::db::now;
use crate::db::schema::{audit_log, matches, organisations, saved_searches, tasks, users};
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::matches::{self as svc, ActionInput, MatchView, ProposeInput};
use crate::state::AppState;
use crate::web::api::search::{placement_query, PlacementSearchParams};
use crate::web::extract::JsonBody;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/matches", web::get().to(list))
        .route("/matches", web::post().to(create))
        .route("/matches/{id}", web::get().to(get))
        .route("/matches/{id}/actions", web::post().to(action))
        .route("/tasks", web::get().to(list_tasks))
        .route("/tasks/{id}/complete", web::post().to(complete_task))
        .route("/me/access-log", web::get().to(my_access_log))
        .route("/me/consents", web::put().to(put_consents))
        .route("/me/saved-search", web::get().to(get_saved_search))
        .route("/me/saved-search", web::put().to(put_saved_search))
        .route("/me/saved-search", web::delete().to(delete_saved_search))
        .route("/audit-log", web::get().to(audit_log_query));
}

fn today() -> NaiveDate {
    crate::clock::today()
}

#[utoipa::path(post, path = "/api/v1/matches", tag = "matches", request_body = ProposeInput,
    responses((status = 201, body = MatchView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(state: web::Data<AppState>, user: CurrentUser, body: JsonBody<ProposeInput>) -> AppResult<HttpResponse> {
    user.require(&[Role::Klantmanager])?;
    let input = body.0;
    let st = state.get_ref().clone();
    let v = state
        .tx(move |conn| {
            let id = svc::propose(conn, &st, &user, &input, today())?;
            let m = svc::load_for(conn, &user, &id)?;
            svc::view(conn, &st, &user, &m)
        })
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MatchListParams {
    /// Comma-separated statuses
    pub status: Option<String>,
    pub candidate_id: Option<String>,
    pub placement_id: Option<String>,
    /// Klantmanager: only matches of my own caseload
    pub mine: Option<bool>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MatchPage {
    pub total: i64,
    pub items: Vec<MatchView>,
}

#[utoipa::path(get, path = "/api/v1/matches", tag = "matches", params(MatchListParams),
    responses((status = 200, body = MatchPage), (status = 429, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(state: web::Data<AppState>, user: CurrentUser, q: web::Query<MatchListParams>) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let statuses: Vec<String> = q.status.as_deref().unwrap_or("").split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    if let Some(bad) = statuses.iter().find(|s| crate::domain::workflow::MatchStatus::parse(s).is_none()) {
        return Err(AppError::field("status", format!("Onbekende status {bad:?}.")));
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let offset = q.offset.unwrap_or(0).max(0);
    let st = state.get_ref().clone();
    let page = state
        .db(move |conn| {
            let build = || {
                let mut b = matches::table.into_boxed();
                match user.role {
                    Role::Klantmanager | Role::Beheerder => {
                        b = b.filter(matches::municipality_id.eq(user.municipality_id.clone().unwrap_or_default()));
                        if q.mine == Some(true) {
                            b = b.filter(matches::klantmanager_id.eq(user.id.clone()));
                        }
                    }
                    Role::Kandidaat => b = b.filter(matches::candidate_id.eq(user.candidate_id.clone().unwrap_or_else(|| "-".into()))),
                    Role::Werkgever => {
                        let org = if user.organisation_verified { user.organisation_id.clone().unwrap_or_else(|| "-".into()) } else { "-".into() };
                        b = b.filter(crate::db::queries::employer_may_see(&org));
                    }
                }
                if !statuses.is_empty() {
                    b = b.filter(matches::status.eq_any(statuses.clone()));
                }
                if let Some(c) = &q.candidate_id {
                    if user.role != Role::Werkgever {
                        b = b.filter(matches::candidate_id.eq(c.clone()));
                    }
                }
                if let Some(p) = &q.placement_id {
                    b = b.filter(matches::placement_id.eq(p.clone()));
                }
                b
            };
            let total: i64 = build().count().get_result(conn)?;
            let rows: Vec<Match> =
                build().order((matches::updated_at.desc(), matches::id)).limit(limit).offset(offset).select(Match::as_select()).load(conn)?;
            if user.role == Role::Werkgever {
                st.check_profile_views(conn, &user, rows.len())?;
            }
            let mut items = Vec::with_capacity(rows.len());
            for m in &rows {
                items.push(svc::view(conn, &st, &user, m)?);
            }
            let pairs: Vec<(&Match, &MatchView)> = rows.iter().zip(items.iter()).collect();
            svc::audit_views(conn, &user, &pairs, Channel::Api)?;
            Ok(MatchPage { total, items })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(get, path = "/api/v1/matches/{id}", tag = "matches",
    responses((status = 200, body = MatchView), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let st = state.get_ref().clone();
    let v = state
        .db(move |conn| {
            let m = svc::load_for(conn, &user, &id)?;
            if user.role == Role::Werkgever {
                st.check_profile_views(conn, &user, 1)?;
            }
            let v = svc::view(conn, &st, &user, &m)?;
            svc::audit_views(conn, &user, &[(&m, &v)], Channel::Api)?;
            Ok(v)
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/matches/{id}/actions", tag = "matches", request_body = ActionInput,
    responses((status = 200, body = MatchView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "stale version, or an action not allowed from the current status (with the allowed ones)", body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn action(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>, body: JsonBody<ActionInput>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let input = body.0;
    let st = state.get_ref().clone();
    let v = state
        .tx(move |conn| {
            let m = svc::act(conn, &st, &user, &id, &input, today())?;
            // After a withdrawal the employer still sees the match, without the person.
            match svc::load_for(conn, &user, &m.id) {
                Ok(m) => svc::view(conn, &st, &user, &m),
                Err(_) => svc::view(conn, &st, &user, &m),
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

// ---------------------------------------------------------------- tasks

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TaskView {
    pub id: String,
    pub kind: String,
    pub label: String,
    pub candidate_id: Option<String>,
    pub candidate_name: Option<String>,
    pub match_id: Option<String>,
    pub klantmanager_id: Option<String>,
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub done_at: Option<NaiveDateTime>,
    pub result: Option<String>,
}

fn task_label(kind: &str) -> &'static str {
    crate::domain::workflow::TaskKind::parse(kind).map(|k| k.instruction_nl()).unwrap_or("Taak")
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct TaskParams {
    /// Only open tasks (default true)
    pub open: Option<bool>,
    /// Only tasks due on or before this date
    pub due_before: Option<NaiveDate>,
}

#[utoipa::path(get, path = "/api/v1/tasks", tag = "matches", params(TaskParams),
    responses((status = 200, body = Vec<TaskView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_tasks(state: web::Data<AppState>, user: CurrentUser, q: web::Query<TaskParams>) -> AppResult<HttpResponse> {
    user.require(&[Role::Klantmanager, Role::Beheerder])?;
    let q = q.into_inner();
    let out = state
        .db(move |conn| {
            let mut b = tasks::table.filter(tasks::municipality_id.eq(user.municipality()?.to_string())).into_boxed();
            if user.role == Role::Klantmanager {
                b = b.filter(tasks::klantmanager_id.eq(user.id.clone()));
            }
            if q.open.unwrap_or(true) {
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
            audit::record(conn, &Actor::from(&user), &subjects, audit::access(Act::View, "naam (taak)", audit::purpose::BEGELEIDING))?;
            let t = today();
            Ok(rows
                .into_iter()
                .map(|r| TaskView {
                    label: task_label(&r.kind).into(),
                    candidate_name: r.candidate_id.as_ref().and_then(|c| names.get(c)).map(|(f, l)| format!("{f} {l}")),
                    overdue: r.done_at.is_none() && r.due_on < t,
                    id: r.id,
                    kind: r.kind,
                    candidate_id: r.candidate_id,
                    match_id: r.match_id,
                    klantmanager_id: r.klantmanager_id,
                    due_on: r.due_on,
                    done_at: r.done_at,
                    result: r.result,
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteTask {
    /// Retention checks: `in_dienst` (still working) or `uit_dienst`; ladder update: `vastgelegd`.
    pub result: String,
}

#[utoipa::path(post, path = "/api/v1/tasks/{id}/complete", tag = "matches", request_body = CompleteTask,
    responses((status = 200, body = TaskView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn complete_task(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: JsonBody<CompleteTask>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Klantmanager])?;
    let id = path.into_inner();
    let result = body.0.result.trim().to_string();
    let out = state
        .tx(move |conn| {
            let t: Task = tasks::table.find(&id).select(Task::as_select()).first(conn).optional()?.ok_or(AppError::NotFound)?;
            if user.municipality_id.as_deref() != Some(t.municipality_id.as_str()) {
                return Err(AppError::NotFound);
            }
            if t.klantmanager_id.as_deref() != Some(user.id.as_str()) {
                return Err(AppError::Forbidden);
            }
            if t.done_at.is_some() {
                return Err(AppError::conflict("Deze taak is al afgerond."));
            }
            let retention = matches!(
                crate::domain::workflow::TaskKind::parse(&t.kind),
                Some(crate::domain::workflow::TaskKind::Retention6 | crate::domain::workflow::TaskKind::Retention12)
            );
            let allowed: &[&str] = if retention { &["in_dienst", "uit_dienst"] } else { &["vastgelegd"] };
            if !allowed.contains(&result.as_str()) {
                return Err(AppError::field("result", format!("Kies: {}.", allowed.join(" of "))));
            }
            diesel::update(tasks::table.find(&id))
                .set((tasks::done_at.eq(Some(now())), tasks::done_by.eq(Some(user.id.clone())), tasks::result.eq(Some(result.clone()))))
                .execute(conn)?;
            if let Some(mid) = &t.match_id {
                use crate::domain::workflow::TaskKind;
                match TaskKind::parse(&t.kind) {
                    Some(TaskKind::Retention6) => {
                        diesel::update(matches::table.find(mid)).set(matches::retention_6.eq(Some(result.clone()))).execute(conn)?;
                    }
                    Some(TaskKind::Retention12) => {
                        diesel::update(matches::table.find(mid)).set(matches::retention_12.eq(Some(result.clone()))).execute(conn)?;
                    }
                    _ => {}
                }
            }
            if let Some(c) = &t.candidate_id {
                audit::one(conn, &Actor::from(&user), c, &t.municipality_id, audit::access(Act::Update, "nazorg", audit::purpose::BEGELEIDING))?;
            }
            Ok(TaskView {
                label: task_label(&t.kind).into(),
                candidate_name: None,
                overdue: false,
                id: t.id,
                kind: t.kind,
                candidate_id: t.candidate_id,
                match_id: t.match_id,
                klantmanager_id: t.klantmanager_id,
                due_on: t.due_on,
                done_at: Some(now()),
                result: Some(result),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

// ---------------------------------------------------------------- access log

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccessEntry {
    pub at: NaiveDateTime,
    /// Who, as the candidate may know it: the name of a municipal employee, the organisation
    /// of an employer, or "Opstap" for the platform itself.
    pub who: String,
    pub role: String,
    pub action: String,
    pub what: String,
    pub purpose: String,
    pub channel: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AccessLogParams {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

fn describe(conn: &mut DbConnection, rows: Vec<AuditEntry>) -> QueryResult<Vec<(AuditEntry, String)>> {
    let uids: Vec<String> = rows.iter().filter_map(|r| r.actor_id.clone()).collect();
    let oids: Vec<String> = rows.iter().filter_map(|r| r.organisation_id.clone()).collect();
    let unames: HashMap<String, String> =
        users::table.filter(users::id.eq_any(&uids)).select(User::as_select()).load(conn)?.into_iter().map(|u| (u.id, u.name)).collect();
    let onames: HashMap<String, String> = organisations::table
        .filter(organisations::id.eq_any(&oids))
        .select(Organisation::as_select())
        .load(conn)?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let who = match (r.actor_role.as_str(), &r.organisation_id, &r.actor_id) {
                ("werkgever", Some(o), _) => onames.get(o).cloned().unwrap_or_else(|| "Een werkgever".into()),
                ("systeem", _, _) => "Opstap".into(),
                ("kandidaat", _, _) => "Uzelf".into(),
                (_, _, Some(u)) => unames.get(u).cloned().unwrap_or_else(|| "Een medewerker (account verwijderd)".into()),
                _ => "Onbekend".into(),
            };
            (r, who)
        })
        .collect())
}

use crate::db::DbConnection;

/// The newest entries about one candidate, described for the candidate.
pub fn access_log_of(conn: &mut DbConnection, cid: &str, limit: i64) -> QueryResult<Vec<AccessEntry>> {
    access_log_page(conn, cid, limit, 0)
}

fn access_log_page(conn: &mut DbConnection, cid: &str, limit: i64, offset: i64) -> QueryResult<Vec<AccessEntry>> {
    let rows: Vec<AuditEntry> = audit_log::table
        .filter(audit_log::candidate_id.eq(cid))
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(AuditEntry::as_select())
        .load(conn)?;
    Ok(describe(conn, rows)?
        .into_iter()
        .map(|(r, who)| AccessEntry {
            at: r.created_at,
            who,
            role: r.actor_role,
            action: r.action,
            what: r.what,
            purpose: r.purpose,
            channel: r.channel,
        })
        .collect())
}

#[utoipa::path(get, path = "/api/v1/me/access-log", tag = "me", params(AccessLogParams),
    responses((status = 200, body = Vec<AccessEntry>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn my_access_log(state: web::Data<AppState>, user: CurrentUser, q: web::Query<AccessLogParams>) -> AppResult<HttpResponse> {
    user.require(&[Role::Kandidaat])?;
    let cid = user.candidate_id.clone().ok_or(AppError::Forbidden)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let offset = q.offset.unwrap_or(0).max(0);
    let out = state.db(move |conn| Ok(access_log_page(conn, &cid, limit, offset)?)).await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditParams {
    pub candidate_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditView {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor: String,
    pub actor_role: String,
    pub organisation_id: Option<String>,
    pub candidate_id: String,
    pub action: String,
    pub what: String,
    pub purpose: String,
    pub channel: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub total: i64,
    pub items: Vec<AuditView>,
}

#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit", params(AuditParams),
    responses((status = 200, body = AuditPage), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn audit_log_query(state: web::Data<AppState>, user: CurrentUser, q: web::Query<AuditParams>) -> AppResult<HttpResponse> {
    user.require(&[Role::Beheerder])?;
    let m = user.municipality()?.to_string();
    let q = q.into_inner();
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let offset = q.offset.unwrap_or(0).max(0);
    let out = state
        .db(move |conn| {
            let (total, items) = audit_entries_between(conn, &m, q.candidate_id, q.actor_id, q.action, q.from, q.to, limit, offset)?;
            Ok(AuditPage { total, items })
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Audit entries of a municipality, newest first (API and pages).
pub fn audit_entries(
    conn: &mut DbConnection,
    m: &str,
    candidate: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    limit: i64,
    offset: i64,
) -> QueryResult<(i64, Vec<AuditView>)> {
    audit_entries_between(conn, m, candidate, actor, action, None, None, limit, offset)
}

#[allow(clippy::too_many_arguments)]
fn audit_entries_between(
    conn: &mut DbConnection,
    m: &str,
    candidate: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    limit: i64,
    offset: i64,
) -> QueryResult<(i64, Vec<AuditView>)> {
    let build = || {
        let mut b = audit_log::table.filter(audit_log::municipality_id.eq(m.to_string())).into_boxed();
        if let Some(c) = &candidate {
            b = b.filter(audit_log::candidate_id.eq(c.clone()));
        }
        if let Some(a) = &actor {
            b = b.filter(audit_log::actor_id.eq(a.clone()));
        }
        if let Some(a) = &action {
            b = b.filter(audit_log::action.eq(a.clone()));
        }
        if let Some(f) = from {
            b = b.filter(audit_log::created_at.ge(crate::clock::start_of_day_utc(f)));
        }
        if let Some(t) = to {
            b = b.filter(audit_log::created_at.lt(crate::clock::start_of_day_utc(t.succ_opt().unwrap_or(t))));
        }
        b
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows: Vec<AuditEntry> =
        build().order((audit_log::created_at.desc(), audit_log::id.desc())).limit(limit).offset(offset).select(AuditEntry::as_select()).load(conn)?;
    let items = describe(conn, rows)?
        .into_iter()
        .map(|(r, who)| AuditView {
            id: r.id,
            at: r.created_at,
            actor_id: r.actor_id,
            actor: who,
            actor_role: r.actor_role,
            organisation_id: r.organisation_id,
            candidate_id: r.candidate_id,
            action: r.action,
            what: r.what,
            purpose: r.purpose,
            channel: r.channel,
        })
        .collect();
    Ok((total, items))
}

// ---------------------------------------------------------------- saved search

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SavedSearchView {
    pub query: PlacementSearchParams,
    pub created_at: NaiveDateTime,
    pub last_sent_at: NaiveDateTime,
    pub email_allowed: bool,
}

#[utoipa::path(get, path = "/api/v1/me/saved-search", tag = "me",
    responses((status = 200, body = SavedSearchView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_saved_search(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    user.require(&[Role::Kandidaat])?;
    let cid = user.candidate_id.clone().ok_or(AppError::Forbidden)?;
    let v = state
        .db(move |conn| {
            let s: SavedSearch =
                saved_searches::table.find(&cid).select(SavedSearch::as_select()).first(conn).optional()?.ok_or(AppError::NotFound)?;
            let email_allowed: bool =
                crate::db::schema::candidates::table.find(&cid).select(crate::db::schema::candidates::consent_email).first(conn)?;
            Ok(SavedSearchView {
                query: serde_json::from_str(&s.query).unwrap_or_default(),
                created_at: s.created_at,
                last_sent_at: s.last_sent_at,
                email_allowed,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(put, path = "/api/v1/me/saved-search", tag = "me", request_body = PlacementSearchParams,
    responses((status = 200, body = SavedSearchView), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_saved_search(state: web::Data<AppState>, user: CurrentUser, body: JsonBody<PlacementSearchParams>) -> AppResult<HttpResponse> {
    user.require(&[Role::Kandidaat])?;
    let cid = user.candidate_id.clone().ok_or(AppError::Forbidden)?;
    let v = save_search_for(&state, &cid, body.0).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Checks and stores a candidate's saved search (API and pages).
pub async fn save_search_for(state: &AppState, cid: &str, mut q: PlacementSearchParams) -> AppResult<SavedSearchView> {
    if q.status.is_some() {
        return Err(AppError::Validation(vec![FieldError::new("status", "Een bewaarde zoekopdracht zoekt altijd in open plekken.")]));
    }
    q.limit = None;
    q.offset = None;
    placement_query(state, &q, false)?;
    let json = serde_json::to_string(&q).map_err(|e| AppError::Internal(e.into()))?;
    let cid = cid.to_string();
    state
        .tx(move |conn| {
            let t = now();
            let existing: Option<SavedSearch> = saved_searches::table.find(&cid).select(SavedSearch::as_select()).first(conn).optional()?;
            let row = SavedSearch {
                candidate_id: cid.clone(),
                query: json,
                created_at: existing.as_ref().map(|e| e.created_at).unwrap_or(t),
                last_sent_at: existing.map(|e| e.last_sent_at).unwrap_or(t),
            };
            diesel::delete(saved_searches::table.find(&cid)).execute(conn)?;
            diesel::insert_into(saved_searches::table).values(&row).execute(conn)?;
            let email_allowed: bool =
                crate::db::schema::candidates::table.find(&cid).select(crate::db::schema::candidates::consent_email).first(conn)?;
            Ok(SavedSearchView {
                query: serde_json::from_str(&row.query).unwrap_or_default(),
                created_at: row.created_at,
                last_sent_at: row.last_sent_at,
                email_allowed,
            })
        })
        .await
}

#[utoipa::path(delete, path = "/api/v1/me/saved-search", tag = "me", responses((status = 204)), security(("bearer" = [])))]
pub async fn delete_saved_search(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    user.require(&[Role::Kandidaat])?;
    let cid = user.candidate_id.clone().ok_or(AppError::Forbidden)?;
    state.tx(move |conn| Ok(diesel::delete(saved_searches::table.find(&cid)).execute(conn)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- the candidate's consents

/// The candidate's own consents. Leave a field out to keep it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentsInput {
    /// May the matcher look for work for me?
    pub consent_matching: Option<bool>,
    /// May employers see my anonymous profile in proposals?
    pub consent_anonymous_profile: Option<bool>,
    /// May Opstap send me e-mail?
    pub consent_email: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsentsView {
    pub consent_matching: bool,
    pub consent_anonymous_profile: bool,
    pub consent_email: bool,
    /// Matches whose consent to an introduction was withdrawn by this change.
    pub withdrawn_matches: Vec<String>,
}

/// Changes the candidate's consents. Turning off matching or the anonymous profile also
/// withdraws the consent to every introduction still standing: from then on no employer gets
/// personal data of the candidate.
#[utoipa::path(put, path = "/api/v1/me/consents", tag = "me", request_body = ConsentsInput,
    responses((status = 200, body = ConsentsView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_consents(state: web::Data<AppState>, user: CurrentUser, body: JsonBody<ConsentsInput>) -> AppResult<HttpResponse> {
    let v = change_consents(&state, &user, body.0).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Changes a candidate's own consents (API and pages).
pub async fn change_consents(state: &AppState, user: &CurrentUser, input: ConsentsInput) -> AppResult<ConsentsView> {
    user.require(&[Role::Kandidaat])?;
    let cid = user.candidate_id.clone().ok_or(AppError::Forbidden)?;
    let st = state.clone();
    let c2 = cid.clone();
    let user = user.clone();
    let v = state
        .tx(move |conn| {
            use crate::db::schema::candidates;
            let cur: crate::db::models::Candidate =
                crate::web::api::candidates::authorize(conn, &user, &c2, crate::web::api::candidates::Access::Read, "toestemmingen")?;
            let matching = input.consent_matching.unwrap_or(cur.consent_matching);
            let anonymous = input.consent_anonymous_profile.unwrap_or(cur.consent_anonymous_profile);
            let email = input.consent_email.unwrap_or(cur.consent_email);
            diesel::update(candidates::table.find(&c2))
                .set((
                    candidates::consent_matching.eq(matching),
                    candidates::consent_anonymous_profile.eq(anonymous),
                    candidates::consent_email.eq(email),
                    candidates::version.eq(cur.version + 1),
                    candidates::updated_at.eq(now()),
                ))
                .execute(conn)?;
            crate::db::changes::record(conn, crate::db::changes::Entity::Candidate, &c2)?;
            audit::one(
                conn,
                &Actor::from(&user),
                &c2,
                &cur.municipality_id,
                audit::access(Act::Update, "toestemmingen", audit::purpose::EIGEN_GEGEVENS),
            )?;
            let mut withdrawn = vec![];
            if !matching || !anonymous {
                let open: Vec<Match> = matches::table
                    .filter(matches::candidate_id.eq(&c2))
                    .filter(matches::consent_withdrawn_at.is_null())
                    .filter(matches::candidate_decided_at.is_not_null())
                    .filter(matches::status.eq_any(crate::domain::workflow::MatchStatus::with_consent_in_force()))
                    .select(Match::as_select())
                    .load(conn)?;
                for m in open {
                    let input = ActionInput { action: "withdraw_consent".into(), version: Some(m.version), ..Default::default() };
                    svc::act(conn, &st, &user, &m.id, &input, today())?;
                    withdrawn.push(m.id);
                }
            }
            Ok(ConsentsView { consent_matching: matching, consent_anonymous_profile: anonymous, consent_email: email, withdrawn_matches: withdrawn })
        })
        .await?;
    Ok(v)
}
