//! Candidates: the caseload of klantmanagers, as the API and the pages share it. Personal data;
//! every access is authorised here for the role and the candidate, and written to the audit log:
//! - klantmanager: reads candidates of its own municipality, changes only its own caseload;
//! - beheerder: reads candidates of its municipality, without health data;
//! - kandidaat: only itself, without the klantmanager-only fields;
//! - werkgever: never (403).
//!
//! Another municipality's candidate answers 404, so its existence is not revealed.

use super::Ctx;
use crate::auth::CurrentUser;
use crate::db::models::{Candidate, CandidateOccupation, CandidateSkill, LadderMeasurement, User};
use crate::db::queries::{candidate_full, candidates_full, CandidateFull};
use crate::db::{new_id, now, schema::*, DbConnection};
use crate::domain::{self, language, one_of, FieldError, Role};
use crate::error::{AppError, AppResult};
use crate::refdata::RefData;
use crate::service::validate_with;
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Clone, Deserialize, Serialize, Validate, ToSchema)]
pub struct OccupationInput {
    pub occupation_id: String,
    /// geen | beginner | ervaren | zeer_ervaren
    #[serde(default = "default_experience")]
    pub experience: String,
}
fn default_experience() -> String {
    "beginner".into()
}

#[derive(Debug, Clone, Deserialize, Serialize, Validate, ToSchema)]
pub struct SkillInput {
    /// ESCO skill id; or give free_text
    pub skill_id: Option<String>,
    #[validate(length(min = 1, max = 200, message = "Hoogstens 200 tekens."))]
    pub free_text: Option<String>,
    /// basis | gevorderd | expert
    #[serde(default = "default_level")]
    pub level: String,
}
fn default_level() -> String {
    "basis".into()
}
fn default_status() -> String {
    crate::domain::ACTIEF.into()
}
fn default_education() -> String {
    "geen".into()
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct CandidateInput {
    #[validate(length(min = 1, max = 100, message = "Vul de voornaam in."))]
    pub first_name: String,
    #[validate(length(min = 1, max = 100, message = "Vul de achternaam in."))]
    pub last_name: String,
    #[validate(email(message = "Dit is geen geldig e-mailadres."), length(max = 254, message = "Hoogstens 254 tekens."))]
    pub email: Option<String>,
    #[validate(length(max = 40, message = "Hoogstens 40 tekens."))]
    pub phone: Option<String>,
    pub birth_date: NaiveDate,
    pub pc4: String,
    /// Defaults to the klantmanager who creates the candidate.
    pub klantmanager_id: Option<String>,
    #[serde(default = "default_education")]
    pub education_level: String,
    #[serde(default)]
    pub startkwalificatie: bool,
    /// 1F/2F/3F/4F or A1..C2
    pub language_level: Option<String>,
    #[validate(range(min = 0, max = 60, message = "Uren per week liggen tussen 0 en 60."))]
    pub hours_min: i32,
    #[validate(range(min = 1, max = 60, message = "Uren per week liggen tussen 1 en 60."))]
    pub hours_max: i32,
    #[validate(range(min = 0, max = 200, message = "Reisafstand ligt tussen 0 en 200 km."))]
    pub max_travel_km: i32,
    #[serde(default)]
    pub driving_licence: bool,
    #[serde(default)]
    pub own_transport: bool,
    /// Loonwaarde in % of the WML (0..100), with its measurement date; or none.
    #[validate(range(min = 0, max = 100, message = "Loonwaarde ligt tussen 0 en 100%."))]
    pub loonwaarde: Option<i32>,
    pub loonwaarde_date: Option<NaiveDate>,
    #[serde(default)]
    pub doelgroepregister: bool,
    #[serde(default)]
    pub beschut_werk_indicatie: bool,
    #[serde(default)]
    pub lks_target_group: bool,
    #[serde(default)]
    pub needs_job_coach: bool,
    #[serde(default)]
    pub statushouder: bool,
    /// Klantmanager-only (health data, UAVG art. 30)
    #[validate(length(max = 5000, message = "Hoogstens 5000 tekens."))]
    #[serde(default)]
    pub work_capacity_limits: String,
    /// Klantmanager-only
    #[validate(length(max = 5000, message = "Hoogstens 5000 tekens."))]
    #[serde(default)]
    pub support_needs: String,
    /// ZRM domain -> score 1..5 (klantmanager-only)
    #[serde(default)]
    pub zrm_scores: BTreeMap<String, i32>,
    #[serde(default)]
    pub sector_preferences: Vec<String>,
    pub available_from: Option<NaiveDate>,
    #[serde(default)]
    pub consent_matching: bool,
    #[serde(default)]
    pub consent_anonymous_profile: bool,
    #[serde(default)]
    pub consent_email: bool,
    /// actief | uitgestroomd
    #[serde(default = "default_status")]
    pub status: String,
    pub outflow_reason: Option<String>,
    pub outflow_date: Option<NaiveDate>,
    #[validate(nested)]
    #[serde(default)]
    pub occupations: Vec<OccupationInput>,
    #[validate(nested)]
    #[serde(default)]
    pub skills: Vec<SkillInput>,
    /// On create only: the first ladder measurement (today, by you).
    pub ladder_step: Option<i32>,
    /// The date of that first measurement (default today; a caseload import brings its own).
    #[serde(default)]
    pub ladder_date: Option<NaiveDate>,
    /// For updates: the version you read; a stale version gets 409.
    pub version: Option<i32>,
    /// The person's number in the municipality's client system (never a BSN); unique in the
    /// municipality. On update, left out = unchanged.
    #[validate(length(max = 40, message = "Hoogstens 40 tekens."))]
    pub client_number: Option<String>,
    /// participatiewet | ioaw | ioaz | anw | nug (no benefit)
    #[serde(default)]
    pub benefit_type: domain::BenefitType,
    /// Registered with the municipality on (instroom); default today. On update, left out =
    /// unchanged.
    pub registration_date: Option<NaiveDate>,
    /// The klantgroep (an id of the municipality's groups); on create left out = the default
    /// group, on update left out = unchanged.
    #[serde(default)]
    pub client_group_id: Option<String>,
    /// How the person came into the doelgroepregister (only with `doelgroepregister`).
    #[serde(default)]
    pub doelgroepregister_route: Option<domain::klantgroep::DoelgroepRoute>,
    #[serde(default)]
    pub doelgroepregister_date: Option<NaiveDate>,
    /// The kinds of work the person wants (empty: no wish); left out = unchanged.
    #[serde(default)]
    pub kind_preferences: Option<Vec<domain::PlacementKind>>,
    /// The days the person can work: ma, di, wo, do, vr, za, zo; left out = unchanged.
    #[serde(default)]
    pub days_available: Option<Vec<String>>,
}

/// What an update keeps when its input leaves a field out.
pub struct Kept {
    pub client_number: Option<String>,
    pub registration_date: NaiveDate,
    pub client_group_id: String,
    /// The person's own wishes: kept unless the input names them.
    pub kind_preferences: String,
    pub days_available: String,
    pub wishes_changed_at: Option<chrono::NaiveDateTime>,
}

impl Kept {
    /// For a new person: no wishes yet.
    pub fn new(client_number: Option<String>, registration_date: NaiveDate, client_group_id: String) -> Kept {
        Kept {
            client_number,
            registration_date,
            client_group_id,
            kind_preferences: "[]".into(),
            days_available: "[]".into(),
            wishes_changed_at: None,
        }
    }

    /// For an update of `cur`: its wishes stay.
    pub fn of(cur: &Candidate, client_group_id: String) -> Kept {
        Kept {
            client_number: cur.client_number.clone(),
            registration_date: cur.registration_date,
            client_group_id,
            kind_preferences: cur.kind_preferences.clone(),
            days_available: cur.days_available.clone(),
            wishes_changed_at: cur.wishes_changed_at,
        }
    }
}

impl CandidateInput {
    pub fn check(&self, rd: &RefData, today: NaiveDate) -> Vec<FieldError> {
        let mut errs = domain::hours_range_errors(self.hours_min, self.hours_max);
        if let Some(e) = rd.check_pc4("pc4", self.pc4.trim()) {
            errs.push(e);
        }
        errs.extend(domain::check_date_ranges([
            ("available_from", self.available_from),
            ("loonwaarde_date", self.loonwaarde_date),
            ("outflow_date", self.outflow_date),
        ]));
        if let Some(e) = domain::check_date_range("birth_date", self.birth_date) {
            errs.push(e);
        } else if self.birth_date > today {
            errs.push(FieldError::new("birth_date", "De geboortedatum ligt in de toekomst."));
        } else {
            let age = domain::age_on(self.birth_date, today);
            if !(15..=80).contains(&age) {
                errs.push(FieldError::new("birth_date", "De leeftijd moet tussen 15 en 80 jaar liggen."));
            }
        }
        if let Some(e) = one_of("education_level", &self.education_level, domain::EDUCATION_LEVELS) {
            errs.push(e);
        }
        if let Some(l) = &self.language_level {
            if language::rank(l).is_none() {
                errs.push(FieldError::new("language_level", "Kies een taalniveau: 1F, 2F, 3F, 4F of A1 t/m C2."));
            }
        }
        match (self.loonwaarde, self.loonwaarde_date) {
            (Some(_), None) => errs.push(FieldError::new("loonwaarde_date", "Geef de datum van de loonwaardemeting op.")),
            (None, Some(_)) => errs.push(FieldError::new("loonwaarde", "Geef de gemeten loonwaarde op, of laat de datum leeg.")),
            (Some(_), Some(d)) if d > today => errs.push(FieldError::new("loonwaarde_date", "De meetdatum ligt in de toekomst.")),
            _ => {}
        }
        errs.extend(domain::validate_zrm(&self.zrm_scores));
        errs.extend(domain::check_text_list("sector_preferences", &self.sector_preferences, 20, 100));
        if let Some(days) = &self.days_available {
            if days.iter().any(|d| !domain::DAYS.iter().any(|(c, _)| c == d)) {
                errs.push(FieldError::new("days_available", "Kies dagen uit ma, di, wo, do, vr, za, zo."));
            }
        }
        if let Some(e) = one_of("status", &self.status, domain::CANDIDATE_STATUSES) {
            errs.push(e);
        }
        if self.status == crate::domain::UITGESTROOMD {
            match &self.outflow_reason {
                None => errs.push(FieldError::new("outflow_reason", "Geef de reden van uitstroom op.")),
                Some(r) => {
                    if let Some(e) = one_of("outflow_reason", r, domain::OUTFLOW_REASONS) {
                        errs.push(e);
                    }
                }
            }
        } else if self.outflow_reason.is_some() {
            errs.push(FieldError::new("outflow_reason", "Alleen bij de status 'uitgestroomd'."));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, o) in self.occupations.iter().enumerate() {
            if rd.has_esco() && rd.occupation(&o.occupation_id).is_none() {
                errs.push(FieldError::new(format!("occupations[{i}].occupation_id"), "Onbekend ESCO-beroep."));
            }
            if !seen.insert(&o.occupation_id) {
                errs.push(FieldError::new(format!("occupations[{i}].occupation_id"), "Dit beroep staat er al."));
            }
            if let Some(e) = one_of(&format!("occupations[{i}].experience"), &o.experience, domain::EXPERIENCE_LEVELS) {
                errs.push(e);
            }
        }
        for (i, s) in self.skills.iter().enumerate() {
            match (&s.skill_id, &s.free_text) {
                (None, None) => errs.push(FieldError::new(format!("skills[{i}]"), "Kies een ESCO-vaardigheid of typ een omschrijving.")),
                (Some(id), _) if rd.has_esco() && rd.skill(id).is_none() => {
                    errs.push(FieldError::new(format!("skills[{i}].skill_id"), "Onbekende ESCO-vaardigheid."))
                }
                _ => {}
            }
            if let Some(e) = one_of(&format!("skills[{i}].level"), &s.level, domain::SKILL_LEVELS) {
                errs.push(e);
            }
        }
        if let Some(s) = self.ladder_step {
            if !domain::ladder::is_valid_step(s) {
                errs.push(FieldError::new("ladder_step", "Een trede van de participatieladder ligt tussen 1 en 6."));
            }
        }
        match (self.ladder_step, self.ladder_date) {
            (None, Some(_)) => errs.push(FieldError::new("ladder_date", "Alleen met een trede (ladder_step).")),
            (Some(_), Some(d)) if d > today => errs.push(FieldError::new("ladder_date", "De datum van de meting ligt in de toekomst.")),
            _ => {}
        }
        if let Some(n) = &self.client_number {
            if domain::nl::looks_like_bsn(n) {
                errs.push(FieldError::new(
                    "client_number",
                    "Dit lijkt een BSN. Opstap bewaart geen BSN: gebruik het klantnummer uit uw cliëntsysteem.",
                ));
            }
        }
        errs.extend(domain::klantgroep::check_registration(
            self.doelgroepregister,
            self.beschut_werk_indicatie,
            self.doelgroepregister_route,
            self.doelgroepregister_date,
            today,
        ));
        if let Some(d) = self.registration_date {
            if d > today {
                errs.push(FieldError::new("registration_date", "De datum van aanmelding kan niet in de toekomst liggen."));
            } else if d < self.birth_date {
                errs.push(FieldError::new("registration_date", "De datum van aanmelding ligt vóór de geboortedatum."));
            }
        }
        errs
    }

    /// The input that writes the record as it is (an import then changes only its own columns).
    pub fn from_current(c: &CandidateFull) -> CandidateInput {
        let ca = &c.candidate;
        CandidateInput {
            first_name: ca.first_name.clone(),
            last_name: ca.last_name.clone(),
            email: ca.email.clone(),
            phone: ca.phone.clone(),
            birth_date: ca.birth_date,
            pc4: ca.pc4.clone(),
            klantmanager_id: Some(ca.klantmanager_id.clone()),
            education_level: ca.education_level.clone(),
            startkwalificatie: ca.startkwalificatie,
            language_level: ca.language_level.clone(),
            hours_min: ca.hours_min,
            hours_max: ca.hours_max,
            max_travel_km: ca.max_travel_km,
            driving_licence: ca.driving_licence,
            own_transport: ca.own_transport,
            loonwaarde: ca.loonwaarde,
            loonwaarde_date: ca.loonwaarde_date,
            doelgroepregister: ca.doelgroepregister,
            beschut_werk_indicatie: ca.beschut_werk_indicatie,
            lks_target_group: ca.lks_target_group,
            needs_job_coach: ca.needs_job_coach,
            statushouder: ca.statushouder,
            work_capacity_limits: ca.work_capacity_limits.clone(),
            support_needs: ca.support_needs.clone(),
            zrm_scores: serde_json::from_str(&ca.zrm_scores).unwrap_or_default(),
            sector_preferences: serde_json::from_str(&ca.sector_preferences).unwrap_or_default(),
            available_from: ca.available_from,
            consent_matching: ca.consent_matching,
            consent_anonymous_profile: ca.consent_anonymous_profile,
            consent_email: ca.consent_email,
            status: ca.status.as_str().into(),
            outflow_reason: ca.outflow_reason.clone(),
            outflow_date: ca.outflow_date,
            occupations: c
                .occupations
                .iter()
                .map(|o| OccupationInput { occupation_id: o.occupation_id.clone(), experience: o.experience.clone() })
                .collect(),
            skills: c
                .skills
                .iter()
                .map(|s| SkillInput { skill_id: s.skill_id.clone(), free_text: s.free_text.clone(), level: s.level.clone() })
                .collect(),
            ladder_step: None,
            ladder_date: None,
            version: Some(ca.version),
            client_number: ca.client_number.clone(),
            benefit_type: ca.benefit_type,
            registration_date: Some(ca.registration_date),
            client_group_id: ca.client_group_id.clone(),
            doelgroepregister_route: ca.doelgroepregister_route,
            doelgroepregister_date: ca.doelgroepregister_date,
            kind_preferences: serde_json::from_str(&ca.kind_preferences).ok(),
            days_available: serde_json::from_str(&ca.days_available).ok(),
        }
    }

    /// The row as this input writes it; `kept` is what an update leaves as it was when the input
    /// leaves it out (client number, registration date, klantgroep).
    fn to_row(
        &self,
        id: String,
        municipality_id: String,
        klantmanager_id: String,
        version: i32,
        created: chrono::NaiveDateTime,
        kept: Kept,
    ) -> Candidate {
        let t = now();
        Candidate {
            id,
            municipality_id,
            klantmanager_id,
            first_name: self.first_name.trim().into(),
            last_name: self.last_name.trim().into(),
            email: self.email.as_ref().map(|e| e.trim().to_string()).filter(|e| !e.is_empty()),
            phone: self.phone.as_ref().map(|e| e.trim().to_string()).filter(|e| !e.is_empty()),
            birth_date: self.birth_date,
            pc4: self.pc4.trim().into(),
            education_level: self.education_level.clone(),
            startkwalificatie: self.startkwalificatie,
            language_level: self.language_level.as_deref().and_then(language::normalise),
            hours_min: self.hours_min,
            hours_max: self.hours_max,
            max_travel_km: self.max_travel_km,
            driving_licence: self.driving_licence,
            own_transport: self.own_transport,
            loonwaarde: self.loonwaarde,
            loonwaarde_date: self.loonwaarde_date,
            doelgroepregister: self.doelgroepregister,
            beschut_werk_indicatie: self.beschut_werk_indicatie,
            lks_target_group: self.lks_target_group,
            needs_job_coach: self.needs_job_coach,
            statushouder: self.statushouder,
            work_capacity_limits: self.work_capacity_limits.clone(),
            support_needs: self.support_needs.clone(),
            zrm_scores: serde_json::to_string(&self.zrm_scores).unwrap_or_else(|_| "{}".into()),
            sector_preferences: serde_json::to_string(&self.sector_preferences).unwrap_or_else(|_| "[]".into()),
            available_from: self.available_from,
            consent_matching: self.consent_matching,
            consent_anonymous_profile: self.consent_anonymous_profile,
            consent_email: self.consent_email,
            // `check` admits only the stored values.
            status: self.status.parse().unwrap_or(crate::domain::CandidateStatus::Actief),
            outflow_reason: self.outflow_reason.clone(),
            outflow_date: if self.status == crate::domain::UITGESTROOMD { self.outflow_date.or(Some(crate::clock::local_date(t))) } else { None },
            version,
            created_at: created,
            updated_at: t,
            client_number: self.client_number.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(String::from).or(kept.client_number),
            benefit_type: self.benefit_type,
            registration_date: self.registration_date.unwrap_or(kept.registration_date),
            client_group_id: Some(self.client_group_id.clone().unwrap_or(kept.client_group_id)),
            doelgroepregister_route: self.doelgroepregister_route.filter(|_| self.doelgroepregister),
            doelgroepregister_date: self.doelgroepregister_date.filter(|_| self.doelgroepregister),
            kind_preferences: self
                .kind_preferences
                .as_ref()
                .map(|k| serde_json::to_string(k).unwrap_or_else(|_| "[]".into()))
                .unwrap_or(kept.kind_preferences),
            days_available: self
                .days_available
                .as_ref()
                .map(|d| serde_json::to_string(d).unwrap_or_else(|_| "[]".into()))
                .unwrap_or(kept.days_available),
            wishes_changed_at: kept.wishes_changed_at,
        }
    }

    fn child_rows(&self, cid: &str) -> (Vec<CandidateOccupation>, Vec<CandidateSkill>) {
        let occ = self
            .occupations
            .iter()
            .map(|o| CandidateOccupation { candidate_id: cid.into(), occupation_id: o.occupation_id.clone(), experience: o.experience.clone() })
            .collect();
        let sk = self
            .skills
            .iter()
            .map(|s| CandidateSkill {
                id: new_id(),
                candidate_id: cid.into(),
                skill_id: s.skill_id.clone(),
                free_text: s.free_text.as_ref().map(|t| t.trim().to_string()),
                level: s.level.clone(),
            })
            .collect();
        (occ, sk)
    }
}

pub fn write_children(conn: &mut DbConnection, cid: &str, occ: &[CandidateOccupation], sk: &[CandidateSkill]) -> QueryResult<()> {
    diesel::delete(candidate_occupations::table.filter(candidate_occupations::candidate_id.eq(cid))).execute(conn)?;
    diesel::delete(candidate_skills::table.filter(candidate_skills::candidate_id.eq(cid))).execute(conn)?;
    if !occ.is_empty() {
        crate::insert_all!(conn, candidate_occupations::table, occ)?;
    }
    if !sk.is_empty() {
        crate::insert_all!(conn, candidate_skills::table, sk)?;
    }
    Ok(())
}

/// What a user may do with one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// Loads a candidate row after checking the user may access it, and writes the access to the
/// audit log (`what` names the data). The role check comes first (403); then a candidate outside
/// the user's reach is 404, like one that does not exist. Every endpoint that touches a
/// candidate's personal data goes through here, so no access escapes the log.
pub fn authorize(conn: &mut DbConnection, user: &CurrentUser, id: &str, access: Access, what: &str) -> AppResult<Candidate> {
    let c = authorize_only(conn, user, id, access)?;
    crate::audit::one(conn, &crate::audit::Actor::from(user), &c.id, &c.municipality_id, audit_access(user, access).with_what(what))?;
    Ok(c)
}

/// How an authorised access is described in the audit log: an update or a view, and its purpose
/// by role (the candidate's own data, the municipality's administration, or guidance).
pub fn audit_access(user: &CurrentUser, access: Access) -> crate::audit::Access<'static> {
    let (act, purpose) = match (access, user.role) {
        (_, Role::Kandidaat) => (crate::audit::Act::View, crate::audit::purpose::EIGEN_GEGEVENS),
        (Access::Read, Role::Beheerder) => (crate::audit::Act::View, crate::audit::purpose::BEHEER),
        (Access::Read, _) => (crate::audit::Act::View, crate::audit::purpose::BEGELEIDING),
        (Access::Write, _) => (crate::audit::Act::Update, crate::audit::purpose::BEGELEIDING),
    };
    crate::audit::access(act, "", purpose)
}

