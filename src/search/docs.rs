//! Building index documents from database aggregates (pure: no I/O).

use super::schema::facet_value;
use super::schema::{CandidateFields, PlacementFields};
use crate::db::queries::{CandidateFull, PlacementFull};
use crate::domain::language;
use crate::refdata::RefData;
use tantivy::TantivyDocument;

fn ts(t: chrono::NaiveDateTime) -> u64 {
    t.and_utc().timestamp_micros().max(0) as u64
}

pub fn placement_doc(f: &PlacementFields, p: &PlacementFull, rd: &RefData) -> TantivyDocument {
    let pl = &p.placement;
    let mut d = TantivyDocument::default();
    d.add_text(f.id, &pl.id);
    d.add_text(f.kind, pl.kind.as_str());
    d.add_text(f.title, &pl.title);
    d.add_text(f.description, &pl.description);
    // Each distinct word of the title once (the labels of the occupation and skills are found
    // through their ids at query time: `super::labels`).
    let words: std::collections::BTreeSet<String> = crate::refdata::labels::part_words(&pl.title).collect();
    for w in words {
        d.add_text(f.grams, &w);
    }
    if let Some(oid) = &pl.occupation_id {
        d.add_text(f.occupation_id, oid);
    }
    for s in &p.skills {
        d.add_text(f.skill_ids, &s.skill_id);
        if s.required {
            d.add_text(f.required_skill_ids, &s.skill_id);
        }
    }
    d.add_text(f.organisation_id, &pl.organisation_id);
    d.add_text(f.status, pl.status.as_str());
    d.add_u64(f.published, p.is_published() as u64);
    d.add_u64(f.hours_min, pl.hours_min.max(0) as u64);
    d.add_u64(f.hours_max, pl.hours_max.max(0) as u64);
    for s in pl.ladder_steps_vec() {
        d.add_u64(f.ladder_steps, s as u64);
        d.add_text(f.facets, facet_value("ladder", &s.to_string()));
    }
    let rank = pl.language_level_required.as_deref().and_then(language::rank).unwrap_or(0);
    d.add_u64(f.language_rank, rank as u64);
    d.add_text(f.pc4, &pl.pc4);
    if let Some(pc) = rd.pc4.get(&pl.pc4) {
        d.add_f64(f.lat, pc.lat);
        d.add_f64(f.lon, pc.lon);
        d.add_text(f.facets, facet_value("place", &pc.place));
    }
    let support = crate::domain::support::offered(pl.internal_supervisor, pl.job_coach_welcome, pl.adapted_workplace, pl.language_learning);
    let mut flags: Vec<&str> = support.iter().map(|s| s.code()).collect();
    if pl.lks_accepted {
        flags.push("lks_accepted");
    }
    if pl.counts_banenafspraak {
        flags.push("counts_banenafspraak");
    }
    if crate::domain::support::has_guidance(&support) {
        flags.push("support");
    }
    for fl in &flags {
        d.add_text(f.facets, super::schema::flag_facet(fl));
    }
    d.add_text(f.facets, facet_value("kind", pl.kind.as_str()));
    d.add_text(f.facets, facet_value("status", pl.status.as_str()));
    d.add_u64(f.created_ts, ts(pl.created_at));
    d
}

pub fn candidate_doc(f: &CandidateFields, c: &CandidateFull, rd: &RefData) -> TantivyDocument {
    let ca = &c.candidate;
    let mut d = TantivyDocument::default();
    d.add_text(f.id, &ca.id);
    d.add_text(f.municipality_id, &ca.municipality_id);
    d.add_text(f.klantmanager_id, &ca.klantmanager_id);
    d.add_text(f.status, ca.status.as_str());
    for o in &c.occupations {
        d.add_text(f.occupation_ids, &o.occupation_id);
    }
    for s in &c.skills {
        if let Some(sid) = &s.skill_id {
            d.add_text(f.skill_ids, sid);
        }
        if let Some(t) = &s.free_text {
            d.add_text(f.skills_text, t);
        }
    }
    let step = c.ladder.as_ref().map(|l| l.step).unwrap_or(0);
    d.add_u64(f.ladder_step, step.max(0) as u64);
    d.add_text(f.facets, facet_value("ladder", &step.to_string()));
    d.add_u64(f.hours_min, ca.hours_min.max(0) as u64);
    d.add_u64(f.hours_max, ca.hours_max.max(0) as u64);
    let rank = ca.language_level.as_deref().and_then(language::rank).unwrap_or(0);
    d.add_u64(f.language_rank, rank as u64);
    d.add_text(f.facets, facet_value("language", ca.language_level.as_deref().and_then(language::normalise).as_deref().unwrap_or("onbekend")));
    d.add_u64(f.max_travel_km, ca.max_travel_km.max(0) as u64);
    d.add_text(f.pc4, &ca.pc4);
    if let Some(pc) = rd.pc4.get(&ca.pc4) {
        d.add_f64(f.lat, pc.lat);
        d.add_f64(f.lon, pc.lon);
    }
    let mut flags: Vec<&str> = Vec::new();
    for (on, name) in [
        (ca.needs_job_coach, "needs_job_coach"),
        (ca.doelgroepregister, "doelgroepregister"),
        (ca.beschut_werk_indicatie, "beschut_werk_indicatie"),
        (ca.lks_target_group, "lks_target_group"),
        (ca.statushouder, "statushouder"),
        (ca.own_transport, "own_transport"),
        (ca.driving_licence, "driving_licence"),
        (ca.startkwalificatie, "startkwalificatie"),
        (ca.consent_matching, "consent_matching"),
        (ca.consent_anonymous_profile, "consent_anonymous_profile"),
    ] {
        if on {
            flags.push(name);
        }
    }
    for fl in flags {
        d.add_text(f.facets, super::schema::flag_facet(fl));
    }
    d.add_text(f.facets, facet_value("status", ca.status.as_str()));
    d.add_u64(f.created_ts, ts(ca.created_at));
    d
}
