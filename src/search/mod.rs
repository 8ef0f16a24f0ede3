//! Full-text and faceted search over placements and candidates (tantivy, on disk).
//!
//! The index is derived data, fed from the database's change feed (`db::changes`): one writer
//! thread per instance follows the feed, reloads each changed row from the database, and commits
//! the position it has applied inside the index (the commit payload), only after the commit. At
//! start it catches up from that position; an index that is missing, of another schema version,
//! written from another database, behind a pruned part of the feed, or damaged (it cannot be
//! opened, a checksum fails, a file is missing, a search fails) is rebuilt from the database.
//! Several instances on one PostgreSQL each keep their own index and converge on the same
//! committed state: the local writer is woken after a local commit, and every writer polls the
//! feed every `POLL_INTERVAL` for the writes of other instances.

pub mod docs;
pub mod query;
pub mod schema;

use crate::db::changes::{self, Change, Entity};
use crate::db::queries::{placements_full, CandidateFull, PlacementFull};
use crate::db::DbConnection;
use crate::db::{models::*, schema as t, DbPool};
use crate::refdata::RefData;
use diesel::prelude::*;
use schema::{CandidateFields, PlacementFields, SCHEMA_VERSION};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};
use tantivy::directory::{Directory, MmapDirectory, INDEX_WRITER_LOCK};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// How often a writer looks for changes written by other instances.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);
const WRITER_HEAP: usize = 128 * 1024 * 1024;
/// Changes read from the feed per step.
const BATCH: i64 = 2000;
/// A search that fails asks for a rebuild at most this often.
const REBUILD_REQUEST_EVERY_SECS: i64 = 60;
/// After a failed write to the index (disk full, folder gone, no permission) the writer tries
/// again after `POLL_INTERVAL`, doubling per further failure up to this: short enough that the
/// index heals within a few seconds of the fault clearing.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(2);

pub type SharedRefData = Arc<RwLock<Arc<RefData>>>;

/// What the writer thread is asked to do besides following the feed.
enum Op {
    /// Look at the feed now (a local write committed).
    Nudge,
    /// Answer once every change committed before this was sent is applied and visible.
    Flush(mpsc::Sender<()>),
    /// Rebuild this instance's index from the database (a search found it damaged).
    Rebuild(String),
}

pub struct Part<F> {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: F,
}

/// The position stored in each index's commit payload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Position {
    seq: i64,
    db: String,
}

/// Derived data that follows the change feed beside the index, at the same position (the
/// engine's features). The writer reads each changed row once and hands it to the index and
/// to the companion; what a batch changed is published after the index commit and before the
/// index is revealed, so a search that finds a document finds the companion's data of it as new
/// or newer, never older. The index knows nothing of what the companion keeps.
pub trait Companion: Send + Sync {
    /// A collector for one batch of changes, or for a full pass (`full`: every row follows, and
    /// the collector's data replaces all at `publish`). `rd` is the reference data in force.
    fn collector(&self, conn: &mut DbConnection, full: bool, rd: Arc<RefData>) -> anyhow::Result<Box<dyn Collector>>;
}

/// What a companion gathers from one batch or pass; see [`Companion`].
pub trait Collector {
    /// A placement as it is now (None: deleted).
    fn placement(&mut self, id: &str, row: Option<&PlacementFull>);
    /// A candidate as it is now (None: deleted).
    fn candidate(&mut self, id: &str, row: Option<&CandidateFull>);
    /// Municipalities (their settings) and SROI contracts that changed in a batch.
    fn others(&mut self, conn: &mut DbConnection, municipalities: &[String], sroi: &[String]) -> anyhow::Result<()>;
    /// Makes what was gathered visible, at feed position `seq`.
    fn publish(self: Box<Self>, seq: i64);
}

/// How the index stands, for `/health`.
#[derive(Debug, Default)]
pub struct IndexStatus {
    applied: AtomicI64,
    running: AtomicBool,
    error: Mutex<Option<String>>,
    last_rebuild_request: AtomicI64,
    rebuilds: AtomicI64,
    /// Failed attempts to write the index since the last success (0: writing works).
    write_failures: AtomicI64,
    /// A full rebuild is running (searches see the old index or an empty one until it is done).
    rebuilding: AtomicBool,
    cv: (Mutex<()>, Condvar),
}

/// A snapshot of `IndexStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexState {
    /// Position in the change feed applied and visible in search.
    pub applied: i64,
    pub writer_running: bool,
    /// The last error of the index (a failed search, commit or feed read), until the next
    /// successful rebuild or commit.
    pub error: Option<String>,
    /// Rebuilds since start (not counting the one at start).
    pub rebuilds: i64,
    /// Failed attempts to write the index since the last success (0: writing works).
    pub write_failures: i64,
    /// A full rebuild is running.
    pub rebuilding: bool,
}

/// The read side, shared by all handlers; plus the channel to the writer thread.
#[derive(Clone)]
pub struct SearchIndex {
    pub placements: Arc<Part<PlacementFields>>,
    pub candidates: Arc<Part<CandidateFields>>,
    tx: Arc<Mutex<Option<mpsc::Sender<Op>>>>,
    status: Arc<IndexStatus>,
    pub dir: PathBuf,
    /// The reference data the writer follows: free text is looked up in its labels.
    refdata: SharedRefData,
}

