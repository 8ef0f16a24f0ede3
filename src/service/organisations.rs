//! Employers (organisations), shared by the region: who may see and change them, and the writes
//! the API and the pages share. A self-registered organisation is unverified until a
//! klantmanager or beheerder verifies it; only then are its placements published.

use super::Ctx;
use crate::auth::CurrentUser;
use crate::db::models::Organisation;
use crate::db::{new_id, now, schema::*, DbConnection};
use crate::domain::{validate_kvk, FieldError, Role};
use crate::error::{AppError, AppResult};
use crate::refdata::RefData;
use crate::service::validate_with;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct OrganisationInput {
    #[validate(length(min = 1, max = 200, message = "Vul de naam van de organisatie in."))]
    pub name: String,
    /// 8 digits
    pub kvk_number: String,
    #[validate(length(min = 1, max = 100, message = "Vul de sector in."))]
    pub sector: String,
    /// 4-digit postcode
    pub pc4: String,
    #[validate(length(min = 1, max = 200, message = "Vul een contactpersoon in."))]
    pub contact_name: String,
    #[validate(email(message = "Dit is geen geldig e-mailadres."), length(max = 254, message = "Hoogstens 254 tekens."))]
    pub contact_email: String,
    #[validate(length(max = 40, message = "Hoogstens 40 tekens."))]
    #[serde(default)]
    pub contact_phone: String,
}

impl OrganisationInput {
    pub fn check(&self, rd: &RefData) -> Vec<FieldError> {
        let mut errs = Vec::new();
        if let Err(m) = validate_kvk(&self.kvk_number) {
            errs.push(FieldError::new("organisation.kvk_number", m));
        }
        if let Some(e) = rd.check_pc4("organisation.pc4", self.pc4.trim()) {
            errs.push(e);
        }
        errs
    }
    /// Same checks with top-level field names (for the organisations endpoints).
    pub fn check_top(&self, rd: &RefData) -> Vec<FieldError> {
        self.check(rd).into_iter().map(|e| FieldError::new(e.field.trim_start_matches("organisation.").to_string(), e.message)).collect()
    }
    pub fn into_new(self, id: String, verified: bool, t: chrono::NaiveDateTime) -> Organisation {
        Organisation {
            id,
            name: self.name.trim().into(),
            kvk_number: self.kvk_number.trim().into(),
            sector: self.sector.trim().into(),
            pc4: self.pc4.trim().into(),
            contact_name: self.contact_name.trim().into(),
            contact_email: self.contact_email.trim().into(),
            contact_phone: self.contact_phone.trim().into(),
            verified,
            verified_at: verified.then_some(t),
            verified_by: None,
            created_at: t,
            updated_at: t,
        }
    }
}

/// Loads an organisation the user may see: staff see all, a werkgever only its own
/// (another one is 404, so its existence is not revealed), a kandidaat none (403).
pub fn load_visible(conn: &mut DbConnection, user: &CurrentUser, id: &str) -> AppResult<Organisation> {
    user.require(&[Role::Beheerder, Role::Klantmanager, Role::Werkgever])?;
    if user.role == Role::Werkgever && user.organisation_id.as_deref() != Some(id) {
        return Err(AppError::NotFound);
    }
    organisations::table.find(id).select(Organisation::as_select()).first(conn).optional()?.ok_or(AppError::NotFound)
}

