//! Employers (organisations). Shared by the region; a new self-registered organisation is
//! unverified until a klantmanager or beheerder verifies it.

use crate::auth::CurrentUser;
use crate::db::models::Organisation;
use crate::error::{AppResult, ErrorBody};
use crate::service::organisations as svc;
pub use crate::service::organisations::OrganisationInput;
use crate::service::Ctx;
use crate::state::AppState;
use crate::web::extract::JsonBody;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organisations", web::get().to(list))
        .route("/organisations", web::post().to(create))
        .route("/organisations/{id}", web::get().to(get))
        .route("/organisations/{id}", web::put().to(update))
        .route("/organisations/{id}", web::delete().to(delete))
        .route("/organisations/{id}/verify", web::post().to(verify));
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrganisationView {
    pub id: String,
    pub name: String,
    pub kvk_number: String,
    pub sector: String,
    pub pc4: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub verified: bool,
    pub verified_at: Option<chrono::NaiveDateTime>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

impl From<&Organisation> for OrganisationView {
    fn from(o: &Organisation) -> Self {
        OrganisationView {
            id: o.id.clone(),
            name: o.name.clone(),
            kvk_number: o.kvk_number.clone(),
            sector: o.sector.clone(),
            pc4: o.pc4.clone(),
            contact_name: o.contact_name.clone(),
            contact_email: o.contact_email.clone(),
            contact_phone: o.contact_phone.clone(),
            verified: o.verified,
            verified_at: o.verified_at,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations",
    responses((status = 200, body = Vec<OrganisationView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let rd = state.env();
    let list = state.db(move |conn| svc::list(conn, &Ctx::new(&user, &rd))).await?;
    Ok(HttpResponse::Ok().json(list.iter().map(OrganisationView::from).collect::<Vec<_>>()))
}

#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "organisations",
    responses((status = 200, body = OrganisationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let o = state.db(move |conn| svc::load_visible(conn, &user, &id)).await?;
    Ok(HttpResponse::Ok().json(OrganisationView::from(&o)))
}

#[utoipa::path(post, path = "/api/v1/organisations", tag = "organisations", request_body = OrganisationInput,
    responses((status = 201, body = OrganisationView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(state: web::Data<AppState>, user: CurrentUser, body: JsonBody<OrganisationInput>) -> AppResult<HttpResponse> {
    let rd = state.env();
    let org = state.tx(move |conn| svc::create(conn, &Ctx::new(&user, &rd), body.0)).await?;
    Ok(HttpResponse::Created().json(OrganisationView::from(&org)))
}

#[utoipa::path(put, path = "/api/v1/organisations/{id}", tag = "organisations", request_body = OrganisationInput,
    responses((status = 200, body = OrganisationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: JsonBody<OrganisationInput>,
) -> AppResult<HttpResponse> {
    let org = crate::service::organisations::update_organisation(&state, &user, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(OrganisationView::from(&org)))
}

#[utoipa::path(post, path = "/api/v1/organisations/{id}/verify", tag = "organisations",
    responses((status = 200, body = OrganisationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn verify(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let org = crate::service::organisations::verify_organisation(&state, &user, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(OrganisationView::from(&org)))
}

#[utoipa::path(delete, path = "/api/v1/organisations/{id}", tag = "organisations",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let rd = state.env();
    state.tx(move |conn| svc::delete(conn, &Ctx::new(&user, &rd), &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
