//! The matcher: hard rules, an explainable 0-100 score with a contribution per factor, and
//! the instrument package. Pure: features in, proposals out (no actix, no diesel).
//!
//! Protected attributes (gender, nationality, religion, name, diagnosis) are not in the
//! features at all; age is present only for the under-27 rule and the statutory youth wage.

/// Formats an explanation only when the evaluation is asked with its texts: ranking needs the
/// numbers of every pair, the texts only of the pairs shown.
macro_rules! txt {
    ($detail:expr, $($arg:tt)*) => {
        if $detail { format!($($arg)*) } else { String::new() }
    };
}

pub mod explain;
pub mod register;

use crate::domain::instruments::{self, LksInput, LksResult, SroiInput};
use crate::domain::settings::Settings;
use crate::domain::{geo, language, PlacementKind};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A list derived from reference data, shared by every candidate or placement it belongs to.
pub type Shared<T> = std::sync::Arc<Vec<T>>;

/// What the matcher knows of a candidate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CandidateFeatures {
    pub id: String,
    pub municipality_id: String,
    pub status: String,
    pub consent_matching: bool,
    pub ladder_step: Option<i32>,
    pub occupations: Vec<String>,
    /// Explicit ESCO skills.
    pub skills: Vec<String>,
    /// Essential skills of the candidate's occupations (implied), sorted as
    /// `RefData::essential_skills_of` gives them (membership is then a binary search). Shared: it
    /// follows from the occupations alone, so candidates with the same occupations share one list
    /// in memory.
    pub implied_skills: Shared<String>,
    /// Occupations related to the candidate's ones (`crate::engine::relatedness`), relatedness 0..1.
    pub related_occupations: Shared<(String, f64)>,
    pub hours_min: i32,
    pub hours_max: i32,
    pub location: Option<(f64, f64)>,
    pub max_travel_km: i32,
    pub own_transport: bool,
    pub language_level: Option<String>,
    pub loonwaarde: Option<i32>,
    pub doelgroepregister: bool,
    pub beschut_werk_indicatie: bool,
    pub lks_target_group: bool,
    pub needs_job_coach: bool,
    pub statushouder: bool,
    /// Decides the SROI bouwblok.
    pub benefit_type: crate::domain::BenefitType,
    /// Only for the under-27 rule and the youth minimum wage.
    pub age: Option<i32>,
    /// A havo or vwo diploma, or mbo level 2 or higher: under the youth age, education comes
    /// first only without one (DOMAIN.md).
    pub startkwalificatie: bool,
    pub available_from: Option<NaiveDate>,
    pub sector_preferences: Vec<String>,
    /// The kinds of work the person wants (empty: no wish).
    pub kind_preferences: Vec<PlacementKind>,
}

/// An SROI contract's state, for the value of a placement to the employer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SroiState {
    pub contract_id: String,
    pub reference: String,
    pub obligation_cents: i64,
    pub realised_cents: i64,
}

