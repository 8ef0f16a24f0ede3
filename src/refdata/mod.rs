//! Reference data: Dutch PC4 postcodes and ESCO (occupations, skills, their links).
//! Imported from CSV files (default `../shared/data`) into the database, then held in memory
//! for validation, suggestions and distances. If the files are missing the app still runs and
//! says what it lacks.

pub mod labels;

use crate::db::models::*;
use crate::db::schema;
use crate::db::DbConnection;
use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

pub(crate) const BATCH: usize = 1000;

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ImportReport {
    pub pc4_areas: usize,
    pub isco_groups: usize,
    pub occupations: usize,
    pub skills: usize,
    pub occupation_skill_links: usize,
    /// Occupation relations computed from ESCO (the engine's relatedness model).
    pub occupation_relations: usize,
    pub missing_files: Vec<String>,
}

#[derive(Deserialize)]
struct Pc4Row {
    pc4: String,
    lat: f64,
    lon: f64,
    place: String,
    municipality: String,
    municipality_code: String,
    province: String,
}

#[derive(Deserialize)]
struct OccRow {
    occupation_id: String,
    esco_code: String,
    isco_group: String,
    label_nl: String,
    alt_labels_nl: String,
    label_en: String,
    description_nl: String,
}

#[derive(Deserialize)]
struct SkillRow {
    skill_id: String,
    skill_type: String,
    reuse_level: String,
    label_nl: String,
    alt_labels_nl: String,
    label_en: String,
    group_code: String,
    group_nl: String,
    description_nl: String,
}

#[derive(Deserialize)]
struct LinkRow {
    occupation_id: String,
    essential_skill_ids: String,
    optional_skill_ids: String,
}

fn read_csv<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<Vec<T>> {
    let mut rdr = csv::Reader::from_path(path)?;
    let mut out = Vec::new();
    for (i, row) in rdr.deserialize().enumerate() {
        out.push(row.map_err(|e| anyhow::anyhow!("{}: row {}: {e}", path.display(), i + 2))?);
    }
    Ok(out)
}

