//! Full-text and faceted search over placements and candidates (tantivy, on disk).
//!
//! The index is derived data: it can be rebuilt from the database at any time. One writer
//! thread owns both `IndexWriter`s; handlers send it the ids of changed rows and it reloads
//! them from the database, so the index always converges on the committed state. Commits are
//! batched (at most `COMMIT_INTERVAL` after a change), which keeps changes visible within a second.

pub mod docs;
pub mod query;
pub mod schema;

use crate::db::queries::{candidate_full, candidates_full, placement_full, placements_full};
use crate::db::{models::*, schema as t, DbPool};
use crate::refdata::RefData;
use diesel::prelude::*;
use schema::{CandidateFields, PlacementFields, NL_TOKENIZER, SCHEMA_VERSION};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub const COMMIT_INTERVAL: Duration = Duration::from_millis(150);
const WRITER_HEAP: usize = 64 * 1024 * 1024;

pub type SharedRefData = Arc<RwLock<Arc<RefData>>>;

/// What the writer thread is asked to do.
pub enum IndexOp {
    Placement(String),
    Candidate(String),
    /// Re-index every placement of an organisation (its verification changed).
    Organisation(String),
    /// Rebuild everything from the database; answers with (placements, candidates).
    RebuildAll(mpsc::Sender<anyhow::Result<(usize, usize)>>),
    /// Commit now and answer when the change is visible.
    Flush(mpsc::Sender<()>),
}

pub struct Part<F> {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: F,
}

/// The read side, shared by all handlers; plus the channel to the writer thread.
#[derive(Clone)]
pub struct SearchIndex {
    pub placements: Arc<Part<PlacementFields>>,
    pub candidates: Arc<Part<CandidateFields>>,
    tx: Arc<std::sync::Mutex<Option<mpsc::Sender<IndexOp>>>>,
    pub dir: PathBuf,
}

fn open_part<F>(dir: &Path, schema: tantivy::schema::Schema, fields: F) -> anyhow::Result<(Part<F>, bool)> {
    std::fs::create_dir_all(dir)?;
    let mmap = tantivy::directory::MmapDirectory::open(dir)?;
    let fresh = !Index::exists(&mmap)?;
    let index = if fresh { Index::create_in_dir(dir, schema)? } else { Index::open_in_dir(dir)? };
    index.tokenizers().register(NL_TOKENIZER, schema::nl_analyzer());
    let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
    Ok((Part { index, reader, fields }, fresh))
}

/// Opens the index under `dir`. Returns whether it must be rebuilt from the database
/// (missing, or written with another schema version).
pub fn open(dir: &Path) -> anyhow::Result<(SearchIndex, bool)> {
    std::fs::create_dir_all(dir)?;
    let version_file = dir.join("SCHEMA_VERSION");
    let on_disk = std::fs::read_to_string(&version_file).ok().and_then(|s| s.trim().parse::<u32>().ok());
    let mut rebuild = on_disk != Some(SCHEMA_VERSION);
    if rebuild {
        for sub in ["placements", "candidates"] {
            let p = dir.join(sub);
            if p.exists() {
                std::fs::remove_dir_all(&p)?;
            }
        }
    }
    let (placements, fresh_p) = open_part(&dir.join("placements"), PlacementFields::build().schema, PlacementFields::build())?;
    let (candidates, fresh_c) = open_part(&dir.join("candidates"), CandidateFields::build().schema, CandidateFields::build())?;
    rebuild |= fresh_p || fresh_c;
    std::fs::write(&version_file, SCHEMA_VERSION.to_string())?;
    Ok((
        SearchIndex {
            placements: Arc::new(placements),
            candidates: Arc::new(candidates),
            tx: Arc::new(std::sync::Mutex::new(None)),
            dir: dir.to_path_buf(),
        },
        rebuild,
    ))
}

