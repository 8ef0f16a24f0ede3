//! What an employer (or anyone outside the candidate's municipality team) may see of a proposed
//! candidate before disclosure: one place, used by the API, the pages, exports and mail.
//!
//! Nothing in it lets the employer work out where the candidate lives: the distance is given as
//! a band (`geo::distance_band`), in the profile, in the distance factor's text and in its
//! points alike, and the score is made from the factors shown only, so that subtracting them
//! from it reveals nothing hidden (neither the exact distance nor a personal factor such as
//! support needs or age). An employer with placements at several addresses learns at most
//! which band each is in.

use super::labels::LabelRef;
use crate::domain::geo;
use crate::engine::matching::{Evaluation, Exclusion, Factor, InstrumentPackage};
use crate::refdata::RefData;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an employer sees of a proposed candidate before disclosure: no name, contact data,
/// address, birth date or id.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnonymousProfile {
    /// A pseudonym, stable for this placement only.
    pub reference: String,
    pub occupations: Vec<LabelRef>,
    pub skills: Vec<LabelRef>,
    /// The skills in Dutch for pages and e-mail (English-only ESCO terms summarised in the
    /// occupation's Dutch wording).
    pub skills_nl: Vec<String>,
    pub ladder_step: Option<i32>,
    pub hours_min: i32,
    pub hours_max: i32,
    pub distance_band: Option<String>,
}

/// The distance between the candidate's home and the placement, as a band; None when a postcode
/// is not in the reference data.
pub fn distance_band(rd: &RefData, placement_pc4: &str, candidate_pc4: &str) -> Option<&'static str> {
    let a = rd.pc4.get(placement_pc4)?;
    let b = rd.pc4.get(candidate_pc4)?;
    Some(geo::distance_band(geo::haversine_km(a.lat, a.lon, b.lat, b.lon)))
}

/// The anonymous profile of a candidate as the employer of `placement` may see it.
pub fn anonymous_profile(
    keys: &super::Keys,
    rd: &RefData,
    placement: &crate::db::models::Placement,
    c: &crate::db::queries::CandidateFull,
) -> AnonymousProfile {
    use super::labels::{occupation_ref, skill_ref};
    AnonymousProfile {
        reference: keys.pseudonym(&placement.id, &c.candidate.id),
        occupations: c.occupations.iter().map(|o| occupation_ref(rd, &o.occupation_id)).collect(),
        skills: c.skills.iter().filter_map(|s| s.skill_id.as_deref()).map(|s| skill_ref(rd, s)).collect(),
        skills_nl: rd.skill_labels_nl(
            &c.skills.iter().filter_map(|s| s.skill_id.as_deref()).collect::<Vec<_>>(),
            c.occupations.first().map(|o| o.occupation_id.as_str()),
        ),
        ladder_step: c.ladder.as_ref().map(|l| l.step),
        hours_min: c.candidate.hours_min,
        hours_max: c.candidate.hours_max,
        distance_band: distance_band(rd, &placement.pc4, &c.candidate.pc4).map(String::from),
    }
}

/// Factors an employer may read: those about the work, not about the person's situation.
pub const EMPLOYER_FACTORS: &[&str] = &["skills", "ladder", "distance", "hours", "start_date", "instruments"];

/// The matcher's evaluation of a candidate as an employer may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct EmployerEvaluation {
    /// 0..100 over the factors shown (see the module text).
    pub score: f64,
    pub factors: Vec<Factor>,
    pub instruments: InstrumentPackage,
    /// The rules that exclude the candidate, by name only.
    pub excluded: Vec<Exclusion>,
}

