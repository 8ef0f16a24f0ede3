//! Sound operation, tested on `opstap serve` as a process with its real configuration: mail over
//! SMTP (aiosmtpd) through an outage and a restart, `kill -9` under write load, and two
//! instances on one PostgreSQL converging through the change feed.

use crate::common::process::{wait_for, Server};
use crate::common::smtp::{free_port, Smtp};
use crate::common::{self, TestDb};
use diesel::prelude::*;
use opstap::db::schema::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn conn(db: &TestDb) -> opstap::db::PooledConn {
    opstap::db::connect(&db.url, 1).expect("connect").get().expect("connection")
}

/// kandidaat1@lochem.demo with e-mail consent and a distinctive address; returns
/// (candidate id, candidate e-mail, klantmanager e-mail, PC4).
fn prepare_candidate(db: &TestDb) -> (String, String, String, String) {
    let mut c = conn(db);
    let cid: String =
        users::table.filter(users::email.eq("kandidaat1@lochem.demo")).select(users::candidate_id).first::<Option<String>>(&mut c).unwrap().unwrap();
    let email = "proces.kandidaat@example.org";
    diesel::update(candidates::table.find(&cid))
        .set((
            candidates::email.eq(Some(email)),
            candidates::consent_email.eq(true),
            candidates::consent_matching.eq(true),
            candidates::consent_anonymous_profile.eq(true),
            candidates::status.eq("actief"),
            candidates::beschut_werk_indicatie.eq(false),
        ))
        .execute(&mut c)
        .unwrap();
    let (km, pc4): (String, String) = candidates::table
        .inner_join(users::table.on(users::id.eq(candidates::klantmanager_id)))
        .filter(candidates::id.eq(&cid))
        .select((users::email, candidates::pc4))
        .first(&mut c)
        .unwrap();
    (cid, email.to_string(), km, pc4)
}

fn outbox_status(db: &TestDb) -> Vec<(String, String, i32)> {
    let mut c = conn(db);
    outbox::table.select((outbox::id, outbox::status, outbox::attempts)).order(outbox::created_at).load(&mut c).unwrap()
}

#[test]
fn serve_sends_mail_over_smtp_and_loses_or_repeats_none_through_an_outage() {
    let db = common::fresh_db();
    let work = tempfile::tempdir().unwrap();
    let (cid, cand_email, km_email, pc4) = prepare_candidate(&db);
    let port = free_port();
    let mut smtp = Smtp::start(work.path(), port);
    let url = format!("smtp://127.0.0.1:{port}");
    // The transport is built inside the server's runtime: starting with an SMTP URL works.
    let mut a = Server::start(&db.url, work.path(), "a", &[("OPSTAP_SMTP_URL", &url)]);

    let emp = a.login("werkgever1@demo.nl");
    let km = a.login(&km_email);
    let mut body = common::placement_body(None);
    body["pc4"] = json!(pc4);
    let (s, p) = a.post("/api/v1/placements", Some(&emp), &body);
    assert_eq!(s, 201, "{p}");
    let (s, m) = a.post("/api/v1/matches", Some(&km), &json!({"candidate_id": cid, "placement_id": p["id"]}));
    assert_eq!(s, 201, "{m}");
    let got = wait_for(Duration::from_secs(30), || smtp.messages().into_iter().find(|(to, _)| to.contains(&cand_email)));
    assert!(got.is_some(), "the proposal mail did not arrive over SMTP:\n{}", a.log_text());

    // Outage: the SMTP server goes down, the candidate answers (mail to the klantmanager), the
    // send fails and waits; Opstap is killed and restarted; the SMTP server comes back.
    smtp.stop();
    let cand = a.login("kandidaat1@lochem.demo");
    let (s, r) =
        a.post(&format!("/api/v1/matches/{}/actions", m["id"].as_str().unwrap()), Some(&cand), &json!({"action": "accept", "version": m["version"]}));
    assert_eq!(s, 200, "{r}");
    let failed = wait_for(Duration::from_secs(30), || outbox_status(&db).iter().any(|(_, st, n)| st == "pending" && *n >= 1).then_some(()));
    assert!(failed.is_some(), "no failed attempt during the outage: {:?}", outbox_status(&db));
    a.kill();
    smtp.restart();
    a.restart();
    // The retry comes after the 30 s backoff.
    let done = wait_for(Duration::from_secs(120), || outbox_status(&db).iter().all(|(_, st, _)| st == "sent").then_some(()));
    assert!(done.is_some(), "mail still waiting: {:?}\n{}", outbox_status(&db), a.log_text());

    let rows = outbox_status(&db);
    let all = smtp.messages();
    assert_eq!(all.len(), rows.len(), "every message arrived exactly once: {} sent, {} received", rows.len(), all.len());
    let ids: Vec<String> =
        all.iter().filter_map(|(_, m)| m.lines().find(|l| l.to_ascii_lowercase().starts_with("message-id:")).map(|l| l.trim().to_string())).collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), all.len(), "a message arrived twice: {ids:?}");
    for (id, _, _) in &rows {
        assert!(ids.iter().any(|m| m.contains(id.as_str())), "outbox {id} never arrived");
    }
    assert!(all.iter().any(|(to, _)| to.contains(&km_email)), "the answer to the klantmanager arrived after the outage");
}

