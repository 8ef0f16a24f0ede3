//! What the matcher knows of every placement and candidate, and every municipality's settings,
//! kept in memory so that a proposal is retrieval + evaluation without reading the database.
//!
//! Derived data like the search index, and fed the same way: the index writer thread
//! (`crate::search`) reloads each changed row of the change feed once and updates both, and
//! publishes the store's changes between the index commit of the same batch and making that
//! commit visible, so search and features stand at the same feed position and a search never
//! finds a document newer than the features it shows of it. A full rebuild builds a new store beside the
//! current one and swaps it in at the commit. At start the store is loaded from the database
//! (or built with the index when that is rebuilt).
//!
//! Memory: identifiers (ESCO URIs, municipality ids) are interned once and rows hold `u32`
//! symbols; the lists derived from reference data (implied skills, related occupations) are
//! computed once per occupation set and shared. `materialize` turns a row back into the
//! `matching` features, equal to what `proposals::candidate_features` and
//! `proposals::placement_features` build from the database rows (a test holds them equal).

use crate::db::queries::{CandidateFull, PlacementFull, PlacementHitRow};
use crate::domain::settings::Settings;
use crate::domain::{age_on, PlacementKind};
use crate::engine::matching::{CandidateFeatures, PlacementFeatures, Shared, SroiState};
use crate::refdata::RefData;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

type Sym = u32;

/// Strings stored once; rows refer to them by number.
#[derive(Default)]
struct Interner {
    ids: HashMap<Arc<str>, Sym>,
    strings: Vec<Arc<str>>,
}

impl Interner {
    fn get(&mut self, s: &str) -> Sym {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let a: Arc<str> = Arc::from(s);
        let i = self.strings.len() as Sym;
        self.strings.push(a.clone());
        self.ids.insert(a, i);
        i
    }
    fn str(&self, i: Sym) -> &str {
        &self.strings[i as usize]
    }
    fn string(&self, i: Sym) -> String {
        self.str(i).to_string()
    }
    fn strings(&self, v: &[Sym]) -> Vec<String> {
        v.iter().map(|&i| self.string(i)).collect()
    }
}

/// Rows by id, stored densely: a hash table of rows would reserve twice the rows it holds (its
/// buckets are a power of two), which for half a million candidates is a hundred megabytes.
struct Table<R> {
    index: HashMap<Box<str>, u32>,
    rows: Vec<Option<R>>,
    free: Vec<u32>,
}

impl<R> Default for Table<R> {
    fn default() -> Self {
        Table { index: HashMap::new(), rows: Vec::new(), free: Vec::new() }
    }
}

impl<R> Table<R> {
    fn get(&self, id: &str) -> Option<&R> {
        self.index.get(id).and_then(|&i| self.rows[i as usize].as_ref())
    }
    fn put(&mut self, id: &str, r: R) {
        if let Some(&i) = self.index.get(id) {
            self.rows[i as usize] = Some(r);
            return;
        }
        let i = match self.free.pop() {
            Some(i) => i,
            None => {
                if self.rows.len() == self.rows.capacity() {
                    // Grow by an eighth, not by doubling.
                    self.rows.reserve_exact((self.rows.len() / 8).max(1024));
                }
                self.rows.push(None);
                (self.rows.len() - 1) as u32
            }
        };
        self.rows[i as usize] = Some(r);
        self.index.insert(id.into(), i);
    }
    fn remove(&mut self, id: &str) {
        if let Some(i) = self.index.remove(id) {
            self.rows[i as usize] = None;
            self.free.push(i);
        }
    }
}

/// Lists that follow from occupations and the reference data alone.
#[derive(Default)]
struct Derived {
    skills: Shared<String>,
    related: Shared<(String, f64)>,
}

/// The same for a set of several occupations, as symbols: there are tens of thousands of such
/// sets, so they are kept small and turned into strings when a candidate is read.
struct Combo {
    skills: Box<[Sym]>,
    related: Box<[(Sym, f64)]>,
}

#[derive(Clone)]
enum DerivedRef {
    /// No or one occupation: lists shared as they are handed out.
    One(Arc<Derived>),
    Many(Arc<Combo>),
}