/// The share of the distance factor's points per band: the same for everybody in the band,
/// whatever their exact distance or own travel limit.
fn band_fraction(band: Option<&str>) -> f64 {
    match band {
        Some("0-5 km") => 1.0,
        Some("5-10 km") => 0.75,
        Some("10-20 km") => 0.5,
        Some("20-40 km") => 0.25,
        Some(_) => 0.0,
        None => 0.5,
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Redacts `e` for the employer: only `EMPLOYER_FACTORS`, the distance as its band, the score
/// made from the factors shown, no loonwaarde in the LKS formula, no reasons of exclusion.
pub fn evaluation(e: Evaluation, band: Option<&str>) -> EmployerEvaluation {
    // Every factor but the skills counts in proportion to the relevance (the skills factor's
    // share); the banded distance does the same.
    let relevance = e
        .factors
        .iter()
        .find(|f| f.factor == "skills")
        .map(|f| if f.max > 0.0 { (f.contribution / f.max).clamp(0.0, 1.0) } else { 1.0 })
        .unwrap_or(1.0);
    let factors: Vec<Factor> = e
        .factors
        .into_iter()
        .filter(|f| EMPLOYER_FACTORS.contains(&f.factor.as_str()))
        .map(|f| {
            if f.factor != "distance" {
                return f;
            }
            let explanation = match band {
                Some(b) => format!("Afstand tussen woonplaats en werkplek: {b}."),
                None => "Afstand onbekend.".to_string(),
            };
            Factor { contribution: round1(f.max * band_fraction(band) * relevance), explanation, explanation_b1: String::new(), ..f }
        })
        .collect();
    let max: f64 = factors.iter().map(|f| f.max).sum();
    let got: f64 = factors.iter().map(|f| f.contribution).sum();
    let score = if !e.excluded.is_empty() || max <= 0.0 { 0.0 } else { round1(got / max * 100.0) };
    let mut instruments = e.instruments;
    // The formula names the loonwaarde; the employer sees the amount only.
    if let Some(l) = instruments.loonkostensubsidie.as_mut() {
        l.formula = String::new();
    }
    let excluded = e.excluded.into_iter().map(|x| Exclusion { reason: x.rule.clone(), reason_b1: String::new(), rule: x.rule }).collect();
    EmployerEvaluation { score, factors, instruments, excluded }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factor(name: &str, contribution: f64, max: f64, text: &str) -> Factor {
        Factor { factor: name.into(), contribution, max, explanation: text.into(), explanation_b1: text.into() }
    }

    fn eval(distance_points: f64, km: f64, support_points: f64) -> Evaluation {
        Evaluation {
            score: 0.0,
            excluded: vec![],
            factors: vec![
                factor("skills", 30.0, 40.0, "Zelfde beroep."),
                factor("distance", distance_points, 15.0, &format!("{km:.1} km van de woonplaats")),
                factor("support", support_points, 5.0, "Begeleiding past."),
                factor("under_27", 5.0, 5.0, "Jonger dan 27."),
            ],
            unmet_wishes: vec![],
            distance_km: Some(km),
            instruments: InstrumentPackage::default(),
            missing_skills: vec![],
        }
    }

    #[test]
    fn within_a_band_the_employer_sees_the_same_figures_and_words() {
        // Two candidates in the same band, at other distances and with other personal factors.
        let a = evaluation(eval(12.1, 6.2, 5.0), Some("5-10 km"));
        let b = evaluation(eval(8.4, 9.7, 0.0), Some("5-10 km"));
        assert_eq!(a, b);
        let d = a.factors.iter().find(|f| f.factor == "distance").unwrap();
        assert!(!d.explanation.contains("6,2") && !d.explanation.contains("6.2"), "{}", d.explanation);
        assert!(d.explanation.contains("5-10 km"));
        assert!(a.factors.iter().all(|f| f.factor != "support" && f.factor != "under_27"));
        // The score is the factors shown, nothing else.
        let shown: f64 = a.factors.iter().map(|f| f.contribution).sum();
        let max: f64 = a.factors.iter().map(|f| f.max).sum();
        assert!((a.score - round1(shown / max * 100.0)).abs() < 1e-9);
        // Another band is another figure.
        let c = evaluation(eval(12.1, 6.2, 5.0), Some("0-5 km"));
        assert!(c.score > a.score);
    }
}