/// Pages through a search; returns every id found.
pub(crate) fn search_ids(s: &Server, path: &str, token: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut offset = 0;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let (st, v) = s.get(&format!("{path}{sep}limit=100&offset={offset}"), Some(token));
        assert_eq!(st, 200, "{path}: {v}");
        let hits = v["hits"].as_array().cloned().unwrap_or_default();
        out.extend(hits.iter().filter_map(|h| h["id"].as_str().map(String::from)));
        offset += 100;
        if hits.is_empty() || offset >= v["total"].as_u64().unwrap_or(0) as usize {
            return out;
        }
    }
}

#[test]
fn acknowledged_writes_survive_kill_9_and_are_found_in_search_after_the_restart() {
    let db = common::fresh_db();
    let work = tempfile::tempdir().unwrap();
    let mut a = Server::start(&db.url, work.path(), "a", &[]);
    let emp = a.login("werkgever1@demo.nl");
    let km = a.login("klantmanager1@lochem.demo");
    let org: String = {
        let mut c = conn(&db);
        users::table.filter(users::email.eq("werkgever1@demo.nl")).select(users::organisation_id).first::<Option<String>>(&mut c).unwrap().unwrap()
    };
    let acked_p = Arc::new(Mutex::new(Vec::<String>::new()));
    let acked_c = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for i in 0..4 {
        let (addr, emp, km, acked_p, acked_c, stop) = (a.addr.clone(), emp.clone(), km.clone(), acked_p.clone(), acked_c.clone(), stop.clone());
        clients.push(std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let r = if i % 2 == 0 {
                    let mut b = common::placement_body(None);
                    b["title"] = json!(format!("Crashtest plaats {i}-{n}"));
                    common::process::try_request(&addr, "POST", "/api/v1/placements", Some(&emp), Some(&b)).map(|r| (r, &acked_p))
                } else {
                    let mut b = common::candidate_body();
                    b["last_name"] = json!(format!("Crashtest {i}-{n}"));
                    b["email"] = Value::Null;
                    common::process::try_request(&addr, "POST", "/api/v1/candidates", Some(&km), Some(&b)).map(|r| (r, &acked_c))
                };
                match r {
                    Ok(((201, v), into)) => into.lock().unwrap().push(v["id"].as_str().unwrap().to_string()),
                    Ok(((s, v), _)) => panic!("write refused with {s}: {v}"),
                    // The server was killed: this write was never acknowledged.
                    Err(_) => break,
                }
            }
        }));
    }
    // While the clients write: how far behind the database is the index?
    let mut lag_ms = Vec::new();
    let burst = std::time::Instant::now();
    while burst.elapsed() < Duration::from_secs(4) {
        let (_, h) = a.get("/health", None);
        lag_ms.push(h["feed"]["lag_ms"].as_i64().unwrap_or(0));
        std::thread::sleep(Duration::from_millis(100));
    }
    a.kill();
    lag_ms.sort_unstable();
    eprintln!(
        "index lag during the write burst ({} samples): median {} ms, max {} ms",
        lag_ms.len(),
        lag_ms[lag_ms.len() / 2],
        lag_ms.last().copied().unwrap_or(0)
    );
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().expect("client");
    }
    let (acked_p, acked_c) = (acked_p.lock().unwrap().clone(), acked_c.lock().unwrap().clone());
    assert!(acked_p.len() >= 5 && acked_c.len() >= 5, "too few writes before the kill: {} placements, {} candidates", acked_p.len(), acked_c.len());

    // Every acknowledged write is in the database.
    let mut c = conn(&db);
    let in_db_p: HashSet<String> =
        placements::table.filter(placements::id.eq_any(&acked_p)).select(placements::id).load::<String>(&mut c).unwrap().into_iter().collect();
    let in_db_c: HashSet<String> =
        candidates::table.filter(candidates::id.eq_any(&acked_c)).select(candidates::id).load::<String>(&mut c).unwrap().into_iter().collect();
    assert_eq!(in_db_p.len(), acked_p.len(), "acknowledged placements missing from the database");
    assert_eq!(in_db_c.len(), acked_c.len(), "acknowledged candidates missing from the database");
    drop(c);

    // After the restart every one of them is found in search; the index was kept and caught up.
    let started = std::time::Instant::now();
    a.restart();
    let found = wait_for(Duration::from_secs(10), || {
        let p = search_ids(&a, &format!("/api/v1/search/placements?organisation_id={org}"), &km);
        let c = search_ids(&a, "/api/v1/search/candidates?mine=true", &km);
        (acked_p.iter().all(|id| p.contains(id)) && acked_c.iter().all(|id| c.contains(id))).then_some(())
    });
    let log = a.log_text();
    assert!(found.is_some(), "acknowledged writes missing from search after the restart:\n{log}");
    eprintln!(
        "kill -9: {} placements and {} candidates acknowledged, all in the database and found in search {:.2} s after the restart began",
        acked_p.len(),
        acked_c.len(),
        started.elapsed().as_secs_f64()
    );
    let kept: Vec<&str> = log.lines().filter(|l| l.contains("Search index kept") || l.contains("Built the search index")).collect();
    eprintln!("{}", kept.join("\n"));
    assert!(kept.last().is_some_and(|l| l.contains("Search index kept")), "a kill -9 must not cost a rebuild: {kept:?}");
}

