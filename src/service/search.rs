//! Searching placements and candidates: the index ranks and counts. What a placement hit shows
//! comes from the in-memory store fed by the same change-feed batches as the index (see
//! `placements`); what a candidate hit shows is read fresh from the database (a hit whose row is
//! gone, or no longer in the searcher's municipality, is left out). Used by the search API and
//! pages; the index query itself is built from checked parameters by
//! `web::api::search::placement_query` and the candidate search's parser.

use crate::auth::CurrentUser;
use crate::db::queries::{CandidateFull, PlacementHitRow};
use crate::db::DbConnection;
use crate::domain::{language, FieldError, PlacementKind, Role};
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use crate::search::query::{CandidateQuery, FacetMap, GeoCircle, PlacementQuery};
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// One page of hits in the index's order, with the total and the facet counts of all matches.
pub struct Found<T> {
    pub total: usize,
    pub hits: Vec<(T, f32)>,
    pub facets: FacetMap,
}

/// Keeps the index's order and score for the rows that were found.
fn in_order<T>(ranked: Vec<(String, f32)>, rows: Vec<T>, id: impl Fn(&T) -> &str) -> Vec<(T, f32)> {
    let mut by_id: HashMap<String, T> = rows.into_iter().map(|r| (id(&r).to_string(), r)).collect();
    ranked.into_iter().filter_map(|(i, score)| by_id.remove(&i).map(|r| (r, score))).collect()
}

/// Placements for anyone (the query says whether only published ones count).
///
/// The index ranks and counts, and what a hit shows comes from the in-memory store, which the
/// index writer updates from the same change-feed batch as the index: no database read and no
/// hand-off to the blocking pool, so this runs on the request's own worker (a search is CPU work
/// on the memory-mapped index). Hits the store does not hold (it is loaded after the index at
/// start, or not at all in a one-off CLI process) are read from the database; a hit whose row is
/// gone there is left out.
pub async fn placements(state: &AppState, pq: &PlacementQuery) -> AppResult<Found<PlacementHitRow>> {
    let res = state.engine.search_placements(pq).map_err(AppError::Internal)?;
    let (mut rows, missing) = state.engine.features.read(|f| {
        let mut rows = Vec::with_capacity(res.hits.len());
        let mut missing = Vec::new();
        for (id, _) in &res.hits {
            match f.placement_hit(id) {
                Some(r) => rows.push(r),
                None => missing.push(id.clone()),
            }
        }
        (rows, missing)
    });
    if !missing.is_empty() {
        rows.extend(state.db(move |conn| Ok(crate::db::queries::placement_hits(conn, &missing)?)).await?);
    }
    Ok(Found { total: res.total, hits: in_order(res.hits, rows, |r| r.id.as_str()), facets: res.facets })
}

/// Candidates of the klantmanager's own municipality (the query carries it; the rows are checked
/// against the database too). Showing them is an access to personal data: audited.
pub fn candidates(conn: &mut DbConnection, user: &CurrentUser, engine: &Engine, cq: &CandidateQuery) -> AppResult<Found<CandidateFull>> {
    user.require(&[Role::Klantmanager])?;
    let m = user.municipality()?.to_string();
    if cq.municipality_id != m {
        return Err(AppError::Forbidden);
    }
    // "Under the youth age" is the municipality's setting on today's date (Europe/Amsterdam), so
    // it is answered from the birth dates here, not from the index.
    let mut cq = cq.clone();
    if let Some(i) = cq.flags.iter().position(|f| f == "under_27") {
        cq.flags.remove(i);
        let youth_age = crate::engine::ranking::load_settings(conn, &m)?.0.youth_age;
        cq.only_ids = Some(crate::db::queries::candidates_younger_than(conn, &m, youth_age, crate::clock::today())?);
    }
    let res = engine.search_candidates(&cq).map_err(AppError::Internal)?;
    let ids: Vec<String> = res.hits.iter().map(|(id, _)| id.clone()).collect();
    let cs = crate::db::queries::candidates_in_municipality(conn, &ids, &m)?;
    let subjects: Vec<(&str, Option<&str>)> = cs.iter().map(|c| (c.id.as_str(), Some(c.municipality_id.as_str()))).collect();
    crate::audit::record(
        conn,
        &crate::audit::Actor::from(user),
        &subjects,
        crate::audit::access(crate::audit::Act::View, "profiel (zoekresultaat)", crate::audit::purpose::BEGELEIDING),
    )?;
    let rows = crate::db::queries::candidates_full(conn, cs)?;
    Ok(Found { total: res.total, hits: in_order(res.hits, rows, |c| c.candidate.id.as_str()), facets: res.facets })
}

// ---------------------------------------------------------------- the placement search's filters

pub fn split(s: &Option<String>) -> Vec<String> {
    s.as_deref().map(|s| s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect()).unwrap_or_default()
}

