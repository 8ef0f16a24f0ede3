//! Bringing in a caseload from the municipality's client system (Suite4Sociaal Domein, GWS4all,
//! Socrates export CSV): a mapping names which column is which field; every row is read into the
//! same `CandidateInput` the API takes and checked by the same rules. A dry run reports every row
//! that cannot be taken (row, column, value, reason, in Dutch); applying writes in batches, keyed on
//! the client number, so a second run of the same file creates nothing and changes nothing.
//!
//! Never a BSN: a column named like one, or a value of nine digits passing the elfproef anywhere,
//! refuses the whole file before anything is written.

use super::candidates::{import_new, import_one, write_new_imports, CandidateInput, Imported, NewImport, OccupationInput, SkillInput};
use crate::audit::Actor;
use crate::db::queries::candidate_full;
use crate::db::schema::{candidates, import_fingerprints, import_runs, users};
use crate::db::DbConnection;
use crate::domain::{nl, BenefitType, Role};
use crate::error::{AppError, AppResult};
use crate::refdata::RefData;
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

/// The fields an import knows: (field, column in the default template, what to write there).
pub const FIELDS: &[(&str, &str, &str)] = &[
    ("client_number", "klantnummer", "Het nummer in uw cliëntsysteem (verplicht, nooit een BSN)"),
    ("first_name", "voornaam", "Voornaam (verplicht)"),
    ("last_name", "achternaam", "Achternaam (verplicht)"),
    ("birth_date", "geboortedatum", "Geboortedatum: 17-05-1990 of 1990-05-17 (verplicht)"),
    ("pc4", "postcode", "Postcode; de vier cijfers tellen (verplicht)"),
    ("email", "email", "E-mailadres"),
    ("phone", "telefoon", "Telefoonnummer"),
    ("benefit_type", "uitkering", "participatiewet, ioaw, ioaz, anw, of geen (NUG)"),
    ("registration_date", "aanmelddatum", "Datum van aanmelding bij de gemeente (telt als instroom)"),
    ("klantmanager", "klantmanager", "E-mailadres van de klantmanager in Opstap"),
    ("klantgroep", "klantgroep", "Naam van een klantgroep van uw gemeente in Opstap (leeg: de standaardgroep)"),
    ("ladder_step", "trede", "Trede op de participatieladder, 1 tot 6"),
    ("ladder_date", "trede_datum", "Datum van die laddermeting (leeg: vandaag)"),
    ("language_level", "taalniveau", "1F, 2F, 3F, 4F of A1 tot C2"),
    ("education_level", "opleiding", "geen, basisonderwijs, vmbo, mbo1 tot mbo4, havo, vwo, hbo, wo, buitenlands"),
    ("startkwalificatie", "startkwalificatie", "ja of nee"),
    ("doelgroepregister", "doelgroepregister", "ja of nee"),
    ("doelgroepregister_route", "doelgroepregister_route", "uwv_indicatie, praktijkroute, pro_vso, wajong of wsw"),
    ("doelgroepregister_date", "doelgroepregister_datum", "Datum van opname in het doelgroepregister"),
    ("beschut_werk", "beschut_werk", "ja of nee: indicatie beschut werk (niet samen met het doelgroepregister)"),
    ("statushouder", "statushouder", "ja of nee"),
    ("hours_min", "uren_min", "Minimaal aantal uren per week"),
    ("hours_max", "uren_max", "Maximaal aantal uren per week"),
    ("occupations", "beroepen", "ESCO-code of Nederlandse beroepsnaam; meer beroepen gescheiden door |"),
    ("skills", "vaardigheden", "Nederlandse naam van een ESCO-vaardigheid; meer gescheiden door |"),
    ("consent_matching", "toestemming_matching", "ja of nee: de persoon stemt in met zoeken naar passend werk"),
];

const REQUIRED: &[&str] = &["client_number", "first_name", "last_name", "birth_date", "pc4"];

/// Which column is which field, and the values for fields the file does not have.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// field -> column header in the file
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// field -> value used when the file has no such column or leaves it empty
    #[serde(default)]
    pub defaults: BTreeMap<String, String>,
}

impl Default for Mapping {
    fn default() -> Self {
        Mapping { columns: FIELDS.iter().map(|(f, c, _)| (f.to_string(), c.to_string())).collect(), defaults: BTreeMap::new() }
    }
}

impl Mapping {
    /// A mapping file (JSON); unknown fields are refused with their names.
    pub fn parse(json: &str) -> Result<Mapping, String> {
        let m: Mapping = serde_json::from_str(json).map_err(|e| format!("Het koppelbestand is geen geldige JSON: {e}"))?;
        let known = |f: &String| FIELDS.iter().any(|(k, _, _)| k == f);
        if let Some(f) = m.columns.keys().chain(m.defaults.keys()).find(|f| !known(f)) {
            return Err(format!(
                "Onbekend veld {f:?} in het koppelbestand; bekend zijn: {}.",
                FIELDS.iter().map(|(f, _, _)| *f).collect::<Vec<_>>().join(", ")
            ));
        }
        Ok(m)
    }
}

