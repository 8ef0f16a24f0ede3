//! `opstap bench-import`: the caseload import at scale, with a fixed seed. Writes a client-system
//! export of N rows (default 500,000; Windows-1252, ";", as Excel saves it) for one municipality
//! with 25 klantmanagers, then imports it twice into an empty database while the search index's
//! writer follows the change feed, as a running server's does:
//!
//! 1. the first run creates every person (rows/s including the change feed), then the time until
//!    the index has applied the feed's last change;
//! 2. the second run of the same file changes nothing (rows/s).
//!
//! Reported beside the rates: the process's CPU time per 1,000 rows (import and index writer
//! together) and its peak resident memory.

use crate::audit::Actor;
use crate::db::models::User;
use crate::db::schema::users;
use crate::db::DbConnection;
use crate::domain::Role;
use crate::refdata::RefData;
use crate::service::import;
use diesel::prelude::*;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

pub struct ImportBenchConfig {
    pub rows: usize,
    pub seed: u64,
    /// Working folder (emptied first): the file, the database, the index.
    pub dir: PathBuf,
    pub refdata: PathBuf,
    /// Default: SQLite in the working folder.
    pub database_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportRunFigures {
    pub seconds: f64,
    pub rows_per_s: f64,
    pub cpu_ms_per_1000_rows: f64,
    pub created: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub not_taken: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportBenchReport {
    pub rows: usize,
    pub seed: u64,
    pub backend: String,
    pub file_mb: f64,
    pub first: ImportRunFigures,
    /// From the end of the first run's last batch until the index applied the feed's head.
    pub index_caught_up_s: f64,
    pub candidates_in_index: u64,
    pub second: ImportRunFigures,
    pub peak_rss_mb: f64,
}

impl std::fmt::Display for ImportBenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Caseload import: {} rows ({:.1} MB, seed {}), {}", self.rows, self.file_mb, self.seed, self.backend)?;
        writeln!(
            f,
            "{:<28} {:>9} {:>10} {:>16} {:>9} {:>9} {:>11}",
            "run", "seconds", "rows/s", "cpu ms/1000 rows", "created", "changed", "unchanged"
        )?;
        for (name, r) in [("first (all new)", &self.first), ("second (same file)", &self.second)] {
            writeln!(
                f,
                "{:<28} {:>9.1} {:>10.0} {:>16.1} {:>9} {:>9} {:>11}",
                name, r.seconds, r.rows_per_s, r.cpu_ms_per_1000_rows, r.created, r.changed, r.unchanged
            )?;
        }
        writeln!(f, "index caught up {:.2} s after the last batch ({} candidates in the index)", self.index_caught_up_s, self.candidates_in_index)?;
        write!(f, "peak resident memory {:.0} MB", self.peak_rss_mb)
    }
}

/// CPU time (user + system) of this process so far, ms.
fn cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/self/stat").ok().and_then(|s| crate::bench_http::cpu_ms_of_stat(&s)).unwrap_or(0.0)
}

use crate::bench::bar;

