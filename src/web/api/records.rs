//! Ladder measurements and contact moments of a candidate.

use super::candidates::{authorize, Access};
use crate::auth::CurrentUser;
use crate::db::models::{ContactMoment, LadderMeasurement};
use crate::db::{new_id, now, schema::*};
use crate::domain::{ladder, one_of, FieldError, Role, CONTACT_CHANNELS};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;
use crate::web::extract::ValidJson;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/candidates/{cid}/ladder-measurements", web::get().to(list_ladder))
        .route("/candidates/{cid}/ladder-measurements", web::post().to(create_ladder))
        .route("/candidates/{cid}/ladder-measurements/{id}", web::put().to(update_ladder))
        .route("/candidates/{cid}/ladder-measurements/{id}", web::delete().to(delete_ladder))
        .route("/candidates/{cid}/contact-moments", web::get().to(list_contacts))
        .route("/candidates/{cid}/contact-moments", web::post().to(create_contact))
        .route("/candidates/{cid}/contact-moments/{id}", web::put().to(update_contact))
        .route("/candidates/{cid}/contact-moments/{id}", web::delete().to(delete_contact));
}

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

/// Records a ladder measurement (API and pages); closes the klantmanager's ladder-update task.
pub fn insert_ladder(
    conn: &mut crate::db::DbConnection,
    user: &CurrentUser,
    cid: &str,
    input: LadderInput,
    errs: Vec<FieldError>,
) -> AppResult<LadderMeasurement> {
    authorize(conn, user, cid, Access::Write, "laddermetingen")?;
    AppError::check(errs)?;
    let m = LadderMeasurement {
        id: new_id(),
        candidate_id: cid.to_string(),
        measured_on: input.measured_on,
        step: input.step,
        target_step: input.target_step,
        measured_by: Some(user.id.clone()),
        note: input.note,
        created_at: now(),
    };
    diesel::insert_into(ladder_measurements::table).values(&m).execute(conn)?;
    crate::db::changes::record(conn, crate::db::changes::Entity::Candidate, cid)?;
    crate::matches::ladder_recorded(conn, &m.candidate_id, &user.id)?;
    Ok(m)
}