struct CandidateRow {
    municipality: Sym,
    status: Sym,
    consent_matching: bool,
    consent_anonymous_profile: bool,
    ladder_step: Option<i32>,
    occupations: Box<[Sym]>,
    skills: Box<[Sym]>,
    derived: DerivedRef,
    hours_min: i32,
    hours_max: i32,
    location: Option<(f64, f64)>,
    max_travel_km: i32,
    own_transport: bool,
    language_level: Option<Sym>,
    loonwaarde: Option<i32>,
    flags: u8,
    benefit_type: crate::domain::BenefitType,
    birth_date: NaiveDate,
    available_from: Option<NaiveDate>,
    sector_preferences: Box<[Sym]>,
    kind_preferences: Box<[PlacementKind]>,
}

const DOELGROEPREGISTER: u8 = 1;
const BESCHUT: u8 = 2;
const LKS: u8 = 4;
const JOB_COACH: u8 = 8;
const STATUSHOUDER: u8 = 16;
const STARTKWALIFICATIE: u8 = 32;

struct PlacementRow {
    organisation: Sym,
    sector: Sym,
    kind: Option<PlacementKind>,
    occupation: Option<Sym>,
    derived: Arc<Derived>,
    required: Box<[Sym]>,
    desired: Box<[Sym]>,
    hours_min: i32,
    hours_max: i32,
    location: Option<(f64, f64)>,
    hourly_wage_cents: Option<i32>,
    language_level_required: Option<Sym>,
    ladder_steps: Box<[i32]>,
    flags: u8,
    sroi_contract: Option<Sym>,
    start_date: Option<NaiveDate>,
    duration_months: Option<i32>,
    published: bool,
    /// What a search hit shows (`PlacementHitRow`), so that a search reads no rows.
    shown: Shown,
}

/// The fields of a search hit that the matcher does not need.
struct Shown {
    title: Box<str>,
    pc4: Sym,
    status: Sym,
    organisation_name: Sym,
}

const SUPERVISOR: u8 = 1;
const COACH_WELCOME: u8 = 2;
const ADAPTED: u8 = 4;
const LKS_ACCEPTED: u8 = 8;
const BANENAFSPRAAK: u8 = 16;
const LANGUAGE_LEARNING: u8 = 32;

/// A municipality's settings as the matcher uses them, with their version.
#[derive(Debug, Clone)]
pub struct MunicipalitySettings {
    pub settings: Arc<Settings>,
    pub version: i32,
}

/// Everything the store holds; built whole by a rebuild, changed row by row by the feed.
#[derive(Default)]
pub struct Snapshot {
    /// The change-feed position this snapshot has applied: every change committed up to it is in.
    applied: i64,
    strings: Interner,
    candidates: Table<CandidateRow>,
    placements: Table<PlacementRow>,
    settings: HashMap<String, MunicipalitySettings>,
    sroi: HashMap<String, SroiState>,
    by_occupation: HashMap<Option<Sym>, Arc<Derived>>,
    by_combo: HashMap<Box<[Sym]>, Arc<Combo>>,
}

impl Snapshot {
    /// The change-feed position applied (of the database's change feed).
    pub fn applied(&self) -> i64 {
        self.applied
    }

    /// Marks every change up to `seq` as applied (positions only move forward).
    pub fn set_applied(&mut self, seq: i64) {
        self.applied = self.applied.max(seq);
    }

    /// The derived lists of no or one occupation.
    fn derived_one(&mut self, occupation: Option<Sym>, rd: &RefData) -> Arc<Derived> {
        if let Some(d) = self.by_occupation.get(&occupation) {
            return d.clone();
        }
        let ids: Vec<String> = occupation.map(|o| self.strings.string(o)).into_iter().collect();
        let d = Arc::new(Derived {
            skills: Arc::new(rd.essential_skills_of(&ids)),
            related: Arc::new(rd.hidden_matches(&ids, crate::engine::relatedness::KEEP, 0.0)),
        });
        self.by_occupation.insert(occupation, d.clone());
        d
    }

