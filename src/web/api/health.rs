//! GET /health (the full report), /health/live (the process answers) and /health/ready (the
//! database answers and the index is not being rebuilt).

pub use crate::service::health::{Component, FeedStatus, Health};
use crate::state::AppState;
use actix_web::{web, HttpResponse};

#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let body = crate::service::health::report(&state).await;
    if body.status == "down" {
        HttpResponse::ServiceUnavailable().json(body)
    } else {
        HttpResponse::Ok().json(body)
    }
}

/// Liveness: the process answers requests (a probe restarts it when this fails).
#[utoipa::path(get, path = "/health/live", tag = "health", responses((status = 200, description = "alive")))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "live" }))
}

/// Readiness: 200 when the database answers and the index is not being rebuilt, else 503 with
/// the full report.
#[utoipa::path(get, path = "/health/ready", tag = "health", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let body = crate::service::health::report(&state).await;
    if crate::service::health::is_ready(&body) {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// The Prometheus metrics; routed only on the metrics address (`OPSTAP_METRICS_BIND`).
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(crate::service::health::metrics(&state).await)
}