/// What the matcher knows of a placement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlacementFeatures {
    pub id: String,
    pub organisation_id: String,
    pub organisation_sector: String,
    pub kind: Option<PlacementKind>,
    pub occupation_id: Option<String>,
    /// Essential skills of the placement's occupation (for hidden matches).
    pub occupation_skills: Shared<String>,
    /// Occupations related to the placement's occupation, relatedness 0..1.
    pub related_occupations: Shared<(String, f64)>,
    pub required_skills: Vec<String>,
    pub desired_skills: Vec<String>,
    pub hours_min: i32,
    pub hours_max: i32,
    pub location: Option<(f64, f64)>,
    pub hourly_wage_cents: Option<i32>,
    pub language_level_required: Option<String>,
    pub ladder_steps: Vec<i32>,
    pub internal_supervisor: bool,
    pub job_coach_welcome: bool,
    pub adapted_workplace: bool,
    pub lks_accepted: bool,
    pub counts_banenafspraak: bool,
    pub language_learning: bool,
    pub sroi: Option<SroiState>,
    pub start_date: Option<NaiveDate>,
    pub duration_months: Option<i32>,
    pub published: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Factor {
    /// skills | ladder | distance | hours | language | support | start_date | under_27 | statushouder | instruments
    pub factor: String,
    /// Points this factor adds to the score.
    pub contribution: f64,
    /// The most this factor can add (its weight).
    pub max: f64,
    /// For the klantmanager.
    pub explanation: String,
    /// In plain language (B1), for the candidate.
    pub explanation_b1: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Exclusion {
    /// open | beschut_werk | language | hours | distance | ladder_step | consent | status
    pub rule: String,
    pub reason: String,
    pub reason_b1: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobCoachPackage {
    /// The candidate is entitled to support at the workplace (LKS target group) or needs it.
    pub applicable: bool,
    pub workplace_welcomes_job_coach: bool,
    pub internal_supervisor: bool,
    pub year1_hours: f64,
    pub year2_hours: f64,
    pub later_hours_per_year: f64,
    pub year1_external_cost_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SroiPackage {
    pub contract_id: String,
    pub reference: String,
    pub value_cents: i64,
    pub category: String,
    pub bonuses: Vec<String>,
    pub open_obligation_cents: i64,
    /// Share of the open obligation this placement would fill, percent (max 100).
    pub share_of_open_obligation_pct: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InstrumentPackage {
    /// Hours per week this proposal assumes (the overlap of wishes and placement).
    pub hours_per_week: f64,
    pub paid: bool,
    /// Loonkostensubsidie per month, when it applies (paid work, candidate below WML capacity).
    pub loonkostensubsidie: Option<LksResult>,
    /// Whether the employer said it accepts LKS.
    pub employer_accepts_lks: bool,
    pub job_coach: JobCoachPackage,
    pub trial_placement_possible: bool,
    /// Legal maximum of a trial placement: 2 + 4 months.
    pub trial_placement_max_months: i32,
    pub no_risk_polis: bool,
    pub no_risk_polis_note: String,
    pub lkv_per_year_cents: Option<i64>,
    pub banenafspraak_jobs: Option<f64>,
    pub sroi: Option<SroiPackage>,
    pub gross_monthly_wage_costs_cents: Option<i64>,
    /// Gross wage costs - LKS (where it can be chosen, see `lks_possible`) - LKV/12.
    pub employer_net_monthly_cost_cents: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evaluation {
    /// 0..100; 0 when excluded.
    pub score: f64,
    pub excluded: Vec<Exclusion>,
    pub factors: Vec<Factor>,
    pub unmet_wishes: Vec<String>,
    pub distance_km: Option<f64>,
    pub instruments: InstrumentPackage,
    /// The skills the placement asks that the candidate does not have (neither stated nor implied
    /// by an occupation), required ones first; ESCO ids (labels: `service::labels`). Only in the
    /// full evaluation (`detail`).
    pub missing_skills: Vec<MissingSkill>,
}

/// A skill the placement asks and the candidate lacks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MissingSkill {
    pub skill_id: String,
    /// Required (else desired).
    pub required: bool,
}

impl Evaluation {
    pub fn is_excluded(&self) -> bool {
        !self.excluded.is_empty()
    }
}

/// Effective maximum travel distance: without own transport it is capped by the setting.
pub fn max_travel_km(c: &CandidateFeatures, s: &Settings) -> f64 {
    s.travel_km(c.max_travel_km, c.own_transport)
}

/// Hours per week both sides can agree on, if any.
pub fn agreed_hours(c: &CandidateFeatures, p: &PlacementFeatures) -> Option<f64> {
    let lo = c.hours_min.max(p.hours_min);
    let hi = c.hours_max.min(p.hours_max);
    (lo <= hi && hi > 0).then_some(hi as f64)
}

/// A list of ids to test membership in: by binary search when sorted (implied skills are, as
/// `RefData::essential_skills_of` gives them), else by a scan. Replaces a hash set built per
/// call: SipHash of every implied skill for each of the few hundred pairs a proposal evaluates
/// was 3-4% of the server's CPU under proposal load (perf, bench-http).
struct Members<'a> {
    v: &'a [String],
    sorted: bool,
}

impl<'a> Members<'a> {
    fn of(v: &'a [String]) -> Self {
        Members { v, sorted: v.is_sorted() }
    }

    fn contains(&self, s: &str) -> bool {
        if self.sorted {
            self.v.binary_search_by(|x| x.as_str().cmp(s)).is_ok()
        } else {
            self.v.iter().any(|x| x == s)
        }
    }
}

/// Occupation similarity 0..1: 1 for the same occupation; else the relatedness of the two
/// occupations from ESCO (`crate::engine::relatedness`, either direction), or the share of the placement
/// occupation's essential skills the candidate's occupations also require, whichever is higher
/// ("hidden match").
pub fn occupation_similarity(c: &CandidateFeatures, p: &PlacementFeatures) -> f64 {
    let Some(po) = &p.occupation_id else { return 0.0 };
    if c.occupations.iter().any(|o| o == po) {
        return 1.0;
    }
    let related = c
        .related_occupations
        .iter()
        .filter(|(o, _)| o == po)
        .map(|(_, r)| *r)
        .chain(p.related_occupations.iter().filter(|(o, _)| c.occupations.contains(o)).map(|(_, r)| *r))
        .fold(0.0f64, f64::max);
    let overlap = if p.occupation_skills.is_empty() {
        0.0
    } else {
        let mine = Members::of(&c.implied_skills);
        p.occupation_skills.iter().filter(|s| mine.contains(s)).count() as f64 / p.occupation_skills.len() as f64
    };
    related.max(overlap)
}

/// The smallest relevance (occupation and skills, 0..1) that makes a pair a match at all; below it
/// the pair is excluded (advisory rule `relevance`).
pub const RELEVANCE_MIN: f64 = 0.2;
/// The relevance of a placement that asks for no occupation and no skills (open to anyone, e.g.
/// volunteering or dagbesteding), and of a candidate whose profile has neither yet.
pub const RELEVANCE_NEUTRAL: f64 = 0.6;

/// What the relevance rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelevanceBasis {
    /// Occupation relatedness and skill coverage.
    Measured,
    /// The placement names no occupation and no skills.
    OpenToAll,
    /// The candidate's profile has no occupation and no skills yet.
    CandidateUnknown,
}

/// Occupation and skill relevance of a pair, 0..1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Relevance {
    pub value: f64,
    pub basis: RelevanceBasis,
}

/// Relevance: how much the work has to do with what the candidate does and can. With an
/// occupation and skills on both sides: 60% occupation relatedness + 40% skill coverage; with
/// only one of them, that one. It gates the score: the other factors count in proportion to it.
pub fn relevance(c: &CandidateFeatures, p: &PlacementFeatures) -> Relevance {
    let placement_asks = p.occupation_id.is_some() || !p.required_skills.is_empty() || !p.desired_skills.is_empty();
    if !placement_asks {
        return Relevance { value: RELEVANCE_NEUTRAL, basis: RelevanceBasis::OpenToAll };
    }
    if c.occupations.is_empty() && c.skills.is_empty() {
        return Relevance { value: RELEVANCE_NEUTRAL, basis: RelevanceBasis::CandidateUnknown };
    }
    let occ = occupation_similarity(c, p);
    let value = match skill_coverage(c, p) {
        Some((cv, ..)) if p.occupation_id.is_some() => 0.6 * occ + 0.4 * cv,
        Some((cv, ..)) => cv,
        None => occ,
    };
    Relevance { value: value.clamp(0.0, 1.0), basis: RelevanceBasis::Measured }
}

/// How a proposal reads for the candidate (B1), from the calibrated score; `None` = not a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Score at least `FIT_GOOD`.
    Good,
    /// Score at least `FIT_MAYBE`.
    Maybe,
}

