//! The quarterly monitor as JSON and as an aggregate CSV export, and the algorithm-register
//! description of the matcher.

use crate::auth::CurrentUser;
use crate::db::models::User;
use crate::db::schema::{candidates, contact_moments, users};
use crate::domain::monitor::{Monitor, Quarter};
use crate::domain::{Role, PERSONAL_CHANNELS};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/monitor", web::get().to(monitor))
        .route("/monitor/export.csv", web::get().to(export_csv))
        .route("/monitor/export.xlsx", web::get().to(export_xlsx))
        .route("/monitor/algorithm-register", web::get().to(algorithm_register));
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MonitorParams {
    /// e.g. 2026-Q1 (default: the current quarter)
    pub quarter: Option<String>,
}

pub fn quarter_of(p: &MonitorParams) -> AppResult<Quarter> {
    match &p.quarter {
        None => Ok(Quarter::of(crate::clock::today())),
        Some(q) => Quarter::parse(q).ok_or_else(|| AppError::field("quarter", "Geef een kwartaal als 2026-Q1.")),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OverdueCandidate {
    pub candidate_id: String,
    pub name: String,
    pub last_personal_contact: Option<NaiveDate>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MonitorView {
    pub municipality_id: String,
    #[serde(flatten)]
    pub monitor: Monitor,
    /// Names of the klantmanagers in `per_klantmanager`.
    pub klantmanagers: HashMap<String, String>,
    /// For a klantmanager: the candidates of its own caseload without a personal contact in the
    /// 12 months up to the quarter end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue: Option<Vec<OverdueCandidate>>,
}

fn km_names(conn: &mut crate::db::DbConnection, m: &str) -> QueryResult<HashMap<String, String>> {
    Ok(users::table
        .filter(users::municipality_id.eq(m))
        .filter(users::role.eq("klantmanager"))
        .select(User::as_select())
        .load(conn)?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

/// The monitor of the user's municipality (shared with the pages).
pub async fn load(state: &AppState, user: &CurrentUser, q: Quarter) -> AppResult<MonitorView> {
    user.require(&[Role::Klantmanager, Role::Beheerder])?;
    let m = user.municipality()?.to_string();
    let user = user.clone();
    state
        .db(move |conn| {
            let monitor = crate::monitor::compute(conn, &m, q)?;
            let klantmanagers = km_names(conn, &m)?;
            let overdue = if user.role == Role::Klantmanager {
                let end = q.end();
                let mine: Vec<crate::db::models::Candidate> = candidates::table
                    .filter(candidates::klantmanager_id.eq(&user.id))
                    .select(crate::db::models::Candidate::as_select())
                    .load(conn)?;
                // The last personal contact up to the quarter end, for the whole caseload at once.
                let ids: Vec<&String> = mine.iter().map(|c| &c.id).collect();
                let lasts: HashMap<String, Option<NaiveDate>> = contact_moments::table
                    .filter(contact_moments::candidate_id.eq_any(&ids))
                    .filter(contact_moments::channel.eq_any(PERSONAL_CHANNELS))
                    .filter(contact_moments::contact_date.le(end))
                    .group_by(contact_moments::candidate_id)
                    .select((contact_moments::candidate_id, diesel::dsl::max(contact_moments::contact_date)))
                    .load::<(String, Option<NaiveDate>)>(conn)?
                    .into_iter()
                    .collect();
                let mut out = vec![];
                for c in mine {
                    let in_caseload = crate::clock::local_date(c.created_at) <= end
                        && !(c.status == crate::domain::UITGESTROOMD && c.outflow_date.is_some_and(|d| d <= end));
                    if !in_caseload {
                        continue;
                    }
                    let last = lasts.get(&c.id).copied().flatten();
                    if !crate::domain::contact_norm_met(last, end) {
                        crate::audit::one(
                            conn,
                            &crate::audit::Actor::from(&user),
                            &c.id,
                            &c.municipality_id,
                            crate::audit::access(crate::audit::Act::View, "naam (contactnorm, monitor)", crate::audit::purpose::BEGELEIDING),
                        )?;
                        out.push(OverdueCandidate {
                            candidate_id: c.id,
                            name: format!("{} {}", c.first_name, c.last_name),
                            last_personal_contact: last,
                        });
                    }
                }
                out.sort_by(|a, b| a.last_personal_contact.cmp(&b.last_personal_contact).then(a.name.cmp(&b.name)));
                Some(out)
            } else {
                None
            };
            Ok(MonitorView { municipality_id: m, monitor, klantmanagers, overdue })
        })
        .await
}

#[utoipa::path(get, path = "/api/v1/monitor", tag = "monitor", params(MonitorParams),
    responses((status = 200, body = MonitorView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn monitor(state: web::Data<AppState>, user: CurrentUser, q: web::Query<MonitorParams>) -> AppResult<HttpResponse> {
    let quarter = quarter_of(&q)?;
    Ok(HttpResponse::Ok().json(load(&state, &user, quarter).await?))
}

#[utoipa::path(get, path = "/api/v1/monitor/export.csv", tag = "monitor", params(MonitorParams),
    responses((status = 200, description = "CSV: onderdeel, indicator, uitsplitsing, waarde; counts below 5 as \"<5\"", content_type = "text/csv"), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn export_csv(state: web::Data<AppState>, user: CurrentUser, q: web::Query<MonitorParams>) -> AppResult<HttpResponse> {
    user.require(&[Role::Klantmanager, Role::Beheerder])?;
    let quarter = quarter_of(&q)?;
    let m = user.municipality()?.to_string();
    let (monitor, names) = state.db(move |conn| Ok((crate::monitor::compute(conn, &m, quarter)?, km_names(conn, &m)?))).await?;
    let body = crate::monitor::csv(&monitor, &names).map_err(AppError::Internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"monitor-{}.csv\"", quarter.label())))
        .body(body))
}

#[utoipa::path(get, path = "/api/v1/monitor/export.xlsx", tag = "monitor", params(MonitorParams),
    responses((status = 200, description = "The CSV rows as an Excel workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn export_xlsx(state: web::Data<AppState>, user: CurrentUser, q: web::Query<MonitorParams>) -> AppResult<HttpResponse> {
    user.require(&[Role::Klantmanager, Role::Beheerder])?;
    let quarter = quarter_of(&q)?;
    let m = user.municipality()?.to_string();
    let (monitor, names) = state.db(move |conn| Ok((crate::monitor::compute(conn, &m, quarter)?, km_names(conn, &m)?))).await?;
    let body = crate::monitor::xlsx(&monitor, &names).map_err(AppError::Internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"monitor-{}.xlsx\"", quarter.label())))
        .body(body))
}

#[utoipa::path(get, path = "/api/v1/monitor/algorithm-register", tag = "monitor",
    responses((status = 200, description = "Machine-readable description of the matcher for the algorithm register")), security(("bearer" = [])))]
pub async fn algorithm_register(state: web::Data<AppState>, user: crate::auth::MaybeUser) -> AppResult<HttpResponse> {
    // Public information; with a staff session the weights of the user's own municipality.
    let m = user.0.as_ref().and_then(|u| u.municipality_id.clone());
    let (settings, version) = match m {
        Some(m) => state.db(move |conn| Ok(crate::proposals::load_settings(conn, &m)?)).await?,
        None => (crate::domain::settings::Settings::default(), 0),
    };
    Ok(HttpResponse::Ok().json(crate::matching::register::describe(&settings, version)))
}
