//! Typed configuration, read once from the command line and `OPSTAP_*` environment variables,
//! validated, and passed in the app state (no globals).

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: String,
    pub index_dir: PathBuf,
    pub refdata_dir: PathBuf,
    pub demo: bool,
    pub mail_dir: PathBuf,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// HS256 secret for session tokens; if None one is generated and kept in the database.
    pub jwt_secret: Option<String>,
    pub token_ttl_minutes: i64,
    pub public_url: String,
    /// Pool size of database connections.
    pub db_pool_size: u32,
    /// How long audit-log entries are kept, in days (never less than 183: six months).
    pub audit_retention_days: i64,
    /// Anonymous candidate profiles an employer account may view per hour.
    pub employer_profile_views_per_hour: u32,
    /// How often the background worker looks for mail to send and jobs to run, in seconds.
    pub worker_interval_secs: u64,
}

impl Config {
    /// A configuration for tests: everything under one directory.
    pub fn for_dir(dir: &std::path::Path, database_url: String, refdata_dir: PathBuf) -> Config {
        Config {
            database_url,
            bind: "127.0.0.1:0".into(),
            index_dir: dir.join("index"),
            refdata_dir,
            demo: false,
            mail_dir: dir.join("mail"),
            smtp_url: None,
            mail_from: "Opstap <noreply@opstap.test>".into(),
            jwt_secret: Some("test-secret-test-secret-test-secret".into()),
            token_ttl_minutes: 60,
            public_url: "http://127.0.0.1:8080".into(),
            db_pool_size: 4,
            audit_retention_days: 365,
            employer_profile_views_per_hour: 100,
            worker_interval_secs: 5,
        }
    }
}