    /// The derived lists of a candidate's occupations (in the candidate's order).
    fn derived_for(&mut self, occupations: &[Sym], rd: &RefData) -> DerivedRef {
        match occupations {
            [] => DerivedRef::One(self.derived_one(None, rd)),
            [o] => DerivedRef::One(self.derived_one(Some(*o), rd)),
            many => {
                if let Some(c) = self.by_combo.get(many) {
                    return DerivedRef::Many(c.clone());
                }
                let ids = self.strings.strings(many);
                let skills = rd.essential_skills_of(&ids);
                let related = rd.hidden_matches(&ids, crate::engine::relatedness::KEEP, 0.0);
                let c = Arc::new(Combo {
                    skills: skills.iter().map(|s| self.strings.get(s)).collect(),
                    related: related.iter().map(|(o, r)| (self.strings.get(o), *r)).collect(),
                });
                self.by_combo.insert(many.into(), c.clone());
                DerivedRef::Many(c)
            }
        }
    }

    /// The derived lists as the matcher takes them.
    fn lists(&self, d: &DerivedRef) -> (Shared<String>, Shared<(String, f64)>) {
        match d {
            DerivedRef::One(d) => (d.skills.clone(), d.related.clone()),
            DerivedRef::Many(c) => {
                (Arc::new(self.strings.strings(&c.skills)), Arc::new(c.related.iter().map(|(o, r)| (self.strings.string(*o), *r)).collect()))
            }
        }
    }

    fn syms(&mut self, v: impl IntoIterator<Item = impl AsRef<str>>) -> Box<[Sym]> {
        v.into_iter().map(|s| self.strings.get(s.as_ref())).collect()
    }

    /// Adds or replaces a candidate.
    pub fn put_candidate(&mut self, c: &CandidateFull, rd: &RefData) {
        let ca = &c.candidate;
        let occupations = self.syms(c.occupations.iter().map(|o| o.occupation_id.as_str()));
        let derived = self.derived_for(&occupations, rd);
        let skills = self.syms(c.skills.iter().filter_map(|s| s.skill_id.as_deref()));
        let prefs: Vec<String> = serde_json::from_str(&ca.sector_preferences).unwrap_or_default();
        let sector_preferences = self.syms(prefs);
        let kind_preferences: Vec<PlacementKind> = serde_json::from_str(&ca.kind_preferences).unwrap_or_default();
        let flags = (ca.doelgroepregister as u8 * DOELGROEPREGISTER)
            | (ca.beschut_werk_indicatie as u8 * BESCHUT)
            | (ca.lks_target_group as u8 * LKS)
            | (ca.needs_job_coach as u8 * JOB_COACH)
            | (ca.statushouder as u8 * STATUSHOUDER)
            | (ca.startkwalificatie as u8 * STARTKWALIFICATIE);
        let row = CandidateRow {
            municipality: self.strings.get(&ca.municipality_id),
            status: self.strings.get(ca.status.as_str()),
            consent_matching: ca.consent_matching,
            consent_anonymous_profile: ca.consent_anonymous_profile,
            ladder_step: c.ladder.as_ref().map(|l| l.step),
            occupations,
            skills,
            derived,
            hours_min: ca.hours_min,
            hours_max: ca.hours_max,
            location: rd.pc4.get(&ca.pc4).map(|p| (p.lat, p.lon)),
            max_travel_km: ca.max_travel_km,
            own_transport: ca.own_transport,
            language_level: ca.language_level.as_deref().map(|l| self.strings.get(l)),
            loonwaarde: ca.loonwaarde,
            flags,
            benefit_type: ca.benefit_type,
            birth_date: ca.birth_date,
            available_from: ca.available_from,
            sector_preferences,
            kind_preferences: kind_preferences.into_boxed_slice(),
        };
        self.candidates.put(&ca.id, row);
    }

    pub fn remove_candidate(&mut self, id: &str) {
        self.candidates.remove(id);
    }

