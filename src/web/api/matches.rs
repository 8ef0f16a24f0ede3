//! Matches (the workflow from proposal to placement), follow-up tasks, the candidate's own
//! access log and saved search, and the beheerder's audit-log query. Thin handlers over
//! `crate::matches`.

use crate::audit::Channel;
use crate::auth::CurrentUser;
use crate::domain::Role;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::service::matches::{self as svc, ActionInput, MatchView, ProposeInput};
use crate::service::me;
pub use crate::service::me::{
    access_log_of, audit_entries, change_consents, save_search_for, AccessEntry, AuditPage, AuditView, ConsentsInput, ConsentsView, SavedSearchView,
};
use crate::service::tasks;
pub use crate::service::tasks::{CompleteTask, TaskView};
use crate::service::Ctx;
use crate::state::AppState;
use crate::web::api::search::PlacementSearchParams;
use crate::web::extract::JsonBody;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/matches", web::get().to(list))
        .route("/matches", web::post().to(create))
        .route("/matches/{id}", web::get().to(get))
        .route("/matches/{id}/actions", web::post().to(action))
        .route("/tasks", web::get().to(list_tasks))
        .route("/tasks/{id}/complete", web::post().to(complete_task))
        .route("/me/access-log", web::get().to(my_access_log))
        .route("/me/interests", web::get().to(my_interests))
        .route("/me/interests", web::post().to(add_interest))
        .route("/me/consents", web::put().to(put_consents))
        .route("/me/saved-search", web::get().to(get_saved_search))
        .route("/me/saved-search", web::put().to(put_saved_search))
        .route("/me/saved-search", web::delete().to(delete_saved_search))
        .route("/audit-log", web::get().to(audit_log_query));
}

#[utoipa::path(post, path = "/api/v1/matches", tag = "matches", request_body = ProposeInput,
    responses((status = 201, body = MatchView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(state: web::Data<AppState>, user: CurrentUser, body: JsonBody<ProposeInput>) -> AppResult<HttpResponse> {
    let rd = state.env();
    let v = state.tx(move |conn| svc::propose_and_view(conn, &Ctx::new(&user, &rd), &body.0)).await?;
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
    let rd = state.env();
    let f = svc::ListFilter { statuses, mine: q.mine == Some(true), candidate_id: q.candidate_id, placement_id: q.placement_id, limit, offset };
    let page = state
        .db(move |conn| {
            let (total, items) = svc::list(conn, &Ctx::new(&user, &rd), &f, Channel::Api)?;
            Ok(MatchPage { total, items })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(get, path = "/api/v1/matches/{id}", tag = "matches",
    responses((status = 200, body = MatchView), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let rd = state.env();
    let v = state.db(move |conn| svc::show(conn, &Ctx::new(&user, &rd), &id, Channel::Api)).await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/matches/{id}/actions", tag = "matches", request_body = ActionInput,
    responses((status = 200, body = MatchView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "stale version, or an action not allowed from the current status (with the allowed ones)", body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn action(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>, body: JsonBody<ActionInput>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let rd = state.env();
    let v = state.tx(move |conn| svc::act_and_view(conn, &Ctx::new(&user, &rd), &id, &body.0)).await?;
    Ok(HttpResponse::Ok().json(v))
}

// ---------------------------------------------------------------- tasks

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
    let q = q.into_inner();
    let f = tasks::TaskFilter { open: q.open.unwrap_or(true), due_before: q.due_before };
    let rd = state.env();
    let out = state.db(move |conn| tasks::list(conn, &Ctx::new(&user, &rd), &f)).await?;
    Ok(HttpResponse::Ok().json(out))
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
    let id = path.into_inner();
    let rd = state.env();
    let out = state.tx(move |conn| tasks::complete(conn, &Ctx::new(&user, &rd), &id, &body.0.result)).await?;
    Ok(HttpResponse::Ok().json(out))
}

// ---------------------------------------------------------------- interest

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterestInput {
    pub placement_id: String,
}

#[utoipa::path(post, path = "/api/v1/me/interests", tag = "me", request_body = InterestInput,
    responses((status = 201, body = Vec<tasks::InterestRow>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
/// "Ik heb interesse" in a published placement: the klantmanager gets a task and an e-mail (once
/// per placement). Answers the candidate's interests.
pub async fn add_interest(state: web::Data<AppState>, user: CurrentUser, body: JsonBody<InterestInput>) -> AppResult<HttpResponse> {
    let rd = state.env();
    let out = state
        .tx(move |conn| {
            let ctx = Ctx::new(&user, &rd);
            tasks::interest(conn, &ctx, &body.0.placement_id)?;
            tasks::my_interests(conn, &ctx)
        })
        .await?;
    Ok(HttpResponse::Created().json(out))
}

#[utoipa::path(get, path = "/api/v1/me/interests", tag = "me",
    responses((status = 200, body = Vec<tasks::InterestRow>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn my_interests(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let rd = state.env();
    let out = state.db(move |conn| tasks::my_interests(conn, &Ctx::new(&user, &rd))).await?;
    Ok(HttpResponse::Ok().json(out))
}

// ---------------------------------------------------------------- access log

#[derive(Debug, Deserialize, IntoParams)]
pub struct AccessLogParams {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/me/access-log", tag = "me", params(AccessLogParams),
    responses((status = 200, body = Vec<AccessEntry>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn my_access_log(state: web::Data<AppState>, user: CurrentUser, q: web::Query<AccessLogParams>) -> AppResult<HttpResponse> {
    let cid = user.own_candidate()?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let offset = q.offset.unwrap_or(0).max(0);
    let out = state.db(move |conn| Ok(me::access_log_page(conn, &cid, limit, offset)?)).await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditParams {
    /// A person: the id (or its first characters), the client number, or (part of) the name.
    pub candidate_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
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
            let (total, items) = me::audit_entries_between(conn, &m, q.candidate_id, q.actor_id, q.action, q.from, q.to, limit, offset)?;
            Ok(AuditPage { total, items })
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

// ---------------------------------------------------------------- saved search

#[utoipa::path(get, path = "/api/v1/me/saved-search", tag = "me",
    responses((status = 200, body = SavedSearchView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_saved_search(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let rd = state.env();
    let v = state.db(move |conn| me::saved_search(conn, &Ctx::new(&user, &rd))).await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(put, path = "/api/v1/me/saved-search", tag = "me", request_body = PlacementSearchParams,
    responses((status = 200, body = SavedSearchView), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_saved_search(state: web::Data<AppState>, user: CurrentUser, body: JsonBody<PlacementSearchParams>) -> AppResult<HttpResponse> {
    let cid = user.own_candidate()?;
    let v = save_search_for(&state, &cid, body.0).await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(delete, path = "/api/v1/me/saved-search", tag = "me", responses((status = 204)), security(("bearer" = [])))]
pub async fn delete_saved_search(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let rd = state.env();
    state.tx(move |conn| me::delete_saved_search(conn, &Ctx::new(&user, &rd))).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- the candidate's consents

/// Changes the candidate's consents. Turning off matching or the anonymous profile also
/// withdraws the consent to every introduction still standing: from then on no employer gets
/// personal data of the candidate.
#[utoipa::path(put, path = "/api/v1/me/consents", tag = "me", request_body = ConsentsInput,
    responses((status = 200, body = ConsentsView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_consents(state: web::Data<AppState>, user: CurrentUser, body: JsonBody<ConsentsInput>) -> AppResult<HttpResponse> {
    let v = change_consents(&state, &user, body.0).await?;
    Ok(HttpResponse::Ok().json(v))
}
