//! Storage: one `DbConnection` enum over SQLite (embedded default) and PostgreSQL (feature
//! `postgres`), chosen at runtime from `DATABASE_URL`. No actix here.

pub mod backup;
pub mod changes;
pub mod client_groups;
pub mod enums;
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
    // A URL of another database (mysql://, a typo) would otherwise open a SQLite file of that name.
    if let Some((scheme, _)) = url.split_once("://") {
        if !matches!(scheme, "sqlite" | "postgres" | "postgresql") {
            anyhow::bail!("DATABASE_URL {}: unknown scheme {scheme:?}; use sqlite://path or postgres://user:pass@host/db", redact_url(url));
        }
    }
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
/// The PostgreSQL advisory lock that instances starting at once take in turn for their set-up
/// (migrations, reference-data import, demo seed, the token secret): the first does the work,
/// the others then find it done. "opstap" in ASCII.
#[cfg(feature = "postgres")]
const SETUP_LOCK: i64 = 0x6f70_7374_6170;

/// Runs `f` holding the set-up lock. On PostgreSQL a session lock, held across `f`'s own
/// transactions and released after it (or when the connection closes, should the process die
/// half-way); it may be taken again inside `f` on the same connection. On SQLite (one file on
/// one host) `f` simply runs.
pub fn with_setup_lock<T>(conn: &mut DbConnection, f: impl FnOnce(&mut DbConnection) -> anyhow::Result<T>) -> anyhow::Result<T> {
    match conn {
        DbConnection::Sqlite(_) => f(conn),
        #[cfg(feature = "postgres")]
        DbConnection::Pg(_) => {
            conn.batch_execute(&format!("SELECT pg_advisory_lock({SETUP_LOCK})"))?;
            let result = f(conn);
            let unlocked = conn.batch_execute(&format!("SELECT pg_advisory_unlock({SETUP_LOCK})"));
            let value = result?;
            unlocked?;
            Ok(value)
        }
    }
}

/// Runs the pending migrations, under the set-up lock.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<usize> {
    with_setup_lock(conn, |conn| {
        Ok(match conn {
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map_err(|e| anyhow::anyhow!("{e}"))?.len(),
            #[cfg(feature = "postgres")]
            DbConnection::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS).map_err(|e| anyhow::anyhow!("{e}"))?.len(),
        })
    })
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

/// Runs read-only work on one snapshot. On SQLite that is one read transaction: besides the
/// consistency, SQLite checks at the start of each read transaction whether another connection
/// committed since this one last read, and if so drops the connection's whole page cache; with
/// the journal committing every few milliseconds, a request of five statements in autocommit
/// paid that up to five times (page reads again, allocations, the WAL lock). On PostgreSQL the
/// statements run in autocommit as before (no extra round trips for BEGIN and COMMIT).
pub fn read_snapshot<T, E>(conn: &mut DbConnection, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(_) => {
            use diesel::Connection;
            conn.transaction(f)
        }
        #[cfg(feature = "postgres")]
        DbConnection::Pg(_) => f(conn),
    }
}

/// The most a write waits for SQLite's write lock (the pragma's busy timeout above) before it is
/// answered as busy: the in-process queue and the wait for another process together.
pub const BUSY_WAIT: std::time::Duration = std::time::Duration::from_millis(5000);

/// Sets SQLite's busy timeout of this connection (a no-op on PostgreSQL).
pub fn set_busy_timeout(conn: &mut DbConnection, t: std::time::Duration) -> diesel::QueryResult<()> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConnection::Sqlite(c) => c.batch_execute(&format!("PRAGMA busy_timeout = {}", t.as_millis().max(1))),
        #[cfg(feature = "postgres")]
        DbConnection::Pg(_) => Ok(()),
    }
}

/// Runs `f` in a write transaction. On SQLite it begins IMMEDIATE: the write lock is taken at
/// BEGIN, where the busy timeout applies, so a lock held by another process (the CLI, a second
/// server on the same file) makes this wait, and then fail as busy (`is_busy`), instead of
/// failing at once when a deferred transaction that has read first tries to write. Inside an
/// open transaction it is a savepoint, as `Connection::transaction`.
pub fn write_transaction<T, E>(conn: &mut DbConnection, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    use diesel::Connection;
    type Tm = <DbConnection as Connection>::TransactionManager;
    let depth = Tm::transaction_manager_status_mut(conn).transaction_depth().map_err(E::from)?;
    match conn {
        DbConnection::Sqlite(inner) if depth.is_none() => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE").map_err(E::from)?;
        }
        _ => return conn.transaction(f),
    }
    // As `TransactionManager::transaction` does after its BEGIN.
    match f(conn) {
        Ok(v) => {
            Tm::commit_transaction(conn).map_err(E::from)?;
            Ok(v)
        }
        Err(e) => match Tm::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(e),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Whether a database error means another writer holds the lock (SQLite's "database is
/// locked" after the busy timeout; PostgreSQL's lock timeout or a serialisation failure):
/// worth trying again shortly, not a fault of the request.
pub fn is_busy(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        Error::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("database is locked")
                || m.contains("database table is locked")
                || m.contains("lock timeout")
                || m.contains("deadlock detected")
        }
        _ => false,
    }
}

