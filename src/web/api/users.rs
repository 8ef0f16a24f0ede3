//! Accounts: a beheerder manages the users of its municipality; a klantmanager creates the
//! accounts of candidates in its own caseload.

use crate::auth::{self, CurrentUser};
use crate::db::models::{Candidate, Municipality, User};
use crate::db::{new_id, now, schema::*};
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;
use crate::web::extract::ValidJson;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

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
            role: u.role,
            municipality_id: u.municipality_id,
            organisation_id: u.organisation_id,
            candidate_id: u.candidate_id,
            active: u.active,
            created_at: u.created_at,
            last_login_at: u.last_login_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UserInput {
    #[validate(email(message = "Dit is geen geldig e-mailadres."))]
    pub email: String,
    pub password: String,
    /// beheerder | klantmanager | werkgever | kandidaat
    pub role: String,
    #[validate(length(min = 1, max = 200, message = "Vul een naam in."))]
    pub name: String,
    /// For werkgever accounts.
    pub organisation_id: Option<String>,
    /// For kandidaat accounts.
    pub candidate_id: Option<String>,
}

/// Creates a user; shared by the API and the `opstap user create` command. `by` is None for
/// the command line (no authorisation: the operator has the database).
pub fn create_user_in(
    conn: &mut crate::db::DbConnection,
    input: &UserInput,
    by: Option<&CurrentUser>,
    municipality_for_staff: Option<String>,
) -> AppResult<User> {
    let mut errs = Vec::new();
    let role = Role::parse(&input.role);
    if role.is_none() {
        errs.push(FieldError::new("role", "Kies beheerder, klantmanager, werkgever of kandidaat."));
    }
    if let Err(m) = auth::check_password_policy(&input.password) {
        errs.push(FieldError::new("password", m));
    }
    AppError::check(errs)?;
    let role = role.unwrap_or(Role::Kandidaat);
    let mut municipality_id = None;
    let mut organisation_id = None;
    let mut candidate_id = None;
    match role {
        Role::Beheerder | Role::Klantmanager => {
            if let Some(by) = by {
                by.require(&[Role::Beheerder])?;
                municipality_id = by.municipality_id.clone();
            } else {
                municipality_id = municipality_for_staff;
            }
            let Some(m) = &municipality_id else {
                return Err(AppError::field("municipality", "Geef de gemeente op (CBS-code of naam)."));
            };
            let exists: i64 = municipalities::table.find(m).count().get_result(conn)?;
            if exists == 0 {
                return Err(AppError::field("municipality", "Onbekende gemeente."));
            }
        }
        Role::Werkgever => {
            if let Some(by) = by {
                by.require(&[Role::Beheerder, Role::Klantmanager])?;
            }
            let Some(org) = &input.organisation_id else {
                return Err(AppError::field("organisation_id", "Een werkgeversaccount hoort bij een organisatie."));
            };
            let exists: i64 = organisations::table.find(org).count().get_result(conn)?;
            if exists == 0 {
                return Err(AppError::field("organisation_id", "Onbekende organisatie."));
            }
            organisation_id = Some(org.clone());
        }
        Role::Kandidaat => {
            if let Some(by) = by {
                by.require(&[Role::Beheerder, Role::Klantmanager])?;
            }
            let Some(cid) = &input.candidate_id else {
                return Err(AppError::field("candidate_id", "Een kandidaataccount hoort bij een kandidaat."));
            };
            let c: Option<Candidate> = candidates::table.find(cid).select(Candidate::as_select()).first(conn).optional()?;
            let Some(c) = c else { return Err(AppError::field("candidate_id", "Onbekende kandidaat.")) };
            if let Some(by) = by {
                if by.municipality_id.as_deref() != Some(c.municipality_id.as_str()) {
                    return Err(AppError::field("candidate_id", "Onbekende kandidaat."));
                }
                if by.role == Role::Klantmanager && c.klantmanager_id != by.id {
                    return Err(AppError::Forbidden);
                }
            }
            let taken: i64 = users::table.filter(users::candidate_id.eq(cid)).count().get_result(conn)?;
            if taken > 0 {
                return Err(AppError::Conflict {
                    message: "Deze kandidaat heeft al een account.".into(),
                    fields: vec![FieldError::new("candidate_id", "Deze kandidaat heeft al een account.")],
                });
            }
            municipality_id = Some(c.municipality_id.clone());
            candidate_id = Some(c.id);
        }
    }
    let norm = auth::normalize_email(&input.email);
    super::auth::ensure_email_free(conn, &norm)?;
    let u = User {
        id: new_id(),
        email: input.email.trim().into(),
        email_normalized: norm,
        password_hash: auth::hash_password(&input.password)?,
        role: role.as_str().into(),
        name: input.name.trim().into(),
        municipality_id,
        organisation_id,
        candidate_id,
        active: true,
        created_at: now(),
        last_login_at: None,
    };
    diesel::insert_into(users::table).values(&u).execute(conn)?;
    Ok(u)
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserInput,
    responses((status = 201, body = UserView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_user(state: web::Data<AppState>, user: CurrentUser, body: ValidJson<UserInput>) -> AppResult<HttpResponse> {
    user.require(&[Role::Beheerder, Role::Klantmanager])?;
    let input = body.0;
    let u = state.tx(move |conn| create_user_in(conn, &input, Some(&user), None)).await?;
    Ok(HttpResponse::Created().json(UserView::from(u)))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = Vec<UserView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_users(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    user.require(&[Role::Beheerder])?;
    let m = user.municipality()?.to_string();
    let list = state
        .db(move |conn| {
            let list: Vec<User> =
                users::table.filter(users::municipality_id.eq(&m)).order(users::email_normalized).select(User::as_select()).load(conn)?;
            // Candidates' accounts carry their name and e-mail address.
            let subjects: Vec<(&str, Option<&str>)> = list.iter().filter_map(|u| u.candidate_id.as_deref()).map(|c| (c, Some(m.as_str()))).collect();
            crate::audit::record(
                conn,
                &crate::audit::Actor::from(&user),
                &subjects,
                crate::audit::access(crate::audit::Act::View, "account (naam, e-mail)", crate::audit::purpose::BEHEER),
            )?;
            Ok(list)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(UserView::from).collect::<Vec<_>>()))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UserPatch {
    #[validate(length(min = 1, max = 200, message = "Vul een naam in."))]
    pub name: Option<String>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UserPatch,
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: ValidJson<UserPatch>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Beheerder])?;
    let id = path.into_inner();
    let patch = body.0;
    if let Some(pw) = &patch.password {
        if let Err(m) = auth::check_password_policy(pw) {
            return Err(AppError::field("password", m));
        }
    }
    let hash = patch.password.as_deref().map(auth::hash_password).transpose()?;
    let u = state
        .tx(move |conn| {
            let mut u: User = users::table.find(&id).select(User::as_select()).first(conn).optional()?.ok_or(AppError::NotFound)?;
            if u.municipality_id.is_none() || u.municipality_id != user.municipality_id {
                return Err(AppError::NotFound);
            }
            if let Some(n) = patch.name {
                u.name = n;
            }
            if let Some(a) = patch.active {
                if u.id == user.id && !a {
                    return Err(AppError::field("active", "U kunt uw eigen account niet uitzetten."));
                }
                u.active = a;
            }
            if let Some(h) = hash {
                u.password_hash = h;
            }
            diesel::update(users::table.find(&u.id)).set(&u).execute(conn)?;
            Ok(u)
        })
        .await?;
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
    let list = state.db(|conn| Ok(municipalities::table.order(municipalities::name).select(Municipality::as_select()).load(conn)?)).await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(|m| MunicipalityView { id: m.id, name: m.name, cbs_code: m.cbs_code }).collect::<Vec<_>>()))
}
