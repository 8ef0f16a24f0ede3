//! Group commit for the rows the proposal path must keep: the proposal log (AI Act) and the audit
//! entries of the candidates shown. A request hands its rows to one writer thread and waits
//! until they are committed: nothing is acknowledged before it is stored. The writer takes
//! everything that queued up while the previous transaction committed and writes it in one
//! transaction, so under load one commit (one fsync on SQLite) serves many requests, and the
//! proposal path holds SQLite's single write lock for one short transaction per group instead
//! of once per request.

use crate::db::models::{AuditEntry, ProposalLog};
use crate::db::schema::{audit_log, proposal_logs};
use crate::db::{DbConnection, DbPool};
use diesel::Connection;
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
    done: mpsc::SyncSender<Result<(), String>>,
}

/// Rows per transaction at most.
const GROUP_MAX: usize = 2000;

/// The handle requests write through.
pub struct Journal {
    tx: Mutex<mpsc::Sender<Job>>,
}

impl Journal {
    /// Starts the writer thread on `pool`, which must be its own (requests wait for the journal
    /// while holding a connection of the application's pool). `write_lock` is the in-process lock
    /// that serialises SQLite writers (None on PostgreSQL). The thread ends when the journal is
    /// dropped.
    pub fn start(pool: DbPool, write_lock: Option<Arc<Mutex<()>>>) -> anyhow::Result<Journal> {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new().name("journal".into()).spawn(move || run(pool, write_lock, rx))?;
        Ok(Journal { tx: Mutex::new(tx) })
    }

    /// Stores `entries` durably (with those of other requests); returns once they are committed.
    pub fn write(&self, entries: Entries) -> anyhow::Result<()> {
        if entries.len() == 0 {
            return Ok(());
        }
        let (done, wait) = mpsc::sync_channel(1);
        self.tx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(Job { entries, done })
            .map_err(|_| anyhow::anyhow!("the journal writer has stopped"))?;
        match wait.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(anyhow::anyhow!("storing the proposal log failed: {e}")),
            Err(_) => Err(anyhow::anyhow!("the journal writer has stopped")),
        }
    }
}

fn insert(conn: &mut DbConnection, e: &Entries) -> diesel::QueryResult<()> {
    conn.transaction(|conn| {
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
fn store(pool: &DbPool, write_lock: &Option<Arc<Mutex<()>>>, e: &Entries) -> Result<(), String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let _g = write_lock.as_ref().map(|l| l.lock().unwrap_or_else(|e| e.into_inner()));
    insert(&mut conn, e).map_err(|e| e.to_string())
}

fn run(pool: DbPool, write_lock: Option<Arc<Mutex<()>>>, rx: mpsc::Receiver<Job>) {
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
