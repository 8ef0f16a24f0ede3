//! Backup and restore of the whole database. The search index is derived data: it is not in
//! the backup and is rebuilt from the restored database at the next start.
//!
//! - SQLite: `VACUUM INTO` writes a consistent copy while the server keeps running (an online
//!   backup: readers and writers go on; the copy is one transaction's snapshot). Restoring copies
//!   the file into place (temporary name, fsync, rename).
//! - PostgreSQL: `pg_dump --format=custom` (a consistent snapshot, online) and `pg_restore` into
//!   an empty database; both programs must be on the PATH (package postgresql-client).

use super::{connect, sqlite_path, Backend, DbConnection};
use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::path::Path;
use std::process::Command;

/// Writes a backup of the database at `url` to `to` (which must not exist yet).
pub fn backup(url: &str, to: &Path) -> anyhow::Result<u64> {
    if to.exists() {
        bail!("{} already exists; a backup never overwrites a file", to.display());
    }
    match Backend::of_url(url) {
        Backend::Sqlite => {
            let pool = connect(url, 1)?;
            let mut conn = pool.get()?;
            let target = to.to_str().context("the backup path is not valid UTF-8")?.replace('\'', "''");
            conn.batch_execute(&format!("VACUUM INTO '{target}'")).context("VACUUM INTO")?;
        }
        Backend::Postgres => {
            let out = Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                .arg(to)
                .arg("--dbname")
                .arg(url)
                .output()
                .context("running pg_dump (install postgresql-client)")?;
            if !out.status.success() {
                let _ = std::fs::remove_file(to);
                bail!("pg_dump failed: {}", String::from_utf8_lossy(&out.stderr).trim());
            }
        }
    }
    Ok(std::fs::metadata(to)?.len())
}

/// Restores the backup `from` into the database at `url`, which must be empty (a new SQLite file
/// or a PostgreSQL database without tables): a restore never mixes two databases. Migrations
/// newer than the backup are run afterwards.
pub fn restore(url: &str, from: &Path) -> anyhow::Result<usize> {
    if !from.is_file() {
        bail!("{} is not a file", from.display());
    }
    match Backend::of_url(url) {
        Backend::Sqlite => {
            let target = Path::new(sqlite_path(url));
            if target.exists() && std::fs::metadata(target)?.len() > 0 {
                bail!("{} exists; restore into a new database file (move the old one aside first)", target.display());
            }
            check_sqlite_backup(from)?;
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = target.with_extension("restoring");
            std::fs::copy(from, &tmp).with_context(|| format!("copying to {}", tmp.display()))?;
            std::fs::File::open(&tmp)?.sync_all()?;
            std::fs::rename(&tmp, target)?;
            for side in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{side}", target.display()));
            }
        }
        Backend::Postgres => {
            let pool = connect(url, 1)?;
            let mut conn = pool.get()?;
            if user_tables(&mut conn)? > 0 {
                bail!("the database is not empty; restore into a new database (createdb) so nothing is mixed");
            }
            drop(conn);
            drop(pool);
            let out = Command::new("pg_restore")
                .args(["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--dbname"])
                .arg(url)
                .arg(from)
                .output()
                .context("running pg_restore (install postgresql-client)")?;
            if !out.status.success() {
                bail!("pg_restore failed: {}", String::from_utf8_lossy(&out.stderr).trim());
            }
        }
    }
    let pool = connect(url, 1)?;
    let mut conn = pool.get()?;
    super::run_migrations(&mut conn)
}

/// The backup is an SQLite database that Opstap wrote and that is intact.
fn check_sqlite_backup(from: &Path) -> anyhow::Result<()> {
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        quick_check: String,
    }
    let mut c = diesel::sqlite::SqliteConnection::establish(from.to_str().context("path is not valid UTF-8")?)
        .with_context(|| format!("{} is not an SQLite database", from.display()))?;
    let check: Vec<Check> =
        diesel::sql_query("PRAGMA quick_check").load(&mut c).with_context(|| format!("{} is not an SQLite database", from.display()))?;
    if check.first().map(|c| c.quick_check.as_str()) != Some("ok") {
        bail!("{} is damaged: {}", from.display(), check.into_iter().map(|c| c.quick_check).collect::<Vec<_>>().join("; "));
    }
    let mut conn = DbConnection::Sqlite(c);
    if user_tables(&mut conn)? == 0 {
        bail!("{} holds no Opstap database", from.display());
    }
    Ok(())
}

/// Tables of the application (the migrations' own table counts: an Opstap database has it).
fn user_tables(conn: &mut DbConnection) -> anyhow::Result<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = match conn {
        DbConnection::Sqlite(_) => "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '__diesel_schema_migrations'",
        #[cfg(feature = "postgres")]
        DbConnection::Pg(_) => "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'",
    };
    let n: N = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(sql).get_result(c)?,
        #[cfg(feature = "postgres")]
        DbConnection::Pg(c) => diesel::sql_query(sql).get_result(c)?,
    };
    Ok(n.n)
}
