//! Group commit for the rows the proposal path must keep: the proposal log (AI Act) and the audit
//! entries of the candidates shown. A request hands its rows to one writer thread and waits
//! until they are committed: nothing is acknowledged before it is stored. The answer travels as
//! a [`Pending`] value, which gives it up only once its rows are stored; a handler awaits that
//! after it has returned its database connection, so waiting for the commit holds no
//! connection and no worker thread. The writer takes
//! everything that queued up while the previous transaction committed and writes it in one
//! transaction, so under load one commit (one fsync on SQLite) serves many requests, and the
//! proposal path holds SQLite's single write lock for one short transaction per group instead
//! of once per request.

use crate::db::models::{AuditEntry, ProposalLog};
use crate::db::schema::{audit_log, proposal_logs};
use crate::db::{DbConnection, DbPool};
use std::sync::{mpsc, Arc, Mutex};

/// Rows to store together.
#[derive(Debug, Clone, Default)]
pub struct Entries {
    pub proposal_logs: Vec<ProposalLog>,
    pub audit: Vec<AuditEntry>,
}

impl Entries {
    fn len(&self) -> usize {
        self.proposal_logs.len() + self.audit.len()
    }
    fn extend(&mut self, o: &Entries) {
        self.proposal_logs.extend(o.proposal_logs.iter().cloned());
        self.audit.extend(o.audit.iter().cloned());
    }
}

struct Job {
    entries: Entries,
    done: tokio::sync::oneshot::Sender<Result<(), String>>,
}

/// A value whose journal rows are on their way to the database: `stored` (in a handler) or
/// `wait` (on a blocking thread) gives it once they are committed, or the error if storing
/// failed. There is no other way to the value, so an answer cannot go out before its log.
#[must_use = "the value may only be used once its rows are stored: call `stored` or `wait`"]
pub struct Pending<T> {
    value: T,
    receipt: Option<tokio::sync::oneshot::Receiver<Result<(), String>>>,
}

impl<T> Pending<T> {
    /// A value with nothing to store.
    pub fn ready(value: T) -> Self {
        Pending { value, receipt: None }
    }

    /// Transforms the value; the rows stay pending.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Pending<U> {
        Pending { value: f(self.value), receipt: self.receipt }
    }

    /// The value, once its rows are committed (async: for handlers).
    pub async fn stored(self) -> anyhow::Result<T> {
        match self.receipt {
            None => Ok(self.value),
            Some(r) => outcome(r.await).map(|()| self.value),
        }
    }

    /// The value, once its rows are committed (blocking: for jobs, the CLI and blocking threads;
    /// never on an async worker).
    pub fn wait(self) -> anyhow::Result<T> {
        match self.receipt {
            None => Ok(self.value),
            Some(r) => outcome(r.blocking_recv()).map(|()| self.value),
        }
    }
}

/// What the writer answered, as an error for the request.
fn outcome(answer: Result<Result<(), String>, tokio::sync::oneshot::error::RecvError>) -> anyhow::Result<()> {
    match answer {
        Ok(Ok(())) => Ok(()),
        // Another process held the SQLite write lock past the busy timeout: try again shortly.
        Ok(Err(e)) if e.contains("database is locked") => Err(anyhow::Error::new(crate::error::AppError::Busy { retry_after: 2 })),
        Ok(Err(e)) => Err(anyhow::anyhow!("storing the proposal log failed: {e}")),
        Err(_) => Err(anyhow::anyhow!("the journal writer has stopped")),
    }
}

/// Rows per transaction at most.
const GROUP_MAX: usize = 2000;

/// The handle requests write through.
pub struct Journal {
    tx: Mutex<mpsc::Sender<Job>>,
    /// Dropped with the journal: ends the checkpointer.
    _stop: Option<mpsc::Sender<()>>,
}

/// How often the checkpointer copies the write-ahead log into the SQLite database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

impl Journal {
    /// Starts the writer thread on `pool`, which must be its own (a blocking `write` waits for the
    /// journal while holding a connection of the application's pool). `write_lock` is the in-process lock
    /// that serialises SQLite writers (None on PostgreSQL). The thread ends when the journal is
    /// dropped.
    ///
    /// On SQLite the writer does not checkpoint: a commit that crosses SQLite's automatic
    /// checkpoint threshold copies the log into the database file and syncs it inside that
    /// commit, so every request of the group waited for the disk (the slowest percent of
    /// proposal requests on a busy disk). A checkpointer thread on its own connection does it
    /// every half second instead, in passive mode: it never waits for, or blocks, a writer.
    pub fn start(pool: DbPool, write_lock: Option<Arc<parking_lot::Mutex<()>>>) -> anyhow::Result<Journal> {
        let (tx, rx) = mpsc::channel::<Job>();
        let sqlite = write_lock.is_some();
        let stop = if sqlite {
            let (stop, stopped) = mpsc::channel::<()>();
            let p = pool.clone();
            std::thread::Builder::new().name("checkpoint".into()).spawn(move || checkpoints(p, stopped))?;
            Some(stop)
        } else {
            None
        };
        std::thread::Builder::new().name("journal".into()).spawn(move || run(pool, write_lock, rx))?;
        Ok(Journal { tx: Mutex::new(tx), _stop: stop })
    }

    /// Hands `entries` to the writer, to be stored durably with those of other requests; the
    /// returned [`Pending`] gives `value` once they are committed.
    pub fn submit<T>(&self, value: T, entries: Entries) -> anyhow::Result<Pending<T>> {
        if entries.len() == 0 {
            return Ok(Pending::ready(value));
        }
        let (done, receipt) = tokio::sync::oneshot::channel();
        self.tx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(Job { entries, done })
            .map_err(|_| anyhow::anyhow!("the journal writer has stopped"))?;
        Ok(Pending { value, receipt: Some(receipt) })
    }

