//! The match workflow end to end: lifecycle with staged disclosure, consent withdrawal, e-mail
//! through a real SMTP server (aiosmtpd) including an outage, audit completeness, the employer
//! rate limit, erasure, and the reminder and digest jobs.

use crate::common::{self, PW};
use actix_web::http::StatusCode;
use diesel::prelude::*;
use opstap::db::schema::*;
use serde_json::{json, Value};

const FIRST: &str = "Zwaantje";
const LAST: &str = "Quirijnsen";
const EMAIL: &str = "zwaantje.q@example.org";
const PHONE: &str = "06-98765432";

/// The people and records of one workflow test.
struct Setup {
    km: String,
    cand: String,
    emp: String,
    candidate_id: String,
    placement_id: String,
    org_email: String,
}

/// kandidaat1@lochem.demo with distinctive personal data, its klantmanager, and a fresh
/// placement of a verified employer nearby.
async fn setup<S, B>(app: &common::TestApp<S>) -> Setup
where
    S: actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let cand = app.login("kandidaat1@lochem.demo").await;
    let (_, me) = app.get("/api/v1/me", Some(&cand)).await;
    let candidate_id = me["candidate_id"].as_str().expect("candidate id").to_string();
    let cid = candidate_id.clone();
    let (km_email, pc4) = app
        .db(move |conn| {
            diesel::update(candidates::table.find(&cid))
                .set((
                    candidates::first_name.eq(FIRST),
                    candidates::last_name.eq(LAST),
                    candidates::email.eq(Some(EMAIL)),
                    candidates::phone.eq(Some(PHONE)),
                    candidates::birth_date.eq(chrono::NaiveDate::from_ymd_opt(1984, 2, 29).unwrap()),
                    candidates::consent_email.eq(true),
                    candidates::consent_anonymous_profile.eq(true),
                    candidates::consent_matching.eq(true),
                    candidates::status.eq("actief"),
                    candidates::beschut_werk_indicatie.eq(false),
                ))
                .execute(conn)
                .unwrap();
            candidates::table
                .inner_join(users::table.on(users::id.eq(candidates::klantmanager_id)))
                .filter(candidates::id.eq(&cid))
                .select((users::email, candidates::pc4))
                .first::<(String, String)>(conn)
                .unwrap()
        })
        .await;
    let km = app.login(&km_email).await;
    let emp = app.login("werkgever1@demo.nl").await;
    let mut body = common::placement_body(None);
    body["pc4"] = json!(pc4);
    body["title"] = json!("Werkervaringsplaats groenonderhoud (workflowtest)");
    let (s, p) = app.post("/api/v1/placements", Some(&emp), body).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let placement_id = p["id"].as_str().unwrap().to_string();
    let pid = placement_id.clone();
    let org_email = app
        .db(move |conn| {
            placements::table
                .inner_join(organisations::table)
                .filter(placements::id.eq(&pid))
                .select(organisations::contact_email)
                .first::<String>(conn)
                .unwrap()
        })
        .await;
    Setup { km, cand, emp, candidate_id, placement_id, org_email }
}

fn has_personal_data(v: &str) -> Vec<&'static str> {
    let mut found = vec![];
    for (what, needle) in [
        ("first name", FIRST),
        ("last name", LAST),
        ("email", EMAIL),
        ("phone", PHONE),
        ("birth date", "1984-02-29"),
        ("birth date", "29-02-1984"),
        ("birth date", "29 februari 1984"),
    ] {
        if v.contains(needle) {
            found.push(what);
        }
    }
    found
}

async fn act<S, B>(app: &common::TestApp<S>, token: &str, id: &str, body: Value) -> (StatusCode, Value)
where
    S: actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    app.post(&format!("/api/v1/matches/{id}/actions"), Some(token), body).await
}