/// What `start` did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StartReport {
    /// Why the index was rebuilt at start (None: it was kept and caught up).
    pub rebuilt: Option<String>,
    pub placements: usize,
    pub candidates: usize,
    /// Changes applied to catch up from the stored position.
    pub caught_up: usize,
    pub seconds: f64,
}

/// Whether another process holds the writer lock of the index part in `dir`.
fn writer_lock_held(dir: &Path) -> bool {
    let Ok(d) = MmapDirectory::open(dir) else {
        return false;
    };
    matches!(d.acquire_lock(&INDEX_WRITER_LOCK), Err(tantivy::directory::error::LockError::LockBusy))
}

/// Whether a running `opstap serve` (or another writer) holds this index.
pub fn in_use(dir: &Path) -> bool {
    writer_lock_held(&dir.join("placements")) || writer_lock_held(&dir.join("candidates"))
}

/// Opens an existing part and checks it can be read: every file of every segment present
/// with a valid checksum, and a reader that answers a query.
fn open_checked(dir: &Path) -> Result<(Index, IndexReader), String> {
    let index = Index::open_in_dir(dir).map_err(|e| format!("cannot open: {e}"))?;
    schema::register_tokenizers(&index);
    let metas = index.searchable_segment_metas().map_err(|e| format!("cannot read the segment list: {e}"))?;
    for m in &metas {
        for f in m.list_files() {
            // The delete file is listed for every segment but exists only when it has deletes.
            let is_del = f.extension().is_some_and(|e| e == "del");
            if !dir.join(&f).exists() && (!is_del || m.has_deletes()) {
                return Err(format!("file {} is missing", f.display()));
            }
        }
    }
    let damaged = index.validate_checksum().map_err(|e| format!("cannot check: {e}"))?;
    if !damaged.is_empty() {
        let names: Vec<String> = damaged.iter().map(|p| p.display().to_string()).collect();
        return Err(format!("damaged files: {}", names.join(", ")));
    }
    let reader: IndexReader = reader_of(&index).map_err(|e| format!("cannot read: {e}"))?;
    reader.searcher().search(&tantivy::query::AllQuery, &tantivy::collector::Count).map_err(|e| format!("cannot search: {e}"))?;
    Ok((index, reader))
}

/// Opens the part in `dir`, or creates it empty when it is missing, of another schema version
/// (`wipe`) or damaged. Returns the part and, when it was (re)created, why.
fn open_part<F>(dir: &Path, schema: tantivy::schema::Schema, fields: F, wipe: Option<&str>) -> anyhow::Result<(Part<F>, Option<String>)> {
    std::fs::create_dir_all(dir)?;
    let mmap = MmapDirectory::open(dir)?;
    let mut why = wipe.map(String::from);
    if why.is_none() {
        why = if !Index::exists(&mmap)? {
            Some("no index yet".into())
        } else {
            match open_checked(dir) {
                Ok((index, reader)) => return Ok((Part { index, reader, fields }, None)),
                Err(e) => {
                    log::error!("search index {} is damaged ({e}); rebuilding it from the database", dir.display());
                    Some(format!("damaged: {e}"))
                }
            }
        };
    }
    if writer_lock_held(dir) {
        anyhow::bail!("the search index {} is in use by another process (a running `opstap serve`?)", dir.display());
    }
    std::fs::remove_dir_all(dir)?;
    std::fs::create_dir_all(dir)?;
    let index = Index::create_in_dir(dir, schema)?;
    schema::register_tokenizers(&index);
    let reader = reader_of(&index)?;
    Ok((Part { index, reader, fields }, why))
}

/// Decompressed blocks of stored documents each segment keeps (tantivy's default is 100). The
/// only stored field is the id, read for every hit: with the national data a large segment
/// stores hundreds of 16 kB blocks, so at 100 most hits decompressed a block again
/// (6% of the CPU of a proposal). Bounded by the store's own size: about 45 bytes per document.
const DOC_STORE_CACHE_BLOCKS: usize = 4096;

fn reader_of(index: &Index) -> tantivy::Result<IndexReader> {
    index.reader_builder().reload_policy(ReloadPolicy::Manual).doc_store_cache_num_blocks(DOC_STORE_CACHE_BLOCKS).try_into()
}

/// Opens the index under `dir`. Returns why it must be rebuilt from the database, if it must
/// (missing, another schema version, damaged). `force` empties it in any case.
pub fn open(dir: &Path, force: bool) -> anyhow::Result<(SearchIndex, Option<String>)> {
    std::fs::create_dir_all(dir)?;
    let version_file = dir.join("SCHEMA_VERSION");
    let on_disk = std::fs::read_to_string(&version_file).ok().and_then(|s| s.trim().parse::<u32>().ok());
    let wipe = if force {
        Some("rebuild asked for".to_string())
    } else if on_disk.is_some() && on_disk != Some(SCHEMA_VERSION) {
        Some(format!("schema version {} on disk, {SCHEMA_VERSION} in this build", on_disk.unwrap_or(0)))
    } else {
        None
    };
    let (placements, why_p) = open_part(&dir.join("placements"), PlacementFields::build().schema, PlacementFields::build(), wipe.as_deref())?;
    let (candidates, why_c) = open_part(&dir.join("candidates"), CandidateFields::build().schema, CandidateFields::build(), wipe.as_deref())?;
    std::fs::write(&version_file, SCHEMA_VERSION.to_string())?;
    let why = match (why_p, why_c) {
        (Some(a), Some(b)) if a == b => Some(a),
        (Some(a), Some(b)) => Some(format!("placements: {a}; candidates: {b}")),
        (Some(a), None) => Some(format!("placements: {a}")),
        (None, Some(b)) => Some(format!("candidates: {b}")),
        (None, None) => None,
    };
    Ok((
        SearchIndex {
            placements: Arc::new(placements),
            candidates: Arc::new(candidates),
            tx: Arc::new(Mutex::new(None)),
            status: Arc::new(IndexStatus::default()),
            dir: dir.to_path_buf(),
            refdata: Arc::new(RwLock::new(Arc::new(RefData::default()))),
        },
        why,
    ))
}