const FIRST: &[&str] = &["Anna", "Mohammed", "Sanne", "Ahmed", "Fatima", "Daan", "Renée", "Joël", "Eva", "Youssef", "Lotte", "Bram"];
const LAST: &[&str] = &["de Vries", "Jansen", "Bakker", "Yilmaz", "El Amrani", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos", "Kaya"];

/// The export: the template's column names, Windows-1252 and ";" as Excel writes them.
fn write_file(path: &std::path::Path, rd: &RefData, municipality_code: &str, kms: &[String], cfg: &ImportBenchConfig) -> anyhow::Result<()> {
    let mut rng = fastrand::Rng::with_seed(cfg.seed);
    let mut pc4s: Vec<&String> = rd.pc4.iter().filter(|(_, p)| p.municipality_code == municipality_code).map(|(k, _)| k).collect();
    pc4s.sort();
    anyhow::ensure!(!pc4s.is_empty(), "no postcodes for municipality {municipality_code}");
    // Occupations typical for the target group, by ESCO code or Dutch label as client systems write them.
    let occ: Vec<&crate::refdata::OccupationInfo> = rd
        .occupations
        .iter()
        .filter(|o| matches!(o.isco_group.chars().next(), Some('9' | '5' | '7' | '8')) && !o.essential.is_empty())
        .step_by(7)
        .take(150)
        .collect();
    let skills: Vec<&str> = rd.skills.iter().filter_map(|s| s.label_nl.as_deref()).step_by(97).take(200).collect();
    let benefits = ["participatiewet", "participatiewet", "participatiewet", "ioaw", "ioaz", "anw", "geen"];
    let languages = ["1F", "2F", "3F", "A2", "B1"];
    let educations = ["geen", "basisonderwijs", "vmbo", "mbo1", "mbo2", "havo"];
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let header: Vec<&str> = import::FIELDS.iter().map(|(_, c, _)| *c).filter(|c| *c != "klantgroep").collect();
    let pb = bar(cfg.rows, "bestand schrijven");
    let mut line = String::with_capacity(512);
    w.write_all(header.join(";").as_bytes())?;
    w.write_all(b"\r\n")?;
    for i in 0..cfg.rows {
        line.clear();
        let o = occ[rng.usize(..occ.len())];
        let occupation = if rng.bool() { o.esco_code.clone() } else { o.label_nl.clone() };
        let skill = skills[rng.usize(..skills.len())];
        let dgr = rng.u8(..10) == 0;
        let beschut = !dgr && rng.u8(..40) == 0;
        let reg = chrono::NaiveDate::from_ymd_opt(2019, 1, 1).unwrap_or_default() + chrono::Days::new(rng.u64(..2500));
        let hours_min = [0, 8, 12, 16, 24][rng.usize(..5)];
        for (field, _, _) in import::FIELDS.iter().filter(|(f, _, _)| *f != "klantgroep") {
            let v = match *field {
                "client_number" => format!("K{:08}", i + 1),
                "first_name" => FIRST[rng.usize(..FIRST.len())].into(),
                "last_name" => LAST[rng.usize(..LAST.len())].into(),
                "birth_date" => format!("{:02}-{:02}-{}", rng.u8(1..29), rng.u8(1..13), rng.u16(1960..2007)),
                "pc4" => pc4s[rng.usize(..pc4s.len())].clone(),
                "email" => String::new(),
                "phone" => String::new(),
                "benefit_type" => benefits[rng.usize(..benefits.len())].into(),
                "registration_date" => reg.format("%d-%m-%Y").to_string(),
                "klantmanager" => kms[i % kms.len()].clone(),
                "ladder_step" => rng.u8(1..7).to_string(),
                "ladder_date" => (reg + chrono::Days::new(rng.u64(..300))).format("%d-%m-%Y").to_string(),
                "language_level" => languages[rng.usize(..languages.len())].into(),
                "education_level" => educations[rng.usize(..educations.len())].into(),
                "startkwalificatie" => if rng.u8(..3) == 0 { "ja" } else { "nee" }.into(),
                "doelgroepregister" => if dgr { "ja" } else { "nee" }.into(),
                "doelgroepregister_route" => if dgr { "uwv_indicatie" } else { "" }.into(),
                "doelgroepregister_date" => {
                    if dgr {
                        reg.format("%d-%m-%Y").to_string()
                    } else {
                        String::new()
                    }
                }
                "beschut_werk" => if beschut { "ja" } else { "nee" }.into(),
                "statushouder" => if rng.u8(..8) == 0 { "ja" } else { "nee" }.into(),
                "hours_min" => hours_min.to_string(),
                "hours_max" => (hours_min + [8, 12, 16][rng.usize(..3)]).to_string(),
                "occupations" => occupation.clone(),
                "skills" => skill.into(),
                "consent_matching" => if rng.u8(..5) == 0 { "nee" } else { "ja" }.into(),
                _ => String::new(),
            };
            if !line.is_empty() || *field != "client_number" {
                line.push(';');
            }
            if v.contains([';', '"']) {
                line.push('"');
                line.push_str(&v.replace('"', "\"\""));
                line.push('"');
            } else {
                line.push_str(&v);
            }
        }
        line.push_str("\r\n");
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&line);
        w.write_all(&bytes)?;
        if i % 10_000 == 0 {
            pb.set_position(i as u64);
        }
    }
    w.flush()?;
    pb.finish();
    Ok(())
}

