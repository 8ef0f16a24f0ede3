//! Klantgroepen: the beheerder defines them (API and pages), the group's contact norm decides who
//! is overdue on the caseload, the monitor splits per group with rows summing to the total, and
//! yearly targets are set in advance.

use crate::common;
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::{json, Value};

const CSRF: &str = "ffffffffffffffffffffffffffffffffffffffff";

/// The table row of the caseload page that names `name`.
fn row_of<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    html.split("<tr").find(|r| r.contains(name))
}

#[actix_web::test]
async fn a_groups_contact_norm_decides_who_is_overdue_and_the_monitor_splits_per_group() {
    let app = common::app().await;
    let adm = app.login("beheerder@lochem.demo").await;
    let km = app.login("klantmanager1@lochem.demo").await;

    // Only a beheerder defines groups; bad input names the field.
    let (s, _) = app.post("/api/v1/client-groups", Some(&km), json!({"name": "Kort", "contact_norm_days": 30})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = app.post("/api/v1/client-groups", Some(&adm), json!({"name": "Kort", "contact_norm_days": 0})).await;
    common::assert_field_error(s, &b, "contact_norm_days");
    let (s, b) = app.post("/api/v1/client-groups", Some(&adm), json!({"name": " ", "contact_norm_days": 30, "default_target_step": 9})).await;
    common::assert_field_error(s, &b, "name");
    common::assert_field_error(s, &b, "default_target_step");
    let (s, short) =
        app.post("/api/v1/client-groups", Some(&adm), json!({"name": "Traject loopt", "contact_norm_days": 30, "default_target_step": 5})).await;
    assert_eq!(s, StatusCode::CREATED, "{short}");
    let (s, long) = app.post("/api/v1/client-groups", Some(&adm), json!({"name": "Stabiel", "contact_norm_days": 365})).await;
    assert_eq!(s, StatusCode::CREATED, "{long}");
    let (s, b) = app.post("/api/v1/client-groups", Some(&adm), json!({"name": "Stabiel", "contact_norm_days": 90})).await;
    common::assert_field_error(s, &b, "name");
    let (short_id, long_id) = (short["id"].as_str().unwrap().to_string(), long["id"].as_str().unwrap().to_string());

    // The klantmanager puts one person in each; an unknown group is refused by name.
    let person = |first: &str, email: &str, group: &str| {
        let mut b = common::candidate_body();
        b["first_name"] = json!(first);
        b["email"] = json!(email);
        b["client_group_id"] = json!(group);
        b
    };
    let (s, b) = app.post("/api/v1/candidates", Some(&km), person("Nergens", "nergens@example.org", "bestaat-niet")).await;
    common::assert_field_error(s, &b, "client_group_id");
    let (s, a) = app.post("/api/v1/candidates", Some(&km), person("Kortnorm", "kort@example.org", &short_id)).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["client_group_id"], short_id.as_str());
    let (s, c) = app.post("/api/v1/candidates", Some(&km), person("Langnorm", "lang@example.org", &long_id)).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    // The first measurement's target step is the group's default.
    let (_, lm) = app.get(&format!("/api/v1/candidates/{}/ladder-measurements", a["id"].as_str().unwrap()), Some(&km)).await;
    assert_eq!(lm[0]["target_step"], 5, "{lm}");

    // Both had their last personal contact 40 days ago.
    let forty = (opstap::clock::today() - chrono::Duration::days(40)).to_string();
    for p in [&a, &c] {
        let (s, b) = app
            .post(
                &format!("/api/v1/candidates/{}/contact-moments", p["id"].as_str().unwrap()),
                Some(&km),
                json!({"contact_date": forty, "channel": "gesprek", "note": "Gesprek"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }

    let page = |path: String| {
        let app = &app;
        let cookie = format!("opstap_session={km}; opstap_csrf={CSRF}");
        async move {
            let req = TestRequest::get().uri(&path).insert_header(("Cookie", cookie));
            let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
            (resp.status(), String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string())
        }
    };
    let (s, html) = page("/klantmanager".into()).await;
    assert_eq!(s, StatusCode::OK);
    let ra = row_of(&html, "Kortnorm Zoekmij").expect("row of the 30-day group");
    let rc = row_of(&html, "Langnorm Zoekmij").expect("row of the 365-day group");
    assert!(ra.contains("contact nodig") && ra.contains("Traject loopt"), "{ra}");
    assert!(!rc.contains("contact nodig") && rc.contains("Stabiel"), "{rc}");
    // The overdue count links to the list of those overdue; the group filter shows one group.
    assert!(html.contains("href=\"/klantmanager?alleen=contact#kandidaten\""), "the overdue count links to its list");
    let (_, only) = page("/klantmanager?alleen=contact".into()).await;
    assert!(row_of(&only, "Kortnorm Zoekmij").is_some() && row_of(&only, "Langnorm Zoekmij").is_none());
    let (_, grp) = page(format!("/klantmanager?groep={long_id}")).await;
    assert!(row_of(&grp, "Langnorm Zoekmij").is_some() && row_of(&grp, "Kortnorm Zoekmij").is_none());
    let (s, _) = page("/klantmanager?taken_tot=gisteren".into()).await;
    assert!(s.is_client_error(), "a due date that is not a date is refused, not a 500: {s}");

    // The monitor's per-group rows sum to the total.
    let (s, m) = app.get("/api/v1/monitor", Some(&adm)).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let lines = m["per_client_group"].as_array().expect("per_client_group");
    assert!(!lines.is_empty());
    for path in [["in_view", "caseload"], ["contact", "overdue"], ["flow", "instroom"]] {
        let sum: u64 = lines.iter().map(|l| l["group"][path[0]][path[1]].as_u64().unwrap_or(0)).sum();
        assert_eq!(Value::from(sum), m["total"][path[0]][path[1]], "{path:?} per group sums to the total");
    }
    // Groups under five people are not shown on their own.
    assert!(lines.iter().all(|l| l["people"].as_u64().unwrap() >= 5 || l["key"] == "overig"), "{lines:?}");
    assert!(m["per_target_group"].as_array().is_some_and(|t| !t.is_empty()));

    // Yearly targets, set in advance, shown against the realisation.
    let year = chrono::Datelike::year(&opstap::clock::today());
    let (s, b) = app.put(&format!("/api/v1/client-groups/{short_id}/targets/{year}"), Some(&adm), json!({"uitstroom_werk": -1})).await;
    common::assert_field_error(s, &b, "uitstroom_werk");
    let (s, t) =
        app.put(&format!("/api/v1/client-groups/{short_id}/targets/{year}"), Some(&adm), json!({"uitstroom_werk": 20, "trede_omhoog": 40})).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["targets"]["uitstroom_werk"], 20);
    let (_, m) = app.get("/api/v1/monitor", Some(&adm)).await;
    let targets = m["targets"].as_array().expect("targets");
    assert!(targets.iter().any(|t| t["client_group"] == short_id.as_str() && t["indicator"] == "uitstroom_werk" && t["target"] == 20), "{targets:?}");

    // The monitor page shows the per-group table, the targets and their chart; the export has them too.
    let req = TestRequest::get().uri("/monitor").insert_header(("Cookie", format!("opstap_session={adm}; opstap_csrf={CSRF}")));
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string();
    assert!(html.contains("Per klantgroep") && html.contains("Per doelgroep"), "per-group sections");
    assert!(html.contains("id=\"svg-doelen\""), "the targets chart");
    let row = html.split("<tr").find(|r| r.contains("Traject loopt") && r.contains("Uitstroom naar werk")).expect("target row");
    assert!(row.contains("<td>20</td>"), "{row}");
    let req = TestRequest::get().uri("/api/v1/monitor/export.csv").insert_header(("Authorization", format!("Bearer {adm}")));
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    let csv = String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string();
    assert!(csv.contains("doelen;uitstroom naar werk: doel;klantgroep Traject loopt"), "targets in the export");
    assert!(csv.contains(";doelgroep "), "target groups in the export");

    // A stale version is a conflict; the right one changes the norm.
    let (s, _) = app
        .put(&format!("/api/v1/client-groups/{short_id}"), Some(&adm), json!({"name": "Traject loopt", "contact_norm_days": 60, "version": 99}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, g) = app
        .put(&format!("/api/v1/client-groups/{short_id}"), Some(&adm), json!({"name": "Traject loopt", "contact_norm_days": 60, "version": 1}))
        .await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(g["version"], 2);
    let (_, html) = page("/klantmanager".into()).await;
    assert!(!row_of(&html, "Kortnorm Zoekmij").unwrap().contains("contact nodig"), "40 days is within a 60-day norm");

    // Removing a group moves its members to the default group; the default group stays.
    let (s, r) = app.delete(&format!("/api/v1/client-groups/{short_id}"), Some(&adm)).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["moved"], 1);
    let (_, groups) = app.get("/api/v1/client-groups", Some(&km)).await;
    let default = groups.as_array().unwrap().iter().find(|g| g["is_default"] == true).expect("a default group").clone();
    let (_, a2) = app.get(&format!("/api/v1/candidates/{}", a["id"].as_str().unwrap()), Some(&km)).await;
    assert_eq!(a2["client_group_id"], default["id"]);
    let (s, _) = app.delete(&format!("/api/v1/client-groups/{}", default["id"].as_str().unwrap()), Some(&adm)).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Another municipality's beheerder does not see or touch Lochem's groups.
    let zut = app.login("beheerder@zutphen.demo").await;
    let (s, _) = app.delete(&format!("/api/v1/client-groups/{long_id}"), Some(&zut)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_beheerder_manages_klantgroepen_on_the_pages() {
    let app = common::app().await;
    let cookie = format!("opstap_session={}; opstap_csrf={CSRF}", app.login("beheerder@lochem.demo").await);
    let get = |path: String| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            let req = TestRequest::get().uri(&path).insert_header(("Cookie", cookie));
            let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
            (resp.status(), String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string())
        }
    };
    let (s, html) = get("/beheer/klantgroepen".into()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Alle klanten") && html.contains("Direct bemiddelbaar"), "the demo groups are listed");

    // A wrong norm comes back on the form with the message beside the field, input kept.
    let req = TestRequest::post().uri("/beheer/klantgroepen").insert_header(("Cookie", cookie.clone())).set_form([
        ("csrf", CSRF),
        ("name", "Statushouders"),
        ("description", ""),
        ("contact_norm_days", "veel"),
    ]);
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string();
    assert!(body.contains("contact_norm_days-fout") && body.contains("value=\"Statushouders\""), "{body}");

    let req = TestRequest::post().uri("/beheer/klantgroepen").insert_header(("Cookie", cookie.clone())).set_form([
        ("csrf", CSRF),
        ("name", "Statushouders"),
        ("description", "Inburgeraars met een traject"),
        ("contact_norm_days", "14"),
        ("default_target_step", "3"),
    ]);
    let (s, h, _) = app.raw(req).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let loc = h.iter().find(|(k, _)| k == "location").map(|(_, v)| v.clone()).unwrap();
    let id = loc.trim_start_matches("/beheer/klantgroepen/").split('?').next().unwrap().to_string();
    let (_, page) = get(loc.clone()).await;
    assert!(page.contains("De klantgroep is opgeslagen.") && page.contains("value=\"14\""), "{page}");

    // Targets for this year.
    let year = chrono::Datelike::year(&opstap::clock::today()).to_string();
    let req = TestRequest::post().uri(&format!("/beheer/klantgroepen/{id}/doelen")).insert_header(("Cookie", cookie.clone())).set_form([
        ("csrf", CSRF),
        ("year", year.as_str()),
        ("instroom", ""),
        ("uitstroom", ""),
        ("uitstroom_werk", "12"),
        ("trede_omhoog", "30"),
    ]);
    let (s, _, _) = app.raw(req).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, list) = get("/beheer/klantgroepen".into()).await;
    let row = list.split("<tr").find(|r| r.contains("Statushouders")).unwrap();
    assert!(row.contains("14 dagen") && row.contains("Doel uitstroom naar werk: 12") && row.contains("Doel trede omhoog: 30"), "{row}");

    // Removing it from its page.
    let req = TestRequest::post()
        .uri(&format!("/beheer/klantgroepen/{id}/verwijderen"))
        .insert_header(("Cookie", cookie.clone()))
        .set_form([("csrf", CSRF)]);
    let (s, _, _) = app.raw(req).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, list) = get("/beheer/klantgroepen?verwijderd=0".into()).await;
    assert!(!list.contains(&format!("/beheer/klantgroepen/{id}\"")) && list.contains("De klantgroep is verwijderd."));
}

#[actix_web::test]
async fn the_doelgroepregister_keeps_its_route_and_ends_with_a_beschut_werk_indication() {
    let app = common::app().await;
    let km = app.login("klantmanager1@lochem.demo").await;
    let mut b = common::candidate_body();
    b["doelgroepregister"] = json!(true);
    b["beschut_werk_indicatie"] = json!(true);
    let (s, e) = app.post("/api/v1/candidates", Some(&km), b.clone()).await;
    common::assert_field_error(s, &e, "doelgroepregister");
    assert!(e.to_string().contains("3.2"), "the reason cites the rule: {e}");
    b["beschut_werk_indicatie"] = json!(false);
    b["doelgroepregister_route"] = json!("praktijkroute");
    b["doelgroepregister_date"] = json!("2025-09-01");
    let (s, c) = app.post("/api/v1/candidates", Some(&km), b.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["doelgroepregister_route"], "praktijkroute");
    assert_eq!(c["doelgroepregister_date"], "2025-09-01");
    b["doelgroepregister_route"] = json!("via_de_buren");
    let (s, e) = app.post("/api/v1/candidates", Some(&km), b).await;
    common::assert_field_error(s, &e, "doelgroepregister_route");
}

#[actix_web::test]
async fn a_beheerder_hands_a_caseload_over_and_the_new_klantmanager_sees_who() {
    let app = common::app().await;
    let adm = app.login("beheerder@lochem.demo").await;
    let km1 = app.login("klantmanager1@lochem.demo").await;
    let km2 = app.login("klantmanager2@lochem.demo").await;
    let (_, users) = app.get("/api/v1/users", Some(&adm)).await;
    let id_of = |email: &str| users.as_array().unwrap().iter().find(|u| u["email"] == email).unwrap()["id"].as_str().unwrap().to_string();
    let (k1, k2) = (id_of("klantmanager1@lochem.demo"), id_of("klantmanager2@lochem.demo"));
    let (_, mine) = app.get("/api/v1/candidates?limit=200", Some(&km1)).await;
    let before: Vec<String> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["klantmanager_id"] == k1.as_str() && c["status"] == "actief")
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert!(before.len() >= 2, "klantmanager 1 has a caseload");

    // Only a beheerder hands over; the current klantmanager cannot use this route.
    let (s, _) = app.post("/api/v1/handovers", Some(&km1), json!({"from_klantmanager_id": k1, "to_klantmanager_id": k2})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = app.post("/api/v1/handovers", Some(&adm), json!({"from_klantmanager_id": k1, "to_klantmanager_id": k1})).await;
    common::assert_field_error(s, &b, "to_klantmanager_id");
    let zut = app.login("beheerder@zutphen.demo").await;
    let (s, b) = app.post("/api/v1/handovers", Some(&zut), json!({"from_klantmanager_id": k1, "to_klantmanager_id": k2})).await;
    common::assert_field_error(s, &b, "from_klantmanager_id");

    // One candidate.
    let one = before[0].clone();
    let (s, r) =
        app.post("/api/v1/handovers", Some(&adm), json!({"from_klantmanager_id": k1, "to_klantmanager_id": k2, "candidate_ids": [one]})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["candidate_ids"], json!([one]));
    let (s, c) = app.get(&format!("/api/v1/candidates/{one}"), Some(&km2)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c["klantmanager_id"], k2.as_str());
    // The new klantmanager has a task to get acquainted; the old one may no longer change the record.
    let (_, tasks) = app.get("/api/v1/tasks", Some(&km2)).await;
    let list = tasks.as_array().or_else(|| tasks["items"].as_array()).expect("task list").clone();
    assert!(list.iter().any(|t| t["kind"] == "handover" && t["candidate_id"] == one.as_str()), "{tasks}");
    let mut body = common::candidate_body();
    body["version"] = c["version"].clone();
    let (s, _) = app.put(&format!("/api/v1/candidates/{one}"), Some(&km1), body).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The person's access log records the handover by the beheerder.
    let n: i64 = app
        .db(move |c| {
            use diesel::prelude::*;
            use opstap::db::schema::audit_log;
            audit_log::table.filter(audit_log::candidate_id.eq(&one)).filter(audit_log::what.like("%overdracht%")).count().get_result(c).unwrap()
        })
        .await;
    assert_eq!(n, 1);

    // The rest of the caseload, on the page.
    let cookie = format!("opstap_session={adm}; opstap_csrf={CSRF}");
    let req = TestRequest::post().uri("/beheer/overdracht").insert_header(("Cookie", cookie.clone())).set_form([
        ("csrf", CSRF),
        ("from_klantmanager_id", k1.as_str()),
        ("to_klantmanager_id", ""),
        ("client_number", ""),
    ]);
    let (s, _, _) = app.raw(req).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "no receiving klantmanager chosen");
    let req = TestRequest::post().uri("/beheer/overdracht").insert_header(("Cookie", cookie.clone())).set_form([
        ("csrf", CSRF),
        ("from_klantmanager_id", k1.as_str()),
        ("to_klantmanager_id", k2.as_str()),
        ("client_number", ""),
    ]);
    let (s, h, _) = app.raw(req).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let loc = h.iter().find(|(k, _)| k == "location").unwrap().1.clone();
    assert_eq!(loc, format!("/beheer/overdracht?overgedragen={}", before.len() - 1));
    let (_, mine) = app.get("/api/v1/candidates?limit=200", Some(&km1)).await;
    assert!(
        !mine["items"].as_array().unwrap().iter().any(|c| c["klantmanager_id"] == k1.as_str() && c["status"] == "actief"),
        "nothing active left with klantmanager 1"
    );
    // The new klantmanager's caseload page lists the handover tasks.
    let req = TestRequest::get().uri("/klantmanager").insert_header(("Cookie", format!("opstap_session={km2}; opstap_csrf={CSRF}")));
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    let html = String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string();
    assert_eq!(html.matches("Overgedragen aan u: maak kennis</td>").count(), before.len(), "one task per person handed over");
}

