//! HTTP layer: thin handlers (validate -> domain/db -> enqueue index update -> respond).

pub mod api;
pub mod extract;
pub mod openapi;
pub mod pages;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(extract::query_config())
        .app_data(extract::path_config())
        .app_data(extract::json_config())
        .route("/health", web::get().to(api::health::health))
        .configure(pages::configure)
        .service(web::scope("/api/v1").configure(api::configure));
}
