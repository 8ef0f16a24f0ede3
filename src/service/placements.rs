//! Placements: who may see and change them, and the writes (create, update, delete) that the
//! API and the pages share. Every write records the change for the search index in its
//! transaction.

pub use super::Ctx;
use crate::auth::CurrentUser;
use crate::db::changes::{self, Entity};
use crate::db::models::SroiContract;
use crate::db::models::{Placement, PlacementSkill};
use crate::db::queries::{placement_full, placements_full, PlacementFull};
use crate::db::schema::{municipalities, organisations, placement_skills, placements, sroi_contracts};
use crate::db::{new_id, now, DbConnection};
use crate::domain::{kinds, language, one_of, FieldError, PlacementKind, Role, PLACEMENT_STATUSES};
use crate::error::{AppError, AppResult};
use crate::refdata::RefData;
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

/// Every field error of `input`: its own checks, the validator's, sorted, once each.
fn field_errors(input: &PlacementInput, rd: &RefData, mut errs: Vec<FieldError>) -> Vec<FieldError> {
    errs.extend(input.check(rd));
    errs.extend(crate::domain::validation::validation_errors_of(input));
    errs.sort_by(|a, b| a.field.cmp(&b.field).then(a.message.cmp(&b.message)));
    errs.dedup();
    errs
}

/// Creates a placement; returns its id. A werkgever posts for its own organisation only.
pub fn create(conn: &mut DbConnection, ctx: &Ctx, input: &PlacementInput) -> AppResult<String> {
    let user = ctx.user;
    user.require(&[Role::Werkgever, Role::Klantmanager, Role::Beheerder])?;
    let mut errs = Vec::new();
    let org = match user.role {
        Role::Werkgever => {
            let own = user.organisation_id.clone().ok_or(AppError::Forbidden)?;
            if input.organisation_id.as_deref().is_some_and(|o| o != own) {
                errs.push(FieldError::new("organisation_id", "U kunt alleen plaatsen voor uw eigen organisatie aanmaken."));
            }
            own
        }
        _ => input.organisation_id.clone().unwrap_or_else(|| {
            errs.push(FieldError::new("organisation_id", "Kies de organisatie."));
            String::new()
        }),
    };
    AppError::check(field_errors(input, ctx.refdata, errs))?;
    let exists: i64 = organisations::table.find(&org).count().get_result(conn)?;
    if exists == 0 {
        return Err(AppError::field("organisation_id", "Onbekende organisatie."));
    }
    check_sroi(conn, input, &org)?;
    check_werkervaringsplaats_duration(conn, ctx.refdata, input.kind, &input.pc4, input.duration_months)?;
    let id = new_id();
    let row = input.to_row(id.clone(), org, 1, now());
    diesel::insert_into(placements::table).values(&row).execute(conn)?;
    let rows = input.skill_rows(&id);
    if !rows.is_empty() {
        crate::insert_all!(conn, placement_skills::table, &rows)?;
    }
    changes::record(conn, Entity::Placement, &id)?;
    Ok(id)
}

/// Updates a placement the user may edit; a stale `version` is a conflict.
pub fn update(conn: &mut DbConnection, ctx: &Ctx, id: &str, input: &PlacementInput) -> AppResult<()> {
    crate::db::lock_row(conn, "placements", id)?;
    let cur = load_editable(conn, ctx.user, id)?;
    if input.organisation_id.as_deref().is_some_and(|o| o != cur.placement.organisation_id) {
        return Err(AppError::field("organisation_id", "Een plaats kan niet naar een andere organisatie worden verplaatst."));
    }
    AppError::check(field_errors(input, ctx.refdata, vec![]))?;
    if let Some(v) = input.version {
        if v != cur.placement.version {
            return Err(AppError::conflict(
                crate::error::ConflictCode::StaleVersion,
                format!("Deze plaats is intussen gewijzigd (versie {} in plaats van {v}). Laad haar opnieuw.", cur.placement.version),
            ));
        }
    }
    check_sroi(conn, input, &cur.placement.organisation_id)?;
    check_werkervaringsplaats_duration(conn, ctx.refdata, input.kind, &input.pc4, input.duration_months)?;
    let row = input.to_row(id.to_string(), cur.placement.organisation_id.clone(), cur.placement.version + 1, cur.placement.created_at);
    // Compare-and-set on the version: a concurrent writer makes this update miss.
    let n = diesel::update(placements::table.find(id).filter(placements::version.eq(cur.placement.version))).set(&row).execute(conn)?;
    if n == 0 {
        return Err(AppError::conflict(crate::error::ConflictCode::StaleVersion, "Deze plaats is intussen gewijzigd. Laad haar opnieuw."));
    }
    diesel::delete(placement_skills::table.filter(placement_skills::placement_id.eq(id))).execute(conn)?;
    let rows = input.skill_rows(id);
    if !rows.is_empty() {
        crate::insert_all!(conn, placement_skills::table, &rows)?;
    }
    changes::record(conn, Entity::Placement, id)?;
    Ok(())
}