/// Proposes, lets the candidate accept and the employer show interest; returns (match id, version).
async fn to_interested<S, B>(app: &common::TestApp<S>, s: &Setup) -> (String, i64)
where
    S: actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let (st, m) = app
        .post(
            "/api/v1/matches",
            Some(&s.km),
            json!({"candidate_id": s.candidate_id, "placement_id": s.placement_id, "instruments": {"job_coach": true}, "note": "Ik denk dat dit goed bij je past."}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    let id = m["id"].as_str().unwrap().to_string();
    assert_eq!(m["status"], "proposed");
    let (st, m) = act(app, &s.cand, &id, json!({"action": "accept", "version": 1})).await;
    assert_eq!(st, StatusCode::OK, "{m}");
    let (st, m) = act(app, &s.emp, &id, json!({"action": "interested", "version": m["version"]})).await;
    assert_eq!(st, StatusCode::OK, "{m}");
    // The candidate's yes and the employer's yes each gave the klantmanager a task on this match.
    let (_, tasks) = app.get("/api/v1/tasks", Some(&s.km)).await;
    let list = tasks.as_array().or_else(|| tasks["items"].as_array()).cloned().unwrap_or_default();
    for kind in ["candidate_answer", "employer_yes"] {
        assert!(list.iter().any(|t| t["kind"] == kind && t["match_id"] == id.as_str()), "{kind}: {tasks}");
    }
    (id, m["version"].as_i64().unwrap())
}

#[actix_web::test]
async fn lifecycle_with_staged_disclosure_checked_transitions_and_follow_up() {
    let app = common::app().await;
    let s = setup(&app).await;
    let (st, m) = app
        .post(
            "/api/v1/matches",
            Some(&s.km),
            json!({"candidate_id": s.candidate_id, "placement_id": s.placement_id, "instruments": {"job_coach": true}, "note": "Past goed."}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    let id = m["id"].as_str().unwrap().to_string();
    // The same pair twice: 409.
    let (st, v) = app.post("/api/v1/matches", Some(&s.km), json!({"candidate_id": s.candidate_id, "placement_id": s.placement_id})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(v["code"], "already_exists", "{v}");
    // Before the candidate consents the employer does not even see the match.
    let (st, _) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.emp)).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, list) = app.get("/api/v1/matches", Some(&s.emp)).await;
    assert_eq!(list["total"], 0, "{list}");
    // The employer cannot answer yet; the candidate sees its proposal with the next steps.
    let (st, _) = act(&app, &s.emp, &id, json!({"action": "interested", "version": 1})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, mine) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.cand)).await;
    assert_eq!(st, StatusCode::OK);
    let next: Vec<&str> = mine["next"].as_array().unwrap().iter().map(|n| n["action"].as_str().unwrap()).collect();
    assert_eq!(next, vec!["accept", "decline"], "{mine}");
    // An illegal transition: 409 with the allowed ones.
    let (st, e) = act(&app, &s.km, &id, json!({"action": "introduce", "version": 1, "introduction_date": "2099-01-01"})).await;
    assert_eq!(st, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["code"], "invalid_transition");
    assert_eq!(e["status"], "proposed");
    let allowed: Vec<&str> = e["allowed"].as_array().unwrap().iter().map(|a| a["to"].as_str().unwrap()).collect();
    assert_eq!(allowed, vec!["accepted", "declined", "withdrawn"]);
    // The employer may not take the candidate's decision.
    let (st, _) = act(&app, &s.cand, &id, json!({"action": "interested", "version": 1})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Candidate consents.
    let (st, m) = act(&app, &s.cand, &id, json!({"action": "accept", "version": 1})).await;
    assert_eq!(st, StatusCode::OK, "{m}");
    assert_eq!(m["status"], "accepted");
    // A stale version: 409, nothing changes.
    let (st, e) = act(&app, &s.cand, &id, json!({"action": "withdraw_consent", "version": 1})).await;
    assert_eq!(st, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["code"], "stale_version");
    // The employer now sees the anonymous profile, package and net cost, and nothing personal.
    let (st, em) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.emp)).await;
    assert_eq!(st, StatusCode::OK, "{em}");
    assert!(em["candidate"].is_null(), "{em}");
    assert!(em["profile"]["reference"].as_str().unwrap().starts_with("K-"));
    assert!(em["package"].is_object());
    assert!(em["note"].is_null());
    assert_eq!(has_personal_data(&em.to_string()), Vec::<&str>::new(), "{em}");
    assert!(!em.to_string().contains(&s.candidate_id), "the employer learns no candidate id");
    let (_, el) = app.get("/api/v1/matches", Some(&s.emp)).await;
    assert_eq!(el["total"], 1);
    assert_eq!(has_personal_data(&el.to_string()), Vec::<&str>::new());
    // Employer interested: still no disclosure (the klantmanager has not consented yet).
    let (st, m) = act(&app, &s.emp, &id, json!({"action": "interested", "version": em["version"]})).await;
    assert_eq!(st, StatusCode::OK, "{m}");
    assert!(m["candidate"].is_null());
    // Introduce: date required and not in the past.
    let v = m["version"].clone();
    let (st, e) = act(&app, &s.km, &id, json!({"action": "introduce", "version": v})).await;
    common::assert_field_error(st, &e, "introduction_date");
    let (st, e) = act(&app, &s.km, &id, json!({"action": "introduce", "version": v, "introduction_date": "2001-01-01"})).await;
    common::assert_field_error(st, &e, "introduction_date");
    let (st, m) = act(&app, &s.km, &id, json!({"action": "introduce", "version": v, "introduction_date": "2099-03-01"})).await;
    assert_eq!(st, StatusCode::OK, "{m}");
    assert_eq!(m["status"], "introduced");
    // Disclosed: the employer sees name and contact details.
    let (_, em) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.emp)).await;
    assert_eq!(em["candidate"]["first_name"], FIRST, "{em}");
    assert_eq!(em["candidate"]["email"], EMAIL);
    assert!(em["disclosed"].as_bool().unwrap());
    // Outcome: a trial placement beyond 2 months is refused, within it accepted.
    let v = m["version"].clone();
    let (st, e) =
        act(&app, &s.km, &id, json!({"action": "start_trial", "version": v, "start_date": "2099-03-10", "trial_end_date": "2099-06-10"})).await;
    common::assert_field_error(st, &e, "trial_end_date");
    let (st, m) =
        act(&app, &s.km, &id, json!({"action": "start_trial", "version": v, "start_date": "2099-03-10", "trial_end_date": "2099-05-10"})).await;
    assert_eq!(st, StatusCode::OK, "{m}");
    let (st, e) = act(&app, &s.km, &id, json!({"action": "extend_trial", "version": m["version"], "trial_end_date": "2099-09-11"})).await;
    common::assert_field_error(st, &e, "trial_end_date");
    let (st, m) = act(&app, &s.km, &id, json!({"action": "extend_trial", "version": m["version"], "trial_end_date": "2099-09-10"})).await;
    assert_eq!(st, StatusCode::OK, "{m}");
    // Start: contract type from the list, hours, tasks for the klantmanager.
    let (st, e) = act(
        &app,
        &s.km,
        &id,
        json!({"action": "start", "version": m["version"], "start_date": "2099-09-11", "contract_type": "freelance", "hours_per_week": 24}),
    )
    .await;
    common::assert_field_error(st, &e, "contract_type");
    let (st, m) = act(
        &app,
        &s.km,
        &id,
        json!({"action": "start", "version": m["version"], "start_date": "2099-09-11", "contract_type": "onbetaald", "hours_per_week": 24, "instruments_granted": ["job_coach"]}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{m}");
    assert_eq!(m["status"], "started");
    let next: Vec<&str> = m["next"].as_array().unwrap().iter().map(|n| n["action"].as_str().unwrap()).collect();
    assert_eq!(next, vec!["withdraw_consent"], "after the start only a withdrawal of consent (recorded for the candidate) remains");
    let (_, tasks) = app.get("/api/v1/tasks", Some(&s.km)).await;
    let kinds: Vec<(&str, &str)> = tasks
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["match_id"] == id.as_str())
        .map(|t| (t["kind"].as_str().unwrap(), t["due_on"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&("retention_6", "2100-03-11")), "{kinds:?}");
    assert!(kinds.contains(&("retention_12", "2100-09-11")), "{kinds:?}");
    assert!(kinds.iter().any(|(k, _)| *k == "ladder_update"));
    // Recording the new ladder step closes the ladder task.
    let (st, _) = app
        .post(
            &format!("/api/v1/candidates/{}/ladder-measurements", s.candidate_id),
            Some(&s.km),
            json!({"measured_on": opstap::clock::today().to_string(), "step": 4, "note": "Gestart met werkervaring"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (_, tasks) = app.get("/api/v1/tasks", Some(&s.km)).await;
    assert!(!tasks.as_array().unwrap().iter().any(|t| t["kind"] == "ladder_update" && t["match_id"] == id.as_str()));
    // Retention check recorded on the match.
    let t6 = tasks.as_array().unwrap().iter().find(|t| t["kind"] == "retention_6" && t["match_id"] == id.as_str()).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, e) = app.post(&format!("/api/v1/tasks/{t6}/complete"), Some(&s.km), json!({"result": "misschien"})).await;
    common::assert_field_error(st, &e, "result");
    let (st, _) = app.post(&format!("/api/v1/tasks/{t6}/complete"), Some(&s.km), json!({"result": "in_dienst"})).await;
    assert_eq!(st, StatusCode::OK);
    let mid = id.clone();
    let r6: Option<String> = app.db(move |c| matches::table.find(&mid).select(matches::retention_6).first(c).unwrap()).await;
    assert_eq!(r6.as_deref(), Some("in_dienst"));
    // The history names who did what.
    let (_, full) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.km)).await;
    let ev: Vec<(&str, &str)> =
        full["events"].as_array().unwrap().iter().map(|e| (e["action"].as_str().unwrap(), e["actor_role"].as_str().unwrap())).collect();
    assert_eq!(
        ev,
        vec![
            ("propose", "klantmanager"),
            ("accept", "kandidaat"),
            ("interested", "werkgever"),
            ("introduce", "klantmanager"),
            ("start_trial", "klantmanager"),
            ("extend_trial", "klantmanager"),
            ("start", "klantmanager")
        ]
    );
    // Another klantmanager of the municipality may read but not act.
    let other = if app.state.config.public_url.is_empty() { unreachable!() } else { "klantmanager2@lochem.demo" };
    let other_tok = app.login(other).await;
    let (_, me) = app.get("/api/v1/me", Some(&other_tok)).await;
    if me["id"] != full["klantmanager_id"] {
        let (st, _) = act(&app, &other_tok, &id, json!({"action": "withdraw", "version": full["version"]})).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
}

#[actix_web::test]
async fn withdrawn_consent_closes_the_employers_view_everywhere() {
    let app = common::app().await;
    let s = setup(&app).await;
    let (id, v) = to_interested(&app, &s).await;
    let (st, m) = act(&app, &s.km, &id, json!({"action": "introduce", "version": v, "introduction_date": "2099-01-05"})).await;
    assert_eq!(st, StatusCode::OK, "{m}");
    let (_, em) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.emp)).await;
    assert_eq!(em["candidate"]["last_name"], LAST);
    let (st, m) = act(&app, &s.cand, &id, json!({"action": "withdraw_consent", "version": m["version"]})).await;
    assert_eq!(st, StatusCode::OK, "{m}");
    assert_eq!(m["status"], "withdrawn");
    let (st, em) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.emp)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(em["candidate"].is_null(), "{em}");
    assert_eq!(has_personal_data(&em.to_string()), Vec::<&str>::new(), "{em}");
    let (_, el) = app.get("/api/v1/matches", Some(&s.emp)).await;
    assert_eq!(has_personal_data(&el.to_string()), Vec::<&str>::new(), "{el}");
    let (_, pp) = app.get(&format!("/api/v1/placements/{}/proposals?include_excluded=true", s.placement_id), Some(&s.emp)).await;
    assert_eq!(has_personal_data(&pp.to_string()), Vec::<&str>::new(), "{pp}");
    // The employer's e-mail after the withdrawal names no one.
    let pid = s.org_email.clone();
    let bodies: Vec<(String, String)> = app
        .db(move |c| {
            outbox::table
                .filter(outbox::to_address.eq(&pid))
                .filter(outbox::kind.eq("outcome"))
                .select((outbox::body_text, outbox::body_html))
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(bodies.len(), 1);
    assert_eq!(has_personal_data(&format!("{:?}", bodies[0])), Vec::<&str>::new());
    // Withdrawing twice is refused.
    let (st, _) = act(&app, &s.cand, &id, json!({"action": "withdraw_consent", "version": m["version"]})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    // The person undoes the stop: back to the introduction, and the employer knows the name again.
    let (st, r) = act(&app, &s.cand, &id, json!({"action": "resume_consent", "version": m["version"]})).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "introduced");
    let (_, em) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.emp)).await;
    assert_eq!(em["candidate"]["last_name"], LAST, "{em}");
    // The employer may not undo it; undoing twice is refused.
    let (st, _) = act(&app, &s.emp, &id, json!({"action": "resume_consent", "version": r["version"]})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = act(&app, &s.cand, &id, json!({"action": "resume_consent", "version": r["version"]})).await;
    assert_eq!(st, StatusCode::CONFLICT);
}