pub fn authorize_only(conn: &mut DbConnection, user: &CurrentUser, id: &str, access: Access) -> AppResult<Candidate> {
    match (user.role, access) {
        (Role::Werkgever, _) => return Err(AppError::Forbidden),
        (Role::Kandidaat, Access::Write) => return Err(AppError::Forbidden),
        _ => {}
    }
    // On every access to a candidate: the backend's own connection (see `db::native`).
    let c: Option<Candidate> = crate::native!(conn, c => candidates::table.find(id).select(Candidate::as_select()).first(c).optional())?;
    let c = c.ok_or(AppError::NotFound)?;
    match user.role {
        Role::Kandidaat => {
            if user.candidate_id.as_deref() != Some(c.id.as_str()) {
                return Err(AppError::NotFound);
            }
        }
        Role::Klantmanager | Role::Beheerder => {
            if user.municipality_id.as_deref() != Some(c.municipality_id.as_str()) {
                return Err(AppError::NotFound);
            }
            if access == Access::Write && (user.role == Role::Beheerder || c.klantmanager_id != user.id) {
                return Err(AppError::Forbidden);
            }
        }
        Role::Werkgever => unreachable!("rejected above"),
    }
    Ok(c)
}

fn check_klantmanager(conn: &mut DbConnection, municipality: &str, km: &str) -> AppResult<()> {
    let u: Option<User> = users::table.find(km).select(User::as_select()).first(conn).optional()?;
    match u {
        Some(u) if u.role == Role::Klantmanager && u.active && u.municipality_id.as_deref() == Some(municipality) => Ok(()),
        _ => Err(AppError::field("klantmanager_id", "Kies een klantmanager van uw gemeente.")),
    }
}

