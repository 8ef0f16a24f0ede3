//! Running it as an IT department would: health probes, request ids in structured logs without
//! query strings, the metrics on their own address, the client's address behind a trusted
//! proxy, a backup taken while serving and restored into an empty database, and two instances
//! starting at once on one empty PostgreSQL. All on `opstap serve` as a process.

use crate::common::process::{try_request_raw, try_request_with, wait_for, Server};
use crate::common::smtp::free_port;
use crate::common::{self};
use crate::operation::search_ids;
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

fn opstap(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opstap"));
    c.args(args).env("OPSTAP_REFDATA", common::refdata_dir()).env_remove("DATABASE_URL");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run opstap");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn probes_request_ids_json_logs_and_metrics_on_their_own_address() {
    let db = common::fresh_db();
    let work = tempfile::tempdir().unwrap();
    let mport = free_port();
    let maddr = format!("127.0.0.1:{mport}");
    let s = Server::start(&db.url, work.path(), "a", &[("OPSTAP_METRICS_BIND", &maddr), ("OPSTAP_LOG_FORMAT", "json")]);

    let (st, v) = s.get("/health/live", None);
    assert_eq!((st, v["status"].as_str()), (200, Some("live")), "{v}");
    let (st, v) = s.get("/health/ready", None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["database"]["ok"], true, "{v}");
    assert_eq!(v["rebuilding"], false, "{v}");

    // A search with a personal term: the answer carries a request id, the log line of that
    // request carries it too, and the term is nowhere in the log.
    let km = s.login("klantmanager1@lochem.demo");
    let (st, head, _) = try_request_with(&s.addr, "GET", "/api/v1/search/candidates?q=Jansenvanderpersoonlijk", Some(&km), None, &[]).unwrap();
    assert_eq!(st, 200);
    let id = head.lines().find_map(|l| l.strip_prefix("x-request-id: ")).expect("x-request-id header").trim().to_string();
    assert_eq!(id.len(), 16, "{head}");
    let (st, head2, _) = try_request_raw(&s.addr, "GET", "/health/live", None, None).unwrap();
    assert_eq!(st, 200);
    assert!(!head2.contains(&id), "every request has its own id");
    let logged = wait_for(Duration::from_secs(5), || {
        let log = s.log_text();
        let lines: Vec<Value> = log.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).expect("each log line is JSON")).collect();
        lines.into_iter().find(|l| l["span"]["id"] == id.as_str() && l["fields"]["message"] == "answered")
    });
    let (line, _) = logged.unwrap_or_else(|| panic!("no log line for request {id}:\n{}", s.log_text()));
    assert_eq!(line["fields"]["status"], 200, "{line}");
    assert_eq!(line["fields"]["path"], "/api/v1/search/candidates", "{line}");
    assert!(!s.log_text().contains("Jansenvanderpersoonlijk"), "a query string reached the log");

    // The metrics: on their own address only.
    let (st, _, body) = try_request_raw(&maddr, "GET", "/metrics", None, None).unwrap();
    assert_eq!(st, 200);
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.contains(r#"opstap_http_requests_total{method="GET",route="/api/v1/search/candidates",status="200"} 1"#),
        "requests by route and status:\n{text}"
    );
    assert!(text.contains(r#"opstap_http_request_duration_seconds_bucket{method="GET",route="/api/v1/search/candidates""#), "{text}");
    for gauge in ["opstap_index_lag_changes 0", "opstap_database_up 1", "opstap_outbox_backlog ", "opstap_index_rebuilding 0"] {
        assert!(text.contains(gauge), "{gauge} missing:\n{text}");
    }
    assert!(!text.contains("Jansenvanderpersoonlijk"));
    // Proposals are timed.
    let (_, c) = s.get("/api/v1/candidates?limit=1", Some(&km));
    let cid = c["items"][0]["id"].as_str().unwrap().to_string();
    let (st, _) = s.get(&format!("/api/v1/candidates/{cid}/proposals"), Some(&km));
    assert_eq!(st, 200);
    let (_, _, body) = try_request_raw(&maddr, "GET", "/metrics", None, None).unwrap();
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains(r#"opstap_proposals_duration_seconds_count{direction="for_candidate"} 1"#), "{text}");
    // Not on the public address.
    let (st, _, _) = try_request_raw(&s.addr, "GET", "/metrics", None, None).unwrap();
    assert_eq!(st, 404);
}

#[test]
fn the_client_behind_a_trusted_proxy_is_limited_by_its_own_address() {
    let db = common::fresh_db();
    let work = tempfile::tempdir().unwrap();
    let reset = |s: &Server, forwarded: &str| {
        let body = json!({"email": "niemand@example.nl"});
        try_request_with(&s.addr, "POST", "/api/v1/auth/password-reset", None, Some(&body), &[("X-Forwarded-For", forwarded)]).unwrap().0
    };
    // Without trusted proxies a forged header changes nothing: the peer is limited (20 an hour).
    let plain = Server::start(&db.url, work.path(), "plain", &[]);
    let statuses: Vec<u16> = (0..21).map(|i| reset(&plain, &format!("198.51.100.{i}"))).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 20, "{statuses:?}");
    assert_eq!(statuses[20], 429, "{statuses:?}");
    drop(plain);

    // Behind the proxy at 127.0.0.1: each client has its own allowance.
    let db = common::fresh_db();
    let proxied = Server::start(&db.url, work.path(), "proxied", &[("OPSTAP_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")]);
    let first: Vec<u16> = (0..21).map(|_| reset(&proxied, "203.0.113.5")).collect();
    assert_eq!(first[19], 202, "{first:?}");
    assert_eq!(first[20], 429, "the 21st of one client: {first:?}");
    assert_eq!(reset(&proxied, "203.0.113.6"), 202, "another client behind the same proxy");
    // A client forging an entry in front of its own: its real address (the proxy's entry) counts.
    assert_eq!(reset(&proxied, "1.2.3.4, 203.0.113.5"), 429);
}

#[test]
fn a_backup_taken_while_serving_restores_into_an_empty_database_with_the_same_figures_and_search() {
    let db = common::fresh_db();
    let work = tempfile::tempdir().unwrap();
    let a = Server::start(&db.url, work.path(), "a", &[]);
    let km = a.login("klantmanager1@lochem.demo");
    let (_, occ) = a.get("/api/v1/esco/occupations?q=hovenier&limit=1", None);
    let occ = occ["items"][0]["id"].as_str().unwrap().to_string();
    let cand = json!({
        "first_name": "Bewaard", "last_name": "Terugezet", "birth_date": "1985-03-01", "pc4": "7241",
        "language_level": "2F", "hours_min": 16, "hours_max": 32, "max_travel_km": 25, "own_transport": true,
        "consent_matching": true, "consent_anonymous_profile": true,
        "occupations": [{"occupation_id": occ, "experience": "ervaren"}], "ladder_step": 3
    });
    let (st, c) = a.post("/api/v1/candidates", Some(&km), &cand);
    assert_eq!(st, 201, "{c}");
    let (st, monitor) = a.get("/api/v1/monitor", Some(&km));
    assert_eq!(st, 200, "{monitor}");
    let cid = c["id"].as_str().unwrap().to_string();
    let found = wait_for(Duration::from_secs(10), || {
        let ids = search_ids(&a, "/api/v1/search/candidates?q=hovenier", &km);
        ids.contains(&cid).then_some(ids)
    });
    let (candidates, _) = found.expect("the new candidate is found");
    let placements = search_ids(&a, "/api/v1/search/placements", &km);
    assert!(!placements.is_empty());

    // Online: A keeps serving (and writing) while the backup is taken.
    let file = work.path().join("opstap.backup");
    let file_s = file.display().to_string();
    let (ok, out) = opstap(&["backup", &file_s], &[("DATABASE_URL", &db.url)]);
    assert!(ok, "backup: {out}");
    let (st, _) = a.get("/health", None);
    assert_eq!(st, 200);
    let (ok, out) = opstap(&["backup", &file_s], &[("DATABASE_URL", &db.url)]);
    assert!(!ok && out.contains("already exists"), "a backup never overwrites: {out}");

    let target = common::empty_db();
    let index_b = work.path().join("index-b");
    std::fs::create_dir_all(index_b.join("stale")).unwrap();
    let (ok, out) = opstap(&["restore", &file_s], &[("DATABASE_URL", &target.url), ("OPSTAP_INDEX_DIR", &index_b.display().to_string())]);
    assert!(ok, "restore: {out}");
    assert!(!index_b.exists(), "the old index is removed, to be rebuilt from the restored database");
    let (ok, out) = opstap(&["restore", &file_s], &[("DATABASE_URL", &target.url)]);
    assert!(!ok, "a restore never mixes two databases: {out}");

    let b = Server::start(&target.url, work.path(), "b", &[]);
    let km_b = b.login("klantmanager1@lochem.demo");
    let (st, monitor_b) = b.get("/api/v1/monitor", Some(&km_b));
    assert_eq!(st, 200, "{monitor_b}");
    assert_eq!(monitor_b, monitor, "the same monitor figures");
    assert_eq!(search_ids(&b, "/api/v1/search/candidates?q=hovenier", &km_b), candidates, "the same candidates found");
    assert_eq!(search_ids(&b, "/api/v1/search/placements", &km_b), placements, "the same placements found");
}

#[test]
fn two_instances_started_at_once_on_an_empty_postgresql_both_come_up() {
    if !common::is_postgres() {
        eprintln!("two instances at once: runs on PostgreSQL (TEST_DATABASE_URL)");
        return;
    }
    let db = common::empty_db();
    let work = tempfile::tempdir().unwrap();
    let env = [("OPSTAP_DEMO", "true")];
    let mut a = Server::spawn(&db.url, work.path(), "a", &env);
    let mut b = Server::spawn(&db.url, work.path(), "b", &env);
    a.wait_ready();
    b.wait_ready();
    let logs = [a.log_text(), b.log_text()];
    let migrated = logs.iter().filter(|l| l.contains("database migration(s)")).count();
    let imported = logs.iter().filter(|l| l.contains("Imported reference data")).count();
    let seeded = logs.iter().filter(|l| l.contains("WARNING: demo data seeded")).count();
    assert_eq!((migrated, imported, seeded), (1, 1, 1), "set-up done once:\n--- a\n{}\n--- b\n{}", logs[0], logs[1]);
    for s in [&a, &b] {
        let (st, h) = s.get("/health/ready", None);
        assert_eq!(st, 200, "{h}");
        let km = s.login("klantmanager1@lochem.demo");
        let (st, v) = s.get("/api/v1/candidates?limit=1", Some(&km));
        assert_eq!(st, 200, "{v}");
    }
    let (_, va) = a.get("/api/v1/esco/occupations?q=hovenier&limit=5", None);
    let (_, vb) = b.get("/api/v1/esco/occupations?q=hovenier&limit=5", None);
    assert_eq!(va, vb);
}
