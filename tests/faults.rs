//! The fault suite: `opstap serve` as a process with its real configuration, a fault injected
//! while writes and mail flow, and what is left once the fault clears. Each test prints one
//! line `fault <name>: ...` with the figures (writes acknowledged, missing after recovery, time
//! to heal, mails lost and duplicated).
//!
//! - a full disk under the index and the mail folder (a small tmpfs, filled up; root only);
//! - the index folder removed while the server runs;
//! - an SMTP server that accepts connections and never answers;
//! - an SMTP server that confirms each message only after longer than the claim lease, with
//!   two instances sending from one outbox;
//! - the SQLite write lock held by another process, shortly and past the busy timeout;
//! - updates without `version` racing on one row (the same answer on both backends).

use crate::common::process::{try_request, try_request_head, wait_for, Server};
use crate::common::smtp::{free_port, Smtp};
use crate::common::{self, TestDb};
use crate::operation::search_ids;
use diesel::prelude::*;
use opstap::db::schema::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn conn(db: &TestDb) -> opstap::db::PooledConn {
    opstap::db::connect(&db.url, 1).expect("connect").get().expect("connection")
}

fn org_of(db: &TestDb, email: &str) -> String {
    let mut c = conn(db);
    users::table.filter(users::email.eq(email)).select(users::organisation_id).first::<Option<String>>(&mut c).unwrap().unwrap()
}

/// Placements written through one server from a thread, until stopped or the server is gone.
struct Load {
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<String>>>,
    refused: Arc<Mutex<Vec<(u16, Value)>>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Load {
    fn start(addr: &str, token: &str, label: &str) -> Load {
        let (stop, acked, refused) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(vec![])), Arc::new(Mutex::new(vec![])));
        let (addr, token, label) = (addr.to_string(), token.to_string(), label.to_string());
        let (s2, a2, r2) = (stop.clone(), acked.clone(), refused.clone());
        let handle = std::thread::spawn(move || {
            let mut n = 0;
            while !s2.load(Ordering::SeqCst) {
                n += 1;
                let mut b = common::placement_body(None);
                b["title"] = json!(format!("Storingstest {label} {n}"));
                match try_request(&addr, "POST", "/api/v1/placements", Some(&token), Some(&b)) {
                    Ok((201, v)) => a2.lock().unwrap().push(v["id"].as_str().unwrap().to_string()),
                    Ok((s, v)) => r2.lock().unwrap().push((s, v)),
                    Err(_) => break,
                }
                std::thread::sleep(Duration::from_millis(40));
            }
        });
        Load { stop, acked, refused, handle: Some(handle) }
    }
    fn acked(&self) -> usize {
        self.acked.lock().unwrap().len()
    }
    /// Stops the writer; returns what was acknowledged and what was refused.
    fn finish(mut self) -> (Vec<String>, Vec<(u16, Value)>) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            h.join().expect("load thread");
        }
        (self.acked.lock().unwrap().clone(), self.refused.lock().unwrap().clone())
    }
}

/// Waits until every id is found in search; returns how long that took (None: not in `limit`),
/// and how many were still missing at the end.
fn found_in_search(s: &Server, org: &str, token: &str, ids: &[String], limit: Duration) -> (Option<Duration>, usize) {
    let mut missing = ids.len();
    let r = wait_for(limit, || {
        let found = search_ids(s, &format!("/api/v1/search/placements?organisation_id={org}"), token);
        missing = ids.iter().filter(|i| !found.contains(*i)).count();
        (missing == 0).then_some(())
    });
    (r.map(|(_, t)| t), missing)
}

/// Every acknowledged write is in the database.
fn assert_in_database(db: &TestDb, ids: &[String]) {
    let mut c = conn(db);
    let n: i64 = placements::table.filter(placements::id.eq_any(ids)).count().get_result(&mut c).unwrap();
    assert_eq!(n as usize, ids.len(), "acknowledged placements missing from the database");
}

fn health(s: &Server) -> Value {
    s.get("/health", None).1
}