// ------------------------------------------------------------------ SMTP

use common::smtp::{free_port, Smtp};

#[actix_web::test]
async fn mail_goes_through_a_real_smtp_server_survives_an_outage_and_never_leaks_before_disclosure() {
    let maildir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut smtp = Smtp::start(maildir.path(), port);
    let app = common::app_with(|c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let s = setup(&app).await;
    let (id, v) = to_interested(&app, &s).await;
    let now = || opstap::db::now();
    let d = opstap::jobs::outbox::deliver_due(&app.state, now()).await.unwrap();
    let errors: Vec<Option<String>> = app.db(|c| outbox::table.select(outbox::last_error).load(c).unwrap()).await;
    assert!(d.sent >= 2, "{errors:?}");
    assert!(d.sent >= 2, "proposal to candidate and employer at least: {d:?}");
    // Everything the employer got before disclosure is free of personal data.
    let before = smtp.messages();
    let to_employer: Vec<&(String, String)> = before.iter().filter(|(to, _)| to.contains(&s.org_email)).collect();
    assert_eq!(to_employer.len(), 1, "one proposal e-mail to the employer: {:?}", before.iter().map(|m| &m.0).collect::<Vec<_>>());
    assert!(to_employer[0].1.contains("Kandidaat K-"), "{}", to_employer[0].1);
    assert_eq!(has_personal_data(&to_employer[0].1), Vec::<&str>::new(), "{}", to_employer[0].1);
    let to_candidate: Vec<&(String, String)> = before.iter().filter(|(to, _)| to.contains(EMAIL)).collect();
    assert_eq!(to_candidate.len(), 1);
    assert!(to_candidate[0].1.contains("Voorstel voor u"), "{}", to_candidate[0].1);

    // The server goes down; the introduction happens meanwhile.
    smtp.stop();
    let (st, m) = act(&app, &s.km, &id, json!({"action": "introduce", "version": v, "introduction_date": "2099-02-02"})).await;
    assert_eq!(st, StatusCode::OK, "{m}");
    let d = opstap::jobs::outbox::deliver_due(&app.state, now()).await.unwrap();
    assert_eq!(d.sent, 0);
    assert!(d.retried >= 1, "{d:?}");
    let pending: i64 = app.db(|c| outbox::table.filter(outbox::status.eq("pending")).count().get_result(c).unwrap()).await;
    assert_eq!(pending, 2, "introduction to employer and candidate wait in the outbox");
    // Each round tries one message while the server is down; then all wait for their backoff.
    let d = opstap::jobs::outbox::deliver_due(&app.state, now()).await.unwrap();
    assert_eq!((d.sent, d.retried), (0, 1), "{d:?}");
    let d = opstap::jobs::outbox::deliver_due(&app.state, now()).await.unwrap();
    assert_eq!(d, opstap::jobs::outbox::Delivery::default(), "nothing due during the backoff");
    let attempts: Vec<i32> = app.db(|c| outbox::table.filter(outbox::status.eq("pending")).select(outbox::attempts).load(c).unwrap()).await;
    assert_eq!(attempts, vec![1, 1]);
    // Back up; the retry sends them, once.
    smtp.restart();
    let later = now() + chrono::Duration::hours(2);
    let d = opstap::jobs::outbox::deliver_due(&app.state, later).await.unwrap();
    assert_eq!(d.sent, 2, "{d:?}");
    // A restart of the platform (a new state on the same database) sends nothing again.
    let mut cfg = app.state.config.as_ref().clone();
    let other_index = tempfile::tempdir().unwrap();
    cfg.index_dir = other_index.path().join("index"); // the first process still holds its index lock
    let (restarted, _) = actix_web::web::block(move || opstap::build_state(cfg, false)).await.unwrap().unwrap();
    let d = opstap::jobs::outbox::deliver_due(&restarted, later + chrono::Duration::days(1)).await.unwrap();
    assert_eq!(d, opstap::jobs::outbox::Delivery::default());
    let all = smtp.messages();
    let sent: i64 = app.db(|c| outbox::table.filter(outbox::status.eq("sent")).count().get_result(c).unwrap()).await;
    assert_eq!(all.len() as i64, sent, "each sent message arrived exactly once");
    let mut ids: Vec<String> =
        all.iter().filter_map(|(_, m)| m.lines().find(|l| l.to_ascii_lowercase().starts_with("message-id:")).map(String::from)).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "no message twice");
    // After disclosure the employer's introduction names the candidate.
    let intro: Vec<&(String, String)> = all.iter().filter(|(to, m)| to.contains(&s.org_email) && m.contains("Kennismaking")).collect();
    assert_eq!(intro.len(), 1);
    assert!(intro[0].1.contains(FIRST) && intro[0].1.contains(EMAIL) && intro[0].1.contains(PHONE), "{}", intro[0].1);
    drop(smtp);
}

// ------------------------------------------------------------------ audit, limits, erasure

async fn audit_count<S, B>(app: &common::TestApp<S>, candidate: &str) -> i64
where
    S: actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let c = candidate.to_string();
    app.db(move |conn| audit_log::table.filter(audit_log::candidate_id.eq(&c)).count().get_result(conn).unwrap()).await
}

