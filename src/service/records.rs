//! Ladder measurements and contact moments of a candidate: the checks and writes that the API
//! and the pages share. Every access goes through `candidates::authorize` (role, caseload,
//! audit entry); a ladder change is a change of the candidate for the search index.

use super::candidates::{authorize, Access};
use super::Ctx;
use crate::db::changes::{self, Entity};
use crate::db::models::{ContactMoment, LadderMeasurement};
use crate::db::{new_id, now, DbConnection};
use crate::domain::{ladder, one_of, FieldError, Role, CONTACT_CHANNELS};
use crate::error::{AppError, AppResult};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct LadderInput {
    pub measured_on: NaiveDate,
    /// 1..6
    pub step: i32,
    /// 1..6, optional
    pub target_step: Option<i32>,
    #[validate(length(max = 2000, message = "Hoogstens 2000 tekens."))]
    #[serde(default)]
    pub note: String,
}

impl LadderInput {
    pub fn check(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut errs = Vec::new();
        if !ladder::is_valid_step(self.step) {
            errs.push(FieldError::new("step", "Een trede van de participatieladder ligt tussen 1 en 6."));
        }
        if let Some(t) = self.target_step {
            if !ladder::is_valid_step(t) {
                errs.push(FieldError::new("target_step", "Een trede van de participatieladder ligt tussen 1 en 6."));
            }
        }
        if self.measured_on > today {
            errs.push(FieldError::new("measured_on", "De meetdatum ligt in de toekomst."));
        }
        if let Some(e) = crate::domain::check_date_range("measured_on", self.measured_on) {
            errs.push(e);
        }
        errs
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ContactInput {
    pub contact_date: NaiveDate,
    /// gesprek | huisbezoek | telefoon | video | email | brief
    pub channel: String,
    #[validate(length(max = 2000, message = "Hoogstens 2000 tekens: houd de notitie kort."))]
    #[serde(default)]
    pub note: String,
}

impl ContactInput {
    pub fn check(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut errs = Vec::new();
        if let Some(e) = one_of("channel", &self.channel, CONTACT_CHANNELS) {
            errs.push(e);
        }
        if self.contact_date > today {
            errs.push(FieldError::new("contact_date", "De datum ligt in de toekomst."));
        }
        if let Some(e) = crate::domain::check_date_range("contact_date", self.contact_date) {
            errs.push(e);
        }
        errs
    }
}

/// Every field error of a ladder input: its own checks and the validator's.
fn ladder_errors(ctx: &Ctx, input: &LadderInput) -> Vec<FieldError> {
    let mut errs = input.check(ctx.today);
    errs.extend(crate::domain::validation::validation_errors_of(input));
    errs
}

fn contact_errors(ctx: &Ctx, input: &ContactInput) -> Vec<FieldError> {
    let mut errs = input.check(ctx.today);
    errs.extend(crate::domain::validation::validation_errors_of(input));
    errs
}

/// Contact notes are for staff only.
fn staff(ctx: &Ctx) -> AppResult<()> {
    ctx.user.require(&[Role::Klantmanager, Role::Beheerder])
}

/// The candidate's ladder measurements, newest first.
pub fn list_ladder(conn: &mut DbConnection, ctx: &Ctx, cid: &str) -> AppResult<Vec<LadderMeasurement>> {
    authorize(conn, ctx.user, cid, Access::Read, "laddermetingen")?;
    Ok(crate::db::records::ladder_of(conn, cid)?)
}

/// Records a ladder measurement; closes the klantmanager's ladder-update task.
pub fn insert_ladder(conn: &mut DbConnection, ctx: &Ctx, cid: &str, input: LadderInput) -> AppResult<LadderMeasurement> {
    authorize(conn, ctx.user, cid, Access::Write, "laddermetingen")?;
    AppError::check(ladder_errors(ctx, &input))?;
    let m = LadderMeasurement {
        id: new_id(),
        candidate_id: cid.to_string(),
        measured_on: input.measured_on,
        step: input.step,
        target_step: input.target_step,
        measured_by: Some(ctx.user.id.clone()),
        note: input.note,
        created_at: now(),
    };
    crate::db::records::insert_ladder(conn, &m)?;
    changes::record(conn, Entity::Candidate, cid)?;
    super::matches::ladder_recorded(conn, &m.candidate_id, &ctx.user.id)?;
    Ok(m)
}

/// Corrects a ladder measurement of the candidate.
pub fn update_ladder(conn: &mut DbConnection, ctx: &Ctx, cid: &str, id: &str, input: LadderInput) -> AppResult<LadderMeasurement> {
    authorize(conn, ctx.user, cid, Access::Write, "laddermetingen")?;
    let mut m = crate::db::records::ladder_one(conn, cid, id)?.ok_or(AppError::NotFound)?;
    AppError::check(ladder_errors(ctx, &input))?;
    m.measured_on = input.measured_on;
    m.step = input.step;
    m.target_step = input.target_step;
    m.note = input.note;
    crate::db::records::update_ladder(conn, &m)?;
    changes::record(conn, Entity::Candidate, cid)?;
    Ok(m)
}

/// Removes a ladder measurement of the candidate.
pub fn delete_ladder(conn: &mut DbConnection, ctx: &Ctx, cid: &str, id: &str) -> AppResult<()> {
    authorize(conn, ctx.user, cid, Access::Write, "laddermetingen")?;
    if crate::db::records::delete_ladder(conn, cid, id)? == 0 {
        return Err(AppError::NotFound);
    }
    changes::record(conn, Entity::Candidate, cid)?;
    Ok(())
}

/// The candidate's contact moments, newest first (staff only).
pub fn list_contacts(conn: &mut DbConnection, ctx: &Ctx, cid: &str) -> AppResult<Vec<ContactMoment>> {
    staff(ctx)?;
    authorize(conn, ctx.user, cid, Access::Read, "contactmomenten")?;
    Ok(crate::db::records::contacts_of(conn, cid)?)
}

/// Records a contact moment.
pub fn insert_contact(conn: &mut DbConnection, ctx: &Ctx, cid: &str, input: ContactInput) -> AppResult<ContactMoment> {
    staff(ctx)?;
    authorize(conn, ctx.user, cid, Access::Write, "contactmomenten")?;
    AppError::check(contact_errors(ctx, &input))?;
    let c = ContactMoment {
        id: new_id(),
        candidate_id: cid.to_string(),
        contact_date: input.contact_date,
        // `contact_errors` admits only the listed channels.
        channel: input.channel.parse().unwrap_or(crate::domain::ContactChannel::Gesprek),
        by_user_id: Some(ctx.user.id.clone()),
        note: input.note,
        created_at: now(),
    };
    crate::db::records::insert_contact(conn, &c)?;
    Ok(c)
}

/// Corrects a contact moment.
pub fn update_contact(conn: &mut DbConnection, ctx: &Ctx, cid: &str, id: &str, input: ContactInput) -> AppResult<ContactMoment> {
    staff(ctx)?;
    authorize(conn, ctx.user, cid, Access::Write, "contactmomenten")?;
    let mut c = crate::db::records::contact_one(conn, cid, id)?.ok_or(AppError::NotFound)?;
    AppError::check(contact_errors(ctx, &input))?;
    c.contact_date = input.contact_date;
    c.channel = input.channel.parse().unwrap_or(c.channel);
    c.note = input.note;
    crate::db::records::update_contact(conn, &c)?;
    Ok(c)
}

/// Removes a contact moment.
pub fn delete_contact(conn: &mut DbConnection, ctx: &Ctx, cid: &str, id: &str) -> AppResult<()> {
    staff(ctx)?;
    authorize(conn, ctx.user, cid, Access::Write, "contactmomenten")?;
    if crate::db::records::delete_contact(conn, cid, id)? == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}