/// `/health` is ok and the index has applied the database's newest change. A change written in
/// the last moment (a background job's, or the load's last one) may still be on its way: the feed
/// gets two seconds to take it in, which is far inside its own one-second catch-up promise twice.
fn assert_healthy(s: &Server) {
    let caught_up = wait_for(Duration::from_secs(2), || {
        let h = health(s);
        (h["feed"]["applied"] == h["feed"]["latest"]).then_some(())
    });
    let h = health(s);
    assert!(caught_up.is_some() || h["feed"]["applied"] == h["feed"]["latest"], "{h}");
    assert_eq!(h["status"], "ok", "{h}");
    assert_eq!(h["feed"]["applied"], h["feed"]["latest"], "{h}");
    assert_eq!(h["feed"]["write_failures"], 0, "{h}");
}

/// An employer registration: one welcome mail in the outbox. Returns the address.
fn register(s: &Server, n: usize, tag: &str) -> String {
    let email = format!("{tag}{n}@storing.example");
    let kvk = format!("{:08}", 60_000_000 + n * 1000 + tag.bytes().fold(0usize, |a, b| (a * 31 + b as usize) % 1000));
    let body = json!({
        "organisation": {"name": format!("Storingstest {tag} {n}"), "kvk_number": kvk, "sector": "Zorg", "pc4": "7241",
                         "contact_name": "Sam Storing", "contact_email": email},
        "name": "Sam Storing", "email": email, "password": "een-goed-wachtwoord"
    });
    let (st, v) = s.post("/api/v1/auth/register-employer", None, &body);
    assert_eq!(st, 202, "{v}");
    email
}

/// (id, status, attempts, last error) of every outbox row.
fn outbox_rows(db: &TestDb) -> Vec<(String, String, i32, Option<String>)> {
    let mut c = conn(db);
    outbox::table.select((outbox::id, outbox::status, outbox::attempts, outbox::last_error)).order(outbox::created_at).load(&mut c).unwrap()
}

/// The outbox ids in each received message's Message-ID (`<id@opstap>`).
fn message_ids(raw: &[String]) -> Vec<String> {
    raw.iter()
        .filter_map(|m| {
            let l = m.lines().find(|l| l.to_ascii_lowercase().starts_with("message-id:"))?;
            Some(l.split('<').nth(1)?.split('@').next()?.to_string())
        })
        .collect()
}

/// Checks that every sent outbox row arrived exactly once; returns (lost, duplicated).
fn lost_and_duplicated(rows: &[(String, String, i32, Option<String>)], received: &[String]) -> (usize, usize) {
    let ids = message_ids(received);
    let unique: HashSet<&String> = ids.iter().collect();
    let lost = rows.iter().filter(|r| !unique.contains(&r.0)).count();
    (lost, ids.len() - unique.len())
}

fn read_mails(dir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else { return vec![] };
    rd.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "eml")).map(|e| std::fs::read_to_string(e.path()).unwrap_or_default()).collect()
}

// ---------------------------------------------------------------- a full disk