/// The default template: the header row and one line explaining every column.
pub fn template_csv() -> String {
    let header: Vec<&str> = FIELDS.iter().map(|(_, c, _)| *c).collect();
    let help: Vec<String> = FIELDS.iter().map(|(_, _, h)| format!("\"{}\"", h.replace('"', "'"))).collect();
    format!("\u{feff}{}\r\n{}\r\n", header.join(";"), help.join(";"))
}

/// One row that cannot be taken, or a note about one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Issue {
    /// The line in the file (the header is line 1).
    pub row: usize,
    /// The column as the file names it.
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// What an import found, or did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// The recorded run: its report stays downloadable (`/api/v1/import-runs/{id}/report.csv`).
    pub id: Option<String>,
    pub rows: usize,
    /// Rows that can be taken.
    pub valid: usize,
    /// Of those: client numbers not known yet, and known ones.
    pub new: usize,
    pub known: usize,
    /// After applying.
    pub applied: bool,
    pub created: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Why the whole file was refused (a BSN), if it was.
    pub refused: Option<String>,
    pub issues: Vec<Issue>,
}

impl ImportReport {
    /// The issues as CSV for Dutch Excel (UTF-8 with BOM, semicolons).
    pub fn issues_csv(&self) -> String {
        let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(vec![]);
        let _ = w.write_record(["rij", "kolom", "waarde", "reden"]);
        for i in &self.issues {
            let _ = w.write_record([i.row.to_string().as_str(), &i.column, &i.value, &i.reason]);
        }
        format!("\u{feff}{}", String::from_utf8_lossy(&w.into_inner().unwrap_or_default()))
    }
}

/// How the file is written: its encoding (UTF-8, or Windows-1252 as Excel saves "CSV") and the
/// separator (Excel in Dutch uses ";").
struct Format {
    utf8: bool,
    delimiter: u8,
}

fn sniff(path: &Path) -> std::io::Result<Format> {
    let mut head = vec![0u8; 64 * 1024];
    let n = std::fs::File::open(path)?.read(&mut head)?;
    head.truncate(n);
    let utf8 = match std::str::from_utf8(&head) {
        Ok(_) => true,
        // Cut off in the middle of a character at the end of the sample: still UTF-8.
        Err(e) => e.error_len().is_none(),
    };
    let first = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let count = |c: u8| first.iter().filter(|b| **b == c).count();
    let delimiter = [b';', b',', b'\t'].into_iter().max_by_key(|c| count(*c)).unwrap_or(b';');
    Ok(Format { utf8, delimiter })
}

fn text(f: &Format, bytes: &[u8]) -> String {
    let s = if f.utf8 {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned()
    };
    let t = s.trim_start_matches('\u{feff}').trim();
    if t.len() == s.len() {
        s
    } else {
        t.to_string()
    }
}

fn yes_no(v: &str) -> Option<bool> {
    match v.trim().to_lowercase().as_str() {
        "ja" | "j" | "yes" | "y" | "1" | "true" | "waar" | "x" => Some(true),
        "nee" | "n" | "no" | "0" | "false" | "onwaar" => Some(false),
        _ => None,
    }
}

fn date(v: &str) -> Option<NaiveDate> {
    let v = v.trim();
    ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y"].iter().find_map(|f| NaiveDate::parse_from_str(v, f).ok())
}

fn benefit(v: &str) -> Option<BenefitType> {
    match nl::fold(v).as_str() {
        "participatiewet" | "pw" | "bijstand" | "wwb" => Some(BenefitType::Participatiewet),
        "ioaw" => Some(BenefitType::Ioaw),
        "ioaz" => Some(BenefitType::Ioaz),
        "anw" => Some(BenefitType::Anw),
        "nug" | "geen" | "geen uitkering" => Some(BenefitType::Nug),
        _ => None,
    }
}

/// What stays the same over the whole file: the municipality's klantmanagers and client numbers,
/// and the names already resolved.
struct Lookup<'a> {
    rd: &'a RefData,
    klantmanagers: HashMap<String, String>,
    known: HashMap<String, String>,
    occupations: HashMap<String, Option<String>>,
    skills: HashMap<String, Option<String>>,
    /// candidate id -> what the last import took over for that person.
    fingerprints: HashMap<String, String>,
    /// Klantgroepen by folded name, and the default group.
    groups: HashMap<String, String>,
    group_rows: HashMap<String, crate::db::models::ClientGroup>,
    default_group: Option<String>,
}

