//! JSON API under /api/v1.

pub mod auth;
pub mod candidates;
pub mod esco;
pub mod health;
pub mod matches;
pub mod monitor;
pub mod organisations;
pub mod placements;
pub mod proposals;
pub mod records;
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
        .configure(records::configure)
        .configure(sroi::configure)
        .configure(search::configure)
        .configure(esco::configure)
        .configure(matches::configure)
        .configure(monitor::configure);
}

/// A reference to an ESCO item with the label to show.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LabelRef {
    pub id: String,
    pub label: String,
    /// `nl`, or `en` where ESCO has no Dutch label.
    pub language: String,
}

/// A page of results.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub total: usize,
    pub items: Vec<T>,
}

pub fn occupation_ref(rd: &crate::refdata::RefData, id: &str) -> LabelRef {
    match rd.occupation(id) {
        Some(o) => LabelRef { id: id.into(), label: o.label_nl.clone(), language: "nl".into() },
        None => LabelRef { id: id.into(), label: id.into(), language: "nl".into() },
    }
}

pub fn skill_ref(rd: &crate::refdata::RefData, id: &str) -> LabelRef {
    match rd.skill(id) {
        Some(s) => LabelRef { id: id.into(), label: s.label().into(), language: s.label_language().into() },
        None => LabelRef { id: id.into(), label: id.into(), language: "nl".into() },
    }
}

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
