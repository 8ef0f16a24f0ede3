//! Ladder measurements and contact moments of a candidate: thin handlers over
//! `service::records`.

use crate::auth::CurrentUser;
use crate::db::models::{ContactMoment, LadderMeasurement};
use crate::domain::ladder;
use crate::error::{AppResult, ErrorBody};
use crate::service::records as svc;
pub use crate::service::records::{ContactInput, LadderInput};
use crate::service::Ctx;
use crate::state::AppState;
use crate::web::extract::JsonBody;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
            personal: c.channel.personal(),
            id: c.id,
            candidate_id: c.candidate_id,
            contact_date: c.contact_date,
            channel: c.channel.as_str().into(),
            by_user_id: c.by_user_id,
            note: c.note,
            created_at: c.created_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/candidates/{cid}/ladder-measurements", tag = "candidates",
    responses((status = 200, body = Vec<LadderView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_ladder(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let cid = path.into_inner();
    let rd = state.env();
    let rows = state.db(move |conn| svc::list_ladder(conn, &Ctx::new(&user, &rd), &cid)).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(LadderView::from).collect::<Vec<_>>()))
}

#[utoipa::path(post, path = "/api/v1/candidates/{cid}/ladder-measurements", tag = "candidates", request_body = LadderInput,
    responses((status = 201, body = LadderView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_ladder(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: JsonBody<LadderInput>,
) -> AppResult<HttpResponse> {
    let cid = path.into_inner();
    let rd = state.env();
    let m = state.tx(move |conn| svc::insert_ladder(conn, &Ctx::new(&user, &rd), &cid, body.0)).await?;
    Ok(HttpResponse::Created().json(LadderView::from(m)))
}

#[utoipa::path(put, path = "/api/v1/candidates/{cid}/ladder-measurements/{id}", tag = "candidates", request_body = LadderInput,
    responses((status = 200, body = LadderView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_ladder(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    body: JsonBody<LadderInput>,
) -> AppResult<HttpResponse> {
    let (cid, id) = path.into_inner();
    let rd = state.env();
    let m = state.tx(move |conn| svc::update_ladder(conn, &Ctx::new(&user, &rd), &cid, &id, body.0)).await?;
    Ok(HttpResponse::Ok().json(LadderView::from(m)))
}

#[utoipa::path(delete, path = "/api/v1/candidates/{cid}/ladder-measurements/{id}", tag = "candidates",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_ladder(state: web::Data<AppState>, user: CurrentUser, path: web::Path<(String, String)>) -> AppResult<HttpResponse> {
    let (cid, id) = path.into_inner();
    let rd = state.env();
    state.tx(move |conn| svc::delete_ladder(conn, &Ctx::new(&user, &rd), &cid, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/api/v1/candidates/{cid}/contact-moments", tag = "candidates",
    responses((status = 200, body = Vec<ContactView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_contacts(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let cid = path.into_inner();
    let rd = state.env();
    let rows = state.db(move |conn| svc::list_contacts(conn, &Ctx::new(&user, &rd), &cid)).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(ContactView::from).collect::<Vec<_>>()))
}

#[utoipa::path(post, path = "/api/v1/candidates/{cid}/contact-moments", tag = "candidates", request_body = ContactInput,
    responses((status = 201, body = ContactView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_contact(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: JsonBody<ContactInput>,
) -> AppResult<HttpResponse> {
    let cid = path.into_inner();
    let rd = state.env();
    let c = state.tx(move |conn| svc::insert_contact(conn, &Ctx::new(&user, &rd), &cid, body.0)).await?;
    Ok(HttpResponse::Created().json(ContactView::from(c)))
}

#[utoipa::path(put, path = "/api/v1/candidates/{cid}/contact-moments/{id}", tag = "candidates", request_body = ContactInput,
    responses((status = 200, body = ContactView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_contact(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    body: JsonBody<ContactInput>,
) -> AppResult<HttpResponse> {
    let (cid, id) = path.into_inner();
    let rd = state.env();
    let c = state.tx(move |conn| svc::update_contact(conn, &Ctx::new(&user, &rd), &cid, &id, body.0)).await?;
    Ok(HttpResponse::Ok().json(ContactView::from(c)))
}

#[utoipa::path(delete, path = "/api/v1/candidates/{cid}/contact-moments/{id}", tag = "candidates",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_contact(state: web::Data<AppState>, user: CurrentUser, path: web::Path<(String, String)>) -> AppResult<HttpResponse> {
    let (cid, id) = path.into_inner();
    let rd = state.env();
    state.tx(move |conn| svc::delete_contact(conn, &Ctx::new(&user, &rd), &cid, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
