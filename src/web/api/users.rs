//! Accounts: a beheerder manages the users of its municipality; a klantmanager creates the
//! accounts of candidates in its own caseload.

use crate::auth::CurrentUser;
use crate::db::models::User;
use crate::domain::Role;
use crate::error::{AppResult, ErrorBody};
use crate::service::accounts as svc;
pub use crate::service::accounts::{create_user_in, UserInput, UserPatch};
use crate::service::Ctx;
use crate::state::AppState;
use crate::web::extract::ValidJson;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(list_users))
        .route("/users", web::post().to(create_user))
        .route("/users/{id}", web::patch().to(update_user))
        .route("/municipalities", web::get().to(list_municipalities));
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub municipality_id: Option<String>,
    pub organisation_id: Option<String>,
    pub candidate_id: Option<String>,
    pub active: bool,
    pub created_at: chrono::NaiveDateTime,
    pub last_login_at: Option<chrono::NaiveDateTime>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role.as_str().into(),
            municipality_id: u.municipality_id,
            organisation_id: u.organisation_id,
            candidate_id: u.candidate_id,
            active: u.active,
            created_at: u.created_at,
            last_login_at: u.last_login_at,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserInput,
    responses((status = 201, body = UserView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_user(state: web::Data<AppState>, user: CurrentUser, body: ValidJson<UserInput>) -> AppResult<HttpResponse> {
    user.require(&[Role::Beheerder, Role::Klantmanager])?;
    let input = body.0;
    let u = state.tx(move |conn| svc::create_user_in(conn, &input, Some(&user), None)).await?;
    Ok(HttpResponse::Created().json(UserView::from(u)))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = Vec<UserView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_users(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let rd = state.env();
    let list = state.db(move |conn| svc::list_users(conn, &Ctx::new(&user, &rd))).await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(UserView::from).collect::<Vec<_>>()))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UserPatch,
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: ValidJson<UserPatch>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let rd = state.env();
    let u = state.tx(move |conn| svc::update_user(conn, &Ctx::new(&user, &rd), &id, body.0)).await?;
    Ok(HttpResponse::Ok().json(UserView::from(u)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MunicipalityView {
    pub id: String,
    pub name: String,
    pub cbs_code: String,
}

#[utoipa::path(get, path = "/api/v1/municipalities", tag = "users", responses((status = 200, body = Vec<MunicipalityView>)))]
pub async fn list_municipalities(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let list = state.db(svc::municipalities).await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(|m| MunicipalityView { id: m.id, name: m.name, cbs_code: m.cbs_code }).collect::<Vec<_>>()))
}
