use crate::common;
use actix_web::http::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn candidate_lifecycle_with_ladder_and_contacts() {
    let app = common::app().await;
    let km = app.login("klantmanager1@lochem.demo").await;
    let occ = app.get("/api/v1/esco/occupations?q=magazijnmedewerker&limit=1", None).await.1["items"][0]["id"].as_str().unwrap().to_string();
    let mut body = common::candidate_body();
    body["occupations"] = json!([{"occupation_id": occ, "experience": "ervaren"}]);
    body["skills"] = json!([{"free_text": "heftruckcertificaat", "level": "gevorderd"}]);
    body["loonwaarde"] = json!(60);
    body["loonwaarde_date"] = json!("2026-09-01");
    let (s, c) = app.post("/api/v1/candidates", Some(&km), body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(c["occupations"][0]["occupation"]["label"], "magazijnmedewerker");
    assert_eq!(c["skills"][0]["free_text"], "heftruckcertificaat");
    assert_eq!(c["ladder_step"], 3);
    assert_eq!(c["loonwaarde"], 60);
    assert_eq!(c["version"], 1);
    let (_, me) = app.get("/api/v1/me", Some(&km)).await;
    assert_eq!(c["klantmanager_id"], me["id"]);

    // A new ladder measurement becomes the current step.
    let (s, m) = app
        .post(
            &format!("/api/v1/candidates/{id}/ladder-measurements"),
            Some(&km),
            json!({"measured_on": opstap::clock::today(), "step": 4, "target_step": 5}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["step_name"], "Onbetaald werk");
    let (_, c2) = app.get(&format!("/api/v1/candidates/{id}"), Some(&km)).await;
    assert_eq!(c2["ladder_step"], 4);
    assert_eq!(c2["ladder_target_step"], 5);

    // Contact moments: create, edit, list, delete.
    let path = format!("/api/v1/candidates/{id}/contact-moments");
    let (s, cm) = app.post(&path, Some(&km), json!({"contact_date": "2026-11-02", "channel": "huisbezoek", "note": "Kennismaking"})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(cm["personal"], true);
    let cmid = cm["id"].as_str().unwrap();
    let (s, cm2) = app.put(&format!("{path}/{cmid}"), Some(&km), json!({"contact_date": "2026-11-03", "channel": "email", "note": "Mail"})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cm2["personal"], false);
    let (_, c3) = app.get(&format!("/api/v1/candidates/{id}"), Some(&km)).await;
    assert_eq!(c3["last_contact"], "2026-11-03");
    assert_eq!(app.delete(&format!("{path}/{cmid}"), Some(&km)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, Some(&km)).await.1.as_array().unwrap().len(), 0);

    // Update with version; outflow needs a reason from the list.
    let mut upd = body.clone();
    upd.as_object_mut().unwrap().remove("ladder_step");
    upd["version"] = json!(1);
    upd["status"] = json!("uitgestroomd");
    upd["outflow_reason"] = json!("betaald_werk");
    let (s, u) = app.put(&format!("/api/v1/candidates/{id}"), Some(&km), upd.clone()).await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(u["status"], "uitgestroomd");
    assert_eq!(u["version"], 2);
    assert!(u["outflow_date"].is_string());
    let (s, _) = app.put(&format!("/api/v1/candidates/{id}"), Some(&km), upd).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // The klantmanager creates the candidate's account; the candidate sees itself.
    let (s, acc) = app
        .post(
            "/api/v1/users",
            Some(&km),
            json!({"email": "testje@example.org", "password": "mijn-wachtwoord", "role": "kandidaat", "name": "Testje", "candidate_id": id}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{acc}");
    let kt = app.login_pw("testje@example.org", "mijn-wachtwoord").await;
    let (s, selfv) = app.get(&format!("/api/v1/candidates/{id}"), Some(&kt)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(selfv["first_name"], "Testje");
    assert!(selfv.get("support_needs").is_none());
    // A second account for the same candidate: 409.
    let (s, v) = app
        .post(
            "/api/v1/users",
            Some(&km),
            json!({"email": "ander@example.org", "password": "mijn-wachtwoord", "role": "kandidaat", "name": "X", "candidate_id": id}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!((v["code"].as_str(), v["fields"][0]["field"].as_str()), (Some("already_exists"), Some("candidate_id")), "{v}");

    // Delete removes the candidate (and its account).
    assert_eq!(app.delete(&format!("/api/v1/candidates/{id}?reason=test%20van%20verwijdering"), Some(&km)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/api/v1/candidates/{id}"), Some(&km)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/me", Some(&kt)).await.0, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn organisations_sroi_and_users() {
    let app = common::app().await;
    let km = app.login("klantmanager1@zutphen.demo").await;
    let (s, o) = app
        .post("/api/v1/organisations", Some(&km), json!({"name": "Bouwbedrijf Hanze", "kvk_number": "23456789", "sector": "Bouw", "pc4": "7201", "contact_name": "Kim", "contact_email": "kim@hanze.example"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!(o["verified"], true, "an organisation created by a klantmanager is verified");
    let oid = o["id"].as_str().unwrap().to_string();
    // Duplicate KvK: 409
    let (s, v) = app
        .post("/api/v1/organisations", Some(&km), json!({"name": "Ander", "kvk_number": "23456789", "sector": "Bouw", "pc4": "7201", "contact_name": "Kim", "contact_email": "kim@hanze.example"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!((v["code"].as_str(), v["fields"][0]["field"].as_str()), (Some("already_exists"), Some("kvk_number")), "{v}");

    let (s, c) = app
        .post("/api/v1/sroi-contracts", Some(&km), json!({"organisation_id": oid, "reference": "ZUT-2026-100", "contract_value_cents": 20000000, "percentage": 5, "period_start": "2026-01-01", "period_end": "2027-12-31"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["obligation_cents"], 1000000);
    let (s, v) = app
        .post("/api/v1/sroi-contracts", Some(&km), json!({"organisation_id": oid, "reference": "X", "contract_value_cents": 100, "percentage": 5, "period_start": "2027-01-01", "period_end": "2026-12-31"}))
        .await;
    common::assert_field_error(s, &v, "period_end");
    // A placement linked to the contract; another organisation's contract is refused.
    let mut p = common::placement_body(Some(&oid));
    p["sroi_contract_id"] = c["id"].clone();
    let (s, pl) = app.post("/api/v1/placements", Some(&km), p).await;
    assert_eq!(s, StatusCode::CREATED, "{pl}");
    let w1 = app.login("werkgever1@demo.nl").await;
    let mut p = common::placement_body(None);
    p["sroi_contract_id"] = c["id"].clone();
    let (s, v) = app.post("/api/v1/placements", Some(&w1), p).await;
    common::assert_field_error(s, &v, "sroi_contract_id");

    // Beheerder deactivates a user: login then fails.
    let beh = app.login("beheerder@zutphen.demo").await;
    let (_, users) = app.get("/api/v1/users", Some(&beh)).await;
    let km2 = users.as_array().unwrap().iter().find(|u| u["email"] == "klantmanager2@zutphen.demo").unwrap()["id"].as_str().unwrap().to_string();
    let (s, _) = app.call(actix_web::http::Method::PATCH, &format!("/api/v1/users/{km2}"), Some(&beh), Some(json!({"active": false}))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.post("/api/v1/auth/login", None, json!({"email": "klantmanager2@zutphen.demo", "password": common::PW})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // A beheerder of another municipality cannot touch that user.
    let beh_l = app.login("beheerder@lochem.demo").await;
    let (s, _) = app.call(actix_web::http::Method::PATCH, &format!("/api/v1/users/{km2}"), Some(&beh_l), Some(json!({"active": true}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// The database itself refuses a kind, status, role or channel the application does not know
/// (CHECK constraints on PostgreSQL, triggers on SQLite), on insert and on update.
#[actix_web::test]
async fn the_database_refuses_unknown_kinds_statuses_and_roles() {
    use diesel::connection::SimpleConnection;
    let db = common::fresh_db();
    let mut conn = opstap::db::connect(&db.url, 1).unwrap().get().unwrap();
    for bad in [
        "UPDATE users SET role = 'superuser'",
        "UPDATE placements SET kind = 'stage'",
        "UPDATE placements SET status = 'gesloten'",
        "UPDATE candidates SET status = 'weg'",
    ] {
        let e = conn.batch_execute(bad).expect_err(bad);
        assert!(e.to_string().to_lowercase().contains("check"), "{bad}: {e}");
    }
    let e = conn
        .batch_execute("INSERT INTO contact_moments (id, candidate_id, contact_date, channel, by_user_id, note, created_at) SELECT 'x', id, '2026-12-01', 'duif', NULL, 's', '2026-12-01 10:00:00' FROM candidates LIMIT 1")
        .expect_err("a contact by pigeon");
    assert!(e.to_string().to_lowercase().contains("check"), "{e}");
    // The known values pass.
    conn.batch_execute("UPDATE placements SET status = 'closed' WHERE status = 'closed'").unwrap();
    conn.batch_execute("UPDATE users SET role = 'kandidaat' WHERE role = 'kandidaat'").unwrap();
    // Typed columns: a value the application does not know is an error when the row is read, not
    // a string passed on (written around the database's own check, as an old backup might hold).
    use diesel::prelude::*;
    use opstap::db::models::{Match, User};
    use opstap::db::schema::{matches, users};
    let users_before = users::table.select(User::as_select()).load(&mut conn).expect("known roles read");
    assert!(!users_before.is_empty());
    let matches_before = matches::table.select(Match::as_select()).load(&mut conn).expect("known statuses read");
    let loosen = if db.url.starts_with("postgres") {
        "ALTER TABLE users DROP CONSTRAINT users_role_check; ALTER TABLE matches DROP CONSTRAINT matches_status_check"
    } else {
        "DROP TRIGGER users_role_check_update; DROP TRIGGER matches_status_check_update"
    };
    conn.batch_execute(loosen).unwrap();
    conn.batch_execute(&format!("UPDATE users SET role = 'superuser' WHERE id = '{}'", users_before[0].id)).unwrap();
    let e = users::table.select(User::as_select()).load(&mut conn).expect_err("an unknown role is not read");
    assert!(format!("{e:?}").contains(r#"unknown Role \"superuser\" in the database"#), "{e:?}");
    if let Some(m) = matches_before.first() {
        conn.batch_execute(&format!("UPDATE matches SET status = 'zoek' WHERE id = '{}'", m.id)).unwrap();
        let e = matches::table.select(Match::as_select()).load(&mut conn).expect_err("an unknown status is not read");
        assert!(format!("{e:?}").contains(r#"unknown MatchStatus \"zoek\" in the database"#), "{e:?}");
    }
}

/// What the client system knows of a person: the client number (unique in the municipality, never a
/// BSN), the benefit type and the registration date; instroom in the monitor counts from the
/// registration date, not from the day the record was made here.
#[actix_web::test]
async fn registration_date_benefit_type_and_client_number() {
    let app = common::app().await;
    let km = app.login("klantmanager1@lochem.demo").await;
    let mut body = common::candidate_body();
    body["client_number"] = json!("KL-1001");
    body["benefit_type"] = json!("nug");
    body["registration_date"] = json!("2025-02-10");
    let (s, c) = app.post("/api/v1/candidates", Some(&km), body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(
        (c["client_number"].as_str(), c["benefit_type"].as_str(), c["registration_date"].as_str()),
        (Some("KL-1001"), Some("nug"), Some("2025-02-10"))
    );
    assert_eq!(c["benefit_label"], "Geen uitkering (NUG)");
    let id = c["id"].as_str().unwrap().to_string();

    // The same client number for another person of the municipality: 409 naming the field.
    body["first_name"] = json!("Ander");
    let (s, e) = app.post("/api/v1/candidates", Some(&km), body.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["code"], "already_exists", "{e}");
    assert!(e.to_string().contains("client_number"), "{e}");
    // A BSN is never stored; a registration in the future is not one.
    body["client_number"] = json!("111222333");
    body["registration_date"] = json!(opstap::clock::today() + chrono::Duration::days(3));
    let (s, e) = app.post("/api/v1/candidates", Some(&km), body.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let fields: Vec<&str> = e["fields"].as_array().unwrap().iter().filter_map(|f| f["field"].as_str()).collect();
    assert!(fields.contains(&"client_number") && fields.contains(&"registration_date"), "{e}");
    assert!(e.to_string().contains("BSN"), "{e}");

    // An update that leaves them out keeps the number and the date.
    let mut upd = common::candidate_body();
    upd.as_object_mut().unwrap().remove("ladder_step");
    upd["version"] = json!(1);
    upd["benefit_type"] = json!("nug");
    let (s, c2) = app.put(&format!("/api/v1/candidates/{id}"), Some(&km), upd).await;
    assert_eq!(s, StatusCode::OK, "{c2}");
    assert_eq!(
        (c2["client_number"].as_str(), c2["registration_date"].as_str(), c2["version"].as_i64()),
        (Some("KL-1001"), Some("2025-02-10"), Some(2))
    );

    // Instroom: in the quarter of the registration date, not in today's quarter.
    let bee = app.login("beheerder@lochem.demo").await;
    let (s, then) = app.get("/api/v1/monitor?quarter=2025-Q1", Some(&bee)).await;
    assert_eq!(s, StatusCode::OK, "{then}");
    let (_, before) = app.get("/api/v1/monitor?quarter=2024-Q4", Some(&bee)).await;
    let quarter_now = {
        let t = opstap::clock::today();
        format!("{}-Q{}", chrono::Datelike::year(&t), (chrono::Datelike::month(&t) - 1) / 3 + 1)
    };
    let (_, now) = app.get(&format!("/api/v1/monitor?quarter={quarter_now}"), Some(&bee)).await;
    // Only this candidate of Lochem was made today; the demo's own people registered earlier.
    let inflow = |m: &serde_json::Value| m["total"]["flow"]["instroom"].as_u64().unwrap();
    assert!(inflow(&then) >= 1, "{then}");
    let fresh = common::app().await;
    let bee2 = fresh.login("beheerder@lochem.demo").await;
    let (_, then_without) = fresh.get("/api/v1/monitor?quarter=2025-Q1", Some(&bee2)).await;
    let (_, now_without) = fresh.get(&format!("/api/v1/monitor?quarter={quarter_now}"), Some(&bee2)).await;
    assert_eq!(inflow(&then), inflow(&then_without) + 1, "counted in the quarter of its registration");
    assert_eq!(inflow(&now), inflow(&now_without), "not in the quarter it was typed in");
    assert!(before["total"].is_object());
}
