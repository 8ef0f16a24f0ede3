//! Proposals: retrieval through the index, hard rules and explainable re-ranking by the
//! matcher, settings of the municipality, and the proposal log. No actix here.

use crate::db::models::{Municipality, ProposalLog, SroiContract};
use crate::db::queries::{candidates_for_matching, CandidateFull, PlacementFull};
use crate::db::{new_id, now, schema::*, DbConnection};
use crate::domain::settings::Settings;
use crate::domain::{age_on, language, PlacementKind};
use crate::engine::matching::{self, CandidateFeatures, Evaluation, PlacementFeatures, SroiState};
use crate::engine::Engine;
use crate::refdata::RefData;
use crate::search::query::{CandidateRetrieval, PlacementRetrieval};
use chrono::NaiveDate;
use diesel::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

/// Settings of a municipality (defaults where not set) and their version.
pub fn load_settings(conn: &mut DbConnection, municipality_id: &str) -> QueryResult<(Settings, i32)> {
    let m: Option<Municipality> = municipalities::table.find(municipality_id).select(Municipality::as_select()).first(conn).optional()?;
    Ok(match m {
        Some(m) => (parse_settings(&m.settings), m.settings_version),
        None => (Settings::default(), 0),
    })
}

pub fn parse_settings(json: &str) -> Settings {
    serde_json::from_str(json).unwrap_or_else(|e| {
        log::warn!("municipality settings unreadable ({e}); using defaults");
        Settings::default()
    })
}

pub fn candidate_features(c: &CandidateFull, rd: &RefData, today: NaiveDate) -> CandidateFeatures {
    let ca = &c.candidate;
    let occupations: Vec<String> = c.occupations.iter().map(|o| o.occupation_id.clone()).collect();
    CandidateFeatures {
        id: ca.id.clone(),
        municipality_id: ca.municipality_id.clone(),
        status: ca.status.as_str().into(),
        consent_matching: ca.consent_matching,
        ladder_step: c.ladder.as_ref().map(|l| l.step),
        implied_skills: rd.essential_skills_of(&occupations).into(),
        related_occupations: rd.hidden_matches(&occupations, crate::engine::relatedness::KEEP, 0.0).into(),
        occupations,
        skills: c.skills.iter().filter_map(|s| s.skill_id.clone()).collect(),
        hours_min: ca.hours_min,
        hours_max: ca.hours_max,
        location: rd.pc4.get(&ca.pc4).map(|p| (p.lat, p.lon)),
        max_travel_km: ca.max_travel_km,
        own_transport: ca.own_transport,
        language_level: ca.language_level.clone(),
        loonwaarde: ca.loonwaarde,
        doelgroepregister: ca.doelgroepregister,
        beschut_werk_indicatie: ca.beschut_werk_indicatie,
        lks_target_group: ca.lks_target_group,
        needs_job_coach: ca.needs_job_coach,
        statushouder: ca.statushouder,
        benefit_type: ca.benefit_type,
        age: Some(age_on(ca.birth_date, today)),
        startkwalificatie: ca.startkwalificatie,
        available_from: ca.available_from,
        sector_preferences: serde_json::from_str(&ca.sector_preferences).unwrap_or_default(),
        kind_preferences: serde_json::from_str(&ca.kind_preferences).unwrap_or_default(),
    }
}

