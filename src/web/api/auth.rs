//! Login, employer self-registration, the current user.

use crate::auth::{self, CurrentUser};
use crate::domain::Role;
use crate::error::{AppResult, ErrorBody};
pub use crate::service::accounts::{check_credentials, register, RegisterEmployerInput};
use crate::state::AppState;
use crate::web::api::organisations::OrganisationView;
use crate::web::extract::{JsonBody, ValidJson};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/login", web::post().to(login))
        .route("/auth/register-employer", web::post().to(register_employer))
        .route("/me", web::get().to(me));
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct LoginInput {
    #[validate(length(min = 1, max = 254, message = "Vul uw e-mailadres in."))]
    pub email: String,
    #[validate(length(min = 1, max = 200, message = "Vul uw wachtwoord in."))]
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub municipality_id: Option<String>,
    pub organisation_id: Option<String>,
    pub candidate_id: Option<String>,
    /// For werkgevers: false until a klantmanager or beheerder verified the organisation.
    pub organisation_verified: bool,
}

impl From<&CurrentUser> for MeView {
    fn from(u: &CurrentUser) -> Self {
        MeView {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role,
            municipality_id: u.municipality_id.clone(),
            organisation_id: u.organisation_id.clone(),
            candidate_id: u.candidate_id.clone(),
            organisation_verified: u.organisation_verified,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenView {
    pub token: String,
    /// Unix time (seconds) when the token expires.
    pub expires_at: i64,
    pub user: MeView,
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginInput,
    responses((status = 200, body = TokenView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn login(state: web::Data<AppState>, body: ValidJson<LoginInput>) -> AppResult<HttpResponse> {
    let (id, role) = check_credentials(&state, &body.0.email, &body.0.password).await?;
    let (token, exp) = state.jwt.issue(&id, &role)?;
    let user = auth::load_current(&state, id).await?;
    Ok(HttpResponse::Ok().json(TokenView { token, expires_at: exp, user: MeView::from(&user) }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegisteredView {
    pub organisation: OrganisationView,
    pub token: String,
    pub expires_at: i64,
    pub user: MeView,
}

#[utoipa::path(post, path = "/api/v1/auth/register-employer", tag = "auth", request_body = RegisterEmployerInput,
    responses((status = 201, body = RegisteredView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register_employer(state: web::Data<AppState>, body: JsonBody<RegisterEmployerInput>) -> AppResult<HttpResponse> {
    let (org, user) = register(&state, body.0).await?;
    let (token, exp) = state.jwt.issue(&user.id, &user.role)?;
    let me = auth::load_current(&state, user.id).await?;
    Ok(HttpResponse::Created().json(RegisteredView { organisation: OrganisationView::from(&org), token, expires_at: exp, user: MeView::from(&me) }))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = MeView), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn me(user: CurrentUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(MeView::from(&user)))
}