impl<'a> Lookup<'a> {
    fn load(conn: &mut DbConnection, rd: &'a RefData, municipality: &str) -> AppResult<Lookup<'a>> {
        let kms: Vec<(String, String)> = users::table
            .filter(users::municipality_id.eq(municipality))
            .filter(users::role.eq(Role::Klantmanager))
            .filter(users::active.eq(true))
            .select((users::email_normalized, users::id))
            .load(conn)?;
        let known: Vec<(Option<String>, String)> = candidates::table
            .filter(candidates::municipality_id.eq(municipality))
            .filter(candidates::client_number.is_not_null())
            .select((candidates::client_number, candidates::id))
            .load(conn)?;
        let groups = crate::db::client_groups::of_municipality(conn, municipality)?;
        let fingerprints: Vec<(String, String)> = import_fingerprints::table
            .inner_join(candidates::table)
            .filter(candidates::municipality_id.eq(municipality))
            .select((import_fingerprints::candidate_id, import_fingerprints::fingerprint))
            .load(conn)?;
        Ok(Lookup {
            fingerprints: fingerprints.into_iter().collect(),
            rd,
            klantmanagers: kms.into_iter().collect(),
            known: known.into_iter().filter_map(|(n, id)| n.map(|n| (n, id))).collect(),
            occupations: HashMap::new(),
            skills: HashMap::new(),
            default_group: groups.iter().find(|g| g.is_default).map(|g| g.id.clone()),
            group_rows: groups.iter().map(|g| (g.id.clone(), g.clone())).collect(),
            groups: groups.into_iter().map(|g| (nl::fold(&g.name), g.id)).collect(),
        })
    }
}

/// One data row read into the API's input; the issues of its columns.
struct Row {
    input: CandidateInput,
    issues: Vec<Issue>,
}

/// Reads one row: `get(field)` is the value of the mapped column (or the default).
fn read_row<'a>(
    line: usize,
    get: &dyn Fn(&str) -> Option<(&'a str, &'a str)>,
    base: Option<CandidateInput>,
    look: &mut Lookup,
    today: NaiveDate,
) -> Row {
    let mut issues = vec![];
    let mut issue =
        |column: &str, value: &str, reason: &str| issues.push(Issue { row: line, column: column.into(), value: value.into(), reason: reason.into() });
    let value = |f: &str| get(f).filter(|(_, v)| !v.is_empty());
    let mut input = base.unwrap_or_else(|| CandidateInput {
        first_name: String::new(),
        last_name: String::new(),
        email: None,
        phone: None,
        birth_date: NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default(),
        pc4: String::new(),
        klantmanager_id: None,
        education_level: "geen".into(),
        startkwalificatie: false,
        language_level: None,
        hours_min: 0,
        hours_max: 40,
        max_travel_km: 15,
        driving_licence: false,
        own_transport: false,
        loonwaarde: None,
        loonwaarde_date: None,
        doelgroepregister: false,
        beschut_werk_indicatie: false,
        lks_target_group: false,
        needs_job_coach: false,
        statushouder: false,
        work_capacity_limits: String::new(),
        support_needs: String::new(),
        zrm_scores: Default::default(),
        sector_preferences: vec![],
        available_from: None,
        consent_matching: false,
        consent_anonymous_profile: false,
        consent_email: false,
        status: crate::domain::ACTIEF.into(),
        outflow_reason: None,
        outflow_date: None,
        occupations: vec![],
        skills: vec![],
        ladder_step: None,
        version: None,
        client_number: None,
        benefit_type: BenefitType::Participatiewet,
        registration_date: None,
        client_group_id: look.default_group.clone(),
        doelgroepregister_route: None,
        doelgroepregister_date: None,
        ladder_date: None,
        kind_preferences: None,
        days_available: None,
    });
    input.client_number = value("client_number").map(|(_, v)| v.to_string());
    for (field, target) in [("first_name", &mut input.first_name), ("last_name", &mut input.last_name), ("pc4", &mut input.pc4)] {
        if let Some((_, v)) = value(field) {
            *target = if field == "pc4" { v.chars().filter(|c| c.is_ascii_digit()).take(4).collect() } else { v.to_string() };
        }
    }
    if let Some((_, v)) = value("email") {
        input.email = Some(v.to_string());
    }
    if let Some((_, v)) = value("phone") {
        input.phone = Some(v.to_string());
    }
    if let Some((c, v)) = value("birth_date") {
        match date(v) {
            Some(d) => input.birth_date = d,
            None => issue(c, v, "Geen geldige datum (schrijf 17-05-1990 of 1990-05-17)."),
        }
    }
    if let Some((c, v)) = value("registration_date") {
        match date(v) {
            Some(d) => input.registration_date = Some(d),
            None => issue(c, v, "Geen geldige datum (schrijf 17-05-2025 of 2025-05-17)."),
        }
    }
    if let Some((c, v)) = value("benefit_type") {
        match benefit(v) {
            Some(b) => input.benefit_type = b,
            None => issue(c, v, "Onbekende uitkering: schrijf participatiewet, ioaw, ioaz, anw of geen."),
        }
    }
    match value("klantmanager") {
        Some((c, v)) => match look.klantmanagers.get(&crate::auth::normalize_email(v)) {
            Some(id) => input.klantmanager_id = Some(id.clone()),
            None => issue(c, v, "Geen klantmanager van uw gemeente met dit e-mailadres in Opstap."),
        },
        None if input.klantmanager_id.is_none() => {
            issue("klantmanager", "", "Geen klantmanager: vul de kolom of geef er een op voor het hele bestand.")
        }
        None => {}
    }
    if let Some((c, v)) = value("klantgroep") {
        match look.groups.get(&nl::fold(v)) {
            Some(id) => input.client_group_id = Some(id.clone()),
            None => issue(c, v, "Geen klantgroep met deze naam in uw gemeente (zie Beheer, Klantgroepen)."),
        }
    }
    if let Some((c, v)) = value("ladder_date") {
        match date(v) {
            Some(d) => input.ladder_date = Some(d),
            None => issue(c, v, "Geen geldige datum (schrijf 17-05-2025 of 2025-05-17)."),
        }
    }
    if let Some((c, v)) = value("doelgroepregister_route") {
        match nl::fold(v).replace([' ', '/', '-'], "_").parse::<crate::domain::klantgroep::DoelgroepRoute>() {
            Ok(r) => input.doelgroepregister_route = Some(r),
            Err(_) => issue(c, v, "Onbekende route: schrijf uwv_indicatie, praktijkroute, pro_vso, wajong of wsw."),
        }
    }
    if let Some((c, v)) = value("doelgroepregister_date") {
        match date(v) {
            Some(d) => input.doelgroepregister_date = Some(d),
            None => issue(c, v, "Geen geldige datum (schrijf 17-05-2025 of 2025-05-17)."),
        }
    }
    if let Some((c, v)) = value("ladder_step") {
        match v.parse::<i32>() {
            Ok(s) if crate::domain::ladder::is_valid_step(s) => input.ladder_step = Some(s),
            _ => issue(c, v, "Een trede is een getal van 1 tot 6."),
        }
    }
    if let Some((_, v)) = value("language_level") {
        input.language_level = Some(v.to_string());
    }
    if let Some((_, v)) = value("education_level") {
        input.education_level = nl::fold(v);
    }
    for (field, target) in [
        ("startkwalificatie", &mut input.startkwalificatie),
        ("doelgroepregister", &mut input.doelgroepregister),
        ("beschut_werk", &mut input.beschut_werk_indicatie),
        ("statushouder", &mut input.statushouder),
        ("consent_matching", &mut input.consent_matching),
    ] {
        if let Some((c, v)) = value(field) {
            match yes_no(v) {
                Some(b) => *target = b,
                None => issue(c, v, "Schrijf ja of nee."),
            }
        }
    }
    for (field, target) in [("hours_min", &mut input.hours_min), ("hours_max", &mut input.hours_max)] {
        if let Some((c, v)) = value(field) {
            match v.parse::<i32>() {
                Ok(h) => *target = h,
                Err(_) => issue(c, v, "Schrijf een heel getal."),
            }
        }
    }
    if let Some((c, v)) = value("occupations") {
        let mut occ = vec![];
        for name in v.split('|').map(str::trim).filter(|n| !n.is_empty()) {
            let rd = look.rd;
            let found = look.occupations.entry(name.to_string()).or_insert_with(|| rd.occupation_named(name).map(|o| o.id.clone())).clone();
            match found {
                Some(id) if !occ.iter().any(|o: &OccupationInput| o.occupation_id == id) => {
                    let experience =
                        input.occupations.iter().find(|o| o.occupation_id == id).map(|o| o.experience.clone()).unwrap_or_else(|| "beginner".into());
                    occ.push(OccupationInput { occupation_id: id, experience })
                }
                Some(_) => {}
                None => issue(c, name, "Dit beroep staat niet in ESCO (code of Nederlandse naam); het is niet overgenomen."),
            }
        }
        input.occupations = occ;
    }
    if let Some((c, v)) = value("skills") {
        let mut sk = vec![];
        for name in v.split('|').map(str::trim).filter(|n| !n.is_empty()) {
            let rd = look.rd;
            let found = look.skills.entry(name.to_string()).or_insert_with(|| rd.skill_named(name).map(|s| s.id.clone())).clone();
            match found {
                Some(id) if !sk.iter().any(|s: &SkillInput| s.skill_id.as_deref() == Some(id.as_str())) => {
                    sk.push(SkillInput { skill_id: Some(id), free_text: None, level: "basis".into() })
                }
                Some(_) => {}
                None => issue(c, name, "Deze vaardigheid staat niet in ESCO; ze is niet overgenomen."),
            }
        }
        input.skills = sk;
    }
    // The API's own checks, reported under the file's column names.
    let column_of = |field: &str| get(field).map(|(c, _)| c.to_string()).unwrap_or_else(|| field.to_string());
    let value_of = |field: &str| get(field).map(|(_, v)| v.to_string()).unwrap_or_default();
    let mut errs = crate::domain::validation::validation_errors_of(&input);
    errs.extend(input.check(look.rd, today));
    for e in errs {
        let base = e.field.split(['[', '.']).next().unwrap_or(&e.field).to_string();
        let field = match base.as_str() {
            "beschut_werk_indicatie" => "beschut_werk",
            "klantmanager_id" => "klantmanager",
            "client_group_id" => "klantgroep",
            other => other,
        };
        if !issues.iter().any(|i| i.column == column_of(field)) {
            issues.push(Issue { row: line, column: column_of(field), value: value_of(field), reason: e.message });
        }
    }
    Row { input, issues }
}

