//! Login, employer self-registration, the current user.

use crate::auth::{self, CurrentUser};
use crate::db::models::User;
use crate::db::{new_id, now, schema::*};
use crate::domain::Role;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;
use crate::web::api::organisations::{OrganisationInput, OrganisationView};
use crate::web::extract::{validate_with, JsonBody, ValidJson};
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
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

/// Checks e-mail and password; on success returns the user id and role.
pub async fn check_credentials(state: &AppState, email: &str, password: &str) -> AppResult<(String, String)> {
    let norm = auth::normalize_email(email);
    let password = password.to_string();
    state
        .db(move |conn| {
            let u: Option<User> = users::table.filter(users::email_normalized.eq(&norm)).select(User::as_select()).first(conn).optional()?;
            let ok = match &u {
                Some(u) => auth::verify_password(&u.password_hash, &password) && u.active,
                None => {
                    let _ = auth::verify_password(auth::dummy_hash(), &password);
                    false
                }
            };
            match (ok, u) {
                (true, Some(u)) => {
                    diesel::update(users::table.find(&u.id)).set(users::last_login_at.eq(Some(now()))).execute(conn)?;
                    Ok((u.id, u.role))
                }
                _ => Err(AppError::Unauthorized("E-mailadres of wachtwoord klopt niet.".into())),
            }
        })
        .await
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginInput,
    responses((status = 200, body = TokenView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn login(state: web::Data<AppState>, body: ValidJson<LoginInput>) -> AppResult<HttpResponse> {
    let (id, role) = check_credentials(&state, &body.0.email, &body.0.password).await?;
    let (token, exp) = state.jwt.issue(&id, &role)?;
    let user = auth::load_current(&state, id).await?;
    Ok(HttpResponse::Ok().json(TokenView { token, expires_at: exp, user: MeView::from(&user) }))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct RegisterEmployerInput {
    #[validate(nested)]
    pub organisation: OrganisationInput,
    #[validate(length(min = 1, max = 200, message = "Vul uw naam in."))]
    pub name: String,
    #[validate(email(message = "Dit is geen geldig e-mailadres."))]
    pub email: String,
    pub password: String,
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

/// Registers an employer organisation with its first account, unverified (API and pages).
pub async fn register(state: &AppState, input: RegisterEmployerInput) -> AppResult<(crate::db::models::Organisation, User)> {
    let mut errs = input.organisation.check(&state.refdata());
    if let Err(m) = auth::check_password_policy(&input.password) {
        errs.push(crate::domain::FieldError::new("password", m));
    }
    validate_with(&input, errs)?;
    let hash = auth::hash_password(&input.password)?;
    let t = now();
    let org = input.organisation.into_new(new_id(), false, t);
    let user = User {
        id: new_id(),
        email: input.email.trim().to_string(),
        email_normalized: auth::normalize_email(&input.email),
        password_hash: hash,
        role: Role::Werkgever.as_str().into(),
        name: input.name.trim().to_string(),
        municipality_id: None,
        organisation_id: Some(org.id.clone()),
        candidate_id: None,
        active: true,
        created_at: t,
        last_login_at: None,
    };
    state
        .tx(move |conn| {
            ensure_email_free(conn, &user.email_normalized)?;
            ensure_kvk_free(conn, &org.kvk_number, None)?;
            diesel::insert_into(organisations::table).values(&org).execute(conn)?;
            diesel::insert_into(users::table).values(&user).execute(conn)?;
            Ok((org, user))
        })
        .await
}

pub fn ensure_email_free(conn: &mut crate::db::DbConnection, norm: &str) -> AppResult<()> {
    let n: i64 = users::table.filter(users::email_normalized.eq(norm)).count().get_result(conn)?;
    if n > 0 {
        return Err(AppError::Conflict {
            message: "Er bestaat al een account met dit e-mailadres.".into(),
            fields: vec![crate::domain::FieldError::new("email", "Er bestaat al een account met dit e-mailadres.")],
        });
    }
    Ok(())
}

pub fn ensure_kvk_free(conn: &mut crate::db::DbConnection, kvk: &str, except: Option<&str>) -> AppResult<()> {
    let found: Option<String> = organisations::table.filter(organisations::kvk_number.eq(kvk)).select(organisations::id).first(conn).optional()?;
    if let Some(id) = found {
        if Some(id.as_str()) != except {
            return Err(AppError::Conflict {
                message: "Er is al een organisatie met dit KvK-nummer.".into(),
                fields: vec![crate::domain::FieldError::new("kvk_number", "Er is al een organisatie met dit KvK-nummer.")],
            });
        }
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = MeView), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn me(user: CurrentUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(MeView::from(&user)))
}