    /// Stores `entries` and waits until they are committed (blocking).
    pub fn write(&self, entries: Entries) -> anyhow::Result<()> {
        self.submit((), entries)?.wait()
    }
}

/// On SQLite, row by row: a single-row insert is one prepared statement, cached and reused,
/// while a multi-row insert's text depends on the number of rows and is written and parsed
/// again for every group (a tenth of the server's CPU under proposal load). On PostgreSQL,
/// where each statement is a round trip, in chunks.
fn insert(conn: &mut DbConnection, e: &Entries) -> diesel::QueryResult<()> {
    crate::db::write_transaction(conn, |conn| {
        if crate::db::backend_of(conn) == crate::db::Backend::Sqlite {
            for row in &e.proposal_logs {
                crate::insert_all!(conn, proposal_logs::table, row)?;
            }
            for row in &e.audit {
                crate::insert_all!(conn, audit_log::table, row)?;
            }
            return Ok(());
        }
        for chunk in e.proposal_logs.chunks(200) {
            crate::insert_all!(conn, proposal_logs::table, chunk)?;
        }
        for chunk in e.audit.chunks(500) {
            crate::insert_all!(conn, audit_log::table, chunk)?;
        }
        Ok(())
    })
}

/// Stores `e` in one transaction, under the SQLite write lock when there is one.
fn store(pool: &DbPool, write_lock: &Option<Arc<parking_lot::Mutex<()>>>, e: &Entries) -> Result<(), String> {
    use diesel::connection::SimpleConnection;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    if write_lock.is_some() {
        // Per connection, and the pool may have opened a new one: the checkpointer does it.
        conn.batch_execute("PRAGMA wal_autocheckpoint = 0").map_err(|e| e.to_string())?;
    }
    let _g = match write_lock {
        Some(l) => Some(l.try_lock_for(crate::db::BUSY_WAIT).ok_or("database is locked (queued behind other writers)")?),
        None => None,
    };
    insert(&mut conn, e).map_err(|e| e.to_string())
}

/// Copies the SQLite write-ahead log into the database file every `CHECKPOINT_EVERY`, until the
/// journal is dropped.
fn checkpoints(pool: DbPool, stopped: mpsc::Receiver<()>) {
    use diesel::connection::SimpleConnection;
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
        let done =
            pool.get().map_err(|e| e.to_string()).and_then(|mut c| c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)").map_err(|e| e.to_string()));
        if let Err(e) = done {
            log::warn!("checkpoint: {e}");
        }
    }
}

fn run(pool: DbPool, write_lock: Option<Arc<parking_lot::Mutex<()>>>, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        let mut n = jobs[0].entries.len();
        while n < GROUP_MAX {
            match rx.try_recv() {
                Ok(j) => {
                    n += j.entries.len();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        let mut all = Entries::default();
        for j in &jobs {
            all.extend(&j.entries);
        }
        match store(&pool, &write_lock, &all) {
            Ok(()) => {
                for j in jobs {
                    let _ = j.done.send(Ok(()));
                }
            }
            Err(e) if jobs.len() > 1 => {
                // One request's rows may be what failed: store each on its own, so the others
                // are not refused for it.
                log::warn!("journal: a group of {} requests failed ({e}); storing them one by one", jobs.len());
                for j in jobs {
                    let _ = j.done.send(store(&pool, &write_lock, &j.entries));
                }
            }
            Err(e) => {
                log::error!("journal: storing failed: {e}");
                for j in jobs {
                    let _ = j.done.send(Err(e.clone()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::models::ProposalLog;

    /// On SQLite the journal's own commits never checkpoint (that is the checkpointer's work, off
    /// the requests' path), yet the log does reach the database file: without the checkpointer,
    /// nothing would be copied there until the last connection closed.
    #[test]
    fn the_checkpointer_copies_the_journals_commits_into_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("j.sqlite");
        let url = format!("sqlite://{}", file.display());
        let pool = crate::db::connect(&url, 2).unwrap();
        crate::db::run_migrations(&mut pool.get().unwrap()).unwrap();
        let before = std::fs::metadata(&file).unwrap().len();
        let journal = Journal::start(pool.clone(), Some(Arc::new(parking_lot::Mutex::new(())))).unwrap();
        let results = "x".repeat(4000);
        for i in 0..300 {
            let log = ProposalLog {
                id: format!("log-{i:04}"),
                direction: "candidate".into(),
                subject_id: "c".into(),
                municipality_id: None,
                requested_by: "u".into(),
                role: "klantmanager".into(),
                settings_version: 1,
                include_excluded: false,
                results: results.clone(),
                created_at: chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap().and_hms_opt(10, 0, 0).unwrap(),
            };
            journal.write(Entries { proposal_logs: vec![log], audit: vec![] }).unwrap();
        }
        let stored: i64 = diesel::RunQueryDsl::get_result(diesel::QueryDsl::count(proposal_logs::table), &mut pool.get().unwrap()).unwrap();
        assert_eq!(stored, 300, "every acknowledged write is stored");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut size = std::fs::metadata(&file).unwrap().len();
        while size < before + 300 * 4000 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(100));
            size = std::fs::metadata(&file).unwrap().len();
        }
        assert!(size >= before + 300 * 4000, "the database file holds the log: {before} -> {size} bytes");
    }
}
