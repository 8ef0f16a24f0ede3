//! Proposals: retrieval through the index, hard rules and explainable re-ranking by the
//! matcher, settings of the municipality, and the proposal log. No actix here.

use crate::db::models::{Municipality, Placement, ProposalLog, SroiContract};
use crate::db::queries::{candidates_for_matching, placements_full, CandidateFull, PlacementFull};
use crate::db::{new_id, now, schema::*, DbConnection};
use crate::domain::settings::Settings;
use crate::domain::{age_on, language, PlacementKind};
use crate::matching::{self, CandidateFeatures, Evaluation, PlacementFeatures, SroiState};
use crate::refdata::RefData;
use crate::search::query::{CandidateRetrieval, PlacementRetrieval};
use crate::search::SearchIndex;
use chrono::NaiveDate;
use diesel::prelude::*;
use std::collections::HashMap;

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
        status: ca.status.clone(),
        consent_matching: ca.consent_matching,
        ladder_step: c.ladder.as_ref().map(|l| l.step),
        implied_skills: rd.essential_skills_of(&occupations),
        related_occupations: rd.hidden_matches(&occupations, crate::relatedness::KEEP, 0.0),
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
        age: Some(age_on(ca.birth_date, today)),
        available_from: ca.available_from,
        sector_preferences: serde_json::from_str(&ca.sector_preferences).unwrap_or_default(),
    }
}