pub fn placement_features(p: &PlacementFull, rd: &RefData, sroi: Option<SroiState>) -> PlacementFeatures {
    let pl = &p.placement;
    PlacementFeatures {
        id: pl.id.clone(),
        organisation_id: pl.organisation_id.clone(),
        organisation_sector: p.organisation.sector.clone(),
        kind: Some(pl.kind),
        occupation_id: pl.occupation_id.clone(),
        occupation_skills: pl.occupation_id.as_ref().map(|o| rd.essential_skills_of(std::slice::from_ref(o))).unwrap_or_default().into(),
        related_occupations: pl
            .occupation_id
            .as_ref()
            .map(|o| rd.hidden_matches(std::slice::from_ref(o), crate::engine::relatedness::KEEP, 0.0))
            .unwrap_or_default()
            .into(),
        required_skills: p.skills.iter().filter(|s| s.required).map(|s| s.skill_id.clone()).collect(),
        desired_skills: p.skills.iter().filter(|s| !s.required).map(|s| s.skill_id.clone()).collect(),
        hours_min: pl.hours_min,
        hours_max: pl.hours_max,
        location: rd.pc4.get(&pl.pc4).map(|x| (x.lat, x.lon)),
        hourly_wage_cents: pl.hourly_wage_cents,
        language_level_required: pl.language_level_required.clone(),
        ladder_steps: pl.ladder_steps_vec(),
        internal_supervisor: pl.internal_supervisor,
        job_coach_welcome: pl.job_coach_welcome,
        adapted_workplace: pl.adapted_workplace,
        lks_accepted: pl.lks_accepted,
        counts_banenafspraak: pl.counts_banenafspraak,
        language_learning: pl.language_learning,
        sroi,
        start_date: pl.start_date,
        duration_months: pl.duration_months,
        published: p.is_published(),
    }
}

/// SROI state of the contracts these placements are linked to. Realised value counts the
/// matches that started (their bouwblok value, recorded at the start).
pub fn sroi_states(conn: &mut DbConnection, ps: &[PlacementFull]) -> QueryResult<HashMap<String, SroiState>> {
    let ids: Vec<String> = ps.iter().filter_map(|p| p.placement.sroi_contract_id.clone()).collect();
    sroi_states_of(conn, &ids)
}

/// SROI state of these contracts (those that exist).
pub fn sroi_states_of(conn: &mut DbConnection, ids: &[String]) -> QueryResult<HashMap<String, SroiState>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let cs: Vec<SroiContract> = sroi_contracts::table.filter(sroi_contracts::id.eq_any(chunk)).select(SroiContract::as_select()).load(conn)?;
        let refs: Vec<&String> = chunk.iter().collect();
        let realised = crate::db::queries::sroi_realised(conn, &refs)?;
        for c in cs {
            let obligation = crate::domain::sroi_obligation_cents(c.contract_value_cents, c.percentage);
            let realised_cents = realised.get(&c.id).copied().unwrap_or(0);
            out.insert(c.id.clone(), SroiState { contract_id: c.id, reference: c.reference, obligation_cents: obligation, realised_cents });
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub limit: usize,
    pub include_excluded: bool,
}

/// Settings in force for a municipality and their version: from the matcher's in-memory store,
/// from the database when the store does not know the municipality (yet).
pub fn settings_of(conn: &mut DbConnection, engine: &Engine, municipality_id: &str) -> QueryResult<(Arc<Settings>, i32)> {
    match engine.features.read(|f| f.settings(municipality_id)) {
        Some(m) => Ok((m.settings, m.version)),
        None => load_settings(conn, municipality_id).map(|(s, v)| (Arc::new(s), v)),
    }
}

/// Placements ranked for a candidate: retrieval by the index, features from the in-memory store,
/// the rules and the score of `matching::evaluate`; only the ranked results are read from the
/// database (and checked there to be still published, unless excluded ones are asked for).
pub fn for_candidate(
    conn: &mut DbConnection,
    engine: &Engine,
    rd: &RefData,
    cf: &CandidateFeatures,
    s: &Settings,
    opts: Options,
    today: NaiveDate,
) -> anyhow::Result<Vec<(PlacementFull, Evaluation)>> {
    let r = placement_retrieval(cf, rd, s, !opts.include_excluded, s.retrieval_size);
    let hits = engine.retrieve_placements(&r)?;
    let features: Vec<PlacementFeatures> = engine.features.read(|f| hits.iter().filter_map(|(id, _)| f.placement(id)).collect());
    let ranked = matching::rank_explained(features.iter().map(|pf| (pf.id.clone(), cf, pf, s)), opts.include_excluded, opts.limit, today);
    let ids: Vec<String> = ranked.iter().map(|(id, _)| id.clone()).collect();
    let mut rows: HashMap<String, PlacementFull> =
        crate::db::queries::placements_full_by_ids(conn, &ids)?.into_iter().map(|p| (p.placement.id.clone(), p)).collect();
    Ok(ranked.into_iter().filter_map(|(id, e)| rows.remove(&id).map(|p| (p, e))).filter(|(p, _)| opts.include_excluded || p.is_published()).collect())
}

