//! How this instance stands: database, index, reference data (for `/health`, `/health/ready`
//! and the metrics).

use crate::state::AppState;
use diesel::connection::SimpleConnection;
use serde::Serialize;

#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Health {
    /// ok | degraded | down
    pub status: String,
    pub database: Component,
    pub index: Component,
    pub refdata: Component,
    pub feed: FeedStatus,
    /// A full index rebuild is running: searches are not complete until it is done.
    pub rebuilding: bool,
}

/// Where this instance's search index stands in the database's change feed.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FeedStatus {
    /// Newest change in the database.
    pub latest: i64,
    /// Change applied to this instance's index and visible in search.
    pub applied: i64,
    /// Changes not yet applied.
    pub lag_changes: i64,
    /// Age in milliseconds of the oldest change not yet applied (0: none).
    pub lag_ms: i64,
    /// The index's last error (a failed search, commit or feed read), if any.
    pub error: Option<String>,
    /// Full rebuilds of this instance's index since it started (admin reindex, damage).
    pub rebuilds: i64,
    /// Failed attempts to write the index since the last success (disk full, folder removed):
    /// the writer retries on its own, and the position does not move until a write succeeds.
    pub write_failures: i64,
}

#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Component {
    pub ok: bool,
    pub detail: String,
}

/// The full report. `status` is "down" when the database cannot be reached, "degraded" when
/// the index or the reference data is not right, else "ok".
pub async fn report(state: &AppState) -> Health {
    let backend = format!("{:?}", state.backend).to_lowercase();
    let db = state.db(|conn| conn.batch_execute("SELECT 1").map_err(Into::into)).await;
    let database = Component { ok: db.is_ok(), detail: if db.is_ok() { backend } else { "database niet bereikbaar".into() } };
    let (np, nc) = state.engine.num_docs();
    let ix = state.engine.state();
    let applied = ix.applied;
    let lag = state
        .db(move |conn| {
            let latest = crate::db::changes::latest(conn)?;
            let oldest = crate::db::changes::oldest_after(conn, applied)?;
            Ok((latest, oldest))
        })
        .await;
    let (latest, oldest) = lag.unwrap_or((applied, None));
    let lag_ms = oldest.map(|t| (crate::db::now() - t).num_milliseconds().max(0)).unwrap_or(0);
    // A writer that is stopped, an index error (a failing write included), or changes waiting
    // longer than 30 s. The lag is measured against the database's newest change, not against
    // the writer's last batch.
    let index_ok = ix.writer_running && ix.error.is_none() && ix.write_failures == 0 && lag_ms < 30_000;
    let index = Component {
        ok: index_ok,
        detail: format!(
            "{np} plaatsen, {nc} kandidaten; schrijver {}; wijziging {applied} van {latest} verwerkt{}",
            if ix.writer_running { "actief" } else { "gestopt" },
            match &ix.error {
                Some(e) => format!("; fout: {e}"),
                None => String::new(),
            }
        ),
    };
    let feed = FeedStatus {
        latest,
        applied,
        lag_changes: (latest - applied).max(0),
        lag_ms,
        error: ix.error.clone(),
        rebuilds: ix.rebuilds,
        write_failures: ix.write_failures,
    };
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
    Health { status: status.into(), database, index, refdata, feed, rebuilding: ix.rebuilding }
}

/// Ready for traffic: the database answers and the index is not being rebuilt (a load balancer
/// sends requests elsewhere until then).
pub fn is_ready(h: &Health) -> bool {
    h.database.ok && !h.rebuilding
}

/// The metrics in the Prometheus text format, with the gauges read now (index lag, outbox
/// backlog, database).
pub async fn metrics(state: &AppState) -> String {
    let h = report(state).await;
    let m = crate::metrics::get();
    m.database_up.set(i64::from(h.database.ok));
    m.index_lag_changes.set(h.feed.lag_changes);
    m.index_lag_ms.set(h.feed.lag_ms);
    m.index_rebuilding.set(i64::from(h.rebuilding));
    m.index_write_failures.set(h.feed.write_failures);
    if let Ok(n) = state.db(|conn| crate::mail::backlog(conn).map_err(Into::into)).await {
        m.outbox_backlog.set(n);
    }
    m.render()
}
