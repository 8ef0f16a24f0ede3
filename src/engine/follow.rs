//! The engine's features follow the change feed beside the search index: the index's writer
//! reads each changed row once and hands it to the features (`search::Companion`), which are
//! published before the index shows the change.

use crate::db::models::Municipality;
use crate::db::queries::{CandidateFull, PlacementFull};
use crate::db::schema::{municipalities, sroi_contracts};
use crate::db::{DbConnection, DbPool};
use crate::domain::settings::Settings;
use crate::engine::features::{FeatureStore, Snapshot};
use crate::engine::matching::SroiState;
use crate::engine::ranking::{parse_settings, sroi_states_of};
use crate::engine::Engine;
use crate::refdata::RefData;
use crate::search::{Collector, Companion, SearchIndex, SharedRefData, StartReport};
use diesel::prelude::*;
use std::path::Path;
use std::sync::Arc;

/// Opens the index and the features, brings both up to date with the database and starts the
/// writer that follows the feed (`search::start`).
pub fn start(dir: &Path, pool: DbPool, refdata: SharedRefData, progress: bool) -> anyhow::Result<(Engine, StartReport)> {
    let features = FeatureStore::new();
    let companion: Arc<dyn Companion> = Arc::new(Follow(features.clone()));
    let (index, report) = crate::search::start(dir, pool, refdata, Some(companion), progress)?;
    Ok((Engine { index, features }, report))
}

/// An index opened without a writer (the benchmark) with its features read from the database
/// as it is now.
pub fn with_features(index: SearchIndex, pool: &DbPool, progress: bool) -> anyhow::Result<Engine> {
    let features = FeatureStore::new();
    let rd = Arc::new(RefData::load(&mut *pool.get()?)?);
    crate::search::feed_companion(pool, &rd, &Follow(features.clone()), progress)?;
    Ok(Engine { index, features })
}

/// The features as the index's companion.
struct Follow(FeatureStore);

impl Companion for Follow {
    fn collector(&self, conn: &mut DbConnection, full: bool, rd: Arc<RefData>) -> anyhow::Result<Box<dyn Collector>> {
        if !full {
            return Ok(Box::new(Batch { store: self.0.clone(), rd, updates: Vec::new() }));
        }
        let mut snap = Snapshot::default();
        for m in municipalities::table.select(Municipality::as_select()).load(conn)? {
            snap.put_settings(&m.id, parse_settings(&m.settings), m.settings_version);
        }
        let contracts: Vec<String> = sroi_contracts::table.select(sroi_contracts::id).load(conn)?;
        for (_, st) in sroi_states_of(conn, &contracts)? {
            snap.put_sroi(st);
        }
        Ok(Box::new(Full { store: self.0.clone(), rd, snap }))
    }
}

/// A full pass: a new snapshot, swapped in whole.
struct Full {
    store: FeatureStore,
    rd: Arc<RefData>,
    snap: Snapshot,
}

impl Collector for Full {
    fn placement(&mut self, _id: &str, row: Option<&PlacementFull>) {
        if let Some(p) = row {
            self.snap.put_placement(p, &self.rd);
        }
    }
    fn candidate(&mut self, _id: &str, row: Option<&CandidateFull>) {
        if let Some(c) = row {
            self.snap.put_candidate(c, &self.rd);
        }
    }
    fn others(&mut self, _: &mut DbConnection, _: &[String], _: &[String]) -> anyhow::Result<()> {
        Ok(())
    }
    fn publish(self: Box<Self>, seq: i64) {
        let Full { store, mut snap, .. } = *self;
        snap.set_applied(seq);
        store.replace(snap);
    }
}

/// One change of a batch, applied to the store at `publish`.
enum Update {
    Placement(String, Option<Box<PlacementFull>>),
    Candidate(String, Option<Box<CandidateFull>>),
    Settings(String, Option<Box<(Settings, i32)>>),
    Sroi(String, Option<SroiState>),
}

/// A batch of changes: gathered while the index is written, applied in place at `publish`.
struct Batch {
    store: FeatureStore,
    rd: Arc<RefData>,
    updates: Vec<Update>,
}

impl Collector for Batch {
    fn placement(&mut self, id: &str, row: Option<&PlacementFull>) {
        self.updates.push(Update::Placement(id.to_string(), row.map(|p| Box::new(p.clone()))));
    }
    fn candidate(&mut self, id: &str, row: Option<&CandidateFull>) {
        self.updates.push(Update::Candidate(id.to_string(), row.map(|c| Box::new(c.clone()))));
    }
    fn others(&mut self, conn: &mut DbConnection, municipalities: &[String], sroi: &[String]) -> anyhow::Result<()> {
        for m in municipalities {
            let row: Option<Municipality> = municipalities::table.find(m).select(Municipality::as_select()).first(conn).optional()?;
            self.updates.push(Update::Settings(m.clone(), row.map(|r| Box::new((parse_settings(&r.settings), r.settings_version)))));
        }
        if !sroi.is_empty() {
            let mut states = sroi_states_of(conn, sroi)?;
            for id in sroi {
                self.updates.push(Update::Sroi(id.clone(), states.remove(id)));
            }
        }
        Ok(())
    }
    fn publish(self: Box<Self>, seq: i64) {
        let Batch { store, rd, updates } = *self;
        store.write(|s| {
            s.set_applied(seq);
            for u in updates {
                match u {
                    Update::Placement(_, Some(p)) => s.put_placement(&p, &rd),
                    Update::Placement(id, None) => s.remove_placement(&id),
                    Update::Candidate(_, Some(c)) => s.put_candidate(&c, &rd),
                    Update::Candidate(id, None) => s.remove_candidate(&id),
                    Update::Settings(m, Some(b)) => s.put_settings(&m, b.0, b.1),
                    Update::Settings(m, None) => s.remove_settings(&m),
                    Update::Sroi(_, Some(st)) => s.put_sroi(st),
                    Update::Sroi(id, None) => s.remove_sroi(&id),
                }
            }
        });
    }
}
