//! Klantgroepen of the municipality: klantmanagers read them, the beheerder writes them and
//! their yearly targets.

use crate::auth::CurrentUser;
use crate::domain::klantgroep::ClientGroupInput;
use crate::error::{AppResult, ErrorBody};
use crate::service::client_groups::{self as svc, ClientGroupView, TargetsInput};
use crate::service::Ctx;
use crate::state::AppState;
use crate::web::extract::ValidJson;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/client-groups", web::get().to(list))
        .route("/client-groups", web::post().to(create))
        .route("/client-groups/{id}", web::get().to(get))
        .route("/client-groups/{id}", web::put().to(update))
        .route("/client-groups/{id}", web::delete().to(delete))
        .route("/client-groups/{id}/targets/{year}", web::put().to(put_targets))
        .route("/handovers", web::post().to(handover));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct YearQuery {
    /// The year of the targets shown; this year when left out.
    pub year: Option<i32>,
}

#[utoipa::path(get, path = "/api/v1/client-groups", tag = "client-groups", params(YearQuery),
    responses((status = 200, body = Vec<ClientGroupView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(state: web::Data<AppState>, user: CurrentUser, q: web::Query<YearQuery>) -> AppResult<HttpResponse> {
    let rd = state.env();
    let year = q.year;
    let list = state.db(move |conn| svc::list(conn, &Ctx::new(&user, &rd), year)).await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(get, path = "/api/v1/client-groups/{id}", tag = "client-groups", params(YearQuery),
    responses((status = 200, body = ClientGroupView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>, q: web::Query<YearQuery>) -> AppResult<HttpResponse> {
    let (rd, id, year) = (state.env(), path.into_inner(), q.year);
    let g = state.db(move |conn| svc::one(conn, &Ctx::new(&user, &rd), &id, year)).await?;
    Ok(HttpResponse::Ok().json(g))
}

#[utoipa::path(post, path = "/api/v1/client-groups", tag = "client-groups", request_body = ClientGroupInput,
    responses((status = 201, body = ClientGroupView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(state: web::Data<AppState>, user: CurrentUser, body: ValidJson<ClientGroupInput>) -> AppResult<HttpResponse> {
    let rd = state.env();
    let g = state.tx(move |conn| svc::create(conn, &Ctx::new(&user, &rd), body.0)).await?;
    Ok(HttpResponse::Created().json(g))
}

#[utoipa::path(put, path = "/api/v1/client-groups/{id}", tag = "client-groups", request_body = ClientGroupInput,
    responses((status = 200, body = ClientGroupView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: ValidJson<ClientGroupInput>,
) -> AppResult<HttpResponse> {
    let (rd, id) = (state.env(), path.into_inner());
    let g = state.tx(move |conn| svc::update(conn, &Ctx::new(&user, &rd), &id, body.0)).await?;
    Ok(HttpResponse::Ok().json(g))
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Removed {
    /// People moved to the default group.
    pub moved: usize,
}

#[utoipa::path(delete, path = "/api/v1/client-groups/{id}", tag = "client-groups",
    responses((status = 200, body = Removed), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let (rd, id) = (state.env(), path.into_inner());
    let moved = state.tx(move |conn| svc::remove(conn, &Ctx::new(&user, &rd), &id)).await?;
    state.caught_up().await?;
    Ok(HttpResponse::Ok().json(Removed { moved }))
}

#[utoipa::path(put, path = "/api/v1/client-groups/{id}/targets/{year}", tag = "client-groups", request_body = TargetsInput,
    responses((status = 200, body = ClientGroupView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_targets(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    body: ValidJson<TargetsInput>,
) -> AppResult<HttpResponse> {
    let (rd, (id, year)) = (state.env(), path.into_inner());
    let year: i32 = year.parse().map_err(|_| crate::error::AppError::field("year", "Het jaar in het pad is geen jaartal, bijvoorbeeld 2027."))?;
    let g = state.tx(move |conn| svc::set_targets(conn, &Ctx::new(&user, &rd), &id, year, &body.0)).await?;
    Ok(HttpResponse::Ok().json(g))
}

#[utoipa::path(post, path = "/api/v1/handovers", tag = "client-groups", request_body = crate::service::handover::HandoverInput,
    responses((status = 200, body = crate::service::handover::HandoverResult), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn handover(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ValidJson<crate::service::handover::HandoverInput>,
) -> AppResult<HttpResponse> {
    let rd = state.env();
    let r = state.tx(move |conn| crate::service::handover::hand_over(conn, &Ctx::new(&user, &rd), &body.0)).await?;
    state.caught_up().await?;
    Ok(HttpResponse::Ok().json(r))
}