/// Score thresholds of the labels (the score is at most 100 x relevance).
pub const FIT_GOOD: f64 = 60.0;
pub const FIT_MAYBE: f64 = 35.0;

impl Fit {
    pub fn of(e: &Evaluation) -> Option<Fit> {
        if e.is_excluded() {
            None
        } else if e.score >= FIT_GOOD {
            Some(Fit::Good)
        } else if e.score >= FIT_MAYBE {
            Some(Fit::Maybe)
        } else {
            None
        }
    }
    pub fn label_b1(self) -> &'static str {
        match self {
            Fit::Good => "Past goed",
            Fit::Maybe => "Past misschien",
        }
    }
}

/// A proposal in plain words for the candidate: the fit label, up to four reasons it suits (the
/// factors that add most) and, whenever the person stated wishes, how the work meets them; and
/// why it does not suit now (exclusions).
pub fn plain(e: &Evaluation) -> (String, Vec<String>, Vec<String>) {
    let fit = Fit::of(e).map(|f| f.label_b1()).unwrap_or("Past (nog) niet");
    let mut f: Vec<&Factor> = e.factors.iter().filter(|f| f.factor != "wishes" && !f.explanation_b1.is_empty() && f.contribution > 0.0).collect();
    f.sort_by(|a, b| b.contribution.partial_cmp(&a.contribution).unwrap_or(std::cmp::Ordering::Equal));
    let mut reasons: Vec<String> = f.iter().take(4).map(|f| f.explanation_b1.clone()).collect();
    reasons.extend(e.factors.iter().filter(|f| f.factor == "wishes" && !f.explanation_b1.is_empty()).map(|f| f.explanation_b1.clone()));
    (fit.into(), reasons, e.excluded.iter().map(|x| x.reason_b1.clone()).collect())
}

/// Skill coverage 0..1: required skills weigh twice as much as desired ones. Explicit skills
/// count fully, skills implied by an occupation for 80%.
pub fn skill_coverage(c: &CandidateFeatures, p: &PlacementFeatures) -> Option<(f64, usize, usize, usize, usize)> {
    if p.required_skills.is_empty() && p.desired_skills.is_empty() {
        return None;
    }
    let explicit = Members::of(&c.skills);
    let implied = Members::of(&c.implied_skills);
    let credit = |s: &str| {
        if explicit.contains(s) {
            1.0
        } else if implied.contains(s) {
            0.8
        } else {
            0.0
        }
    };
    let req: f64 = p.required_skills.iter().map(|s| credit(s)).sum();
    let des: f64 = p.desired_skills.iter().map(|s| credit(s)).sum();
    let have_req = p.required_skills.iter().filter(|s| credit(s) > 0.0).count();
    let have_des = p.desired_skills.iter().filter(|s| credit(s) > 0.0).count();
    let total = 2.0 * p.required_skills.len() as f64 + p.desired_skills.len() as f64;
    Some(((2.0 * req + des) / total, have_req, p.required_skills.len(), have_des, p.desired_skills.len()))
}

/// Evaluates one candidate-placement pair.
/// Hard rules that are law or municipal policy: a klantmanager cannot propose against them
/// (the other exclusions advise and can be overruled with a reason in the note).
pub const BINDING_RULES: &[&str] = &["beschut_werk", WERKERVARINGSPLAATS_DURATION];
/// Rule name: a werkervaringsplaats longer than the municipality's `werkervaringsplaats_max_months`.
pub const WERKERVARINGSPLAATS_DURATION: &str = "werkervaringsplaats_duration";

pub fn evaluate(c: &CandidateFeatures, p: &PlacementFeatures, s: &Settings, today: NaiveDate) -> Evaluation {
    evaluate_with(c, p, s, today, true)
}