/// Where each field is in the file: the column's name, its position (if the file has it) and
/// the mapping's default. Built once per file, so a row's cells are read without allocating.
struct Slot<'a> {
    column: &'a str,
    index: Option<usize>,
    default: Option<&'a str>,
}

type Slots<'a> = HashMap<&'static str, Slot<'a>>;

fn slots<'a>(mapping: &'a Mapping, columns: &HashMap<&str, usize>) -> Slots<'a> {
    FIELDS
        .iter()
        .map(|(f, _, _)| {
            let column = mapping.columns.get(*f).map(String::as_str).unwrap_or(f);
            (*f, Slot { column, index: columns.get(f).copied(), default: mapping.defaults.get(*f).map(String::as_str) })
        })
        .collect()
}

/// A field of a row: (the column as the file names it, the value), or the mapping's default when
/// the file leaves it empty or has no such column.
fn cell<'a>(slots: &Slots<'a>, cells: &'a [String], field: &str) -> Option<(&'a str, &'a str)> {
    let slot = slots.get(field)?;
    match slot.index.and_then(|i| cells.get(i)).filter(|v| !v.is_empty()) {
        Some(v) => Some((slot.column, v.as_str())),
        None => slot.default.map(|v| (slot.column, v)),
    }
}

/// The municipality a command names, by CBS code or name.
pub fn municipality_named(conn: &mut DbConnection, key: &str) -> AppResult<String> {
    use crate::db::schema::municipalities;
    municipalities::table
        .filter(municipalities::cbs_code.eq(key.trim()).or(municipalities::name.eq(key.trim())))
        .select(municipalities::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::field("municipality", format!("Geen gemeente {key:?} in Opstap (geef de CBS-code of de naam).")))
}