/// Which candidates a list asks for.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// Only this klantmanager's caseload.
    pub klantmanager_id: Option<String>,
    pub status: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// The candidates of the user's municipality (staff only), by name, with the total; the access
/// is written to the audit log for every candidate shown.
pub fn list(conn: &mut DbConnection, ctx: &Ctx, f: &ListFilter) -> AppResult<(i64, Vec<CandidateFull>)> {
    let user = ctx.user;
    user.require(&[Role::Klantmanager, Role::Beheerder])?;
    let m = user.municipality()?.to_string();
    let build = || {
        let mut b = candidates::table.filter(candidates::municipality_id.eq(m.clone())).into_boxed();
        if let Some(k) = &f.klantmanager_id {
            b = b.filter(candidates::klantmanager_id.eq(k.clone()));
        }
        if let Some(s) = &f.status {
            b = b.filter(candidates::status.eq(s.clone()));
        }
        b
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows = build()
        .order((candidates::last_name, candidates::first_name, candidates::id))
        .limit(f.limit)
        .offset(f.offset)
        .select(Candidate::as_select())
        .load(conn)?;
    let subjects: Vec<(&str, Option<&str>)> = rows.iter().map(|c| (c.id.as_str(), Some(c.municipality_id.as_str()))).collect();
    let purpose = if user.role == Role::Beheerder { crate::audit::purpose::BEHEER } else { crate::audit::purpose::BEGELEIDING };
    crate::audit::record(
        conn,
        &crate::audit::Actor::from(user),
        &subjects,
        crate::audit::access(crate::audit::Act::View, "profiel (lijst)", purpose),
    )?;
    Ok((total, candidates_full(conn, rows)?))
}

/// One candidate with occupations, skills and ladder, after the access check (audited).
pub fn get(conn: &mut DbConnection, ctx: &Ctx, id: &str) -> AppResult<CandidateFull> {
    authorize(conn, ctx.user, id, Access::Read, "profiel")?;
    crate::db::queries::candidate_full(conn, id)?.ok_or(AppError::NotFound)
}

/// One candidate for its edit form: write access checked and audited.
pub fn for_edit(conn: &mut DbConnection, ctx: &Ctx, id: &str) -> AppResult<CandidateFull> {
    authorize(conn, ctx.user, id, Access::Write, "profiel (bewerken)")?;
    crate::db::queries::candidate_full(conn, id)?.ok_or(AppError::NotFound)
}

/// The klantgroep a record goes into: the one asked for (of the municipality), else the default.
pub fn client_group_for(conn: &mut DbConnection, municipality: &str, wanted: Option<&str>) -> AppResult<crate::db::models::ClientGroup> {
    match wanted.map(str::trim).filter(|w| !w.is_empty()) {
        Some(id) => crate::db::client_groups::one(conn, municipality, id)?
            .ok_or_else(|| AppError::field("client_group_id", "Onbekende klantgroep: kies een klantgroep van uw gemeente.")),
        None => Ok(crate::db::client_groups::default_for(conn, municipality)?),
    }
}

/// A client number is one person's in the municipality (the key of a caseload import).
fn check_client_number(conn: &mut DbConnection, municipality: &str, own: Option<&str>, number: Option<&str>) -> AppResult<()> {
    let Some(n) = number.map(str::trim).filter(|n| !n.is_empty()) else { return Ok(()) };
    let other: Option<String> = candidates::table
        .filter(candidates::municipality_id.eq(municipality))
        .filter(candidates::client_number.eq(n))
        .filter(candidates::id.ne(own.unwrap_or("")))
        .select(candidates::id)
        .first(conn)
        .optional()?;
    match other {
        Some(_) => Err(AppError::conflict_on(
            crate::error::ConflictCode::AlreadyExists,
            "client_number",
            "Dit klantnummer hoort al bij een andere kandidaat van uw gemeente.",
        )),
        None => Ok(()),
    }
}

/// Registers a candidate in the klantmanager's municipality; returns the id.
pub fn create(conn: &mut DbConnection, ctx: &Ctx, input: &CandidateInput) -> AppResult<String> {
    let user = ctx.user;
    user.require(&[Role::Klantmanager])?;
    let m = user.municipality()?.to_string();
    let km = input.klantmanager_id.clone().unwrap_or_else(|| user.id.clone());
    insert_new(conn, ctx, input, m, km)
}

/// What a self-registration brings into a new candidate (see `service::aanmelden`).
pub struct NewFromRegistration {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub birth_date: NaiveDate,
    pub pc4: String,
    pub education_level: String,
    pub benefit_type: domain::BenefitType,
    pub hours_min: i32,
    pub hours_max: i32,
    pub consent_matching: bool,
    pub consent_anonymous_profile: bool,
    pub consent_email: bool,
    pub registration_date: NaiveDate,
}

/// A beheerder makes the candidate of a self-registration, in klantmanager `km`'s caseload, by
/// the same rules as any new candidate (the klantmanager completes the profile at the intake).
pub fn create_from_registration(
    conn: &mut DbConnection,
    ctx: &Ctx,
    m: &str,
    km: &str,
    group: Option<&str>,
    r: NewFromRegistration,
) -> AppResult<Candidate> {
    ctx.user.require(&[Role::Beheerder])?;
    let v = serde_json::json!({
        "first_name": r.first_name, "last_name": r.last_name, "email": r.email, "phone": r.phone,
        "birth_date": r.birth_date, "pc4": r.pc4, "education_level": r.education_level,
        "benefit_type": r.benefit_type, "hours_min": r.hours_min, "hours_max": r.hours_max,
        // Until the intake: the distance most people can travel by bike or bus.
        "max_travel_km": 10,
        "consent_matching": r.consent_matching, "consent_anonymous_profile": r.consent_anonymous_profile,
        "consent_email": r.consent_email, "registration_date": r.registration_date, "client_group_id": group,
    });
    let input: CandidateInput = serde_json::from_value(v).map_err(|e| AppError::Internal(anyhow::anyhow!("registration to candidate: {e}")))?;
    let id = insert_new(conn, ctx, &input, m.to_string(), km.to_string())?;
    candidates::table.find(&id).select(Candidate::as_select()).first(conn).map_err(AppError::from)
}

fn insert_new(conn: &mut DbConnection, ctx: &Ctx, input: &CandidateInput, m: String, km: String) -> AppResult<String> {
    let user = ctx.user;
    validate_with(input, input.check(ctx.refdata, ctx.today))?;
    let cid = new_id();
    check_klantmanager(conn, &m, &km)?;
    let t = now();
    check_client_number(conn, &m, None, input.client_number.as_deref())?;
    let group = client_group_for(conn, &m, input.client_group_id.as_deref())?;
    let kept = Kept::new(None, ctx.today, group.id.clone());
    let row = input.to_row(cid.clone(), m, km, 1, t, kept);
    diesel::insert_into(candidates::table).values(&row).execute(conn)?;
    let (occ, sk) = input.child_rows(&cid);
    write_children(conn, &cid, &occ, &sk)?;
    crate::audit::one(
        conn,
        &crate::audit::Actor::from(user),
        &cid,
        &row.municipality_id,
        crate::audit::access(crate::audit::Act::Create, "profiel", crate::audit::purpose::BEGELEIDING),
    )?;
    if let Some(step) = input.ladder_step {
        let lm = LadderMeasurement {
            id: new_id(),
            candidate_id: cid.clone(),
            measured_on: input.ladder_date.unwrap_or(ctx.today),
            step,
            target_step: group.default_target_step,
            measured_by: Some(user.id.clone()),
            note: "Eerste meting bij aanmelding".into(),
            created_at: t,
        };
        crate::db::records::insert_ladder(conn, &lm)?;
    }
    crate::db::changes::record(conn, crate::db::changes::Entity::Candidate, &cid)?;
    Ok(cid)
}

/// Updates a candidate of the user's own caseload; a stale `version` is a conflict.
pub fn update(conn: &mut DbConnection, ctx: &Ctx, id: &str, input: &CandidateInput) -> AppResult<()> {
    crate::db::lock_row(conn, "candidates", id)?;
    let cur = authorize(conn, ctx.user, id, Access::Write, "profiel")?;
    validate_with(input, input.check(ctx.refdata, ctx.today))?;
    if input.ladder_step.is_some() {
        return Err(AppError::field("ladder_step", "Leg een nieuwe trede vast als laddermeting (/ladder-measurements)."));
    }
    if let Some(v) = input.version {
        if v != cur.version {
            return Err(AppError::conflict(
                crate::error::ConflictCode::StaleVersion,
                format!("Dit profiel is intussen gewijzigd (versie {} in plaats van {v}). Laad het opnieuw.", cur.version),
            ));
        }
    }
    let km = input.klantmanager_id.clone().unwrap_or_else(|| cur.klantmanager_id.clone());
    if km != cur.klantmanager_id {
        check_klantmanager(conn, &cur.municipality_id, &km)?;
    }
    check_client_number(conn, &cur.municipality_id, Some(id), input.client_number.as_deref())?;
    let group = match (&input.client_group_id, &cur.client_group_id) {
        (None, Some(g)) => g.clone(),
        (wanted, _) => client_group_for(conn, &cur.municipality_id, wanted.as_deref())?.id,
    };
    let kept = Kept::of(&cur, group);
    let row = input.to_row(id.to_string(), cur.municipality_id.clone(), km, cur.version + 1, cur.created_at, kept);
    let n = diesel::update(candidates::table.find(id).filter(candidates::version.eq(cur.version))).set(&row).execute(conn)?;
    if n == 0 {
        return Err(AppError::conflict(crate::error::ConflictCode::StaleVersion, "Dit profiel is intussen gewijzigd. Laad het opnieuw."));
    }
    let (occ, sk) = input.child_rows(id);
    write_children(conn, id, &occ, &sk)?;
    crate::db::changes::record(conn, crate::db::changes::Entity::Candidate, id)?;
    Ok(())
}

/// What one row of a caseload import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    Created,
    Changed,
    Unchanged,
}

