//! Aanmelden: an inwoner signs up, confirms the address, waits unseen until a beheerder assigns a
//! klantmanager, and then is a candidate like any other.

use crate::common;
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use diesel::prelude::*;
use opstap::db::schema::*;
use serde_json::{json, Value};

const CSRF: &str = "abababababababababababababababababababab";
const EMAIL: &str = "nieuw.inwoner@example.org";

fn signup_body() -> Value {
    json!({
        "first_name": "Ilse", "last_name": "Aanmelder", "email": EMAIL, "password": "een-goed-wachtwoord",
        "birth_date": "1991-04-12", "pc4": "7241 AB", "education_level": "mbo2", "benefit_type": "nug",
        "hours_min": 16, "hours_max": 24, "message": "Graag buiten werken.",
        "consent_matching": true, "consent_anonymous_profile": true, "consent_email": true
    })
}

#[actix_web::test]
async fn an_inwoner_signs_up_waits_unseen_and_becomes_a_candidate_when_assigned() {
    let app = common::app().await;
    // Bad input: every wrong field named.
    let mut bad = signup_body();
    bad["pc4"] = json!("0000");
    bad["password"] = json!("kort");
    bad["education_level"] = json!("doctor");
    let (s, e) = app.post("/api/v1/auth/signup", None, bad).await;
    common::assert_field_error(s, &e, "pc4");
    common::assert_field_error(s, &e, "password");
    common::assert_field_error(s, &e, "education_level");

    let (s, first) = app.post("/api/v1/auth/signup", None, signup_body()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{first}");
    // A known address: the same answer, no second account (the owner hears of it).
    let (s2, again) = app.post("/api/v1/auth/signup", None, signup_body()).await;
    assert_eq!((s2, &again), (s, &first));
    let mut known = signup_body();
    known["email"] = json!("kandidaat2@lochem.demo");
    let (s3, v3) = app.post("/api/v1/auth/signup", None, known).await;
    assert_eq!((s3, &v3), (s, &first), "an existing account's address gets the same answer");
    let accounts: i64 = app.db(|c| users::table.filter(users::email_normalized.eq(EMAIL)).count().get_result(c).unwrap()).await;
    assert_eq!(accounts, 1);

    // Not confirmed yet: no login.
    let (s, _) = app.post("/api/v1/auth/login", None, json!({"email": EMAIL, "password": "een-goed-wachtwoord"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let body: String = app
        .db(|c| {
            outbox::table.filter(outbox::to_address.eq(EMAIL)).filter(outbox::kind.eq("signup_confirm")).select(outbox::body_text).first(c).unwrap()
        })
        .await;
    let token = body.split("token=").nth(1).expect("link in the mail").split_whitespace().next().unwrap().to_string();
    // The link shows a button (a mail program opening it confirms nothing).
    let (s, html) = app.html(&format!("/aanmelden/bevestigen?token={token}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Ja, dit is mijn e-mailadres"));
    let (s, _) = app.post("/api/v1/auth/signup/confirm", None, json!({"token": token})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = app.post("/api/v1/auth/signup/confirm", None, json!({"token": token})).await;
    common::assert_field_error(s, &e, "token");

    let me_tok = app.login_pw(EMAIL, "een-goed-wachtwoord").await;
    let (_, me) = app.get("/api/v1/me", Some(&me_tok)).await;
    assert!(me["candidate_id"].is_null(), "{me}");
    let (s, reg) = app.get("/api/v1/me/registration", Some(&me_tok)).await;
    assert_eq!(s, StatusCode::OK, "{reg}");
    assert_eq!(reg["status"], "aangemeld");
    assert_eq!(reg["pc4"], "7241");
    let (s, html) = app.html_as("/kandidaat", &me_tok).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("De gemeente kiest nu een klantmanager voor u"), "{html}");

    // Unseen: no candidate, no caseload, no search, no proposal; only Lochem's beheerders see it.
    let km = app.login("klantmanager1@lochem.demo").await;
    let (s, list) = app.get("/api/v1/candidates?limit=500", Some(&km)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!list.to_string().contains("Aanmelder"), "not in any caseload");
    let (_, hits) = app.get("/api/v1/search/candidates?limit=500", Some(&km)).await;
    assert!(!hits.to_string().contains("Aanmelder"), "not in the search index");
    let n: i64 = app.db(|c| candidates::table.filter(candidates::last_name.eq("Aanmelder")).count().get_result(c).unwrap()).await;
    assert_eq!(n, 0);
    let (s, _) = app.get("/api/v1/registrations", Some(&km)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let zutphen = app.login("beheerder@zutphen.demo").await;
    let (s, z) = app.get("/api/v1/registrations", Some(&zutphen)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!z.to_string().contains("Aanmelder"), "another municipality's beheerder sees nothing");
    let adm = app.login("beheerder@lochem.demo").await;
    let (s, waiting) = app.get("/api/v1/registrations", Some(&adm)).await;
    assert_eq!(s, StatusCode::OK);
    let rid = waiting.as_array().unwrap().iter().find(|r| r["last_name"] == "Aanmelder").expect("waiting")["id"].as_str().unwrap().to_string();
    let (s, e) = app.post(&format!("/api/v1/registrations/{rid}/assign"), Some(&zutphen), json!({"klantmanager_id": "x"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");

    // The beheerder's page lists the person with a form.
    let req = TestRequest::get().uri("/beheer/aanmeldingen").insert_header(("Cookie", format!("opstap_session={adm}; opstap_csrf={CSRF}")));
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string();
    assert!(html.contains("Ilse Aanmelder") && html.contains("Graag buiten werken."), "{html}");
    // An empty choice: the form again with the message, nothing assigned.
    let req = TestRequest::post()
        .uri(&format!("/beheer/aanmeldingen/{rid}"))
        .insert_header(("Cookie", format!("opstap_session={adm}; opstap_csrf={CSRF}")))
        .set_form([("csrf", CSRF), ("klantmanager_id", ""), ("client_group_id", "")]);
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let km_id: String =
        app.db(|c| users::table.filter(users::email_normalized.eq("klantmanager1@lochem.demo")).select(users::id).first(c).unwrap()).await;
    let (s, a) = app.post(&format!("/api/v1/registrations/{rid}/assign"), Some(&adm), json!({"klantmanager_id": km_id})).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let cid = a["candidate_id"].as_str().unwrap().to_string();
    let (s, e) = app.post(&format!("/api/v1/registrations/{rid}/assign"), Some(&adm), json!({"klantmanager_id": km_id})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");

    // Now a candidate: in the caseload, with the person's own wishes and consents, and an intake task.
    let (s, c) = app.get(&format!("/api/v1/candidates/{cid}"), Some(&km)).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["hours_min"], 16);
    assert_eq!(c["benefit_type"], "nug");
    assert_eq!(c["consent_matching"], true);
    let c2 = cid.clone();
    let tasks_: i64 =
        app.db(move |c| tasks::table.filter(tasks::candidate_id.eq(&c2)).filter(tasks::done_at.is_null()).count().get_result(c).unwrap()).await;
    assert_eq!(tasks_, 1, "the klantmanager plans the intake");
    let told: i64 = app
        .db(|c| outbox::table.filter(outbox::to_address.eq(EMAIL)).filter(outbox::kind.eq("signup_assigned")).count().get_result(c).unwrap())
        .await;
    assert_eq!(told, 1);
    let (_, me) = app.get("/api/v1/me", Some(&me_tok)).await;
    assert_eq!(me["candidate_id"], cid.as_str(), "{me}");
    // The person's export holds the registration (the confirmation key does not leave).
    let (s, ex) = app.get("/api/v1/me/export", Some(&me_tok)).await;
    assert_eq!(s, StatusCode::OK, "{ex}");
    let regs = ex["tables"]["registrations"].as_array().unwrap();
    assert_eq!(regs.len(), 1);
    assert_eq!(regs[0]["message"], "Graag buiten werken.");
    assert!(regs[0].get("confirm_token_hash").is_none());
}

#[actix_web::test]
async fn the_signup_form_shows_every_mistake_beside_its_field() {
    let app = common::app().await;
    let req = TestRequest::post().uri("/aanmelden").insert_header(("Cookie", format!("opstap_csrf={CSRF}"))).set_form([
        ("csrf", CSRF),
        ("first_name", "Ilse"),
        ("last_name", ""),
        ("email", "geen-adres"),
        ("password", "een-goed-wachtwoord"),
        ("birth_date", "12-04-1991x"),
        ("pc4", "7241"),
        ("education_level", "mbo2"),
        ("benefit_type", "nug"),
        ("hours_min", "16"),
        ("hours_max", "24"),
    ]);
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string();
    for id in ["last_name-fout", "email-fout", "birth_date-fout"] {
        assert!(html.contains(id), "{id} missing");
    }
    assert!(html.contains("value=\"Ilse\""), "the input is kept");
    let n: i64 = app.db(|c| registrations::table.count().get_result(c).unwrap()).await;
    assert_eq!(n, 0);
}

#[actix_web::test]
async fn a_person_registered_by_the_klantmanager_is_invited_to_choose_a_password() {
    let app = common::app().await;
    let km = app.login("klantmanager1@lochem.demo").await;
    let (s, c) = app.post("/api/v1/candidates", Some(&km), common::candidate_body()).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_str().unwrap().to_string();
    let mut no_mail = common::candidate_body();
    no_mail["email"] = Value::Null;
    no_mail["last_name"] = json!("Zondermail");
    let (_, c2) = app.post("/api/v1/candidates", Some(&km), no_mail).await;
    let (s, e) = app.post(&format!("/api/v1/candidates/{}/invite", c2["id"].as_str().unwrap()), Some(&km), json!({})).await;
    common::assert_field_error(s, &e, "email");
    let other_km = app.login("klantmanager2@lochem.demo").await;
    let (s, _) = app.post(&format!("/api/v1/candidates/{cid}/invite"), Some(&other_km), json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only the person's own klantmanager invites");

    let (s, v) = app.post(&format!("/api/v1/candidates/{cid}/invite"), Some(&km), json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, e) = app.post(&format!("/api/v1/candidates/{cid}/invite"), Some(&km), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let body: String = app
        .db(|c| {
            outbox::table
                .filter(outbox::to_address.eq("testje@example.org"))
                .filter(outbox::kind.eq("invitation"))
                .select(outbox::body_text)
                .first(c)
                .unwrap()
        })
        .await;
    let token = body.split("token=").nth(1).expect("link").split_whitespace().next().unwrap().to_string();
    // No password works before the person chose one.
    let (s, _) = app.post("/api/v1/auth/login", None, json!({"email": "testje@example.org", "password": ""})).await;
    assert!(s.is_client_error());
    let (s, v) = app.post("/api/v1/auth/password-reset/confirm", None, json!({"token": token, "password": "mijn-eigen-wachtwoord"})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let tok = app.login_pw("testje@example.org", "mijn-eigen-wachtwoord").await;
    let (_, me) = app.get("/api/v1/me", Some(&tok)).await;
    assert_eq!(me["candidate_id"], cid.as_str());
    // The invitation is in the person's access log.
    let (_, log) = app.get("/api/v1/me/access-log", Some(&tok)).await;
    assert!(log.to_string().contains("uitnodiging"), "{log}");
}
