//! Search endpoints: placements (everyone; the public sees published ones) and candidates
//! (klantmanagers, own municipality only). Hits come from the index; what is shown is read
//! fresh from the database.

use crate::auth::CurrentUser;
use crate::domain::{language, FieldError, PlacementKind, Role};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::search::query::{CandidateQuery, GeoCircle};
use crate::state::AppState;
use crate::web::auth::MaybeUser;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/search/placements", web::get().to(search_placements))
        .route("/search/candidates", web::get().to(search_candidates))
        .route("/admin/reindex", web::post().to(reindex));
}

use crate::service::search::{geo, split};
pub use crate::service::search::{placement_query, PlacementSearchParams, MAX_QUERY_CHARS};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlacementHit {
    pub id: String,
    pub score: f32,
    pub title: String,
    pub kind: PlacementKind,
    pub kind_label: String,
    pub organisation_name: String,
    pub pc4: String,
    pub place: Option<String>,
    pub distance_km: Option<f64>,
    pub hours_min: i32,
    pub hours_max: i32,
    pub job_coach_welcome: bool,
    pub internal_supervisor: bool,
    pub adapted_workplace: bool,
    pub status: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchResponse<T> {
    pub total: usize,
    pub hits: Vec<T>,
    /// facet -> value -> count (over all matches, not just this page)
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
}

#[utoipa::path(get, path = "/api/v1/search/placements", tag = "search", params(PlacementSearchParams),
    responses((status = 200, body = SearchResponse<PlacementHit>), (status = 422, body = ErrorBody)))]
pub async fn search_placements(state: web::Data<AppState>, user: MaybeUser, p: web::Query<PlacementSearchParams>) -> AppResult<HttpResponse> {
    let p = p.into_inner();
    let staff = user.0.as_ref().is_some_and(|u| matches!(u.role, Role::Klantmanager | Role::Beheerder));
    let pq = placement_query(&state, &p, staff)?;
    let g = pq.geo;

    let found = crate::service::search::placements(&state, &pq).await?;
    let rd = state.refdata();
    let hits = found
        .hits
        .into_iter()
        .map(|(p, score)| PlacementHit {
            kind_label: p.kind.label_nl().to_string(),
            place: rd.pc4.get(&p.pc4).map(|x| x.place.clone()),
            distance_km: pc4_distance(&rd, &p.pc4, g),
            id: p.id,
            score,
            title: p.title,
            kind: p.kind,
            organisation_name: p.organisation_name,
            pc4: p.pc4,
            hours_min: p.hours_min,
            hours_max: p.hours_max,
            job_coach_welcome: p.job_coach_welcome,
            internal_supervisor: p.internal_supervisor,
            adapted_workplace: p.adapted_workplace,
            status: p.status,
        })
        .collect();
    let body = SearchResponse { total: found.total, hits, facets: found.facets };
    Ok(HttpResponse::Ok().json(body))
}