/// Writes one checked row of a caseload import: a person not known by the client number is
/// created, a known one updated only when something differs (version + 1, one audit row). The
/// access log says the import did it (channel "import").
pub fn import_one(
    conn: &mut DbConnection,
    actor: &crate::audit::Actor,
    municipality: &str,
    today: NaiveDate,
    input: &CandidateInput,
    current: Option<&CandidateFull>,
) -> AppResult<(Imported, String)> {
    let km = input.klantmanager_id.clone().ok_or_else(|| AppError::field("klantmanager", "Geen klantmanager."))?;
    let t = now();
    let audit = |conn: &mut DbConnection, id: &str, act| {
        crate::audit::one(conn, actor, id, municipality, crate::audit::access(act, "profiel (import)", crate::audit::purpose::BEGELEIDING))
    };
    let Some(cur) = current else {
        let group = client_group_for(conn, municipality, input.client_group_id.as_deref())?;
        let new = import_new(input, municipality, today, &group)?;
        let cid = new.candidate.id.clone();
        write_new_imports(conn, actor, municipality, &[new])?;
        return Ok((Imported::Created, cid));
    };
    let c = &cur.candidate;
    let group = match &c.client_group_id {
        Some(g) => g.clone(),
        None => crate::db::client_groups::default_for(conn, municipality)?.id,
    };
    let kept = Kept::of(c, group);
    let mut next = input.to_row(c.id.clone(), c.municipality_id.clone(), km, c.version, c.created_at, kept);
    next.updated_at = c.updated_at;
    let children = |occ: &[CandidateOccupation], sk: &[CandidateSkill]| {
        let mut o: Vec<(String, String)> = occ.iter().map(|o| (o.occupation_id.clone(), o.experience.clone())).collect();
        let mut s: Vec<(Option<String>, Option<String>, String)> =
            sk.iter().map(|s| (s.skill_id.clone(), s.free_text.clone(), s.level.clone())).collect();
        o.sort();
        s.sort();
        (o, s)
    };
    let (occ, sk) = input.child_rows(&c.id);
    if next == *c && children(&occ, &sk) == children(&cur.occupations, &cur.skills) {
        return Ok((Imported::Unchanged, c.id.clone()));
    }
    next.version = c.version + 1;
    next.updated_at = t;
    let n = diesel::update(candidates::table.find(&c.id).filter(candidates::version.eq(c.version))).set(&next).execute(conn)?;
    if n == 0 {
        return Err(AppError::conflict(crate::error::ConflictCode::StaleVersion, "Dit profiel is intussen gewijzigd."));
    }
    write_children(conn, &c.id, &occ, &sk)?;
    audit(conn, &c.id, crate::audit::Act::Update)?;
    crate::db::changes::record(conn, crate::db::changes::Entity::Candidate, &c.id)?;
    Ok((Imported::Changed, c.id.clone()))
}

