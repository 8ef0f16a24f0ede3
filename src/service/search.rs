//! Searching placements and candidates: the index ranks and counts. What a placement hit shows
//! comes from the in-memory store fed by the same change-feed batches as the index (see
//! `placements`); what a candidate hit shows is read fresh from the database (a hit whose row is
//! gone, or no longer in the searcher's municipality, is left out). Used by the search API and
//! pages; the index query itself is built from checked parameters by
//! `web::api::search::placement_query` and the candidate search's parser.

use crate::auth::CurrentUser;
use crate::db::queries::{CandidateFull, PlacementHitRow};
use crate::db::DbConnection;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::search::query::{CandidateQuery, FacetMap, PlacementQuery};
use crate::search::SearchIndex;
use crate::state::AppState;
use std::collections::HashMap;

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
    let res = state.search.search_placements(pq).map_err(AppError::Internal)?;
    let (mut rows, missing) = state.search.features.read(|f| {
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
pub fn candidates(conn: &mut DbConnection, user: &CurrentUser, search: &SearchIndex, cq: &CandidateQuery) -> AppResult<Found<CandidateFull>> {
    user.require(&[Role::Klantmanager])?;
    let m = user.municipality()?.to_string();
    if cq.municipality_id != m {
        return Err(AppError::Forbidden);
    }
    let res = search.search_candidates(cq).map_err(AppError::Internal)?;
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