#[test]
fn two_instances_on_one_postgresql_converge_and_share_limits() {
    if !common::is_postgres() {
        eprintln!("two_instances: SQLite is the single-instance default; this test runs on PostgreSQL (TEST_DATABASE_URL)");
        return;
    }
    let db = common::fresh_db();
    let work = tempfile::tempdir().unwrap();
    let env = [("OPSTAP_EMPLOYER_PROFILE_VIEWS_PER_HOUR", "3")];
    let a = Server::start(&db.url, work.path(), "a", &env);
    let b = Server::start(&db.url, work.path(), "b", &env);
    let km = a.login("klantmanager1@lochem.demo");
    let emp = a.login("werkgever1@demo.nl");
    let (_, occ) = a.get("/api/v1/esco/occupations?q=hovenier&limit=1", None);
    let occ = occ["items"][0]["id"].as_str().unwrap().to_string();

    // A candidate written through A is found through B.
    let cand = json!({
        "first_name": "Twee", "last_name": "Instanties", "birth_date": "1985-03-01", "pc4": "7241",
        "language_level": "2F", "hours_min": 16, "hours_max": 32, "max_travel_km": 25, "own_transport": true,
        "consent_matching": true, "consent_anonymous_profile": true,
        "occupations": [{"occupation_id": occ, "experience": "ervaren"}], "ladder_step": 3
    });
    let (s, c) = a.post("/api/v1/candidates", Some(&km), &cand);
    assert_eq!(s, 201, "{c}");
    let cid = c["id"].as_str().unwrap().to_string();
    let seen = wait_for(Duration::from_secs(10), || search_ids(&b, "/api/v1/search/candidates?q=hovenier", &km).contains(&cid).then_some(()));
    let (_, t_c) = seen.unwrap_or_else(|| panic!("candidate written through A never reached B's index:\n{}", b.log_text()));

    // A placement written through A is found and proposed through B, in both directions.
    let p = json!({
        "kind": "werkervaringsplaats", "title": "Hovenier twee instanties", "description": "Groenonderhoud in de wijk.",
        "occupation_id": occ, "hours_min": 16, "hours_max": 32, "pc4": "7241", "job_coach_welcome": true, "duration_months": 2
    });
    let (s, p) = a.post("/api/v1/placements", Some(&emp), &p);
    assert_eq!(s, 201, "{p}");
    let pid = p["id"].as_str().unwrap().to_string();
    let org = p["organisation_id"].as_str().unwrap().to_string();
    let seen = wait_for(Duration::from_secs(10), || {
        search_ids(&b, &format!("/api/v1/search/placements?organisation_id={org}"), &km).contains(&pid).then_some(())
    });
    let (_, t_p) = seen.unwrap_or_else(|| panic!("placement written through A never reached B's index:\n{}", b.log_text()));
    eprintln!(
        "two instances: written through A, found through B after {:.0} ms (candidate) and {:.0} ms (placement)",
        t_c.as_secs_f64() * 1e3,
        t_p.as_secs_f64() * 1e3
    );
    let (s, v) = b.get(&format!("/api/v1/candidates/{cid}/proposals?limit=100"), Some(&km));
    assert_eq!(s, 200, "{v}");
    assert!(v["proposals"].as_array().unwrap().iter().any(|x| x["placement"]["id"] == pid.as_str()), "B proposes A's placement: {v}");
    let (s, v) = b.get(&format!("/api/v1/placements/{pid}/proposals?limit=100"), Some(&km));
    assert_eq!(s, 200, "{v}");
    assert!(v["proposals"].as_array().unwrap().iter().any(|x| x["candidate"]["id"] == cid.as_str()), "B proposes A's candidate: {v}");

    // The employer's profile-view limit (3 per hour here) is one allowance over both instances.
    for (i, s) in [&a, &b, &a].into_iter().enumerate() {
        let (st, v) = s.get(&format!("/api/v1/placements/{pid}/proposals?limit=1"), Some(&emp));
        assert_eq!(st, 200, "view {i}: {v}");
        assert_eq!(v["proposals"].as_array().unwrap().len(), 1, "{v}");
    }
    let (st, v) = b.get(&format!("/api/v1/placements/{pid}/proposals?limit=1"), Some(&emp));
    assert_eq!(st, 429, "the fourth profile within the hour, on the other instance: {v}");

    // A beheerder's Dutch skill label, saved through A, is what B suggests.
    let skill: String = {
        let mut c = conn(&db);
        esco_skills::table.filter(esco_skills::label_nl.is_null()).order(esco_skills::id).select(esco_skills::id).first(&mut c).unwrap()
    };
    let beheer = a.login("beheerder@lochem.demo");
    let (s, v) = a.call(
        "PUT",
        &format!("/api/v1/esco/skills/{}", opstap::web::pages::urlencode(&skill)),
        Some(&beheer),
        Some(&json!({"label_nl": "Opstaptestvaardigheid"})),
    );
    assert_eq!(s, 200, "{v}");
    let seen = wait_for(Duration::from_secs(10), || {
        let (_, v) = b.get("/api/v1/esco/skills?q=Opstaptestvaardigheid", None);
        v["items"].as_array().is_some_and(|i| i.iter().any(|x| x["id"] == skill.as_str())).then_some(())
    });
    assert!(seen.is_some(), "B did not load the new label");

    // An admin reindex through A rebuilds B's index too.
    let (s, v) = a.post("/api/v1/admin/reindex", Some(&beheer), &json!({}));
    assert_eq!(s, 200, "{v}");
    let rebuilt = wait_for(Duration::from_secs(20), || (b.get("/health", None).1["feed"]["rebuilds"].as_i64().unwrap_or(0) >= 1).then_some(()));
    assert!(rebuilt.is_some(), "B did not rebuild: {}", b.get("/health", None).1);
    let (_, h) = b.get("/health", None);
    assert_eq!(h["status"], "ok", "{h}");
    assert!(search_ids(&b, &format!("/api/v1/search/placements?organisation_id={org}"), &km).contains(&pid));
}