/// A small tmpfs; None when this machine does not let us mount one (not root).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, mb: u32) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(at.to_path_buf()))
    }
    /// Fills the file system with a filler file until it is full.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let p = self.0.join("filler");
        let mut f = std::fs::File::create(&p).unwrap();
        let big = vec![0u8; 1 << 20];
        while f.write_all(&big).is_ok() {}
        let small = vec![0u8; 4096];
        while f.write_all(&small).is_ok() {}
        let _ = f.flush();
        p
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn fault_a_full_disk_under_index_and_mail_loses_nothing_and_heals_without_a_restart() {
    let db = common::fresh_db();
    let work = tempfile::tempdir().unwrap();
    let Some(fs) = Tmpfs::mount(&work.path().join("small"), 96) else {
        eprintln!("fault full-disk: SKIPPED, this machine does not let the test mount a tmpfs (it needs root)");
        return;
    };
    let index = fs.0.join("index");
    let mail = fs.0.join("mail");
    let env = [("OPSTAP_INDEX_DIR", index.to_str().unwrap()), ("OPSTAP_MAIL_DIR", mail.to_str().unwrap())];
    let s = Server::start(&db.url, work.path(), "full", &env);
    let emp = s.login("werkgever1@demo.nl");
    let km = s.login("klantmanager1@lochem.demo");
    let org = org_of(&db, "werkgever1@demo.nl");

    let load = Load::start(&s.addr, &emp, "vol");
    std::thread::sleep(Duration::from_millis(500));
    let filler = fs.fill();
    let before_fault = load.acked();
    // Writes and mail go on while the disk is full.
    for n in 0..4 {
        register(&s, n, "vol");
    }
    let degraded = wait_for(Duration::from_secs(15), || (health(&s)["feed"]["write_failures"].as_i64().unwrap_or(0) > 0).then_some(()));
    std::thread::sleep(Duration::from_secs(2));
    let h = health(&s);
    assert!(degraded.is_some(), "a full index disk is not shown on /health: {h}");
    assert_eq!(h["status"], "degraded", "{h}");
    let empty: Vec<_> =
        std::fs::read_dir(&mail).unwrap().flatten().filter(|e| e.metadata().is_ok_and(|m| m.len() == 0)).map(|e| e.file_name()).collect();
    assert!(empty.is_empty(), "a failed mail write left empty files: {empty:?}");
    let during = load.acked() - before_fault;

    // Space again: no restart, no reindex.
    std::fs::remove_file(&filler).unwrap();
    let freed = Instant::now();
    let (acked, refused) = load.finish();
    assert!(refused.iter().all(|(st, _)| *st < 500), "writes refused with a server error: {refused:?}");
    assert!(during >= 5, "too few writes during the fault: {during}");
    assert_in_database(&db, &acked);
    let (healed, missing) = found_in_search(&s, &org, &km, &acked, Duration::from_secs(10));
    let healed = healed.unwrap_or_else(|| panic!("{missing} of {} acknowledged writes missing from search:\n{}", acked.len(), s.log_text()));
    assert!(freed.elapsed() < Duration::from_secs(10));
    assert!(healed <= Duration::from_secs(5), "healed only after {healed:?}");
    assert_healthy(&s);
    // Mail: every message once, in a whole file, nothing half-written left.
    let sent = wait_for(Duration::from_secs(90), || outbox_rows(&db).iter().all(|r| r.1 == "sent").then_some(()));
    assert!(sent.is_some(), "mail not sent after the disk had room again: {:?}", outbox_rows(&db));
    let rows = outbox_rows(&db);
    let files = read_mails(&mail);
    let (lost, dup) = lost_and_duplicated(&rows, &files);
    let leftovers: Vec<_> =
        std::fs::read_dir(&mail).unwrap().flatten().map(|e| e.file_name()).filter(|n| !n.to_string_lossy().ends_with(".eml")).collect();
    assert_eq!((lost, dup, files.len()), (0, 0, rows.len()), "mail lost or doubled");
    assert!(leftovers.is_empty(), "temporary files left in the mail folder: {leftovers:?}");
    eprintln!(
        "fault full-disk: {} writes acknowledged ({} during the fault), 0 missing after recovery, in search {:.2} s after space was freed; {} mails, {lost} lost, {dup} duplicated",
        acked.len(),
        during,
        healed.as_secs_f64(),
        rows.len()
    );
}

// ---------------------------------------------------------------- the index folder removed