/// Where a file came from and who runs it: the recorded run names them.
pub struct Source<'a> {
    pub path: &'a Path,
    /// The name the user knows the file by (the upload's name, or the command's argument).
    pub file_name: &'a str,
    /// The user who runs it (a beheerder on the page or API; none for the command).
    pub user_id: Option<&'a str>,
}

/// Reads (and with `apply`, writes) a caseload file (CSV, or an Excel workbook's first sheet) for
/// `municipality`, and records the run with its report. `progress` is told the rows done.
#[allow(clippy::too_many_arguments)]
pub fn run(
    pool: &crate::db::DbPool,
    rd: &RefData,
    municipality: &str,
    actor: &Actor,
    source: &Source,
    mapping: &Mapping,
    apply: bool,
    today: NaiveDate,
    progress: &dyn Fn(usize),
) -> AppResult<ImportReport> {
    // An Excel workbook is read into a CSV file first; from there on it is the same import.
    let converted = if is_xlsx(source.path) { Some(xlsx_to_csv(source.path)?) } else { None };
    let path = converted.as_ref().map(|t| t.path()).unwrap_or(source.path);
    let mut report = run_csv(pool, rd, municipality, actor, path, mapping, apply, today, progress)?;
    let mut conn = pool.get().map_err(|e| AppError::Internal(e.into()))?;
    let id = crate::db::new_id();
    let row = crate::db::models::ImportRun {
        id: id.clone(),
        municipality_id: municipality.into(),
        user_id: source.user_id.map(str::to_string),
        file_name: source.file_name.chars().take(200).collect(),
        applied: report.applied,
        rows_read: report.rows as i32,
        valid: report.valid as i32,
        created: report.created as i32,
        changed: report.changed as i32,
        unchanged: report.unchanged as i32,
        refused: report.refused.clone(),
        issues_csv: report.issues_csv(),
        created_at: crate::db::now(),
    };
    crate::db::write_transaction(&mut conn, |conn| diesel::insert_into(import_runs::table).values(&row).execute(conn))?;
    report.id = Some(id);
    Ok(report)
}

/// An Excel workbook (a zip file) rather than text.
fn is_xlsx(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && magic == *b"PK\x03\x04"
}

