//! Candidates: the caseload of klantmanagers. Personal data; every access is authorised here
//! for the role and the candidate:
//! - klantmanager: reads candidates of its own municipality, changes only its own caseload;
//! - beheerder: reads candidates of its municipality, without health data;
//! - kandidaat: only itself, without the klantmanager-only fields;
//! - werkgever: never (403).
//!
//! Another municipality's candidate answers 404, so its existence is not revealed.

use super::{occupation_ref, skill_ref, LabelRef};
use crate::auth::CurrentUser;
use crate::db::queries::CandidateFull;
use crate::domain::{self, Role};
use crate::error::{AppResult, ErrorBody};
use crate::refdata::RefData;
use crate::service::candidates as svc;
pub use crate::service::candidates::{authorize, Access, CandidateInput, ErasureInput, OccupationInput, SkillInput};
use crate::service::Ctx;
use crate::state::AppState;
use crate::web::extract::JsonBody;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/candidates", web::get().to(list))
        .route("/candidates", web::post().to(create))
        .route("/candidates/{id}", web::get().to(get))
        .route("/candidates/{id}/export", web::get().to(export))
        .route("/me/export", web::get().to(export_own))
        .route("/me/wishes", web::get().to(own_wishes))
        .route("/me/wishes", web::put().to(put_wishes))
        .route("/candidates/{id}/plan", web::get().to(get_plan))
        .route("/candidates/{id}/plan/goals", web::post().to(add_goal))
        .route("/candidates/{id}/plan/goals/{goal_id}", web::put().to(update_goal))
        .route("/me/plan", web::get().to(own_plan))
        .route("/me/skill-suggestions", web::get().to(own_suggestions))
        .route("/me/skill-suggestions", web::post().to(suggest_skill))
        .route("/candidates/{id}/skill-suggestions/{sid}", web::post().to(decide_skill))
        .route("/me/plan/goals/{goal_id}", web::patch().to(own_goal))
        .route("/candidates/{id}", web::put().to(update))
        .route("/candidates/{id}", web::delete().to(delete));
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CandidateOccupationView {
    pub occupation: LabelRef,
    pub experience: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CandidateSkillView {
    pub skill: Option<LabelRef>,
    pub free_text: Option<String>,
    pub level: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CandidateView {
    pub id: String,
    pub municipality_id: String,
    pub klantmanager_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub birth_date: NaiveDate,
    pub age: i32,
    pub pc4: String,
    pub place: Option<String>,
    pub education_level: String,
    pub startkwalificatie: bool,
    pub language_level: Option<String>,
    pub hours_min: i32,
    pub hours_max: i32,
    pub max_travel_km: i32,
    pub driving_licence: bool,
    pub own_transport: bool,
    pub loonwaarde: Option<i32>,
    pub loonwaarde_date: Option<NaiveDate>,
    pub doelgroepregister: bool,
    pub beschut_werk_indicatie: bool,
    pub lks_target_group: bool,
    pub needs_job_coach: bool,
    pub statushouder: bool,
    /// Only for klantmanagers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_capacity_limits: Option<String>,
    /// Only for klantmanagers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_needs: Option<String>,
    /// Only for klantmanagers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zrm_scores: Option<BTreeMap<String, i32>>,
    pub sector_preferences: Vec<String>,
    pub available_from: Option<NaiveDate>,
    pub consent_matching: bool,
    pub consent_anonymous_profile: bool,
    pub consent_email: bool,
    /// The number in the municipality's client system.
    pub client_number: Option<String>,
    pub benefit_type: crate::domain::BenefitType,
    pub benefit_label: String,
    /// Registered with the municipality on (instroom).
    pub registration_date: chrono::NaiveDate,
    /// The klantgroep the person is in (`/api/v1/client-groups`).
    pub client_group_id: Option<String>,
    /// How the person came into the doelgroepregister, and since when.
    pub doelgroepregister_route: Option<crate::domain::klantgroep::DoelgroepRoute>,
    pub doelgroepregister_date: Option<NaiveDate>,
    pub status: String,
    pub outflow_reason: Option<String>,
    pub outflow_date: Option<NaiveDate>,
    pub occupations: Vec<CandidateOccupationView>,
    pub skills: Vec<CandidateSkillView>,
    /// Current participatieladder step (latest measurement), if measured.
    pub ladder_step: Option<i32>,
    pub ladder_target_step: Option<i32>,
    pub ladder_measured_on: Option<NaiveDate>,
    pub last_contact: Option<NaiveDate>,
    pub version: i32,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

pub fn view(c: &CandidateFull, rd: &RefData, show_health: bool) -> CandidateView {
    let ca = &c.candidate;
    let today = crate::clock::today();
    CandidateView {
        id: ca.id.clone(),
        municipality_id: ca.municipality_id.clone(),
        klantmanager_id: ca.klantmanager_id.clone(),
        first_name: ca.first_name.clone(),
        last_name: ca.last_name.clone(),
        email: ca.email.clone(),
        phone: ca.phone.clone(),
        birth_date: ca.birth_date,
        age: domain::age_on(ca.birth_date, today),
        pc4: ca.pc4.clone(),
        place: rd.pc4.get(&ca.pc4).map(|p| p.place.clone()),
        education_level: ca.education_level.clone(),
        startkwalificatie: ca.startkwalificatie,
        language_level: ca.language_level.clone(),
        hours_min: ca.hours_min,
        hours_max: ca.hours_max,
        max_travel_km: ca.max_travel_km,
        driving_licence: ca.driving_licence,
        own_transport: ca.own_transport,
        loonwaarde: ca.loonwaarde,
        loonwaarde_date: ca.loonwaarde_date,
        doelgroepregister: ca.doelgroepregister,
        beschut_werk_indicatie: ca.beschut_werk_indicatie,
        lks_target_group: ca.lks_target_group,
        needs_job_coach: ca.needs_job_coach,
        statushouder: ca.statushouder,
        work_capacity_limits: show_health.then(|| ca.work_capacity_limits.clone()),
        support_needs: show_health.then(|| ca.support_needs.clone()),
        zrm_scores: show_health.then(|| serde_json::from_str(&ca.zrm_scores).unwrap_or_default()),
        sector_preferences: serde_json::from_str(&ca.sector_preferences).unwrap_or_default(),
        available_from: ca.available_from,
        consent_matching: ca.consent_matching,
        consent_anonymous_profile: ca.consent_anonymous_profile,
        consent_email: ca.consent_email,
        client_number: ca.client_number.clone(),
        benefit_type: ca.benefit_type,
        benefit_label: ca.benefit_type.label_nl().into(),
        registration_date: ca.registration_date,
        client_group_id: ca.client_group_id.clone(),
        doelgroepregister_route: ca.doelgroepregister_route,
        doelgroepregister_date: ca.doelgroepregister_date,
        status: ca.status.as_str().into(),
        outflow_reason: ca.outflow_reason.clone(),
        outflow_date: ca.outflow_date,
        occupations: c
            .occupations
            .iter()
            .map(|o| CandidateOccupationView { occupation: occupation_ref(rd, &o.occupation_id), experience: o.experience.clone() })
            .collect(),
        skills: c
            .skills
            .iter()
            .map(|s| CandidateSkillView {
                skill: s.skill_id.as_deref().map(|id| skill_ref(rd, id)),
                free_text: s.free_text.clone(),
                level: s.level.clone(),
            })
            .collect(),
        ladder_step: c.ladder.as_ref().map(|l| l.step),
        ladder_target_step: c.ladder.as_ref().and_then(|l| l.target_step),
        ladder_measured_on: c.ladder.as_ref().map(|l| l.measured_on),
        last_contact: c.last_contact,
        version: ca.version,
        created_at: ca.created_at,
        updated_at: ca.updated_at,
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// Only my own caseload
    pub mine: Option<bool>,
    pub status: Option<String>,
    pub klantmanager_id: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/candidates", tag = "candidates", params(ListParams),
    responses((status = 200, body = super::Page<CandidateView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(state: web::Data<AppState>, user: CurrentUser, q: web::Query<ListParams>) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let f = svc::ListFilter {
        klantmanager_id: if q.mine.unwrap_or(false) { Some(user.id.clone()) } else { q.klantmanager_id.clone() },
        status: q.status,
        limit: q.limit.unwrap_or(50).clamp(1, 500) as i64,
        offset: q.offset.unwrap_or(0) as i64,
    };
    let show_health = user.role == Role::Klantmanager;
    let rd = state.env();
    let rd2 = rd.clone();
    let (total, items) = state.db(move |conn| svc::list(conn, &Ctx::new(&user, &rd2), &f)).await?;
    Ok(HttpResponse::Ok().json(super::Page { total: total as usize, items: items.iter().map(|c| view(c, &rd, show_health)).collect() }))
}

#[utoipa::path(get, path = "/api/v1/candidates/{id}", tag = "candidates",
    responses((status = 200, body = CandidateView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let show_health = user.role == Role::Klantmanager;
    let rd = state.env();
    let rd2 = rd.clone();
    let c = state.db(move |conn| svc::get(conn, &Ctx::new(&user, &rd2), &id)).await?;
    Ok(HttpResponse::Ok().json(view(&c, &rd, show_health)))
}

/// The download of a person's data (AVG art. 15): every stored field, table by table, as a
/// file. For the person's klantmanager or a beheerder of the municipality, who produce it for
/// a person (also one without an account); audited as an export.
#[utoipa::path(get, path = "/api/v1/candidates/{id}/export", tag = "candidates",
    responses((status = 200, body = crate::service::inzage::DataExport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn export(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let e = crate::service::inzage::export_for(&state, &user, &path.into_inner()).await?;
    Ok(export_response(&e))
}

/// "Download mijn gegevens": the person's own export (see `GET /candidates/{id}/export`).
#[utoipa::path(get, path = "/api/v1/me/export", tag = "me",
    responses((status = 200, body = crate::service::inzage::DataExport), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn export_own(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let cid = user.own_candidate()?;
    let e = crate::service::inzage::export_for(&state, &user, &cid).await?;
    Ok(export_response(&e))
}

/// The person's own wishes (hours, days, distance, transport, sectors, kinds of work).
#[utoipa::path(get, path = "/api/v1/me/wishes", tag = "me",
    responses((status = 200, body = crate::service::wishes::WishesView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn own_wishes(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let env = state.env();
    let v = state.db(move |conn| crate::service::wishes::own(conn, &Ctx::new(&user, &env))).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// The person changes their own wishes; the klantmanager sees the change.
#[utoipa::path(put, path = "/api/v1/me/wishes", tag = "me", request_body = crate::service::wishes::WishesInput,
    responses((status = 200, body = crate::service::wishes::WishesView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_wishes(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<crate::service::wishes::WishesInput>,
) -> AppResult<HttpResponse> {
    let v = crate::service::wishes::update_for(&state, &user, body.0).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// A JSON file named after the date, never cached on the way.
pub fn export_response(e: &crate::service::inzage::DataExport) -> HttpResponse {
    let name = format!("opstap-gegevens-{}.json", crate::clock::today());
    HttpResponse::Ok()
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
        .insert_header(("Cache-Control", "no-store"))
        .json(e)
}

#[utoipa::path(post, path = "/api/v1/candidates", tag = "candidates", request_body = CandidateInput,
    responses((status = 201, body = CandidateView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(state: web::Data<AppState>, user: CurrentUser, body: JsonBody<CandidateInput>) -> AppResult<HttpResponse> {
    let c = crate::service::candidates::create_candidate(&state, &user, body.0).await?;
    Ok(HttpResponse::Created().json(view(&c, &state.refdata(), true)))
}

#[utoipa::path(put, path = "/api/v1/candidates/{id}", tag = "candidates", request_body = CandidateInput,
    responses((status = 200, body = CandidateView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: JsonBody<CandidateInput>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let c = crate::service::candidates::update_candidate(&state, &user, &id, body.0).await?;
    Ok(HttpResponse::Ok().json(view(&c, &state.refdata(), true)))
}

/// Erasure (AVG art. 17): removes the candidate's personal data from the database (profile,
/// account, skills, ladder, contact moments, tasks, saved search, mail outbox), from the search
/// index, and unlinks logs and matches from the id. What the quarterly monitor counts stays as an
/// anonymous remainder (`erased_subjects`): municipality, klantmanager, dates, ladder steps.
#[utoipa::path(delete, path = "/api/v1/candidates/{id}", tag = "candidates", params(ErasureInput), request_body(content = Option<ErasureInput>, description = "reason (or ?reason=)"),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    q: web::Query<ErasureInput>,
    body: Option<JsonBody<ErasureInput>>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let reason = body.and_then(|b| b.0.reason).or(q.into_inner().reason).unwrap_or_default();
    let rd = state.env();
    state.tx(move |conn| svc::erase(conn, &Ctx::new(&user, &rd), &id, &reason)).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- Mijn plan

/// The plan of action: goals and the target step (the person, their klantmanager, a beheerder).
#[utoipa::path(get, path = "/api/v1/candidates/{id}/plan", tag = "candidates",
    responses((status = 200, body = crate::service::plan::PlanView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_plan(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(crate::service::plan::get_for(&state, &user, &path.into_inner()).await?))
}

/// The klantmanager adds a goal to the plan.
#[utoipa::path(post, path = "/api/v1/candidates/{id}/plan/goals", tag = "candidates", request_body = crate::service::plan::GoalInput,
    responses((status = 201, body = crate::db::models::PlanGoal), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_goal(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: JsonBody<crate::service::plan::GoalInput>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Created().json(crate::service::plan::add_for(&state, &user, &path.into_inner(), body.0).await?))
}

/// The klantmanager changes a goal.
#[utoipa::path(put, path = "/api/v1/candidates/{id}/plan/goals/{goal_id}", tag = "candidates", request_body = crate::service::plan::GoalInput,
    responses((status = 200, body = crate::db::models::PlanGoal), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_goal(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    body: JsonBody<crate::service::plan::GoalInput>,
) -> AppResult<HttpResponse> {
    let (cid, gid) = path.into_inner();
    Ok(HttpResponse::Ok().json(crate::service::plan::update_for(&state, &user, &cid, &gid, body.0).await?))
}

/// The person's own plan.
#[utoipa::path(get, path = "/api/v1/me/plan", tag = "me",
    responses((status = 200, body = crate::service::plan::PlanView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn own_plan(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let cid = user.own_candidate()?;
    Ok(HttpResponse::Ok().json(crate::service::plan::get_for(&state, &user, &cid).await?))
}

/// The person marks an own (or shared) goal done and comments.
#[utoipa::path(patch, path = "/api/v1/me/plan/goals/{goal_id}", tag = "me", request_body = crate::service::plan::OwnGoalInput,
    responses((status = 200, body = crate::db::models::PlanGoal), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn own_goal(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: JsonBody<crate::service::plan::OwnGoalInput>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(crate::service::plan::own_update_for(&state, &user, &path.into_inner(), body.0).await?))
}

// ---------------------------------------------------------------- suggested skills

/// The person's suggested skills and what became of them.
#[utoipa::path(get, path = "/api/v1/me/skill-suggestions", tag = "me",
    responses((status = 200, body = Vec<crate::service::wishes::SuggestionView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn own_suggestions(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let env = state.env();
    Ok(HttpResponse::Ok().json(state.db(move |conn| crate::service::wishes::own_suggestions(conn, &Ctx::new(&user, &env))).await?))
}

/// The person suggests a skill (ESCO id or Dutch name); the klantmanager confirms or declines.
#[utoipa::path(post, path = "/api/v1/me/skill-suggestions", tag = "me", request_body = crate::service::wishes::SuggestInput,
    responses((status = 201, body = crate::service::wishes::SuggestionView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn suggest_skill(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<crate::service::wishes::SuggestInput>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Created().json(crate::service::wishes::suggest_for(&state, &user, body.0).await?))
}

/// The klantmanager decides on a suggested skill: `bevestigd` adds it to the profile.
#[utoipa::path(post, path = "/api/v1/candidates/{id}/skill-suggestions/{sid}", tag = "candidates", request_body = crate::service::wishes::DecideInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn decide_skill(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    body: JsonBody<crate::service::wishes::DecideInput>,
) -> AppResult<HttpResponse> {
    let (cid, sid) = path.into_inner();
    crate::service::wishes::decide_for(&state, &user, &cid, &sid, body.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