pub fn geo(state: &AppState, pc4: &Option<String>, max_km: Option<f64>, errs: &mut Vec<FieldError>) -> Option<GeoCircle> {
    let rd = state.refdata();
    match (pc4, max_km) {
        (Some(pc), km) => {
            if let Some(e) = rd.check_pc4("pc4", pc.trim()) {
                errs.push(e);
                return None;
            }
            let km = km.unwrap_or(25.0);
            if !(0.0..=500.0).contains(&km) {
                errs.push(FieldError::new("max_km", "De afstand ligt tussen 0 en 500 km."));
                return None;
            }
            match rd.pc4.get(pc.trim()) {
                Some(p) => Some(GeoCircle { lat: p.lat, lon: p.lon, km }),
                None => {
                    errs.push(FieldError::new("pc4", "Afstand zoeken kan niet: de postcodetabel is niet geladen."));
                    None
                }
            }
        }
        (None, Some(_)) => {
            errs.push(FieldError::new("pc4", "Geef een postcode op om op afstand te zoeken."));
            None
        }
        (None, None) => None,
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams, ToSchema)]
pub struct PlacementSearchParams {
    /// Free text (Dutch stemming, parts of compounds, one-letter typos): every word in the title, the
    /// description, or a label (or synonym) of the occupation or a skill
    pub q: Option<String>,
    /// One or more kinds, comma-separated
    pub kind: Option<String>,
    /// Centre of the distance filter
    pub pc4: Option<String>,
    /// Maximum distance in km from `pc4` (default 25)
    pub max_km: Option<f64>,
    /// Hours per week the placement must allow
    pub hours: Option<u64>,
    /// A candidate's current ladder step the placement must suit
    pub ladder_step: Option<u64>,
    /// The searcher's Dutch level: placements requiring more are left out
    pub language_level: Option<String>,
    /// Comma-separated: support, job_coach_welcome, internal_supervisor, adapted_workplace, lks_accepted, counts_banenafspraak
    pub flags: Option<String>,
    /// Shorthand for flags=support
    pub with_support: Option<bool>,
    pub occupation_id: Option<String>,
    /// Comma-separated ESCO skill ids, all required
    pub skill_id: Option<String>,
    pub organisation_id: Option<String>,
    /// Staff only: comma-separated statuses (default: published placements)
    pub status: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

const FLAGS: &[&str] = &["support", "job_coach_welcome", "internal_supervisor", "adapted_workplace", "lks_accepted", "counts_banenafspraak"];

/// Checks the filters of a placement search and builds the index query (shared by the search
/// endpoint, the pages and the saved-search digest).
/// The longest free-text search accepted (and stored in a saved engine).
pub const MAX_QUERY_CHARS: usize = 200;

pub fn placement_query(state: &AppState, p: &PlacementSearchParams, staff: bool) -> AppResult<PlacementQuery> {
    let mut errs = Vec::new();
    let kinds = split(&p.kind);
    for k in &kinds {
        if PlacementKind::parse(k).is_none() {
            errs.push(FieldError::new("kind", format!("Onbekende soort plaats '{k}'.")));
        }
    }
    let mut flags = split(&p.flags);
    if p.with_support == Some(true) {
        flags.push("support".into());
    }
    for f in &flags {
        if !FLAGS.contains(&f.as_str()) {
            errs.push(FieldError::new("flags", format!("Onbekend filter '{f}'. Kies uit: {}.", FLAGS.join(", "))));
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
    if p.hours.is_some_and(|h| h == 0 || h > 60) {
        errs.push(FieldError::new("hours", "Uren per week liggen tussen 1 en 60."));
    }
    if p.ladder_step.is_some_and(|s| !(1..=6).contains(&s)) {
        errs.push(FieldError::new("ladder_step", "Een trede van de participatieladder ligt tussen 1 en 6."));
    }
    let statuses = split(&p.status);
    if !statuses.is_empty() && !staff {
        errs.push(FieldError::new("status", "Alleen medewerkers van de gemeente kunnen op status zoeken."));
    }
    if p.q.as_ref().is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS) {
        errs.push(FieldError::new("q", format!("Een zoekopdracht is hoogstens {MAX_QUERY_CHARS} tekens lang.")));
    }
    let g = geo(state, &p.pc4, p.max_km, &mut errs);
    AppError::check(errs)?;
    // A kind named in the text ("vrijwilligerswerk") filters on the kind.
    let (named, rest) = p.q.as_deref().map(PlacementKind::named_in).unwrap_or_default();
    let mut kinds: Vec<String> = kinds.iter().filter_map(|k| PlacementKind::parse(k)).map(|k| k.as_str().to_string()).collect();
    if kinds.is_empty() {
        kinds = named.iter().map(|k| k.as_str().to_string()).collect();
    }
    let q = if named.is_empty() { p.q.clone() } else { Some(rest).filter(|r| !r.trim().is_empty()) };
    Ok(PlacementQuery {
        q,
        kinds,
        geo: g,
        hours: p.hours,
        ladder_step: p.ladder_step,
        language_rank,
        flags,
        occupation_id: p.occupation_id.clone(),
        skill_ids: split(&p.skill_id),
        organisation_id: p.organisation_id.clone(),
        published_only: statuses.is_empty(),
        statuses,
        limit: p.limit.unwrap_or(20).clamp(1, 100),
        offset: p.offset.unwrap_or(0),
    })
}
