//! The beheerder's caseload import page: upload the client system's file (CSV or Excel), see the
//! report per row, apply it, download the report and the template. The same run as the API's
//! and the command's (`service::import`).

use super::forms::FormState;
use super::{check_csrf, render, render_status, Ctx, PageError, PageUser};
use crate::domain::{FieldError, Role};
use crate::service::import::{self as svc, ImportReport, ImportRunView};
use crate::state::AppState;
use crate::web::api::imports::{csv_response, report_response, run_upload};
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/beheer/import", web::get().to(form))
        .route("/beheer/import", web::post().to(upload))
        .route("/beheer/import/sjabloon.csv", web::get().to(template))
        .route("/beheer/import/{id}/verslag.csv", web::get().to(report));
}

#[derive(Template)]
#[template(path = "pages/admin_import.html")]
struct ImportPage {
    ctx: Ctx,
    form: FormState,
    /// (e-mail, name) of the municipality's klantmanagers.
    kms: Vec<(String, String)>,
    report: Option<ImportReport>,
    /// The report's issues shown on the page (the rest is in the download).
    shown: usize,
    runs: Vec<ImportRunView>,
    fields: Vec<(&'static str, &'static str)>,
}
crate::page!(ImportPage);

const SHOWN: usize = 200;

async fn page(
    req: &HttpRequest,
    state: &AppState,
    u: &crate::auth::CurrentUser,
    form: FormState,
    report: Option<ImportReport>,
) -> Result<ImportPage, PageError> {
    let (u2, rd) = (u.clone(), state.env());
    let (kms, runs) = state
        .read(move |conn| {
            let kms = crate::service::handover::klantmanagers(conn, &crate::service::Ctx::new(&u2, &rd))?;
            Ok((kms, svc::runs_of(conn, &u2)?))
        })
        .await?;
    Ok(ImportPage {
        ctx: Ctx::new(req, Some(u)),
        form,
        kms: kms.into_iter().filter(|(k, _)| k.active).map(|(k, _)| (k.email, k.name)).collect(),
        shown: report.as_ref().map(|r| r.issues.len().min(SHOWN)).unwrap_or(0),
        report,
        runs: runs.into_iter().map(ImportRunView::from).collect(),
        fields: svc::FIELDS.iter().map(|(_, c, h)| (*c, *h)).collect(),
    })
}

async fn form(req: HttpRequest, state: web::Data<AppState>, user: PageUser) -> Result<HttpResponse, PageError> {
    let u = user.0;
    u.require(&[Role::Beheerder])?;
    render(&page(&req, &state, &u, FormState::default(), None).await?)
}

async fn upload(req: HttpRequest, state: web::Data<AppState>, user: PageUser, mp: Multipart) -> Result<HttpResponse, PageError> {
    let u = user.0;
    u.require(&[Role::Beheerder])?;
    // The CSRF token is a field of the multipart form: checked before anything is run.
    let result = match crate::web::upload::read(mp, "file").await {
        Ok(up) => {
            check_csrf(&req, up.field("csrf").unwrap_or_default())?;
            run_upload(&state, u.clone(), up).await
        }
        Err(e) => Err(e),
    };
    let mut form = FormState::default();
    match result {
        Ok(report) => {
            if let Some(why) = &report.refused {
                form.errors.push(FieldError::new("file", why.clone()));
                return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&req, &state, &u, form, Some(report)).await?);
            }
            render(&page(&req, &state, &u, form, Some(report)).await?)
        }
        Err(e) => {
            form.errors = super::forms::field_errors(e)?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&req, &state, &u, form, None).await?)
        }
    }
}

async fn template(user: PageUser) -> Result<HttpResponse, PageError> {
    user.0.require(&[Role::Beheerder])?;
    Ok(csv_response("opstap-caseload-sjabloon.csv", svc::template_csv()))
}

async fn report(state: web::Data<AppState>, user: PageUser, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let (u, id) = (user.0, path.into_inner());
    let run = state.read(move |conn| svc::run_of(conn, &u, &id)).await?;
    Ok(report_response(run))
}
