//! The command line: user create, migrate, reindex, import-refdata, with env fallbacks.

use crate::common;
use std::process::Command;

pub fn opstap(db: &common::TestDb) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opstap"));
    c.env("DATABASE_URL", &db.url)
        .env("OPSTAP_INDEX_DIR", db.dir.path().join("cli-index"))
        .env("OPSTAP_REFDATA", common::refdata_dir())
        .env("RUST_LOG", "warn");
    c
}

fn run(mut c: Command) -> (bool, String) {
    let out = c.output().expect("run opstap");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[actix_web::test]
async fn commands_work_against_the_database() {
    let db = common::fresh_db();
    let (ok, out) = run({
        let mut c = opstap(&db);
        c.arg("migrate");
        c
    });
    assert!(ok, "{out}");
    assert!(out.contains("0 migration(s)"), "{out}");

    let (ok, out) = run({
        let mut c = opstap(&db);
        c.args([
            "user",
            "create",
            "--email",
            "Nieuwe.KM@Lochem.nl",
            "--password",
            "een-lang-wachtwoord",
            "--role",
            "klantmanager",
            "--municipality",
            "0262",
        ]);
        c
    });
    assert!(ok, "{out}");
    assert!(out.contains("Created klantmanager account"), "{out}");
    // Duplicate e-mail (other case) is refused; so is a werkgever without organisation and a short password.
    for args in [
        vec!["--email", "nieuwe.km@lochem.nl", "--password", "een-lang-wachtwoord", "--role", "klantmanager", "--municipality", "Lochem"],
        vec!["--email", "w@x.nl", "--password", "een-lang-wachtwoord", "--role", "werkgever"],
        vec!["--email", "k@x.nl", "--password", "kort", "--role", "beheerder", "--municipality", "0262"],
        vec!["--email", "k@x.nl", "--password", "een-lang-wachtwoord", "--role", "koning"],
    ] {
        let (ok, out) = run({
            let mut c = opstap(&db);
            c.args(["user", "create"]).args(&args);
            c
        });
        assert!(!ok, "should fail: {args:?}: {out}");
    }
    // A new municipality is created from the PC4 table when a beheerder needs one.
    let (ok, out) = run({
        let mut c = opstap(&db);
        c.args([
            "user",
            "create",
            "--email",
            "beheer@deventer.nl",
            "--password",
            "een-lang-wachtwoord",
            "--role",
            "beheerder",
            "--municipality",
            "0150",
        ]);
        c
    });
    assert!(ok, "{out}");

    // The new account can log in through the app on the same database.
    let cfg = common::config_for(&db);
    let (state, _) = actix_web::web::block(move || opstap::build_state(cfg, false)).await.unwrap().unwrap();
    let svc = actix_web::test::init_service(opstap::app(state)).await;
    let req = actix_web::test::TestRequest::post()
        .uri("/api/v1/auth/login")
        .set_json(serde_json::json!({"email": "nieuwe.km@lochem.nl", "password": "een-lang-wachtwoord"}))
        .to_request();
    let resp = actix_web::test::call_service(&svc, req).await;
    assert_eq!(resp.status(), 200);

    let (ok, out) = run({
        let mut c = opstap(&db);
        c.arg("reindex");
        c
    });
    assert!(ok, "{out}");
    assert!(out.contains("Reindexed 32 placements and 60 candidates"), "{out}");

    let (ok, out) = run({
        let mut c = opstap(&db);
        c.arg("import-refdata").arg("--from").arg(common::refdata_dir());
        c
    });
    assert!(ok, "{out}");
    assert!(out.contains("Imported 0 PC4 areas"), "re-import keeps existing rows: {out}");
}

/// `serve` seeds the demo accounts (whose password the README prints) only for a local trial or
/// when asked, and never behind an https public URL.
#[test]
fn serve_seeds_demo_data_only_when_safe() {
    use common::process::Server;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("empty.sqlite").display());
    let demo_login =
        |s: &Server| s.post("/api/v1/auth/login", None, &serde_json::json!({"email": "beheerder@lochem.demo", "password": common::PW})).0;
    // Default (auto) on another database than the embedded default: no demo.
    let mut s = Server::start(&url, dir.path(), "auto", &[("OPSTAP_DEMO", "auto")]);
    assert_eq!(demo_login(&s), 401);
    assert!(s.log_text().contains("No demo data"), "{}", s.log_text());
    s.kill();
    // Asked for, but with an https public URL: a production start, no demo.
    let mut s = Server::start(&url, dir.path(), "https", &[("OPSTAP_DEMO", "true"), ("OPSTAP_PUBLIC_URL", "https://werk.gemeente.example")]);
    assert_eq!(demo_login(&s), 401);
    s.kill();
    // Asked for over http: seeded, with a loud warning.
    let s = Server::start(&url, dir.path(), "asked", &[("OPSTAP_DEMO", "true")]);
    assert_eq!(demo_login(&s), 200);
    assert!(s.log_text().contains("WARNING: demo data seeded"), "{}", s.log_text());
}

/// A database URL of another kind and an occupied port are refused at once, with one clear line,
/// before anything is created or built.
#[test]
fn serve_refuses_an_unknown_database_scheme_and_an_occupied_port_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let file_like = dir.path().join("mysql:");
    let (ok, out) = run({
        let mut c = Command::new(env!("CARGO_BIN_EXE_opstap"));
        c.current_dir(dir.path())
            .env("DATABASE_URL", "mysql://u:geheim@db.example/opstap")
            .env("OPSTAP_REFDATA", common::refdata_dir())
            .arg("migrate");
        c
    });
    assert!(!ok, "{out}");
    assert!(out.contains("unknown scheme \"mysql\""), "{out}");
    assert!(!out.contains("geheim"), "the password is not printed: {out}");
    assert!(!file_like.exists() && std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing created");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let db = common::fresh_db();
    let started = std::time::Instant::now();
    let (ok, out) = run({
        let mut c = opstap(&db);
        c.env("OPSTAP_BIND", &addr).env("OPSTAP_DEMO", "false").arg("serve");
        c
    });
    assert!(!ok, "{out}");
    assert!(out.contains(&format!("cannot listen on {addr}")), "{out}");
    assert!(!out.contains("Search index"), "refused before the index was built: {out}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
}