/// The first sheet of a workbook as a UTF-8 CSV file with ";": dates as 17-05-1990, whole numbers
/// without decimals (Excel keeps a client number or postcode as a number). calamine reads the
/// sheet into memory; a CSV file is streamed, so very large caseloads are better sent as CSV.
fn xlsx_to_csv(path: &Path) -> AppResult<tempfile::NamedTempFile> {
    use calamine::{Data, DataType, Reader};
    let unreadable = |e: &dyn std::fmt::Display| AppError::field("file", format!("Het Excel-bestand is niet te lezen: {e}"));
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).map_err(|e| unreadable(&e))?;
    let range = book.worksheet_range_at(0).ok_or_else(|| AppError::field("file", "Het Excel-bestand heeft geen werkblad."))?;
    let range = range.map_err(|e| unreadable(&e))?;
    let tmp = tempfile::NamedTempFile::new().map_err(|e| AppError::Internal(e.into()))?;
    let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(std::io::BufWriter::new(tmp.as_file()));
    for row in range.rows() {
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                Data::DateTime(_) | Data::DateTimeIso(_) => c.as_date().map(|d| d.format("%d-%m-%Y").to_string()).unwrap_or_else(|| c.to_string()),
                other => other.to_string(),
            })
            .collect();
        w.write_record(&cells).map_err(|e| AppError::Internal(e.into()))?;
    }
    w.flush().map_err(|e| AppError::Internal(e.into()))?;
    drop(w);
    Ok(tmp)
}

/// A row's mapped cells, hashed: equal for a row that did not change since the last run.
fn fingerprint<'a>(get: &dyn Fn(&str) -> Option<(&'a str, &'a str)>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"opstap-import-1");
    for (field, _, _) in FIELDS {
        h.update(field.as_bytes());
        h.update([0x1f]);
        if let Some((_, v)) = get(field) {
            h.update(v.as_bytes());
        }
        h.update([0x1e]);
    }
    h.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Rows per write transaction. Measured on 500,000 rows (SQLite): 2,000 and 5,000 about 15%
/// faster than 1,000 (fewer commits and WAL checkpoints writing the same index pages again);
/// 2,000 holds the write lock about 0.2 s at a time, short enough for the users working meanwhile.
const IMPORT_BATCH: usize = 2000;