/// A new person from a caseload import as the rows it is written as: the import writes a batch
/// of them with one statement per table (`write_new_imports`), as `import_one` would one by one.
pub struct NewImport {
    pub candidate: Candidate,
    pub occupations: Vec<CandidateOccupation>,
    pub skills: Vec<CandidateSkill>,
    pub ladder: Option<LadderMeasurement>,
}

/// The rows of a new imported person in `group` (checked input; nothing is written).
pub fn import_new(input: &CandidateInput, municipality: &str, today: NaiveDate, group: &crate::db::models::ClientGroup) -> AppResult<NewImport> {
    let km = input.klantmanager_id.clone().ok_or_else(|| AppError::field("klantmanager", "Geen klantmanager."))?;
    let (cid, t) = (new_id(), now());
    let kept = Kept::new(None, today, group.id.clone());
    let candidate = input.to_row(cid.clone(), municipality.into(), km, 1, t, kept);
    let (occupations, skills) = input.child_rows(&cid);
    let ladder = input.ladder_step.map(|step| LadderMeasurement {
        id: new_id(),
        candidate_id: cid.clone(),
        measured_on: input.ladder_date.unwrap_or(today),
        step,
        target_step: group.default_target_step,
        measured_by: None,
        note: "Overgenomen uit het cliëntsysteem".into(),
        created_at: t,
    });
    Ok(NewImport { candidate, occupations, skills, ladder })
}