pub fn placement_features(p: &PlacementFull, rd: &RefData, sroi: Option<SroiState>) -> PlacementFeatures {
    let pl = &p.placement;
    PlacementFeatures {
        id: pl.id.clone(),
        organisation_id: pl.organisation_id.clone(),
        organisation_sector: p.organisation.sector.clone(),
        kind: PlacementKind::parse(&pl.kind),
        occupation_id: pl.occupation_id.clone(),
        occupation_skills: pl.occupation_id.as_ref().map(|o| rd.essential_skills_of(std::slice::from_ref(o))).unwrap_or_default(),
        related_occupations: pl
            .occupation_id
            .as_ref()
            .map(|o| rd.hidden_matches(std::slice::from_ref(o), crate::relatedness::KEEP, 0.0))
            .unwrap_or_default(),
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
    let ids: Vec<&String> = ps.iter().filter_map(|p| p.placement.sroi_contract_id.as_ref()).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let cs: Vec<SroiContract> = sroi_contracts::table.filter(sroi_contracts::id.eq_any(&ids)).select(SroiContract::as_select()).load(conn)?;
    let realised = crate::db::queries::sroi_realised(conn, &ids)?;
    Ok(cs
        .into_iter()
        .map(|c| {
            let obligation = crate::domain::sroi_obligation_cents(c.contract_value_cents, c.percentage);
            let realised_cents = realised.get(&c.id).copied().unwrap_or(0);
            (c.id.clone(), SroiState { contract_id: c.id, reference: c.reference, obligation_cents: obligation, realised_cents })
        })
        .collect())
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub limit: usize,
    pub include_excluded: bool,
}

/// Placements ranked for a candidate.
pub fn for_candidate(
    conn: &mut DbConnection,
    search: &SearchIndex,
    rd: &RefData,
    c: &CandidateFull,
    s: &Settings,
    opts: Options,
    today: NaiveDate,
) -> anyhow::Result<Vec<(PlacementFull, Evaluation)>> {
    let cf = candidate_features(c, rd, today);
    let r = placement_retrieval(&cf, rd, s, !opts.include_excluded, s.retrieval_size);
    let hits = search.retrieve_placements(&r)?;
    let ids: Vec<String> = hits.into_iter().map(|(id, _)| id).collect();
    let ps: Vec<Placement> = placements::table.filter(placements::id.eq_any(&ids)).select(Placement::as_select()).load(conn)?;
    let full = placements_full(conn, ps)?;
    let sroi = sroi_states(conn, &full)?;
    let evaluated: Vec<(String, Evaluation, PlacementFull)> = full
        .into_iter()
        .map(|p| {
            let st = p.placement.sroi_contract_id.as_ref().and_then(|id| sroi.get(id).cloned());
            let pf = placement_features(&p, rd, st);
            (p.placement.id.clone(), matching::evaluate(&cf, &pf, s, today), p)
        })
        .collect();
    Ok(matching::rank(evaluated, opts.include_excluded, opts.limit).into_iter().map(|(_, e, p)| (p, e)).collect())
}

/// The retrieval of candidates for a placement: relevance and, when `strict`, the hard rules
/// of `matching::evaluate` as index filters; candidates within `radius` km of the placement.
pub fn candidate_retrieval(
    pf: &matching::PlacementFeatures,
    rd: &RefData,
    municipality_id: Option<String>,
    flags: Vec<String>,
    strict: bool,
    k: usize,
    radius: f64,
) -> CandidateRetrieval {
    let mut occupations: Vec<(String, f32)> = Vec::new();
    if let Some(o) = &pf.occupation_id {
        occupations.push((o.clone(), 3.0));
        let hidden = rd.hidden_matches(std::slice::from_ref(o), 25, 0.25);
        occupations.extend(hidden.iter().map(|(o, w)| (o.clone(), (2.0 * w) as f32)));
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
        pc4s: pf.location.map(|(lat, lon)| rd.pc4_within(lat, lon, radius)),
        k,
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
    let hidden = rd.hidden_matches(&cf.occupations, 25, 0.25);
    let mut occupations: Vec<(String, f32)> = cf.occupations.iter().map(|o| (o.clone(), 3.0)).collect();
    occupations.extend(hidden.iter().map(|(o, w)| (o.clone(), (2.0 * w) as f32)));
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
    }
}

/// Candidates ranked for a placement. Each candidate is evaluated with its own
/// municipality's settings (the municipality pays the subsidy).
pub fn for_placement(
    conn: &mut DbConnection,
    search: &SearchIndex,
    rd: &RefData,
    p: &PlacementFull,
    audience: &Audience,
    opts: Options,
    today: NaiveDate,
) -> anyhow::Result<Vec<(CandidateFull, Evaluation)>> {
    let sroi = sroi_states(conn, std::slice::from_ref(p))?;
    let st = p.placement.sroi_contract_id.as_ref().and_then(|id| sroi.get(id).cloned());
    let pf = placement_features(p, rd, st);
    let (municipality_id, flags) = match audience {
        Audience::Klantmanager { municipality_id } => (Some(municipality_id.clone()), vec![]),
        Audience::Werkgever => (None, vec!["consent_anonymous_profile".to_string()]),
    };
    let base = match &municipality_id {
        Some(m) => load_settings(conn, m)?.0,
        None => Settings::default(),
    };
    let (k, radius) = (base.candidate_retrieval_size, base.candidate_search_radius_km);
    let r = candidate_retrieval(&pf, rd, municipality_id, flags, !opts.include_excluded, k, radius);
    let hits = search.retrieve_candidates(&r)?;
    let ids: Vec<String> = hits.into_iter().map(|(id, _)| id).collect();
    let mut q = candidates::table.filter(candidates::id.eq_any(&ids)).into_boxed();
    match audience {
        Audience::Klantmanager { municipality_id } => q = q.filter(candidates::municipality_id.eq(municipality_id.clone())),
        Audience::Werkgever => q = q.filter(candidates::consent_anonymous_profile.eq(true)),
    }
    let cs = q.select(crate::db::models::Candidate::as_select()).load(conn)?;
    let full = candidates_for_matching(conn, cs)?;
    // Only the settings of the municipalities these candidates belong to.
    let mut muni_ids: Vec<&String> = full.iter().map(|c| &c.candidate.municipality_id).collect();
    muni_ids.sort();
    muni_ids.dedup();
    let all_settings: HashMap<String, Settings> = municipalities::table
        .filter(municipalities::id.eq_any(&muni_ids))
        .select(Municipality::as_select())
        .load(conn)?
        .into_iter()
        .map(|m| (m.id.clone(), parse_settings(&m.settings)))
        .collect();
    let default = Settings::default();
    let evaluated: Vec<(String, Evaluation, CandidateFull)> = full
        .into_iter()
        .map(|c| {
            let s = all_settings.get(&c.candidate.municipality_id).unwrap_or(&default);
            let cf = candidate_features(&c, rd, today);
            (c.candidate.id.clone(), matching::evaluate(&cf, &pf, s, today), c)
        })
        .collect();
    Ok(matching::rank(evaluated, opts.include_excluded, opts.limit).into_iter().map(|(_, e, c)| (c, e)).collect())
}

/// Records a proposal call: who asked, when, the settings version and the results.
#[allow(clippy::too_many_arguments)]
pub fn log(
    conn: &mut DbConnection,
    direction: &str,
    subject_id: &str,
    municipality_id: Option<&str>,
    requested_by: &str,
    role: &str,
    settings_version: i32,
    include_excluded: bool,
    results: &[(String, &Evaluation)],
) -> QueryResult<()> {
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
    diesel::insert_into(proposal_logs::table)
        .values(&ProposalLog {
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
        })
        .execute(conn)?;
    Ok(())
}
