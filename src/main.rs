//! The `opstap` command: parse, build state, run. Every option also reads an environment
//! variable (`DATABASE_URL` and `OPSTAP_*`).

use clap::{Args, Parser, Subcommand};
use opstap::config::Config;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "opstap", version, about = "Opstap: werk en participatie voor mensen in de Participatiewet")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args, Debug, Clone)]
struct Global {
    /// Database: a SQLite file (sqlite://path or a path) or postgres://user:pass@host/db
    #[arg(long, env = "DATABASE_URL", default_value = opstap::config::DEFAULT_DATABASE_URL, global = true)]
    database_url: String,
    /// Folder of the search index
    #[arg(long, env = "OPSTAP_INDEX_DIR", default_value = "index", global = true)]
    index_dir: PathBuf,
    /// Folder with the reference data (ESCO, PC4)
    #[arg(long = "refdata", env = "OPSTAP_REFDATA", default_value = "../shared/data", global = true)]
    refdata: PathBuf,
    /// Mail folder (used when no SMTP URL is set)
    #[arg(long, env = "OPSTAP_MAIL_DIR", default_value = "data/mail", global = true)]
    mail_dir: PathBuf,
    /// SMTP server, e.g. smtp://user:pass@host:587 (STARTTLS) or smtps://host:465
    #[arg(long, env = "OPSTAP_SMTP_URL", global = true)]
    smtp_url: Option<String>,
    /// Sender of e-mail
    #[arg(long, env = "OPSTAP_MAIL_FROM", default_value = "Opstap <noreply@opstap.local>", global = true)]
    mail_from: String,
    /// Secret for session tokens (default: generated once and kept in the database)
    #[arg(long, env = "OPSTAP_JWT_SECRET", global = true, hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Lifetime of a session token in minutes
    #[arg(long, env = "OPSTAP_TOKEN_TTL_MINUTES", default_value_t = 480, global = true)]
    token_ttl_minutes: i64,
    /// Public base URL (for links in e-mail)
    #[arg(long, env = "OPSTAP_PUBLIC_URL", default_value = "http://127.0.0.1:8080", global = true)]
    public_url: String,
    /// Database connections in the pool
    #[arg(long, env = "OPSTAP_DB_POOL_SIZE", default_value_t = 8, global = true)]
    db_pool_size: u32,
    /// Days the audit log of access to personal data is kept (at least 183)
    #[arg(long, env = "OPSTAP_AUDIT_RETENTION_DAYS", default_value_t = 365, global = true,
          value_parser = clap::value_parser!(i64).range(183..))]
    audit_retention_days: i64,
    /// Anonymous candidate profiles one employer account may view per hour
    #[arg(long, env = "OPSTAP_EMPLOYER_PROFILE_VIEWS_PER_HOUR", default_value_t = 100, global = true,
          value_parser = clap::value_parser!(u32).range(1..))]
    employer_profile_views_per_hour: u32,
    /// Seconds between runs of the background worker (mail outbox, reminders, digests)
    #[arg(long, env = "OPSTAP_WORKER_INTERVAL_SECS", default_value_t = 5, global = true)]
    worker_interval_secs: u64,
    /// SMTP: seconds one step may take before the message is handed over (connect, greeting, commands)
    #[arg(long, env = "OPSTAP_SMTP_TIMEOUT_SECS", default_value_t = opstap::config::DEFAULT_SMTP_TIMEOUT_SECS, global = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    smtp_timeout_secs: u64,
    /// SMTP: seconds the server may take to confirm a message once it is sent (RFC 5321: 10 minutes)
    #[arg(long, env = "OPSTAP_SMTP_DATA_TIMEOUT_SECS", default_value_t = opstap::config::DEFAULT_SMTP_DATA_TIMEOUT_SECS, global = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    smtp_data_timeout_secs: u64,
    /// Seconds a worker's claim on an outbox message lasts without renewal (renewed while sending)
    #[arg(long, env = "OPSTAP_MAIL_LEASE_SECS", default_value_t = opstap::config::DEFAULT_MAIL_LEASE_SECS, global = true,
          value_parser = clap::value_parser!(u64).range(3..))]
    mail_lease_secs: u64,
    /// Reverse proxies whose X-Forwarded-For is believed: addresses or networks, comma-separated
    #[arg(long, env = "OPSTAP_TRUSTED_PROXIES", default_value = "", global = true, value_parser = opstap::config::parse_trusted_proxies)]
    trusted_proxies: opstap::config::TrustedProxies,
    /// Address for the Prometheus metrics (/metrics), e.g. 127.0.0.1:9464; not served when unset
    #[arg(long, env = "OPSTAP_METRICS_BIND", global = true)]
    metrics_bind: Option<String>,
    /// OpenID Connect provider to log in with besides the password (its issuer URL); off when unset
    #[arg(long, env = "OPSTAP_OIDC_ISSUER", global = true)]
    oidc_issuer: Option<String>,
    /// The client id registered at the OpenID Connect provider
    #[arg(long, env = "OPSTAP_OIDC_CLIENT_ID", global = true)]
    oidc_client_id: Option<String>,
    /// The client secret (HTTP Basic at the token endpoint); without it a public client with PKCE
    #[arg(long, env = "OPSTAP_OIDC_CLIENT_SECRET", global = true, hide_env_values = true)]
    oidc_client_secret: Option<String>,
    /// The text of the external login button
    #[arg(long, env = "OPSTAP_OIDC_LABEL", default_value = "Inloggen met een extern account", global = true)]
    oidc_label: String,
    /// Scopes to ask the provider for (openid is always added)
    #[arg(long, env = "OPSTAP_OIDC_SCOPES", default_value = "openid email", global = true)]
    oidc_scopes: String,
    /// Log lines as text or json (one object per line, with the request id)
    #[arg(long, env = "OPSTAP_LOG_FORMAT", default_value = "text", global = true, value_parser = ["text", "json"])]
    log_format: String,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the web platform (the default)
    Serve(ServeArgs),
    /// Run pending database migrations
    Migrate,
    /// Write a backup of the database while it is in use (SQLite: VACUUM INTO; PostgreSQL: pg_dump)
    Backup {
        /// The backup file to write (must not exist)
        to: PathBuf,
    },
    /// Restore a backup into an empty database (DATABASE_URL); the index is rebuilt at the next start
    Restore {
        /// The backup file written by `opstap backup`
        from: PathBuf,
    },
    /// Rebuild the search index from the database (stop the server first)
    Reindex,
    /// Bring in a caseload from the client system (CSV). A dry run unless --apply: every row that
    /// cannot be taken is reported (row, column, value, reason). Never a BSN.
    ImportCaseload {
        /// The CSV file (UTF-8 or Windows-1252; ";" "," or tab) or Excel workbook (.xlsx, first sheet)
        file: Option<PathBuf>,
        /// The municipality (CBS code or name)
        #[arg(long)]
        municipality: Option<String>,
        /// Which column is which field (JSON; default: the template's column names)
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// The klantmanager (e-mail) for rows that name none
        #[arg(long)]
        klantmanager: Option<String>,
        /// Write the rows (default: only check them)
        #[arg(long)]
        apply: bool,
        /// Write the report of rows not taken to this CSV file
        #[arg(long)]
        report: Option<PathBuf>,
        /// Print the default template (every column explained) and stop
        #[arg(long)]
        template: bool,
    },
    /// Import reference data (ESCO, PC4) from a folder; rows already present are kept
    ImportRefdata {
        /// Folder with the CSV files
        #[arg(long = "from", env = "OPSTAP_REFDATA")]
        from: PathBuf,
    },
    /// Measure the matcher's occupation relatedness on a public yardstick (O*NET's related
    /// occupations mapped onto ESCO): hit@5 and MRR of each closest pair among 50 unrelated
    /// occupations, overall and per ISCO major group, beside the essential-skill Jaccard baseline.
    /// The file is only measured against, never an input of the matcher.
    Relatedness {
        /// The ground-truth file (query_id,related_id,relation,onet_index)
        #[arg(long, default_value = "../shared/groundtruth/esco_related_occupations_dev.csv")]
        groundtruth: PathBuf,
    },
    /// National-scale benchmark (fixed seed): indexing throughput, proposal latency in both
    /// directions, an SQL-only baseline, peak memory. Uses its own database and index.
    Bench {
        #[arg(long, default_value_t = 200_000)]
        placements: usize,
        #[arg(long, default_value_t = 500_000)]
        candidates: usize,
        /// Proposal queries per direction
        #[arg(long, default_value_t = 200)]
        queries: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Working folder (emptied first)
        #[arg(long, default_value = "target/bench")]
        dir: PathBuf,
        /// Database for the benchmark (default: SQLite in the working folder)
        #[arg(long)]
        bench_database_url: Option<String>,
        /// Also write the report as JSON to this file
        #[arg(long)]
        json: Option<PathBuf>,
        /// Keep the database and index of a previous run in the working folder and only
        /// measure queries (for profiling; no generation or indexing figures)
        #[arg(long)]
        reuse: bool,
        /// Skip the SQL baseline (for profiling the index path alone)
        #[arg(long)]
        no_baseline: bool,
    },
    /// The platform under HTTP load (wrk, a fixed number of connections): candidate proposals
    /// and public placement search against `opstap serve` as its own process, on the demo region
    /// or on the data of an `opstap bench` run; the server's memory idle and at most.
    BenchHttp {
        /// Working folder (the demo database, the wrk scripts, the server's log)
        #[arg(long, default_value = "target/bench-http")]
        dir: PathBuf,
        /// Use the database and index of an `opstap bench` run in this folder (national data)
        #[arg(long)]
        national: Option<PathBuf>,
        #[arg(long, default_value_t = 18080)]
        port: u16,
        #[arg(long, default_value_t = 64)]
        connections: u32,
        #[arg(long, default_value_t = 2)]
        threads: u32,
        /// Seconds per load
        #[arg(long, default_value_t = 20)]
        seconds: u32,
        /// Also write the report as JSON to this file
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Benchmark the caseload import: writes a client-system file of --rows rows (fixed seed),
    /// imports it twice into an empty database with the index following, and reports rows/s, CPU
    /// time, the index's catch-up and peak memory
    BenchImport {
        #[arg(long, default_value_t = 500_000)]
        rows: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Working folder (emptied first)
        #[arg(long, default_value = "target/bench-import")]
        dir: PathBuf,
        /// Database for the benchmark (default: SQLite in the working folder)
        #[arg(long)]
        bench_database_url: Option<String>,
        /// Also write the report as JSON to this file
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Manage accounts
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
}

#[derive(Args, Debug, Default)]
struct ServeArgs {
    /// Address to listen on
    #[arg(long, env = "OPSTAP_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// Seed demo data into an empty database: auto (only on loopback with the default SQLite
    /// database and no https public URL), true (never with an https public URL) or false
    #[arg(long, env = "OPSTAP_DEMO", default_value = "auto")]
    demo: String,
}

#[derive(Subcommand, Debug)]
enum UserCmd {
    /// Create an account
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, env = "OPSTAP_USER_PASSWORD", hide_env_values = true)]
        password: String,
        /// beheerder | klantmanager | werkgever | kandidaat
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "")]
        name: String,
        /// Organisation id (werkgever)
        #[arg(long)]
        organisation: Option<String>,
        /// Candidate id (kandidaat)
        #[arg(long)]
        candidate: Option<String>,
        /// Municipality for beheerder/klantmanager: CBS code (e.g. 0262) or name; created if new
        #[arg(long)]
        municipality: Option<String>,
    },
}