/// The matcher's features of the candidate asked about: from the in-memory store when it has
/// applied every change committed so far (one cheap read of the feed's last position), else
/// from the database rows (a change is still on its way to this instance's store).
pub fn subject_candidate(
    conn: &mut DbConnection,
    engine: &Engine,
    rd: &RefData,
    id: &str,
    today: NaiveDate,
) -> anyhow::Result<Option<CandidateFeatures>> {
    if let Some(cf) = from_current_store(conn, engine, |s| s.candidate(id, today))? {
        return Ok(Some(cf));
    }
    Ok(crate::db::queries::candidate_full(conn, id)?.map(|c| candidate_features(&c, rd, today)))
}

/// The matcher's features of the placement asked about (its row read already), from the store
/// under the same rule as `subject_candidate`; else built from the row, with its SROI contract's
/// state.
pub fn subject_placement(conn: &mut DbConnection, engine: &Engine, rd: &RefData, p: &PlacementFull) -> anyhow::Result<PlacementFeatures> {
    if let Some(pf) = from_current_store(conn, engine, |s| s.placement(&p.placement.id))? {
        return Ok(pf);
    }
    let contract = p.placement.sroi_contract_id.clone();
    let known = contract.as_ref().map(|id| engine.features.read(|f| f.sroi(id)));
    let st = match known {
        Some(Some(st)) => Some(st),
        Some(None) => sroi_states(conn, std::slice::from_ref(p))?.into_values().next(),
        None => None,
    };
    Ok(placement_features(p, rd, st))
}

/// `read` on the in-memory store if it has applied every change committed so far, else None.
fn from_current_store<T>(
    conn: &mut DbConnection,
    engine: &Engine,
    read: impl FnOnce(&crate::engine::features::Snapshot) -> Option<T>,
) -> anyhow::Result<Option<T>> {
    let latest = crate::db::changes::latest(conn)?;
    Ok(engine.features.read(|s| if s.applied() >= latest { read(s) } else { None }))
}

/// How many hidden matches (related occupations) retrieval asks for, and their least relatedness.
pub const HIDDEN_LIMIT: usize = 25;
pub const HIDDEN_MIN: f64 = 0.25;
const _: () = assert!(HIDDEN_LIMIT <= crate::engine::relatedness::KEEP);

/// The hidden matches retrieval asks for, from the related occupations the features carry
/// (`RefData::hidden_matches` with `relatedness::KEEP` and no minimum: best first, ties by id):
/// their first `HIDDEN_LIMIT` of at least `HIDDEN_MIN`, the same list as
/// `hidden_matches(.., HIDDEN_LIMIT, HIDDEN_MIN)` without computing it again per request (a map,
/// a sort and a string per occupation: 2% of the server's CPU under proposal load).
pub fn hidden_matches(related: &[(String, f64)]) -> impl Iterator<Item = &(String, f64)> {
    related.iter().take_while(|(_, r)| *r >= HIDDEN_MIN).take(HIDDEN_LIMIT)
}