#[actix_web::test]
async fn every_access_to_personal_data_is_in_the_audit_log_and_the_candidate_sees_who() {
    let app = common::app().await;
    let s = setup(&app).await;
    let c = s.candidate_id.clone();
    let steps: Vec<(&str, &str, &str, Option<Value>)> = vec![
        ("klantmanager reads the profile", "GET", "km", None),
        ("klantmanager lists the caseload", "GET_LIST", "km", None),
        ("klantmanager reads ladder", "GET_LADDER", "km", None),
        ("klantmanager reads contacts", "GET_CONTACTS", "km", None),
        ("klantmanager asks for proposals", "GET_PROPOSALS", "km", None),
        ("candidate reads itself", "GET", "cand", None),
        (
            "klantmanager adds a contact",
            "POST_CONTACT",
            "km",
            Some(json!({"contact_date": opstap::clock::today().to_string(), "channel": "gesprek", "note": "Kennismaking"})),
        ),
    ];
    for (what, kind, who, body) in steps {
        let tok = if who == "km" { &s.km } else { &s.cand };
        let before = audit_count(&app, &c).await;
        let (st, v) = match kind {
            "GET" => app.get(&format!("/api/v1/candidates/{c}"), Some(tok)).await,
            "GET_LIST" => app.get("/api/v1/candidates?mine=true&limit=500", Some(tok)).await,
            "GET_LADDER" => app.get(&format!("/api/v1/candidates/{c}/ladder-measurements"), Some(tok)).await,
            "GET_CONTACTS" => app.get(&format!("/api/v1/candidates/{c}/contact-moments"), Some(tok)).await,
            "GET_PROPOSALS" => app.get(&format!("/api/v1/candidates/{c}/proposals"), Some(tok)).await,
            "POST_CONTACT" => app.post(&format!("/api/v1/candidates/{c}/contact-moments"), Some(tok), body.unwrap()).await,
            _ => unreachable!(),
        };
        assert!(st.is_success(), "{what}: {st} {v}");
        let after = audit_count(&app, &c).await;
        assert!(after > before, "{what}: no audit entry");
    }
    // The match workflow: proposal, e-mails, the employer's anonymous view, disclosure.
    let before = audit_count(&app, &c).await;
    let (id, v) = to_interested(&app, &s).await;
    let (_, _) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.emp)).await;
    let (st, _) = act(&app, &s.km, &id, json!({"action": "introduce", "version": v, "introduction_date": "2099-01-05"})).await;
    assert_eq!(st, StatusCode::OK);
    let cc = c.clone();
    let rows: Vec<(String, String, String, String)> = app
        .db(move |conn| {
            audit_log::table
                .filter(audit_log::candidate_id.eq(&cc))
                .order(audit_log::created_at)
                .select((audit_log::actor_role, audit_log::action, audit_log::what, audit_log::channel))
                .load(conn)
                .unwrap()
        })
        .await;
    assert!(rows.len() as i64 > before);
    let has = |role: &str, action: &str, channel: &str| rows.iter().any(|r| r.0 == role && r.1 == action && r.3 == channel);
    assert!(has("klantmanager", "create", "api"), "proposal: {rows:?}");
    assert!(has("klantmanager", "email", "email"), "e-mail to the candidate: {rows:?}");
    assert!(has("kandidaat", "email", "email"), "e-mail to employer and klantmanager on consent: {rows:?}");
    assert!(has("werkgever", "view", "api"), "employer's anonymous view: {rows:?}");
    assert!(has("klantmanager", "disclose", "api"), "disclosure: {rows:?}");
    // The candidate sees who viewed its data, by name or organisation.
    let (st, log) = app.get("/api/v1/me/access-log", Some(&s.cand)).await;
    assert_eq!(st, StatusCode::OK);
    let who: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["who"].as_str().unwrap()).collect();
    assert!(who.contains(&"Groenwerk Achterhoek B.V."), "{who:?}");
    assert!(who.iter().any(|w| w.contains("Klantmanager") || (!w.contains("B.V.") && *w != "Uzelf" && *w != "Opstap")), "{who:?}");
    // Only the candidate itself has an access log; the beheerder queries the whole log.
    let (st, _) = app.get("/api/v1/me/access-log", Some(&s.km)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = app.get("/api/v1/audit-log", Some(&s.km)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let adm = app.login("beheerder@lochem.demo").await;
    let (st, page) = app.get(&format!("/api/v1/audit-log?candidate_id={c}&action=disclose"), Some(&adm)).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 1, "{page}");
    let zut = app.login("beheerder@zutphen.demo").await;
    let (_, page) = app.get(&format!("/api/v1/audit-log?candidate_id={c}"), Some(&zut)).await;
    assert_eq!(page["total"], 0, "another municipality's beheerder sees nothing");
    // Entries are kept at least six months, even if configured shorter.
    let cc = c.clone();
    let purged = app
        .db(move |conn| {
            diesel::update(audit_log::table.filter(audit_log::candidate_id.eq(&cc)))
                .set(audit_log::created_at.eq(opstap::db::now() - chrono::Duration::days(170)))
                .execute(conn)
                .unwrap();
            opstap::audit::purge(conn, 30).unwrap()
        })
        .await;
    assert_eq!(purged, 0);
}

#[actix_web::test]
async fn employer_profile_views_are_rate_limited() {
    let app = common::app_with(|c| c.employer_profile_views_per_hour = 3).await;
    let s = setup(&app).await;
    let (id, _) = to_interested(&app, &s).await;
    for i in 0..3 {
        let (st, _) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.emp)).await;
        assert_eq!(st, StatusCode::OK, "view {i}");
    }
    let req = actix_web::test::TestRequest::get().uri(&format!("/api/v1/matches/{id}")).insert_header(("Authorization", format!("Bearer {}", s.emp)));
    let (st, headers, body) = app.raw(req).await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "too_many_requests");
    let retry: u64 = headers.iter().find(|(k, _)| k == "retry-after").map(|(_, v)| v.parse().unwrap()).expect("Retry-After");
    assert!((1..=3600).contains(&retry), "{retry}");
    // Another employer account is not affected; klantmanagers are not limited.
    let other = app.login("werkgever2@demo.nl").await;
    let (st, _) = app.get("/api/v1/matches", Some(&other)).await;
    assert_eq!(st, StatusCode::OK);
    for _ in 0..5 {
        let (st, _) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.km)).await;
        assert_eq!(st, StatusCode::OK);
    }
}

