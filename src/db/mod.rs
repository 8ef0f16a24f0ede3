//! Storage: one `DbConnection` enum over SQLite (embedded default) and PostgreSQL (feature
//! `postgres`), chosen at runtime from `DATABASE_URL`. No actix here.

pub mod changes;
pub mod models;
pub mod queries;
pub mod records;
pub mod schema;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

#[cfg(feature = "postgres")]
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(diesel::SqliteConnection),
    Pg(diesel::PgConnection),
}

#[cfg(not(feature = "postgres"))]
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(diesel::SqliteConnection),
}

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
#[cfg(feature = "postgres")]
pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

pub type DbPool = Pool<Manager>;
pub type PooledConn = PooledConnection<Manager>;

/// Which backend a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Turns `sqlite://path`, `sqlite:path` or a plain path into the file path SQLite opens.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url)
}

/// r2d2 manager that opens the backend named by the URL scheme (the derive's own `establish`
/// would try SQLite first and could create a file named after a postgres URL).
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
}

impl Manager {
    pub fn new(url: impl Into<String>) -> Self {
        Manager { url: url.into() }
    }
}

/// Per connection: foreign keys, WAL, wait for locks, a 32 MB page cache (the default 2 MB cache
/// turns every lookup into read() syscalls) and no memory map: SQLite drops a connection's cache
/// and unmaps its whole map when another connection has written since its last read, so with the
/// journal committing every few milliseconds each request's first read paid a munmap, the
/// TLB shootdowns on every core and the page faults to map it again (measured: 1,226 -> 1,353
/// proposals/s over HTTP without the map).
/// The lock timeout comes first: switching to WAL takes a lock another connection may hold.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA mmap_size = 0; PRAGMA cache_size = -32000; PRAGMA temp_store = MEMORY;";

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match Backend::of_url(&self.url) {
            Backend::Sqlite => {
                let path = sqlite_path(&self.url);
                let mut c = diesel::SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
                c.batch_execute(SQLITE_PRAGMAS).map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(c))
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres => diesel::PgConnection::establish(&self.url).map(DbConnection::Pg).map_err(r2d2::Error::ConnectionError),
            #[cfg(not(feature = "postgres"))]
            Backend::Postgres => Err(r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(
                "this binary was built without PostgreSQL support: rebuild with `--features postgres`".into(),
            ))),
        }
    }

    /// Checked when a connection is taken from the pool: a PostgreSQL connection may have been
    /// closed by the server; an SQLite connection is a file handle that cannot be (the check was a
    /// statement per request, 1% of CPU under load).
    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        match conn {
            DbConnection::Sqlite(_) => Ok(()),
            #[cfg(feature = "postgres")]
            DbConnection::Pg(c) => c.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError),
        }
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// Opens a pool. For SQLite the parent directory of the file is created first.
pub fn connect(url: &str, max_size: u32) -> anyhow::Result<DbPool> {
    if Backend::of_url(url) == Backend::Sqlite {
        let path = std::path::Path::new(sqlite_path(url));
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)?;
            }
        }
        // Switch to WAL once, before the pool opens several connections at the same time.
        Manager::new(url).connect().map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", redact_url(url)))?;
    }
    let pool = Pool::builder()
        .max_size(max_size)
        .connection_timeout(std::time::Duration::from_secs(10))
        .build(Manager::new(url))
        .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", redact_url(url)))?;
    Ok(pool)
}

/// A URL for logs: the password (if any) replaced by `***`.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((cred, host)) = rest.split_once('@') {
            let user = cred.split(':').next().unwrap_or("");
            return format!("{scheme}://{user}:***@{host}");
        }
    }
    url.to_string()
}

/// Runs the pending migrations of the connection's backend; returns how many ran.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<usize> {
    let ran = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map_err(|e| anyhow::anyhow!("{e}"))?.len(),
        #[cfg(feature = "postgres")]
        DbConnection::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS).map_err(|e| anyhow::anyhow!("{e}"))?.len(),
    };
    Ok(ran)
}

pub fn backend_of(conn: &DbConnection) -> Backend {
    match conn {
        DbConnection::Sqlite(_) => Backend::Sqlite,
        #[cfg(feature = "postgres")]
        DbConnection::Pg(_) => Backend::Postgres,
    }
}

/// Current UTC time truncated to microseconds (what both backends store).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// A new UUID v7 as text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Multi-row INSERT. Batch inserts do not go through `MultiBackend` for SQLite, so this
/// matches on the inner connection (the same connection, so an open transaction is kept).
#[macro_export]
macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr) => {{
        match $conn {
            $crate::db::DbConnection::Sqlite(c) => diesel::RunQueryDsl::execute(diesel::insert_into($table).values($rows), c),
            #[cfg(feature = "postgres")]
            $crate::db::DbConnection::Pg(c) => diesel::RunQueryDsl::execute(diesel::insert_into($table).values($rows), c),
        }
    }};
}
