//! The caseload import over the API: a beheerder sends the client system's file as
//! `multipart/form-data` (part `file`; optional parts `mapping` (JSON), `klantmanager` (e-mail),
//! `apply` ("true" writes, anything else is a dry run)) and gets the report; every run is kept
//! with its report as CSV.

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::service::import::{self as svc, ImportReport, ImportRunView, UploadInput};
use crate::state::AppState;
use crate::web::upload;
use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/import-caseload", web::post().to(import))
        .route("/import-caseload/template.csv", web::get().to(template))
        .route("/import-runs", web::get().to(runs))
        .route("/import-runs/{id}/report.csv", web::get().to(report));
}

/// Runs the import of an upload already read; shared with the beheerder's page.
pub async fn run_upload(state: &AppState, user: CurrentUser, up: upload::Upload) -> AppResult<ImportReport> {
    user.require(&[crate::domain::Role::Beheerder])?;
    // A part the import does not know is refused by name, as unknown JSON fields are.
    let unknown: Vec<crate::domain::FieldError> = up
        .fields
        .iter()
        .filter(|(k, _)| !["mapping", "klantmanager", "apply", "csrf"].contains(&k.as_str()))
        .map(|(k, _)| crate::domain::FieldError::new(k, "Dit veld kent de import niet (wel: file, mapping, klantmanager, apply)."))
        .collect();
    AppError::check(unknown)?;
    let Some((name, file)) = up.file.as_ref().map(|(n, f)| (n.clone(), f.path().to_path_buf())) else {
        return Err(AppError::field("file", "Kies een bestand (CSV of Excel)."));
    };
    let mapping = up.field("mapping").map(str::to_string);
    let klantmanager = up.field("klantmanager").map(str::to_string);
    let apply = matches!(up.field("apply"), Some("true" | "1" | "ja" | "on"));
    let (pool, rd) = (state.pool.clone(), state.refdata());
    let report = web::block(move || {
        let input = UploadInput { path: &file, file_name: &name, mapping: mapping.as_deref(), klantmanager: klantmanager.as_deref(), apply };
        let r = svc::upload(&pool, &rd, &user, &input, crate::clock::today());
        drop(up);
        r
    })
    .await??;
    if report.applied {
        state.caught_up().await?;
    }
    Ok(report)
}

#[utoipa::path(post, path = "/api/v1/import-caseload", tag = "import",
    request_body(content_type = "multipart/form-data", description = "file (CSV or .xlsx), mapping (JSON, optional), klantmanager (e-mail, optional), apply (true to write)"),
    responses((status = 200, body = ImportReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn import(state: web::Data<AppState>, user: CurrentUser, mp: Multipart) -> AppResult<HttpResponse> {
    user.require(&[crate::domain::Role::Beheerder])?;
    let up = upload::read(mp, "file").await?;
    let report = run_upload(&state, user, up).await?;
    match &report.refused {
        Some(why) => Err(AppError::field("file", why.clone())),
        None => Ok(HttpResponse::Ok().json(report)),
    }
}

#[utoipa::path(get, path = "/api/v1/import-caseload/template.csv", tag = "import",
    responses((status = 200, description = "The default template: every column, one line explaining it")))]
pub async fn template() -> HttpResponse {
    csv_response("opstap-caseload-sjabloon.csv", svc::template_csv())
}

#[utoipa::path(get, path = "/api/v1/import-runs", tag = "import",
    responses((status = 200, body = Vec<ImportRunView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn runs(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let list = state.read(move |conn| svc::runs_of(conn, &user)).await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(ImportRunView::from).collect::<Vec<_>>()))
}

#[utoipa::path(get, path = "/api/v1/import-runs/{id}/report.csv", tag = "import",
    responses((status = 200, description = "rij;kolom;waarde;reden for every row not taken"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn report(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let run = state.read(move |conn| svc::run_of(conn, &user, &id)).await?;
    Ok(report_response(run))
}

/// A recorded run's report as a CSV download (the API's and the page's).
pub fn report_response(run: crate::db::models::ImportRun) -> HttpResponse {
    csv_response(&format!("importverslag-{}.csv", run.created_at.format("%Y%m%d-%H%M")), run.issues_csv)
}

pub fn csv_response(name: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
        .body(body)
}