#[test]
fn fault_the_index_folder_removed_while_running_is_rebuilt_without_a_restart() {
    let db = common::fresh_db();
    let work = tempfile::tempdir().unwrap();
    let mut s = Server::start(&db.url, work.path(), "gone", &[]);
    let emp = s.login("werkgever1@demo.nl");
    let km = s.login("klantmanager1@lochem.demo");
    let org = org_of(&db, "werkgever1@demo.nl");
    let load = Load::start(&s.addr, &emp, "weg");
    std::thread::sleep(Duration::from_millis(800));
    // The writer may add or remove files while the folder is being removed (ENOTEMPTY, ENOENT):
    // try again until one removal goes through.
    let removal = (0..100).find(|_| match std::fs::remove_dir_all(work.path().join("index-gone")) {
        Ok(()) => true,
        Err(_) => {
            std::thread::sleep(Duration::from_millis(10));
            false
        }
    });
    assert!(removal.is_some(), "could not remove the index folder");
    let removed = Instant::now();
    std::thread::sleep(Duration::from_millis(1500));
    let (acked, refused) = load.finish();
    assert!(refused.iter().all(|(st, _)| *st < 500), "{refused:?}");
    assert_in_database(&db, &acked);
    let (healed, missing) = found_in_search(&s, &org, &km, &acked, Duration::from_secs(10));
    assert!(healed.is_some(), "{missing} of {} acknowledged writes missing from search:\n{}", acked.len(), s.log_text());
    let since_removal = removed.elapsed();
    assert!(since_removal <= Duration::from_secs(8), "healed only {since_removal:?} after the removal");
    assert_healthy(&s);
    assert!(work.path().join("index-gone/placements/meta.json").exists());
    // A restart with nothing to catch up reports no lag: the applied position is the head.
    s.kill();
    s.restart();
    let h = health(&s);
    assert_eq!((h["status"].as_str(), h["feed"]["lag_changes"].as_i64()), (Some("ok"), Some(0)), "{h}");
    assert_eq!(h["feed"]["applied"], h["feed"]["latest"], "{h}");
    eprintln!(
        "fault index-removed: {} writes acknowledged, 0 missing after recovery, all in search {:.2} s after the folder was removed",
        acked.len(),
        since_removal.as_secs_f64()
    );
}

// ---------------------------------------------------------------- a stalled SMTP server

