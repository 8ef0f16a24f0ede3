//! Vacancies and placements. Published = status open and the organisation verified.

use super::{occupation_ref, skill_ref, LabelRef};
use crate::auth::CurrentUser;
use crate::db::queries::PlacementFull;
use crate::domain::PlacementKind;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::refdata::RefData;
use crate::service::placements as svc;
use crate::state::AppState;
use crate::web::auth::MaybeUser;
use crate::web::extract::JsonBody;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/placements", web::get().to(list))
        .route("/placements", web::post().to(create))
        .route("/placements/{id}", web::get().to(get))
        .route("/placements/{id}", web::put().to(update))
        .route("/placements/{id}", web::delete().to(delete));
}

pub use crate::service::placements::PlacementInput;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlacementView {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub kind: PlacementKind,
    pub kind_label: String,
    pub paid: bool,
    pub title: String,
    pub description: String,
    pub occupation: Option<LabelRef>,
    pub required_skills: Vec<LabelRef>,
    pub desired_skills: Vec<LabelRef>,
    pub hours_min: i32,
    pub hours_max: i32,
    pub pc4: String,
    pub place: Option<String>,
    pub hourly_wage_cents: Option<i32>,
    pub language_level_required: Option<String>,
    pub ladder_steps: Vec<i32>,
    pub internal_supervisor: bool,
    pub job_coach_welcome: bool,
    pub adapted_workplace: bool,
    pub lks_accepted: bool,
    pub counts_banenafspraak: bool,
    pub language_learning: bool,
    pub sroi_contract_id: Option<String>,
    pub positions: i32,
    pub start_date: Option<NaiveDate>,
    pub duration_months: Option<i32>,
    pub extension_months: Option<i32>,
    pub status: String,
    /// Visible to candidates and the public (open, organisation verified).
    pub published: bool,
    pub version: i32,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

pub fn view(p: &PlacementFull, rd: &RefData) -> PlacementView {
    let pl = &p.placement;
    let kind = pl.kind;
    PlacementView {
        id: pl.id.clone(),
        organisation_id: pl.organisation_id.clone(),
        organisation_name: p.organisation.name.clone(),
        kind,
        kind_label: kind.label_nl().to_string(),
        paid: kind.is_paid(),
        title: pl.title.clone(),
        description: pl.description.clone(),
        occupation: pl.occupation_id.as_deref().map(|o| occupation_ref(rd, o)),
        required_skills: p.skills.iter().filter(|s| s.required).map(|s| skill_ref(rd, &s.skill_id)).collect(),
        desired_skills: p.skills.iter().filter(|s| !s.required).map(|s| skill_ref(rd, &s.skill_id)).collect(),
        hours_min: pl.hours_min,
        hours_max: pl.hours_max,
        pc4: pl.pc4.clone(),
        place: rd.pc4.get(&pl.pc4).map(|p| p.place.clone()),
        hourly_wage_cents: pl.hourly_wage_cents,
        language_level_required: pl.language_level_required.clone(),
        ladder_steps: pl.ladder_steps_vec(),
        internal_supervisor: pl.internal_supervisor,
        job_coach_welcome: pl.job_coach_welcome,
        adapted_workplace: pl.adapted_workplace,
        lks_accepted: pl.lks_accepted,
        counts_banenafspraak: pl.counts_banenafspraak,
        language_learning: pl.language_learning,
        sroi_contract_id: pl.sroi_contract_id.clone(),
        positions: pl.positions,
        start_date: pl.start_date,
        duration_months: pl.duration_months,
        extension_months: pl.extension_months,
        status: pl.status.as_str().into(),
        published: p.is_published(),
        version: pl.version,
        created_at: pl.created_at,
        updated_at: pl.updated_at,
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    pub organisation_id: Option<String>,
    pub status: Option<String>,
    pub kind: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/placements", tag = "placements", params(ListParams),
    responses((status = 200, body = super::Page<PlacementView>)))]
pub async fn list(state: web::Data<AppState>, user: MaybeUser, q: web::Query<ListParams>) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let user = user.0;
    let limit = q.limit.unwrap_or(50).clamp(1, 200) as i64;
    let offset = q.offset.unwrap_or(0) as i64;
    if let Some(k) = &q.kind {
        if PlacementKind::parse(k).is_none() {
            return Err(AppError::field("kind", "Onbekende soort plaats."));
        }
    }
    let rd = state.env();
    let f = svc::ListFilter { organisation_id: q.organisation_id, status: q.status, kind: q.kind, limit, offset };
    let (total, items) = state.db(move |conn| svc::list(conn, user.as_ref(), &f)).await?;
    Ok(HttpResponse::Ok().json(super::Page { total: total as usize, items: items.iter().map(|p| view(p, &rd)).collect() }))
}

#[utoipa::path(get, path = "/api/v1/placements/{id}", tag = "placements",
    responses((status = 200, body = PlacementView), (status = 404, body = ErrorBody)))]
pub async fn get(state: web::Data<AppState>, user: MaybeUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let p = svc::show(&state, user.0.as_ref(), &path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view(&p, &state.refdata())))
}

#[utoipa::path(post, path = "/api/v1/placements", tag = "placements", request_body = PlacementInput,
    responses((status = 201, body = PlacementView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(state: web::Data<AppState>, user: CurrentUser, body: JsonBody<PlacementInput>) -> AppResult<HttpResponse> {
    let p = svc::create_placement(&state, &user, body.0).await?;
    Ok(HttpResponse::Created().json(view(&p, &state.refdata())))
}

#[utoipa::path(put, path = "/api/v1/placements/{id}", tag = "placements", request_body = PlacementInput,
    responses((status = 200, body = PlacementView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: JsonBody<PlacementInput>,
) -> AppResult<HttpResponse> {
    let p = svc::update_placement(&state, &user, &path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(view(&p, &state.refdata())))
}

#[utoipa::path(delete, path = "/api/v1/placements/{id}", tag = "placements",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let (id, rd) = (path.into_inner(), state.env());
    state.tx(move |conn| svc::delete(conn, &svc::Ctx::new(&user, &rd), &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