/// The beheerder's audit log names the person and finds them by name, client number and id; a
/// list of accounts is one entry, not one per person.
#[actix_web::test]
async fn the_audit_log_names_the_person_and_a_list_of_accounts_is_logged_once() {
    use diesel::prelude::*;
    use opstap::db::schema::audit_log;
    let app = common::app().await;
    let adm = app.login("beheerder@lochem.demo").await;
    let km = app.login("klantmanager1@lochem.demo").await;
    let mut body = common::candidate_body();
    body["last_name"] = json!("Logboekvinder");
    body["client_number"] = json!("KL-7777");
    body["email"] = json!("logboek@example.org");
    let (s, c) = app.post("/api/v1/candidates", Some(&km), body).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_str().unwrap().to_string();
    assert_eq!(app.get(&format!("/api/v1/candidates/{cid}"), Some(&km)).await.0, StatusCode::OK);
    for q in ["Logboekvinder", "testje logboek", "KL-7777", &cid[..8], cid.as_str()] {
        let q_enc = percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC).to_string();
        let (s, v) = app.get(&format!("/api/v1/audit-log?candidate_id={q_enc}"), Some(&adm)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let items = v["items"].as_array().unwrap();
        assert!(items.len() >= 2, "{q}: {v}");
        assert!(items.iter().all(|i| i["candidate_id"] == cid.as_str()), "{q} finds only this person: {v}");
        assert!(items.iter().all(|i| i["candidate_name"] == "Testje Logboekvinder" && i["client_number"] == "KL-7777"), "{v}");
    }
    // Another name finds nothing of hers.
    let (_, v) = app.get("/api/v1/audit-log?candidate_id=Nietbestaandenaam", Some(&adm)).await;
    assert_eq!(v["total"], 0, "{v}");

    // Listing the accounts twice: two list entries, none about a person.
    let count = |what: &'static str| {
        let pool = app.state.pool.clone();
        move || -> i64 {
            let mut c = pool.get().unwrap();
            audit_log::table.filter(audit_log::what.like(what)).count().get_result(&mut c).unwrap()
        }
    };
    let per_person = count("account (naam, e-mail)");
    let lists = count("lijst van accounts%");
    assert_eq!(app.get("/api/v1/users", Some(&adm)).await.0, StatusCode::OK);
    assert_eq!(app.get("/api/v1/users", Some(&adm)).await.0, StatusCode::OK);
    assert_eq!((per_person(), lists()), (0, 2));
    let (_, v) = app.get("/api/v1/audit-log?action=view&limit=5", Some(&adm)).await;
    let first = &v["items"][0];
    assert_eq!((first["candidate_id"].as_str(), first["candidate_name"].as_str()), (Some("lijst"), None), "{v}");
    assert!(first["what"].as_str().unwrap().contains("kandidaten"), "{v}");
}