/// Accepts connections and never says a word, until dropped.
struct Staller {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Staller {
    fn start(port: u16) -> Staller {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut held = vec![];
            while !s2.load(Ordering::SeqCst) {
                if let Ok((c, _)) = listener.accept() {
                    held.push(c);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Staller { stop, handle: Some(handle) }
    }
}

impl Drop for Staller {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[test]
fn fault_a_stalled_smtp_server_fails_the_attempt_and_mail_flows_once_it_answers() {
    let db = common::fresh_db();
    let work = tempfile::tempdir().unwrap();
    let port = free_port();
    let staller = Staller::start(port);
    let url = format!("smtp://127.0.0.1:{port}");
    let env = [("OPSTAP_SMTP_URL", url.as_str()), ("OPSTAP_SMTP_TIMEOUT_SECS", "2")];
    let s = Server::start(&db.url, work.path(), "stall", &env);
    let emp = s.login("werkgever1@demo.nl");
    let km = s.login("klantmanager1@lochem.demo");
    let org = org_of(&db, "werkgever1@demo.nl");
    let load = Load::start(&s.addr, &emp, "stil");
    for n in 0..3 {
        register(&s, n, "stil");
    }
    // Each stalled attempt ends with its reason recorded, and is tried again later.
    let failed = wait_for(Duration::from_secs(20), || {
        outbox_rows(&db).iter().find(|r| r.2 >= 1 && r.3.as_deref().is_some_and(|e| e.contains("antwoordde niet"))).cloned()
    });
    let (row, took) =
        failed.unwrap_or_else(|| panic!("no failed attempt recorded while the server stalled: {:?}\n{}", outbox_rows(&db), s.log_text()));
    assert_eq!(row.1, "pending", "a stalled attempt is retried: {row:?}");
    assert!(took <= Duration::from_secs(10), "the stalled attempt took {took:?}");
    assert!(s.log_text().contains("antwoordde niet"), "the stall is logged");
    // The server keeps answering meanwhile, and writes are searchable as ever.
    assert_eq!(s.get("/health", None).0, 200);
    let (acked, refused) = load.finish();
    assert!(refused.is_empty(), "{refused:?}");
    assert_in_database(&db, &acked);
    let (in_search, missing) = found_in_search(&s, &org, &km, &acked, Duration::from_secs(5));
    assert!(in_search.is_some(), "{missing} of {} writes missing from search while mail stalled", acked.len());

    // The SMTP server recovers (a real one on the same port).
    drop(staller);
    let smtp = Smtp::start(work.path(), port);
    let recovered = Instant::now();
    let sent = wait_for(Duration::from_secs(120), || outbox_rows(&db).iter().all(|r| r.1 == "sent").then_some(()));
    assert!(sent.is_some(), "mail still waiting after the server recovered: {:?}", outbox_rows(&db));
    let rows = outbox_rows(&db);
    let received: Vec<String> = smtp.messages().into_iter().map(|(_, m)| m).collect();
    let (lost, dup) = lost_and_duplicated(&rows, &received);
    assert_eq!((lost, dup, received.len()), (0, 0, rows.len()), "mail lost or doubled");
    eprintln!(
        "fault smtp-stall: {} writes acknowledged meanwhile, 0 missing from search; {} mails, first stalled attempt recorded as failed after {:.1} s, all delivered {:.1} s after the server answered again; {lost} lost, {dup} duplicated",
        acked.len(),
        rows.len(),
        took.as_secs_f64(),
        recovered.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------- a slow SMTP server, two senders

/// aiosmtpd that confirms each message `delay` seconds after receiving it (tests/common/slow_smtp.py).
struct SlowSmtp {
    child: std::process::Child,
    dir: PathBuf,
}

impl SlowSmtp {
    fn start(dir: &Path, port: u16, delay: u32) -> SlowSmtp {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/slow_smtp.py");
        let dir = dir.join("slow-maildir");
        let child = std::process::Command::new(python)
            .arg(script)
            .arg(port.to_string())
            .arg(&dir)
            .arg(delay.to_string())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start slow_smtp.py");
        let up = wait_for(Duration::from_secs(30), || std::net::TcpStream::connect(("127.0.0.1", port)).ok());
        assert!(up.is_some(), "slow SMTP server did not start");
        SlowSmtp { child, dir }
    }
}

impl Drop for SlowSmtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn fault_a_slow_smtp_server_with_two_senders_delivers_each_message_once() {
    let db = common::fresh_db();
    let work = tempfile::tempdir().unwrap();
    let port = free_port();
    let slow = SlowSmtp::start(work.path(), port, 7);
    let url = format!("smtp://127.0.0.1:{port}");
    // The server confirms after 7 s, more than twice the claim lease (3 s) of both senders.
    let env = [("OPSTAP_SMTP_URL", url.as_str()), ("OPSTAP_MAIL_LEASE_SECS", "3"), ("OPSTAP_SMTP_TIMEOUT_SECS", "5")];
    let a = Server::start(&db.url, work.path(), "slow-a", &env);
    let b = Server::start(&db.url, work.path(), "slow-b", &env);
    let emp = a.login("werkgever1@demo.nl");
    let km = b.login("klantmanager1@lochem.demo");
    let org = org_of(&db, "werkgever1@demo.nl");
    let load = Load::start(&a.addr, &emp, "traag");
    for n in 0..2 {
        register(&a, n, "traag-a");
        register(&b, n, "traag-b");
    }
    let started = Instant::now();
    let sent = wait_for(Duration::from_secs(150), || outbox_rows(&db).iter().all(|r| r.1 == "sent").then_some(()));
    assert!(sent.is_some(), "mail not sent through a slow server: {:?}\n{}", outbox_rows(&db), a.log_text());
    let (acked, refused) = load.finish();
    assert!(refused.is_empty(), "{refused:?}");
    assert_in_database(&db, &acked);
    // Written through A, found through B.
    let (in_search, missing) = found_in_search(&b, &org, &km, &acked, Duration::from_secs(5));
    assert!(in_search.is_some(), "{missing} of {} writes missing from B's search", acked.len());
    // Give a second copy, were one on its way, time to arrive.
    std::thread::sleep(Duration::from_secs(8));
    let rows = outbox_rows(&db);
    let received = read_mails(&slow.dir);
    let (lost, dup) = lost_and_duplicated(&rows, &received);
    assert_eq!((lost, dup, received.len()), (0, 0, rows.len()), "mail lost or doubled: {:?}", message_ids(&received));
    assert!(rows.iter().all(|r| r.2 == 1), "one attempt per message: {rows:?}");
    eprintln!(
        "fault smtp-slow (two instances, confirmation after 7 s, lease 3 s): {} writes acknowledged meanwhile, 0 missing from search; {} mails in {:.1} s, {lost} lost, {dup} duplicated",
        acked.len(),
        rows.len(),
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------- a held SQLite lock

#[test]
fn fault_a_held_sqlite_write_lock_makes_writes_wait_then_answers_503_never_500() {
    if common::is_postgres() {
        eprintln!("fault sqlite-lock: runs on SQLite (the PostgreSQL run covers row locks in the next test)");
        return;
    }
    let db = common::fresh_db();
    let work = tempfile::tempdir().unwrap();
    let s = Server::start(&db.url, work.path(), "lock", &[]);
    let emp = s.login("werkgever1@demo.nl");
    let km = s.login("klantmanager1@lochem.demo");
    let org = org_of(&db, "werkgever1@demo.nl");
    let path = db.url.trim_start_matches("sqlite://").to_string();
    // Another process's transaction, as `opstap user create` beside the server would hold it.
    let hold = |secs: u64| {
        let path = path.clone();
        let (held, is_held) = std::sync::mpsc::channel();
        let h = std::thread::spawn(move || {
            use diesel::connection::SimpleConnection;
            let mut c = diesel::SqliteConnection::establish(&path).unwrap();
            c.batch_execute("PRAGMA busy_timeout = 10000; BEGIN IMMEDIATE").unwrap();
            held.send(()).unwrap();
            std::thread::sleep(Duration::from_secs(secs));
            c.batch_execute("COMMIT").unwrap();
        });
        is_held.recv().unwrap();
        h
    };
    let post = |title: &str| {
        let mut b = common::placement_body(None);
        b["title"] = json!(title);
        let t = Instant::now();
        let r = try_request_head(&s.addr, "POST", "/api/v1/placements", Some(&emp), Some(&b)).unwrap();
        (r, t.elapsed())
    };
    // Held for 2 s: the write waits for it and succeeds.
    let h = hold(2);
    let ((st, _, v), short_wait) = post("Slot kort vast");
    h.join().unwrap();
    assert_eq!(st, 201, "a write while the lock is held briefly: {v}");
    assert!(short_wait >= Duration::from_millis(1500), "it waited for the lock: {short_wait:?}");
    let mut acked = vec![v["id"].as_str().unwrap().to_string()];
    // Held for 8 s, longer than the 5 s busy timeout: 503 with Retry-After, nothing stored.
    let h = hold(8);
    let ((st, head, v), waited) = post("Slot lang vast");
    assert_eq!(st, 503, "after {waited:?}: {v}\n{}", s.log_text());
    assert_eq!(v["code"], "busy", "{v}");
    assert!(head.contains("retry-after:"), "{head}");
    assert!(v["message"].as_str().unwrap_or("").contains("opnieuw"), "{v}");
    // Reads go on meanwhile.
    assert_eq!(s.get("/health", None).0, 200);
    h.join().unwrap();
    let mut c = conn(&db);
    let stored: i64 = placements::table.filter(placements::title.eq("Slot lang vast")).count().get_result(&mut c).unwrap();
    assert_eq!(stored, 0, "a refused write stored nothing");
    drop(c);
    // Released: writes work again, and everything acknowledged is found.
    let ((st, _, v), _) = post("Slot weer vrij");
    assert_eq!(st, 201, "{v}");
    acked.push(v["id"].as_str().unwrap().to_string());
    let (healed, missing) = found_in_search(&s, &org, &km, &acked, Duration::from_secs(5));
    assert!(healed.is_some(), "{missing} missing from search");
    eprintln!(
        "fault sqlite-lock: held 2 s -> write waited {:.1} s and stored; held 8 s -> 503 busy with Retry-After after {:.1} s, nothing stored; {} acknowledged, 0 missing",
        short_wait.as_secs_f64(),
        waited.as_secs_f64(),
        acked.len()
    );
}

#[test]
fn updates_without_version_racing_on_one_row_all_succeed_on_both_backends() {
    let db = common::fresh_db();
    let work = tempfile::tempdir().unwrap();
    let s = Server::start(&db.url, work.path(), "race", &[]);
    let emp = s.login("werkgever1@demo.nl");
    let (st, p) = s.post("/api/v1/placements", Some(&emp), &common::placement_body(None));
    assert_eq!(st, 201, "{p}");
    let id = p["id"].as_str().unwrap().to_string();
    let statuses = Arc::new(Mutex::new(vec![]));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (addr, emp, id, statuses) = (s.addr.clone(), emp.clone(), id.clone(), statuses.clone());
            std::thread::spawn(move || {
                for n in 0..6 {
                    let mut b = common::placement_body(None);
                    b["title"] = json!(format!("Wedloop {t}-{n}"));
                    let (st, v) = try_request(&addr, "PUT", &format!("/api/v1/placements/{id}"), Some(&emp), Some(&b)).unwrap();
                    statuses.lock().unwrap().push((st, v));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let statuses = statuses.lock().unwrap();
    let bad: Vec<_> = statuses.iter().filter(|(st, _)| *st != 200).collect();
    assert!(bad.is_empty(), "an update without version: the last writer wins, on every backend: {bad:?}");
    let (_, now) = s.get(&format!("/api/v1/placements/{id}"), Some(&emp));
    assert_eq!(now["version"], 1 + statuses.len() as i64, "every update counted once: {now}");
    // With a stale version it is still a conflict.
    let mut b = common::placement_body(None);
    b["version"] = json!(1);
    let (st, v) = s.call("PUT", &format!("/api/v1/placements/{id}"), Some(&emp), Some(&b));
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["code"], "stale_version", "{v}");
}

/// Registration and password-reset requests are limited per client address (20 an hour each);
/// the refusal is 429 with Retry-After, the same for known and unknown addresses.
#[test]
fn registration_and_reset_requests_are_throttled_per_address() {
    let db = common::fresh_db();
    let work = tempfile::tempdir().unwrap();
    let s = Server::start(&db.url, work.path(), "throttle", &[]);
    for n in 0..20 {
        let email = if n % 2 == 0 { "werkgever1@demo.nl".to_string() } else { format!("onbekend{n}@example.org") };
        let (st, v) = s.post("/api/v1/auth/password-reset", None, &json!({"email": email}));
        assert_eq!(st, 202, "request {n}: {v}");
    }
    let (st, head, v) = try_request_head(&s.addr, "POST", "/api/v1/auth/password-reset", None, Some(&json!({"email": "nieuw@example.org"}))).unwrap();
    assert_eq!(st, 429, "{v}");
    assert!(head.contains("retry-after:"), "{head}");
    for n in 0..20 {
        register(&s, n, "rem");
    }
    let body = json!({
        "organisation": {"name": "Een te veel", "kvk_number": "99887766", "sector": "Zorg", "pc4": "7241",
                         "contact_name": "Sam Storing", "contact_email": "teveel@storing.example"},
        "name": "Sam Storing", "email": "teveel@storing.example", "password": "een-goed-wachtwoord"
    });
    let (st, v) = s.post("/api/v1/auth/register-employer", None, &body);
    assert_eq!(st, 429, "{v}");
    let mut c = conn(&db);
    let n: i64 = organisations::table.filter(organisations::kvk_number.eq("99887766")).count().get_result(&mut c).unwrap();
    assert_eq!(n, 0, "a refused registration stores nothing");
}