/// Deletes a placement the user may edit.
pub fn delete(conn: &mut DbConnection, ctx: &Ctx, id: &str) -> AppResult<()> {
    load_editable(conn, ctx.user, id)?;
    diesel::delete(placements::table.find(id)).execute(conn)?;
    changes::record(conn, Entity::Placement, id)?;
    Ok(())
}

/// The placement, if the user may change it: out of sight is 404, in sight but not theirs 403.
fn load_editable(conn: &mut DbConnection, user: &CurrentUser, id: &str) -> AppResult<PlacementFull> {
    user.require(&[Role::Werkgever, Role::Klantmanager, Role::Beheerder])?;
    let cur = placement_full(conn, id)?.ok_or(AppError::NotFound)?;
    if !can_see(Some(user), &cur) {
        return Err(AppError::NotFound);
    }
    if !can_edit(user, &cur.placement.organisation_id) {
        return Err(AppError::Forbidden);
    }
    Ok(cur)
}

/// DOMAIN.md: the municipality sets how long a werkervaringsplaats may last. A placement whose
/// PC4 lies in a municipality that uses Opstap may not be posted for longer than that
/// municipality's `werkervaringsplaats_max_months` (the matcher applies each candidate's own
/// municipality's maximum as well).
pub fn check_werkervaringsplaats_duration(
    conn: &mut DbConnection,
    rd: &RefData,
    kind: PlacementKind,
    pc4: &str,
    duration_months: Option<i32>,
) -> Result<(), AppError> {
    let (PlacementKind::Werkervaringsplaats, Some(months)) = (kind, duration_months) else { return Ok(()) };
    let Some(area) = rd.pc4.get(pc4.trim()) else { return Ok(()) };
    let m: Option<(String, String)> = municipalities::table
        .filter(municipalities::cbs_code.eq(&area.municipality_code))
        .select((municipalities::id, municipalities::name))
        .first(conn)
        .optional()?;
    let Some((id, name)) = m else { return Ok(()) };
    let (settings, _) = crate::engine::ranking::load_settings(conn, &id)?;
    if months > settings.werkervaringsplaats_max_months {
        return Err(AppError::Validation(vec![FieldError::new(
            "duration_months",
            format!("Een werkervaringsplaats in {name} duurt hoogstens {} maanden.", settings.werkervaringsplaats_max_months),
        )]));
    }
    Ok(())
}

/// Whether a (possibly anonymous) user may see this placement; otherwise it is 404.
pub fn can_see(user: Option<&CurrentUser>, p: &PlacementFull) -> bool {
    if p.is_published() {
        return true;
    }
    match user {
        Some(u) => match u.role {
            Role::Beheerder | Role::Klantmanager => true,
            Role::Werkgever => u.organisation_id.as_deref() == Some(p.placement.organisation_id.as_str()),
            Role::Kandidaat => false,
        },
        None => false,
    }
}

/// Who may change a placement: its own werkgever, klantmanagers and beheerders.
fn can_edit(user: &CurrentUser, organisation_id: &str) -> bool {
    match user.role {
        Role::Beheerder | Role::Klantmanager => true,
        Role::Werkgever => user.organisation_id.as_deref() == Some(organisation_id),
        Role::Kandidaat => false,
    }
}

fn check_sroi(conn: &mut DbConnection, input: &PlacementInput, org: &str) -> AppResult<()> {
    if let Some(sid) = &input.sroi_contract_id {
        let c: Option<SroiContract> = sroi_contracts::table.find(sid).select(SroiContract::as_select()).first(conn).optional()?;
        match c {
            Some(c) if c.organisation_id == org => {}
            _ => return Err(AppError::field("sroi_contract_id", "Onbekend SROI-contract van deze organisatie.")),
        }
    }
    Ok(())
}

/// Which placements a list asks for.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub organisation_id: Option<String>,
    pub status: Option<String>,
    pub kind: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// Placements newest first, with the total: the public and candidates see published ones, a
