//! Klantgroepen: a beheerder defines the municipality's client groups (name, description, contact
//! norm, default target step) and their yearly targets; klantmanagers read them. The same
//! functions serve the API (`/api/v1/client-groups`) and the beheerder's pages.

use super::Ctx;
use crate::db::client_groups as q;
use crate::db::models::ClientGroup;
use crate::db::DbConnection;
use crate::domain::klantgroep::{ClientGroupInput, TargetIndicator};
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult, ConflictCode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A group as the API and the pages show it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClientGroupView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub contact_norm_days: i32,
    pub default_target_step: Option<i32>,
    /// The group new candidates join when none is named; it cannot be removed.
    pub is_default: bool,
    pub version: i32,
    /// Active candidates in the group.
    pub members: i64,
    /// The year the targets are of.
    pub year: i32,
    /// Targets set for `year`, by indicator (instroom, uitstroom, uitstroom_werk, trede_omhoog).
    pub targets: BTreeMap<String, i32>,
}

/// Targets of one group for one year, in people; an indicator left out has no target.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct TargetsInput {
    pub instroom: Option<i32>,
    pub uitstroom: Option<i32>,
    pub uitstroom_werk: Option<i32>,
    pub trede_omhoog: Option<i32>,
}

impl TargetsInput {
    pub fn get(&self, i: TargetIndicator) -> Option<i32> {
        match i {
            TargetIndicator::Instroom => self.instroom,
            TargetIndicator::Uitstroom => self.uitstroom,
            TargetIndicator::UitstroomWerk => self.uitstroom_werk,
            TargetIndicator::TredeOmhoog => self.trede_omhoog,
        }
    }
}

fn view(g: ClientGroup, members: i64, year: i32, targets: BTreeMap<String, i32>) -> ClientGroupView {
    ClientGroupView {
        id: g.id,
        name: g.name,
        description: g.description,
        contact_norm_days: g.contact_norm_days,
        default_target_step: g.default_target_step,
        is_default: g.is_default,
        version: g.version,
        members,
        year,
        targets,
    }
}

fn reader(ctx: &Ctx) -> AppResult<String> {
    ctx.user.require(&[Role::Beheerder, Role::Klantmanager])?;
    Ok(ctx.user.municipality()?.to_string())
}

fn writer(ctx: &Ctx) -> AppResult<String> {
    ctx.user.require(&[Role::Beheerder])?;
    Ok(ctx.user.municipality()?.to_string())
}

/// The municipality's groups (the default one first) with members and the targets of `year`
/// (this year when none). Beheerder and klantmanager.
pub fn list(conn: &mut DbConnection, ctx: &Ctx, year: Option<i32>) -> AppResult<Vec<ClientGroupView>> {
    let m = reader(ctx)?;
    let year = year.unwrap_or_else(|| chrono::Datelike::year(&ctx.today));
    check_year(year)?;
    let counts = q::member_counts(conn, &m)?;
    let mut targets: BTreeMap<String, BTreeMap<String, i32>> = BTreeMap::new();
    for t in q::targets(conn, &m, year)? {
        targets.entry(t.client_group_id).or_default().insert(t.indicator.as_str().to_string(), t.target);
    }
    Ok(q::of_municipality(conn, &m)?
        .into_iter()
        .map(|g| {
            let n = counts.get(&g.id).copied().unwrap_or(0);
            let t = targets.remove(&g.id).unwrap_or_default();
            view(g, n, year, t)
        })
        .collect())
}

/// One group of the municipality with its targets of `year`.
pub fn one(conn: &mut DbConnection, ctx: &Ctx, id: &str, year: Option<i32>) -> AppResult<ClientGroupView> {
    list(conn, ctx, year)?.into_iter().find(|g| g.id == id).ok_or(AppError::NotFound)
}

fn check_year(year: i32) -> AppResult<()> {
    if !(2000..=2100).contains(&year) {
        return Err(AppError::field("year", "Kies een jaar tussen 2000 en 2100."));
    }
    Ok(())
}

