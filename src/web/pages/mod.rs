//! Server-rendered pages (askama). Dutch, plain language.

use crate::db::schema::{municipalities, organisations, placements};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index)).route("/static/app.css", web::get().to(css));
}

#[derive(Template)]
#[template(path = "pages/index.html")]
struct IndexPage {
    placements: i64,
    municipalities: i64,
    attribution_esco: &'static str,
    attribution_geonames: &'static str,
}

fn html(t: impl Template) -> Result<HttpResponse, AppError> {
    let body = t.render().map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

async fn index(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let (p, m) = state
        .db(|conn| {
            let p: i64 = placements::table
                .inner_join(organisations::table)
                .filter(placements::status.eq("open"))
                .filter(organisations::verified.eq(true))
                .count()
                .get_result(conn)?;
            let m: i64 = municipalities::table.count().get_result(conn)?;
            Ok((p, m))
        })
        .await?;
    html(IndexPage { placements: p, municipalities: m, attribution_esco: crate::ATTRIBUTION_ESCO, attribution_geonames: crate::ATTRIBUTION_GEONAMES })
}

async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../../templates/static/app.css"))
}