impl SearchIndex {
    /// Sends an operation to the writer thread (no-op if it is not running).
    pub fn send(&self, op: IndexOp) {
        if let Some(tx) = self.tx.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if tx.send(op).is_err() {
                log::error!("search writer thread has stopped; the index will be rebuilt at the next start");
            }
        }
    }
    pub fn placement_changed(&self, id: &str) {
        self.send(IndexOp::Placement(id.to_string()));
    }
    pub fn candidate_changed(&self, id: &str) {
        self.send(IndexOp::Candidate(id.to_string()));
    }
    pub fn organisation_changed(&self, id: &str) {
        self.send(IndexOp::Organisation(id.to_string()));
    }
    /// Waits until every change sent so far is committed and visible.
    pub fn flush(&self) {
        let (tx, rx) = mpsc::channel();
        self.send(IndexOp::Flush(tx));
        let _ = rx.recv_timeout(Duration::from_secs(30));
    }
    /// Rebuilds the whole index from the database through the writer thread.
    pub fn rebuild_all(&self) -> anyhow::Result<(usize, usize)> {
        let (tx, rx) = mpsc::channel();
        self.send(IndexOp::RebuildAll(tx));
        rx.recv_timeout(Duration::from_secs(3600)).map_err(|_| anyhow::anyhow!("search writer is not running"))?
    }
    pub fn writer_running(&self) -> bool {
        self.tx.lock().map(|g| g.is_some()).unwrap_or(false)
    }
    pub fn num_docs(&self) -> (u64, u64) {
        (self.placements.reader.searcher().num_docs(), self.candidates.reader.searcher().num_docs())
    }

    /// Starts the writer thread, which owns the index writers from now on.
    pub fn start_writer(&self, pool: DbPool, refdata: SharedRefData) -> anyhow::Result<()> {
        let pw: IndexWriter<TantivyDocument> = self.placements.index.writer(WRITER_HEAP)?;
        let cw: IndexWriter<TantivyDocument> = self.candidates.index.writer(WRITER_HEAP)?;
        let (tx, rx) = mpsc::channel::<IndexOp>();
        *self.tx.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
        let me = self.clone();
        std::thread::Builder::new().name("search-writer".into()).spawn(move || {
            let mut w = Writer { idx: me, pw, cw, pool, refdata };
            w.run(rx);
        })?;
        Ok(())
    }
}

struct Writer {
    idx: SearchIndex,
    pw: IndexWriter<TantivyDocument>,
    cw: IndexWriter<TantivyDocument>,
    pool: DbPool,
    refdata: SharedRefData,
}