/// Distance from the search's centre to a PC4 centroid, to one decimal.
fn pc4_distance(rd: &crate::refdata::RefData, pc4: &str, g: Option<GeoCircle>) -> Option<f64> {
    let g = g?;
    let p = rd.pc4.get(pc4)?;
    Some((crate::domain::geo::haversine_km(g.lat, g.lon, p.lat, p.lon) * 10.0).round() / 10.0)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CandidateSearchParams {
    /// Free text: every word in a label (or synonym) of an occupation or skill of the candidate, or
    /// a skill in their own words (no names: they are not indexed)
    pub q: Option<String>,
    /// Only my caseload
    pub mine: Option<bool>,
    /// Comma-separated statuses (default: actief)
    pub status: Option<String>,
    pub ladder_min: Option<u64>,
    pub ladder_max: Option<u64>,
    pub pc4: Option<String>,
    pub max_km: Option<f64>,
    pub hours: Option<u64>,
    /// Minimum Dutch level
    pub language_level: Option<String>,
    /// Comma-separated: needs_job_coach, doelgroepregister, beschut_werk_indicatie, lks_target_group, statushouder, own_transport, driving_licence, startkwalificatie, consent_matching, under_27
    pub flags: Option<String>,
    /// Comma-separated ESCO occupation ids (any)
    pub occupation_id: Option<String>,
    /// Comma-separated ESCO skill ids (all)
    pub skill_id: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CandidateHit {
    pub id: String,
    pub score: f32,
    pub first_name: String,
    pub last_name: String,
    pub klantmanager_id: String,
    pub pc4: String,
    pub place: Option<String>,
    pub distance_km: Option<f64>,
    pub ladder_step: Option<i32>,
    pub hours_min: i32,
    pub hours_max: i32,
    pub language_level: Option<String>,
    pub occupations: Vec<super::LabelRef>,
    pub status: String,
}

const CANDIDATE_FLAGS: &[&str] = &[
    "needs_job_coach",
    "doelgroepregister",
    "beschut_werk_indicatie",
    "lks_target_group",
    "statushouder",
    "own_transport",
    "driving_licence",
    "startkwalificatie",
    "consent_matching",
    "under_27",
];

#[utoipa::path(get, path = "/api/v1/search/candidates", tag = "search", params(CandidateSearchParams),
    responses((status = 200, body = SearchResponse<CandidateHit>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn search_candidates(state: web::Data<AppState>, user: CurrentUser, p: web::Query<CandidateSearchParams>) -> AppResult<HttpResponse> {
    user.require(&[Role::Klantmanager])?;
    let p = p.into_inner();
    let mut errs = Vec::new();
    let flags = split(&p.flags);
    for f in &flags {
        if !CANDIDATE_FLAGS.contains(&f.as_str()) {
            errs.push(FieldError::new("flags", format!("Onbekend filter '{f}'. Kies uit: {}.", CANDIDATE_FLAGS.join(", "))));
        }
    }
    for (name, v) in [("ladder_min", p.ladder_min), ("ladder_max", p.ladder_max)] {
        if v.is_some_and(|s| !(1..=6).contains(&s)) {
            errs.push(FieldError::new(name, "Een trede van de participatieladder ligt tussen 1 en 6."));
        }
    }
    let language_rank = match &p.language_level {
        Some(l) => match language::rank(l) {
            Some(r) => Some(r as u64),
            None => {
                errs.push(FieldError::new("language_level", "Kies een taalniveau: 1F, 2F, 3F, 4F of A1 t/m C2."));
                None
            }
        },
        None => None,
    };
    let g = geo(&state, &p.pc4, p.max_km, &mut errs);
    AppError::check(errs)?;
    let mut statuses = split(&p.status);
    if statuses.is_empty() {
        statuses.push(crate::domain::ACTIEF.into());
    }
    let cq = CandidateQuery {
        q: p.q.clone(),
        municipality_id: user.municipality()?.to_string(),
        klantmanager_id: p.mine.unwrap_or(false).then(|| user.id.clone()),
        statuses,
        ladder_min: p.ladder_min,
        ladder_max: p.ladder_max,
        geo: g,
        hours: p.hours,
        language_rank,
        flags,
        occupation_ids: split(&p.occupation_id),
        skill_ids: split(&p.skill_id),
        only_ids: None,
        limit: p.limit.unwrap_or(20).clamp(1, 100),
        offset: p.offset.unwrap_or(0),
    };
    let search = state.engine.clone();
    let rd = state.refdata();
    let body = state
        .db(move |conn| {
            let found = crate::service::search::candidates(conn, &user, &search, &cq)?;
            let hits = found
                .hits
                .into_iter()
                .map(|(c, score)| {
                    let ca = c.candidate;
                    CandidateHit {
                        place: rd.pc4.get(&ca.pc4).map(|x| x.place.clone()),
                        distance_km: pc4_distance(&rd, &ca.pc4, g),
                        ladder_step: c.ladder.as_ref().map(|l| l.step),
                        occupations: c.occupations.iter().map(|o| super::occupation_ref(&rd, &o.occupation_id)).collect(),
                        id: ca.id,
                        score,
                        first_name: ca.first_name,
                        last_name: ca.last_name,
                        klantmanager_id: ca.klantmanager_id,
                        pc4: ca.pc4,
                        hours_min: ca.hours_min,
                        hours_max: ca.hours_max,
                        language_level: ca.language_level,
                        status: ca.status.as_str().into(),
                    }
                })
                .collect();
            Ok(SearchResponse { total: found.total, hits, facets: found.facets })
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReindexView {
    pub placements: usize,
    pub candidates: usize,
}

#[utoipa::path(post, path = "/api/v1/admin/reindex", tag = "search",
    responses((status = 200, body = ReindexView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn reindex(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    user.require(&[Role::Beheerder])?;
    // Every instance rebuilds its own index when it reads this from the change feed; this one
    // answers when its own rebuild is done.
    let seq = state.db(|conn| Ok(crate::db::changes::record_now(conn, crate::db::changes::Entity::Rebuild, "admin")?)).await?;
    state.engine.nudge();
    let search = state.engine.clone();
    let done = web::block(move || search.wait_applied(seq, std::time::Duration::from_secs(3600))).await?;
    if !done {
        return Err(AppError::Internal(anyhow::anyhow!("the index rebuild did not finish in time; /health shows its state")));
    }
    let (p, c) = state.engine.num_docs();
    Ok(HttpResponse::Ok().json(ReindexView { placements: p as usize, candidates: c as usize }))
}