/// `evaluate`, with the explanation texts only when `detail`: without them the score, the rules
/// that exclude and every number are the same, so a ranking can be made on the quick form and
/// only the pairs shown evaluated with their texts (`rank_explained`).
pub fn evaluate_with(c: &CandidateFeatures, p: &PlacementFeatures, s: &Settings, today: NaiveDate, detail: bool) -> Evaluation {
    let kind = p.kind.unwrap_or(PlacementKind::ReguliereBaan);
    let distance_km = match (c.location, p.location) {
        (Some(a), Some(b)) => Some((geo::haversine_km(a.0, a.1, b.0, b.1) * 10.0).round() / 10.0),
        _ => None,
    };
    let max_km = max_travel_km(c, s);
    let hours = agreed_hours(c, p);

    // Hard rules
    let mut excluded = Vec::new();
    let mut ex = |rule: &str, reason: String, b1: String| excluded.push(Exclusion { rule: rule.into(), reason, reason_b1: b1 });
    if !p.published {
        ex(
            "open",
            "De plaats staat niet open (concept, vervuld, gesloten of werkgever niet geverifieerd).".into(),
            "Deze plek is niet meer open.".into(),
        );
    }
    if c.status != crate::domain::ACTIEF {
        ex("status", txt!(detail, "De kandidaat is niet actief (status: {}).", c.status), "U staat niet meer ingeschreven als werkzoekende.".into());
    }
    if !c.consent_matching {
        ex(
            "consent",
            "De kandidaat heeft geen toestemming gegeven voor matching.".into(),
            "U heeft nog geen toestemming gegeven om plekken voor u te zoeken.".into(),
        );
    }
    if kind.requires_beschut_indication() && !c.beschut_werk_indicatie {
        ex(
            "beschut_werk",
            "Beschut werk is alleen voor kandidaten met een indicatie beschut werk (Pw art. 10b).".into(),
            "Voor beschut werk heeft u een indicatie nodig.".into(),
        );
    }
    if kind == PlacementKind::Werkervaringsplaats && p.duration_months.is_some_and(|m| m > s.werkervaringsplaats_max_months) {
        ex(
            WERKERVARINGSPLAATS_DURATION,
            txt!(
                detail,
                "Een werkervaringsplaats duurt in deze gemeente hoogstens {} maanden; deze plaats duurt {} maanden.",
                s.werkervaringsplaats_max_months,
                p.duration_months.unwrap_or(0)
            ),
            "Deze werkervaringsplaats duurt langer dan de gemeente toestaat.".into(),
        );
    }
    if !language::meets(c.language_level.as_deref(), p.language_level_required.as_deref()) {
        ex(
            "language",
            txt!(
                detail,
                "Vereist taalniveau Nederlands {}; kandidaat: {}.",
                p.language_level_required.as_deref().unwrap_or("-"),
                c.language_level.as_deref().unwrap_or("onbekend")
            ),
            txt!(detail, "Voor dit werk moet u Nederlands op niveau {} spreken.", p.language_level_required.as_deref().unwrap_or("-")),
        );
    }
    if hours.is_none() {
        ex(
            "hours",
            txt!(detail, "Uren passen niet: kandidaat {}-{} uur, plaats {}-{} uur per week.", c.hours_min, c.hours_max, p.hours_min, p.hours_max),
            txt!(detail, "Dit werk is {}-{} uur per week. Dat past niet bij de uren die u wilt.", p.hours_min, p.hours_max),
        );
    }
    if let Some(d) = distance_km {
        if d > max_km + 1e-9 {
            let why = if c.own_transport || max_km < s.no_transport_max_km {
                txt!(detail, "maximale reisafstand {max_km:.0} km")
            } else {
                txt!(detail, "zonder eigen vervoer maximaal {max_km:.0} km")
            };
            ex(
                "distance",
                txt!(detail, "Afstand {} is meer dan de {why}.", crate::domain::nl::km(d)),
                txt!(detail, "Dit werk is {d:.0} km van uw huis. Dat is te ver."),
            );
        }
    }
    if let Some(step) = c.ladder_step {
        if !p.ladder_steps.is_empty() && !p.ladder_steps.contains(&step) {
            ex(
                "ladder_step",
                txt!(
                    detail,
                    "{} past bij trede {}; kandidaat staat op trede {step}.",
                    kind.label_nl(),
                    p.ladder_steps.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
                ),
                "Deze plek past nu nog niet bij uw stap.".into(),
            );
        }
    }

    let rel = relevance(c, p);
    if rel.value < RELEVANCE_MIN {
        ex(
            "relevance",
            txt!(
                detail,
                "Het werk heeft (bijna) niets te maken met de beroepen en vaardigheden van de kandidaat (relevantie {:.0}%, minimaal {:.0}%).",
                rel.value * 100.0,
                RELEVANCE_MIN * 100.0
            ),
            "Dit werk past niet bij wat u doet of kunt.".into(),
        );
    }

    let instruments = package(c, p, s, today, hours.unwrap_or(p.hours_max.min(c.hours_max).max(0) as f64));
    let (mut factors, unmet_wishes) = explain::factors(c, p, s, today, distance_km, max_km, hours, &instruments, rel, detail);
    // Relevance leads: every other factor counts in proportion to it, so the score is at most
    // 100 x relevance and unrelated work cannot score as a good match on distance and hours.
    for f in factors.iter_mut().filter(|f| f.factor != "skills") {
        f.contribution = (f.contribution * rel.value * 10.0).round() / 10.0;
    }
    // Always "van 100": a municipality's weights need not add up to 100 (after setting one to 0,
    // say); the sum of the contributions is scaled by 100 / the sum of the weights.
    let total = s.weights.total();
    let scale = if total > 0.0 { 100.0 / total } else { 1.0 };
    let score = if excluded.is_empty() { (factors.iter().map(|f| f.contribution).sum::<f64>() * scale * 10.0).round() / 10.0 } else { 0.0 };
    let missing_skills = if detail { missing_skills(c, p) } else { vec![] };
    Evaluation { score, excluded, factors, unmet_wishes, distance_km, instruments, missing_skills }
}

/// The placement's required and desired skills the candidate has neither stated nor got from an
/// occupation (the gap a training can close), required first, each once.
pub fn missing_skills(c: &CandidateFeatures, p: &PlacementFeatures) -> Vec<MissingSkill> {
    let explicit = Members::of(&c.skills);
    let implied = Members::of(&c.implied_skills);
    let mut seen = std::collections::HashSet::new();
    p.required_skills
        .iter()
        .map(|s| (s, true))
        .chain(p.desired_skills.iter().map(|s| (s, false)))
        .filter(|(s, _)| !explicit.contains(s) && !implied.contains(s) && seen.insert(s.as_str()))
        .map(|(s, required)| MissingSkill { skill_id: s.clone(), required })
        .collect()
}