/// Opens the index, brings it up to date with the database (rebuild or catch-up, before the
/// server answers) and starts the writer thread that follows the feed from then on.
pub fn start(
    dir: &Path,
    pool: DbPool,
    refdata: SharedRefData,
    companion: Option<Arc<dyn Companion>>,
    progress: bool,
) -> anyhow::Result<(SearchIndex, StartReport)> {
    let started = Instant::now();
    let (mut idx, mut why) = open(dir, false)?;
    // The labels' words for free-text search are built now, not by the first search.
    refdata.read().unwrap_or_else(|e| e.into_inner()).labels();
    idx.refdata = refdata.clone();
    let mut w = Writer::new(idx.clone(), pool, refdata)?;
    w.companion = companion;
    let mut conn = w.pool.get()?;
    let latest = changes::latest(&mut conn)?;
    let pruned = changes::pruned_through(&mut conn)?;
    drop(conn);
    if why.is_none() {
        let p = stored_position(&idx.placements.index);
        let c = stored_position(&idx.candidates.index);
        why = match (p, c) {
            (Some(p), Some(c)) if p.db != w.db || c.db != w.db => Some("written from another database".into()),
            (Some(p), Some(c)) => {
                let pos = p.seq.min(c.seq);
                if pos > latest {
                    Some(format!("at change {pos}, ahead of the database ({latest})"))
                } else if pos < pruned {
                    Some(format!("at change {pos}, before the pruned part of the feed ({pruned})"))
                } else {
                    w.pos = pos;
                    None
                }
            }
            _ => Some("no stored position".into()),
        };
    }
    let mut report = StartReport::default();
    match why {
        Some(reason) => {
            log::info!("search index: rebuilding from the database ({reason})");
            let (p, c) = w.rebuild(progress)?;
            report.rebuilt = Some(reason);
            report.placements = p;
            report.candidates = c;
        }
        None => {
            // The index was kept: the companion's data is read from the database as it is now
            // (the catch-up below re-applies the changes after the index's position, to both).
            w.load_companion(progress)?;
            report.caught_up = w.follow()?;
            let (p, c) = idx.num_docs();
            report.placements = p as usize;
            report.candidates = c as usize;
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    // Applied and visible: also when the catch-up had nothing to do (else `/health` would
    // report the whole feed as lag until the next write).
    idx.status.applied.store(w.pos, Ordering::SeqCst);
    let (tx, rx) = mpsc::channel::<Op>();
    *idx.tx.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
    idx.status.running.store(true, Ordering::SeqCst);
    std::thread::Builder::new().name("search-writer".into()).spawn(move || {
        w.run(rx);
        w.idx.status.running.store(false, Ordering::SeqCst);
    })?;
    Ok((idx, report))
}

fn stored_position(index: &Index) -> Option<Position> {
    index.load_metas().ok()?.payload.and_then(|p| serde_json::from_str(&p).ok())
}

impl SearchIndex {
    fn send(&self, op: Op) -> bool {
        match self.tx.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            Some(tx) => tx.send(op).is_ok(),
            None => false,
        }
    }
    /// Wakes the writer: a local transaction appended to the change feed.
    pub fn nudge(&self) {
        self.send(Op::Nudge);
    }
    /// Waits until every change committed so far is applied and visible in search.
    pub fn flush(&self) {
        let (tx, rx) = mpsc::channel();
        if self.send(Op::Flush(tx)) {
            let _ = rx.recv_timeout(Duration::from_secs(120));
        }
    }
    /// Waits until position `seq` is applied (at most `timeout`); true when it is.
    pub fn wait_applied(&self, seq: i64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (m, cv) = &self.status.cv;
        let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
        while self.status.applied.load(Ordering::SeqCst) < seq {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            g = cv.wait_timeout(g, left.min(Duration::from_millis(100))).unwrap_or_else(|e| e.into_inner()).0;
        }
        true
    }
    pub fn state(&self) -> IndexState {
        IndexState {
            applied: self.status.applied.load(Ordering::SeqCst),
            writer_running: self.status.running.load(Ordering::SeqCst),
            error: self.status.error.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            rebuilds: self.status.rebuilds.load(Ordering::SeqCst),
            write_failures: self.status.write_failures.load(Ordering::SeqCst),
            rebuilding: self.status.rebuilding.load(Ordering::SeqCst),
        }
    }
    /// The reference data whose labels free text is looked up in (set by `start`; an index
    /// only opened has none).
    pub(crate) fn refdata(&self) -> Arc<RefData> {
        self.refdata.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn writer_running(&self) -> bool {
        self.status.running.load(Ordering::SeqCst)
    }
    pub fn num_docs(&self) -> (u64, u64) {
        (self.placements.reader.searcher().num_docs(), self.candidates.reader.searcher().num_docs())
    }

    /// Passes a search result through; a failed search is recorded (health shows it) and asks
    /// the writer to rebuild the index from the database, at most once a minute.
    fn observe<T>(&self, r: anyhow::Result<T>) -> anyhow::Result<T> {
        if let Err(e) = &r {
            let msg = format!("search failed: {e:#}");
            log::error!("{msg}");
            *self.status.error.lock().unwrap_or_else(|e| e.into_inner()) = Some(msg.clone());
            let now = chrono::Utc::now().timestamp();
            let last = self.status.last_rebuild_request.load(Ordering::SeqCst);
            if now - last >= REBUILD_REQUEST_EVERY_SECS
                && self.status.last_rebuild_request.compare_exchange(last, now, Ordering::SeqCst, Ordering::SeqCst).is_ok()
            {
                self.send(Op::Rebuild(msg));
            }
        }
        r
    }
    pub fn search_placements(&self, pq: &query::PlacementQuery) -> anyhow::Result<query::SearchResult> {
        self.observe(self.search_placements_unchecked(pq))
    }
    pub fn search_candidates(&self, cq: &query::CandidateQuery) -> anyhow::Result<query::SearchResult> {
        self.observe(self.search_candidates_unchecked(cq))
    }
    pub fn retrieve_placements(&self, r: &query::PlacementRetrieval) -> anyhow::Result<Vec<(String, f32)>> {
        self.observe(self.retrieve_placements_unchecked(r))
    }
    pub fn retrieve_candidates(&self, r: &query::CandidateRetrieval) -> anyhow::Result<Vec<(String, f32)>> {
        self.observe(self.retrieve_candidates_unchecked(r))
    }
}

struct Writer {
    idx: SearchIndex,
    pw: IndexWriter<TantivyDocument>,
    cw: IndexWriter<TantivyDocument>,
    pool: DbPool,
    refdata: SharedRefData,
    /// Position applied and committed.
    pos: i64,
    /// The data kept beside the index (a server's features); `opstap reindex` builds the index
    /// only.
    companion: Option<Arc<dyn Companion>>,
    db: String,
    /// A write failed: the writers may hold operations that never reach the disk (tantivy
    /// drops the documents of an indexing worker that failed, and a later commit would then
    /// publish the position without them). Both are rolled back to their last commit first.
    dirty: bool,
    /// The index must be rebuilt from the database before anything else (a part was created
    /// again, empty, after its folder was removed; or a rebuild was asked for); kept until a
    /// rebuild succeeds.
    must_rebuild: Option<String>,
}

impl Writer {
    fn new(idx: SearchIndex, pool: DbPool, refdata: SharedRefData) -> anyhow::Result<Writer> {
        // The writer's own handle has no sender: when every handle of the application is gone
        // (the state dropped, e.g. at the end of a test), the channel disconnects and the thread
        // ends, closing its database connections, instead of polling on until process exit.
        let idx = SearchIndex { tx: Arc::new(Mutex::new(None)), ..idx };
        let lock_msg = "the search index is in use by another process (a running `opstap serve`?)";
        let pw: IndexWriter<TantivyDocument> = idx.placements.index.writer(WRITER_HEAP).map_err(|e| anyhow::anyhow!("{lock_msg}: {e}"))?;
        let cw: IndexWriter<TantivyDocument> = idx.candidates.index.writer(WRITER_HEAP).map_err(|e| anyhow::anyhow!("{lock_msg}: {e}"))?;
        let mut conn = pool.get()?;
        let db = changes::database_id(&mut conn)?;
        drop(conn);
        Ok(Writer { idx, pw, cw, pool, refdata, pos: 0, companion: None, db, dirty: false, must_rebuild: None })
    }

    fn run(&mut self, rx: mpsc::Receiver<Op>) {
        let mut failures: u32 = 0;
        loop {
            let mut flushes = Vec::new();
            let mut rebuild: Option<String> = None;
            let mut take = |op: Op, flushes: &mut Vec<mpsc::Sender<()>>| match op {
                Op::Nudge => {}
                Op::Flush(done) => flushes.push(done),
                Op::Rebuild(why) => rebuild = Some(why),
            };
            // After a failure the next try waits (a nudge does not hurry it; a flush does).
            let until = Instant::now() + if failures == 0 { POLL_INTERVAL } else { retry_wait(failures) };
            loop {
                match rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
                    Ok(op) => take(op, &mut flushes),
                    Err(mpsc::RecvTimeoutError::Timeout) => break,
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
                if failures == 0 || !flushes.is_empty() {
                    break;
                }
            }
            // Gather what else has arrived; one pass over the feed serves them all.
            while let Ok(op) = rx.try_recv() {
                take(op, &mut flushes);
            }
            match self.step(rebuild) {
                Ok(()) => {
                    if failures > 0 {
                        log::info!("search index: writing works again after {failures} failed attempt(s); applied up to change {}", self.pos);
                        *self.idx.status.error.lock().unwrap_or_else(|e| e.into_inner()) = None;
                    }
                    failures = 0;
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    self.dirty = true;
                    self.fail(format!("writing the index failed (attempt {failures}, next in {:.1} s): {e:#}", retry_wait(failures).as_secs_f64()));
                }
            }
            self.idx.status.write_failures.store(failures as i64, Ordering::SeqCst);
            for f in flushes {
                let _ = f.send(());
            }
        }
    }

    /// One round: repairs the writers after a failed write or a removed folder, rebuilds when
    /// that is due, and follows the feed. The position moves only after a durable commit.
    fn step(&mut self, rebuild: Option<String>) -> anyhow::Result<()> {
        let missing = self.missing_parts();
        if self.dirty || !missing.is_empty() {
            self.recover(&missing)?;
        }
        if let Some(why) = rebuild {
            self.must_rebuild.get_or_insert(why);
        }
        if let Some(why) = self.must_rebuild.clone() {
            log::warn!("search index: rebuilding from the database ({why})");
            self.idx.status.rebuilding.store(true, Ordering::SeqCst);
            let built = self.rebuild(false);
            self.idx.status.rebuilding.store(false, Ordering::SeqCst);
            let (p, c) = built.map_err(|e| e.context("rebuild"))?;
            self.must_rebuild = None;
            self.idx.status.rebuilds.fetch_add(1, Ordering::SeqCst);
            log::info!("search index rebuilt: {p} placements, {c} candidates");
        }
        self.follow().map_err(|e| e.context("following the change feed"))?;
        Ok(())
    }

    /// The parts whose commit file is gone (the folder removed while the server runs).
    fn missing_parts(&self) -> Vec<&'static str> {
        ["placements", "candidates"].into_iter().filter(|p| !self.idx.dir.join(p).join("meta.json").exists()).collect()
    }

    /// Starts both writers over from their last commit: whatever a failed write left in them
    /// is dropped (the feed position did not move past it, so it is applied again). A part
    /// whose folder is gone is created again, empty, and a rebuild is due.
    fn recover(&mut self, missing: &[&str]) -> anyhow::Result<()> {
        if !missing.is_empty() {
            log::warn!("search index: {} gone from {}; creating it again", missing.join(" and "), self.idx.dir.display());
            std::fs::create_dir_all(&self.idx.dir)?;
            std::fs::write(self.idx.dir.join("SCHEMA_VERSION"), SCHEMA_VERSION.to_string())?;
            for part in missing {
                let dir = self.idx.dir.join(part);
                std::fs::create_dir_all(&dir)?;
                // An empty index in the same folder: the readers open it by path at their next
                // reload, and the writers below start from it.
                let schema = if *part == "placements" { self.idx.placements.index.schema() } else { self.idx.candidates.index.schema() };
                Index::create_in_dir(&dir, schema)?;
            }
            self.must_rebuild = Some(format!("{} removed while running", missing.join(" and ")));
        }
        reset_writer(&mut self.pw, &self.idx.placements.index)?;
        reset_writer(&mut self.cw, &self.idx.candidates.index)?;
        self.dirty = false;
        Ok(())
    }

    fn fail(&self, msg: String) {
        log::error!("search index: {msg}");
        *self.idx.status.error.lock().unwrap_or_else(|e| e.into_inner()) = Some(msg);
    }

    fn refdata(&self) -> Arc<RefData> {
        self.refdata.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Applies every change after `pos`, batch by batch, committing the position of each batch.
    fn follow(&mut self) -> anyhow::Result<usize> {
        let mut applied = 0;
        loop {
            let mut conn = self.pool.get()?;
            let batch = changes::after(&mut conn, self.pos, BATCH)?;
            let Some(last) = batch.last().map(|c| c.seq) else {
                break;
            };
            applied += batch.len();
            let full = batch.iter().any(|c| c.entity == Entity::Rebuild || (c.entity == Entity::Refdata && c.id == "*"));
            if batch.iter().any(|c| c.entity == Entity::Refdata) {
                let rd = RefData::load(&mut conn)?;
                // The labels' words are built here, not by the first search after the swap.
                rd.labels();
                *self.refdata.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(rd);
            }
            drop(conn);
            if full {
                // The rebuild reads the database as it is now, which covers this batch.
                self.rebuild(false)?;
                self.idx.status.rebuilds.fetch_add(1, Ordering::SeqCst);
                continue;
            }
            let gathered = self.apply(&batch)?;
            self.commit(last)?;
            if let Some(g) = gathered {
                g.publish(last);
            }
            self.reveal(last)?;
        }
        Ok(applied)
    }

    /// Re-reads the changed rows and replaces their documents; returns what the companion
    /// gathered of them, to publish after the commit.
    fn apply(&mut self, batch: &[Change]) -> anyhow::Result<Option<Box<dyn Collector>>> {
        let rd = self.refdata();
        let mut placements: BTreeSet<String> = BTreeSet::new();
        let mut candidates: BTreeSet<String> = BTreeSet::new();
        let mut orgs: BTreeSet<String> = BTreeSet::new();
        let mut municipalities: BTreeSet<String> = BTreeSet::new();
        let mut sroi: BTreeSet<String> = BTreeSet::new();
        for c in batch {
            match c.entity {
                Entity::Placement => {
                    placements.insert(c.id.clone());
                }
                Entity::Candidate => {
                    candidates.insert(c.id.clone());
                }
                Entity::Organisation => {
                    orgs.insert(c.id.clone());
                }
                // A skill's labels or a municipality's face changed: `follow` has loaded the new
                // reference data, which searches look the labels up in; documents carry ids only.
                Entity::Refdata => {}
                Entity::Municipality => {
                    municipalities.insert(c.id.clone());
                }
                Entity::Sroi => {
                    sroi.insert(c.id.clone());
                }
                Entity::Rebuild => {}
            }
        }
        let mut conn = self.pool.get()?;
        let mut col = match &self.companion {
            Some(c) => Some(c.collector(&mut conn, false, rd.clone())?),
            None => None,
        };
        let pf = &self.idx.placements.fields;
        if !orgs.is_empty() {
            let org_ids: Vec<&String> = orgs.iter().collect();
            for o in &org_ids {
                self.pw.delete_term(Term::from_field_text(pf.organisation_id, o));
            }
            let ps: Vec<Placement> =
                t::placements::table.filter(t::placements::organisation_id.eq_any(&org_ids)).select(Placement::as_select()).load(&mut conn)?;
            for p in &ps {
                placements.remove(&p.id);
            }
            for p in placements_full(&mut conn, ps)? {
                self.pw.add_document(docs::placement_doc(pf, &p, &rd))?;
                if let Some(c) = col.as_mut() {
                    c.placement(&p.placement.id, Some(&p));
                }
            }
        }
        let ids: Vec<&String> = placements.iter().collect();
        for chunk in ids.chunks(500) {
            for id in chunk {
                self.pw.delete_term(Term::from_field_text(pf.id, id));
            }
            let ps: Vec<Placement> = t::placements::table.filter(t::placements::id.eq_any(chunk)).select(Placement::as_select()).load(&mut conn)?;
            let mut found: BTreeSet<String> = BTreeSet::new();
            for p in placements_full(&mut conn, ps)? {
                self.pw.add_document(docs::placement_doc(pf, &p, &rd))?;
                found.insert(p.placement.id.clone());
                if let Some(c) = col.as_mut() {
                    c.placement(&p.placement.id, Some(&p));
                }
            }
            if let Some(c) = col.as_mut() {
                chunk.iter().filter(|i| !found.contains(i.as_str())).for_each(|i| c.placement(i, None));
            }
        }
        let cf = &self.idx.candidates.fields;
        let ids: Vec<&String> = candidates.iter().collect();
        for chunk in ids.chunks(500) {
            for id in chunk {
                self.cw.delete_term(Term::from_field_text(cf.id, id));
            }
            let cs: Vec<Candidate> = t::candidates::table.filter(t::candidates::id.eq_any(chunk)).select(Candidate::as_select()).load(&mut conn)?;
            let mut found: BTreeSet<String> = BTreeSet::new();
            for c in crate::db::queries::candidates_for_matching(&mut conn, cs)? {
                self.cw.add_document(docs::candidate_doc(cf, &c, &rd))?;
                found.insert(c.candidate.id.clone());
                if let Some(g) = col.as_mut() {
                    g.candidate(&c.candidate.id, Some(&c));
                }
            }
            if let Some(g) = col.as_mut() {
                chunk.iter().filter(|i| !found.contains(i.as_str())).for_each(|i| g.candidate(i, None));
            }
        }
        if let Some(c) = col.as_mut() {
            if !municipalities.is_empty() || !sroi.is_empty() {
                let m: Vec<String> = municipalities.into_iter().collect();
                let s: Vec<String> = sroi.into_iter().collect();
                c.others(&mut conn, &m, &s)?;
            }
        }
        Ok(col)
    }

    /// Reads the companion's data of everything from the database (the index is kept).
    fn load_companion(&mut self, progress: bool) -> anyhow::Result<()> {
        let Some(companion) = self.companion.clone() else { return Ok(()) };
        feed_companion(&self.pool, &self.refdata(), companion.as_ref(), progress)
    }

    /// Commits both parts with position `seq` in their payload (durably, not yet visible).
    fn commit(&mut self, seq: i64) -> anyhow::Result<()> {
        let payload = serde_json::to_string(&Position { seq, db: self.db.clone() })?;
        let mut c = self.pw.prepare_commit()?;
        c.set_payload(&payload);
        c.commit()?;
        let mut c = self.cw.prepare_commit()?;
        c.set_payload(&payload);
        c.commit()?;
        Ok(())
    }

    /// Makes the index committed at `seq` visible to searches, after the features of the same
    /// batch are published: a search that finds a document always finds its features as new as
    /// the document or newer (a public search shows what the store holds of each hit), never
    /// older.
    fn reveal(&mut self, seq: i64) -> anyhow::Result<()> {
        self.idx.placements.reader.reload()?;
        self.idx.candidates.reader.reload()?;
        self.pos = seq;
        let st = &self.idx.status;
        st.applied.store(seq, Ordering::SeqCst);
        let (m, cv) = &st.cv;
        let _g = m.lock().unwrap_or_else(|e| e.into_inner());
        cv.notify_all();
        Ok(())
    }

    /// Deletes everything and adds every placement and candidate from the database, at the
    /// feed position read before the rows (later changes are applied after it, again). The
    /// features are built in the same pass and swapped in with the commit.
    fn rebuild(&mut self, progress: bool) -> anyhow::Result<(usize, usize)> {
        let rd = self.refdata();
        let mut conn = self.pool.get()?;
        let at = changes::latest(&mut conn)?;
        self.pw.delete_all_documents()?;
        self.cw.delete_all_documents()?;
        let mut col = match &self.companion {
            Some(c) => Some(c.collector(&mut conn, true, rd.clone())?),
            None => None,
        };
        let counts = scan(&mut conn, &self.pool, Some((&self.idx, &mut self.pw, &self.cw)), col.as_deref_mut(), &rd, progress)?;
        drop(conn);
        self.commit(at)?;
        if let Some(c) = col {
            c.publish(at);
        }
        self.reveal(at)?;
        *self.idx.status.error.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(counts)
    }
}

/// The wait before try `failures + 1` after a failed write: 0.2 s doubling, at most 2 s.
fn retry_wait(failures: u32) -> Duration {
    POLL_INTERVAL.saturating_mul(1 << failures.saturating_sub(1).min(8)).min(MAX_RETRY_WAIT)
}

/// Drops everything a writer holds since its last commit and gives it fresh indexing threads
/// (a worker that hit an I/O error is gone, and documents sent to it would be lost silently).
/// tantivy's `rollback` gives up the writer's lock if it fails half-way (and panics when called
/// again without one): then a new writer takes the lock.
fn reset_writer(w: &mut IndexWriter<TantivyDocument>, index: &Index) -> anyhow::Result<()> {
    if let Ok(Ok(_)) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| w.rollback())) {
        return Ok(());
    }
    log::warn!("search index: rollback failed; opening a new writer");
    *w = index.writer(WRITER_HEAP)?;
    Ok(())
}