#[allow(clippy::too_many_arguments)]
fn run_csv(
    pool: &crate::db::DbPool,
    rd: &RefData,
    municipality: &str,
    actor: &Actor,
    path: &Path,
    mapping: &Mapping,
    apply: bool,
    today: NaiveDate,
    progress: &dyn Fn(usize),
) -> AppResult<ImportReport> {
    let mut conn = pool.get().map_err(|e| AppError::Internal(e.into()))?;
    let format = sniff(path).map_err(|e| AppError::field("file", format!("Het bestand is niet te lezen: {e}")))?;
    let open = || -> AppResult<csv::Reader<std::io::BufReader<std::fs::File>>> {
        let f = std::fs::File::open(path).map_err(|e| AppError::field("file", format!("Het bestand is niet te lezen: {e}")))?;
        Ok(csv::ReaderBuilder::new().delimiter(format.delimiter).flexible(true).from_reader(std::io::BufReader::with_capacity(1 << 20, f)))
    };
    let mut reader = open()?;
    let headers: Vec<String> =
        reader.byte_headers().map_err(|e| AppError::field("file", format!("Geen kopregel: {e}")))?.iter().map(|h| text(&format, h)).collect();
    let mut report = ImportReport::default();
    // A BSN column by its name.
    if let Some(h) = headers.iter().find(|h| {
        let f = nl::fold(h);
        f == "bsn" || f.contains("burgerservicenummer") || f.split(|c: char| !c.is_alphanumeric()).any(|w| w == "bsn")
    }) {
        report.refused = Some(format!("Het bestand heeft een kolom {h:?}: Opstap neemt geen BSN over. Haal de kolom weg en probeer het opnieuw."));
        return Ok(report);
    }
    let index_of = |field: &str| -> Option<usize> {
        let column = mapping.columns.get(field)?;
        headers.iter().position(|h| nl::fold(h) == nl::fold(column))
    };
    let columns: HashMap<&str, usize> = FIELDS.iter().filter_map(|(f, _, _)| index_of(f).map(|i| (*f, i))).collect();
    let slots = slots(mapping, &columns);
    let missing: Vec<&str> = REQUIRED.iter().copied().filter(|f| !columns.contains_key(f)).collect();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|f| mapping.columns.get(*f).cloned().unwrap_or_else(|| f.to_string())).collect();
        return Err(AppError::field("file", format!("Deze kolommen ontbreken: {}.", names.join(", "))));
    }
    let mut look = Lookup::load(&mut conn, rd, municipality)?;
    if let Some(km) = mapping.defaults.get("klantmanager") {
        if !look.klantmanagers.contains_key(&crate::auth::normalize_email(km)) {
            return Err(AppError::field("klantmanager", format!("{km} is geen klantmanager van deze gemeente in Opstap.")));
        }
    }
    // Pass 1: read every row; nothing is written. A BSN anywhere refuses the whole file, a
    // client number seen before is reported, and a row whose cells are those the last run took
    // over for that person is unchanged and needs no further look. A dry run checks each row
    // here; an applied run checks it once, in pass 2, where it is written.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut good: std::collections::HashSet<usize> = Default::default();
    let mut same = 0;
    let mut record = csv::ByteRecord::new();
    let mut line = 1;
    while reader.read_byte_record(&mut record).map_err(|e| AppError::field("file", format!("Regel {} is niet te lezen: {e}", line + 1)))? {
        line += 1;
        let cells: Vec<String> = record.iter().map(|c| text(&format, c)).collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        if let Some((col, v)) = cells.iter().enumerate().find(|(_, v)| nl::looks_like_bsn(v)) {
            let name = headers.get(col).cloned().unwrap_or_default();
            report.refused = Some(format!(
                "Regel {line}, kolom {name:?}: {v:?} lijkt een BSN (negen cijfers die de elfproef doorstaan). Opstap neemt geen BSN over; er is niets ingelezen."
            ));
            report.issues.clear();
            return Ok(report);
        }
        report.rows += 1;
        if report.rows % 10_000 == 0 {
            progress(report.rows);
        }
        let get = |f: &str| cell(&slots, &cells, f);
        let number = get("client_number").map(|(_, v)| v.to_string()).unwrap_or_default();
        if let Some(first) = seen.insert(number.clone(), line).filter(|_| !number.is_empty()) {
            report.issues.push(Issue {
                row: line,
                column: mapping.columns["client_number"].clone(),
                value: number.clone(),
                reason: format!("Dit klantnummer staat ook op regel {first}."),
            });
            continue;
        }
        let known = look.known.get(&number);
        if known.and_then(|id| look.fingerprints.get(id)).is_some_and(|fp| *fp == fingerprint(&get)) {
            report.valid += 1;
            report.known += 1;
            same += 1;
            continue;
        }
        let known = known.is_some();
        if apply {
            good.insert(line);
            continue;
        }
        let row = read_row(line, &get, None, &mut look, today);
        if row.issues.is_empty() {
            report.valid += 1;
            if known {
                report.known += 1;
            } else {
                report.new += 1;
            }
            good.insert(line);
        }
        report.issues.extend(row.issues);
    }
    progress(report.rows);
    if !apply {
        return Ok(report);
    }
    report.unchanged += same;
    // Pass 2: write the rows that are new or changed, in batches of one transaction each.
    let mut reader = open()?;
    let _ = reader.byte_headers();
    let mut batch: Vec<(String, Vec<String>, usize)> = vec![];
    let mut done = 0;
    let flush =
        |conn: &mut DbConnection, batch: &mut Vec<(String, Vec<String>, usize)>, report: &mut ImportReport, look: &mut Lookup| -> AppResult<()> {
            let rows = std::mem::take(batch);
            let collect = crate::db::changes::Collect::begin();
            let (counts, checked) = crate::db::write_transaction(conn, |conn| {
                let mut counts = (0, 0, 0);
                // (valid, new, known, issues) of the rows checked here.
                let mut checked = (0, 0, 0, Vec::<Issue>::new());
                // New people are written together at the end of the batch; known ones one by one.
                let mut new: Vec<NewImport> = vec![];
                let mut new_fingerprints: Vec<(String, String)> = vec![];
                for (number, cells, line) in &rows {
                    let get = |f: &str| cell(&slots, cells, f);
                    let current = match look.known.get(number) {
                        Some(id) => candidate_full(conn, id)?,
                        None => None,
                    };
                    // Checked as the dry run checks it: from the row alone.
                    let first = read_row(*line, &get, None, look, today);
                    if !first.issues.is_empty() {
                        checked.3.extend(first.issues);
                        continue;
                    }
                    // A known person: the row over what Opstap holds now.
                    let row = match current.as_ref() {
                        Some(c) => read_row(*line, &get, Some(CandidateInput::from_current(c)), look, today),
                        None => first,
                    };
                    if !row.issues.is_empty() {
                        checked.3.extend(row.issues);
                        continue;
                    }
                    checked.0 += 1;
                    if current.is_some() {
                        checked.2 += 1;
                    } else {
                        checked.1 += 1;
                    }
                    if current.is_none() {
                        let group = match row.input.client_group_id.as_deref().or(look.default_group.as_deref()) {
                            Some(g) => look.group_rows.get(g).cloned(),
                            None => None,
                        };
                        let group = match group {
                            Some(g) => g,
                            None => crate::service::candidates::client_group_for(conn, municipality, None)?,
                        };
                        let n = import_new(&row.input, municipality, today, &group)?;
                        new_fingerprints.push((n.candidate.id.clone(), fingerprint(&get)));
                        new.push(n);
                        counts.0 += 1;
                        continue;
                    }
                    let (done, id) = import_one(conn, actor, municipality, today, &row.input, current.as_ref())?;
                    match done {
                        Imported::Created => counts.0 += 1,
                        Imported::Changed => counts.1 += 1,
                        Imported::Unchanged => counts.2 += 1,
                    }
                    crate::db::records::set_import_fingerprint(conn, &id, &fingerprint(&get))?;
                }
                write_new_imports(conn, actor, municipality, &new)?;
                crate::db::records::insert_import_fingerprints(conn, &new_fingerprints)?;
                // The change feed gets the batch's candidates as the transaction's last statement.
                collect.finish(conn)?;
                Ok::<_, AppError>((counts, checked))
            })?;
            report.valid += checked.0;
            report.new += checked.1;
            report.known += checked.2;
            report.issues.extend(checked.3);
            report.created += counts.0;
            report.changed += counts.1;
            report.unchanged += counts.2;
            Ok(())
        };
    let mut line = 1;
    while reader.read_byte_record(&mut record).map_err(|e| AppError::field("file", format!("Regel {} is niet te lezen: {e}", line + 1)))? {
        line += 1;
        if !good.contains(&line) {
            continue;
        }
        let cells: Vec<String> = record.iter().map(|c| text(&format, c)).collect();
        let number = cell(&slots, &cells, "client_number").map(|(_, v)| v.to_string()).unwrap_or_default();
        batch.push((number, cells, line));
        if batch.len() == IMPORT_BATCH {
            flush(&mut conn, &mut batch, &mut report, &mut look)?;
            done += IMPORT_BATCH;
            progress(done);
        }
    }
    flush(&mut conn, &mut batch, &mut report, &mut look)?;
    progress(report.valid);
    report.issues.sort_by_key(|i| i.row);
    report.applied = true;
    Ok(report)
}