/// werkgever its own in every status, staff all.
pub fn list(conn: &mut DbConnection, user: Option<&CurrentUser>, f: &ListFilter) -> AppResult<(i64, Vec<PlacementFull>)> {
    let staff = user.as_ref().is_some_and(|u| matches!(u.role, Role::Beheerder | Role::Klantmanager));
    let own_org = user.as_ref().filter(|u| u.role == Role::Werkgever).and_then(|u| u.organisation_id.clone());
    let build = || {
        let mut b = placements::table.inner_join(organisations::table).into_boxed();
        if let Some(o) = &own_org {
            // A werkgever lists its own placements, all statuses.
            b = b.filter(placements::organisation_id.eq(o.clone()));
        } else if !staff {
            // The SQL form of `domain::placement_published`.
            b = b.filter(placements::status.eq(crate::domain::PUBLISHED_STATUS)).filter(organisations::verified.eq(true));
        }
        if let Some(o) = &f.organisation_id {
            b = b.filter(placements::organisation_id.eq(o.clone()));
        }
        if let Some(s) = &f.status {
            b = b.filter(placements::status.eq(s.clone()));
        }
        if let Some(k) = f.kind.as_deref().and_then(PlacementKind::parse) {
            b = b.filter(placements::kind.eq(k.as_str()));
        }
        b
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows: Vec<Placement> =
        build().order((placements::created_at.desc(), placements::id)).limit(f.limit).offset(f.offset).select(Placement::as_select()).load(conn)?;
    Ok((total, placements_full(conn, rows)?))
}

// ---------------------------------------------------------------- input and summary

fn default_positions() -> i32 {
    1
}
fn default_status() -> String {
    crate::domain::PlacementStatus::Open.as_str().into()
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct PlacementInput {
    /// Required for klantmanager/beheerder; a werkgever always posts for its own organisation.
    pub organisation_id: Option<String>,
    pub kind: PlacementKind,
    #[validate(length(min = 1, max = 200, message = "Vul een titel in (hoogstens 200 tekens)."))]
    pub title: String,
    #[validate(length(max = 10000, message = "Hoogstens 10.000 tekens."))]
    #[serde(default)]
    pub description: String,
    /// ESCO occupation id
    pub occupation_id: Option<String>,
    /// ESCO skill ids that are required (essential)
    #[serde(default)]
    pub required_skills: Vec<String>,
    /// ESCO skill ids that are desired
    #[serde(default)]
    pub desired_skills: Vec<String>,
    #[validate(range(min = 1, max = 60, message = "Uren per week liggen tussen 1 en 60."))]
    pub hours_min: i32,
    #[validate(range(min = 1, max = 60, message = "Uren per week liggen tussen 1 en 60."))]
    pub hours_max: i32,
    pub pc4: String,
    /// Gross hourly wage in cents, for paid kinds
    #[validate(range(min = 1, max = 100000, message = "Het uurloon ligt tussen 1 cent en € 1.000."))]
    pub hourly_wage_cents: Option<i32>,
    /// 1F/2F/3F/4F or A1..C2
    pub language_level_required: Option<String>,
    /// Candidates' current ladder steps this placement suits (1..6); default by kind
    pub ladder_steps: Option<Vec<i32>>,
    #[serde(default)]
    pub internal_supervisor: bool,
    #[serde(default)]
    pub job_coach_welcome: bool,
    #[serde(default)]
    pub adapted_workplace: bool,
    #[serde(default)]
    pub lks_accepted: bool,
    #[serde(default)]
    pub counts_banenafspraak: bool,
    /// Combines work with learning Dutch (valuable for statushouders)
    #[serde(default)]
    pub language_learning: bool,
    pub sroi_contract_id: Option<String>,
    #[validate(range(min = 1, max = 1000, message = "Aantal plaatsen ligt tussen 1 en 1000."))]
    #[serde(default = "default_positions")]
    pub positions: i32,
    pub start_date: Option<NaiveDate>,
    pub duration_months: Option<i32>,
    pub extension_months: Option<i32>,
    /// draft | open | filled | closed (default open)
    #[serde(default = "default_status")]
    pub status: String,
    /// For updates: the version you read; a stale version gets 409.
    pub version: Option<i32>,
}

impl PlacementInput {
    /// Domain checks that need reference data; returns all field errors at once.
    pub fn check(&self, rd: &RefData) -> Vec<FieldError> {
        let mut errs = crate::domain::hours_range_errors(self.hours_min, self.hours_max);
        if let Some(e) = rd.check_pc4("pc4", self.pc4.trim()) {
            errs.push(e);
        }
        if let Some(o) = &self.occupation_id {
            if rd.has_esco() && rd.occupation(o).is_none() {
                errs.push(FieldError::new("occupation_id", "Onbekend ESCO-beroep."));
            }
        }
        for (name, list) in [("required_skills", &self.required_skills), ("desired_skills", &self.desired_skills)] {
            for (i, s) in list.iter().enumerate() {
                if rd.has_esco() && rd.skill(s).is_none() {
                    errs.push(FieldError::new(format!("{name}[{i}]"), "Onbekende ESCO-vaardigheid."));
                }
            }
        }
        for (i, s) in self.desired_skills.iter().enumerate() {
            if self.required_skills.contains(s) {
                errs.push(FieldError::new(format!("desired_skills[{i}]"), "Deze vaardigheid staat al bij de vereiste vaardigheden."));
            }
        }
        if self.kind.is_paid() {
            if self.hourly_wage_cents.is_none() {
                errs.push(FieldError::new("hourly_wage_cents", "Geef het bruto uurloon op: dit is betaald werk."));
            }
        } else if self.hourly_wage_cents.is_some() {
            errs.push(FieldError::new("hourly_wage_cents", "Dit soort plaats is onbetaald; laat het uurloon leeg."));
        }
        if let Some(l) = &self.language_level_required {
            if language::rank(l).is_none() {
                errs.push(FieldError::new("language_level_required", "Kies een taalniveau: 1F, 2F, 3F, 4F of A1 t/m C2."));
            }
        }
        if let Some(steps) = &self.ladder_steps {
            if steps.is_empty() {
                errs.push(FieldError::new("ladder_steps", "Kies minstens één trede (1 t/m 6)."));
            }
            for (i, s) in steps.iter().enumerate() {
                if !crate::domain::ladder::is_valid_step(*s) {
                    errs.push(FieldError::new(format!("ladder_steps[{i}]"), "Een trede van de participatieladder ligt tussen 1 en 6."));
                }
            }
        }
        if let Some(e) = one_of("status", &self.status, PLACEMENT_STATUSES) {
            errs.push(e);
        }
        errs.extend(kinds::check_duration(self.kind, self.duration_months, self.extension_months));
        errs.extend(crate::domain::check_date_ranges([("start_date", self.start_date)]));
        errs
    }

    fn ladder_steps_text(&self) -> String {
        let mut steps = self.ladder_steps.clone().unwrap_or_else(|| self.kind.default_ladder_steps().to_vec());
        steps.sort_unstable();
        steps.dedup();
        steps.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(",")
    }

    pub(crate) fn to_row(&self, id: String, organisation_id: String, version: i32, created: chrono::NaiveDateTime) -> Placement {
        Placement {
            id,
            organisation_id,
            kind: self.kind,
            title: self.title.trim().into(),
            description: self.description.trim().into(),
            occupation_id: self.occupation_id.clone(),
            hours_min: self.hours_min,
            hours_max: self.hours_max,
            pc4: self.pc4.trim().into(),
            hourly_wage_cents: self.hourly_wage_cents,
            language_level_required: self.language_level_required.as_deref().and_then(language::normalise),
            ladder_steps: self.ladder_steps_text(),
            internal_supervisor: self.internal_supervisor,
            job_coach_welcome: self.job_coach_welcome,
            adapted_workplace: self.adapted_workplace,
            lks_accepted: self.lks_accepted,
            counts_banenafspraak: self.counts_banenafspraak,
            sroi_contract_id: self.sroi_contract_id.clone(),
            positions: self.positions,
            start_date: self.start_date,
            duration_months: self.duration_months,
            extension_months: self.extension_months,
            // `check` admits only the stored values.
            status: self.status.parse().unwrap_or(crate::domain::PlacementStatus::Draft),
            version,
            created_at: created,
            updated_at: now(),
            language_learning: self.language_learning,
        }
    }

    pub(crate) fn skill_rows(&self, placement_id: &str) -> Vec<PlacementSkill> {
        let mut seen = std::collections::HashSet::new();
        self.required_skills
            .iter()
            .map(|s| (s, true))
            .chain(self.desired_skills.iter().map(|s| (s, false)))
            .filter(|(s, _)| seen.insert((*s).clone()))
            .map(|(s, r)| PlacementSkill { placement_id: placement_id.into(), skill_id: s.clone(), required: r })
            .collect()
    }
}

/// A placement in a few lines, for lists and proposals.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PlacementSummary {
    pub id: String,
    pub title: String,
    pub kind: PlacementKind,
    pub kind_label: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub pc4: String,
    pub place: Option<String>,
    pub hours_min: i32,
    pub hours_max: i32,
    pub hourly_wage_cents: Option<i32>,
    pub start_date: Option<chrono::NaiveDate>,
    pub occupation: Option<super::labels::LabelRef>,
}

pub fn summary(p: &crate::db::queries::PlacementFull, rd: &crate::refdata::RefData) -> PlacementSummary {
    let pl = &p.placement;
    PlacementSummary {
        id: pl.id.clone(),
        title: pl.title.clone(),
        kind: pl.kind,
        kind_label: pl.kind.label_nl().to_string(),
        organisation_id: pl.organisation_id.clone(),
        organisation_name: p.organisation.name.clone(),
        pc4: pl.pc4.clone(),
        place: rd.pc4.get(&pl.pc4).map(|x| x.place.clone()),
        hours_min: pl.hours_min,
        hours_max: pl.hours_max,
        hourly_wage_cents: pl.hourly_wage_cents,
        start_date: pl.start_date,
        occupation: pl.occupation_id.as_deref().map(|o| super::labels::occupation_ref(rd, o)),
    }
}

/// A placement as this (possibly anonymous) user may see it; out of reach is 404 (API and pages).
pub fn visible(conn: &mut DbConnection, user: Option<&CurrentUser>, id: &str) -> AppResult<PlacementFull> {
    let p = placement_full(conn, id)?.ok_or(AppError::NotFound)?;
    if !can_see(user, &p) {
        return Err(AppError::NotFound);
    }
    Ok(p)
}

/// `visible`, from a handler.
pub async fn show(state: &crate::state::AppState, user: Option<&CurrentUser>, id: &str) -> AppResult<PlacementFull> {
    let (user, id) = (user.cloned(), id.to_string());
    state.db(move |conn| visible(conn, user.as_ref(), &id)).await
}

/// The employer's own placement, for its edit form (another's is 404).
pub async fn own(state: &crate::state::AppState, user: &CurrentUser, id: &str) -> AppResult<PlacementFull> {
    user.require(&[Role::Werkgever])?;
    let p = show(state, Some(user), id).await?;
    if user.organisation_id.as_deref() != Some(p.organisation.id.as_str()) {
        return Err(AppError::NotFound);
    }
    Ok(p)
}

/// Creates a placement (API and pages); returns it as stored.
pub async fn create_placement(state: &crate::state::AppState, user: &CurrentUser, input: PlacementInput) -> AppResult<PlacementFull> {
    let (user, rd) = (user.clone(), state.env());
    state
        .tx(move |conn| {
            let id = create(conn, &Ctx::new(&user, &rd), &input)?;
            placement_full(conn, &id)?.ok_or(AppError::NotFound)
        })
        .await
}

/// Updates a placement the user may edit (API and pages); returns it as stored.
pub async fn update_placement(state: &crate::state::AppState, user: &CurrentUser, id: &str, input: PlacementInput) -> AppResult<PlacementFull> {
    let (user, rd, id) = (user.clone(), state.env(), id.to_string());
    state
        .tx(move |conn| {
            update(conn, &Ctx::new(&user, &rd), &id, &input)?;
            placement_full(conn, &id)?.ok_or(AppError::NotFound)
        })
        .await
}

/// Updates from the employer's form, which edits the required skills only: the desired ones
/// (set through the API) stay as they are.
pub async fn update_from_form(state: &crate::state::AppState, user: &CurrentUser, id: &str, mut input: PlacementInput) -> AppResult<PlacementFull> {
    let (user, rd, id) = (user.clone(), state.env(), id.to_string());
    state
        .tx(move |conn| {
            let skills = crate::db::queries::placement_skill_ids(conn, &id)?;
            input.desired_skills =
                skills.into_iter().filter(|(s, required)| !*required && !input.required_skills.contains(s)).map(|(s, _)| s).collect();
            update(conn, &Ctx::new(&user, &rd), &id, &input)?;
            placement_full(conn, &id)?.ok_or(AppError::NotFound)
        })
        .await
}

/// What the front page counts: published placements and municipalities.
pub fn front_page_counts(conn: &mut DbConnection) -> AppResult<(i64, i64)> {
    Ok((crate::db::queries::published_count(conn)?, crate::db::queries::municipality_count(conn)?))
}
