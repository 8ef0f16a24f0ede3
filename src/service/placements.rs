//! Placements: who may see and change them, and the writes (create, update, delete) that the
//! API and the pages share. Every write records the change for the search index in its
//! transaction.

pub use super::Ctx;
use crate::auth::CurrentUser;
use crate::db::changes::{self, Entity};
use crate::db::models::Placement;
use crate::db::models::SroiContract;
use crate::db::queries::{placement_full, placements_full, PlacementFull};
use crate::db::schema::{municipalities, organisations, placement_skills, placements, sroi_contracts};
use crate::db::{new_id, now, DbConnection};
use crate::domain::{FieldError, PlacementKind, Role};
use crate::error::{AppError, AppResult};
use crate::refdata::RefData;
use crate::web::api::placements::PlacementInput;
use diesel::prelude::*;

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
            return Err(AppError::conflict(format!(
                "Deze plaats is intussen gewijzigd (versie {} in plaats van {v}). Laad haar opnieuw.",
                cur.placement.version
            )));
        }
    }
    check_sroi(conn, input, &cur.placement.organisation_id)?;
    check_werkervaringsplaats_duration(conn, ctx.refdata, input.kind, &input.pc4, input.duration_months)?;
    let row = input.to_row(id.to_string(), cur.placement.organisation_id.clone(), cur.placement.version + 1, cur.placement.created_at);
    // Compare-and-set on the version: a concurrent writer makes this update miss.
    let n = diesel::update(placements::table.find(id).filter(placements::version.eq(cur.placement.version))).set(&row).execute(conn)?;
    if n == 0 {
        return Err(AppError::conflict("Deze plaats is intussen gewijzigd. Laad haar opnieuw."));
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
    let (settings, _) = crate::proposals::load_settings(conn, &id)?;
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
