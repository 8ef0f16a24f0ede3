//! Shared application state, built once and passed to every handler.

use crate::auth::JwtKeys;
use crate::config::Config;
use crate::db::{Backend, DbConnection, DbPool};
use crate::error::AppError;
use crate::refdata::RefData;
use crate::search::{SearchIndex, SharedRefData};
use actix_web::web;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: DbPool,
    pub backend: Backend,
    pub refdata: SharedRefData,
    pub search: SearchIndex,
    pub jwt: Arc<JwtKeys>,
    /// Server secret for pseudonyms shown to employers (never sent to clients).
    pub secret: Arc<String>,
    pub mailer: Arc<crate::mail::Mailer>,
    /// Anonymous profile views per employer account (see `check_profile_views`).
    profile_limiter: Arc<governor::DefaultKeyedRateLimiter<String>>,
    /// SQLite allows one writer: serialising write transactions in the process avoids
    /// SQLITE_BUSY on lock upgrades. PostgreSQL does not need it.
    write_lock: Arc<Mutex<()>>,
}

impl AppState {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: Config,
        pool: DbPool,
        backend: Backend,
        refdata: RefData,
        search: SearchIndex,
        jwt: JwtKeys,
        secret: String,
        mailer: crate::mail::Mailer,
    ) -> Self {
        let per_hour = std::num::NonZeroU32::new(config.employer_profile_views_per_hour.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
        AppState {
            mailer: Arc::new(mailer),
            profile_limiter: Arc::new(governor::RateLimiter::keyed(governor::Quota::per_hour(per_hour))),
            config: Arc::new(config),
            pool,
            backend,
            refdata: Arc::new(std::sync::RwLock::new(Arc::new(refdata))),
            search,
            jwt: Arc::new(jwt),
            secret: Arc::new(secret),
            write_lock: Arc::new(Mutex::new(())),
        }
    }

    /// A snapshot of the reference data.
    pub fn refdata(&self) -> Arc<RefData> {
        self.refdata.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reloads the reference data from the database (after a beheerder changed a label).
    pub async fn reload_refdata(&self) -> Result<(), AppError> {
        let rd = self.db(|conn| Ok(RefData::load(conn)?)).await?;
        *self.refdata.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(rd);
        Ok(())
    }

    /// Runs blocking database work on the thread pool.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Runs `f` in one write transaction (serialised on SQLite); rolled back on error, so a
    /// rejected request changes nothing.
    pub async fn tx<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let lock = self.write_lock.clone();
        let sqlite = self.backend == Backend::Sqlite;
        web::block(move || {
            let mut conn = pool.get()?;
            let _guard = if sqlite { Some(lock.lock().unwrap_or_else(|e| e.into_inner())) } else { None };
            use diesel::Connection;
            let c: &mut DbConnection = &mut conn;
            c.transaction(f)
        })
        .await?
    }
}

impl AppState {
    /// Counts `n` anonymous candidate profiles shown to an employer account against its hourly
    /// allowance (GCRA: a burst of the hourly number, refilled evenly over the hour). Over the
    /// limit: 429 with the seconds until enough allowance is back.
    pub fn check_profile_views(&self, user_id: &str, n: usize) -> Result<(), AppError> {
        use governor::clock::{Clock, DefaultClock};
        let Some(n) = std::num::NonZeroU32::new(n.min(u32::MAX as usize) as u32) else { return Ok(()) };
        let key = user_id.to_string();
        match self.profile_limiter.check_key_n(&key, n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(AppError::TooManyRequests { retry_after: wait.as_secs().max(1) })
            }
            // More than the whole hourly allowance in one request.
            Err(_) => Err(AppError::TooManyRequests { retry_after: 3600 }),
        }
    }

    /// A stable pseudonym for a candidate as seen from one placement: employers can tell
    /// proposals apart without learning an id that links the person across placements.
    pub fn pseudonym(&self, placement_id: &str, candidate_id: &str) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.secret.as_bytes());
        h.update(b"|");
        h.update(placement_id.as_bytes());
        h.update(b"|");
        h.update(candidate_id.as_bytes());
        let d = h.finalize();
        format!("K-{}", d.iter().take(6).map(|b| format!("{b:02x}")).collect::<String>())
    }
}