/// Writes new imported people: each table in multi-row statements (candidates 50 rows, 2,200
/// parameters, at a time; SQLite allows 32,766 per statement), one access-log row per person
/// ("profiel (import)"), and each person in the change feed.
pub fn write_new_imports(conn: &mut DbConnection, actor: &crate::audit::Actor, municipality: &str, rows: &[NewImport]) -> AppResult<()> {
    for chunk in rows.chunks(50) {
        let c: Vec<&Candidate> = chunk.iter().map(|r| &r.candidate).collect();
        crate::insert_all!(conn, candidates::table, c)?;
    }
    let occ: Vec<&CandidateOccupation> = rows.iter().flat_map(|r| &r.occupations).collect();
    for chunk in occ.chunks(4000) {
        crate::insert_all!(conn, candidate_occupations::table, chunk.to_vec())?;
    }
    let sk: Vec<&CandidateSkill> = rows.iter().flat_map(|r| &r.skills).collect();
    for chunk in sk.chunks(2000) {
        crate::insert_all!(conn, candidate_skills::table, chunk.to_vec())?;
    }
    let ladder: Vec<&LadderMeasurement> = rows.iter().filter_map(|r| r.ladder.as_ref()).collect();
    for chunk in ladder.chunks(1000) {
        crate::insert_all!(conn, ladder_measurements::table, chunk.to_vec())?;
    }
    let subjects: Vec<(&str, Option<&str>)> = rows.iter().map(|r| (r.candidate.id.as_str(), Some(municipality))).collect();
    for chunk in subjects.chunks(1000) {
        crate::audit::record(
            conn,
            actor,
            chunk,
            crate::audit::access(crate::audit::Act::Create, "profiel (import)", crate::audit::purpose::BEGELEIDING),
        )?;
    }
    for r in rows {
        crate::db::changes::record(conn, crate::db::changes::Entity::Candidate, &r.candidate.id)?;
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema, utoipa::IntoParams)]
pub struct ErasureInput {
    /// Why the data is erased (e.g. "verzoek van betrokkene (AVG art. 17)"). Kept with the
    /// anonymous remainder; write no personal details in it.
    #[validate(length(min = 3, max = 500, message = "Geef een reden (3 tot 500 tekens)."))]
    pub reason: Option<String>,
}