/// The instrument package of a candidate-placement pair.
pub fn package(c: &CandidateFeatures, p: &PlacementFeatures, s: &Settings, today: NaiveDate, hours: f64) -> InstrumentPackage {
    let kind = p.kind.unwrap_or(PlacementKind::ReguliereBaan);
    let paid = kind.is_paid();
    let lks_applies = paid && (c.lks_target_group || c.loonwaarde.is_some_and(|l| l < 100) || kind == PlacementKind::BeschutWerk);
    let loonkostensubsidie = if lks_applies && hours > 0.0 {
        instruments::loonkostensubsidie(
            s,
            &LksInput { loonwaarde: c.loonwaarde.map(f64::from), hours, fulltime_hours: s.fulltime_hours, date: today, age: c.age },
        )
        .ok()
    } else {
        None
    };
    let jc = instruments::job_coach_hours(s, hours);
    let job_coach = JobCoachPackage {
        applicable: c.needs_job_coach || c.lks_target_group,
        workplace_welcomes_job_coach: p.job_coach_welcome,
        internal_supervisor: p.internal_supervisor,
        year1_hours: jc.year1_hours,
        year2_hours: jc.year2_hours,
        later_hours_per_year: jc.later_hours_per_year,
        year1_external_cost_cents: jc.year1_external_cost_cents,
    };
    // A trial placement (Pw 8a) precedes a job: possible for the trial kind itself and for
    // regular jobs, BBL and secondment.
    let trial_placement_possible =
        matches!(kind, PlacementKind::Proefplaatsing | PlacementKind::ReguliereBaan | PlacementKind::LeerwerkplekBbl | PlacementKind::Detachering);
    let (no_risk_polis, no_risk_polis_note) = if !paid {
        (false, "Niet van toepassing: onbetaalde plaats (geen loonrisico voor de werkgever).".to_string())
    } else if c.doelgroepregister {
        (true, "Doelgroepregister: de no-riskpolis (ZW 29b) dekt het loonrisico bij ziekte zolang de baan duurt.".to_string())
    } else if c.lks_target_group || c.loonwaarde.is_some_and(|l| l < 100) {
        (true, "Arbeidsbeperking: de no-riskpolis (ZW 29b) dekt het loonrisico bij ziekte, mits aangevraagd bij UWV.".to_string())
    } else {
        (false, "Niet van toepassing: geen doelgroepregister of arbeidsbeperking vastgelegd.".to_string())
    };
    let lkv_per_year_cents = (paid && c.doelgroepregister).then(|| instruments::lkv_per_year_cents(s, hours));
    let banenafspraak_jobs = (paid && c.doelgroepregister && p.counts_banenafspraak).then(|| instruments::banenafspraak_jobs(s, hours));
    let months = p.duration_months.map(f64::from).unwrap_or(12.0);
    let sroi = p.sroi.as_ref().map(|st| {
        let v = instruments::sroi_value(
            s,
            &SroiInput {
                benefit: c.benefit_type,
                doelgroepregister: c.doelgroepregister,
                bbl: kind == PlacementKind::LeerwerkplekBbl,
                age_50_plus: c.age.is_some_and(|a| a >= 50),
                statushouder: c.statushouder,
                permanent_contract: false,
                hours_per_week: hours,
                months,
            },
        );
        let open = (st.obligation_cents - st.realised_cents).max(0);
        SroiPackage {
            contract_id: st.contract_id.clone(),
            reference: st.reference.clone(),
            value_cents: v.value_cents,
            category: v.category,
            bonuses: v.bonuses,
            open_obligation_cents: open,
            share_of_open_obligation_pct: if open > 0 {
                ((v.value_cents as f64 / open as f64 * 100.0).min(100.0) * 10.0).round() / 10.0
            } else {
                0.0
            },
        }
    });
    let hourly = if paid { p.hourly_wage_cents.map(i64::from).or_else(|| s.wml_on(today).map(|w| w.hour_cents)) } else { None };
    let gross = hourly.map(|h| instruments::gross_monthly_wage_costs_cents(s, h, hours));
    let mut pkg = InstrumentPackage {
        hours_per_week: hours,
        paid,
        loonkostensubsidie,
        // Beschut werk is paid with LKS by law (Pw 10b): the employer accepts it by offering the place.
        employer_accepts_lks: p.lks_accepted || kind == PlacementKind::BeschutWerk,
        job_coach,
        trial_placement_possible,
        trial_placement_max_months: crate::domain::kinds::TRIAL_MAX_MONTHS + crate::domain::kinds::TRIAL_MAX_EXTENSION_MONTHS,
        no_risk_polis,
        no_risk_polis_note,
        lkv_per_year_cents,
        banenafspraak_jobs,
        sroi,
        gross_monthly_wage_costs_cents: gross,
        employer_net_monthly_cost_cents: None,
    };
    // The business case shown beside a proposal: with LKS wherever it can be chosen.
    pkg.employer_net_monthly_cost_cents = pkg.net_cost_cents(true);
    pkg
}

/// The instruments a klantmanager chooses for a proposal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Chosen {
    pub loonkostensubsidie: bool,
    pub job_coach: bool,
    pub proefplaatsing: bool,
    pub no_risk_polis: bool,
}

impl InstrumentPackage {
    /// Whether loonkostensubsidie can be chosen: paid work, a candidate in the target group with
    /// an amount above zero, and an employer that accepts it (beschut werk always comes with LKS).
    /// The one rule behind the offer on the pages, the proposal check and the net cost.
    pub fn lks_possible(&self) -> bool {
        let amount = self.loonkostensubsidie.as_ref().is_some_and(|l| !l.not_in_target_group && l.amount_cents > 0);
        self.paid && amount && self.employer_accepts_lks
    }

    /// What can be chosen here (the same rule for the offer and the check of a choice).
    pub fn offer(&self) -> Chosen {
        Chosen {
            loonkostensubsidie: self.lks_possible(),
            job_coach: self.job_coach.workplace_welcomes_job_coach,
            proefplaatsing: self.trial_placement_possible,
            no_risk_polis: self.no_risk_polis,
        }
    }

