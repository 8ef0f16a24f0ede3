//! GET /health: database, index and reference-data status.

use crate::state::AppState;
use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde::Serialize;

#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Health {
    /// ok | degraded | down
    pub status: String,
    pub database: Component,
    pub index: Component,
    pub refdata: Component,
}

#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Component {
    pub ok: bool,
    pub detail: String,
}

#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let backend = format!("{:?}", state.backend).to_lowercase();
    let db = state.db(|conn| conn.batch_execute("SELECT 1").map_err(Into::into)).await;
    let database = Component { ok: db.is_ok(), detail: if db.is_ok() { backend } else { "database niet bereikbaar".into() } };
    let (np, nc) = state.search.num_docs();
    let writer = state.search.writer_running();
    let index = Component { ok: writer, detail: format!("{np} plaatsen, {nc} kandidaten; schrijver {}", if writer { "actief" } else { "gestopt" }) };
    let rd = state.refdata();
    let mut lacks = Vec::new();
    if !rd.has_pc4() {
        lacks.push("postcodes (geen afstanden)");
    }
    if !rd.has_esco() {
        lacks.push("ESCO (geen suggesties)");
    }
    let refdata = Component {
        ok: lacks.is_empty(),
        detail: if lacks.is_empty() {
            format!("{} postcodes, {} beroepen, {} vaardigheden", rd.pc4.len(), rd.occupations.len(), rd.skills.len())
        } else {
            format!("ontbreekt: {}", lacks.join(", "))
        },
    };
    let status = if !database.ok {
        "down"
    } else if !index.ok || !refdata.ok {
        "degraded"
    } else {
        "ok"
    };
    let body = Health { status: status.into(), database, index, refdata };
    if status == "down" {
        HttpResponse::ServiceUnavailable().json(body)
    } else {
        HttpResponse::Ok().json(body)
    }
}