/// Reads every placement and candidate for a companion alone (the index is not touched), and
/// publishes what it gathered at the database's feed position read first.
pub fn feed_companion(pool: &DbPool, rd: &Arc<RefData>, companion: &dyn Companion, progress: bool) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    let at = changes::latest(&mut conn)?;
    let mut col = companion.collector(&mut conn, true, rd.clone())?;
    scan(&mut conn, pool, None, Some(col.as_mut()), rd, progress)?;
    col.publish(at);
    Ok(())
}

/// Rows read from the database per step of a full pass.
const SCAN_BATCH: i64 = 2000;

/// One pass over every placement and candidate of the database: the features of all of them,
/// and, given an index, their documents. Rows are read in keyset-paged batches (the child rows
/// of a page as its id range: `queries::Parents::Page`) while the previous batches are turned
/// into documents and features, so memory holds a few batches, not
/// the database. Placements are read by one thread; candidates (more rows, and more child rows
/// each: reading them held one core while the other waited) by two, each on its own connection
/// over half of the ids, when the pool has a second connection free. Once the last placement
/// is added, its writer finishes its segments (`prepare_commit`, committed later with the
/// candidates) while the candidates are read.
fn scan(
    conn: &mut crate::db::DbConnection,
    pool: &crate::db::DbPool,
    index: Option<(&SearchIndex, &mut IndexWriter<TantivyDocument>, &IndexWriter<TantivyDocument>)>,
    mut companion: Option<&mut (dyn Collector + 'static)>,
    rd: &RefData,
    progress: bool,
) -> anyhow::Result<(usize, usize)> {
    let np: i64 = t::placements::table.count().get_result(conn)?;
    let nc: i64 = t::candidates::table.count().get_result(conn)?;
    let bar = if progress {
        let b = indicatif::ProgressBar::new((np + nc) as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} ({per_sec}, {eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b.set_message(if index.is_some() { "herindexeren" } else { "kenmerken" });
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut counts = (0usize, 0usize);
    // The second reader's connection, if one is free now (a pool of one, as some tests use,
    // reads on one thread) and there are enough candidates to share.
    let mut second = if nc >= 2 * SCAN_BATCH { pool.try_get() } else { None };
    // Candidates up to and including `split` are read by the first reader, the rest by the second.
    let split: Option<String> = match &second {
        Some(_) => t::candidates::table.select(t::candidates::id).order(t::candidates::id).offset(nc / 2).first(conn).optional()?,
        None => None,
    };
    enum Batch {
        P(Vec<PlacementFull>),
        PlacementsDone,
        C(Vec<CandidateFull>),
    }
    type Tx = mpsc::SyncSender<anyhow::Result<Batch>>;
    /// Candidates with ids above `after` (and at most `upto`), page by page.
    fn read_candidates(conn: &mut crate::db::DbConnection, tx: &Tx, mut after: String, upto: Option<&str>) -> anyhow::Result<()> {
        loop {
            let page = t::candidates::table.filter(t::candidates::id.gt(&after)).order(t::candidates::id).limit(SCAN_BATCH);
            let cs: Vec<Candidate> = match upto {
                Some(u) => page.filter(t::candidates::id.le(u)).select(Candidate::as_select()).load(conn)?,
                None => page.select(Candidate::as_select()).load(conn)?,
            };
            let Some(l) = cs.last() else { return Ok(()) };
            let last = l.id.clone();
            let full = crate::db::queries::candidates_page_for_matching(conn, cs, &after)?;
            after = last;
            if tx.send(Ok(Batch::C(full))).is_err() {
                return Ok(());
            }
        }
    }
    let (tx, rx) = mpsc::sync_channel::<anyhow::Result<Batch>>(3);
    let (idx, mut pw, cw) = match index {
        Some((i, p, c)) => (Some(i), Some(p), Some(c)),
        None => (None, None, None),
    };
    std::thread::scope(|scope| -> anyhow::Result<()> {
        // The first reader: keyset pages by id, placements then candidates.
        let split = split.as_deref();
        scope.spawn(move || {
            let mut run = || -> anyhow::Result<()> {
                let mut last = String::new();
                loop {
                    let ps: Vec<Placement> = t::placements::table
                        .filter(t::placements::id.gt(&last))
                        .order(t::placements::id)
                        .limit(SCAN_BATCH)
                        .select(Placement::as_select())
                        .load(conn)?;
                    let Some(l) = ps.last() else { break };
                    let page_last = l.id.clone();
                    let full = crate::db::queries::placements_page_full(conn, ps, &last)?;
                    last = page_last;
                    if tx.send(Ok(Batch::P(full))).is_err() {
                        return Ok(());
                    }
                }
                if tx.send(Ok(Batch::PlacementsDone)).is_err() {
                    return Ok(());
                }
                if let (Some(mut other), Some(split)) = (second.take(), split) {
                    let tx2 = tx.clone();
                    scope.spawn(move || {
                        if let Err(e) = read_candidates(&mut other, &tx2, split.to_string(), None) {
                            let _ = tx2.send(Err(e));
                        }
                    });
                    read_candidates(conn, &tx, String::new(), Some(split))
                } else {
                    read_candidates(conn, &tx, String::new(), None)
                }
            };
            if let Err(e) = run() {
                let _ = tx.send(Err(e));
            }
        });
        // Documents are built on two threads (this one and a helper) while the readers read on;
        // tantivy's own threads analyse their texts (schema::Memo: a shared title once, each
        // word's stem once).
        let mut placements_flushed = None;
        for b in rx {
            match b? {
                Batch::P(ps) => {
                    if let (Some(idx), Some(pw)) = (idx, pw.as_deref()) {
                        let f = &idx.placements.fields;
                        in_two(&ps, |p| {
                            pw.add_document(docs::placement_doc(f, p, rd))?;
                            Ok(())
                        })?;
                    }
                    if let Some(c) = companion.as_deref_mut() {
                        for p in &ps {
                            c.placement(&p.placement.id, Some(p));
                        }
                    }
                    counts.0 += ps.len();
                    bar.inc(ps.len() as u64);
                }
                Batch::PlacementsDone => {
                    // The placements' writer turns what it holds into segments now, alongside
                    // the candidates, instead of at the commit after them. Nothing is visible
                    // before that commit.
                    if let Some(pw) = pw.take() {
                        placements_flushed = Some(scope.spawn(move || pw.prepare_commit().map(|_| ())));
                    }
                }
                Batch::C(cs) => {
                    if let (Some(idx), Some(cw)) = (idx, cw) {
                        let f = &idx.candidates.fields;
                        in_two(&cs, |c| {
                            cw.add_document(docs::candidate_doc(f, c, rd))?;
                            Ok(())
                        })?;
                    }
                    if let Some(g) = companion.as_deref_mut() {
                        for c in &cs {
                            g.candidate(&c.candidate.id, Some(c));
                        }
                    }
                    counts.1 += cs.len();
                    bar.inc(cs.len() as u64);
                }
            }
        }
        if let Some(h) = placements_flushed {
            h.join().map_err(|_| anyhow::anyhow!("the placements' writer panicked"))??;
        }
        Ok(())
    })?;
    bar.finish();
    Ok(counts)
}

/// Runs `f` over `items` on two threads (this one and a helper).
fn in_two<T: Sync>(items: &[T], f: impl Fn(&T) -> anyhow::Result<()> + Sync) -> anyhow::Result<()> {
    let (a, b) = items.split_at(items.len() / 2);
    std::thread::scope(|s| {
        let f = &f;
        let h = s.spawn(move || b.iter().try_for_each(f));
        let first = a.iter().try_for_each(f);
        let second = h.join().map_err(|_| anyhow::anyhow!("a document builder panicked"))?;
        first.and(second)
    })
}

/// The `opstap reindex` command: when no server holds the index, empties it (whatever state
/// it is in, damaged included) and rebuilds it from the database; when servers run, asks every
/// instance through the change feed to rebuild its own index. Returns what happened.
pub fn reindex(dir: &Path, pool: &DbPool, progress: bool) -> anyhow::Result<ReindexOutcome> {
    if in_use(dir) {
        let mut conn = pool.get()?;
        let seq = changes::record_now(&mut conn, Entity::Rebuild, "cli")?;
        return Ok(ReindexOutcome::Requested { seq });
    }
    let started = Instant::now();
    let rd = RefData::load(&mut *pool.get()?)?;
    let (idx, _) = open(dir, true)?;
    let mut w = Writer::new(idx, pool.clone(), Arc::new(RwLock::new(Arc::new(rd))))?;
    let (placements, candidates) = w.rebuild(progress)?;
    let Writer { pw, cw, .. } = w;
    pw.wait_merging_threads()?;
    cw.wait_merging_threads()?;
    Ok(ReindexOutcome::Rebuilt { placements, candidates, seconds: started.elapsed().as_secs_f64() })
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReindexOutcome {
    Rebuilt {
        placements: usize,
        candidates: usize,
        seconds: f64,
    },
    /// Servers hold the index: a rebuild was appended to the feed at `seq`.
    Requested {
        seq: i64,
    },
}