/// Locks the row `id` of `table` for the rest of the transaction before it is read for an
/// update, so that an update without a `version` (last writer wins) behaves the same on both
/// backends: on PostgreSQL a concurrent writer waits here and then reads the row as the other
/// left it (without the lock its compare-and-set would miss and answer 409); on SQLite the
/// IMMEDIATE transaction (`write_transaction`) already holds the only write lock.
pub fn lock_row(conn: &mut DbConnection, table: &'static str, id: &str) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => {
            let _ = (table, id);
            Ok(())
        }
        #[cfg(feature = "postgres")]
        DbConnection::Pg(pg) => {
            diesel::sql_query(format!("SELECT id FROM {table} WHERE id = $1 FOR UPDATE")).bind::<diesel::sql_types::Text, _>(id).execute(pg)?;
            Ok(())
        }
    }
}

/// A new UUID v7 as text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Runs `body` with `c` bound to the inner connection (the same connection, so an open
/// transaction is kept); `body` is compiled once per backend. For the hot reads of the proposal
/// path: through `MultiConnection`, every run writes the statement's SQL text again to bind its
/// parameters (`SerializedQuery::walk_ast`; with wide rows of 40 columns each quoted, about 10%
/// of the server's CPU under proposal load), while a backend's own connection finds the
/// prepared statement by the query's type.
#[macro_export]
macro_rules! native {
    ($conn:expr, $c:ident => $body:expr) => {{
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            #[cfg(feature = "postgres")]
            $crate::db::DbConnection::Pg($c) => $body,
        }
    }};
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

/// `column IN (ids)` with the ids bound as one JSON array (see `id_in`), or `column` in a
/// range of ids (see `id_range`).
#[derive(Debug, Clone)]
pub struct IdIn<C> {
    column: C,
    ids: Ids,
    postgres: bool,
}

#[derive(Debug, Clone)]
enum Ids {
    Json(String),
    /// `after < column <= last`.
    Range(String, String),
}

/// `column IN (ids)` whose statement text does not depend on the number of ids, so the prepared
/// statement is cached: diesel's `eq_any` writes a placeholder per id and has the database
/// parse and plan the statement again each time (SQLite's parser was 11% of the CPU of a public
/// search). The ids are one JSON array: `json_each` on SQLite, `json_array_elements_text` on
/// PostgreSQL.
pub fn id_in<C, S: AsRef<str>>(conn: &DbConnection, column: C, ids: &[S]) -> IdIn<C> {
    let ids: Vec<&str> = ids.iter().map(|s| s.as_ref()).collect();
    IdIn { column, ids: Ids::Json(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())), postgres: backend_of(conn) == Backend::Postgres }
}

/// `after < column <= last`: the rows of every id in that range, read by the database as one
/// range of an index instead of one look-up per id (on SQLite 3-8x less time per page of a full
/// pass than `id_in` with the same 2,000 ids).
pub fn id_range<C>(column: C, after: &str, last: &str) -> IdIn<C> {
    IdIn { column, ids: Ids::Range(after.to_string(), last.to_string()), postgres: false }
}

impl<C: diesel::Expression> diesel::Expression for IdIn<C> {
    type SqlType = diesel::sql_types::Bool;
}

impl<C, DB> diesel::query_builder::QueryFragment<DB> for IdIn<C>
where
    DB: diesel::backend::Backend + diesel::sql_types::HasSqlType<diesel::sql_types::Text>,
    C: diesel::query_builder::QueryFragment<DB>,
    String: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        match &self.ids {
            Ids::Json(json) => {
                self.column.walk_ast(out.reborrow())?;
                if self.postgres {
                    out.push_sql(" IN (SELECT json_array_elements_text(CAST(");
                    out.push_bind_param::<diesel::sql_types::Text, _>(json)?;
                    out.push_sql(" AS json)))");
                } else {
                    out.push_sql(" IN (SELECT value FROM json_each(");
                    out.push_bind_param::<diesel::sql_types::Text, _>(json)?;
                    out.push_sql("))");
                }
            }
            Ids::Range(after, last) => {
                out.push_sql("(");
                self.column.walk_ast(out.reborrow())?;
                out.push_sql(" > ");
                out.push_bind_param::<diesel::sql_types::Text, _>(after)?;
                out.push_sql(" AND ");
                self.column.walk_ast(out.reborrow())?;
                out.push_sql(" <= ");
                out.push_bind_param::<diesel::sql_types::Text, _>(last)?;
                out.push_sql(")");
            }
        }
        Ok(())
    }
}

impl<C> diesel::query_builder::QueryId for IdIn<C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C: diesel::AppearsOnTable<QS>, QS: ?Sized> diesel::AppearsOnTable<QS> for IdIn<C> {}
impl<C: diesel::SelectableExpression<QS>, QS: ?Sized> diesel::SelectableExpression<QS> for IdIn<C> {}
impl<C> diesel::expression::ValidGrouping<()> for IdIn<C> {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}