/// Erasure (AVG art. 17) by the candidate's own klantmanager or a beheerder of the municipality:
/// removes the candidate's personal data from the database (profile, account, skills, ladder,
/// contact moments, tasks, saved search, mail outbox), from the search index, and unlinks logs
/// and matches from the id. What the quarterly monitor counts stays as an anonymous remainder
/// (`erased_subjects`): municipality, klantmanager, dates, ladder steps.
pub fn erase(conn: &mut DbConnection, ctx: &Ctx, id: &str, reason: &str) -> AppResult<()> {
    let user = ctx.user;
    user.require(&[Role::Klantmanager, Role::Beheerder])?;
    let input = ErasureInput { reason: Some(reason.trim().to_string()) };
    let access = if user.role == Role::Beheerder { Access::Read } else { Access::Write };
    let c = authorize_only(conn, user, id, access)?;
    AppError::check(crate::domain::validation::validation_errors_of(&input))?;
    erase_row(conn, &crate::audit::Actor::from(user), &c, reason.trim())
}

/// Anonymises a candidate whose retention period ran out (the daily job): the same as an
/// erasure, by the platform itself.
pub fn anonymise(conn: &mut DbConnection, actor: &crate::audit::Actor, c: &Candidate, reason: &str) -> AppResult<()> {
    erase_row(conn, actor, c, reason)
}

