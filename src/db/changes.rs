//! The durable change feed. Every write that changes what derived data shows (the search index,
//! the matcher's in-memory features of the engine) appends one row per changed entity to `changes`, in
//! the same transaction as the change itself. Each instance's index writer follows the table
//! and stores the position it has applied inside the index, so a crash, a restart or a second
//! instance on the same PostgreSQL all converge on the committed state.
//!
//! Order: `seq` must be the order in which rows become visible, or a follower that has seen
//! `seq = n` could miss a smaller `seq` committed later. SQLite serialises writers, so that holds
//! by itself. On PostgreSQL the appending transaction first takes a transaction-level advisory
//! lock (held until commit), so no two change-writing transactions overlap between taking a
//! `seq` and committing. Inside `AppState::tx` the rows are written at the very end of the
//! transaction, after every other lock it takes, so the advisory lock cannot be part of a
//! deadlock and is held only for the commit.

use super::schema::changes;
use super::{now, DbConnection};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::cell::RefCell;

/// What changed. Stored as text in `changes.entity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Entity {
    Placement,
    Candidate,
    /// Every placement of an organisation (its verification or name changed).
    Organisation,
    /// Rebuild the whole index from the database (`/admin/reindex`, `opstap reindex` while
    /// servers run): every instance does it.
    Rebuild,
    /// Reference data changed (import, a beheerder's Dutch label): reload it, then rebuild.
    Refdata,
    /// A municipality's matcher settings changed.
    Municipality,
    /// An SROI contract changed, or a match that counts towards it started or ended.
    Sroi,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<Entity> {
        s.parse().ok()
    }
}

/// One row of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub entity: Entity,
    pub id: String,
}

/// Arbitrary but fixed key of the PostgreSQL advisory lock that orders appends.
const PG_APPEND_LOCK: i64 = 0x6f70_7374_6170; // "opstap"

thread_local! {
    /// Changes recorded inside the write transaction running on this thread (see `Collect`).
    static PENDING: RefCell<Option<Pending>> = const { RefCell::new(None) };
}

/// The changes a transaction recorded, in order, each once (a set beside the list, so that a
/// batch of thousands of changes is not a quadratic scan).
#[derive(Default)]
struct Pending {
    rows: Vec<(Entity, String)>,
    seen: std::collections::HashSet<(Entity, String)>,
}

/// Collects the changes recorded by the transaction that runs on this thread, so that
/// `AppState::tx` can append them as its last statement. Dropping it (also on a panic or an
/// error) discards what was collected: a rolled-back transaction announces nothing.
pub struct Collect(());

impl Collect {
    pub fn begin() -> Collect {
        PENDING.with(|p| *p.borrow_mut() = Some(Pending::default()));
        Collect(())
    }

    /// Appends what was collected (call inside the transaction, last); returns how many rows.
    pub fn finish(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        let rows = PENDING.with(|p| p.borrow_mut().as_mut().map(std::mem::take)).unwrap_or_default().rows;
        append(conn, &rows)?;
        Ok(rows.len())
    }
}

impl Drop for Collect {
    fn drop(&mut self) {
        PENDING.with(|p| *p.borrow_mut() = None);
    }
}

/// Records that `entity` `id` changed. Inside `AppState::tx` the row is appended at the end of
/// that transaction; elsewhere (CLI, seed, jobs on a bare connection) it is appended now, so call
/// it inside the transaction of the change.
pub fn record(conn: &mut DbConnection, entity: Entity, id: &str) -> QueryResult<()> {
    let deferred = PENDING.with(|p| match p.borrow_mut().as_mut() {
        Some(p) => {
            let row = (entity, id.to_string());
            if p.seen.insert(row.clone()) {
                p.rows.push(row);
            }
            true
        }
        None => false,
    });
    if deferred {
        return Ok(());
    }
    append(conn, &[(entity, id.to_string())])
}

