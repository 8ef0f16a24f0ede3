//! Shared application state, built once and passed to every handler.

use crate::auth::JwtKeys;
use crate::config::Config;
use crate::db::{Backend, DbConnection, DbPool};
use crate::engine::Engine;
use crate::error::AppError;
use crate::refdata::RefData;
use crate::search::SharedRefData;
use actix_web::web;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: DbPool,
    pub backend: Backend,
    pub refdata: SharedRefData,
    pub engine: Engine,
    pub jwt: Arc<JwtKeys>,
    pub mailer: Arc<crate::mail::Mailer>,
    /// The keys services need (pseudonym secret, public URL, allowances).
    pub keys: Arc<crate::service::Keys>,
    /// The external identity provider to log in with, when configured.
    pub oidc: Option<Arc<crate::auth::oidc::Oidc>>,
    /// Group commit of the proposal logs and audit entries of the proposal path.
    pub journal: Arc<crate::journal::Journal>,
    /// SQLite allows one writer: serialising write transactions in the process avoids
    /// SQLITE_BUSY on lock upgrades. PostgreSQL does not need it.
    write_lock: Arc<parking_lot::Mutex<()>>,
    /// One permit per pooled connection, handed out first come, first served: requests queue
    /// here, in order, instead of as blocking threads on the pool, whose waiters are woken in
    /// no particular order (under load that unfairness, not the work, made the slowest
    /// percent of requests wait several times as long as the median).
    gate: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: Config,
        pool: DbPool,
        backend: Backend,
        refdata: SharedRefData,
        engine: Engine,
        jwt: JwtKeys,
        secret: String,
        mailer: crate::mail::Mailer,
    ) -> Self {
        let keys = Arc::new(crate::service::Keys::new(secret, config.public_url.clone(), config.employer_profile_views_per_hour));
        let write_lock = Arc::new(parking_lot::Mutex::new(()));
        // The journal has connections of its own (the writer's and, on SQLite, the
        // checkpointer's): a blocking `Journal::write` waits while holding one of the pool's, so
        // drawing from the same pool could leave it none (a deadlock under load).
        let size = if backend == Backend::Sqlite { 2 } else { 1 };
        let journal_pool = crate::db::connect(&config.database_url, size).expect("cannot open the journal's database connection");
        let journal = crate::journal::Journal::start(journal_pool, (backend == Backend::Sqlite).then(|| write_lock.clone()))
            .expect("cannot start the journal thread");
        let gate = Arc::new(tokio::sync::Semaphore::new(pool.max_size().max(1) as usize));
        let oidc = config.oidc.clone().map(|o| Arc::new(crate::auth::oidc::Oidc::new(o, &config.public_url)));
        AppState {
            gate,
            keys,
            oidc,
            journal: Arc::new(journal),
            mailer: Arc::new(mailer),
            config: Arc::new(config),
            pool,
            backend,
            refdata,
            engine,
            jwt: Arc::new(jwt),
            write_lock,
        }
    }

    /// What services read besides the database: the reference data and the keys.
    pub fn env(&self) -> crate::service::Env {
        crate::service::Env { refdata: self.refdata(), keys: self.keys.clone(), journal: self.journal.clone() }
    }

    /// A snapshot of the reference data.
    pub fn refdata(&self) -> Arc<RefData> {
        self.refdata.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until this instance's index writer has applied every committed change: after a
    /// write whose effect the same request shows (a reference-data change is loaded by the
    /// writer of every instance, so this also makes a new Dutch label visible here).
    pub async fn caught_up(&self) -> Result<(), AppError> {
        let engine = self.engine.clone();
        web::block(move || engine.flush()).await?;
        Ok(())
    }

    /// Runs blocking database work on the thread pool.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let _permit = self.gate.acquire().await.map_err(|e| AppError::Internal(e.into()))?;
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Runs read-only database work on one snapshot of the database (`db::read_snapshot`): every
    /// statement of `f` sees the same committed state. `f` must not write (use `tx`).
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.db(move |conn| crate::db::read_snapshot(conn, f)).await
    }

    /// Runs `f` in one write transaction (serialised on SQLite, and begun IMMEDIATE there, see
    /// `db::write_transaction`); rolled back on error, so a rejected request changes nothing.
    /// A lock held elsewhere for longer than the busy timeout is answered 503 with Retry-After. The changes `f` records (`db::changes::record`) are
    /// appended to the change feed as the transaction's last statement, and this instance's
    /// index writer is woken after the commit (other instances poll the feed).
    pub async fn tx<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let lock = self.write_lock.clone();
        let sqlite = self.backend == Backend::Sqlite;
        let _permit = self.gate.acquire().await.map_err(|e| AppError::Internal(e.into()))?;
        let (v, changed) = web::block(move || {
            let mut conn = pool.get()?;
            let c: &mut DbConnection = &mut conn;
            let started = std::time::Instant::now();
            // The in-process queue and SQLite's own wait together take at most `BUSY_WAIT`: a
            // lock held elsewhere makes every queued write wait once, not once each in turn.
            let _guard = if sqlite { Some(lock.try_lock_for(crate::db::BUSY_WAIT).ok_or(AppError::Busy { retry_after: 2 })?) } else { None };
            let queued = started.elapsed();
            let shortened = sqlite && queued > std::time::Duration::from_millis(20);
            if shortened {
                crate::db::set_busy_timeout(c, crate::db::BUSY_WAIT.saturating_sub(queued))?;
            }
            let collect = crate::db::changes::Collect::begin();
            let r = crate::db::write_transaction(c, |conn| {
                let v = f(conn)?;
                let changed = collect.finish(conn)?;
                Ok::<_, AppError>((v, changed))
            });
            // After the commit: a failure here must not turn an acknowledged write into an error.
            if shortened {
                if let Err(e) = crate::db::set_busy_timeout(c, crate::db::BUSY_WAIT) {
                    log::warn!("could not restore the busy timeout of a connection: {e}");
                }
            }
            r
        })
        .await??;
        if changed > 0 {
            self.engine.nudge();
        }
        Ok(v)
    }
}
