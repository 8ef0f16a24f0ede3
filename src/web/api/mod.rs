//! JSON API under /api/v1.

pub mod auth;
pub mod candidates;
pub mod client_groups;
pub mod esco;
pub mod health;
pub mod imports;
pub mod matches;
pub mod monitor;
pub mod organisations;
pub mod placements;
pub mod proposals;
pub mod records;
pub mod registrations;
pub mod search;
pub mod sroi;
pub mod users;

use actix_web::web;
use serde::Serialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(super::openapi::openapi_json))
        .configure(auth::configure)
        .configure(users::configure)
        .configure(organisations::configure)
        .configure(placements::configure)
        .configure(proposals::configure)
        .configure(candidates::configure)
        .configure(client_groups::configure)
        .configure(imports::configure)
        .configure(records::configure)
        .configure(registrations::configure)
        .configure(sroi::configure)
        .configure(search::configure)
        .configure(esco::configure)
        .configure(matches::configure)
        .configure(monitor::configure);
}

/// A page of results.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub total: usize,
    pub items: Vec<T>,
}

pub use crate::service::labels::{occupation_ref, skill_ref, LabelRef};

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct Paging {
    /// 1..=200, default 50
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

impl Paging {
    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(50).clamp(1, 200)
    }
    pub fn offset(&self) -> usize {
        self.offset.unwrap_or(0)
    }
}
