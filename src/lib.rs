//! Opstap: a platform for bringing people on the Dutch Participatiewet into work, or one step
//! further up the participation ladder. `app()` is shared by the binary and the tests.

pub mod audit;
pub mod auth;
pub mod bench;
pub mod bench_http;
pub mod bench_import;
pub mod charts;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod error;
pub mod jobs;
pub mod journal;
pub mod mail;
pub mod metrics;
pub mod monitor;
pub mod refdata;
pub mod search;
pub mod service;
pub mod state;
pub mod text;
pub mod web;

use actix_web::{middleware, web as aweb, App};
use config::Config;
use state::AppState;

/// The attribution lines the licences of the reference data require.
/// The statement the ESCO licence requires, verbatim (pages show it beside the Dutch wording).
pub const ATTRIBUTION_ESCO: &str = "This service uses the ESCO classification of the European Commission.";
pub const ATTRIBUTION_ESCO_NL: &str = "Deze dienst gebruikt de ESCO-classificatie van de Europese Commissie (bewerkt).";
pub const ATTRIBUTION_GEONAMES: &str = "Postcodegegevens © GeoNames (geonames.org), CC BY 4.0, via zauberware/postal-codes-json-xml-csv, bewerkt.";

/// What start-up did, for the console.
#[derive(Debug, Default)]
pub struct Startup {
    pub migrations_run: usize,
    pub refdata: Option<refdata::ImportReport>,
    pub demo: Option<demo::DemoReport>,
    /// How the search index was brought up to date (rebuilt, or caught up from its position).
    pub index: search::StartReport,
}

/// Builds the application state: connects, migrates, imports reference data when the database
/// has none, seeds the demo when asked and the database is empty, opens (or rebuilds) the index
/// and starts its writer.
pub fn build_state(config: Config, progress: bool) -> anyhow::Result<(AppState, Startup)> {
    let mut startup = Startup::default();
    let backend = db::Backend::of_url(&config.database_url);
    let pool = db::connect(&config.database_url, config.db_pool_size)?;
    let mut conn = pool.get()?;
    // Several instances may start at once on one PostgreSQL: the set-up is done by one of them
    // at a time, so migrations, the reference-data import, the demo and the secret happen once.
    let (rd, secret) = db::with_setup_lock(&mut conn, |conn| {
        startup.migrations_run = db::run_migrations(conn)?;
        if !refdata::is_imported(conn)? {
            if config.refdata_dir.exists() {
                let r = engine::relatedness::import(conn, &config.refdata_dir, progress)?;
                if !r.missing_files.is_empty() {
                    log::warn!("reference data incomplete in {}: missing {}", config.refdata_dir.display(), r.missing_files.join(", "));
                }
                startup.refdata = Some(r);
            } else {
                log::warn!(
                    "reference data folder {} not found: running without ESCO suggestions and distances (set OPSTAP_REFDATA)",
                    config.refdata_dir.display()
                );
            }
        }
        if refdata::is_imported(conn)? && !refdata::has_relatedness(conn)? {
            // A database imported before relatedness was computed at import.
            engine::relatedness::store(conn, progress)?;
        }
        let mut rd = refdata::RefData::load(conn)?;
        if config.demo {
            startup.demo = demo::seed_if_empty(conn, &rd)?;
            // The seeded municipalities and their faces.
            rd = refdata::RefData::load(conn)?;
        }
        let secret = match &config.jwt_secret {
            Some(s) => s.clone(),
            None => match db::queries::get_setting(conn, "jwt_secret")? {
                Some(s) => s,
                None => {
                    let s = crate::auth::random_token();
                    db::queries::put_setting(conn, "jwt_secret", &s)?;
                    s
                }
            },
        };
        Ok((rd, secret))
    })?;
    drop(conn);
    let jwt = auth::JwtKeys::new(secret.as_bytes(), config.token_ttl_minutes);
    let mailer = mail::Mailer::from_config(&config)?;
    let refdata: search::SharedRefData = std::sync::Arc::new(std::sync::RwLock::new(std::sync::Arc::new(rd)));
    let (engine, report) = engine::follow::start(&config.index_dir, pool.clone(), refdata.clone(), progress)?;
    startup.index = report;
    let state = AppState::new(config, pool, backend, refdata, engine, jwt, secret, mailer);
    Ok((state, startup))
}

/// The type of an actix application as `serve` takes it (an `impl` type cannot be aliased).
macro_rules! actix_app {
    () => {
        App<
            impl actix_web::dev::ServiceFactory<
                actix_web::dev::ServiceRequest,
                Config = (),
                Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
                Error = actix_web::Error,
                InitError = (),
            >,
        >
    };
}

/// The actix application; used by `serve` and by the tests.
pub fn app(state: AppState) -> actix_app!() {
    App::new()
        .app_data(aweb::Data::new(state))
        .wrap(
            middleware::DefaultHeaders::new()
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("X-Frame-Options", "DENY"))
                .add(("Referrer-Policy", "same-origin"))
                .add((
                    "Content-Security-Policy",
                    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                     form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
                ))
                .add(("Permissions-Policy", "geolocation=(), camera=(), microphone=()")),
        )
        // Error pages in the layout of the visitor's municipality, with the session kept.
        .wrap(middleware::ErrorHandlers::new().default_handler(web::pages::with_face))
        // Outermost: the request id, the log line and the metrics see every answer.
        .wrap_fn(web::observe::observe)
        .configure(web::configure)
        .default_service(aweb::to(web::pages::not_found))
}

/// The metrics application, served on its own address (`OPSTAP_METRICS_BIND`) so that it is
/// never reachable through the public one.
pub fn metrics_app(state: AppState) -> actix_app!() {
    App::new().app_data(aweb::Data::new(state)).route("/metrics", aweb::get().to(web::api::health::metrics))
}