    /// The instruments that can be granted at the start (codes of `workflow::INSTRUMENTS`):
    /// what this proposal offers, and for unpaid work only support at the workplace (a job coach;
    /// LKS, LKV, no-risk polis and a trial placement need a paid job). The one rule behind the
    /// start form and the check of `instruments_granted`.
    pub fn grantable(&self, paid: bool) -> Vec<&'static str> {
        let o = self.offer();
        if !(paid && self.paid) {
            return if o.job_coach { vec!["job_coach"] } else { vec![] };
        }
        let mut v = vec![];
        if o.loonkostensubsidie {
            v.push("loonkostensubsidie");
        }
        if o.job_coach {
            v.push("job_coach");
        }
        if o.no_risk_polis {
            v.push("no_risk_polis");
        }
        if self.lkv_per_year_cents.is_some_and(|c| c > 0) {
            v.push("lkv");
        }
        if o.proefplaatsing {
            v.push("proefplaatsing");
        }
        v
    }

    /// The employer's net monthly cost: gross wage costs - LKS (when chosen and possible) -
    /// LKV / 12. None for unpaid placements.
    pub fn net_cost_cents(&self, lks_chosen: bool) -> Option<i64> {
        let gross = self.gross_monthly_wage_costs_cents?;
        let lks = if lks_chosen && self.lks_possible() { self.loonkostensubsidie.as_ref().map(|l| l.amount_cents).unwrap_or(0) } else { 0 };
        Some(gross - lks - self.lkv_per_year_cents.unwrap_or(0) / 12)
    }

    /// The chosen instruments that are not possible here: (field, reason in Dutch).
    pub fn refusals(&self, ch: &Chosen) -> Vec<(&'static str, &'static str)> {
        let offer = self.offer();
        let mut v = Vec::new();
        if ch.loonkostensubsidie && !offer.loonkostensubsidie {
            v.push((
                "instruments.loonkostensubsidie",
                if self.paid && self.loonkostensubsidie.as_ref().is_some_and(|l| !l.not_in_target_group && l.amount_cents > 0) {
                    "De werkgever heeft aangegeven geen loonkostensubsidie te gebruiken."
                } else {
                    "Loonkostensubsidie is hier niet mogelijk (alleen bij betaald werk, voor de doelgroep, met een loonwaarde onder 100%)."
                },
            ));
        }
        if ch.job_coach && !offer.job_coach {
            v.push(("instruments.job_coach", "Deze werkplek heeft aangegeven geen jobcoach te willen."));
        }
        if ch.proefplaatsing && !offer.proefplaatsing {
            v.push(("instruments.proefplaatsing", "Een proefplaatsing kan alleen bij betaald werk met uitzicht op een dienstverband."));
        }
        if ch.no_risk_polis && !offer.no_risk_polis {
            v.push(("instruments.no_risk_polis", "De no-riskpolis geldt hier niet (alleen voor de doelgroep van de no-riskpolis bij betaald werk)."));
        }
        v
    }
}

/// Ranks evaluations: included first by score (then by id, for a stable order); excluded
/// ones after, when asked for.
pub fn rank<T>(mut items: Vec<(String, Evaluation, T)>, include_excluded: bool, limit: usize) -> Vec<(String, Evaluation, T)> {
    if !include_excluded {
        items.retain(|(_, e, _)| !e.is_excluded());
    }
    items.sort_by(|a, b| {
        a.1.is_excluded().cmp(&b.1.is_excluded()).then(b.1.score.partial_cmp(&a.1.score).unwrap_or(std::cmp::Ordering::Equal)).then(a.0.cmp(&b.0))
    });
    items.truncate(limit);
    items
}

