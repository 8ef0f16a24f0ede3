//! Accounts: login, employer self-registration, and the users a beheerder manages (a
//! klantmanager creates the accounts of candidates in its own caseload). Shared by the API, the
//! pages and the `opstap user` command.

use super::Ctx;
use crate::auth::{self, CurrentUser};
use crate::db::models::{Candidate, Municipality, Organisation, User};
use crate::db::{new_id, now, schema::*, DbConnection};
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult};
use crate::service::organisations::{ensure_kvk_free, OrganisationInput};
use crate::state::AppState;
use crate::web::extract::validate_with;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

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

/// Registers an employer organisation with its first account, unverified (API and pages).
pub async fn register(state: &AppState, input: RegisterEmployerInput) -> AppResult<(Organisation, User)> {
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

pub fn ensure_email_free(conn: &mut DbConnection, norm: &str) -> AppResult<()> {
    let n: i64 = users::table.filter(users::email_normalized.eq(norm)).count().get_result(conn)?;
    if n > 0 {
        return Err(AppError::Conflict {
            message: "Er bestaat al een account met dit e-mailadres.".into(),
            fields: vec![crate::domain::FieldError::new("email", "Er bestaat al een account met dit e-mailadres.")],
        });
    }
    Ok(())
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
    conn: &mut DbConnection,
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
    ensure_email_free(conn, &norm)?;
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

/// The accounts of the beheerder's municipality (candidates' accounts are audited: they carry
/// name and e-mail address).
pub fn list_users(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<Vec<User>> {
    let user = ctx.user;
    user.require(&[Role::Beheerder])?;
    let m = user.municipality()?.to_string();
    let list: Vec<User> =
        users::table.filter(users::municipality_id.eq(&m)).order((users::role, users::email_normalized)).select(User::as_select()).load(conn)?;
    let subjects: Vec<(&str, Option<&str>)> = list.iter().filter_map(|u| u.candidate_id.as_deref()).map(|c| (c, Some(m.as_str()))).collect();
    crate::audit::record(
        conn,
        &crate::audit::Actor::from(user),
        &subjects,
        crate::audit::access(crate::audit::Act::View, "account (naam, e-mail)", crate::audit::purpose::BEHEER),
    )?;
    Ok(list)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UserPatch {
    #[validate(length(min = 1, max = 200, message = "Vul een naam in."))]
    pub name: Option<String>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

/// A beheerder changes an account of its municipality: name, active, password.
pub fn update_user(conn: &mut DbConnection, ctx: &Ctx, id: &str, patch: UserPatch) -> AppResult<User> {
    let user = ctx.user;
    user.require(&[Role::Beheerder])?;
    if let Some(pw) = &patch.password {
        if let Err(m) = auth::check_password_policy(pw) {
            return Err(AppError::field("password", m));
        }
    }
    let hash = patch.password.as_deref().map(auth::hash_password).transpose()?;
    let mut u: User = users::table.find(id).select(User::as_select()).first(conn).optional()?.ok_or(AppError::NotFound)?;
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
}

/// The municipalities that use this instance.
pub fn municipalities(conn: &mut DbConnection) -> AppResult<Vec<Municipality>> {
    Ok(municipalities::table.order(municipalities::name).select(Municipality::as_select()).load(conn)?)
}