/// The municipality's recorded runs, newest first.
pub fn runs(conn: &mut DbConnection, municipality: &str, limit: i64) -> AppResult<Vec<crate::db::models::ImportRun>> {
    Ok(import_runs::table
        .filter(import_runs::municipality_id.eq(municipality))
        .order(import_runs::created_at.desc())
        .limit(limit)
        .select(crate::db::models::ImportRun::as_select())
        .load(conn)?)
}

/// One recorded run of the municipality (404 for another's).
pub fn one_run(conn: &mut DbConnection, municipality: &str, id: &str) -> AppResult<crate::db::models::ImportRun> {
    import_runs::table
        .find(id)
        .filter(import_runs::municipality_id.eq(municipality))
        .select(crate::db::models::ImportRun::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// What a beheerder sends to import: the file and, optionally, a mapping (JSON) and the
/// klantmanager for rows that name none.
pub struct UploadInput<'a> {
    pub path: &'a Path,
    pub file_name: &'a str,
    pub mapping: Option<&'a str>,
    pub klantmanager: Option<&'a str>,
    pub apply: bool,
}

/// An import by a beheerder of the municipality (the API and the page): the same run as the
/// command's, recorded with the beheerder's name; each person's audit row says "import".
pub fn upload(
    pool: &crate::db::DbPool,
    rd: &RefData,
    user: &crate::auth::CurrentUser,
    input: &UploadInput,
    today: NaiveDate,
) -> AppResult<ImportReport> {
    user.require(&[Role::Beheerder])?;
    let municipality = user.municipality_id.clone().ok_or(AppError::Forbidden)?;
    let mut mapping = match input.mapping {
        Some(json) => Mapping::parse(json).map_err(|e| AppError::field("mapping", e))?,
        None => Mapping::default(),
    };
    if let Some(km) = input.klantmanager {
        mapping.defaults.insert("klantmanager".into(), km.trim().to_string());
    }
    let actor = Actor { id: Some(user.id.clone()), role: user.role.as_str().into(), organisation_id: None, channel: crate::auth::Channel::Import };
    let source = Source { path: input.path, file_name: input.file_name, user_id: Some(&user.id) };
    run(pool, rd, &municipality, &actor, &source, &mapping, input.apply, today, &|_| {})
}

/// The runs a beheerder of the municipality may see.
pub fn runs_of(conn: &mut DbConnection, user: &crate::auth::CurrentUser) -> AppResult<Vec<crate::db::models::ImportRun>> {
    user.require(&[Role::Beheerder])?;
    runs(conn, user.municipality_id.as_deref().ok_or(AppError::Forbidden)?, 20)
}

/// One run's report (CSV) for a beheerder of its municipality.
pub fn run_of(conn: &mut DbConnection, user: &crate::auth::CurrentUser, id: &str) -> AppResult<crate::db::models::ImportRun> {
    user.require(&[Role::Beheerder])?;
    one_run(conn, user.municipality_id.as_deref().ok_or(AppError::Forbidden)?, id)
}

/// A recorded run as the API and the page show it (the report itself is its own download).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportRunView {
    pub id: String,
    pub file_name: String,
    pub applied: bool,
    pub rows: i32,
    pub valid: i32,
    pub created: i32,
    pub changed: i32,
    pub unchanged: i32,
    pub refused: Option<String>,
    /// Rows not taken (lines of the report).
    pub issues: usize,
    pub created_at: chrono::NaiveDateTime,
}

impl From<crate::db::models::ImportRun> for ImportRunView {
    fn from(r: crate::db::models::ImportRun) -> Self {
        ImportRunView {
            issues: r.issues_csv.lines().count().saturating_sub(1),
            id: r.id,
            file_name: r.file_name,
            applied: r.applied,
            rows: r.rows_read,
            valid: r.valid,
            created: r.created,
            changed: r.changed,
            unchanged: r.unchanged,
            refused: r.refused,
            created_at: r.created_at,
        }
    }
}