fn config(g: &Global, serve: Option<&ServeArgs>) -> Config {
    Config {
        database_url: g.database_url.clone(),
        bind: serve.map(|s| s.bind.clone()).unwrap_or_else(|| "127.0.0.1:8080".into()),
        index_dir: g.index_dir.clone(),
        refdata_dir: g.refdata.clone(),
        demo: false,
        mail_dir: g.mail_dir.clone(),
        smtp_url: g.smtp_url.clone(),
        mail_from: g.mail_from.clone(),
        jwt_secret: g.jwt_secret.clone(),
        token_ttl_minutes: g.token_ttl_minutes,
        public_url: g.public_url.clone(),
        db_pool_size: g.db_pool_size,
        audit_retention_days: g.audit_retention_days,
        employer_profile_views_per_hour: g.employer_profile_views_per_hour,
        worker_interval_secs: g.worker_interval_secs.max(1),
        smtp_timeout_secs: g.smtp_timeout_secs,
        smtp_data_timeout_secs: g.smtp_data_timeout_secs,
        mail_lease_secs: g.mail_lease_secs,
        trusted_proxies: g.trusted_proxies.clone(),
        metrics_bind: g.metrics_bind.clone(),
        oidc: None,
    }
}

fn main() {
    let cli = Cli::parse();
    init_logging(cli.global.log_format == "json");
    if let Err(e) = run(cli) {
        eprintln!("opstap: {e:#}");
        std::process::exit(1);
    }
}