/// Damages the placements part of an index at rest, as a disk or an operator might.
fn damage(dir: &std::path::Path, how: &str) {
    let file_with = |ext: &str| {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
            .unwrap_or_else(|| panic!("no .{ext} file in {}", dir.display()))
    };
    match how {
        "truncated segment" => {
            let f = file_with("term");
            let len = std::fs::metadata(&f).unwrap().len();
            std::fs::OpenOptions::new().write(true).open(&f).unwrap().set_len(len / 2).unwrap();
        }
        "bad meta.json" => std::fs::write(dir.join("meta.json"), "{\"segments\": [ this is not json").unwrap(),
        "missing .store" => std::fs::remove_file(file_with("store")).unwrap(),
        "zeroed .idx" => {
            let f = file_with("idx");
            let len = std::fs::metadata(&f).unwrap().len() as usize;
            std::fs::write(&f, vec![0u8; len]).unwrap();
        }
        other => panic!("unknown damage {other}"),
    }
}

#[test]
fn a_damaged_index_is_rebuilt_at_start_and_by_reindex() {
    let db = common::fresh_db();
    let work = tempfile::tempdir().unwrap();
    let mut a = Server::start(&db.url, work.path(), "a", &[]);
    let total = |s: &Server| s.get("/api/v1/search/placements?q=medewerker&limit=5", None).1["total"].as_u64().unwrap_or(0);
    let expected = total(&a);
    assert!(expected > 0);
    a.kill();
    let pdir = work.path().join("index-a").join("placements");
    for (i, how) in ["truncated segment", "bad meta.json", "missing .store", "zeroed .idx"].into_iter().enumerate() {
        damage(&pdir, how);
        a.restart();
        assert_eq!(total(&a), expected, "after {how}");
        let (_, h) = a.get("/health", None);
        assert_eq!(h["status"], "ok", "after {how}: {h}");
        let rebuilt = a.log_text().lines().filter(|l| l.starts_with("Built the search index") && l.contains("damaged")).count();
        assert_eq!(rebuilt, i + 1, "after {how}, the start must say it rebuilt a damaged index:\n{}", a.log_text());
        a.kill();
    }
    let reindex = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_opstap"))
            .arg("reindex")
            .env("DATABASE_URL", &db.url)
            .env("OPSTAP_INDEX_DIR", work.path().join("index-a"))
            .env("OPSTAP_REFDATA", common::refdata_dir())
            .output()
            .unwrap()
    };
    // `opstap reindex` mends a damaged index too; the next start keeps what it built.
    damage(&pdir, "bad meta.json");
    let out = reindex();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("Reindexed"), "{text}");
    a.restart();
    assert_eq!(total(&a), expected);
    let log = a.log_text();
    let last = log.lines().rfind(|l| l.starts_with("Built the search index") || l.starts_with("Search index kept"));
    assert!(last.is_some_and(|l| l.starts_with("Search index kept")), "{log}");

    // With the server running, `opstap reindex` asks it (through the change feed) to rebuild.
    let out = reindex();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success() && text.contains("asked every instance"), "{text}");
    let done = wait_for(Duration::from_secs(20), || (a.get("/health", None).1["feed"]["rebuilds"].as_i64().unwrap_or(0) >= 1).then_some(()));
    assert!(done.is_some(), "{}", a.get("/health", None).1);
    assert_eq!(total(&a), expected);
}