fn check(conn: &mut DbConnection, m: &str, input: &ClientGroupInput, own_id: Option<&str>) -> AppResult<()> {
    let mut errs = input.check();
    if !input.name.trim().is_empty() {
        if let Some(other) = q::named(conn, m, &input.name)? {
            if Some(other.id.as_str()) != own_id {
                errs.push(FieldError::new("name", "Er is al een klantgroep met deze naam."));
            }
        }
    }
    AppError::check(errs)
}

/// Creates a group (beheerder).
pub fn create(conn: &mut DbConnection, ctx: &Ctx, input: ClientGroupInput) -> AppResult<ClientGroupView> {
    let m = writer(ctx)?;
    check(conn, &m, &input, None)?;
    let t = crate::db::now();
    let g = ClientGroup {
        id: crate::db::new_id(),
        municipality_id: m,
        name: input.name.trim().to_string(),
        description: input.description.trim().to_string(),
        contact_norm_days: input.contact_norm_days,
        default_target_step: input.default_target_step,
        is_default: false,
        version: 1,
        created_at: t,
        updated_at: t,
    };
    q::insert(conn, &g)?;
    let year = chrono::Datelike::year(&ctx.today);
    Ok(view(g, 0, year, BTreeMap::new()))
}

/// Changes a group (beheerder); `input.version` must be the stored one.
pub fn update(conn: &mut DbConnection, ctx: &Ctx, id: &str, input: ClientGroupInput) -> AppResult<ClientGroupView> {
    let m = writer(ctx)?;
    crate::db::lock_row(conn, "client_groups", id)?;
    let cur = q::one(conn, &m, id)?.ok_or(AppError::NotFound)?;
    check(conn, &m, &input, Some(id))?;
    let Some(version) = input.version else {
        return Err(AppError::field("version", "Geef de versie mee die u gelezen heeft."));
    };
    if version != cur.version {
        return Err(AppError::conflict(
            ConflictCode::StaleVersion,
            format!("Deze klantgroep is intussen gewijzigd (versie {}). Laad haar opnieuw.", cur.version),
        ));
    }
    let g = ClientGroup {
        name: input.name.trim().to_string(),
        description: input.description.trim().to_string(),
        contact_norm_days: input.contact_norm_days,
        default_target_step: input.default_target_step,
        version: cur.version + 1,
        updated_at: crate::db::now(),
        ..cur
    };
    if q::update(conn, &g, version)? == 0 {
        return Err(AppError::conflict(ConflictCode::StaleVersion, "Deze klantgroep is intussen gewijzigd. Laad haar opnieuw."));
    }
    one(conn, ctx, id, None)
}

/// Removes a group (beheerder): its members move to the default group, which cannot be removed.
/// Returns how many people moved.
pub fn remove(conn: &mut DbConnection, ctx: &Ctx, id: &str) -> AppResult<usize> {
    let m = writer(ctx)?;
    crate::db::lock_row(conn, "client_groups", id)?;
    let g = q::one(conn, &m, id)?.ok_or(AppError::NotFound)?;
    if g.is_default {
        return Err(AppError::conflict(ConflictCode::InUse, "De standaardgroep kan niet weg: wie nergens anders in staat, staat hierin."));
    }
    let default = q::default_for(conn, &m)?;
    let moved = q::members(conn, id)?;
    q::move_members(conn, id, &default.id)?;
    for c in &moved {
        crate::db::changes::record(conn, crate::db::changes::Entity::Candidate, c)?;
    }
    q::delete(conn, id)?;
    Ok(moved.len())
}

/// Sets the targets of one group for one year (beheerder): the indicators given get that
/// number, the others none.
pub fn set_targets(conn: &mut DbConnection, ctx: &Ctx, id: &str, year: i32, targets: &TargetsInput) -> AppResult<ClientGroupView> {
    let m = writer(ctx)?;
    check_year(year)?;
    q::one(conn, &m, id)?.ok_or(AppError::NotFound)?;
    let errs: Vec<FieldError> = TargetIndicator::ALL
        .into_iter()
        .filter(|i| targets.get(*i).is_some_and(|n| !(0..=100_000).contains(&n)))
        .map(|i| FieldError::new(i.as_str(), "Een doel is een aantal mensen van 0 tot 100.000."))
        .collect();
    AppError::check(errs)?;
    for i in TargetIndicator::ALL {
        q::set_target(conn, id, year, i, targets.get(i))?;
    }
    one(conn, ctx, id, Some(year))
}
