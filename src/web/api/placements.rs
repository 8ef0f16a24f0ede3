//! Vacancies and placements. Published = status open and the organisation verified.

use super::{occupation_ref, skill_ref, LabelRef};
use crate::auth::{CurrentUser, MaybeUser};
use crate::db::models::{Placement, PlacementSkill};
use crate::db::now;
use crate::db::queries::{placement_full, PlacementFull};
use crate::domain::{kinds, language, one_of, FieldError, PlacementKind, PLACEMENT_STATUSES};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::refdata::RefData;
use crate::service::placements as svc;
pub use crate::service::placements::can_see;
use crate::state::AppState;
use crate::web::extract::JsonBody;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/placements", web::get().to(list))
        .route("/placements", web::post().to(create))
        .route("/placements/{id}", web::get().to(get))
        .route("/placements/{id}", web::put().to(update))
        .route("/placements/{id}", web::delete().to(delete));
}

fn default_positions() -> i32 {
    1
}
fn default_status() -> String {
    crate::domain::PlacementStatus::Open.as_str().into()
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct PlacementInput {
    /// Required for klantmanager/beheerder; a werkgever always posts for its own organisation.
    pub organisation_id: Option<String>,
    pub kind: PlacementKind,
    #[validate(length(min = 1, max = 200, message = "Vul een titel in (hoogstens 200 tekens)."))]
    pub title: String,
    #[validate(length(max = 10000, message = "Hoogstens 10.000 tekens."))]
    #[serde(default)]
    pub description: String,
    /// ESCO occupation id
    pub occupation_id: Option<String>,
    /// ESCO skill ids that are required (essential)
    #[serde(default)]
    pub required_skills: Vec<String>,
    /// ESCO skill ids that are desired
    #[serde(default)]
    pub desired_skills: Vec<String>,
    #[validate(range(min = 1, max = 60, message = "Uren per week liggen tussen 1 en 60."))]
    pub hours_min: i32,
    #[validate(range(min = 1, max = 60, message = "Uren per week liggen tussen 1 en 60."))]
    pub hours_max: i32,
    pub pc4: String,
    /// Gross hourly wage in cents, for paid kinds
    #[validate(range(min = 1, max = 100000, message = "Het uurloon ligt tussen 1 cent en € 1.000."))]
    pub hourly_wage_cents: Option<i32>,
    /// 1F/2F/3F/4F or A1..C2
    pub language_level_required: Option<String>,
    /// Candidates' current ladder steps this placement suits (1..6); default by kind
    pub ladder_steps: Option<Vec<i32>>,
    #[serde(default)]
    pub internal_supervisor: bool,
    #[serde(default)]
    pub job_coach_welcome: bool,
    #[serde(default)]
    pub adapted_workplace: bool,
    #[serde(default)]
    pub lks_accepted: bool,
    #[serde(default)]
    pub counts_banenafspraak: bool,
    /// Combines work with learning Dutch (valuable for statushouders)
    #[serde(default)]
    pub language_learning: bool,
    pub sroi_contract_id: Option<String>,
    #[validate(range(min = 1, max = 1000, message = "Aantal plaatsen ligt tussen 1 en 1000."))]
    #[serde(default = "default_positions")]
    pub positions: i32,
    pub start_date: Option<NaiveDate>,
    pub duration_months: Option<i32>,
    pub extension_months: Option<i32>,
    /// draft | open | filled | closed (default open)
    #[serde(default = "default_status")]
    pub status: String,
    /// For updates: the version you read; a stale version gets 409.
    pub version: Option<i32>,
}

impl PlacementInput {
    /// Domain checks that need reference data; returns all field errors at once.
    pub fn check(&self, rd: &RefData) -> Vec<FieldError> {
        let mut errs = Vec::new();
        if self.hours_min > self.hours_max {
            let m = "Het minimum aantal uren is groter dan het maximum.";
            errs.push(FieldError::new("hours_min", m));
            errs.push(FieldError::new("hours_max", m));
        }
        if let Some(e) = rd.check_pc4("pc4", self.pc4.trim()) {
            errs.push(e);
        }
        if let Some(o) = &self.occupation_id {
            if rd.has_esco() && rd.occupation(o).is_none() {
                errs.push(FieldError::new("occupation_id", "Onbekend ESCO-beroep."));
            }
        }
        for (name, list) in [("required_skills", &self.required_skills), ("desired_skills", &self.desired_skills)] {
            for (i, s) in list.iter().enumerate() {
                if rd.has_esco() && rd.skill(s).is_none() {
                    errs.push(FieldError::new(format!("{name}[{i}]"), "Onbekende ESCO-vaardigheid."));
                }
            }
        }
        for (i, s) in self.desired_skills.iter().enumerate() {
            if self.required_skills.contains(s) {
                errs.push(FieldError::new(format!("desired_skills[{i}]"), "Deze vaardigheid staat al bij de vereiste vaardigheden."));
            }
        }
        if self.kind.is_paid() {
            if self.hourly_wage_cents.is_none() {
                errs.push(FieldError::new("hourly_wage_cents", "Geef het bruto uurloon op: dit is betaald werk."));
            }
        } else if self.hourly_wage_cents.is_some() {
            errs.push(FieldError::new("hourly_wage_cents", "Dit soort plaats is onbetaald; laat het uurloon leeg."));
        }
        if let Some(l) = &self.language_level_required {
            if language::rank(l).is_none() {
                errs.push(FieldError::new("language_level_required", "Kies een taalniveau: 1F, 2F, 3F, 4F of A1 t/m C2."));
            }
        }
        if let Some(steps) = &self.ladder_steps {
            if steps.is_empty() {
                errs.push(FieldError::new("ladder_steps", "Kies minstens één trede (1 t/m 6)."));
            }
            for (i, s) in steps.iter().enumerate() {
                if !crate::domain::ladder::is_valid_step(*s) {
                    errs.push(FieldError::new(format!("ladder_steps[{i}]"), "Een trede van de participatieladder ligt tussen 1 en 6."));
                }
            }
        }
        if let Some(e) = one_of("status", &self.status, PLACEMENT_STATUSES) {
            errs.push(e);
        }
        errs.extend(kinds::check_duration(self.kind, self.duration_months, self.extension_months));
        errs.extend(crate::domain::check_date_ranges([("start_date", self.start_date)]));
        errs
    }

    fn ladder_steps_text(&self) -> String {
        let mut steps = self.ladder_steps.clone().unwrap_or_else(|| self.kind.default_ladder_steps().to_vec());
        steps.sort_unstable();
        steps.dedup();
        steps.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(",")
    }

    pub(crate) fn to_row(&self, id: String, organisation_id: String, version: i32, created: chrono::NaiveDateTime) -> Placement {
        Placement {
            id,
            organisation_id,
            kind: self.kind.as_str().into(),
            title: self.title.trim().into(),
            description: self.description.trim().into(),
            occupation_id: self.occupation_id.clone(),
            hours_min: self.hours_min,
            hours_max: self.hours_max,
            pc4: self.pc4.trim().into(),
            hourly_wage_cents: self.hourly_wage_cents,
            language_level_required: self.language_level_required.as_deref().and_then(language::normalise),
            ladder_steps: self.ladder_steps_text(),
            internal_supervisor: self.internal_supervisor,
            job_coach_welcome: self.job_coach_welcome,
            adapted_workplace: self.adapted_workplace,
            lks_accepted: self.lks_accepted,
            counts_banenafspraak: self.counts_banenafspraak,
            sroi_contract_id: self.sroi_contract_id.clone(),
            positions: self.positions,
            start_date: self.start_date,
            duration_months: self.duration_months,
            extension_months: self.extension_months,
            status: self.status.clone(),
            version,
            created_at: created,
            updated_at: now(),
            language_learning: self.language_learning,
        }
    }

    pub(crate) fn skill_rows(&self, placement_id: &str) -> Vec<PlacementSkill> {
        let mut seen = std::collections::HashSet::new();
        self.required_skills
            .iter()
            .map(|s| (s, true))
            .chain(self.desired_skills.iter().map(|s| (s, false)))
            .filter(|(s, _)| seen.insert((*s).clone()))
            .map(|(s, r)| PlacementSkill { placement_id: placement_id.into(), skill_id: s.clone(), required: r })
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlacementView {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub kind: String,
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
    let kind = PlacementKind::parse(&pl.kind);
    PlacementView {
        id: pl.id.clone(),
        organisation_id: pl.organisation_id.clone(),
        organisation_name: p.organisation.name.clone(),
        kind: pl.kind.clone(),
        kind_label: kind.map(|k| k.label_nl().to_string()).unwrap_or_default(),
        paid: kind.map(|k| k.is_paid()).unwrap_or(false),
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
        status: pl.status.clone(),
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
    let id = path.into_inner();
    let p = state.db(move |conn| Ok(placement_full(conn, &id)?)).await?.ok_or(AppError::NotFound)?;
    if !can_see(user.0.as_ref(), &p) {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::Ok().json(view(&p, &state.refdata())))
}

#[utoipa::path(post, path = "/api/v1/placements", tag = "placements", request_body = PlacementInput,
    responses((status = 201, body = PlacementView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(state: web::Data<AppState>, user: CurrentUser, body: JsonBody<PlacementInput>) -> AppResult<HttpResponse> {
    let id = create_placement(&state, &user, body.0).await?;
    let p = state.db(move |conn| Ok(placement_full(conn, &id)?)).await?.ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Created().json(view(&p, &state.refdata())))
}

/// Creates a placement (shared by the API and the pages); returns its id.
pub async fn create_placement(state: &AppState, user: &CurrentUser, input: PlacementInput) -> AppResult<String> {
    let (user, rd) = (user.clone(), state.env());
    state.tx(move |conn| svc::create(conn, &svc::Ctx::new(&user, &rd), &input)).await
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
    let id = path.into_inner();
    update_placement(&state, &user, &id, body.0).await?;
    let p = state.db(move |conn| Ok(placement_full(conn, &id)?)).await?.ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(view(&p, &state.refdata())))
}

/// Updates a placement the user may edit (API and pages).
pub async fn update_placement(state: &AppState, user: &CurrentUser, id: &str, input: PlacementInput) -> AppResult<()> {
    let (user, rd, id) = (user.clone(), state.env(), id.to_string());
    state.tx(move |conn| svc::update(conn, &svc::Ctx::new(&user, &rd), &id, &input)).await
}

#[utoipa::path(delete, path = "/api/v1/placements/{id}", tag = "placements",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let (id, rd) = (path.into_inner(), state.env());
    state.tx(move |conn| svc::delete(conn, &svc::Ctx::new(&user, &rd), &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