impl Writer {
    fn run(&mut self, rx: mpsc::Receiver<IndexOp>) {
        loop {
            // Wait for the first op, then gather whatever arrives within the commit interval.
            let first = match rx.recv() {
                Ok(op) => op,
                Err(_) => return,
            };
            let deadline = Instant::now() + COMMIT_INTERVAL;
            let mut ops = vec![first];
            while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                match rx.recv_timeout(left) {
                    Ok(op) => {
                        let urgent = matches!(op, IndexOp::Flush(_) | IndexOp::RebuildAll(_));
                        ops.push(op);
                        if urgent {
                            break;
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => break,
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
            let mut flushes = Vec::new();
            for op in ops {
                match op {
                    IndexOp::Flush(done) => flushes.push(done),
                    IndexOp::RebuildAll(done) => {
                        let r = self.rebuild();
                        let _ = done.send(r);
                    }
                    other => {
                        if let Err(e) = self.apply(other) {
                            log::error!("search index update failed: {e:#}");
                        }
                    }
                }
            }
            if let Err(e) = self.commit() {
                log::error!("search index commit failed: {e:#}");
            }
            for f in flushes {
                let _ = f.send(());
            }
        }
    }

    fn apply(&mut self, op: IndexOp) -> anyhow::Result<()> {
        let rd = self.refdata.read().unwrap_or_else(|e| e.into_inner()).clone();
        let mut conn = self.pool.get()?;
        match op {
            IndexOp::Placement(id) => {
                let f = &self.idx.placements.fields;
                self.pw.delete_term(Term::from_field_text(f.id, &id));
                if let Some(p) = placement_full(&mut conn, &id)? {
                    self.pw.add_document(docs::placement_doc(f, &p, &rd))?;
                }
            }
            IndexOp::Organisation(org) => {
                let f = &self.idx.placements.fields;
                let ps: Vec<Placement> =
                    t::placements::table.filter(t::placements::organisation_id.eq(&org)).select(Placement::as_select()).load(&mut conn)?;
                self.pw.delete_term(Term::from_field_text(f.organisation_id, &org));
                for p in placements_full(&mut conn, ps)? {
                    self.pw.add_document(docs::placement_doc(f, &p, &rd))?;
                }
            }
            IndexOp::Candidate(id) => {
                let f = &self.idx.candidates.fields;
                self.cw.delete_term(Term::from_field_text(f.id, &id));
                if let Some(c) = candidate_full(&mut conn, &id)? {
                    self.cw.add_document(docs::candidate_doc(f, &c, &rd, chrono::Utc::now().date_naive()))?;
                }
            }
            IndexOp::RebuildAll(_) | IndexOp::Flush(_) => {}
        }
        Ok(())
    }

    fn commit(&mut self) -> anyhow::Result<()> {
        self.pw.commit()?;
        self.cw.commit()?;
        self.idx.placements.reader.reload()?;
        self.idx.candidates.reader.reload()?;
        Ok(())
    }

    fn rebuild(&mut self) -> anyhow::Result<(usize, usize)> {
        let rd = self.refdata.read().unwrap_or_else(|e| e.into_inner()).clone();
        let mut conn = self.pool.get()?;
        let r = rebuild_into(&mut conn, &rd, &self.idx, &mut self.pw, &mut self.cw, false)?;
        self.commit()?;
        Ok(r)
    }
}

/// Deletes everything and adds every placement and candidate from the database.
fn rebuild_into(
    conn: &mut crate::db::DbConnection,
    rd: &RefData,
    idx: &SearchIndex,
    pw: &mut IndexWriter<TantivyDocument>,
    cw: &mut IndexWriter<TantivyDocument>,
    progress: bool,
) -> anyhow::Result<(usize, usize)> {
    pw.delete_all_documents()?;
    cw.delete_all_documents()?;
    let today = chrono::Utc::now().date_naive();
    let ps: Vec<Placement> = t::placements::table.order(t::placements::id).select(Placement::as_select()).load(conn)?;
    let cs: Vec<Candidate> = t::candidates::table.order(t::candidates::id).select(Candidate::as_select()).load(conn)?;
    let bar = if progress {
        let b = indicatif::ProgressBar::new((ps.len() + cs.len()) as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} ({per_sec}, {eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b.set_message("herindexeren");
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let (np, nc) = (ps.len(), cs.len());
    for chunk in ps.chunks(2000) {
        for p in placements_full(conn, chunk.to_vec())? {
            pw.add_document(docs::placement_doc(&idx.placements.fields, &p, rd))?;
        }
        bar.inc(chunk.len() as u64);
    }
    for chunk in cs.chunks(2000) {
        for c in candidates_full(conn, chunk.to_vec())? {
            cw.add_document(docs::candidate_doc(&idx.candidates.fields, &c, rd, today))?;
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish();
    Ok((np, nc))
}

/// Offline rebuild (the `opstap reindex` command): takes the writer locks itself, so it fails
/// with a clear message if a server holds them.
pub fn rebuild_offline(idx: &SearchIndex, pool: &DbPool, rd: &RefData, progress: bool) -> anyhow::Result<(usize, usize)> {
    let lock_msg = "the search index is in use by a running `opstap serve`; stop it first (or restart it: it rebuilds a missing index)";
    let mut pw: IndexWriter<TantivyDocument> = idx.placements.index.writer(WRITER_HEAP).map_err(|e| anyhow::anyhow!("{lock_msg}: {e}"))?;
    let mut cw: IndexWriter<TantivyDocument> = idx.candidates.index.writer(WRITER_HEAP).map_err(|e| anyhow::anyhow!("{lock_msg}: {e}"))?;
    let mut conn = pool.get()?;
    let r = rebuild_into(&mut conn, rd, idx, &mut pw, &mut cw, progress)?;
    pw.commit()?;
    cw.commit()?;
    pw.wait_merging_threads()?;
    cw.wait_merging_threads()?;
    idx.placements.reader.reload()?;
    idx.candidates.reader.reload()?;
    Ok(r)
}