/// Ranks pairs on their quick evaluation (`evaluate_with(.., false)`) and evaluates the ones
/// kept with their texts: the same result as ranking full evaluations, for a fraction of the
/// formatting. `items` are (id, candidate, placement, settings).
pub fn rank_explained<'a>(
    items: impl IntoIterator<Item = (String, &'a CandidateFeatures, &'a PlacementFeatures, &'a Settings)>,
    include_excluded: bool,
    limit: usize,
    today: NaiveDate,
) -> Vec<(String, Evaluation)> {
    let quick: Vec<(String, Evaluation, (&CandidateFeatures, &PlacementFeatures, &Settings))> =
        items.into_iter().map(|(id, c, p, s)| (id, evaluate_with(c, p, s, today, false), (c, p, s))).collect();
    rank(quick, include_excluded, limit).into_iter().map(|(id, _, (c, p, s))| (id, evaluate(c, p, s, today))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    }

    #[test]
    fn membership_is_the_same_in_sorted_and_unsorted_lists() {
        let unsorted: Vec<String> = ["snijden", "hygiene", "koken", "bakken"].iter().map(|s| s.to_string()).collect();
        let mut sorted = unsorted.clone();
        sorted.sort();
        let (a, b) = (Members::of(&unsorted), Members::of(&sorted));
        assert!(!a.sorted && b.sorted);
        for s in ["bakken", "hygiene", "koken", "snijden", "a", "kok", "koken2", "zagen", ""] {
            let expected = unsorted.iter().any(|x| x == s);
            assert_eq!(a.contains(s), expected, "{s}");
            assert_eq!(b.contains(s), expected, "{s}");
        }
        assert!(!Members::of(&[]).contains("koken"));
    }

    fn cook(age: i32, step: i32) -> CandidateFeatures {
        CandidateFeatures {
            id: "c".into(),
            status: crate::domain::ACTIEF.into(),
            consent_matching: true,
            ladder_step: Some(step),
            occupations: vec!["kok".into()],
            skills: vec!["koken".into()],
            implied_skills: vec!["koken".into(), "hygiene".into(), "snijden".into()].into(),
            hours_min: 24,
            hours_max: 32,
            location: Some((52.16, 6.41)),
            max_travel_km: 25,
            own_transport: true,
            language_level: Some("2F".into()),
            age: Some(age),
            ..Default::default()
        }
    }

    fn place(kind: PlacementKind, occupation: &str, essential: &[&str], required: &[&str]) -> PlacementFeatures {
        PlacementFeatures {
            id: "p".into(),
            kind: Some(kind),
            occupation_id: Some(occupation.into()),
            occupation_skills: essential.iter().map(|s| s.to_string()).collect::<Vec<_>>().into(),
            required_skills: required.iter().map(|s| s.to_string()).collect(),
            hours_min: 24,
            hours_max: 32,
            location: Some((52.17, 6.42)),
            hourly_wage_cents: kind.is_paid().then_some(1600),
            published: true,
            ..Default::default()
        }
    }

    /// The quick form ranks: it must give every number and rule of the full one.
    #[test]
    fn the_quick_evaluation_has_the_numbers_and_rules_of_the_full_one() {
        let s = Settings::default();
        let mut n = 0;
        for kind in PlacementKind::ALL {
            for step in 1..=6 {
                for age in [19, 35, 58] {
                    for (occ, req) in [("kok", &["koken"][..]), ("bakker", &["bakken", "deeg"][..])] {
                        let mut p = place(kind, occ, &["koken", "hygiene"], req);
                        p.language_level_required = (step % 2 == 0).then(|| "2F".to_string());
                        p.hours_min = 8 * (step % 3);
                        let mut c = cook(age, step);
                        c.location = (step != 4).then_some((52.16 + step as f64 * 0.1, 6.41));
                        let full = evaluate(&c, &p, &s, today());
                        let quick = evaluate_with(&c, &p, &s, today(), false);
                        assert_eq!(quick.score, full.score);
                        assert_eq!(quick.distance_km, full.distance_km);
                        assert_eq!(quick.instruments, full.instruments);
                        let rules = |e: &Evaluation| e.excluded.iter().map(|x| x.rule.clone()).collect::<Vec<_>>();
                        assert_eq!(rules(&quick), rules(&full));
                        let numbers = |e: &Evaluation| e.factors.iter().map(|f| (f.factor.clone(), f.contribution, f.max)).collect::<Vec<_>>();
                        assert_eq!(numbers(&quick), numbers(&full));
                        // The formatted texts are left out of the quick form only.
                        assert!(quick.factors[0].explanation.is_empty() && !full.factors[0].explanation.is_empty());
                        n += 1;
                    }
                }
            }
        }
        assert_eq!(n, PlacementKind::ALL.len() * 6 * 3 * 2);
    }

    #[test]
    fn unrelated_work_is_no_match_however_close_and_convenient() {
        let s = Settings::default();
        let c = cook(35, 5);
        // An accountant's job next door, with fitting hours: nothing to do with cooking.
        let e = evaluate(&c, &place(PlacementKind::ReguliereBaan, "accountant", &["boekhouden", "belasting"], &["boekhouden"]), &s, today());
        assert!(e.excluded.iter().any(|x| x.rule == "relevance"), "{e:?}");
        assert_eq!(Fit::of(&e), None);
        // Sharing one of five required skills is not a good match either.
        let e = evaluate(
            &c,
            &place(
                PlacementKind::ReguliereBaan,
                "bakker",
                &["bakken", "deeg", "oven", "hygiene"],
                &["bakken", "deeg", "oven", "planning", "hygiene"],
            ),
            &s,
            today(),
        );
        assert_ne!(Fit::of(&e), Some(Fit::Good), "{}", e.score);
        // The same occupation is a good match, and the score never exceeds 100 x relevance.
        let p = place(PlacementKind::ReguliereBaan, "kok", &["koken", "hygiene"], &["koken"]);
        let e = evaluate(&c, &p, &s, today());
        assert_eq!(Fit::of(&e), Some(Fit::Good), "{}", e.score);
        let rel = relevance(&c, &p).value;
        assert!(e.score <= 100.0 * rel + 0.5, "{} > 100 x {rel}", e.score);
    }

    #[test]
    fn placements_open_to_anyone_and_candidates_without_a_profile_are_not_shut_out() {
        let s = Settings::default();
        let mut p = place(PlacementKind::Vrijwilligerswerk, "x", &[], &[]);
        p.occupation_id = None;
        let e = evaluate(&cook(35, 2), &p, &s, today());
        assert!(!e.is_excluded(), "{e:?}");
        assert_eq!(relevance(&cook(35, 2), &p).basis, RelevanceBasis::OpenToAll);
        let mut blank = cook(35, 5);
        blank.occupations.clear();
        blank.skills.clear();
        blank.implied_skills = Default::default();
        let e = evaluate(&blank, &place(PlacementKind::ReguliereBaan, "kok", &["koken"], &["koken"]), &s, today());
        assert!(!e.is_excluded(), "{e:?}");
    }

    #[test]
    fn under_27_a_bbl_place_ranks_first_at_every_ladder_step_where_both_fit() {
        let s = Settings::default();
        for step in 1..=6 {
            let mut job = place(PlacementKind::ReguliereBaan, "kok", &["koken", "hygiene"], &["koken"]);
            let mut bbl = place(PlacementKind::LeerwerkplekBbl, "kok", &["koken", "hygiene"], &["koken"]);
            job.ladder_steps.clear();
            bbl.ladder_steps.clear();
            let young = cook(22, step);
            let (j, b) = (evaluate(&young, &job, &s, today()), evaluate(&young, &bbl, &s, today()));
            assert!(!j.is_excluded() && !b.is_excluded());
            assert!(b.score > j.score, "step {step}: BBL {} <= job {}", b.score, j.score);
            // From 27 on, no priority: the regular job is at least as good a step.
            let older = cook(30, step);
            let (j, b) = (evaluate(&older, &job, &s, today()), evaluate(&older, &bbl, &s, today()));
            assert!(j.score >= b.score, "step {step}, 30 years: job {} < BBL {}", j.score, b.score);
            // Under 27 with a startkwalificatie: no priority either, the order is the regular job's.
            let mut qualified = cook(22, step);
            qualified.startkwalificatie = true;
            let (j, b) = (evaluate(&qualified, &job, &s, today()), evaluate(&qualified, &bbl, &s, today()));
            assert!(j.score >= b.score, "step {step}, 22 with a startkwalificatie: job {} < BBL {}", j.score, b.score);
            assert_eq!(j.score, evaluate(&cook(30, step), &job, &s, today()).score, "the job scores as for someone older");
        }
        // The age limit is the municipality's setting.
        let s25 = Settings { youth_age: 25, ..Default::default() };
        let job = place(PlacementKind::ReguliereBaan, "kok", &["koken", "hygiene"], &["koken"]);
        let bbl = place(PlacementKind::LeerwerkplekBbl, "kok", &["koken", "hygiene"], &["koken"]);
        let c26 = cook(26, 4);
        assert!(evaluate(&c26, &bbl, &s, today()).score > evaluate(&c26, &job, &s, today()).score, "26 < 27: BBL first");
        assert!(evaluate(&c26, &job, &s25, today()).score >= evaluate(&c26, &bbl, &s25, today()).score, "26 >= 25: no priority");
    }

    #[test]
    fn the_line_under_the_factors_adds_them_up_to_the_score_and_names_the_relevance_scale() {
        let s = Settings::default();
        // A related but different occupation: relevance below 1 scales the other factors.
        let p = place(PlacementKind::Werkervaringsplaats, "bakker", &["bakken", "koken"], &["koken", "bakken"]);
        let c = cook(35, 3);
        let e = evaluate(&c, &p, &s, today());
        assert!(!e.is_excluded(), "{e:?}");
        let line = explain::sum_line(&e.factors, &e.score);
        let sum: f64 = e.factors.iter().map(|f| f.contribution).sum();
        let total: f64 = e.factors.iter().map(|f| f.max).sum();
        assert!((sum * 100.0 / total - e.score).abs() < 0.1, "the points add up: {sum} of {total} vs {}", e.score);
        assert!(line.starts_with(&format!("Samen {} van", crate::domain::nl::short((sum * 10.0).round() / 10.0))), "{line}");
        let skills = e.factors.iter().find(|f| f.factor == "skills").unwrap();
        let rel = (skills.contribution / skills.max * 100.0).round();
        assert!(rel < 100.0);
        assert!(line.contains(&format!("telt elke andere factor voor {}%", crate::domain::nl::short(rel))), "{line}");
    }

    // Held-out style scenarios, written from DOMAIN.md rather than from the code.

    #[test]
    fn scenario_a_statushouder_gains_from_work_with_language_learning_others_do_not() {
        let s = Settings::default();
        let plain = place(PlacementKind::Werkervaringsplaats, "kok", &["koken", "hygiene"], &["koken"]);
        let mut with_language = plain.clone();
        with_language.language_learning = true;
        let mut newcomer = cook(31, 3);
        newcomer.statushouder = true;
        let (a, b) = (evaluate(&newcomer, &plain, &s, today()), evaluate(&newcomer, &with_language, &s, today()));
        assert!(b.score > a.score, "statushouder: language learning {} <= {}", b.score, a.score);
        let other = cook(31, 3);
        let (a, b) = (evaluate(&other, &plain, &s, today()), evaluate(&other, &with_language, &s, today()));
        assert!((a.score - b.score).abs() < 1e-9, "no statushouder, no difference: {} vs {}", a.score, b.score);
    }

    #[test]
    fn scenario_beschut_werk_only_with_an_indication() {
        let s = Settings::default();
        let p = place(PlacementKind::BeschutWerk, "kok", &["koken"], &["koken"]);
        let e = evaluate(&cook(40, 4), &p, &s, today());
        assert!(e.excluded.iter().any(|x| x.rule == "beschut_werk"), "{:?}", e.excluded);
        let mut indicated = cook(40, 4);
        indicated.beschut_werk_indicatie = true;
        assert!(!evaluate(&indicated, &p, &s, today()).is_excluded());
    }

    #[test]
    fn scenario_unpaid_places_carry_no_wage_instruments() {
        let s = Settings::default();
        let mut c = cook(45, 3);
        c.lks_target_group = true;
        c.loonwaarde = Some(50);
        for kind in [PlacementKind::Vrijwilligerswerk, PlacementKind::ArbeidsmatigeDagbesteding, PlacementKind::Werkervaringsplaats] {
            let e = evaluate(&c, &place(kind, "kok", &["koken"], &["koken"]), &s, today());
            let offer = e.instruments.offer();
            assert!(!offer.loonkostensubsidie && !offer.no_risk_polis, "{kind:?}: {offer:?}");
            assert!(e.instruments.employer_net_monthly_cost_cents.is_none(), "{kind:?}: no wage, no cost");
            assert!(e.instruments.grantable(true).iter().all(|g| *g == "job_coach"), "{kind:?}");
        }
        // A paid job for the same person: LKS can be chosen, with a net cost below the gross.
        let mut job = place(PlacementKind::ReguliereBaan, "kok", &["koken"], &["koken"]);
        job.lks_accepted = true;
        let e = evaluate(&c, &job, &s, today());
        assert!(e.instruments.offer().loonkostensubsidie, "{:?}", e.instruments);
        assert!(e.instruments.net_cost_cents(true).unwrap() < e.instruments.gross_monthly_wage_costs_cents.unwrap());
    }

    #[test]
    fn scenario_the_language_requirement_is_a_hard_rule() {
        let s = Settings::default();
        let mut p = place(PlacementKind::ReguliereBaan, "kok", &["koken"], &["koken"]);
        p.language_level_required = Some("2F".into());
        let mut c = cook(35, 5);
        c.language_level = Some("1F".into());
        assert!(evaluate(&c, &p, &s, today()).excluded.iter().any(|x| x.rule == "language"));
        c.language_level = Some("B1".into());
        assert!(!evaluate(&c, &p, &s, today()).excluded.iter().any(|x| x.rule == "language"), "B1 is at least 2F");
    }

    #[test]
    fn plain_words_address_the_candidate_as_u() {
        let s = Settings::default();
        let mut texts = vec![];
        for (age, step, kind) in [(22, 2, PlacementKind::LeerwerkplekBbl), (35, 6, PlacementKind::ReguliereBaan), (50, 3, PlacementKind::BeschutWerk)]
        {
            let mut c = cook(age, step);
            c.statushouder = true;
            c.needs_job_coach = true;
            let mut p = place(kind, "kok", &["koken"], &["koken"]);
            p.language_level_required = Some("3F".into());
            p.location = Some((53.2, 6.6));
            let e = evaluate(&c, &p, &s, today());
            texts.extend(e.factors.iter().map(|f| f.explanation_b1.clone()));
            texts.extend(e.excluded.iter().map(|x| x.reason_b1.clone()));
        }
        assert!(texts.len() > 10);
        for t in texts {
            let words: Vec<String> = t.to_lowercase().split(|c: char| !c.is_alphabetic()).map(String::from).collect();
            assert!(!words.iter().any(|w| ["je", "jij", "jou", "jouw"].contains(&w.as_str())), "{t}");
        }
    }
}
