//! `opstap bench`: national-scale synthetic data with a fixed seed, then
//! - bulk indexing throughput (the real `reindex` path: database -> documents -> index),
//! - p50/p99 latency of top-20 proposals in both directions (the real proposal path),
//! - the same retrieval done by the database alone (SQL filters and text matching) feeding the
//!   same re-ranker, as a baseline in the same run,
//! - peak resident memory.

use crate::auth::hash_password;
use crate::db::models::*;
use crate::db::queries::{candidate_full, placement_full};
use crate::db::{new_id, now, schema::*, DbConnection, DbPool};
use crate::domain::settings::Settings;
use crate::domain::{language, PlacementKind};
use crate::engine::matching;
use crate::engine::ranking::{self as proposals, Audience, Options};
use crate::refdata::RefData;
use chrono::Duration;
use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct BenchConfig {
    pub placements: usize,
    pub candidates: usize,
    pub queries: usize,
    pub seed: u64,
    /// Skip generation and indexing: measure queries on a previous run's data.
    pub reuse: bool,
    /// Measure the SQL baseline too.
    pub baseline: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Latency {
    pub n: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub mean_results: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchReport {
    pub placements: usize,
    pub candidates: usize,
    pub generate_s: f64,
    pub index_docs: usize,
    pub index_s: f64,
    pub index_docs_per_s: f64,
    pub index_size_mb: f64,
    /// Loading the matcher's in-memory features of every placement and candidate.
    pub features_s: f64,
    /// The heap the loaded features take (glibc's allocator statistics).
    pub features_mb: f64,
    pub candidate_to_placements: Latency,
    pub placement_to_candidates: Latency,
    pub placement_to_candidates_region: Latency,
    /// The index's retrieval alone (same subjects and filters, no evaluation, no rows).
    pub retrieval_candidate_to_placements: Latency,
    pub retrieval_placement_to_candidates: Latency,
    pub sql_candidate_to_placements: Latency,
    pub sql_placement_to_candidates: Latency,
    /// Peak resident memory after generating the data, after indexing, and of the whole run.
    pub peak_after_generate_mb: f64,
    pub peak_after_index_mb: f64,
    pub peak_rss_mb: f64,
}

pub(crate) fn bar(len: usize, msg: &str) -> ProgressBar {
    let pb = ProgressBar::new(len as u64);
    pb.set_style(
        ProgressStyle::with_template("{msg:>24} [{bar:30}] {pos}/{len} ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(msg.to_string());
    pb
}

/// Heap memory in use (allocated and not freed), MB, from glibc's allocator statistics: unlike
/// the resident size it leaves out file-backed maps (the database, the index) and freed memory
/// the allocator keeps.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn heap_in_use_mb() -> f64 {
    #[repr(C)]
    struct MallInfo2 {
        arena: usize,
        ordblks: usize,
        smblks: usize,
        hblks: usize,
        hblkhd: usize,
        usmblks: usize,
        fsmblks: usize,
        uordblks: usize,
        fordblks: usize,
        keepcost: usize,
    }
    extern "C" {
        fn mallinfo2() -> MallInfo2;
    }
    // SAFETY: mallinfo2 takes no arguments and returns a plain struct by value (glibc >= 2.33).
    let m = unsafe { mallinfo2() };
    (m.uordblks + m.hblkhd) as f64 / 1_048_576.0
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn heap_in_use_mb() -> f64 {
    f64::NAN
}

/// A memory figure (`VmRSS:`, `VmHWM:`) of a process (`self` or a pid) from /proc, MB.
pub(crate) fn proc_status_mb(pid: &str, key: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Peak resident memory of this process (VmHWM), MB.
pub fn peak_rss_mb() -> f64 {
    proc_status_mb("self", "VmHWM:")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn latency(mut ms: Vec<f64>, results: usize) -> Latency {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    Latency { n: ms.len(), p50_ms: percentile(&ms, 0.5), p99_ms: percentile(&ms, 0.99), mean_results: results as f64 / ms.len().max(1) as f64 }
}

/// Occupations typical for the target group: ISCO major groups 9, 5, 7, 8 and 4, and of those
/// 200 spread over the groups (a region's placements and caseload concentrate on a few hundred
/// occupations; with all of them, hardly any candidate would be relevant to any placement).
fn occupation_pool(rd: &RefData) -> Vec<u32> {
    let all: Vec<u32> = rd
        .occupations
        .iter()
        .enumerate()
        .filter(|(_, o)| matches!(o.isco_group.chars().next(), Some('9' | '5' | '7' | '8' | '4')) && !o.essential.is_empty())
        .map(|(i, _)| i as u32)
        .collect();
    let step = (all.len() / 200).max(1);
    all.into_iter().step_by(step).collect()
}

/// Writes the synthetic region into an empty, migrated database.
pub fn generate(conn: &mut DbConnection, rd: &RefData, cfg: &BenchConfig) -> anyhow::Result<()> {
    let mut rng = fastrand::Rng::with_seed(cfg.seed);
    let t = now();
    let today = crate::clock::today();
    let pc4s: Vec<String> = {
        let mut v: Vec<String> = rd.pc4.keys().cloned().collect();
        v.sort();
        v
    };
    anyhow::ensure!(!pc4s.is_empty() && rd.has_esco(), "the benchmark needs the reference data (PC4 and ESCO)");
    let pool = occupation_pool(rd);
    // Municipalities (every CBS code in the PC4 table), one klantmanager each.
    let mut codes: Vec<(String, String)> = rd.pc4.values().map(|p| (p.municipality_code.clone(), p.municipality.clone())).collect();
    codes.sort();
    codes.dedup_by(|a, b| a.0 == b.0);
    let pw = hash_password("bench-password-123")?;
    let mut muni: HashMap<String, (String, String)> = HashMap::new();
    conn.transaction::<_, anyhow::Error, _>(|conn| {
        for (code, name) in &codes {
            let id = new_id();
            diesel::insert_into(municipalities::table)
                .values(&Municipality {
                    id: id.clone(),
                    name: name.clone(),
                    cbs_code: code.clone(),
                    settings: "{}".into(),
                    settings_version: 1,
                    created_at: t,
                })
                .execute(conn)?;
            let uid = new_id();
            diesel::insert_into(users::table)
                .values(&User {
                    id: uid.clone(),
                    email: format!("km-{code}@bench.local"),
                    email_normalized: format!("km-{code}@bench.local"),
                    password_hash: pw.clone(),
                    role: crate::domain::Role::Klantmanager,
                    name: format!("Klantmanager {name}"),
                    municipality_id: Some(id.clone()),
                    organisation_id: None,
                    candidate_id: None,
                    active: true,
                    created_at: t,
                    last_login_at: None,
                })
                .execute(conn)?;
            crate::db::client_groups::default_for(conn, &id)?;
            muni.insert(code.clone(), (id, uid));
        }
        Ok(())
    })?;

    // Employers: one per 10 placements.
    let n_orgs = (cfg.placements / 10).max(1);
    let mut org_ids = Vec::with_capacity(n_orgs);
    let pb = bar(n_orgs, "werkgevers");
    conn.transaction::<_, anyhow::Error, _>(|conn| {
        let mut rows = Vec::with_capacity(500);
        for i in 0..n_orgs {
            let id = new_id();
            org_ids.push(id.clone());
            rows.push(Organisation {
                id,
                name: format!("Werkgever {i}"),
                kvk_number: format!("{:08}", 10_000_000 + i),
                sector: ["Zorg", "Logistiek", "Groen", "Bouw", "Horeca", "Detailhandel", "Productie", "Schoonmaak"][i % 8].into(),
                pc4: pc4s[rng.usize(..pc4s.len())].clone(),
                contact_name: "Contact".into(),
                contact_email: format!("info{i}@bench.local"),
                contact_phone: String::new(),
                verified: true,
                verified_at: Some(t),
                verified_by: None,
                created_at: t,
                updated_at: t,
            });
            if rows.len() == 500 {
                crate::insert_all!(conn, organisations::table, &rows)?;
                pb.inc(rows.len() as u64);
                rows.clear();
            }
        }
        if !rows.is_empty() {
            crate::insert_all!(conn, organisations::table, &rows)?;
            pb.inc(rows.len() as u64);
        }
        Ok(())
    })?;
    pb.finish();

    // Placements
    let kinds: [(PlacementKind, u32); 8] = [
        (PlacementKind::ReguliereBaan, 35),
        (PlacementKind::Werkervaringsplaats, 15),
        (PlacementKind::Proefplaatsing, 10),
        (PlacementKind::LeerwerkplekBbl, 10),
        (PlacementKind::Detachering, 10),
        (PlacementKind::BeschutWerk, 5),
        (PlacementKind::Vrijwilligerswerk, 10),
        (PlacementKind::ArbeidsmatigeDagbesteding, 5),
    ];
    let pick_kind = |r: u32| {
        let mut acc = 0;
        for (k, w) in kinds {
            acc += w;
            if r < acc {
                return k;
            }
        }
        PlacementKind::ReguliereBaan
    };
    let pb = bar(cfg.placements, "plaatsen");
    conn.transaction::<_, anyhow::Error, _>(|conn| {
        let mut rows = Vec::with_capacity(500);
        let mut skills = Vec::with_capacity(2500);
        for i in 0..cfg.placements {
            let kind = pick_kind(rng.u32(..100));
            let occ = &rd.occupations[pool[rng.usize(..pool.len())] as usize];
            let id = new_id();
            let hmin = [8, 12, 16, 20, 24, 32][rng.usize(..6)];
            let hmax = (hmin + [0, 4, 8, 12, 16][rng.usize(..5)]).min(40);
            let mut ess: Vec<u32> = occ.essential.clone();
            rng.shuffle(&mut ess);
            let n_req = 2 + rng.usize(..2);
            for (j, &si) in ess.iter().take(n_req + 2).enumerate() {
                skills.push(PlacementSkill { placement_id: id.clone(), skill_id: rd.skills[si as usize].id.clone(), required: j < n_req });
            }
            rows.push(Placement {
                id,
                organisation_id: org_ids[rng.usize(..org_ids.len())].clone(),
                kind,
                title: format!("{} ({})", occ.label_nl, kind.label_nl()),
                description: occ.description_nl.chars().take(300).collect(),
                occupation_id: Some(occ.id.clone()),
                hours_min: hmin,
                hours_max: hmax,
                pc4: pc4s[rng.usize(..pc4s.len())].clone(),
                hourly_wage_cents: kind.is_paid().then(|| 1471 + rng.i32(0..1000)),
                language_level_required: match rng.u8(..10) {
                    0 | 1 => Some("1F".into()),
                    2 => Some("2F".into()),
                    _ => None,
                },
                ladder_steps: kind.default_ladder_steps().iter().map(|s| s.to_string()).collect::<Vec<_>>().join(","),
                internal_supervisor: rng.bool(),
                job_coach_welcome: rng.u8(..3) > 0,
                adapted_workplace: rng.u8(..5) == 0,
                lks_accepted: kind.is_paid() && rng.bool(),
                counts_banenafspraak: kind.is_paid() && rng.bool(),
                sroi_contract_id: None,
                positions: 1,
                start_date: Some(today + Duration::days(rng.i64(0..120))),
                duration_months: match kind {
                    PlacementKind::Proefplaatsing => Some(2),
                    PlacementKind::Werkervaringsplaats => Some(6),
                    _ => None,
                },
                extension_months: None,
                status: crate::domain::PlacementStatus::Open,
                version: 1,
                created_at: t - Duration::seconds(i as i64),
                updated_at: t,
                language_learning: rng.u8(..10) == 0,
            });
            if rows.len() == 500 {
                crate::insert_all!(conn, placements::table, &rows)?;
                crate::insert_all!(conn, placement_skills::table, &skills)?;
                pb.inc(rows.len() as u64);
                rows.clear();
                skills.clear();
            }
        }
        if !rows.is_empty() {
            crate::insert_all!(conn, placements::table, &rows)?;
            crate::insert_all!(conn, placement_skills::table, &skills)?;
            pb.inc(rows.len() as u64);
        }
        Ok(())
    })?;
    pb.finish();

    // Candidates
    let levels = ["A1", "A2", "1F", "2F", "2F", "3F", "B1", "B2"];
    let pb = bar(cfg.candidates, "kandidaten");
    conn.transaction::<_, anyhow::Error, _>(|conn| {
        let mut rows = Vec::with_capacity(500);
        let mut occs = Vec::with_capacity(1000);
        let mut skills = Vec::with_capacity(2500);
        let mut ladder = Vec::with_capacity(500);
        for i in 0..cfg.candidates {
            let pc4 = pc4s[rng.usize(..pc4s.len())].clone();
            let code = &rd.pc4[&pc4].municipality_code;
            let (mid, km) = muni[code].clone();
            let id = new_id();
            let n_occ = 1 + (rng.u8(..3) == 0) as usize;
            let mut mine = Vec::new();
            for _ in 0..n_occ {
                let o = pool[rng.usize(..pool.len())];
                if !mine.contains(&o) {
                    mine.push(o);
                    occs.push(CandidateOccupation {
                        candidate_id: id.clone(),
                        occupation_id: rd.occupations[o as usize].id.clone(),
                        experience: "beginner".into(),
                    });
                }
            }
            let mut ess: Vec<u32> = mine.iter().flat_map(|&o| rd.occupations[o as usize].essential.iter().copied()).collect();
            rng.shuffle(&mut ess);
            ess.dedup();
            for &si in ess.iter().take(2 + rng.usize(..4)) {
                skills.push(CandidateSkill {
                    id: new_id(),
                    candidate_id: id.clone(),
                    skill_id: Some(rd.skills[si as usize].id.clone()),
                    free_text: None,
                    level: "basis".into(),
                });
            }
            let step = [1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6][rng.usize(..12)];
            ladder.push(LadderMeasurement {
                id: new_id(),
                candidate_id: id.clone(),
                measured_on: today - Duration::days(rng.i64(0..300)),
                step,
                target_step: Some((step + 1).min(6)),
                measured_by: Some(km.clone()),
                note: String::new(),
                created_at: t,
            });
            let hmin = [0, 8, 12, 16, 20][rng.usize(..5)];
            let age = 18 + rng.i32(0..48);
            rows.push(Candidate {
                id,
                municipality_id: mid.clone(),
                klantmanager_id: km,
                first_name: "Kandidaat".into(),
                last_name: format!("{i}"),
                email: None,
                phone: None,
                birth_date: today - Duration::days(age as i64 * 365 + rng.i64(0..365)),
                pc4,
                education_level: "vmbo".into(),
                startkwalificatie: rng.bool(),
                language_level: Some(levels[rng.usize(..levels.len())].into()),
                hours_min: hmin,
                hours_max: (hmin + [8, 16, 20, 24][rng.usize(..4)]).min(40),
                max_travel_km: [5, 10, 15, 20, 30, 40][rng.usize(..6)],
                driving_licence: rng.bool(),
                own_transport: rng.u8(..5) < 3,
                loonwaarde: (step >= 4 && rng.bool()).then(|| 30 + rng.i32(0..60)),
                loonwaarde_date: None,
                doelgroepregister: rng.u8(..5) == 0 && i % 20 != 0,
                beschut_werk_indicatie: i % 20 == 0,
                lks_target_group: rng.u8(..4) == 0,
                needs_job_coach: rng.u8(..3) == 0,
                statushouder: rng.u8(..8) == 0,
                work_capacity_limits: String::new(),
                support_needs: String::new(),
                zrm_scores: "{}".into(),
                sector_preferences: "[]".into(),
                available_from: Some(today + Duration::days(rng.i64(0..60))),
                consent_matching: true,
                consent_anonymous_profile: rng.u8(..5) > 0,
                consent_email: false,
                status: crate::domain::CandidateStatus::Actief,
                outflow_reason: None,
                outflow_date: None,
                version: 1,
                created_at: t - Duration::seconds(i as i64),
                updated_at: t,
                client_number: None,
                benefit_type: crate::domain::BenefitType::Participatiewet,
                registration_date: today,
                client_group_id: Some(format!("kg-{mid}")),
                doelgroepregister_route: None,
                doelgroepregister_date: None,
                kind_preferences: "[]".into(),
                days_available: "[]".into(),
                wishes_changed_at: None,
            });
            if rows.len() == 500 {
                let rows2: Vec<Candidate> = rows.drain(..).map(|c| Candidate { loonwaarde_date: c.loonwaarde.map(|_| today), ..c }).collect();
                crate::insert_all!(conn, candidates::table, &rows2)?;
                crate::insert_all!(conn, candidate_occupations::table, &occs)?;
                crate::insert_all!(conn, candidate_skills::table, &skills)?;
                crate::insert_all!(conn, ladder_measurements::table, &ladder)?;
                pb.inc(rows2.len() as u64);
                occs.clear();
                skills.clear();
                ladder.clear();
            }
        }
        if !rows.is_empty() {
            let n = rows.len();
            crate::insert_all!(conn, candidates::table, &rows)?;
            crate::insert_all!(conn, candidate_occupations::table, &occs)?;
            crate::insert_all!(conn, candidate_skills::table, &skills)?;
            crate::insert_all!(conn, ladder_measurements::table, &ladder)?;
            pb.inc(n as u64);
        }
        Ok(())
    })?;
    pb.finish();
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}

fn quote_list<'a>(xs: impl IntoIterator<Item = &'a String>) -> String {
    let v: Vec<String> = xs.into_iter().map(|s| format!("'{}'", s.replace('\'', "''"))).collect();
    if v.is_empty() {
        "''".into()
    } else {
        v.join(",")
    }
}

fn sql_ids(conn: &mut DbConnection, sql: &str) -> QueryResult<Vec<String>> {
    let rows: Vec<IdRow> = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(sql).load(c)?,
        #[cfg(feature = "postgres")]
        DbConnection::Pg(c) => diesel::sql_query(sql).load(c)?,
    };
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Baseline: the database does the retrieval (SQL filters, occupation/skill matching and a
/// LIKE on the title), then the same re-ranker as the real path.
fn sql_for_candidate(conn: &mut DbConnection, rd: &RefData, c: &crate::db::queries::CandidateFull, s: &Settings, k: usize) -> anyhow::Result<usize> {
    let today = crate::clock::today();
    let cf = proposals::candidate_features(c, rd, today);
    let hidden = rd.hidden_matches(&cf.occupations, 25, 0.25);
    let occs: Vec<String> = cf.occupations.iter().cloned().chain(hidden.into_iter().map(|(o, _)| o)).collect();
    let skills: Vec<String> = cf.skills.iter().chain(cf.implied_skills.iter()).cloned().collect();
    let rank = cf.language_level.as_deref().and_then(language::rank).unwrap_or(0);
    let allowed: Vec<String> = language::LEVELS.iter().filter(|l| language::rank(l).unwrap_or(9) <= rank).map(|l| l.to_string()).collect();
    let label = cf.occupations.first().and_then(|o| rd.occupation(o)).map(|o| o.label_nl.replace('\'', "''")).unwrap_or_default();
    let (lat, lon) = cf.location.unwrap_or((52.0, 5.0));
    let km = matching::max_travel_km(&cf, s);
    let dlat = km / 110.574;
    let dlon = km / (111.320 * lat.to_radians().cos());
    let step = cf.ladder_step.unwrap_or(3);
    let sql = format!(
        "SELECT p.id AS id FROM placements p JOIN organisations o ON o.id = p.organisation_id JOIN pc4_areas a ON a.pc4 = p.pc4 \
         WHERE p.status = 'open' AND o.verified AND p.hours_min <= {hmax} AND p.hours_max >= {hmin} \
         AND (p.language_level_required IS NULL OR p.language_level_required IN ({allowed})) \
         AND (',' || p.ladder_steps || ',') LIKE '%,{step},%' {beschut} \
         AND a.lat BETWEEN {la0} AND {la1} AND a.lon BETWEEN {lo0} AND {lo1} \
         AND (p.occupation_id IN ({occs}) OR p.title LIKE '%{label}%' OR EXISTS (SELECT 1 FROM placement_skills s WHERE s.placement_id = p.id AND s.skill_id IN ({skills}))) \
         ORDER BY (SELECT COUNT(*) FROM placement_skills s WHERE s.placement_id = p.id AND s.skill_id IN ({skills})) DESC, p.id LIMIT {k}",
        hmax = cf.hours_max,
        hmin = cf.hours_min.max(1),
        allowed = quote_list(allowed.iter()),
        beschut = if cf.beschut_werk_indicatie { "" } else { "AND p.kind <> 'beschut_werk'" },
        la0 = lat - dlat,
        la1 = lat + dlat,
        lo0 = lon - dlon,
        lo1 = lon + dlon,
        occs = quote_list(occs.iter()),
        skills = quote_list(skills.iter()),
    );
    let ids = sql_ids(conn, &sql)?;
    let ps: Vec<Placement> = placements::table.filter(placements::id.eq_any(&ids)).select(Placement::as_select()).load(conn)?;
    let full = crate::db::queries::placements_full(conn, ps)?;
    let ev: Vec<(String, matching::Evaluation, ())> =
        full.iter().map(|p| (p.placement.id.clone(), matching::evaluate(&cf, &proposals::placement_features(p, rd, None), s, today), ())).collect();
    Ok(matching::rank(ev, false, 20).len())
}

fn sql_for_placement(
    conn: &mut DbConnection,
    rd: &RefData,
    p: &crate::db::queries::PlacementFull,
    municipality_id: &str,
    s: &Settings,
    k: usize,
) -> anyhow::Result<usize> {
    let today = crate::clock::today();
    let pf = proposals::placement_features(p, rd, None);
    let mut occs: Vec<String> = pf.occupation_id.iter().cloned().collect();
    occs.extend(rd.hidden_matches(&occs.clone(), 25, 0.25).into_iter().map(|(o, _)| o));
    let skills: Vec<String> = pf.required_skills.iter().chain(pf.desired_skills.iter()).chain(pf.occupation_skills.iter()).cloned().collect();
    let (lat, lon) = pf.location.unwrap_or((52.0, 5.0));
    let dlat = 200.0 / 110.574;
    let dlon = 200.0 / (111.320 * lat.to_radians().cos());
    let steps = pf.ladder_steps.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(",");
    let sql = format!(
        "SELECT c.id AS id FROM candidates c JOIN pc4_areas a ON a.pc4 = c.pc4 \
         WHERE c.municipality_id = '{m}' AND c.status = 'actief' AND c.consent_matching \
         AND c.hours_min <= {pmax} AND c.hours_max >= {pmin} \
         AND a.lat BETWEEN {la0} AND {la1} AND a.lon BETWEEN {lo0} AND {lo1} \
         AND (SELECT l.step FROM ladder_measurements l WHERE l.candidate_id = c.id ORDER BY l.measured_on DESC LIMIT 1) IN ({steps}) \
         AND (EXISTS (SELECT 1 FROM candidate_occupations o WHERE o.candidate_id = c.id AND o.occupation_id IN ({occs})) \
              OR EXISTS (SELECT 1 FROM candidate_skills s WHERE s.candidate_id = c.id AND s.skill_id IN ({skills}))) \
         ORDER BY (SELECT COUNT(*) FROM candidate_skills s WHERE s.candidate_id = c.id AND s.skill_id IN ({skills})) DESC, c.id LIMIT {k}",
        m = municipality_id.replace('\'', "''"),
        pmax = pf.hours_max,
        pmin = pf.hours_min.max(1),
        la0 = lat - dlat,
        la1 = lat + dlat,
        lo0 = lon - dlon,
        lo1 = lon + dlon,
        steps = if steps.is_empty() { "0".into() } else { steps },
        occs = quote_list(occs.iter()),
        skills = quote_list(skills.iter()),
    );
    let ids = sql_ids(conn, &sql)?;
    let cs: Vec<Candidate> = candidates::table.filter(candidates::id.eq_any(&ids)).select(Candidate::as_select()).load(conn)?;
    let full = crate::db::queries::candidates_full(conn, cs)?;
    let ev: Vec<(String, matching::Evaluation, ())> =
        full.iter().map(|c| (c.candidate.id.clone(), matching::evaluate(&proposals::candidate_features(c, rd, today), &pf, s, today), ())).collect();
    Ok(matching::rank(ev, false, 20).len())
}

/// Runs the whole benchmark against an empty database and index directory.
pub fn run(pool: &DbPool, rd: &RefData, index_dir: &std::path::Path, cfg: &BenchConfig) -> anyhow::Result<BenchReport> {
    let mut conn = pool.get()?;
    let started = Instant::now();
    if !cfg.reuse {
        generate(&mut conn, rd, cfg)?;
        // Fresh statistics for the query planners (both backends know ANALYZE).
        use diesel::connection::SimpleConnection;
        conn.batch_execute("ANALYZE;")?;
    }
    let generate_s = started.elapsed().as_secs_f64();
    let peak_after_generate_mb = peak_rss_mb();
    drop(conn);

    let t0 = Instant::now();
    if !cfg.reuse {
        eprintln!("Indexing...");
        crate::search::reindex(index_dir, pool, true)?;
    }
    // Indexing is the reindex alone; loading the matcher's features is timed on its own below.
    let index_s = if cfg.reuse { f64::NAN } else { t0.elapsed().as_secs_f64() };
    let (index, _) = crate::search::open(index_dir, false)?;
    let t1 = Instant::now();
    let heap_before = heap_in_use_mb();
    let idx = crate::engine::follow::with_features(index, pool, true)?;
    let features_s = t1.elapsed().as_secs_f64();
    let features_mb = heap_in_use_mb() - heap_before;
    let (np, nc) = {
        let (p, c) = idx.num_docs();
        (p as usize, c as usize)
    };
    let peak_after_index_mb = peak_rss_mb();
    let index_size_mb = dir_size(index_dir) as f64 / 1_048_576.0;

    let mut conn = pool.get()?;
    let mut rng = fastrand::Rng::with_seed(cfg.seed ^ 0x5eed);
    let cand_ids: Vec<String> = candidates::table.select(candidates::id).order(candidates::id).load(&mut *conn)?;
    let pl_ids: Vec<String> = placements::table.select(placements::id).order(placements::id).load(&mut *conn)?;
    let qc: Vec<String> = (0..cfg.queries).map(|_| cand_ids[rng.usize(..cand_ids.len())].clone()).collect();
    let qp: Vec<String> = (0..cfg.queries).map(|_| pl_ids[rng.usize(..pl_ids.len())].clone()).collect();
    let munis: HashMap<String, String> =
        municipalities::table.select((municipalities::cbs_code, municipalities::id)).load::<(String, String)>(&mut *conn)?.into_iter().collect();
    let today = crate::clock::today();
    let s = Settings::default();
    let opts = Options { limit: 20, include_excluded: false };

    let measure =
        |name: &str, f: &mut dyn FnMut(&mut DbConnection, usize) -> anyhow::Result<usize>, conn: &mut DbConnection| -> anyhow::Result<Latency> {
            // Warm-up: one query per direction is not measured.
            f(conn, 0)?;
            let pb = bar(cfg.queries, name);
            let mut ms = Vec::with_capacity(cfg.queries);
            let mut results = 0;
            for i in 0..cfg.queries {
                let t = Instant::now();
                results += f(conn, i)?;
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
                pb.inc(1);
            }
            pb.finish();
            Ok(latency(ms, results))
        };

    let municipality_of = |p: &crate::db::queries::PlacementFull| {
        rd.pc4.get(&p.placement.pc4).and_then(|x| munis.get(&x.municipality_code)).cloned().unwrap_or_default()
    };
    // The index's part alone: the same subjects, features and retrieval, no evaluation.
    let c2p_retrieval = measure(
        "kandidaat -> plaatsen (zoeken)",
        &mut |conn, i| {
            let c = candidate_full(conn, &qc[i])?.ok_or_else(|| anyhow::anyhow!("candidate vanished"))?;
            let cf = proposals::candidate_features(&c, rd, today);
            Ok(idx.retrieve_placements(&proposals::placement_retrieval(&cf, rd, &s, true, s.retrieval_size))?.len())
        },
        &mut conn,
    )?;
    let p2c_retrieval = measure(
        "plaats -> kandidaten (zoeken)",
        &mut |conn, i| {
            let p = placement_full(conn, &qp[i])?.ok_or_else(|| anyhow::anyhow!("placement vanished"))?;
            let pf = proposals::placement_features(&p, rd, None);
            let r = proposals::candidate_retrieval(
                &pf,
                Some(municipality_of(&p)),
                vec![],
                true,
                s.candidate_retrieval_size,
                s.candidate_search_radius_km,
            );
            Ok(idx.retrieve_candidates(&r)?.len())
        },
        &mut conn,
    )?;
    let c2p = measure(
        "kandidaat -> plaatsen",
        &mut |conn, i| {
            let c = proposals::subject_candidate(conn, &idx, rd, &qc[i], today)?.ok_or_else(|| anyhow::anyhow!("candidate vanished"))?;
            Ok(proposals::for_candidate(conn, &idx, rd, &c, &s, opts, today)?.len())
        },
        &mut conn,
    )?;
    let p2c = measure(
        "plaats -> kandidaten",
        &mut |conn, i| {
            let p = placement_full(conn, &qp[i])?.ok_or_else(|| anyhow::anyhow!("placement vanished"))?;
            let audience = Audience::Klantmanager { municipality_id: municipality_of(&p) };
            Ok(proposals::for_placement(conn, &idx, rd, &p, &audience, opts, today)?.len())
        },
        &mut conn,
    )?;
    let p2c_region = measure(
        "plaats -> kandidaten (land)",
        &mut |conn, i| {
            let p = placement_full(conn, &qp[i])?.ok_or_else(|| anyhow::anyhow!("placement vanished"))?;
            Ok(proposals::for_placement(conn, &idx, rd, &p, &Audience::Werkgever, opts, today)?.len())
        },
        &mut conn,
    )?;
    let none = || Latency { n: 0, p50_ms: f64::NAN, p99_ms: f64::NAN, mean_results: f64::NAN };
    let (sql_c2p, sql_p2c) = if cfg.baseline { (None, None) } else { (Some(none()), Some(none())) };
    let sql_c2p = match sql_c2p {
        Some(l) => l,
        None => measure(
            "SQL kandidaat -> plaatsen",
            &mut |conn, i| {
                let c = candidate_full(conn, &qc[i])?.ok_or_else(|| anyhow::anyhow!("candidate vanished"))?;
                sql_for_candidate(conn, rd, &c, &s, s.retrieval_size)
            },
            &mut conn,
        )?,
    };
    let sql_p2c = match sql_p2c {
        Some(l) => l,
        None => measure(
            "SQL plaats -> kandidaten",
            &mut |conn, i| {
                let p = placement_full(conn, &qp[i])?.ok_or_else(|| anyhow::anyhow!("placement vanished"))?;
                let m = municipality_of(&p);
                sql_for_placement(conn, rd, &p, &m, &s, s.retrieval_size)
            },
            &mut conn,
        )?,
    };
    Ok(BenchReport {
        placements: cfg.placements,
        candidates: cfg.candidates,
        generate_s,
        index_docs: np + nc,
        index_s,
        index_docs_per_s: (np + nc) as f64 / index_s.max(1e-9),
        index_size_mb,
        features_s,
        features_mb,
        candidate_to_placements: c2p,
        placement_to_candidates: p2c,
        placement_to_candidates_region: p2c_region,
        retrieval_candidate_to_placements: c2p_retrieval,
        retrieval_placement_to_candidates: p2c_retrieval,
        sql_candidate_to_placements: sql_c2p,
        sql_placement_to_candidates: sql_p2c,
        peak_after_generate_mb,
        peak_after_index_mb,
        peak_rss_mb: peak_rss_mb(),
    })
}

fn dir_size(p: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            let path = e.path();
            total += if path.is_dir() { dir_size(&path) } else { e.metadata().map(|m| m.len()).unwrap_or(0) };
        }
    }
    total
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Opstap benchmark: {} placements, {} candidates (generated in {:.0} s)", self.placements, self.candidates, self.generate_s)?;
        if self.index_s.is_finite() && self.index_s > 0.0 {
            writeln!(
                f,
                "Indexing: {} documents in {:.1} s = {:.0} docs/s (index {:.0} MB)",
                self.index_docs, self.index_s, self.index_docs_per_s, self.index_size_mb
            )?;
        } else {
            writeln!(f, "Indexing: not measured (--reuse: the index of the earlier run, {:.0} MB)", self.index_size_mb)?;
        }
        writeln!(f, "Matcher features in memory: loaded in {:.1} s, {:.0} MB", self.features_s, self.features_mb)?;
        writeln!(f, "{:<44} {:>6} {:>9} {:>9} {:>8}", "top-20 proposals", "n", "p50 ms", "p99 ms", "results")?;
        for (name, l) in [
            ("candidate -> placements (index)", &self.candidate_to_placements),
            ("placement -> candidates, municipality (index)", &self.placement_to_candidates),
            ("placement -> candidates, whole country (index)", &self.placement_to_candidates_region),
            ("  retrieval alone: candidate -> placements", &self.retrieval_candidate_to_placements),
            ("  retrieval alone: placement -> candidates", &self.retrieval_placement_to_candidates),
            ("candidate -> placements (SQL baseline)", &self.sql_candidate_to_placements),
            ("placement -> candidates (SQL baseline)", &self.sql_placement_to_candidates),
        ] {
            if l.n == 0 {
                writeln!(f, "{name:<44} {:>6} {:>9} {:>9} {:>8}", 0, "-", "-", "-")?;
                continue;
            }
            writeln!(f, "{:<44} {:>6} {:>9.1} {:>9.1} {:>8.1}", name, l.n, l.p50_ms, l.p99_ms, l.mean_results)?;
        }
        let ratio = |a: &Latency, b: &Latency| {
            if a.p50_ms > 0.0 {
                b.p50_ms / a.p50_ms
            } else {
                0.0
            }
        };
        if self.sql_candidate_to_placements.n > 0 {
            writeln!(
                f,
                "SQL/index p50 ratio: candidate -> placements {:.1}x, placement -> candidates {:.1}x",
                ratio(&self.candidate_to_placements, &self.sql_candidate_to_placements),
                ratio(&self.placement_to_candidates, &self.sql_placement_to_candidates)
            )?;
        } else {
            writeln!(f, "SQL baseline: not measured (--no-baseline)")?;
        }
        write!(
            f,
            "Peak resident memory: {:.0} MB (after generating the data {:.0} MB, after indexing {:.0} MB)",
            self.peak_rss_mb, self.peak_after_generate_mb, self.peak_after_index_mb
        )
    }
}