/// Records a contact moment (API and pages).
pub fn insert_contact(
    conn: &mut crate::db::DbConnection,
    user: &CurrentUser,
    cid: &str,
    input: ContactInput,
    errs: Vec<FieldError>,
) -> AppResult<ContactMoment> {
    authorize(conn, user, cid, Access::Write, "contactmomenten")?;
    AppError::check(errs)?;
    let c = ContactMoment {
        id: new_id(),
        candidate_id: cid.to_string(),
        contact_date: input.contact_date,
        channel: input.channel,
        by_user_id: Some(user.id.clone()),
        note: input.note,
        created_at: now(),
    };
    diesel::insert_into(contact_moments::table).values(&c).execute(conn)?;
    Ok(c)
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
        errs
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LadderView {
    pub id: String,
    pub candidate_id: String,
    pub measured_on: NaiveDate,
    pub step: i32,
    pub step_name: String,
    pub target_step: Option<i32>,
    pub measured_by: Option<String>,
    pub note: String,
    pub created_at: chrono::NaiveDateTime,
}

impl From<LadderMeasurement> for LadderView {
    fn from(m: LadderMeasurement) -> Self {
        LadderView {
            step_name: ladder::step_name(m.step).into(),
            id: m.id,
            candidate_id: m.candidate_id,
            measured_on: m.measured_on,
            step: m.step,
            target_step: m.target_step,
            measured_by: m.measured_by,
            note: m.note,
            created_at: m.created_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/candidates/{cid}/ladder-measurements", tag = "candidates",
    responses((status = 200, body = Vec<LadderView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_ladder(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let cid = path.into_inner();
    let rows = state
        .db(move |conn| {
            authorize(conn, &user, &cid, Access::Read, "laddermetingen")?;
            Ok(ladder_measurements::table
                .filter(ladder_measurements::candidate_id.eq(&cid))
                .order((ladder_measurements::measured_on.desc(), ladder_measurements::created_at.desc()))
                .select(LadderMeasurement::as_select())
                .load(conn)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(LadderView::from).collect::<Vec<_>>()))
}

#[utoipa::path(post, path = "/api/v1/candidates/{cid}/ladder-measurements", tag = "candidates", request_body = LadderInput,
    responses((status = 201, body = LadderView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_ladder(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: ValidJson<LadderInput>,
) -> AppResult<HttpResponse> {
    let cid = path.into_inner();
    let input = body.0;
    let errs = input.check(crate::clock::today());
    let c2 = cid.clone();
    let m = state.tx(move |conn| insert_ladder(conn, &user, &c2, input, errs)).await?;
    Ok(HttpResponse::Created().json(LadderView::from(m)))
}

#[utoipa::path(put, path = "/api/v1/candidates/{cid}/ladder-measurements/{id}", tag = "candidates", request_body = LadderInput,
    responses((status = 200, body = LadderView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_ladder(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    body: ValidJson<LadderInput>,
) -> AppResult<HttpResponse> {
    let (cid, id) = path.into_inner();
    let input = body.0;
    let errs = input.check(crate::clock::today());
    let c2 = cid.clone();
    let m = state
        .tx(move |conn| {
            authorize(conn, &user, &c2, Access::Write, "laddermetingen")?;
            let mut m: LadderMeasurement = ladder_measurements::table
                .find(&id)
                .filter(ladder_measurements::candidate_id.eq(&c2))
                .select(LadderMeasurement::as_select())
                .first(conn)
                .optional()?
                .ok_or(AppError::NotFound)?;
            AppError::check(errs)?;
            m.measured_on = input.measured_on;
            m.step = input.step;
            m.target_step = input.target_step;
            m.note = input.note;
            diesel::update(ladder_measurements::table.find(&id)).set(&m).execute(conn)?;
            crate::db::changes::record(conn, crate::db::changes::Entity::Candidate, &c2)?;
            Ok(m)
        })
        .await?;
    Ok(HttpResponse::Ok().json(LadderView::from(m)))
}

#[utoipa::path(delete, path = "/api/v1/candidates/{cid}/ladder-measurements/{id}", tag = "candidates",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_ladder(state: web::Data<AppState>, user: CurrentUser, path: web::Path<(String, String)>) -> AppResult<HttpResponse> {
    let (cid, id) = path.into_inner();
    let c2 = cid.clone();
    state
        .tx(move |conn| {
            authorize(conn, &user, &c2, Access::Write, "laddermetingen")?;
            let n = diesel::delete(ladder_measurements::table.find(&id).filter(ladder_measurements::candidate_id.eq(&c2))).execute(conn)?;
            if n == 0 {
                return Err(AppError::NotFound);
            }
            crate::db::changes::record(conn, crate::db::changes::Entity::Candidate, &c2)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
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
        errs
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactView {
    pub id: String,
    pub candidate_id: String,
    pub contact_date: NaiveDate,
    pub channel: String,
    /// Whether this counts as a personal contact for the contact norm.
    pub personal: bool,
    pub by_user_id: Option<String>,
    pub note: String,
    pub created_at: chrono::NaiveDateTime,
}

impl From<ContactMoment> for ContactView {
    fn from(c: ContactMoment) -> Self {
        ContactView {
            personal: crate::domain::PERSONAL_CHANNELS.contains(&c.channel.as_str()),
            id: c.id,
            candidate_id: c.candidate_id,
            contact_date: c.contact_date,
            channel: c.channel,
            by_user_id: c.by_user_id,
            note: c.note,
            created_at: c.created_at,
        }
    }
}

/// Contact notes are for staff only.
fn staff(user: &CurrentUser) -> AppResult<()> {
    user.require(&[Role::Klantmanager, Role::Beheerder])
}

#[utoipa::path(get, path = "/api/v1/candidates/{cid}/contact-moments", tag = "candidates",
    responses((status = 200, body = Vec<ContactView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_contacts(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    staff(&user)?;
    let cid = path.into_inner();
    let rows = state
        .db(move |conn| {
            authorize(conn, &user, &cid, Access::Read, "contactmomenten")?;
            Ok(contact_moments::table
                .filter(contact_moments::candidate_id.eq(&cid))
                .order((contact_moments::contact_date.desc(), contact_moments::created_at.desc()))
                .select(ContactMoment::as_select())
                .load(conn)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(ContactView::from).collect::<Vec<_>>()))
}

#[utoipa::path(post, path = "/api/v1/candidates/{cid}/contact-moments", tag = "candidates", request_body = ContactInput,
    responses((status = 201, body = ContactView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_contact(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: ValidJson<ContactInput>,
) -> AppResult<HttpResponse> {
    staff(&user)?;
    let cid = path.into_inner();
    let input = body.0;
    let errs = input.check(crate::clock::today());
    let c = state.tx(move |conn| insert_contact(conn, &user, &cid, input, errs)).await?;
    Ok(HttpResponse::Created().json(ContactView::from(c)))
}

#[utoipa::path(put, path = "/api/v1/candidates/{cid}/contact-moments/{id}", tag = "candidates", request_body = ContactInput,
    responses((status = 200, body = ContactView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_contact(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    body: ValidJson<ContactInput>,
) -> AppResult<HttpResponse> {
    staff(&user)?;
    let (cid, id) = path.into_inner();
    let input = body.0;
    let errs = input.check(crate::clock::today());
    let c = state
        .tx(move |conn| {
            authorize(conn, &user, &cid, Access::Write, "contactmomenten")?;
            let mut c: ContactMoment = contact_moments::table
                .find(&id)
                .filter(contact_moments::candidate_id.eq(&cid))
                .select(ContactMoment::as_select())
                .first(conn)
                .optional()?
                .ok_or(AppError::NotFound)?;
            AppError::check(errs)?;
            c.contact_date = input.contact_date;
            c.channel = input.channel;
            c.note = input.note;
            diesel::update(contact_moments::table.find(&id)).set(&c).execute(conn)?;
            Ok(c)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ContactView::from(c)))
}

#[utoipa::path(delete, path = "/api/v1/candidates/{cid}/contact-moments/{id}", tag = "candidates",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_contact(state: web::Data<AppState>, user: CurrentUser, path: web::Path<(String, String)>) -> AppResult<HttpResponse> {
    staff(&user)?;
    let (cid, id) = path.into_inner();
    state
        .tx(move |conn| {
            authorize(conn, &user, &cid, Access::Write, "contactmomenten")?;
            let n = diesel::delete(contact_moments::table.find(&id).filter(contact_moments::candidate_id.eq(&cid))).execute(conn)?;
            if n == 0 {
                return Err(AppError::NotFound);
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