    /// Adds or replaces a placement.
    pub fn put_placement(&mut self, p: &PlacementFull, rd: &RefData) {
        let pl = &p.placement;
        let occupation = pl.occupation_id.as_deref().map(|o| self.strings.get(o));
        let derived = self.derived_one(occupation, rd);
        let required = self.syms(p.skills.iter().filter(|s| s.required).map(|s| s.skill_id.as_str()));
        let desired = self.syms(p.skills.iter().filter(|s| !s.required).map(|s| s.skill_id.as_str()));
        let flags = (pl.internal_supervisor as u8 * SUPERVISOR)
            | (pl.job_coach_welcome as u8 * COACH_WELCOME)
            | (pl.adapted_workplace as u8 * ADAPTED)
            | (pl.lks_accepted as u8 * LKS_ACCEPTED)
            | (pl.counts_banenafspraak as u8 * BANENAFSPRAAK)
            | (pl.language_learning as u8 * LANGUAGE_LEARNING);
        let row = PlacementRow {
            organisation: self.strings.get(&pl.organisation_id),
            sector: self.strings.get(&p.organisation.sector),
            kind: Some(pl.kind),
            occupation,
            derived,
            required,
            desired,
            hours_min: pl.hours_min,
            hours_max: pl.hours_max,
            location: rd.pc4.get(&pl.pc4).map(|x| (x.lat, x.lon)),
            hourly_wage_cents: pl.hourly_wage_cents,
            language_level_required: pl.language_level_required.as_deref().map(|l| self.strings.get(l)),
            ladder_steps: pl.ladder_steps_vec().into(),
            flags,
            sroi_contract: pl.sroi_contract_id.as_deref().map(|s| self.strings.get(s)),
            start_date: pl.start_date,
            duration_months: pl.duration_months,
            published: p.is_published(),
            shown: Shown {
                title: pl.title.as_str().into(),
                pc4: self.strings.get(&pl.pc4),
                status: self.strings.get(pl.status.as_str()),
                organisation_name: self.strings.get(&p.organisation.name),
            },
        };
        self.placements.put(&pl.id, row);
    }

    pub fn remove_placement(&mut self, id: &str) {
        self.placements.remove(id);
    }

    pub fn put_settings(&mut self, municipality_id: &str, settings: Settings, version: i32) {
        self.settings.insert(municipality_id.to_string(), MunicipalitySettings { settings: Arc::new(settings), version });
    }

    pub fn remove_settings(&mut self, municipality_id: &str) {
        self.settings.remove(municipality_id);
    }

    pub fn put_sroi(&mut self, s: SroiState) {
        self.sroi.insert(s.contract_id.clone(), s);
    }

    pub fn remove_sroi(&mut self, contract_id: &str) {
        self.sroi.remove(contract_id);
    }

    /// The matcher's features of a candidate on `today` (age counts from it).
    pub fn candidate(&self, id: &str, today: NaiveDate) -> Option<CandidateFeatures> {
        let r = self.candidates.get(id)?;
        let s = &self.strings;
        let (implied_skills, related_occupations) = self.lists(&r.derived);
        Some(CandidateFeatures {
            id: id.to_string(),
            municipality_id: s.string(r.municipality),
            status: s.string(r.status),
            consent_matching: r.consent_matching,
            ladder_step: r.ladder_step,
            occupations: s.strings(&r.occupations),
            skills: s.strings(&r.skills),
            implied_skills,
            related_occupations,
            hours_min: r.hours_min,
            hours_max: r.hours_max,
            location: r.location,
            max_travel_km: r.max_travel_km,
            own_transport: r.own_transport,
            language_level: r.language_level.map(|l| s.string(l)),
            loonwaarde: r.loonwaarde,
            doelgroepregister: r.flags & DOELGROEPREGISTER != 0,
            beschut_werk_indicatie: r.flags & BESCHUT != 0,
            lks_target_group: r.flags & LKS != 0,
            needs_job_coach: r.flags & JOB_COACH != 0,
            benefit_type: r.benefit_type,
            statushouder: r.flags & STATUSHOUDER != 0,
            startkwalificatie: r.flags & STARTKWALIFICATIE != 0,
            age: Some(age_on(r.birth_date, today)),
            available_from: r.available_from,
            sector_preferences: s.strings(&r.sector_preferences),
            kind_preferences: r.kind_preferences.to_vec(),
        })
    }