/// The retrieval of candidates for a placement: relevance and, when `strict`, the hard rules
/// of `matching::evaluate` as index filters; candidates within `radius` km of the placement.
pub fn candidate_retrieval(
    pf: &matching::PlacementFeatures,
    municipality_id: Option<String>,
    flags: Vec<String>,
    strict: bool,
    k: usize,
    radius: f64,
) -> CandidateRetrieval {
    let mut occupations: Vec<(String, f32)> = Vec::new();
    if let Some(o) = &pf.occupation_id {
        occupations.push((o.clone(), 3.0));
        occupations.extend(hidden_matches(&pf.related_occupations).map(|(o, w)| (o.clone(), (2.0 * w) as f32)));
    }
    let mut skills: Vec<(String, f32)> = pf.required_skills.iter().map(|s| (s.clone(), 1.5)).collect();
    skills.extend(pf.desired_skills.iter().map(|s| (s.clone(), 0.75)));
    skills.extend(pf.occupation_skills.iter().filter(|s| !pf.required_skills.contains(s)).map(|s| (s.clone(), 0.5)));
    CandidateRetrieval {
        occupations,
        skills,
        strict,
        municipality_id,
        flags,
        ladder_steps: pf.ladder_steps.iter().map(|s| *s as u64).collect(),
        hours_min: pf.hours_min.max(0) as u64,
        hours_max: pf.hours_max.max(0) as u64,
        language_rank: pf.language_level_required.as_deref().and_then(language::rank).unwrap_or(0) as u64,
        beschut_only: pf.kind == Some(PlacementKind::BeschutWerk),
        // Candidates' travel limits differ: the setting's radius here, each candidate's own
        // limit in the rules.
        reach: pf.location.map(|(lat, lon)| crate::refdata::Reach::new(lat, lon, radius)),
        k,
        single_pass: false,
    }
}

/// Who asks for candidates, and so which candidates may be considered.
#[derive(Debug, Clone)]
pub enum Audience {
    /// A klantmanager: candidates of its own municipality.
    Klantmanager { municipality_id: String },
    /// The placement's employer: candidates of the whole region who allow an anonymous profile.
    Werkgever,
}

/// The retrieval of placements for a candidate: relevance (own and hidden-match occupations,
/// skills) and, when `strict`, the hard rules of `matching::evaluate` as index filters.
pub fn placement_retrieval(cf: &matching::CandidateFeatures, rd: &RefData, s: &Settings, strict: bool, k: usize) -> PlacementRetrieval {
    let mut occupations: Vec<(String, f32)> = cf.occupations.iter().map(|o| (o.clone(), 3.0)).collect();
    occupations.extend(hidden_matches(&cf.related_occupations).map(|(o, w)| (o.clone(), (2.0 * w) as f32)));
    let mut skills: Vec<(String, f32)> = cf.skills.iter().map(|s| (s.clone(), 1.5)).collect();
    skills.extend(cf.implied_skills.iter().filter(|s| !cf.skills.contains(s)).map(|s| (s.clone(), 0.5)));
    let pc4s = cf.location.map(|(lat, lon)| rd.pc4_within(lat, lon, matching::max_travel_km(cf, s)));
    PlacementRetrieval {
        occupations,
        skills,
        strict,
        hours_min: cf.hours_min.max(0) as u64,
        hours_max: cf.hours_max.max(0) as u64,
        language_rank: cf.language_level.as_deref().and_then(language::rank).unwrap_or(0) as u64,
        ladder_step: cf.ladder_step.map(|s| s as u64),
        beschut_indicatie: cf.beschut_werk_indicatie,
        pc4s,
        k,
        single_pass: false,
    }
}

