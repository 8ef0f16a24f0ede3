//! Employers (organisations). Shared by the region; a new self-registered organisation is
//! unverified until a klantmanager or beheerder verifies it.

use crate::auth::CurrentUser;
use crate::db::models::Organisation;
use crate::db::{new_id, now, schema::*};
use crate::domain::{validate_kvk, FieldError, Role};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::refdata::RefData;
use crate::state::AppState;
use crate::web::extract::{validate_with, JsonBody};
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organisations", web::get().to(list))
        .route("/organisations", web::post().to(create))
        .route("/organisations/{id}", web::get().to(get))
        .route("/organisations/{id}", web::put().to(update))
        .route("/organisations/{id}", web::delete().to(delete))
        .route("/organisations/{id}/verify", web::post().to(verify));
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct OrganisationInput {
    #[validate(length(min = 1, max = 200, message = "Vul de naam van de organisatie in."))]
    pub name: String,
    /// 8 digits
    pub kvk_number: String,
    #[validate(length(min = 1, max = 100, message = "Vul de sector in."))]
    pub sector: String,
    /// 4-digit postcode
    pub pc4: String,
    #[validate(length(min = 1, max = 200, message = "Vul een contactpersoon in."))]
    pub contact_name: String,
    #[validate(email(message = "Dit is geen geldig e-mailadres."))]
    pub contact_email: String,
    #[validate(length(max = 40, message = "Hoogstens 40 tekens."))]
    #[serde(default)]
    pub contact_phone: String,
}

