//! HTTP layer: thin handlers (validate -> domain/db -> enqueue index update -> respond).

pub mod api;
pub mod auth;
pub mod client;
pub mod extract;
pub mod observe;
pub mod openapi;
pub mod pages;
pub mod upload;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(extract::query_config())
        .app_data(extract::path_config())
        .app_data(extract::json_config())
        .route("/health", web::get().to(api::health::health))
        .route("/health/live", web::get().to(api::health::live))
        .route("/health/ready", web::get().to(api::health::ready))
        // The API first: a request is matched against the services in this order, and the pages'
        // paths with parameters are each a regular expression to try (route matching by regular
        // expression was 2.5% of a public search's CPU under load, about half of it here before
        // the API scope was reached). No page lives under /api/v1.
        .service(web::scope("/api/v1").configure(api::configure))
        .configure(pages::configure);
}