diesel::define_sql_function! {
    /// SQL replace(string, from, to): the same on SQLite and PostgreSQL.
    fn replace(s: diesel::sql_types::Text, from: diesel::sql_types::Text, to: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

fn erase_row(conn: &mut DbConnection, actor: &crate::audit::Actor, c: &Candidate, reason: &str) -> AppResult<()> {
    use crate::db::models::ErasedSubject;
    let ladder: Vec<(NaiveDate, i32)> = ladder_measurements::table
        .filter(ladder_measurements::candidate_id.eq(&c.id))
        .order(ladder_measurements::measured_on)
        .select((ladder_measurements::measured_on, ladder_measurements::step))
        .load(conn)?;
    // Only personal contacts: what the contact norm counts.
    let contacts: Vec<NaiveDate> = contact_moments::table
        .filter(contact_moments::candidate_id.eq(&c.id))
        .filter(contact_moments::channel.eq_any(crate::domain::PERSONAL_CHANNELS))
        .order(contact_moments::contact_date)
        .select(contact_moments::contact_date)
        .load(conn)?;
    let anon = new_id();
    let today = crate::clock::today();
    diesel::insert_into(erased_subjects::table)
        .values(&ErasedSubject {
            id: anon.clone(),
            municipality_id: c.municipality_id.clone(),
            klantmanager_id: Some(c.klantmanager_id.clone()),
            registered_on: c.registration_date,
            erased_on: today,
            status: c.status.as_str().into(),
            outflow_reason: c.outflow_reason.clone(),
            outflow_date: c.outflow_date,
            ladder_history: serde_json::to_string(&ladder.iter().map(|(d, s)| (d.to_string(), *s)).collect::<Vec<_>>())
                .unwrap_or_else(|_| "[]".into()),
            contact_dates: serde_json::to_string(&contacts.iter().map(|d| d.to_string()).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into()),
            client_group_id: c.client_group_id.clone(),
        })
        .execute(conn)?;
    // Matches stay for the monitor, without the person: free text about the candidate goes.
    let match_ids: Vec<String> = matches::table.filter(matches::candidate_id.eq(&c.id)).select(matches::id).load(conn)?;
    diesel::update(matches::table.filter(matches::candidate_id.eq(&c.id)))
        .set((matches::erased_subject_id.eq(Some(anon.clone())), matches::note.eq(""), matches::candidate_reason.eq(None::<String>)))
        .execute(conn)?;
    diesel::update(match_events::table.filter(match_events::match_id.eq_any(&match_ids))).set(match_events::detail.eq("{}")).execute(conn)?;
    // Logs keep what happened, but no longer point at the person's id.
    diesel::update(proposal_logs::table.filter(proposal_logs::subject_id.eq(&c.id))).set(proposal_logs::subject_id.eq(&anon)).execute(conn)?;
    diesel::update(proposal_logs::table.filter(proposal_logs::results.like(format!("%{}%", c.id))))
        .set(proposal_logs::results.eq(replace(proposal_logs::results, c.id.clone(), anon.clone())))
        .execute(conn)?;
    diesel::update(audit_log::table.filter(audit_log::candidate_id.eq(&c.id))).set(audit_log::candidate_id.eq(&anon)).execute(conn)?;
    // Cascades: account, occupations, skills, ladder, contact moments, tasks, outbox, saved search;
    // matches.candidate_id becomes NULL.
    diesel::delete(users::table.filter(users::candidate_id.eq(&c.id))).execute(conn)?;
    diesel::delete(candidates::table.find(&c.id)).execute(conn)?;
    crate::db::changes::record(conn, crate::db::changes::Entity::Candidate, &c.id)?;
    crate::audit::one(
        conn,
        actor,
        &anon,
        &c.municipality_id,
        crate::audit::Access {
            act: crate::audit::Act::Erase,
            what: &format!("alle persoonsgegevens; reden: {reason}"),
            purpose: crate::audit::purpose::VERWIJDERING,
            channel: None,
        },
    )?;
    Ok(())
}

/// Updates a candidate in one transaction (API and pages); returns it as stored.
pub async fn update_candidate(
    state: &crate::state::AppState,
    user: &crate::auth::CurrentUser,
    id: &str,
    input: CandidateInput,
) -> AppResult<CandidateFull> {
    let (user, rd, id) = (user.clone(), state.env(), id.to_string());
    state
        .tx(move |conn| {
            update(conn, &Ctx::new(&user, &rd), &id, &input)?;
            candidate_full(conn, &id)?.ok_or(AppError::NotFound)
        })
        .await
}

/// Registers a candidate in one transaction (API and pages); returns it as stored.
pub async fn create_candidate(state: &crate::state::AppState, user: &crate::auth::CurrentUser, input: CandidateInput) -> AppResult<CandidateFull> {
    let (user, rd) = (user.clone(), state.env());
    state
        .tx(move |conn| {
            let id = create(conn, &Ctx::new(&user, &rd), &input)?;
            candidate_full(conn, &id)?.ok_or(AppError::NotFound)
        })
        .await
}
