//! Social-return (SROI) contracts: a municipality's contract with a supplier obliges it to
//! spend a share of the contract value on jobs or placements for target groups. Who may see and
//! change them, and the obligation against the realised value.

use super::Ctx;
use crate::auth::CurrentUser;
use crate::db::models::SroiContract;
use crate::db::{new_id, now, schema::*, DbConnection};
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct SroiInput {
    pub organisation_id: String,
    #[validate(length(min = 1, max = 100, message = "Vul het contractkenmerk in."))]
    pub reference: String,
    #[validate(length(max = 2000, message = "Hoogstens 2000 tekens."))]
    #[serde(default)]
    pub description: String,
    /// Contract value in cents
    #[validate(range(min = 1, message = "De contractwaarde is groter dan 0."))]
    pub contract_value_cents: i64,
    /// SROI share in percent of the contract value (e.g. 5)
    #[validate(range(min = 0.1, max = 100.0, message = "Het percentage ligt tussen 0,1 en 100."))]
    pub percentage: f64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SroiView {
    pub id: String,
    pub organisation_id: String,
    pub municipality_id: String,
    pub reference: String,
    pub description: String,
    pub contract_value_cents: i64,
    pub percentage: f64,
    /// contract value x percentage, in cents
    pub obligation_cents: i64,
    /// Bouwblok value of the placements that started under this contract, in cents.
    pub realised_cents: i64,
    /// realised / obligation, percent.
    pub met_pct: f64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

impl From<SroiContract> for SroiView {
    fn from(c: SroiContract) -> Self {
        SroiView {
            obligation_cents: crate::domain::sroi_obligation_cents(c.contract_value_cents, c.percentage),
            realised_cents: 0,
            met_pct: 0.0,
            id: c.id,
            organisation_id: c.organisation_id,
            municipality_id: c.municipality_id,
            reference: c.reference,
            description: c.description,
            contract_value_cents: c.contract_value_cents,
            percentage: c.percentage,
            period_start: c.period_start,
            period_end: c.period_end,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

fn load(conn: &mut DbConnection, user: &CurrentUser, id: &str) -> AppResult<SroiContract> {
    user.require(&[Role::Beheerder, Role::Klantmanager, Role::Werkgever])?;
    let c: SroiContract = sroi_contracts::table.find(id).select(SroiContract::as_select()).first(conn).optional()?.ok_or(AppError::NotFound)?;
    let visible = match user.role {
        Role::Werkgever => user.organisation_id.as_deref() == Some(c.organisation_id.as_str()),
        _ => user.municipality_id.as_deref() == Some(c.municipality_id.as_str()),
    };
    if !visible {
        return Err(AppError::NotFound);
    }
    Ok(c)
}

fn check(conn: &mut DbConnection, input: &SroiInput) -> AppResult<()> {
    let mut errs = crate::domain::validation::validation_errors_of(input);
    errs.extend(crate::domain::check_date_ranges([("period_start", Some(input.period_start)), ("period_end", Some(input.period_end))]));
    if input.period_end < input.period_start {
        errs.push(FieldError::new("period_end", "Het einde ligt voor het begin van de looptijd."));
    }
    let exists: i64 = organisations::table.find(&input.organisation_id).count().get_result(conn)?;
    if exists == 0 {
        errs.push(FieldError::new("organisation_id", "Onbekende organisatie."));
    }
    AppError::check(errs)
}

/// Views with the realised value of each contract.
fn with_realised(conn: &mut DbConnection, rows: Vec<SroiContract>) -> AppResult<Vec<SroiView>> {
    let ids: Vec<String> = rows.iter().map(|c| c.id.clone()).collect();
    let refs: Vec<&String> = ids.iter().collect();
    let realised = crate::db::queries::sroi_realised(conn, &refs)?;
    Ok(rows
        .into_iter()
        .map(|c| {
            let mut v = SroiView::from(c);
            v.realised_cents = realised.get(&v.id).copied().unwrap_or(0);
            v.met_pct = if v.obligation_cents > 0 { (v.realised_cents as f64 * 1000.0 / v.obligation_cents as f64).round() / 10.0 } else { 0.0 };
            v
        })
        .collect())
}

/// The contracts the user may see: an employer its own organisation's, staff their municipality's.
pub fn list(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<Vec<SroiView>> {
    let user = ctx.user;
    user.require(&[Role::Beheerder, Role::Klantmanager, Role::Werkgever])?;
    let mut q = sroi_contracts::table.order(sroi_contracts::period_start.desc()).select(SroiContract::as_select()).into_boxed();
    q = match user.role {
        Role::Werkgever => q.filter(sroi_contracts::organisation_id.eq(user.organisation_id.clone().unwrap_or_default())),
        _ => q.filter(sroi_contracts::municipality_id.eq(user.municipality_id.clone().unwrap_or_default())),
    };
    let rows: Vec<SroiContract> = q.load(conn)?;
    with_realised(conn, rows)
}

/// One contract the user may see.
pub fn get(conn: &mut DbConnection, ctx: &Ctx, id: &str) -> AppResult<SroiView> {
    let row = load(conn, ctx.user, id)?;
    Ok(with_realised(conn, vec![row])?.remove(0))
}

/// Staff add a contract of their municipality.
pub fn create(conn: &mut DbConnection, ctx: &Ctx, input: SroiInput) -> AppResult<SroiView> {
    ctx.user.require(&[Role::Beheerder, Role::Klantmanager])?;
    let m = ctx.user.municipality()?.to_string();
    check(conn, &input)?;
    let t = now();
    let c = SroiContract {
        id: new_id(),
        organisation_id: input.organisation_id,
        municipality_id: m,
        reference: input.reference.trim().into(),
        description: input.description,
        contract_value_cents: input.contract_value_cents,
        percentage: input.percentage,
        period_start: input.period_start,
        period_end: input.period_end,
        created_at: t,
        updated_at: t,
    };
    diesel::insert_into(sroi_contracts::table).values(&c).execute(conn)?;
    crate::db::changes::record(conn, crate::db::changes::Entity::Sroi, &c.id)?;
    Ok(with_realised(conn, vec![c])?.remove(0))
}

/// Staff change a contract of their municipality.
pub fn update(conn: &mut DbConnection, ctx: &Ctx, id: &str, input: SroiInput) -> AppResult<SroiView> {
    ctx.user.require(&[Role::Beheerder, Role::Klantmanager])?;
    let mut c = load(conn, ctx.user, id)?;
    check(conn, &input)?;
    c.organisation_id = input.organisation_id;
    c.reference = input.reference.trim().into();
    c.description = input.description;
    c.contract_value_cents = input.contract_value_cents;
    c.percentage = input.percentage;
    c.period_start = input.period_start;
    c.period_end = input.period_end;
    c.updated_at = now();
    diesel::update(sroi_contracts::table.find(id)).set(&c).execute(conn)?;
    crate::db::changes::record(conn, crate::db::changes::Entity::Sroi, id)?;
    Ok(with_realised(conn, vec![c])?.remove(0))
}

/// Staff remove a contract of their municipality.
pub fn delete(conn: &mut DbConnection, ctx: &Ctx, id: &str) -> AppResult<()> {
    ctx.user.require(&[Role::Beheerder, Role::Klantmanager])?;
    load(conn, ctx.user, id)?;
    diesel::delete(sroi_contracts::table.find(id)).execute(conn)?;
    crate::db::changes::record(conn, crate::db::changes::Entity::Sroi, id)?;
    Ok(())
}
