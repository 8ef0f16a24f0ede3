//! Inzage pages (AVG art. 15): everything stored about a person, readable and printable, and
//! the same as a file. For the person themself and for their klantmanager or a beheerder of the
//! municipality (who produce it for a person, also one without an account). The service
//! authorises and audits; these handlers only render.

use super::{render, Ctx, PageError, PageUser};
use crate::service::inzage::{self, DataExport, Section};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/kandidaat/gegevens/alles", web::get().to(own_page))
        .route("/kandidaat/gegevens/download", web::get().to(own_file))
        .route("/klantmanager/kandidaten/{id}/inzage", web::get().to(staff_page))
        .route("/klantmanager/kandidaten/{id}/inzage.json", web::get().to(staff_file));
}

#[derive(Template)]
#[template(path = "pages/inzage.html")]
struct InzagePage {
    ctx: Ctx,
    own: bool,
    cid: String,
    name: String,
    generated: String,
    sections: Vec<Section>,
}
crate::page!(InzagePage);

fn page(req: &HttpRequest, u: &crate::auth::CurrentUser, e: DataExport, own: bool) -> Result<HttpResponse, PageError> {
    let name = e
        .tables
        .get("candidates")
        .and_then(|r| r.first())
        .map(|c| format!("{} {}", c["first_name"].as_str().unwrap_or(""), c["last_name"].as_str().unwrap_or("")))
        .unwrap_or_default();
    let generated = crate::clock::local_datetime(e.generated_at).format("%d-%m-%Y om %H:%M").to_string();
    render(&InzagePage { ctx: Ctx::new(req, Some(u)), own, cid: e.candidate_id.clone(), name, generated, sections: inzage::sections(&e) })
}

async fn own_page(req: HttpRequest, state: web::Data<AppState>, user: PageUser) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let cid = u.own_candidate()?;
    let e = inzage::export_for(&state, &u, &cid).await?;
    page(&req, &u, e, true)
}

async fn own_file(state: web::Data<AppState>, user: PageUser) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let cid = u.own_candidate()?;
    let e = inzage::export_for(&state, &u, &cid).await?;
    Ok(crate::web::api::candidates::export_response(&e))
}

async fn staff_page(req: HttpRequest, state: web::Data<AppState>, user: PageUser, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let e = inzage::export_for(&state, &u, &path.into_inner()).await?;
    page(&req, &u, e, false)
}

async fn staff_file(state: web::Data<AppState>, user: PageUser, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let e = inzage::export_for(&state, &u, &path.into_inner()).await?;
    Ok(crate::web::api::candidates::export_response(&e))
}