/// The organisations the user may see, by name.
pub fn list(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<Vec<Organisation>> {
    let user = ctx.user;
    user.require(&[Role::Beheerder, Role::Klantmanager, Role::Werkgever])?;
    let mut q = organisations::table.order(organisations::name).select(Organisation::as_select()).into_boxed();
    if user.role == Role::Werkgever {
        q = q.filter(organisations::id.eq(user.organisation_id.clone().unwrap_or_default()));
    }
    Ok(q.load(conn)?)
}

/// Organisations waiting for verification, oldest first (staff).
pub fn unverified(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<Vec<Organisation>> {
    ctx.user.require(&[Role::Beheerder, Role::Klantmanager])?;
    Ok(organisations::table
        .filter(organisations::verified.eq(false))
        .order(organisations::created_at)
        .select(Organisation::as_select())
        .load(conn)?)
}

/// Staff add an organisation, verified at once (employers register through `accounts::register`).
pub fn create(conn: &mut DbConnection, ctx: &Ctx, input: OrganisationInput) -> AppResult<Organisation> {
    ctx.user.require(&[Role::Beheerder, Role::Klantmanager])?;
    validate_with(&input, input.check_top(ctx.refdata))?;
    let mut org = input.into_new(new_id(), true, now());
    org.verified_by = Some(ctx.user.id.clone());
    ensure_kvk_free(conn, &org.kvk_number, None)?;
    diesel::insert_into(organisations::table).values(&org).execute(conn)?;
    Ok(org)
}

/// Updates an organisation the user may edit.
pub fn update(conn: &mut DbConnection, ctx: &Ctx, id: &str, input: OrganisationInput) -> AppResult<Organisation> {
    let cur = load_visible(conn, ctx.user, id)?;
    validate_with(&input, input.check_top(ctx.refdata))?;
    ensure_kvk_free(conn, input.kvk_number.trim(), Some(id))?;
    let mut o = input.into_new(cur.id.clone(), cur.verified, cur.created_at);
    o.verified_at = cur.verified_at;
    o.verified_by = cur.verified_by;
    o.updated_at = now();
    diesel::update(organisations::table.find(id)).set(&o).execute(conn)?;
    crate::db::changes::record(conn, crate::db::changes::Entity::Organisation, id)?;
    Ok(o)
}

/// Marks an organisation verified: its placements are published.
pub fn verify(conn: &mut DbConnection, ctx: &Ctx, id: &str) -> AppResult<Organisation> {
    ctx.user.require(&[Role::Beheerder, Role::Klantmanager])?;
    let mut o = load_visible(conn, ctx.user, id)?;
    if !o.verified {
        let t = now();
        o.verified = true;
        o.verified_at = Some(t);
        o.verified_by = Some(ctx.user.id.clone());
        o.updated_at = t;
        diesel::update(organisations::table.find(id)).set(&o).execute(conn)?;
        crate::db::changes::record(conn, crate::db::changes::Entity::Organisation, id)?;
    }
    Ok(o)
}

/// Removes an organisation with its placements (beheerder).
pub fn delete(conn: &mut DbConnection, ctx: &Ctx, id: &str) -> AppResult<()> {
    ctx.user.require(&[Role::Beheerder])?;
    load_visible(conn, ctx.user, id)?;
    let pids: Vec<String> = placements::table.filter(placements::organisation_id.eq(id)).select(placements::id).load(conn)?;
    diesel::delete(organisations::table.find(id)).execute(conn)?;
    for p in &pids {
        crate::db::changes::record(conn, crate::db::changes::Entity::Placement, p)?;
    }
    Ok(())
}

pub fn ensure_kvk_free(conn: &mut DbConnection, kvk: &str, except: Option<&str>) -> AppResult<()> {
    let found: Option<String> = organisations::table.filter(organisations::kvk_number.eq(kvk)).select(organisations::id).first(conn).optional()?;
    if let Some(id) = found {
        if Some(id.as_str()) != except {
            return Err(AppError::conflict_on(
                crate::error::ConflictCode::AlreadyExists,
                "kvk_number",
                "Er is al een organisatie met dit KvK-nummer.",
            ));
        }
    }
    Ok(())
}

/// Updates an organisation in one transaction (API and pages).
pub async fn update_organisation(
    state: &crate::state::AppState,
    user: &crate::auth::CurrentUser,
    id: String,
    input: OrganisationInput,
) -> AppResult<crate::db::models::Organisation> {
    let (user, rd) = (user.clone(), state.env());
    state.tx(move |conn| update(conn, &Ctx::new(&user, &rd), &id, input)).await
}

/// Verifies an organisation in one transaction (API and pages).
pub async fn verify_organisation(
    state: &crate::state::AppState,
    user: &crate::auth::CurrentUser,
    id: String,
) -> AppResult<crate::db::models::Organisation> {
    let (user, rd) = (user.clone(), state.env());
    state.tx(move |conn| verify(conn, &Ctx::new(&user, &rd), &id)).await
}