/// Log lines go to stderr, as text or one JSON object per line; RUST_LOG filters them (default
/// "info,tantivy=warn"). The `log` lines of this crate and of the libraries are passed through.
fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tantivy=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().with_current_span(true).with_span_list(false).init();
    } else {
        builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init();
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let g = cli.global;
    match cli.command.unwrap_or(Command::Serve(ServeArgs {
        bind: std::env::var("OPSTAP_BIND").unwrap_or_else(|_| "127.0.0.1:8080".into()),
        demo: std::env::var("OPSTAP_DEMO").unwrap_or_else(|_| "auto".into()),
    })) {
        Command::Serve(s) => {
            let mut c = config(&g, Some(&s));
            c.oidc = opstap::config::OidcConfig::from_parts(
                g.oidc_issuer.as_deref(),
                g.oidc_client_id.as_deref(),
                g.oidc_client_secret.as_deref(),
                &g.oidc_label,
                &g.oidc_scopes,
            )
            .map_err(|e| anyhow::anyhow!(e))?;
            let (demo, why) = opstap::config::demo_decision(&s.demo, &c.bind, &c.database_url, &c.public_url).map_err(|e| anyhow::anyhow!(e))?;
            c.demo = demo;
            if let Some(w) = why {
                println!("{w}");
            }
            serve(c)
        }
        Command::Migrate => {
            let pool = opstap::db::connect(&g.database_url, 1)?;
            let mut conn = pool.get()?;
            let n = opstap::db::run_migrations(&mut conn)?;
            println!("{n} migration(s) run on {}", opstap::db::redact_url(&g.database_url));
            Ok(())
        }
        Command::Backup { to } => {
            let bytes = opstap::db::backup::backup(&g.database_url, &to)?;
            println!("Backup of {} written to {} ({:.1} MB).", opstap::db::redact_url(&g.database_url), to.display(), bytes as f64 / 1e6);
            Ok(())
        }
        Command::Restore { from } => {
            let n = opstap::db::backup::restore(&g.database_url, &from)?;
            // The index belongs to the database it was built from: removed, it is rebuilt from
            // the restored database at the next start.
            if g.index_dir.exists() {
                std::fs::remove_dir_all(&g.index_dir)?;
            }
            println!(
                "Restored {} into {}{}; the search index in {} is rebuilt at the next start.",
                from.display(),
                opstap::db::redact_url(&g.database_url),
                if n > 0 { format!(" and ran {n} newer migration(s)") } else { String::new() },
                g.index_dir.display()
            );
            Ok(())
        }
        Command::Reindex => {
            let pool = opstap::db::connect(&g.database_url, 2)?;
            let mut conn = pool.get()?;
            opstap::db::run_migrations(&mut conn)?;
            drop(conn);
            match opstap::search::reindex(&g.index_dir, &pool, true)? {
                opstap::search::ReindexOutcome::Rebuilt { placements, candidates, seconds } => {
                    println!("Reindexed {placements} placements and {candidates} candidates in {seconds:.1} s");
                }
                opstap::search::ReindexOutcome::Requested { seq } => {
                    println!(
                        "The index in {} is in use by a running server: asked every instance to rebuild its index \
                         (change {seq} in the feed); /health shows when it is done.",
                        g.index_dir.display()
                    );
                }
            }
            Ok(())
        }
        Command::ImportCaseload { file, municipality, mapping, klantmanager, apply, report, template } => {
            use opstap::service::import;
            if template {
                print!("{}", import::template_csv());
                return Ok(());
            }
            let (Some(file), Some(municipality)) = (file, municipality) else {
                anyhow::bail!("give the file and --municipality (or --template)");
            };
            let mut map = match mapping {
                Some(p) => import::Mapping::parse(&std::fs::read_to_string(&p)?).map_err(|e| anyhow::anyhow!(e))?,
                None => import::Mapping::default(),
            };
            if let Some(km) = klantmanager {
                map.defaults.insert("klantmanager".into(), km);
            }
            let pool = opstap::db::connect(&g.database_url, 1)?;
            let (rd, mid) = {
                let mut conn = pool.get()?;
                opstap::db::run_migrations(&mut conn)?;
                let rd = opstap::refdata::RefData::load(&mut conn)?;
                let mid = import::municipality_named(&mut conn, &municipality).map_err(|e| anyhow::anyhow!("{e}"))?;
                (rd, mid)
            };
            let actor = opstap::audit::Actor::importer();
            let progress = |n: usize| eprint!("\r{n} rijen");
            let name = file.display().to_string();
            let source = import::Source { path: &file, file_name: &name, user_id: None };
            let r =
                import::run(&pool, &rd, &mid, &actor, &source, &map, apply, opstap::clock::today(), &progress).map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!();
            if let Some(why) = &r.refused {
                anyhow::bail!("{why}");
            }
            println!("{} rijen gelezen: {} goed ({} nieuw, {} bekend), {} niet over te nemen.", r.rows, r.valid, r.new, r.known, r.rows - r.valid);
            if r.applied {
                println!("Ingelezen: {} aangemaakt, {} gewijzigd, {} ongewijzigd.", r.created, r.changed, r.unchanged);
            } else {
                println!("Proefrun: er is niets opgeslagen. Met --apply worden de goede rijen ingelezen.");
            }
            for i in r.issues.iter().take(20) {
                println!("  regel {}, {}: {:?}: {}", i.row, i.column, i.value, i.reason);
            }
            if r.issues.len() > 20 {
                println!("  ... en {} meer", r.issues.len() - 20);
            }
            if let Some(p) = report {
                std::fs::write(&p, r.issues_csv())?;
                println!("Verslag: {}", p.display());
            }
            Ok(())
        }
        Command::ImportRefdata { from } => {
            let pool = opstap::db::connect(&g.database_url, 1)?;
            let mut conn = pool.get()?;
            opstap::db::run_migrations(&mut conn)?;
            if !from.exists() {
                anyhow::bail!("folder {} does not exist", from.display());
            }
            let r = opstap::engine::relatedness::import(&mut conn, &from, true)?;
            // Running servers reload the reference data and rebuild their index.
            opstap::db::changes::record(&mut conn, opstap::db::changes::Entity::Refdata, "*")?;
            println!(
                "Imported {} PC4 areas, {} ISCO groups, {} occupations, {} skills, {} occupation-skill links{}",
                r.pc4_areas,
                r.isco_groups,
                r.occupations,
                r.skills,
                r.occupation_skill_links,
                if r.missing_files.is_empty() { String::new() } else { format!(" (missing: {})", r.missing_files.join(", ")) }
            );
            println!("Running servers reload it and rebuild their search index by themselves.");
            Ok(())
        }
        Command::Relatedness { groundtruth } => {
            let pool = opstap::db::connect(&g.database_url, 1)?;
            let mut conn = pool.get()?;
            opstap::db::run_migrations(&mut conn)?;
            if !opstap::refdata::is_imported(&mut conn)? {
                opstap::engine::relatedness::import(&mut conn, &g.refdata, true)?;
            }
            let rd = opstap::refdata::RefData::load(&mut conn)?;
            anyhow::ensure!(rd.has_esco(), "no ESCO reference data (set --refdata)");
            let t = std::time::Instant::now();
            let model = opstap::engine::relatedness::Model::build(&rd);
            println!("Relatedness model of {} occupations built in {:.1} s.", rd.occupations.len(), t.elapsed().as_secs_f64());
            let t = std::time::Instant::now();
            let r = opstap::engine::relatedness::yardstick::measure(&rd, &model, &groundtruth)?;
            println!("Measured {} closest pairs in {:.1} s ({}).", r.overall.pairs, t.elapsed().as_secs_f64(), groundtruth.display());
            println!("{:<34} {:>6} {:>7} {:>6}", "", "pairs", "hit@5", "MRR");
            let line = |name: &str, f: &opstap::engine::relatedness::yardstick::Figures| {
                println!("{name:<34} {:>6} {:>7.3} {:>6.3}", f.pairs, f.hit_at_5, f.mrr)
            };
            line("Opstap relatedness", &r.overall);
            for (g, f) in &r.by_major_group {
                line(&format!("  ISCO major group {g}"), f);
            }
            line("baseline: essential-skill Jaccard", &r.jaccard_baseline);
            println!("(random: hit@5 0.10, MRR 0.09)");
            println!(
                "This includes information from the O*NET 29.3 Database by the U.S. Department of Labor, Employment and Training \
                 Administration (USDOL/ETA), used under the CC BY 4.0 licence, and modified (mapped onto ESCO). O*NET® is a trademark \
                 of USDOL/ETA. ESCO–O*NET mapping: Nesta, Mapping Career Causeways (2020), MIT licence. This service uses the ESCO \
                 classification of the European Commission."
            );
            Ok(())
        }
        Command::Bench { placements, candidates, queries, seed, dir, bench_database_url, json, reuse, no_baseline } => {
            if dir.exists() && !reuse {
                std::fs::remove_dir_all(&dir)?;
            }
            std::fs::create_dir_all(&dir)?;
            let url = bench_database_url.unwrap_or_else(|| format!("sqlite://{}", dir.join("bench.sqlite").display()));
            let pool = opstap::db::connect(&url, 4)?;
            let mut conn = pool.get()?;
            opstap::db::run_migrations(&mut conn)?;
            opstap::engine::relatedness::import(&mut conn, &g.refdata, true)?;
            let rd = opstap::refdata::RefData::load(&mut conn)?;
            drop(conn);
            let cfg = opstap::bench::BenchConfig { placements, candidates, queries, seed, reuse, baseline: !no_baseline };
            let report = opstap::bench::run(&pool, &rd, &dir.join("index"), &cfg)?;
            println!("{report}");
            if let Some(path) = json {
                std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
                println!("Report written to {}", path.display());
            }
            Ok(())
        }
        Command::BenchImport { rows, seed, dir, bench_database_url, json } => {
            let cfg = opstap::bench_import::ImportBenchConfig { rows, seed, dir, refdata: g.refdata.clone(), database_url: bench_database_url };
            let report = opstap::bench_import::run(&cfg)?;
            println!("{report}");
            if let Some(path) = json {
                std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
                println!("Report written to {}", path.display());
            }
            Ok(())
        }
        Command::BenchHttp { dir, national, port, connections, threads, seconds, json } => {
            let cfg = opstap::bench_http::HttpBenchConfig { dir, national, refdata: g.refdata.clone(), port, connections, threads, seconds };
            let report = opstap::bench_http::run(&cfg)?;
            println!("{report}");
            if let Some(path) = json {
                std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
                println!("Report written to {}", path.display());
            }
            Ok(())
        }
        Command::User { cmd: UserCmd::Create { email, password, role, name, organisation, candidate, municipality } } => {
            let pool = opstap::db::connect(&g.database_url, 1)?;
            let mut conn = pool.get()?;
            opstap::db::run_migrations(&mut conn)?;
            let m = match municipality {
                Some(m) => Some(opstap::demo::find_or_create_municipality(&mut conn, &m)?),
                None => None,
            };
            let input = opstap::web::api::users::UserInput {
                name: if name.is_empty() { email.clone() } else { name },
                email,
                password,
                role,
                organisation_id: organisation,
                candidate_id: candidate,
            };
            use validator::Validate;
            if let Err(e) = input.validate() {
                for f in opstap::web::extract::validation_errors(&e) {
                    eprintln!("{}: {}", f.field, f.message);
                }
                anyhow::bail!("invalid input");
            }
            match opstap::web::api::users::create_user_in(&mut conn, &input, None, m) {
                Ok(u) => {
                    println!("Created {} account {} (id {})", u.role, u.email, u.id);
                    Ok(())
                }
                Err(opstap::error::AppError::Validation(fields)) => {
                    for f in fields {
                        eprintln!("{}: {}", f.field, f.message);
                    }
                    anyhow::bail!("invalid input")
                }
                Err(e) => anyhow::bail!("{e}"),
            }
        }
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    let bind = config.bind.clone();
    println!("Opstap starting on {} (database {})", bind, opstap::db::redact_url(&config.database_url));
    // The address first: an occupied port is one clear line at once, not an error after the
    // migrations and the index build.
    let listener = std::net::TcpListener::bind(&bind)
        .map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e} (another `opstap serve` there? choose another with OPSTAP_BIND)"))?;
    let metrics_listener = match &config.metrics_bind {
        Some(m) => Some(
            std::net::TcpListener::bind(m)
                .map_err(|e| anyhow::anyhow!("cannot listen on {m} for the metrics: {e} (choose another with OPSTAP_METRICS_BIND)"))?,
        ),
        None => None,
    };
    let (state, startup) = opstap::build_state(config, true)?;
    if startup.migrations_run > 0 {
        println!("Ran {} database migration(s).", startup.migrations_run);
    }
    if let Some(r) = &startup.refdata {
        println!(
            "Imported reference data: {} postcodes, {} occupations, {} skills, {} links.",
            r.pc4_areas, r.occupations, r.skills, r.occupation_skill_links
        );
    }
    let ix = &startup.index;
    match &ix.rebuilt {
        Some(why) => {
            println!(
                "Built the search index from the database ({why}): {} placements, {} candidates in {:.1} s.",
                ix.placements, ix.candidates, ix.seconds
            )
        }
        None => println!(
            "Search index kept: {} placements, {} candidates; caught up on {} change(s) in {:.2} s.",
            ix.placements, ix.candidates, ix.caught_up, ix.seconds
        ),
    }
    if let Some(d) = &startup.demo {
        println!("{d}");
        println!(
            "WARNING: demo data seeded. Every demo account has the password printed in the README: this database is for trying Opstap out, never for real people's data. Start with OPSTAP_DEMO=false for production."
        );
    }
    println!("{}\n{}", opstap::ATTRIBUTION_ESCO, opstap::ATTRIBUTION_GEONAMES);
    println!("Open http://{bind}/ (API: http://{bind}/api/v1/openapi.json, health: http://{bind}/health)");
    if let Some(m) = &state.config.metrics_bind {
        println!("Metrics for Prometheus: http://{m}/metrics");
    }
    match &state.config.smtp_url {
        Some(u) => {
            println!("E-mail is sent through {} (outbox in the database, retried with backoff).", opstap::db::redact_url(u))
        }
        None => println!("E-mail is written to the folder {} (set OPSTAP_SMTP_URL to send it).", state.config.mail_dir.display()),
    }
    actix_web::rt::System::new().block_on(async move {
        let worker = opstap::jobs::spawn(state.clone());
        let metrics = match metrics_listener {
            Some(l) => {
                let st = state.clone();
                let server = actix_web::HttpServer::new(move || opstap::metrics_app(st.clone())).workers(1).listen(l)?.run();
                Some(actix_web::rt::spawn(server))
            }
            None => None,
        };
        let r = actix_web::HttpServer::new(move || opstap::app(state.clone())).listen(listener)?.run().await;
        worker.abort();
        if let Some(m) = metrics {
            m.abort();
        }
        r
    })?;
    Ok(())
}