    /// Whether a candidate may be shown to `audience`: of its municipality (a klantmanager), or
    /// allowing an anonymous profile (an employer). Candidates the store does not know are not.
    pub fn candidate_visible(&self, id: &str, municipality_id: Option<&str>) -> bool {
        let Some(r) = self.candidates.get(id) else { return false };
        match municipality_id {
            Some(m) => self.strings.str(r.municipality) == m,
            None => r.consent_anonymous_profile,
        }
    }

    /// The matcher's features of a placement, with the state of its SROI contract.
    pub fn placement(&self, id: &str) -> Option<PlacementFeatures> {
        let r = self.placements.get(id)?;
        let s = &self.strings;
        Some(PlacementFeatures {
            id: id.to_string(),
            organisation_id: s.string(r.organisation),
            organisation_sector: s.string(r.sector),
            kind: r.kind,
            occupation_id: r.occupation.map(|o| s.string(o)),
            occupation_skills: r.derived.skills.clone(),
            related_occupations: r.derived.related.clone(),
            required_skills: s.strings(&r.required),
            desired_skills: s.strings(&r.desired),
            hours_min: r.hours_min,
            hours_max: r.hours_max,
            location: r.location,
            hourly_wage_cents: r.hourly_wage_cents,
            language_level_required: r.language_level_required.map(|l| s.string(l)),
            ladder_steps: r.ladder_steps.to_vec(),
            internal_supervisor: r.flags & SUPERVISOR != 0,
            job_coach_welcome: r.flags & COACH_WELCOME != 0,
            adapted_workplace: r.flags & ADAPTED != 0,
            lks_accepted: r.flags & LKS_ACCEPTED != 0,
            counts_banenafspraak: r.flags & BANENAFSPRAAK != 0,
            language_learning: r.flags & LANGUAGE_LEARNING != 0,
            sroi: r.sroi_contract.and_then(|c| self.sroi.get(s.str(c)).cloned()),
            start_date: r.start_date,
            duration_months: r.duration_months,
            published: r.published,
        })
    }

    /// What a search hit shows of a placement, as `queries::placement_hits` reads it.
    pub fn placement_hit(&self, id: &str) -> Option<PlacementHitRow> {
        let r = self.placements.get(id)?;
        let s = &self.strings;
        Some(PlacementHitRow {
            id: id.to_string(),
            title: r.shown.title.to_string(),
            kind: r.kind?,
            pc4: s.string(r.shown.pc4),
            hours_min: r.hours_min,
            hours_max: r.hours_max,
            job_coach_welcome: r.flags & COACH_WELCOME != 0,
            internal_supervisor: r.flags & SUPERVISOR != 0,
            adapted_workplace: r.flags & ADAPTED != 0,
            status: s.string(r.shown.status),
            organisation_name: s.string(r.shown.organisation_name),
            language_learning: r.flags & LANGUAGE_LEARNING != 0,
        })
    }

    /// The state of an SROI contract, if the store knows it.
    pub fn sroi(&self, contract_id: &str) -> Option<SroiState> {
        self.sroi.get(contract_id).cloned()
    }

    /// A municipality's settings, if the store knows the municipality.
    pub fn settings(&self, municipality_id: &str) -> Option<MunicipalitySettings> {
        self.settings.get(municipality_id).cloned()
    }
}

/// The store the proposal path reads; shared by all handlers, written by the index writer.
#[derive(Clone, Default)]
pub struct FeatureStore {
    inner: Arc<RwLock<Snapshot>>,
}

impl FeatureStore {
    pub fn new() -> FeatureStore {
        FeatureStore::default()
    }

    /// Reads the current snapshot.
    pub fn read<T>(&self, f: impl FnOnce(&Snapshot) -> T) -> T {
        f(&self.inner.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Changes the current snapshot in place.
    pub fn write<T>(&self, f: impl FnOnce(&mut Snapshot) -> T) -> T {
        f(&mut self.inner.write().unwrap_or_else(|e| e.into_inner()))
    }

    /// Replaces the whole snapshot (after a rebuild); the old one is freed after the lock is
    /// released, so readers do not wait for that.
    pub fn replace(&self, s: Snapshot) {
        let old = std::mem::replace(&mut *self.inner.write().unwrap_or_else(|e| e.into_inner()), s);
        drop(old);
    }
}
