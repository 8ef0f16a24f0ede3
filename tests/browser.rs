//! Pages in a real browser: runs the server on a port and `tests/browser/journeys.mjs`
//! (playwright-core driving Debian's Chromium, axe-core on every page). Needs `node`,
//! `npm ci --prefix tests/browser` and `/usr/bin/chromium` (or OPSTAP_CHROMIUM); `.ci/run`
//! installs them. Screenshots are written to `target/screenshots/`.

use crate::common;
use diesel::prelude::*;
use opstap::db::schema::*;
use std::path::PathBuf;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Starts the app on 127.0.0.1 on a free port, in its own thread and runtime; returns the
/// address, the handle to stop it and the thread.
fn serve(state: opstap::state::AppState) -> (std::net::SocketAddr, actix_web::dev::ServerHandle, std::thread::JoinHandle<std::io::Result<()>>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let srv = actix_web::HttpServer::new(move || opstap::app(state.clone())).workers(2).disable_signals().bind("127.0.0.1:0").expect("bind");
            let addr = srv.addrs()[0];
            let server = srv.run();
            tx.send((addr, server.handle())).expect("send address");
            server.await
        })
    });
    let (addr, handle) = rx.recv().expect("server address");
    (addr, handle, thread)
}

#[test]
fn journeys() {
    let dir = manifest().join("tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").exists() && dir.join("node_modules/axe-core").exists(),
        "browser test dependencies missing: run `npm ci --prefix tests/browser` (see README, Tests)"
    );
    let chromium = std::env::var("OPSTAP_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(std::path::Path::new(&chromium).exists(), "Chromium not found at {chromium}: `apt-get install chromium` or set OPSTAP_CHROMIUM");

    let db = common::fresh_db();
    let cfg = common::config_for(&db);
    let (state, _) = opstap::build_state(cfg, false).expect("state");
    // The candidate of the journey: kandidaat1@lochem.demo, on ladder step 3 (werkervaringsplaats
    // suits steps 3-4), with distinctive names and consent for an anonymous profile.
    let mut conn = state.pool.get().expect("conn");
    let cid: String = users::table
        .filter(users::email_normalized.eq("kandidaat1@lochem.demo"))
        .select(users::candidate_id)
        .first::<Option<String>>(&mut conn)
        .expect("demo candidate")
        .expect("candidate account");
    let (km_id, pc4): (String, String) =
        candidates::table.find(&cid).select((candidates::klantmanager_id, candidates::pc4)).first(&mut conn).expect("candidate");
    let km_email: String = users::table.find(&km_id).select(users::email).first(&mut conn).expect("klantmanager");
    let occupation_id: String = candidate_occupations::table
        .filter(candidate_occupations::candidate_id.eq(&cid))
        .select(candidate_occupations::occupation_id)
        .first(&mut conn)
        .expect("occupation");
    let occupation = state.refdata().occupation(&occupation_id).map(|o| o.label_nl.clone()).expect("occupation label");
    // A skill with a Dutch label, to type into the placement form.
    let skill_ids: Vec<Option<String>> =
        candidate_skills::table.filter(candidate_skills::candidate_id.eq(&cid)).select(candidate_skills::skill_id).load(&mut conn).expect("skills");
    let skill = skill_ids
        .into_iter()
        .flatten()
        .filter_map(|s| state.refdata().skill(&s).filter(|x| x.label_language() == "nl").map(|x| x.label().to_string()))
        .next()
        .unwrap_or_else(|| "afval verwijderen".into());
    diesel::update(candidates::table.find(&cid))
        .set((
            candidates::first_name.eq("Wubbina"),
            candidates::last_name.eq("Scholten-Olthof"),
            candidates::consent_anonymous_profile.eq(true),
            candidates::consent_matching.eq(true),
            candidates::hours_min.eq(16),
            candidates::hours_max.eq(32),
            candidates::language_level.eq(Some("2F")),
            candidates::status.eq("actief"),
            candidates::beschut_werk_indicatie.eq(false),
        ))
        .execute(&mut conn)
        .expect("prepare candidate");
    diesel::insert_into(ladder_measurements::table)
        .values(&opstap::db::models::LadderMeasurement {
            id: opstap::db::new_id(),
            candidate_id: cid.clone(),
            measured_on: opstap::clock::today(),
            step: 3,
            target_step: Some(4),
            measured_by: Some(km_id),
            note: "Voor de browsertest".into(),
            created_at: opstap::db::now(),
        })
        .execute(&mut conn)
        .expect("ladder");
    let regular: String = placements::table
        .inner_join(organisations::table)
        .filter(placements::kind.eq("reguliere_baan"))
        .filter(placements::status.eq("open"))
        .filter(organisations::verified.eq(true))
        .select(placements::id)
        .first(&mut conn)
        .expect("a published regular job in the demo");
    opstap::db::changes::record(&mut conn, opstap::db::changes::Entity::Candidate, &cid).expect("change");
    drop(conn);
    state.engine.flush();

    // A genuine session of the candidate that expired a minute ago: a form sent with it is kept
    // for after the next login (`/doorgaan`).
    let cand_user: String =
        users::table.filter(users::candidate_id.eq(&cid)).select(users::id).first(&mut state.pool.get().expect("conn")).expect("account");
    let expired = state.jwt.issue(&cand_user, "kandidaat", "verlopen-sessie", chrono::Utc::now().timestamp() - 60).expect("token");
    let (addr, server, thread) = serve(state);
    let shots = manifest().join("target/screenshots");
    let journey = serde_json::json!({
        "base": format!("http://{addr}"),
        "shots": shots,
        "password": common::PW,
        "employer": "werkgever1@demo.nl",
        "klantmanager": km_email,
        "beheerder": "beheerder@lochem.demo",
        "regularJob": regular,
        "candidate": "kandidaat1@lochem.demo",
        "candidateId": cid,
        "expiredCandidateToken": expired,
        "firstName": "Wubbina",
        "lastName": "Scholten-Olthof",
        "occupation": occupation,
        "skill": skill,
        "pc4": pc4,
        "chromium": chromium,
    });
    let out = std::process::Command::new(std::env::var("NODE").unwrap_or_else(|_| "node".into()))
        .arg(dir.join("journeys.mjs"))
        .current_dir(&dir)
        .env("OPSTAP_JOURNEY", journey.to_string())
        .output()
        .expect("run node (is Node.js installed?)");
    // Stop the server before asserting, so that no connection outlives the test.
    actix_web::rt::System::new().block_on(server.stop(true));
    let _ = thread.join();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "browser journeys failed:\n{stdout}\n{stderr}");
    println!("{stdout}");
    for name in ["03-werkgever-overzicht", "05-klantmanager-voorstellen", "07-kandidaat-voorstel-telefoon", "10-werkgever-na-toestemming"] {
        let f = shots.join(format!("{name}.png"));
        assert!(f.metadata().map(|m| m.len() > 1000).unwrap_or(false), "screenshot {} missing", f.display());
    }
}