impl OrganisationInput {
    pub fn check(&self, rd: &RefData) -> Vec<FieldError> {
        let mut errs = Vec::new();
        if let Err(m) = validate_kvk(&self.kvk_number) {
            errs.push(FieldError::new("organisation.kvk_number", m));
        }
        if let Some(e) = rd.check_pc4("organisation.pc4", self.pc4.trim()) {
            errs.push(e);
        }
        errs
    }
    /// Same checks with top-level field names (for the organisations endpoints).
    pub fn check_top(&self, rd: &RefData) -> Vec<FieldError> {
        self.check(rd).into_iter().map(|e| FieldError::new(e.field.trim_start_matches("organisation.").to_string(), e.message)).collect()
    }
    pub fn into_new(self, id: String, verified: bool, t: chrono::NaiveDateTime) -> Organisation {
        Organisation {
            id,
            name: self.name.trim().into(),
            kvk_number: self.kvk_number.trim().into(),
            sector: self.sector.trim().into(),
            pc4: self.pc4.trim().into(),
            contact_name: self.contact_name.trim().into(),
            contact_email: self.contact_email.trim().into(),
            contact_phone: self.contact_phone.trim().into(),
            verified,
            verified_at: verified.then_some(t),
            verified_by: None,
            created_at: t,
            updated_at: t,
        }
    }
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

/// Loads an organisation the user may see: staff see all, a werkgever only its own
/// (another one is 404, so its existence is not revealed), a kandidaat none (403).
fn load_visible(conn: &mut crate::db::DbConnection, user: &CurrentUser, id: &str) -> AppResult<Organisation> {
    user.require(&[Role::Beheerder, Role::Klantmanager, Role::Werkgever])?;
    if user.role == Role::Werkgever && user.organisation_id.as_deref() != Some(id) {
        return Err(AppError::NotFound);
    }
    organisations::table.find(id).select(Organisation::as_select()).first(conn).optional()?.ok_or(AppError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations",
    responses((status = 200, body = Vec<OrganisationView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    user.require(&[Role::Beheerder, Role::Klantmanager, Role::Werkgever])?;
    let list = state
        .db(move |conn| {
            let mut q = organisations::table.order(organisations::name).select(Organisation::as_select()).into_boxed();
            if user.role == Role::Werkgever {
                q = q.filter(organisations::id.eq(user.organisation_id.clone().unwrap_or_default()));
            }
            Ok(q.load(conn)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list.iter().map(OrganisationView::from).collect::<Vec<_>>()))
}

#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "organisations",
    responses((status = 200, body = OrganisationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let o = state.db(move |conn| load_visible(conn, &user, &id)).await?;
    Ok(HttpResponse::Ok().json(OrganisationView::from(&o)))
}

#[utoipa::path(post, path = "/api/v1/organisations", tag = "organisations", request_body = OrganisationInput,
    responses((status = 201, body = OrganisationView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(state: web::Data<AppState>, user: CurrentUser, body: JsonBody<OrganisationInput>) -> AppResult<HttpResponse> {
    // Employers register themselves through /auth/register-employer.
    user.require(&[Role::Beheerder, Role::Klantmanager])?;
    let input = body.0;
    validate_with(&input, input.check_top(&state.refdata()))?;
    let t = now();
    let mut org = input.into_new(new_id(), true, t);
    org.verified_by = Some(user.id.clone());
    let org = state
        .tx(move |conn| {
            super::auth::ensure_kvk_free(conn, &org.kvk_number, None)?;
            diesel::insert_into(organisations::table).values(&org).execute(conn)?;
            Ok(org)
        })
        .await?;
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
    let org = update_organisation(&state, &user, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(OrganisationView::from(&org)))
}

/// Updates an organisation the user may edit (API and pages).
pub async fn update_organisation(state: &AppState, user: &CurrentUser, id: String, input: OrganisationInput) -> AppResult<Organisation> {
    let errs = input.check_top(&state.refdata());
    let user = user.clone();
    state
        .tx(move |conn| {
            let cur = load_visible(conn, &user, &id)?;
            validate_with(&input, errs)?;
            super::auth::ensure_kvk_free(conn, input.kvk_number.trim(), Some(&id))?;
            let mut o = input.into_new(cur.id.clone(), cur.verified, cur.created_at);
            o.verified_at = cur.verified_at;
            o.verified_by = cur.verified_by;
            o.updated_at = now();
            diesel::update(organisations::table.find(&id)).set(&o).execute(conn)?;
            crate::db::changes::record(conn, crate::db::changes::Entity::Organisation, &id)?;
            Ok(o)
        })
        .await
}

#[utoipa::path(post, path = "/api/v1/organisations/{id}/verify", tag = "organisations",
    responses((status = 200, body = OrganisationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn verify(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let org = verify_organisation(&state, &user, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(OrganisationView::from(&org)))
}

/// Marks an organisation verified: its placements are published (API and pages).
pub async fn verify_organisation(state: &AppState, user: &CurrentUser, id: String) -> AppResult<Organisation> {
    user.require(&[Role::Beheerder, Role::Klantmanager])?;
    let uid = user.id.clone();
    let user = user.clone();
    let org = state
        .tx(move |conn| {
            let mut o = load_visible(conn, &user, &id)?;
            if !o.verified {
                let t = now();
                o.verified = true;
                o.verified_at = Some(t);
                o.verified_by = Some(uid);
                o.updated_at = t;
                diesel::update(organisations::table.find(&id)).set(&o).execute(conn)?;
                crate::db::changes::record(conn, crate::db::changes::Entity::Organisation, &id)?;
            }
            Ok(o)
        })
        .await?;
    Ok(org)
}

#[utoipa::path(delete, path = "/api/v1/organisations/{id}", tag = "organisations",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    user.require(&[Role::Beheerder])?;
    let id = path.into_inner();
    state
        .tx(move |conn| {
            load_visible(conn, &user, &id)?;
            let pids: Vec<String> = placements::table.filter(placements::organisation_id.eq(&id)).select(placements::id).load(conn)?;
            diesel::delete(organisations::table.find(&id)).execute(conn)?;
            for p in &pids {
                crate::db::changes::record(conn, crate::db::changes::Entity::Placement, p)?;
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
