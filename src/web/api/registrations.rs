//! Aanmelden (self-registration of inwoners): sign up, confirm the address, and the beheerder's
//! list of people waiting for a klantmanager with the assignment. See `service::aanmelden`.

use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::service::aanmelden::{self as svc, AssignInput, RegistrationView, SignupInput};
use crate::service::Ctx;
use crate::state::AppState;
use crate::web::client::client_address;
use crate::web::extract::JsonBody;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/signup", web::post().to(signup))
        .route("/auth/signup/confirm", web::post().to(confirm))
        .route("/me/registration", web::get().to(own))
        .route("/registrations", web::get().to(list))
        .route("/registrations/{id}/assign", web::post().to(assign))
        .route("/candidates/{id}/invite", web::post().to(invite));
}

/// What a sign-up answers, whether or not the address has an account already.
pub const SIGNUP_MESSAGE: &str = "Bedankt voor uw aanmelding. U krijgt een e-mail. Klik op de knop in die e-mail om uw aanmelding af te maken.";

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignupAnswer {
    pub message: String,
}

/// An inwoner signs up (also without a benefit). The same answer for a known address (its owner
/// gets a note); the confirmation link is mailed.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", request_body = SignupInput,
    responses((status = 202, body = SignupAnswer), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn signup(req: HttpRequest, state: web::Data<AppState>, body: JsonBody<SignupInput>) -> AppResult<HttpResponse> {
    svc::signup(&state, body.0, client_address(&req)).await?;
    Ok(HttpResponse::Accepted().json(SignupAnswer { message: SIGNUP_MESSAGE.into() }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ConfirmInput {
    pub token: String,
}

/// Confirms the address with the token from the mail; the person can log in from then on.
#[utoipa::path(post, path = "/api/v1/auth/signup/confirm", tag = "auth", request_body = ConfirmInput,
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn confirm(state: web::Data<AppState>, body: JsonBody<ConfirmInput>) -> AppResult<HttpResponse> {
    svc::confirm(&state, &body.0.token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in person's own registration (while no klantmanager is assigned, and after).
#[utoipa::path(get, path = "/api/v1/me/registration", tag = "me",
    responses((status = 200, body = RegistrationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn own(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let env = state.env();
    let r = state.db(move |conn| svc::own(conn, &Ctx::new(&user, &env))).await?;
    Ok(HttpResponse::Ok().json(r.ok_or(crate::error::AppError::NotFound)?))
}

/// People of the municipality who signed up and wait for a klantmanager (beheerder).
#[utoipa::path(get, path = "/api/v1/registrations", tag = "registrations",
    responses((status = 200, body = Vec<RegistrationView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let env = state.env();
    let r = state.tx(move |conn| svc::waiting(conn, &Ctx::new(&user, &env))).await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Assigned {
    pub candidate_id: String,
}

/// A beheerder assigns a klantmanager (and a klantgroep): the person becomes a candidate.
#[utoipa::path(post, path = "/api/v1/registrations/{id}/assign", tag = "registrations", request_body = AssignInput,
    responses((status = 201, body = Assigned), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn assign(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>, body: JsonBody<AssignInput>) -> AppResult<HttpResponse> {
    let candidate_id = svc::assign_for(&state, &user, &path.into_inner(), body.0).await?;
    Ok(HttpResponse::Created().json(Assigned { candidate_id }))
}

/// The klantmanager invites a person of the caseload to choose a password (an account is made;
/// the mail carries a link valid for two weeks). 422 without an e-mail address, 409 when the
/// person has an account already.
#[utoipa::path(post, path = "/api/v1/candidates/{id}/invite", tag = "candidates",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn invite(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    svc::invite_for(&state, &user, &path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