/// Appends rows now and returns the position of the last one (for "wait until applied").
pub fn record_now(conn: &mut DbConnection, entity: Entity, id: &str) -> QueryResult<i64> {
    append(conn, &[(entity, id.to_string())])?;
    latest(conn)
}

fn append(conn: &mut DbConnection, rows: &[(Entity, String)]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if super::backend_of(conn) == super::Backend::Postgres {
        conn.batch_execute(&format!("SELECT pg_advisory_xact_lock({PG_APPEND_LOCK})"))?;
    }
    let t = now();
    for chunk in rows.chunks(500) {
        let values: Vec<_> =
            chunk.iter().map(|(e, id)| (changes::entity.eq(e.as_str()), changes::entity_id.eq(id.as_str()), changes::created_at.eq(t))).collect();
        crate::insert_all!(conn, changes::table, &values)?;
    }
    Ok(())
}

/// The position of the newest change (0 when there is none).
pub fn latest(conn: &mut DbConnection) -> QueryResult<i64> {
    Ok(changes::table.select(diesel::dsl::max(changes::seq)).first::<Option<i64>>(conn)?.unwrap_or(0))
}

/// When the oldest change after position `after` was written (None: there is none).
pub fn oldest_after(conn: &mut DbConnection, after: i64) -> QueryResult<Option<chrono::NaiveDateTime>> {
    changes::table.filter(changes::seq.gt(after)).select(diesel::dsl::min(changes::created_at)).first(conn)
}

/// Up to `limit` changes after position `after`, oldest first.
pub fn after(conn: &mut DbConnection, after: i64, limit: i64) -> QueryResult<Vec<Change>> {
    let rows: Vec<(i64, String, String)> = changes::table
        .filter(changes::seq.gt(after))
        .order(changes::seq)
        .limit(limit)
        .select((changes::seq, changes::entity, changes::entity_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(seq, e, id)| match Entity::parse(&e) {
            Some(entity) => Some(Change { seq, entity, id }),
            None => {
                log::warn!("change {seq}: unknown entity {e:?} (written by a newer version?), skipped");
                None
            }
        })
        .collect())
}

/// The setting that remembers up to where the feed was pruned: an index whose position is
/// older than that has missed changes and must be rebuilt.
pub const PRUNED_THROUGH: &str = "changes_pruned_through";

/// Deletes changes older than `keep_days`, never the newest one (which keeps `latest` right).
/// Records the highest pruned position. Returns how many rows went.
pub fn prune(conn: &mut DbConnection, keep_days: i64) -> QueryResult<usize> {
    let cutoff = now() - chrono::Duration::days(keep_days);
    let newest = latest(conn)?;
    let through: Option<i64> =
        changes::table.filter(changes::created_at.lt(cutoff)).filter(changes::seq.lt(newest)).select(diesel::dsl::max(changes::seq)).first(conn)?;
    let Some(through) = through else { return Ok(0) };
    let n = diesel::delete(changes::table.filter(changes::seq.le(through))).execute(conn)?;
    super::queries::put_setting(conn, PRUNED_THROUGH, &through.to_string())?;
    Ok(n)
}

/// Up to where the feed was pruned (0: never).
pub fn pruned_through(conn: &mut DbConnection) -> QueryResult<i64> {
    Ok(super::queries::get_setting(conn, PRUNED_THROUGH)?.and_then(|s| s.parse().ok()).unwrap_or(0))
}

/// A random id of this database, made once: an index records it with its position, so an index
/// written from another database (a restored backup, a test folder reused) is rebuilt.
pub fn database_id(conn: &mut DbConnection) -> QueryResult<String> {
    if let Some(id) = super::queries::get_setting(conn, "database_id")? {
        return Ok(id);
    }
    let id = uuid::Uuid::new_v4().to_string();
    match super::queries::put_setting(conn, "database_id", &id) {
        Ok(()) => Ok(id),
        // Another instance made it at the same moment.
        Err(_) => super::queries::get_setting(conn, "database_id").map(|s| s.unwrap_or(id)),
    }
}
