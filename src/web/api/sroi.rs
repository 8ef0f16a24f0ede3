//! Social-return (SROI) contracts: thin handlers over `service::sroi`.

use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::service::sroi as svc;
pub use crate::service::sroi::{SroiInput, SroiView};
use crate::service::Ctx;
use crate::state::AppState;
use crate::web::extract::JsonBody;
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sroi-contracts", web::get().to(list))
        .route("/sroi-contracts", web::post().to(create))
        .route("/sroi-contracts/{id}", web::get().to(get))
        .route("/sroi-contracts/{id}", web::put().to(update))
        .route("/sroi-contracts/{id}", web::delete().to(delete));
}

#[utoipa::path(get, path = "/api/v1/sroi-contracts", tag = "sroi",
    responses((status = 200, body = Vec<SroiView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let rd = state.env();
    let rows = state.db(move |conn| svc::list(conn, &Ctx::new(&user, &rd))).await?;
    Ok(HttpResponse::Ok().json(rows))
}

#[utoipa::path(get, path = "/api/v1/sroi-contracts/{id}", tag = "sroi",
    responses((status = 200, body = SroiView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let rd = state.env();
    let c = state.db(move |conn| svc::get(conn, &Ctx::new(&user, &rd), &id)).await?;
    Ok(HttpResponse::Ok().json(c))
}

#[utoipa::path(post, path = "/api/v1/sroi-contracts", tag = "sroi", request_body = SroiInput,
    responses((status = 201, body = SroiView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(state: web::Data<AppState>, user: CurrentUser, body: JsonBody<SroiInput>) -> AppResult<HttpResponse> {
    let rd = state.env();
    let c = state.tx(move |conn| svc::create(conn, &Ctx::new(&user, &rd), body.0)).await?;
    state.caught_up().await?;
    Ok(HttpResponse::Created().json(c))
}

#[utoipa::path(put, path = "/api/v1/sroi-contracts/{id}", tag = "sroi", request_body = SroiInput,
    responses((status = 200, body = SroiView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>, body: JsonBody<SroiInput>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let rd = state.env();
    let c = state.tx(move |conn| svc::update(conn, &Ctx::new(&user, &rd), &id, body.0)).await?;
    state.caught_up().await?;
    Ok(HttpResponse::Ok().json(c))
}

#[utoipa::path(delete, path = "/api/v1/sroi-contracts/{id}", tag = "sroi",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let rd = state.env();
    state.tx(move |conn| svc::delete(conn, &Ctx::new(&user, &rd), &id)).await?;
    state.caught_up().await?;
    Ok(HttpResponse::NoContent().finish())
}