/// Candidates ranked for a placement. Each candidate is evaluated with its own
/// municipality's settings (the municipality pays the subsidy). Features come from the
/// in-memory store; the ranked candidates are read from the database and who may see them
/// (municipality, consent to an anonymous profile, to matching, active) is checked on those
/// rows, so a consent withdrawn a moment ago counts at once.
pub fn for_placement(
    conn: &mut DbConnection,
    engine: &Engine,
    rd: &RefData,
    p: &PlacementFull,
    audience: &Audience,
    opts: Options,
    today: NaiveDate,
) -> anyhow::Result<Vec<(CandidateFull, Evaluation)>> {
    let pf = subject_placement(conn, engine, rd, p)?;
    let (municipality_id, flags) = match audience {
        Audience::Klantmanager { municipality_id } => (Some(municipality_id.clone()), vec![]),
        Audience::Werkgever => (None, vec!["consent_anonymous_profile".to_string()]),
    };
    let base = match &municipality_id {
        Some(m) => settings_of(conn, engine, m)?.0,
        None => Arc::new(Settings::default()),
    };
    let (k, radius) = (base.candidate_retrieval_size, base.candidate_search_radius_km);
    let r = candidate_retrieval(&pf, municipality_id.clone(), flags, !opts.include_excluded, k, radius);
    let hits = engine.retrieve_candidates(&r)?;
    let features: Vec<CandidateFeatures> = engine.features.read(|f| {
        hits.iter().filter(|(id, _)| f.candidate_visible(id, municipality_id.as_deref())).filter_map(|(id, _)| f.candidate(id, today)).collect()
    });
    // The settings of the municipalities these candidates belong to.
    let mut all_settings: HashMap<String, Arc<Settings>> = HashMap::new();
    for c in &features {
        if !all_settings.contains_key(&c.municipality_id) {
            all_settings.insert(c.municipality_id.clone(), settings_of(conn, engine, &c.municipality_id)?.0);
        }
    }
    let default = Settings::default();
    let ranked = matching::rank_explained(
        features.iter().map(|cf| (cf.id.clone(), cf, &pf, all_settings.get(&cf.municipality_id).map(|s| s.as_ref()).unwrap_or(&default))),
        opts.include_excluded,
        opts.limit,
        today,
    );
    let ids: Vec<&String> = ranked.iter().map(|(id, _)| id).collect();
    let cs = candidates::table.filter(crate::db::id_in(conn, candidates::id, &ids)).select(crate::db::models::Candidate::as_select()).load(conn)?;
    let mut rows: HashMap<String, CandidateFull> = candidates_for_matching(conn, cs)?.into_iter().map(|c| (c.candidate.id.clone(), c)).collect();
    Ok(ranked
        .into_iter()
        .filter_map(|(id, e)| rows.remove(&id).map(|c| (c, e)))
        .filter(|(c, _)| match audience {
            Audience::Klantmanager { municipality_id } => &c.candidate.municipality_id == municipality_id,
            Audience::Werkgever => c.candidate.consent_anonymous_profile,
        })
        .filter(|(c, _)| opts.include_excluded || (c.candidate.consent_matching && c.candidate.status == crate::domain::CandidateStatus::Actief))
        .collect())
}

/// The record of a proposal call: who asked, when, the settings version and the results.
#[allow(clippy::too_many_arguments)]
pub fn log_entry(
    direction: &str,
    subject_id: &str,
    municipality_id: Option<&str>,
    requested_by: &str,
    role: &str,
    settings_version: i32,
    include_excluded: bool,
    results: &[(String, &Evaluation)],
) -> ProposalLog {
    let json = serde_json::Value::Array(
        results
            .iter()
            .map(|(id, e)| {
                serde_json::json!({
                    "id": id,
                    "score": e.score,
                    "excluded": e.excluded.iter().map(|x| x.rule.clone()).collect::<Vec<_>>(),
                    "factors": e.factors.iter().map(|f| (f.factor.clone(), f.contribution)).collect::<HashMap<_, _>>(),
                })
            })
            .collect(),
    );
    ProposalLog {
        id: new_id(),
        direction: direction.into(),
        subject_id: subject_id.into(),
        municipality_id: municipality_id.map(String::from),
        requested_by: requested_by.into(),
        role: role.into(),
        settings_version,
        include_excluded,
        results: json.to_string(),
        created_at: now(),
    }
}
