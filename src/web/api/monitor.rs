//! The quarterly monitor as JSON and as an aggregate CSV export, and the algorithm-register
//! description of the matcher.

use crate::auth::CurrentUser;
use crate::domain::monitor::Quarter;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

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

pub use crate::service::monitor::{MonitorView, OverdueCandidate};

/// The monitor of the user's municipality (shared with the pages).
pub async fn load(state: &AppState, user: &CurrentUser, q: Quarter) -> AppResult<MonitorView> {
    let (user, rd) = (user.clone(), state.env());
    state.db(move |conn| crate::service::monitor::view(conn, &crate::service::Ctx::new(&user, &rd), q)).await
}

#[utoipa::path(get, path = "/api/v1/monitor", tag = "monitor", params(MonitorParams),
    responses((status = 200, body = MonitorView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn monitor(state: web::Data<AppState>, user: CurrentUser, q: web::Query<MonitorParams>) -> AppResult<HttpResponse> {
    let quarter = quarter_of(&q)?;
    Ok(HttpResponse::Ok().json(load(&state, &user, quarter).await?))
}

#[utoipa::path(get, path = "/api/v1/monitor/export.csv", tag = "monitor", params(MonitorParams),
    responses((status = 200, description = "CSV for Dutch Excel (UTF-8 with BOM, semicolons, decimal commas): onderdeel; indicator; uitsplitsing; waarde; counts below 5 as \"<5\"", content_type = "text/csv"), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn export_csv(state: web::Data<AppState>, user: CurrentUser, q: web::Query<MonitorParams>) -> AppResult<HttpResponse> {
    let quarter = quarter_of(&q)?;
    let rd = state.env();
    let (monitor, names) = state.db(move |conn| crate::service::monitor::aggregate(conn, &crate::service::Ctx::new(&user, &rd), quarter)).await?;
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
    let quarter = quarter_of(&q)?;
    let rd = state.env();
    let (monitor, names) = state.db(move |conn| crate::service::monitor::aggregate(conn, &crate::service::Ctx::new(&user, &rd), quarter)).await?;
    let body = crate::monitor::xlsx(&monitor, &names).map_err(AppError::Internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"monitor-{}.xlsx\"", quarter.label())))
        .body(body))
}

#[utoipa::path(get, path = "/api/v1/monitor/algorithm-register", tag = "monitor",
    responses((status = 200, description = "Machine-readable description of the matcher for the algorithm register. Public: no token needed (the register is meant for everyone).")), security(()))]
pub async fn algorithm_register(state: web::Data<AppState>, user: crate::web::auth::MaybeUser) -> AppResult<HttpResponse> {
    // Public information; with a staff session the weights of the user's own municipality.
    let m = user.0.as_ref().and_then(|u| u.municipality_id.clone());
    let (settings, version) = match m {
        Some(m) => state.db(move |conn| Ok(crate::engine::ranking::load_settings(conn, &m)?)).await?,
        None => (crate::domain::settings::Settings::default(), 0),
    };
    Ok(HttpResponse::Ok().json(crate::engine::matching::register::describe(&settings, version)))
}
