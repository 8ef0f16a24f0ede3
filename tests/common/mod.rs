//! Test harness. Each test gets its own database and index:
//! - SQLite (default): a copy of a template file made once per test process;
//! - PostgreSQL (TEST_DATABASE_URL=postgres://.../postgres): a database cloned from a template
//!   database made once per test process.
//!
//! The template holds the migrations, the real reference data from ../shared/data and the demo
//! region, so every test starts from the same known state.

#![allow(dead_code)]

pub mod process;
pub mod smtp;

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::test;
use opstap::config::Config;
use opstap::state::AppState;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Mutex;

pub const PW: &str = opstap::demo::DEMO_PASSWORD;

pub fn refdata_dir() -> PathBuf {
    let p = std::env::var("OPSTAP_REFDATA").map(PathBuf::from).unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    assert!(p.join("nl_pc4.csv").exists(), "reference data not found at {} (set OPSTAP_REFDATA)", p.display());
    p
}

/// Whether the suite runs on PostgreSQL (TEST_DATABASE_URL).
pub fn is_postgres() -> bool {
    pg_url().is_some()
}

fn pg_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres"))
}

/// The same server and options (e.g. `?sslmode=disable`), another database.
fn with_db(url: &str, db: &str) -> String {
    let (u, query) = match url.split_once('?') {
        Some((u, q)) => (u, Some(q)),
        None => (url, None),
    };
    let (base, _) = u.rsplit_once('/').expect("database url has a path");
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

fn pg_exec(url: &str, sql: &str) {
    use diesel::connection::SimpleConnection;
    let pool = opstap::db::connect(url, 1).expect("connect postgres");
    let mut c = pool.get().expect("postgres connection");
    c.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

static TEMPLATE: Mutex<Option<String>> = Mutex::new(None);

/// Whether the test process `pid` still runs (Linux: /proc). Where that cannot be told (or the
/// name holds no pid), it is taken to run, so nothing of it is removed.
fn process_runs(pid: &str) -> bool {
    let ours = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    !ours || !std::path::Path::new("/proc/self").exists() || std::path::Path::new("/proc").join(pid).exists()
}

/// A template lives as long as its test process and nothing removes it at exit (statics are not
/// dropped): each run left a 50 MB SQLite file or a PostgreSQL database behind. Each run removes
/// those of test processes that no longer run.
fn remove_stale_templates(pg: Option<&str>) {
    match pg {
        Some(url) => {
            #[derive(diesel::QueryableByName)]
            struct Name {
                #[diesel(sql_type = diesel::sql_types::Text)]
                datname: String,
            }
            use diesel::RunQueryDsl;
            let Ok(pool) = opstap::db::connect(url, 1) else { return };
            let Ok(mut c) = pool.get() else { return };
            let names: Vec<Name> =
                diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'opstap\\_tmpl\\_%'").load(&mut *c).unwrap_or_default();
            for n in names {
                if let Some(pid) = n.datname.strip_prefix("opstap_tmpl_") {
                    if !process_runs(pid) {
                        use diesel::connection::SimpleConnection;
                        let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", n.datname));
                    }
                }
            }
        }
        None => {
            let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name.strip_prefix("opstap-test-template-") {
                    if !process_runs(pid) {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
        }
    }
}

/// Builds the template once: migrations, reference data, demo region.
fn template() -> String {
    let mut g = TEMPLATE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(t) = g.as_ref() {
        return t.clone();
    }
    remove_stale_templates(pg_url().as_deref());
    let t = match pg_url() {
        Some(url) => {
            let name = format!("opstap_tmpl_{}", std::process::id());
            pg_exec(&url, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            pg_exec(&url, &format!("CREATE DATABASE {name}"));
            seed_template(&with_db(&url, &name));
            name
        }
        None => {
            let dir = std::env::temp_dir().join(format!("opstap-test-template-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("temp dir");
            let file = dir.join("template.sqlite");
            seed_template(&format!("sqlite://{}", file.display()));
            file.display().to_string()
        }
    };
    *g = Some(t.clone());
    t
}

fn seed_template(url: &str) {
    let pool = opstap::db::connect(url, 1).expect("open template");
    let mut conn = pool.get().expect("template connection");
    opstap::db::run_migrations(&mut conn).expect("migrations");
    opstap::engine::relatedness::import(&mut conn, &refdata_dir(), false).expect("refdata import");
    let rd = opstap::refdata::RefData::load(&mut conn).expect("refdata load");
    opstap::demo::seed_if_empty(&mut conn, &rd).expect("demo seed").expect("template was empty");
    if opstap::db::backend_of(&conn) == opstap::db::Backend::Sqlite {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);").expect("checkpoint");
    }
}

pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            use diesel::connection::SimpleConnection;
            if let Ok(pool) = opstap::db::connect(admin, 1) {
                if let Ok(mut c) = pool.get() {
                    let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

/// A fresh database for one test, with the template's contents.
pub fn fresh_db() -> TestDb {
    let tmpl = template();
    let dir = tempfile::tempdir().expect("temp dir");
    match pg_url() {
        Some(admin) => {
            let name = format!("opstap_t_{}", uuid_simple());
            pg_exec(&admin, &format!("CREATE DATABASE {name} TEMPLATE {tmpl}"));
            TestDb { url: with_db(&admin, &name), dir, pg: Some((admin, name)) }
        }
        None => {
            let file = dir.path().join("test.sqlite");
            std::fs::copy(&tmpl, &file).expect("copy template");
            TestDb { url: format!("sqlite://{}", file.display()), dir, pg: None }
        }
    }
}

/// A database with nothing in it, not even the migrations (PostgreSQL: a new database; SQLite:
/// a file name not yet created).
pub fn empty_db() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    match pg_url() {
        Some(admin) => {
            let name = format!("opstap_t_{}", uuid_simple());
            pg_exec(&admin, &format!("CREATE DATABASE {name}"));
            TestDb { url: with_db(&admin, &name), dir, pg: Some((admin, name)) }
        }
        None => {
            let file = dir.path().join("empty.sqlite");
            TestDb { url: format!("sqlite://{}", file.display()), dir, pg: None }
        }
    }
}

fn uuid_simple() -> String {
    opstap::db::new_id().replace('-', "")
}

pub fn config_for(db: &TestDb) -> Config {
    Config::for_dir(db.dir.path(), db.url.clone(), refdata_dir())
}

pub struct TestApp<S> {
    pub svc: S,
    pub state: AppState,
    pub db: TestDb,
}

/// Starts the app on a fresh database.
pub async fn app() -> TestApp<impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>> {
    app_with(|_| {}).await
}

/// Starts the app on a fresh database with a changed configuration.
pub async fn app_with(
    change: impl FnOnce(&mut Config),
) -> TestApp<impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>> {
    let db = fresh_db();
    let mut cfg = config_for(&db);
    change(&mut cfg);
    let (state, _) = actix_web::web::block(move || opstap::build_state(cfg, false)).await.expect("block").expect("build state");
    let svc = test::init_service(opstap::app(state.clone())).await;
    TestApp { svc, state, db }
}

impl<S, B> TestApp<S>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    /// Sends a request; returns the status and the JSON body (Null if empty or not JSON).
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = test::TestRequest::default().method(method).uri(path);
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        if let Some(b) = body {
            req = req.set_json(b);
        }
        let resp = test::call_service(&self.svc, req.to_request()).await;
        let status = resp.status();
        let bytes = test::read_body(resp).await;
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, v)
    }

    pub async fn raw(&self, req: test::TestRequest) -> (StatusCode, Vec<(String, String)>, Value) {
        let resp = test::call_service(&self.svc, req.to_request()).await;
        let status = resp.status();
        let headers = resp.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
        let bytes = test::read_body(resp).await;
        (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// GET a page; returns the status and the body as text.
    pub async fn html(&self, path: &str) -> (StatusCode, String) {
        let resp = test::call_service(&self.svc, test::TestRequest::get().uri(path).to_request()).await;
        let status = resp.status();
        (status, String::from_utf8_lossy(&test::read_body(resp).await).into_owned())
    }

    /// GET a page with a session (the token as the session cookie).
    pub async fn html_as(&self, path: &str, token: &str) -> (StatusCode, String) {
        let req = test::TestRequest::get().uri(path).insert_header(("Cookie", format!("opstap_session={token}")));
        let resp = test::call_service(&self.svc, req.to_request()).await;
        let status = resp.status();
        (status, String::from_utf8_lossy(&test::read_body(resp).await).into_owned())
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }
    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, token, Some(body)).await
    }
    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, token, Some(body)).await
    }
    pub async fn delete(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, token, None).await
    }

    pub async fn login(&self, email: &str) -> String {
        self.login_pw(email, PW).await
    }

    pub async fn login_pw(&self, email: &str, pw: &str) -> String {
        let (s, v) = self.post("/api/v1/auth/login", None, serde_json::json!({"email": email, "password": pw})).await;
        assert_eq!(s, StatusCode::OK, "login {email}: {v}");
        v["token"].as_str().expect("token").to_string()
    }

    /// Waits until the index has committed everything sent so far.
    pub async fn flush_index(&self) {
        let s = self.state.engine.clone();
        actix_web::web::block(move || s.flush()).await.expect("flush");
    }

    /// Runs a closure on a database connection.
    pub async fn db<T: Send + 'static>(&self, f: impl FnOnce(&mut opstap::db::DbConnection) -> T + Send + 'static) -> T {
        let pool = self.state.pool.clone();
        actix_web::web::block(move || f(&mut pool.get().expect("conn"))).await.expect("block")
    }
}