pub(crate) fn bar(len: usize, what: &str, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len as u64);
    pb.set_style(
        ProgressStyle::with_template("{msg:>28} [{bar:30}] {pos}/{len} ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

fn existing_ids<F>(f: F) -> anyhow::Result<HashSet<String>>
where
    F: FnOnce() -> QueryResult<Vec<String>>,
{
    Ok(f()?.into_iter().collect())
}

/// The one way a reference file is loaded: read `name` from `dir` (csv + serde), keep and shape
/// the rows (`rows`: those not stored yet), insert them in chunks with a progress bar. A missing
/// file is noted in `missing` and loads nothing. Returns the rows inserted.
#[allow(clippy::too_many_arguments)]
fn load_file<R, T>(
    conn: &mut DbConnection,
    dir: &Path,
    name: &str,
    what: &str,
    chunk_size: usize,
    progress: bool,
    missing: &mut Vec<String>,
    rows: impl FnOnce(&mut DbConnection, Vec<R>) -> anyhow::Result<Vec<T>>,
    insert: impl Fn(&mut DbConnection, &[T]) -> QueryResult<usize>,
) -> anyhow::Result<usize>
where
    R: serde::de::DeserializeOwned,
{
    let path = dir.join(name);
    if !path.exists() {
        missing.push(name.to_string());
        return Ok(0);
    }
    let rows = rows(conn, read_csv::<R>(&path)?)?;
    let pb = bar(rows.len(), what, progress);
    for chunk in rows.chunks(chunk_size) {
        insert(conn, chunk)?;
        pb.inc(chunk.len() as u64);
    }
    pb.finish();
    Ok(rows.len())
}

/// Imports whatever reference files exist in `dir`; rows already present (same id) are kept
/// as they are, so a re-import never overwrites a label a beheerder added.
pub fn import(conn: &mut DbConnection, dir: &Path, progress: bool) -> anyhow::Result<ImportReport> {
    let mut report = ImportReport::default();

    conn.transaction::<_, anyhow::Error, _>(|conn| {
        report.pc4_areas = load_file(
            conn,
            dir,
            "nl_pc4.csv",
            "PC4-postcodes",
            BATCH,
            progress,
            &mut report.missing_files,
            |conn, rows: Vec<Pc4Row>| {
                let have = existing_ids(|| schema::pc4_areas::table.select(schema::pc4_areas::pc4).load(conn))?;
                Ok(rows
                    .into_iter()
                    .filter(|r| !have.contains(&r.pc4))
                    .map(|r| Pc4Area {
                        pc4: r.pc4,
                        lat: r.lat,
                        lon: r.lon,
                        place: r.place,
                        municipality: r.municipality,
                        municipality_code: r.municipality_code,
                        province: r.province,
                    })
                    .collect())
            },
            |conn, chunk| crate::insert_all!(conn, schema::pc4_areas::table, chunk),
        )?;
        report.isco_groups = load_file(
            conn,
            dir,
            "esco_isco08_groups_nl.csv",
            "ISCO-groepen",
            BATCH,
            progress,
            &mut report.missing_files,
            |conn, rows: Vec<IscoGroup>| {
                let have = existing_ids(|| schema::isco_groups::table.select(schema::isco_groups::isco_code).load(conn))?;
                Ok(rows.into_iter().filter(|r| !have.contains(&r.isco_code)).collect())
            },
            |conn, chunk| crate::insert_all!(conn, schema::isco_groups::table, chunk),
        )?;
        report.occupations = load_file(
            conn,
            dir,
            "esco_occupations_nl.csv",
            "ESCO-beroepen",
            BATCH,
            progress,
            &mut report.missing_files,
            |conn, rows: Vec<OccRow>| {
                let have = existing_ids(|| schema::esco_occupations::table.select(schema::esco_occupations::id).load(conn))?;
                Ok(rows
                    .into_iter()
                    .filter(|r| !have.contains(&r.occupation_id))
                    .map(|r| EscoOccupation {
                        id: r.occupation_id,
                        esco_code: r.esco_code,
                        isco_group: r.isco_group,
                        label_nl: r.label_nl,
                        alt_labels_nl: r.alt_labels_nl,
                        label_en: r.label_en,
                        description_nl: r.description_nl,
                    })
                    .collect())
            },
            |conn, chunk| crate::insert_all!(conn, schema::esco_occupations::table, chunk),
        )?;
        report.skills = load_file(
            conn,
            dir,
            "esco_skills.csv",
            "ESCO-vaardigheden",
            BATCH,
            progress,
            &mut report.missing_files,
            |conn, rows: Vec<SkillRow>| {
                let have = existing_ids(|| schema::esco_skills::table.select(schema::esco_skills::id).load(conn))?;
                Ok(rows
                    .into_iter()
                    .filter(|r| !have.contains(&r.skill_id))
                    .map(|r| EscoSkill {
                        id: r.skill_id,
                        skill_type: r.skill_type,
                        reuse_level: r.reuse_level,
                        label_nl: Some(r.label_nl).filter(|s| !s.trim().is_empty()),
                        alt_labels_nl: r.alt_labels_nl,
                        label_en: r.label_en,
                        group_code: r.group_code,
                        group_nl: r.group_nl,
                        description_nl: r.description_nl,
                        municipality_id: None,
                    })
                    .collect())
            },
            |conn, chunk| crate::insert_all!(conn, schema::esco_skills::table, chunk),
        )?;
        report.occupation_skill_links = load_file(
            conn,
            dir,
            "esco_occupation_skills.csv",
            "ESCO beroep-vaardigheid",
            BATCH * 3,
            progress,
            &mut report.missing_files,
            |conn, links: Vec<LinkRow>| {
                let occ: HashSet<String> = schema::esco_occupations::table.select(schema::esco_occupations::id).load(conn)?.into_iter().collect();
                let skills: HashSet<String> = schema::esco_skills::table.select(schema::esco_skills::id).load(conn)?.into_iter().collect();
                let have: HashSet<(String, String)> = schema::esco_occupation_skills::table
                    .select((schema::esco_occupation_skills::occupation_id, schema::esco_occupation_skills::skill_id))
                    .load(conn)?
                    .into_iter()
                    .collect();
                let mut rows = Vec::new();
                let mut seen = HashSet::new();
                for r in links.into_iter().filter(|r| occ.contains(&r.occupation_id)) {
                    for (ids, essential) in [(&r.essential_skill_ids, true), (&r.optional_skill_ids, false)] {
                        for sid in ids.split_whitespace() {
                            let key = (r.occupation_id.clone(), sid.to_string());
                            if skills.contains(sid) && !have.contains(&key) && seen.insert(key) {
                                rows.push(EscoOccupationSkill { occupation_id: r.occupation_id.clone(), skill_id: sid.to_string(), essential });
                            }
                        }
                    }
                }
                Ok(rows)
            },
            |conn, chunk| crate::insert_all!(conn, schema::esco_occupation_skills::table, chunk),
        )?;
        Ok(())
    })?;
    Ok(report)
}

/// Whether the occupation relatedness has been computed.
pub fn has_relatedness(conn: &mut DbConnection) -> QueryResult<bool> {
    Ok(schema::occupation_relations::table.count().get_result::<i64>(conn)? > 0)
}

/// Whether reference data has been imported at all.
pub fn is_imported(conn: &mut DbConnection) -> QueryResult<bool> {
    let n: i64 = schema::esco_occupations::table.count().get_result(conn)?;
    let m: i64 = schema::pc4_areas::table.count().get_result(conn)?;
    Ok(n > 0 && m > 0)
}

// ---------------------------------------------------------------------------------------------
// In-memory catalogue

#[derive(Debug, Clone)]
pub struct Pc4Info {
    pub lat: f64,
    pub lon: f64,
    pub place: String,
    pub municipality: String,
    pub municipality_code: String,
}

#[derive(Debug, Clone)]
pub struct OccupationInfo {
    pub id: String,
    pub esco_code: String,
    pub isco_group: String,
    pub label_nl: String,
    pub alt_labels: Vec<String>,
    pub label_en: String,
    pub description_nl: String,
    /// Indexes into `RefData::skills`.
    pub essential: Vec<u32>,
    pub optional: Vec<u32>,
    folded_label: String,
    folded_alts: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct SkillInfo {
    pub id: String,
    pub label_nl: Option<String>,
    pub alt_labels: Vec<String>,
    pub label_en: String,
    pub skill_type: String,
    pub group_nl: String,
    pub municipality_id: Option<String>,
    folded_label: String,
    folded_alts: Vec<String>,
}

impl SkillInfo {
    /// The Dutch label, or the English one when ESCO has no Dutch label.
    pub fn label(&self) -> &str {
        self.label_nl.as_deref().unwrap_or(&self.label_en)
    }
    pub fn label_language(&self) -> &'static str {
        if self.label_nl.is_some() {
            "nl"
        } else {
            "en"
        }
    }
}

#[cfg(test)]
impl OccupationInfo {
    pub(crate) fn for_test(label: &str, alts: &[&str]) -> OccupationInfo {
        OccupationInfo {
            id: label.to_string(),
            esco_code: String::new(),
            isco_group: String::new(),
            label_nl: label.to_string(),
            alt_labels: alts.iter().map(|a| a.to_string()).collect(),
            label_en: String::new(),
            description_nl: String::new(),
            essential: vec![],
            optional: vec![],
            folded_label: fold(label),
            folded_alts: alts.iter().map(|a| fold(a)).collect(),
        }
    }
}

#[cfg(test)]
impl SkillInfo {
    pub(crate) fn for_test(label: &str) -> SkillInfo {
        SkillInfo {
            id: label.to_string(),
            label_nl: Some(label.to_string()),
            alt_labels: vec![],
            label_en: String::new(),
            skill_type: String::new(),
            group_nl: String::new(),
            municipality_id: None,
            folded_label: fold(label),
            folded_alts: vec![],
        }
    }
}

#[derive(Debug, Default)]
pub struct RefData {
    pub pc4: HashMap<String, Pc4Info>,
    /// The PC4 centroids by latitude (lat, lon, pc4), for `pc4_within`: filled by `load`.
    pc4_by_lat: Vec<Pc4Point>,
    pub occupations: Vec<OccupationInfo>,
    pub occupation_index: HashMap<String, u32>,
    pub skills: Vec<SkillInfo>,
    pub skill_index: HashMap<String, u32>,
    /// Per skill (index into `skills`): the occupations for which it is essential.
    pub essential_for: Vec<Vec<u32>>,
    /// Per occupation: its most related occupations with a relatedness 0..1, best first
    /// (the engine's relatedness model, stored at import). Empty when not computed.
    pub related: Vec<Vec<(u32, f32)>>,
    /// Each municipality's face on the pages.
    pub faces: HashMap<String, Arc<crate::domain::face::Face>>,
    pub default_face: Option<Arc<crate::domain::face::Face>>,
    /// The words of the occupation and skill labels, for free-text search: built at the first
    /// search that needs it (see `refdata::labels`).
    labels: std::sync::OnceLock<crate::refdata::labels::LabelIndex>,
}

/// A PC4 centroid for `RefData::pc4_within`.
#[derive(Debug, Clone, Default)]
struct Pc4Point {
    lat: f64,
    lon: f64,
    /// The point on the unit sphere.
    unit: [f64; 3],
    code: String,
}

/// The points within `km` (great-circle distance, `geo::haversine_km`, + 1e-9) of a centre: the
/// one rule for "within reach" of `RefData::pc4_within` and of the index's distance filter on
/// the PC4 centroids its documents carry, so both select the same areas.
#[derive(Debug, Clone, Copy)]
pub struct Reach {
    lat: f64,
    lon: f64,
    km: f64,
    /// The band of latitudes that can lie within `km` (nothing outside it does).
    lat_min: f64,
    lat_max: f64,
    /// Haversine's `a` at `km`, and the rounding margin around it.
    limit: f64,
    margin: f64,
    unit: [f64; 3],
}

impl Reach {
    pub fn new(lat: f64, lon: f64, km: f64) -> Reach {
        let dlat = (km + 1e-6) / crate::domain::geo::EARTH_RADIUS_KM * (180.0 / std::f64::consts::PI) + 1e-9;
        let half = (km + 1e-9) / (2.0 * crate::domain::geo::EARTH_RADIUS_KM);
        let limit = if half < std::f64::consts::FRAC_PI_2 { half.sin().powi(2) } else { f64::INFINITY };
        Reach { lat, lon, km, lat_min: lat - dlat, lat_max: lat + dlat, limit, margin: 1e-12 + limit * 1e-9, unit: unit_vector(lat, lon) }
    }

    /// Whether the point lies within reach.
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        self.contains_unit(lat, lon, &unit_vector(lat, lon))
    }

    /// `contains` for a point whose unit vector (`unit_vector(lat, lon)`) is known. Haversine's
    /// `a` is a quarter of the squared chord between the unit vectors, so most points are
    /// decided by a dot product; only those within rounding distance of the limit are measured
    /// with the haversine formula itself, so the answer is the formula's.
    fn contains_unit(&self, lat: f64, lon: f64, unit: &[f64; 3]) -> bool {
        if lat < self.lat_min || lat > self.lat_max {
            return false;
        }
        let u = &self.unit;
        let a = ((unit[0] - u[0]).powi(2) + (unit[1] - u[1]).powi(2) + (unit[2] - u[2]).powi(2)) / 4.0;
        if a < self.limit - self.margin {
            true
        } else if a > self.limit + self.margin {
            false
        } else {
            crate::domain::geo::haversine_km(self.lat, self.lon, lat, lon) <= self.km + 1e-9
        }
    }
}

fn unit_vector(lat: f64, lon: f64) -> [f64; 3] {
    let (p, l) = (lat.to_radians(), lon.to_radians());
    [p.cos() * l.cos(), p.cos() * l.sin(), p.sin()]
}

/// Lowercases and strips Dutch/Latin diacritics (a rule of Dutch text, kept with the others in
/// `domain::nl`).
pub use crate::domain::nl::fold;

fn split_alts(s: &str) -> Vec<String> {
    s.split('|').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}

/// A suggestion for a typed text.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub id: String,
    /// The label to show: Dutch where ESCO has one.
    pub label: String,
    /// `nl`, or `en` when ESCO has no Dutch label for this skill.
    pub language: String,
    /// Set when the label is English: "Engelse ESCO-term (geen Nederlandse vertaling)".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The synonym that matched, if it was not the label itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_synonym: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub esco_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// How well `text` (folded) matches the folded query; 0 = no match.
fn match_score(text: &str, q: &str, q_words: &[&str], stems: &[String]) -> u32 {
    if text == q {
        return 100;
    }
    if text.starts_with(q) {
        return 80;
    }
    let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    if words.iter().any(|w| w.starts_with(q)) {
        return 60;
    }
    if q_words.len() > 1 && q_words.iter().all(|qw| words.iter().any(|w| w.starts_with(qw))) {
        return 50;
    }
    if text.contains(q) {
        return 40;
    }
    // Dutch word forms and compounds: the stem of a typed word ("snoeien" -> "snoei") at the start
    // of a label word ("snoeitechnieken") or inside it ("bomensnoei").
    let part = |st: &String| words.iter().any(|w| w.starts_with(st.as_str()) || (st.chars().count() >= 5 && w.contains(st.as_str())));
    let hit = stems.iter().filter(|st| st.chars().count() >= 4 && part(st)).count();
    if hit > 0 && hit == stems.len() {
        return 35;
    }
    if hit > 0 {
        return 20;
    }
    0
}

/// The Dutch stems of (folded) words.
fn dutch_stems(words: &[&str]) -> Vec<String> {
    let mut a = crate::text::nl_analyzer();
    let mut out = Vec::new();
    for w in words {
        let mut one = None;
        a.token_stream(w).process(&mut |t| one = Some(t.text.clone()));
        out.push(one.unwrap_or_else(|| w.to_string()));
    }
    out
}

impl RefData {
    pub fn load(conn: &mut DbConnection) -> QueryResult<RefData> {
        let mut rd = RefData::default();
        rd.load_faces(conn)?;
        for a in schema::pc4_areas::table.select(Pc4Area::as_select()).load(conn)? {
            rd.pc4.insert(
                a.pc4,
                Pc4Info { lat: a.lat, lon: a.lon, place: a.place, municipality: a.municipality, municipality_code: a.municipality_code },
            );
        }
        rd.index_pc4();
        let mut skills: Vec<EscoSkill> = schema::esco_skills::table.select(EscoSkill::as_select()).load(conn)?;
        skills.sort_by(|a, b| a.id.cmp(&b.id));
        for s in skills {
            rd.skill_index.insert(s.id.clone(), rd.skills.len() as u32);
            let alts = split_alts(&s.alt_labels_nl);
            let label = s.label_nl.clone().unwrap_or_else(|| s.label_en.clone());
            rd.skills.push(SkillInfo {
                folded_label: fold(&label),
                folded_alts: alts.iter().map(|a| fold(a)).collect(),
                id: s.id,
                label_nl: s.label_nl,
                alt_labels: alts,
                label_en: s.label_en,
                skill_type: s.skill_type,
                group_nl: s.group_nl,
                municipality_id: s.municipality_id,
            });
        }
        let mut occs: Vec<EscoOccupation> = schema::esco_occupations::table.select(EscoOccupation::as_select()).load(conn)?;
        occs.sort_by(|a, b| a.id.cmp(&b.id));
        for o in occs {
            rd.occupation_index.insert(o.id.clone(), rd.occupations.len() as u32);
            let alts = split_alts(&o.alt_labels_nl);
            rd.occupations.push(OccupationInfo {
                folded_label: fold(&o.label_nl),
                folded_alts: alts.iter().map(|a| fold(a)).collect(),
                id: o.id,
                esco_code: o.esco_code,
                isco_group: o.isco_group,
                label_nl: o.label_nl,
                alt_labels: alts,
                label_en: o.label_en,
                description_nl: o.description_nl,
                essential: vec![],
                optional: vec![],
            });
        }
        let links: Vec<EscoOccupationSkill> = schema::esco_occupation_skills::table.select(EscoOccupationSkill::as_select()).load(conn)?;
        for l in links {
            if let (Some(&oi), Some(&si)) = (rd.occupation_index.get(&l.occupation_id), rd.skill_index.get(&l.skill_id)) {
                let o = &mut rd.occupations[oi as usize];
                if l.essential {
                    o.essential.push(si);
                } else {
                    o.optional.push(si);
                }
            }
        }
        rd.related = vec![Vec::new(); rd.occupations.len()];
        let rels: Vec<(String, String, f64)> = schema::occupation_relations::table
            .select((
                schema::occupation_relations::occupation_id,
                schema::occupation_relations::related_id,
                schema::occupation_relations::relatedness,
            ))
            .load(conn)?;
        for (a, b, r) in rels {
            if let (Some(&ai), Some(&bi)) = (rd.occupation_index.get(&a), rd.occupation_index.get(&b)) {
                rd.related[ai as usize].push((bi, r as f32));
            }
        }
        for v in &mut rd.related {
            v.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        }
        rd.essential_for = vec![Vec::new(); rd.skills.len()];
        for (oi, o) in rd.occupations.iter_mut().enumerate() {
            o.essential.sort_unstable();
            o.optional.sort_unstable();
            for &si in &o.essential {
                rd.essential_for[si as usize].push(oi as u32);
            }
        }
        Ok(rd)
    }

    /// Each municipality's face (profile or defaults); the first by name is the site's default.
    fn load_faces(&mut self, conn: &mut DbConnection) -> QueryResult<()> {
        use crate::domain::face::Face;
        let mut ms: Vec<(String, String)> =
            schema::municipalities::table.select((schema::municipalities::id, schema::municipalities::name)).load(conn)?;
        ms.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let profiles: Vec<crate::db::models::MunicipalityProfile> =
            schema::municipality_profiles::table.select(crate::db::models::MunicipalityProfile::as_select()).load(conn)?;
        for (id, name) in &ms {
            let face = match profiles.iter().find(|p| &p.municipality_id == id) {
                Some(p) => Face {
                    municipality_id: id.clone(),
                    name: p.display_name.clone(),
                    logo_url: p.logo_url.clone(),
                    colour: p.colour.clone(),
                    contact_phone: p.contact_phone.clone(),
                    contact_email: p.contact_email.clone(),
                    contact_address: p.contact_address.clone(),
                    contact_hours: p.contact_hours.clone(),
                    privacy_statement: p.privacy_statement.clone(),
                    accessibility_statement: p.accessibility_statement.clone(),
                    configured: true,
                },
                None => Face::default_for(id, name),
            };
            self.faces.insert(id.clone(), Arc::new(face));
        }
        self.default_face = ms.first().and_then(|(id, _)| self.faces.get(id).cloned());
        Ok(())
    }

    /// The face of a municipality, else the site's default.
    pub fn face(&self, municipality_id: Option<&str>) -> Arc<crate::domain::face::Face> {
        municipality_id
            .and_then(|m| self.faces.get(m).cloned())
            .or_else(|| self.default_face.clone())
            .unwrap_or_else(|| Arc::new(crate::domain::face::Face::default_for("", "")))
    }

    /// The essential skills of these occupations (ids, deduplicated, sorted).
    pub fn essential_skills_of(&self, occupation_ids: &[String]) -> Vec<String> {
        let mut out: Vec<String> = occupation_ids
            .iter()
            .filter_map(|o| self.occupation(o))
            .flat_map(|o| o.essential.iter().map(|&i| self.skills[i as usize].id.clone()))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// "Hidden matches": other occupations related to these ones, with a relatedness 0..1 (the
    /// highest over the given occupations), best first; at most `limit`, at least `min`. From the
    /// relatedness model (the engine's relatedness model); without it, the share of an occupation's
    /// essential skills these occupations also need.
    pub fn hidden_matches(&self, occupation_ids: &[String], limit: usize, min: f64) -> Vec<(String, f64)> {
        let own: std::collections::HashSet<u32> = occupation_ids.iter().filter_map(|o| self.occupation_index.get(o).copied()).collect();
        let mut best: HashMap<u32, f64> = HashMap::new();
        if own.iter().any(|&o| !self.related.get(o as usize).is_none_or(|v| v.is_empty())) {
            for &o in &own {
                for &(b, r) in &self.related[o as usize] {
                    if !own.contains(&b) {
                        let e = best.entry(b).or_default();
                        *e = e.max(r as f64);
                    }
                }
            }
        } else {
            let mine: std::collections::HashSet<u32> =
                occupation_ids.iter().filter_map(|o| self.occupation(o)).flat_map(|o| o.essential.iter().copied()).collect();
            let mut shared: HashMap<u32, u32> = HashMap::new();
            for &si in &mine {
                for &oi in &self.essential_for[si as usize] {
                    if !own.contains(&oi) {
                        *shared.entry(oi).or_default() += 1;
                    }
                }
            }
            for (oi, n) in shared {
                best.insert(oi, n as f64 / self.occupations[oi as usize].essential.len().max(1) as f64);
            }
        }
        let mut out: Vec<(String, f64)> =
            best.into_iter().filter(|(_, r)| *r >= min).map(|(oi, r)| (self.occupations[oi as usize].id.clone(), r)).collect();
        out.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal).then(a.0.cmp(&b.0)));
        out.truncate(limit);
        out
    }

    /// The skills as people read them on a Dutch page: the Dutch labels, and for the skills ESCO
    /// has no Dutch label for, one phrase in the occupation's Dutch wording ("3 andere
    /// vaardigheden van een hovenier") instead of an English term.
    pub fn skill_labels_nl(&self, ids: &[&str], occupation_id: Option<&str>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut missing = 0;
        for id in ids {
            match self.skill(id).and_then(|s| s.label_nl.clone()) {
                Some(l) if !out.contains(&l) => out.push(l),
                Some(_) => {}
                None => missing += 1,
            }
        }
        if missing > 0 {
            let what = if missing == 1 { "1 andere vaardigheid".to_string() } else { format!("{missing} andere vaardigheden") };
            out.push(match occupation_id.and_then(|o| self.occupation(o)) {
                Some(o) => format!("{what} van een {}", o.label_nl),
                None => format!("{what} uit de Europese lijst (nog zonder Nederlandse naam)"),
            });
        }
        out
    }

    pub fn has_pc4(&self) -> bool {
        !self.pc4.is_empty()
    }
    pub fn has_esco(&self) -> bool {
        !self.occupations.is_empty()
    }

    /// The words of the occupation and skill labels (built on first use).
    pub fn labels(&self) -> &crate::refdata::labels::LabelIndex {
        self.labels.get_or_init(|| crate::refdata::labels::LabelIndex::build(&self.occupations, &self.skills))
    }

    pub fn occupation(&self, id: &str) -> Option<&OccupationInfo> {
        self.occupation_index.get(id).map(|&i| &self.occupations[i as usize])
    }
    pub fn skill(&self, id: &str) -> Option<&SkillInfo> {
        self.skill_index.get(id).map(|&i| &self.skills[i as usize])
    }

    /// An occupation named exactly, as a client system writes it: its ESCO URI, its ESCO code, or
    /// its Dutch label or a synonym (case and accents aside). No guess: a near name is None.
    pub fn occupation_named(&self, name: &str) -> Option<&OccupationInfo> {
        let name = name.trim();
        if let Some(o) = self.occupation(name) {
            return Some(o);
        }
        let folded = fold(name);
        self.occupations.iter().find(|o| o.esco_code == name || o.folded_label == folded || o.folded_alts.contains(&folded))
    }

    /// A skill named exactly: its ESCO URI, or its Dutch label or a synonym.
    pub fn skill_named(&self, name: &str) -> Option<&SkillInfo> {
        let name = name.trim();
        if let Some(s) = self.skill(name) {
            return Some(s);
        }
        let folded = fold(name);
        self.skills.iter().find(|s| s.folded_label == folded || s.folded_alts.contains(&folded))
    }

    fn index_pc4(&mut self) {
        self.pc4_by_lat =
            self.pc4.iter().map(|(k, p)| Pc4Point { lat: p.lat, lon: p.lon, unit: unit_vector(p.lat, p.lon), code: k.clone() }).collect();
        self.pc4_by_lat.sort_by(|a, b| a.lat.total_cmp(&b.lat).then_with(|| a.code.cmp(&b.code)));
    }

    /// The PC4 areas whose centroid lies within `km` of a point (sorted): those `Reach::new(lat,
    /// lon, km)` contains.
    ///
    /// Only the band of latitudes that can lie within `km` is measured: a great-circle distance
    /// is never shorter than the difference in latitude (R·|Δφ|), so the band loses nothing.
    pub fn pc4_within(&self, lat: f64, lon: f64, km: f64) -> Vec<String> {
        let reach = Reach::new(lat, lon, km);
        let mut v: Vec<String> = if self.pc4_by_lat.len() == self.pc4.len() {
            let from = self.pc4_by_lat.partition_point(|p| p.lat < reach.lat_min);
            let to = self.pc4_by_lat.partition_point(|p| p.lat <= reach.lat_max);
            self.pc4_by_lat[from..to].iter().filter(|p| reach.contains_unit(p.lat, p.lon, &p.unit)).map(|p| p.code.clone()).collect()
        } else {
            self.pc4.iter().filter(|(_, p)| reach.contains(p.lat, p.lon)).map(|(k, _)| k.clone()).collect()
        };
        v.sort_unstable();
        v
    }

    /// Distance in km between two PC4 centroids, if both are known.
    pub fn distance_km(&self, a: &str, b: &str) -> Option<f64> {
        let (pa, pb) = (self.pc4.get(a)?, self.pc4.get(b)?);
        Some(crate::domain::geo::haversine_km(pa.lat, pa.lon, pb.lat, pb.lon))
    }

    /// Checks a PC4 field: format always, existence when the postcode table is loaded.
    pub fn check_pc4(&self, field: &str, pc4: &str) -> Option<crate::domain::FieldError> {
        if !crate::domain::is_pc4_format(pc4) {
            return Some(crate::domain::FieldError::new(field, "Een postcode (PC4) bestaat uit 4 cijfers, bijvoorbeeld 7241."));
        }
        if self.has_pc4() && !self.pc4.contains_key(pc4) {
            return Some(crate::domain::FieldError::new(field, format!("Postcode {pc4} is onbekend.")));
        }
        None
    }

    pub fn suggest_occupations(&self, q: &str, limit: usize) -> Vec<Suggestion> {
        let qf = fold(q.trim());
        if qf.is_empty() {
            return vec![];
        }
        let q_words: Vec<&str> = qf.split_whitespace().collect();
        let stems = dutch_stems(&q_words);
        let mut scored: Vec<(u32, usize, Option<usize>)> = Vec::new();
        for (i, o) in self.occupations.iter().enumerate() {
            let mut best = (match_score(&o.folded_label, &qf, &q_words, &stems) * 2 + 1, None);
            for (j, a) in o.folded_alts.iter().enumerate() {
                let s = match_score(a, &qf, &q_words, &stems) * 2;
                if s > best.0 {
                    best = (s, Some(j));
                }
            }
            if best.0 > 1 {
                scored.push((best.0, i, best.1));
            }
        }
        scored.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then(self.occupations[a.1].label_nl.len().cmp(&self.occupations[b.1].label_nl.len()))
                .then(self.occupations[a.1].label_nl.cmp(&self.occupations[b.1].label_nl))
        });
        scored
            .into_iter()
            .take(limit)
            .map(|(_, i, alt)| {
                let o = &self.occupations[i];
                Suggestion {
                    id: o.id.clone(),
                    label: o.label_nl.clone(),
                    language: "nl".into(),
                    note: None,
                    matched_synonym: alt.map(|j| o.alt_labels[j].clone()),
                    esco_code: Some(o.esco_code.clone()),
                    group: None,
                }
            })
            .collect()
    }

    pub fn suggest_skills(&self, q: &str, limit: usize) -> Vec<Suggestion> {
        let qf = fold(q.trim());
        if qf.is_empty() {
            return vec![];
        }
        let q_words: Vec<&str> = qf.split_whitespace().collect();
        let stems = dutch_stems(&q_words);
        let mut scored: Vec<(u32, usize, Option<usize>)> = Vec::new();
        for (i, s) in self.skills.iter().enumerate() {
            // A Dutch label outranks an English one at the same match quality.
            let lang_bonus = if s.label_nl.is_some() { 1 } else { 0 };
            let mut best = (match_score(&s.folded_label, &qf, &q_words, &stems) * 4 + 2 * lang_bonus + 1, None);
            for (j, a) in s.folded_alts.iter().enumerate() {
                let sc = match_score(a, &qf, &q_words, &stems) * 4 + 2 * lang_bonus;
                if sc > best.0 {
                    best = (sc, Some(j));
                }
            }
            if best.0 > 3 {
                scored.push((best.0, i, best.1));
            }
        }
        scored.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then(self.skills[a.1].label().len().cmp(&self.skills[b.1].label().len()))
                .then(self.skills[a.1].label().cmp(self.skills[b.1].label()))
        });
        scored
            .into_iter()
            .take(limit)
            .map(|(_, i, alt)| {
                let s = &self.skills[i];
                Suggestion {
                    id: s.id.clone(),
                    label: s.label().to_string(),
                    language: s.label_language().into(),
                    note: (s.label_nl.is_none()).then(|| "Engelse ESCO-term (geen Nederlandse vertaling)".to_string()),
                    matched_synonym: alt.map(|j| s.alt_labels[j].clone()),
                    esco_code: None,
                    group: Some(s.group_nl.clone()),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pc4_within_a_latitude_band_and_chords_finds_what_a_full_scan_finds() {
        let mut rd = RefData::default();
        // A pseudo-random spread over the Netherlands (fixed seed), some on one latitude.
        let mut x: u64 = 2026;
        let mut next = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        for i in 0..3000 {
            let lat = if i % 10 == 0 { 52.0 } else { 50.7 + 2.9 * next() };
            let info = Pc4Info { lat, lon: 3.3 + 3.9 * next(), place: String::new(), municipality: String::new(), municipality_code: String::new() };
            rd.pc4.insert(format!("{:04}", 1000 + i), info);
        }
        let full = |rd: &RefData, lat: f64, lon: f64, km: f64| {
            let mut v: Vec<String> = rd
                .pc4
                .iter()
                .filter(|(_, p)| crate::domain::geo::haversine_km(lat, lon, p.lat, p.lon) <= km + 1e-9)
                .map(|(k, _)| k.clone())
                .collect();
            v.sort();
            v
        };
        rd.index_pc4();
        let mut found = 0;
        for _ in 0..200 {
            let (lat, lon, km) = (50.7 + 2.9 * next(), 3.3 + 3.9 * next(), 60.0 * next());
            let banded = rd.pc4_within(lat, lon, km);
            assert_eq!(banded, full(&rd, lat, lon, km), "at {lat},{lon} within {km} km");
            found += banded.len();
        }
        // An area exactly at the edge of the band is kept, and the searches found areas at all.
        let (a, b) = (&rd.pc4["1000"], &rd.pc4["1010"]);
        let d = crate::domain::geo::haversine_km(a.lat, a.lon, b.lat, b.lon);
        assert!(rd.pc4_within(a.lat, a.lon, d).contains(&"1010".to_string()));
        assert!(found > 1000, "{found}");
        // Areas exactly at the limit are decided by the haversine formula itself, as in the
        // full scan: the one at exactly the distance is kept, and so is every area the scan keeps.
        for _ in 0..300 {
            let (i, j) = ((next() * 3000.0) as usize, (next() * 3000.0) as usize);
            let (ka, kb) = (format!("{:04}", 1000 + i), format!("{:04}", 1000 + j));
            let (a, b) = (&rd.pc4[&ka], &rd.pc4[&kb]);
            let d = crate::domain::geo::haversine_km(a.lat, a.lon, b.lat, b.lon);
            let got = rd.pc4_within(a.lat, a.lon, d);
            assert!(got.contains(&kb), "{kb} at {d} km from {ka}");
            assert_eq!(got, full(&rd, a.lat, a.lon, d), "around {ka} within {d} km");
        }
    }
    #[test]
    fn folding() {
        assert_eq!(fold("Café Ëxpert"), "cafe expert");
        let st = |w: &[&str]| dutch_stems(w);
        assert_eq!(match_score("schoonmaker kantoor", "schoon", &["schoon"], &st(&["schoon"])), 80);
        assert_eq!(match_score("medewerker schoonmaak", "schoon", &["schoon"], &st(&["schoon"])), 60);
        assert_eq!(match_score("abc", "x", &["x"], &st(&["x"])), 0);
        // Word forms and parts of compounds: "snoeien" finds "snoeitechnieken".
        assert_eq!(match_score("snoeitechnieken", "snoeien", &["snoeien"], &st(&["snoeien"])), 35);
        assert_eq!(match_score("snoeitechnieken", "planten snoeien", &["planten", "snoeien"], &st(&["planten", "snoeien"])), 20);
    }
}
