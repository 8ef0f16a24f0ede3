//! ESCO look-up (suggestions by Dutch label and synonyms), PC4 look-up, and the beheerder's
//! additions: a Dutch label for any skill, and the municipality's own skills.

use crate::auth::CurrentUser;
use crate::db::models::EscoSkill;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::refdata::Suggestion;
use crate::service::esco as svc;
pub use crate::service::esco::{LocalSkillInput, SkillLabelInput};
use crate::service::Ctx;
use crate::state::AppState;
use crate::web::extract::JsonBody;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/esco/occupations", web::get().to(suggest_occupations))
        .route("/esco/occupations/{id}", web::get().to(occupation))
        .route("/esco/skills", web::get().to(suggest_skills))
        .route("/esco/skills", web::post().to(create_skill))
        .route("/esco/skills/{id}", web::put().to(label_skill))
        .route("/pc4/{pc4}", web::get().to(pc4));
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SuggestParams {
    /// What the user typed
    pub q: Option<String>,
    /// 1..=50, default 10
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SuggestResponse {
    pub items: Vec<Suggestion>,
}

fn unavailable_if_empty(has: bool) -> AppResult<()> {
    if has {
        Ok(())
    } else {
        Err(AppError::Unavailable("De ESCO-gegevens zijn niet geladen (opstap import-refdata).".into()))
    }
}

#[utoipa::path(get, path = "/api/v1/esco/occupations", tag = "esco", params(SuggestParams),
    responses((status = 200, body = SuggestResponse), (status = 503, body = ErrorBody)))]
pub async fn suggest_occupations(state: web::Data<AppState>, p: web::Query<SuggestParams>) -> AppResult<HttpResponse> {
    let rd = state.env();
    unavailable_if_empty(rd.has_esco())?;
    let items = rd.suggest_occupations(p.q.as_deref().unwrap_or(""), p.limit.unwrap_or(10).clamp(1, 50));
    Ok(HttpResponse::Ok().json(SuggestResponse { items }))
}

#[utoipa::path(get, path = "/api/v1/esco/skills", tag = "esco", params(SuggestParams),
    responses((status = 200, body = SuggestResponse), (status = 503, body = ErrorBody)))]
pub async fn suggest_skills(state: web::Data<AppState>, p: web::Query<SuggestParams>) -> AppResult<HttpResponse> {
    let rd = state.env();
    unavailable_if_empty(!rd.skills.is_empty())?;
    let items = rd.suggest_skills(p.q.as_deref().unwrap_or(""), p.limit.unwrap_or(10).clamp(1, 50));
    Ok(HttpResponse::Ok().json(SuggestResponse { items }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OccupationDetail {
    pub id: String,
    pub esco_code: String,
    pub label: String,
    pub label_en: String,
    pub alt_labels: Vec<String>,
    pub description: String,
    pub essential_skills: Vec<super::LabelRef>,
    pub optional_skills: Vec<super::LabelRef>,
}

#[utoipa::path(get, path = "/api/v1/esco/occupations/{id}", tag = "esco",
    responses((status = 200, body = OccupationDetail), (status = 404, body = ErrorBody)))]
pub async fn occupation(state: web::Data<AppState>, path: web::Path<String>) -> AppResult<HttpResponse> {
    let rd = state.env();
    let o = rd.occupation(&path).ok_or(AppError::NotFound)?;
    let refs = |ids: &[u32]| ids.iter().map(|&i| super::skill_ref(&rd, &rd.skills[i as usize].id)).collect::<Vec<_>>();
    Ok(HttpResponse::Ok().json(OccupationDetail {
        id: o.id.clone(),
        esco_code: o.esco_code.clone(),
        label: o.label_nl.clone(),
        label_en: o.label_en.clone(),
        alt_labels: o.alt_labels.clone(),
        description: o.description_nl.clone(),
        essential_skills: refs(&o.essential),
        optional_skills: refs(&o.optional),
    }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SkillView {
    pub id: String,
    pub label_nl: Option<String>,
    pub label_en: String,
    pub alt_labels_nl: Vec<String>,
    pub group: String,
    pub municipality_id: Option<String>,
}

impl From<EscoSkill> for SkillView {
    fn from(s: EscoSkill) -> Self {
        SkillView {
            id: s.id,
            label_nl: s.label_nl,
            label_en: s.label_en,
            alt_labels_nl: s.alt_labels_nl.split('|').filter(|x| !x.trim().is_empty()).map(String::from).collect(),
            group: s.group_nl,
            municipality_id: s.municipality_id,
        }
    }
}

#[utoipa::path(put, path = "/api/v1/esco/skills/{id}", tag = "esco", request_body = SkillLabelInput,
    responses((status = 200, body = SkillView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn label_skill(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: JsonBody<SkillLabelInput>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let rd = state.env();
    let s = state.tx(move |conn| svc::label_skill(conn, &Ctx::new(&user, &rd), &id, body.0)).await?;
    state.caught_up().await?;
    Ok(HttpResponse::Ok().json(SkillView::from(s)))
}

#[utoipa::path(post, path = "/api/v1/esco/skills", tag = "esco", request_body = LocalSkillInput,
    responses((status = 201, body = SkillView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_skill(state: web::Data<AppState>, user: CurrentUser, body: JsonBody<LocalSkillInput>) -> AppResult<HttpResponse> {
    let rd = state.env();
    let s = state.tx(move |conn| svc::create_skill(conn, &Ctx::new(&user, &rd), body.0)).await?;
    state.caught_up().await?;
    Ok(HttpResponse::Created().json(SkillView::from(s)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Pc4View {
    pub pc4: String,
    pub place: String,
    pub municipality: String,
    pub municipality_code: String,
    pub lat: f64,
    pub lon: f64,
}

#[utoipa::path(get, path = "/api/v1/pc4/{pc4}", tag = "esco",
    responses((status = 200, body = Pc4View), (status = 404, body = ErrorBody)))]
pub async fn pc4(state: web::Data<AppState>, path: web::Path<String>) -> AppResult<HttpResponse> {
    let rd = state.env();
    let p = rd.pc4.get(path.as_str()).ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(Pc4View {
        pc4: path.into_inner(),
        place: p.place.clone(),
        municipality: p.municipality.clone(),
        municipality_code: p.municipality_code.clone(),
        lat: p.lat,
        lon: p.lon,
    }))
}