/// Asserts a 422 with the named field among the field errors.
pub fn assert_field_error(status: StatusCode, body: &Value, field: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "expected 422 for {field}, got {status}: {body}");
    assert_eq!(body["code"], "validation_failed", "{body}");
    let fields: Vec<&str> = body["fields"].as_array().expect("fields").iter().filter_map(|f| f["field"].as_str()).collect();
    assert!(fields.contains(&field), "field {field} not in {fields:?}: {body}");
    let msg = body["fields"].as_array().unwrap().iter().find(|f| f["field"] == field).unwrap()["message"].as_str().unwrap_or("");
    assert!(!msg.is_empty(), "empty message for {field}");
}

/// A valid placement body for the given organisation.
pub fn placement_body(org: Option<&str>) -> Value {
    let mut v = serde_json::json!({
        "kind": "werkervaringsplaats",
        "title": "Werkervaringsplaats groenonderhoud",
        "description": "Meewerken in het groenonderhoud van parken en tuinen.",
        "hours_min": 16,
        "hours_max": 24,
        "pc4": "7241",
        "job_coach_welcome": true,
        "duration_months": 6
    });
    if let Some(o) = org {
        v["organisation_id"] = Value::String(o.to_string());
    }
    v
}

/// A valid candidate body.
pub fn candidate_body() -> Value {
    serde_json::json!({
        "first_name": "Testje",
        "last_name": "Zoekmij",
        "email": "testje@example.org",
        "phone": "06-12345678",
        "birth_date": "1990-05-17",
        "pc4": "7241",
        "education_level": "mbo2",
        "language_level": "2F",
        "hours_min": 16,
        "hours_max": 32,
        "max_travel_km": 15,
        "own_transport": true,
        "needs_job_coach": true,
        "support_needs": "Vaste begeleider nodig",
        "work_capacity_limits": "Niet tillen",
        "zrm_scores": {"financien": 3, "werk_opleiding": 2},
        "consent_matching": true,
        "ladder_step": 3
    })
}