fn add_klantmanagers(conn: &mut DbConnection, municipality: &str, n: usize) -> anyhow::Result<Vec<String>> {
    let t = crate::db::now();
    let mut emails = vec![];
    for i in 1..=n {
        let email = format!("km{i}@bench.opstap.example");
        let u = User {
            id: crate::db::new_id(),
            email_normalized: crate::auth::normalize_email(&email),
            email: email.clone(),
            // No login: the benchmark's accounts only own a caseload.
            password_hash: "!".into(),
            role: Role::Klantmanager,
            name: format!("Klantmanager {i}"),
            municipality_id: Some(municipality.into()),
            organisation_id: None,
            candidate_id: None,
            active: true,
            created_at: t,
            last_login_at: None,
        };
        diesel::insert_into(users::table).values(&u).execute(conn)?;
        emails.push(email);
    }
    Ok(emails)
}

pub fn run(cfg: &ImportBenchConfig) -> anyhow::Result<ImportBenchReport> {
    if cfg.dir.exists() {
        std::fs::remove_dir_all(&cfg.dir)?;
    }
    std::fs::create_dir_all(&cfg.dir)?;
    let url = cfg.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", cfg.dir.join("bench-import.sqlite").display()));
    let pool = crate::db::connect(&url, 4)?;
    let (rd, municipality, code, kms) = {
        let mut conn = pool.get()?;
        crate::db::run_migrations(&mut conn)?;
        crate::engine::relatedness::import(&mut conn, &cfg.refdata, true)?;
        let rd = Arc::new(RefData::load(&mut conn)?);
        let municipality = crate::demo::find_or_create_municipality(&mut conn, "Lochem")?;
        let code: String = {
            use crate::db::schema::municipalities;
            municipalities::table.find(&municipality).select(municipalities::cbs_code).first(&mut conn)?
        };
        let kms = add_klantmanagers(&mut conn, &municipality, 25)?;
        (rd, municipality, code, kms)
    };
    let file = cfg.dir.join("caseload.csv");
    write_file(&file, &rd, &code, &kms, cfg)?;
    let file_mb = std::fs::metadata(&file)?.len() as f64 / 1_048_576.0;

    // The index and its writer, following the change feed as a server's do.
    let shared = Arc::new(RwLock::new(rd.clone()));
    let (engine, _) = crate::engine::follow::start(&cfg.dir.join("index"), pool.clone(), shared, false)?;
    let actor = Actor::importer();
    let mapping = import::Mapping::default();
    let today = crate::clock::today();
    let name = file.display().to_string();
    let source = import::Source { path: &file, file_name: &name, user_id: None };
    let once = |label: &str| -> anyhow::Result<(ImportRunFigures, Instant)> {
        let pb = bar(cfg.rows, label);
        let (t, cpu) = (Instant::now(), cpu_ms());
        let progress = |n: usize| pb.set_position(n as u64);
        let r = import::run(&pool, &rd, &municipality, &actor, &source, &mapping, true, today, &progress).map_err(|e| anyhow::anyhow!("{e}"))?;
        let done = Instant::now();
        let seconds = t.elapsed().as_secs_f64();
        pb.finish();
        anyhow::ensure!(r.refused.is_none(), "refused: {:?}", r.refused);
        let figures = ImportRunFigures {
            seconds,
            rows_per_s: r.rows as f64 / seconds,
            cpu_ms_per_1000_rows: (cpu_ms() - cpu) / (r.rows as f64 / 1000.0),
            created: r.created,
            changed: r.changed,
            unchanged: r.unchanged,
            not_taken: r.rows - r.valid,
        };
        Ok((figures, done))
    };
    let (first, last_batch) = once("eerste keer inlezen")?;
    let head = crate::db::changes::latest(&mut *pool.get()?)?;
    anyhow::ensure!(engine.index.wait_applied(head, Duration::from_secs(600)), "the index did not catch up within 10 minutes");
    let index_caught_up_s = last_batch.elapsed().as_secs_f64();
    engine.index.flush();
    let candidates_in_index = engine.index.num_docs().1;
    let (second, _) = once("tweede keer (zelfde bestand)")?;
    Ok(ImportBenchReport {
        rows: cfg.rows,
        seed: cfg.seed,
        backend: if url.starts_with("postgres") { "PostgreSQL".into() } else { "SQLite".into() },
        file_mb,
        first,
        index_caught_up_s,
        candidates_in_index,
        second,
        peak_rss_mb: crate::bench::peak_rss_mb(),
    })
}
