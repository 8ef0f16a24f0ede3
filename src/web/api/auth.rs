//! Login and logout, employer self-registration, password reset and change, the current user.

use crate::auth::CurrentUser;
use crate::domain::Role;
use crate::error::{AppResult, ErrorBody};
pub use crate::service::accounts::{login as check_login, register, RegisterEmployerInput, REGISTERED_MESSAGE};
use crate::state::AppState;
use crate::web::extract::{JsonBody, ValidJson};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/login", web::post().to(login))
        .route("/auth/logout", web::post().to(logout))
        .route("/auth/register-employer", web::post().to(register_employer))
        .route("/auth/password-reset", web::post().to(password_reset))
        .route("/auth/password-reset/confirm", web::post().to(password_reset_confirm))
        .route("/me", web::get().to(me))
        .route("/me/password", web::post().to(change_password));
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

pub use crate::web::client::client_address;

/// Logs in: a session token. Wrong e-mail or password: 401, the same for both. After five failed
/// attempts for an account within 15 minutes (or 30 from one address) the next attempt must wait:
/// 429 with Retry-After, 30 s doubling to 15 minutes.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginInput,
    responses((status = 200, body = TokenView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(req: HttpRequest, state: web::Data<AppState>, body: ValidJson<LoginInput>) -> AppResult<HttpResponse> {
    let ok = check_login(&state, &body.0.email, &body.0.password, client_address(&req)).await?;
    let token = state.jwt.issue(&ok.user_id, &ok.role, &ok.session_id, ok.expires_at)?;
    let user = crate::service::sessions::load_current(&state, ok.user_id, None).await?;
    Ok(HttpResponse::Ok().json(TokenView { token, expires_at: ok.expires_at, user: MeView::from(&user) }))
}

/// Ends the session of the token: it no longer works anywhere.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn logout(req: HttpRequest, state: web::Data<AppState>, _user: CurrentUser) -> AppResult<HttpResponse> {
    crate::web::auth::end_session(&req, &state).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegisteredView {
    /// The same for a new and an already registered address.
    pub message: String,
}

/// Registers an employer organisation with its first account. The answer is the same whether or
/// not the address already has an account (the mail tells the owner which): log in afterwards.
#[utoipa::path(post, path = "/api/v1/auth/register-employer", tag = "auth", request_body = RegisterEmployerInput,
    responses((status = 202, body = RegisteredView), (status = 422, body = ErrorBody), (status = 429, description = "too many registrations from this address", body = ErrorBody)))]
pub async fn register_employer(req: HttpRequest, state: web::Data<AppState>, body: JsonBody<RegisterEmployerInput>) -> AppResult<HttpResponse> {
    register(&state, body.0, client_address(&req)).await?;
    Ok(HttpResponse::Accepted().json(RegisteredView { message: REGISTERED_MESSAGE.into() }))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    #[validate(length(min = 1, max = 254, message = "Vul uw e-mailadres in."))]
    pub email: String,
}

/// What a reset request answers, whether or not the address has an account.
pub const RESET_MESSAGE: &str = "Als er een account is met dit e-mailadres, krijgt u binnen een paar minuten een e-mail met een link.";

/// Asks for a password-reset link by e-mail (every role). Always 202 with the same message.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = ResetRequest,
    responses((status = 202, body = RegisteredView), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn password_reset(req: HttpRequest, state: web::Data<AppState>, body: ValidJson<ResetRequest>) -> AppResult<HttpResponse> {
    crate::service::accounts::request_reset(&state, &body.0.email, client_address(&req)).await?;
    Ok(HttpResponse::Accepted().json(RegisteredView { message: RESET_MESSAGE.into() }))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    #[validate(length(min = 1, max = 200, message = "De link is onvolledig."))]
    pub token: String,
    pub password: String,
}

/// Sets a new password with the token from the mail (single use, one hour); every session of
/// the account ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = ResetConfirm,
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn password_reset_confirm(state: web::Data<AppState>, body: ValidJson<ResetConfirm>) -> AppResult<HttpResponse> {
    crate::service::accounts::confirm_reset(&state, &body.0.token, &body.0.password).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[validate(length(min = 1, max = 200, message = "Vul uw huidige wachtwoord in."))]
    pub current_password: String,
    pub new_password: String,
}

/// Changes the user's own password; every session of the account ends (log in again).
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn change_password(state: web::Data<AppState>, user: CurrentUser, body: ValidJson<PasswordChange>) -> AppResult<HttpResponse> {
    crate::service::accounts::change_own_password(&state, &user, &body.0.current_password, &body.0.new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = MeView), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn me(user: CurrentUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(MeView::from(&user)))
}