#[actix_web::test]
async fn erasure_removes_the_person_everywhere_and_keeps_anonymous_counts() {
    let app = common::app().await;
    let s = setup(&app).await;
    let (id, v) = to_interested(&app, &s).await;
    let (st, _) = act(&app, &s.km, &id, json!({"action": "introduce", "version": v, "introduction_date": "2099-01-05"})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = app.put("/api/v1/me/saved-search", Some(&s.cand), json!({"kind": "werkervaringsplaats"})).await;
    assert_eq!(st, StatusCode::OK);
    let c = s.candidate_id.clone();
    app.flush_index().await;
    // A reason is required; the employer and the candidate itself cannot erase.
    let (st, e) = app.delete(&format!("/api/v1/candidates/{c}"), Some(&s.km)).await;
    common::assert_field_error(st, &e, "reason");
    let (st, _) =
        app.call(actix_web::http::Method::DELETE, &format!("/api/v1/candidates/{c}"), Some(&s.emp), Some(json!({"reason": "verzoek"}))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) =
        app.call(actix_web::http::Method::DELETE, &format!("/api/v1/candidates/{c}"), Some(&s.cand), Some(json!({"reason": "verzoek"}))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let ladder_before: i64 = {
        let c = c.clone();
        app.db(move |conn| ladder_measurements::table.filter(ladder_measurements::candidate_id.eq(&c)).count().get_result(conn).unwrap()).await
    };
    assert!(ladder_before > 0);
    let (st, e) = app
        .call(
            actix_web::http::Method::DELETE,
            &format!("/api/v1/candidates/{c}"),
            Some(&s.km),
            Some(json!({"reason": "Verzoek van betrokkene (AVG art. 17)"})),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{e}");
    app.flush_index().await;
    let (st, _) = app.get(&format!("/api/v1/candidates/{c}"), Some(&s.km)).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // The candidate's own session is gone with the account.
    let (st, _) = app.get("/api/v1/me", Some(&s.cand)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let cc = c.clone();
    let (cands, outbox_rows, users_rows, audit_rows, saved, logs_with_id, match_row, erased) = app
        .db(move |conn| {
            let cands: i64 = candidates::table.filter(candidates::id.eq(&cc)).count().get_result(conn).unwrap();
            let ob: i64 = outbox::table.filter(outbox::candidate_id.eq(&cc)).count().get_result(conn).unwrap();
            let us: i64 = users::table.filter(users::candidate_id.eq(&cc)).count().get_result(conn).unwrap();
            let au: i64 = audit_log::table.filter(audit_log::candidate_id.eq(&cc)).count().get_result(conn).unwrap();
            let sv: i64 = saved_searches::table.filter(saved_searches::candidate_id.eq(&cc)).count().get_result(conn).unwrap();
            let pl: i64 = proposal_logs::table
                .filter(proposal_logs::results.like(format!("%{cc}%")).or(proposal_logs::subject_id.eq(&cc)))
                .count()
                .get_result(conn)
                .unwrap();
            let m: (Option<String>, Option<String>, String) =
                matches::table.select((matches::candidate_id, matches::erased_subject_id, matches::status)).first(conn).unwrap();
            let er: Vec<(String, String)> = erased_subjects::table.select((erased_subjects::id, erased_subjects::ladder_history)).load(conn).unwrap();
            (cands, ob, us, au, sv, pl, m, er)
        })
        .await;
    assert_eq!((cands, outbox_rows, users_rows, audit_rows, saved, logs_with_id), (0, 0, 0, 0, 0, 0));
    assert_eq!(match_row.0, None);
    assert_eq!(match_row.2, "introduced", "the match stays for the monitor");
    assert_eq!(erased.len(), 1);
    assert_eq!(match_row.1.as_deref(), Some(erased[0].0.as_str()));
    let history: Vec<(String, i32)> = serde_json::from_str(&erased[0].1).unwrap();
    assert_eq!(history.len() as i64, ladder_before);
    // Not findable in the index.
    let (_, hits) = app.get("/api/v1/search/candidates?limit=500", Some(&s.km)).await;
    assert!(!hits.to_string().contains(&c), "still in the index");
    // The employer's view of the match names no one any more.
    let (_, em) = app.get("/api/v1/matches", Some(&s.emp)).await;
    assert_eq!(has_personal_data(&em.to_string()), Vec::<&str>::new(), "{em}");
    // The erasure itself is logged for the beheerder, under the anonymous id.
    let adm = app.login("beheerder@lochem.demo").await;
    let (_, page) = app.get("/api/v1/audit-log?action=erase", Some(&adm)).await;
    assert_eq!(page["total"], 1, "{page}");
    assert!(page["items"][0]["what"].as_str().unwrap().contains("AVG art. 17"));
}

#[actix_web::test]
async fn reminders_and_digests_are_written_once_per_period() {
    let app = common::app().await;
    let s = setup(&app).await;
    let (id, v) = to_interested(&app, &s).await;
    let (_, m) = act(&app, &s.km, &id, json!({"action": "introduce", "version": v, "introduction_date": "2099-01-05"})).await;
    let start = opstap::clock::today();
    let (st, m) = act(
        &app,
        &s.km,
        &id,
        json!({"action": "start", "version": m["version"], "start_date": start.to_string(), "contract_type": "onbetaald", "hours_per_week": 20}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{m}");
    // A saved search, then a new matching placement.
    let (st, e) = app.put("/api/v1/me/saved-search", Some(&s.cand), json!({"kind": "ruimtevaart"})).await;
    common::assert_field_error(st, &e, "kind");
    let (st, ss) = app.put("/api/v1/me/saved-search", Some(&s.cand), json!({"kind": "vrijwilligerswerk"})).await;
    assert_eq!(st, StatusCode::OK, "{ss}");
    let mut body = common::placement_body(None);
    body["kind"] = json!("vrijwilligerswerk");
    body["title"] = json!("Vrijwilliger buurthuis (digesttest)");
    body.as_object_mut().unwrap().remove("duration_months");
    let (st, p) = app.post("/api/v1/placements", Some(&s.emp), body).await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    app.flush_index().await;
    let in_7_months = start + chrono::Months::new(7);
    let r = opstap::jobs::run_periodic(&app.state, in_7_months).await.unwrap();
    assert_eq!(r.retention_reminders, 1, "{r:?}");
    assert_eq!(r.placement_digests, 1, "{r:?}");
    assert!(r.contact_digests >= 1, "the demo caseloads have candidates without contact: {r:?}");
    // Again in the same period: nothing new.
    let r2 = opstap::jobs::run_periodic(&app.state, in_7_months).await.unwrap();
    assert_eq!((r2.retention_reminders, r2.contact_digests, r2.placement_digests), (0, 0, 0), "{r2:?}");
    let kinds: Vec<(String, String, String)> =
        app.db(|c| outbox::table.select((outbox::kind, outbox::to_address, outbox::body_text)).load(c).unwrap()).await;
    let digest = kinds.iter().find(|k| k.0 == "placement_digest").expect("placement digest");
    assert_eq!(digest.1, EMAIL);
    assert!(digest.2.contains("Vrijwilliger buurthuis (digesttest)"), "{}", digest.2);
    assert!(!digest.2.contains("workflowtest"), "only placements new since the search was saved: {}", digest.2);
    let reminder = kinds.iter().find(|k| k.0 == "retention_reminder").expect("reminder");
    assert!(reminder.2.contains("6 maanden"), "{}", reminder.2);
    let contact = kinds.iter().find(|k| k.0 == "contact_digest").expect("contact digest");
    assert!(contact.2.contains("geen persoonlijk contact"), "{}", contact.2);
    // The next week brings a new contact digest.
    let r3 = opstap::jobs::run_periodic(&app.state, in_7_months + chrono::Duration::days(7)).await.unwrap();
    assert!(r3.contact_digests >= 1, "{r3:?}");
    let _ = PW;
}

#[actix_web::test]
async fn turning_off_the_anonymous_profile_withdraws_every_standing_consent() {
    // The employer looks at up to 100 profiles twice here: more than the default hourly limit.
    let app = common::app_with(|c| c.employer_profile_views_per_hour = 1000).await;
    let s = setup(&app).await;
    let (id, v) = to_interested(&app, &s).await;
    let (st, _) = act(&app, &s.km, &id, json!({"action": "introduce", "version": v, "introduction_date": "2099-01-05"})).await;
    assert_eq!(st, StatusCode::OK);
    // A second proposal the klantmanager withdraws before the candidate answered: the employer
    // never learns of it, not even by e-mail.
    let mut body = common::placement_body(None);
    body["title"] = json!("Tweede plek (nooit gezien)");
    let (_, p2) = app.post("/api/v1/placements", Some(&s.emp), body).await;
    let (st, m2) = app.post("/api/v1/matches", Some(&s.km), json!({"candidate_id": s.candidate_id, "placement_id": p2["id"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{m2}");
    let id2 = m2["id"].as_str().unwrap().to_string();
    let (st, _) = act(&app, &s.km, &id2, json!({"action": "withdraw", "version": 1, "reason": "Toch niet passend"})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = app.get(&format!("/api/v1/matches/{id2}"), Some(&s.emp)).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let org = s.org_email.clone();
    let n: i64 = app
        .db(move |c| outbox::table.filter(outbox::to_address.eq(&org)).filter(outbox::body_text.like("%Tweede plek%")).count().get_result(c).unwrap())
        .await;
    assert_eq!(n, 0, "no mail to the employer about a match it never saw");
    let (_, before) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.emp)).await;
    let reference = before["profile"]["reference"].as_str().expect("reference").to_string();
    app.flush_index().await;
    let url = format!("/api/v1/placements/{}/proposals?include_excluded=true&limit=100", s.placement_id);
    let (_, pp) = app.get(&url, Some(&s.emp)).await;
    let refs: Vec<&str> = pp["proposals"].as_array().unwrap().iter().filter_map(|p| p["profile"]["reference"].as_str()).collect();
    assert!(refs.contains(&reference.as_str()), "proposed to the employer before: {refs:?}");
    // The candidate turns off its anonymous profile.
    let (st, e) = app.put("/api/v1/me/consents", Some(&s.cand), json!({"consent_anonymous_profile": "nee"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (st, c) = app.put("/api/v1/me/consents", Some(&s.cand), json!({"consent_anonymous_profile": false})).await;
    assert_eq!(st, StatusCode::OK, "{c}");
    assert_eq!(c["withdrawn_matches"], json!([id]));
    assert_eq!(c["consent_email"], true, "left out = kept");
    let (_, em) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.emp)).await;
    assert!(em["candidate"].is_null() && em["profile"].is_null() && em["consent_withdrawn"] == true, "{em}");
    app.flush_index().await;
    let (_, pp) = app.get(&format!("/api/v1/placements/{}/proposals?include_excluded=true&limit=100", s.placement_id), Some(&s.emp)).await;
    let refs: Vec<&str> = pp["proposals"].as_array().unwrap().iter().filter_map(|p| p["profile"]["reference"].as_str()).collect();
    assert!(!refs.is_empty(), "others are still proposed: {pp}");
    assert!(!refs.contains(&reference.as_str()), "no longer proposed to the employer");
    // Only the candidate changes its own consents.
    let (st, _) = app.put("/api/v1/me/consents", Some(&s.km), json!({"consent_email": false})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn a_start_under_an_sroi_contract_adds_its_bouwblok_value() {
    let app = common::app().await;
    let mut s = setup(&app).await;
    // The logistics employer has the demo SROI contract (obligation 5% of € 450.000 = € 22.500).
    s.emp = app.login("werkgever3@demo.nl").await;
    let (_, contracts) = app.get("/api/v1/sroi-contracts", Some(&s.emp)).await;
    let contract = contracts[0].clone();
    assert_eq!(contract["obligation_cents"], 2_250_000);
    assert_eq!(contract["realised_cents"], 0);
    let mut body = common::placement_body(None);
    body["title"] = json!("Magazijnmedewerker (SROI-test)");
    body["kind"] = json!("reguliere_baan");
    body["hourly_wage_cents"] = json!(1600);
    body.as_object_mut().unwrap().remove("duration_months");
    body["sroi_contract_id"] = contract["id"].clone();
    body["hours_max"] = json!(36);
    let (st, p) = app.post("/api/v1/placements", Some(&s.emp), body).await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    s.placement_id = p["id"].as_str().unwrap().to_string();
    let (id, v) = to_interested(&app, &s).await;
    let (_, m) = act(&app, &s.km, &id, json!({"action": "introduce", "version": v, "introduction_date": opstap::clock::today().to_string()})).await;
    let start = chrono::NaiveDate::parse_from_str(contract["period_start"].as_str().unwrap(), "%Y-%m-%d").unwrap().max(opstap::clock::today());
    let (st, m) = act(
        &app,
        &s.km,
        &id,
        json!({"action": "start", "version": m["version"], "start_date": start.to_string(), "contract_type": "onbepaalde_tijd", "hours_per_week": 36, "hourly_wage_cents": 1600}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{m}");
    // Participatiewet € 40.000 + permanent contract € 10.000, 36 of 36 hours, 12 months (the
    // contract runs two more years); the candidate is 42: no 50+ bonus.
    assert_eq!(m["sroi_value_cents"], 5_000_000, "{m}");
    let (_, c) = app.get(&format!("/api/v1/sroi-contracts/{}", contract["id"].as_str().unwrap()), Some(&s.emp)).await;
    assert_eq!(c["realised_cents"], 5_000_000, "{c}");
    assert_eq!(c["met_pct"], 222.2);
}

/// The SQL form of employer visibility (lists) agrees with `MatchStatus::visible_to_employer`
/// (one match), for every status, with and without the candidate's consent.
#[actix_web::test]
async fn employer_visibility_is_one_rule_in_sql_and_in_code() {
    use opstap::domain::workflow::MatchStatus;
    let app = common::app().await;
    let s = setup(&app).await;
    let (id, _) = to_interested(&app, &s).await;
    let org: String = {
        let id = id.clone();
        app.db(move |c| matches::table.find(&id).select(matches::organisation_id).first::<Option<String>>(c).unwrap().unwrap()).await
    };
    let mut checked = 0;
    for status in MatchStatus::ALL {
        for consented in [false, true] {
            let (id2, org2) = (id.clone(), org.clone());
            let in_sql = app
                .db(move |c| {
                    let at = consented.then(opstap::db::now);
                    diesel::update(matches::table.find(&id2))
                        .set((matches::status.eq(status.as_str()), matches::candidate_decided_at.eq(at)))
                        .execute(c)
                        .unwrap();
                    matches::table
                        .filter(opstap::db::queries::employer_may_see(&org2))
                        .filter(matches::id.eq(&id2))
                        .count()
                        .get_result::<i64>(c)
                        .unwrap()
                })
                .await;
            let rule = status.visible_to_employer(consented);
            assert_eq!(in_sql == 1, rule, "{status:?}, consented {consented}");
            // The list and the single match (the code predicate) answer the employer alike.
            let (_, list) = app.get("/api/v1/matches", Some(&s.emp)).await;
            let listed = list["items"].as_array().unwrap().iter().any(|m| m["id"] == id.as_str());
            let (st, _) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.emp)).await;
            assert_eq!(listed, rule, "list: {status:?}, consented {consented}");
            assert_eq!(st == StatusCode::OK, rule, "single: {status:?}, consented {consented}: {st}");
            checked += 1;
        }
    }
    assert_eq!(checked, 20);
}

#[actix_web::test]
async fn interest_reaches_the_klantmanager_and_the_candidate_sees_what_became_of_it() {
    let app = common::app().await;
    let s = setup(&app).await;
    // A second placement, to close the other way.
    let mut body = common::placement_body(None);
    body["title"] = json!("Magazijnmedewerker (interessetest)");
    let (st, p2) = app.post("/api/v1/placements", Some(&s.emp), body).await;
    assert_eq!(st, StatusCode::CREATED, "{p2}");
    let p2 = p2["id"].as_str().unwrap().to_string();

    // Only a candidate says it; twice is once.
    let (st, _) = app.post("/api/v1/me/interests", Some(&s.km), json!({"placement_id": s.placement_id})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    for pid in [&s.placement_id, &s.placement_id, &p2] {
        let (st, v) = app.post("/api/v1/me/interests", Some(&s.cand), json!({"placement_id": pid})).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let (_, mine) = app.get("/api/v1/me/interests", Some(&s.cand)).await;
    let mine = mine.as_array().unwrap().clone();
    assert_eq!(mine.len(), 2, "{mine:?}");
    assert!(mine.iter().all(|i| i["status"].as_str().unwrap().contains("bekijkt het")), "{mine:?}");

    // The klantmanager gets one e-mail per placement, naming the candidate and the placement.
    let cid = s.candidate_id.clone();
    let mails: Vec<(String, String)> = app
        .db(move |c| {
            outbox::table
                .filter(outbox::kind.eq("interest_klantmanager"))
                .filter(outbox::candidate_id.eq(&cid))
                .select((outbox::subject, outbox::body_text))
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert!(
        mails.iter().any(|(subj, text)| subj.contains(FIRST) && text.contains("workflowtest") && text.contains("/klantmanager/plekken/")),
        "{mails:?}"
    );

    // The tasks name the placement; proposing for it closes that task.
    let (_, tasks) = app.get("/api/v1/tasks", Some(&s.km)).await;
    let interest: Vec<&Value> =
        tasks.as_array().unwrap().iter().filter(|t| t["kind"] == "interest" && t["candidate_id"] == s.candidate_id.as_str()).collect();
    assert_eq!(interest.len(), 2, "{tasks}");
    assert!(interest.iter().any(|t| t["placement_title"].as_str().unwrap_or("").contains("workflowtest")), "{tasks}");
    let other = interest.iter().find(|t| t["placement_id"] == p2.as_str()).unwrap()["id"].as_str().unwrap().to_string();
    let (st, m) = app.post("/api/v1/matches", Some(&s.km), json!({"candidate_id": s.candidate_id, "placement_id": s.placement_id})).await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    // The other one the klantmanager closes by hand; a wrong answer names the field.
    let (st, e) = app.post(&format!("/api/v1/tasks/{other}/complete"), Some(&s.km), json!({"result": "in_dienst"})).await;
    common::assert_field_error(st, &e, "result");
    let (st, _) = app.post(&format!("/api/v1/tasks/{other}/complete"), Some(&s.km), json!({"result": "besproken"})).await;
    assert_eq!(st, StatusCode::OK);
    let (_, tasks) = app.get("/api/v1/tasks", Some(&s.km)).await;
    assert!(!tasks.as_array().unwrap().iter().any(|t| t["kind"] == "interest" && t["candidate_id"] == s.candidate_id.as_str()), "{tasks}");

    let (_, mine) = app.get("/api/v1/me/interests", Some(&s.cand)).await;
    let by = |pid: &str| mine.as_array().unwrap().iter().find(|i| i["placement_id"] == pid).cloned().unwrap();
    assert_eq!(by(&s.placement_id)["match_id"], m["id"]);
    assert!(by(&s.placement_id)["status"].as_str().unwrap().contains("voorgesteld"));
    assert!(by(&p2)["status"].as_str().unwrap().contains("besproken"));
}

async fn page<S, B>(app: &common::TestApp<S>, token: &str, path: &str) -> (StatusCode, String)
where
    S: actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let req = actix_web::test::TestRequest::get().uri(path).insert_header(("Cookie", format!("opstap_session={token}")));
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    (resp.status(), String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string())
}

#[actix_web::test]
async fn the_candidates_proposal_page_says_why_who_where_and_what_comes_next() {
    let app = common::app().await;
    let s = setup(&app).await;
    let (id, v) = to_interested(&app, &s).await;
    let (_, html) = page(&app, &s.cand, &format!("/matches/{id}")).await;
    assert!(html.contains("De werkgever wil kennismaken"), "the status in her words");
    assert!(!html.contains("Kandidaat akkoord"));
    assert!(html.contains("Waarom dit bij u past") && html.contains("Past "), "the fit label and reasons: {html}");
    assert!(html.contains("Uw klantmanager") && html.contains("mailto:"), "her klantmanager and how to reach them");
    assert!(html.contains("aria-current=\"step\""), "a stepper with the current step");
    assert!(html.contains("step-done") && html.contains("step-todo"));

    let day = (opstap::clock::today() + chrono::Duration::days(3)).to_string();
    let (st, e) =
        act(&app, &s.km, &id, json!({"action": "introduce", "version": v, "introduction_date": day, "introduction_time": "half elf"})).await;
    common::assert_field_error(st, &e, "introduction_time");
    let (st, m) = act(
        &app,
        &s.km,
        &id,
        json!({"action": "introduce", "version": v, "introduction_date": day, "introduction_time": "10:30", "introduction_place": "Hoofdingang, Markt 1", "introduction_contact": "Petra de Wit"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{m}");
    assert!(m["introduction"]["when"].as_str().unwrap().ends_with("om 10:30"), "{m}");
    let (_, html) = page(&app, &s.cand, &format!("/matches/{id}")).await;
    for want in ["om 10:30", "Hoofdingang, Markt 1", "Petra de Wit", "Vraag naar"] {
        assert!(html.contains(want), "{want} on the candidate's page");
    }
    // The employer's e-mail carries the time and place too.
    let org = s.org_email.clone();
    let text: String = app
        .db(move |c| {
            outbox::table
                .filter(outbox::kind.eq("introduction_employer"))
                .filter(outbox::to_address.eq(&org))
                .select(outbox::body_text)
                .order(outbox::created_at.desc())
                .first(c)
                .unwrap()
        })
        .await;
    assert!(text.contains("om 10:30") && text.contains("Hoofdingang, Markt 1"), "{text}");

    // An unpaid placement (werkervaringsplaats): no employment contract, no paid-work instruments.
    let ver = m["version"].clone();
    let start = day.clone();
    let (st, e) = act(
        &app,
        &s.km,
        &id,
        json!({"action": "start", "version": ver, "start_date": start, "contract_type": "onbepaalde_tijd", "hours_per_week": 20}),
    )
    .await;
    common::assert_field_error(st, &e, "contract_type");
    let (st, e) = act(
        &app,
        &s.km,
        &id,
        json!({"action": "start", "version": ver, "start_date": start, "hours_per_week": 20, "instruments_granted": ["loonkostensubsidie"]}),
    )
    .await;
    common::assert_field_error(st, &e, "instruments_granted");
    let (_, staff) = page(&app, &s.km, &format!("/matches/{id}")).await;
    assert!(!staff.contains("name=\"hourly_wage_cents\""), "no wage field for unpaid work");
    assert!(!staff.contains("value=\"loonkostensubsidie\""), "no LKS to grant for unpaid work");
    assert!(staff.contains("Kennismaking bevestigd") && !staff.contains("introduce →"), "the history in Dutch");
    let (st, m) = act(
        &app,
        &s.km,
        &id,
        json!({"action": "start", "version": ver, "start_date": start, "hours_per_week": 20, "instruments_granted": ["job_coach"]}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{m}");
    assert_eq!(m["contract_type"], "onbetaald");
    let (_, html) = page(&app, &s.cand, &format!("/matches/{id}")).await;
    assert!(html.contains("U bent begonnen") && !html.contains("step-todo"), "all steps done");
}

#[actix_web::test]
async fn the_employer_sees_how_the_net_cost_comes_about() {
    let app = common::app().await;
    let mut s = setup(&app).await;
    let mut body = common::placement_body(None);
    body["title"] = json!("Medewerker magazijn (kostentest)");
    body["kind"] = json!("reguliere_baan");
    body["hourly_wage_cents"] = json!(1600);
    body["lks_accepted"] = json!(true);
    body.as_object_mut().unwrap().remove("duration_months");
    let (st, p) = app.post("/api/v1/placements", Some(&s.emp), body).await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    s.placement_id = p["id"].as_str().unwrap().to_string();
    let (id, _) = to_interested(&app, &s).await;
    let (_, m) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.emp)).await;
    let gross = m["package"]["gross_monthly_wage_costs_cents"].as_i64().expect("a paid job has wage costs");
    let (_, html) = page(&app, &s.emp, &format!("/matches/{id}")).await;
    assert!(html.contains("Zo komen de nettokosten per maand tot stand"), "the breakdown is shown");
    assert!(html.contains("Brutoloonkosten") && html.contains("= Nettokosten"));
    assert!(html.contains(&opstap::domain::euros(gross)), "the gross amount in Dutch money");
    // An unpaid place has no such sum.
    let s2 = setup(&app).await;
    let (id2, _) = to_interested(&app, &s2).await;
    let (_, html) = page(&app, &s2.emp, &format!("/matches/{id2}")).await;
    assert!(!html.contains("Brutoloonkosten"));
}

#[actix_web::test]
async fn stopping_a_proposal_on_the_page_asks_to_confirm() {
    let app = common::app().await;
    let s = setup(&app).await;
    let (st, m) = app.post("/api/v1/matches", Some(&s.km), json!({"candidate_id": s.candidate_id, "placement_id": s.placement_id})).await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    let id = m["id"].as_str().unwrap().to_string();
    let (st, m) = act(&app, &s.cand, &id, json!({"action": "accept", "version": 1})).await;
    assert_eq!(st, StatusCode::OK, "{m}");
    let csrf = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd";
    let post = |fields: Vec<(&'static str, String)>| {
        let cookie = format!("opstap_session={}; opstap_csrf={csrf}", s.cand);
        actix_web::test::TestRequest::post().uri(&format!("/matches/{id}")).insert_header(("Cookie", cookie)).set_form(fields)
    };
    let version = m["version"].to_string();
    let base = vec![("csrf", csrf.to_string()), ("version", version.clone()), ("action", "withdraw_consent".to_string())];
    let resp = actix_web::test::call_service(&app.svc, post(base.clone()).to_request()).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string();
    assert!(html.contains("Zet een vinkje als u echt wilt stoppen"), "asked to confirm");
    let (_, still) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.cand)).await;
    assert_eq!(still["status"], "accepted", "nothing happened without the tick");
    let mut sure = base;
    sure.push(("zeker", "on".to_string()));
    let resp = actix_web::test::call_service(&app.svc, post(sure).to_request()).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, done) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.cand)).await;
    assert_eq!(done["status"], "withdrawn", "{done}");

    // For a week the stop can be undone, on the page, back to where the match was.
    let (st, html) = page(&app, &s.cand, &format!("/matches/{id}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("Toch doorgaan") && html.contains("tot en met"), "the page offers to undo the stop");
    let resume = vec![("csrf", csrf.to_string()), ("version", done["version"].to_string()), ("action", "resume_consent".to_string())];
    let resp = actix_web::test::call_service(&app.svc, post(resume).to_request()).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, back) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.cand)).await;
    assert_eq!(back["status"], "accepted", "{back}");
    let mid = id.clone();
    let closed: Option<chrono::NaiveDateTime> = app.db(move |c| matches::table.find(&mid).select(matches::closed_at).first(c).unwrap()).await;
    assert!(closed.is_none(), "open again");
    let (st, html) = page(&app, &s.cand, &format!("/matches/{id}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(!html.contains("Toch doorgaan") && html.contains("Ik wil stoppen"), "stopping is possible again, undoing is not");
    // The klantmanager and the employer (who knew of the match) hear of it.
    let told: Vec<String> =
        app.db(|c| outbox::table.filter(outbox::subject.like("%stop teruggedraaid%")).select(outbox::to_address).load(c).unwrap()).await;
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(told.contains(&s.org_email), "{told:?}");

    // Stopped again, nine days ago: too late to undo, with the last day named.
    let (st, again) = act(&app, &s.cand, &id, json!({"action": "withdraw_consent", "version": back["version"]})).await;
    assert_eq!(st, StatusCode::OK, "{again}");
    assert!(again["next"].as_array().unwrap().iter().any(|n| n["action"] == "resume_consent"), "{again}");
    let mid = id.clone();
    app.db(move |c| {
        let nine_days_ago = chrono::Utc::now().naive_utc() - chrono::Duration::days(9);
        diesel::update(matches::table.find(&mid)).set(matches::consent_withdrawn_at.eq(Some(nine_days_ago))).execute(c).unwrap()
    })
    .await;
    let (_, late) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.cand)).await;
    assert!(!late["next"].as_array().unwrap().iter().any(|n| n["action"] == "resume_consent"), "{late}");
    let (st, e) = act(&app, &s.cand, &id, json!({"action": "resume_consent", "version": late["version"]})).await;
    assert_eq!(st, StatusCode::CONFLICT, "{e}");
    assert!(e["message"].as_str().unwrap().contains("Terugdraaien kon tot en met"), "{e}");
    let (_, still) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.cand)).await;
    assert_eq!(still["status"], "withdrawn");
}

#[actix_web::test]
async fn a_form_sent_after_the_session_expired_is_offered_again_after_login() {
    let app = common::app().await;
    let s = setup(&app).await;
    let (st, m) = app.post("/api/v1/matches", Some(&s.km), json!({"candidate_id": s.candidate_id, "placement_id": s.placement_id})).await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    let id = m["id"].as_str().unwrap().to_string();
    let (_, me) = app.get("/api/v1/me", Some(&s.cand)).await;
    let uid = me["id"].as_str().unwrap().to_string();
    // A genuine token of this person that expired a minute ago.
    let expired = app.state.jwt.issue(&uid, "kandidaat", "sessie-voorbij", chrono::Utc::now().timestamp() - 60).unwrap();
    let csrf = "efefefefefefefefefefefefefefefefefefefef";
    let form = [("csrf", csrf), ("version", "1"), ("action", "accept")];
    let req = actix_web::test::TestRequest::post()
        .uri(&format!("/matches/{id}"))
        .insert_header(("Referer", format!("http://127.0.0.1:8080/matches/{id}")))
        .insert_header(("Cookie", format!("opstap_session={expired}; opstap_csrf={csrf}")))
        .set_form(form);
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers().get("location").unwrap(), "/inloggen?terug=/doorgaan");
    let kept = resp.response().cookies().find(|c| c.name() == "opstap_bezig").expect("the form is kept").value().to_string();
    assert!(!kept.contains(csrf), "the old CSRF token is not kept");
    let (_, still) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.cand)).await;
    assert_eq!(still["status"], "proposed", "nothing happened yet");
    let (_, login) = app.html("/inloggen?terug=/doorgaan").await;
    assert!(login.contains("Daarna kunt u verder met wat u aan het doen was"), "the login page says so");

    // Somebody else logging in on this browser is not offered the person's form.
    let req = actix_web::test::TestRequest::get()
        .uri("/doorgaan")
        .insert_header(("Cookie", format!("opstap_session={}; opstap_csrf={csrf}; opstap_bezig={kept}", s.emp)));
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "another user goes home");

    // After the person's login: what they were doing, one button, and the cookie is gone.
    let req = actix_web::test::TestRequest::get()
        .uri("/doorgaan")
        .insert_header(("Cookie", format!("opstap_session={}; opstap_csrf={csrf}; opstap_bezig={kept}", s.cand)));
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let removed = resp.response().cookies().find(|c| c.name() == "opstap_bezig").map(|c| c.value().to_string());
    assert_eq!(removed.as_deref(), Some(""), "the kept form is removed once shown");
    let html = String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string();
    assert!(html.contains("Ja zeggen op het voorstel"), "{html}");
    assert!(html.contains(&format!("action=\"/matches/{id}\"")) && html.contains("name=\"action\" value=\"accept\""), "{html}");
    assert!(html.contains(&format!("name=\"csrf\" value=\"{csrf}\"")), "a fresh form token");
    // Sending it does what the person wanted.
    let req = actix_web::test::TestRequest::post()
        .uri(&format!("/matches/{id}"))
        .insert_header(("Cookie", format!("opstap_session={}; opstap_csrf={csrf}", s.cand)))
        .set_form(form);
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, done) = app.get(&format!("/api/v1/matches/{id}"), Some(&s.cand)).await;
    assert_eq!(done["status"], "accepted", "{done}");
}
