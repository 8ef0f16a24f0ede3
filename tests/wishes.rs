//! The person's own wishes count: a sector wish changes the ranking and the unmet wishes, and the
//! klantmanager sees what the person changed.

use crate::common;
use actix_web::http::StatusCode;
use diesel::prelude::*;
use opstap::db::schema::*;
use serde_json::{json, Value};

fn wishes(sectors: &[&str]) -> Value {
    json!({"hours_min": 16, "hours_max": 32, "max_travel_km": 25, "own_transport": true, "driving_licence": false,
           "sector_preferences": sectors, "kind_preferences": [], "days_available": ["ma", "di", "wo"]})
}

#[actix_web::test]
async fn a_sector_wish_changes_the_ranking_and_the_unmet_wishes_and_the_klantmanager_sees_the_change() {
    let app = common::app().await;
    let cand = app.login("kandidaat1@lochem.demo").await;
    let (_, me) = app.get("/api/v1/me", Some(&cand)).await;
    let cid = me["candidate_id"].as_str().unwrap().to_string();
    let c2 = cid.clone();
    let (km_email, pc4) = app
        .db(move |conn| {
            diesel::update(candidates::table.find(&c2))
                .set((candidates::consent_matching.eq(true), candidates::status.eq("actief")))
                .execute(conn)
                .unwrap();
            candidates::table
                .inner_join(users::table.on(users::id.eq(candidates::klantmanager_id)))
                .filter(candidates::id.eq(&c2))
                .select((users::email, candidates::pc4))
                .first::<(String, String)>(conn)
                .unwrap()
        })
        .await;
    let km = app.login(&km_email).await;
    // On step 3, where a werkervaringsplaats fits.
    let today = opstap::clock::today().to_string();
    let (s, v) = app.post(&format!("/api/v1/candidates/{cid}/ladder-measurements"), Some(&km), json!({"measured_on": today, "step": 3})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // The same work at the same place, once in "Groen en hoveniers", once in "Zorg en welzijn".
    let mut ids = vec![];
    for (who, title) in [("werkgever1@demo.nl", "Wensentest groen"), ("werkgever2@demo.nl", "Wensentest zorg")] {
        let w = app.login(who).await;
        let mut b = common::placement_body(None);
        b["pc4"] = json!(pc4);
        b["title"] = json!(title);
        let (s, p) = app.post("/api/v1/placements", Some(&w), b).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        ids.push(p["id"].as_str().unwrap().to_string());
    }
    let (groen, zorg) = (ids[0].clone(), ids[1].clone());
    app.flush_index().await;

    // A wrong wish is refused, naming the field; nothing changes.
    let mut bad = wishes(&["zorg"]);
    bad["days_available"] = json!(["maandag"]);
    let (s, e) = app.put("/api/v1/me/wishes", Some(&cand), bad).await;
    common::assert_field_error(s, &e, "days_available");

    let ranking = |v: &Value| -> (f64, f64, Value, Value) {
        let find = |id: &str| {
            v["proposals"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["placement"]["id"] == id)
                .cloned()
                .unwrap_or_else(|| panic!("{id} not proposed: {v}"))
        };
        let (g, z) = (find(&groen), find(&zorg));
        (g["score"].as_f64().unwrap(), z["score"].as_f64().unwrap(), g, z)
    };
    let (s, v) = app.put("/api/v1/me/wishes", Some(&cand), wishes(&["zorg"])).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.flush_index().await;
    let (_, v) = app.get(&format!("/api/v1/candidates/{cid}/proposals?limit=200"), Some(&km)).await;
    let (g1, z1, gp, zp) = ranking(&v);
    assert!(z1 > g1, "with a wish for zorg, zorg ranks first: groen {g1}, zorg {z1}");
    let unmet = |p: &Value| p["unmet_wishes"].to_string();
    assert!(unmet(&gp).contains("zorg"), "the unmet wish is named: {gp}");
    assert!(!unmet(&zp).contains("Wens: werken in"), "{zp}");

    let (s, v) = app.put("/api/v1/me/wishes", Some(&cand), wishes(&["groen"])).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.flush_index().await;
    let (_, v) = app.get(&format!("/api/v1/candidates/{cid}/proposals?limit=200"), Some(&km)).await;
    let (g2, z2, gp, zp) = ranking(&v);
    assert!(g2 > z2, "with a wish for groen, groen ranks first: groen {g2}, zorg {z2}");
    assert!(unmet(&zp).contains("groen"), "{zp}");
    assert!(!unmet(&gp).contains("Wens: werken in"), "{gp}");
    // The candidate's own view explains it in plain words.
    let (_, mine) = app.get(&format!("/api/v1/candidates/{cid}/proposals?limit=200"), Some(&cand)).await;
    assert!(mine.to_string().contains("U wilt werken in: groen"), "{mine}");

    // The klantmanager sees what the person changed, and when.
    let cookie = format!("opstap_session={km}");
    let req = actix_web::test::TestRequest::get().uri(&format!("/klantmanager/kandidaten/{cid}")).insert_header(("Cookie", cookie));
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string();
    assert!(html.contains("sectoren zorg → groen"), "the change is shown");
    assert!(html.contains("maandag, dinsdag, woensdag"), "the days are shown");
    // The wishes page shows them back to the person.
    let (s, page) = app.html_as("/kandidaat/wensen", &cand).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("value=\"groen\" checked"), "the chosen sector is ticked");
}

#[actix_web::test]
async fn the_plan_is_agreed_the_person_ticks_own_goals_and_due_goals_become_tasks() {
    let app = common::app().await;
    let cand = app.login("kandidaat1@lochem.demo").await;
    let (_, me) = app.get("/api/v1/me", Some(&cand)).await;
    let cid = me["candidate_id"].as_str().unwrap().to_string();
    let c2 = cid.clone();
    let km_email: String = app
        .db(move |conn| {
            diesel::update(candidates::table.find(&c2)).set(candidates::status.eq("actief")).execute(conn).unwrap();
            candidates::table
                .inner_join(users::table.on(users::id.eq(candidates::klantmanager_id)))
                .filter(candidates::id.eq(&c2))
                .select(users::email)
                .first(conn)
                .unwrap()
        })
        .await;
    let km = app.login(&km_email).await;
    let today = opstap::clock::today();
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let (s, v) = app
        .post(&format!("/api/v1/candidates/{cid}/ladder-measurements"), Some(&km), json!({"measured_on": day(0), "step": 3, "target_step": 4}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // Bad input: both wrong fields named, nothing stored.
    let (s, e) =
        app.post(&format!("/api/v1/candidates/{cid}/plan/goals"), Some(&km), json!({"what": "Cv maken", "who": "buurman", "due_on": day(-3)})).await;
    common::assert_field_error(s, &e, "who");
    common::assert_field_error(s, &e, "due_on");
    let (s, own) = app
        .post(
            &format!("/api/v1/candidates/{cid}/plan/goals"),
            Some(&km),
            json!({"what": "Een cv maken met het Werkplein", "who": "kandidaat", "due_on": day(20)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{own}");
    let (s, kms) = app
        .post(
            &format!("/api/v1/candidates/{cid}/plan/goals"),
            Some(&km),
            json!({"what": "Werkgever in de zorg bellen", "who": "klantmanager", "due_on": day(3)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{kms}");
    // Only the klantmanager writes the plan; others do not see it.
    let (s, _) = app.post(&format!("/api/v1/candidates/{cid}/plan/goals"), Some(&cand), json!({"what": "Zelf iets", "who": "kandidaat"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let other = app.login("kandidaat2@lochem.demo").await;
    let (s, _) = app.get(&format!("/api/v1/candidates/{cid}/plan"), Some(&other)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let emp = app.login("werkgever1@demo.nl").await;
    let (s, _) = app.get(&format!("/api/v1/candidates/{cid}/plan"), Some(&emp)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, plan) = app.get("/api/v1/me/plan", Some(&cand)).await;
    assert_eq!(s, StatusCode::OK, "{plan}");
    assert_eq!(plan["target_step"], 4);
    assert_eq!(plan["goals"].as_array().unwrap().len(), 2);
    let own_id = own["id"].as_str().unwrap();
    let km_id = kms["id"].as_str().unwrap();
    let (s, g) =
        app.patch(&format!("/api/v1/me/plan/goals/{own_id}"), Some(&cand), json!({"done": true, "comment": "Klaar, staat op mijn telefoon."})).await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(g["status"], "gedaan");
    let (s, e) = app.patch(&format!("/api/v1/me/plan/goals/{km_id}"), Some(&cand), json!({"done": true})).await;
    common::assert_field_error(s, &e, "done");
    let (s, g) = app.patch(&format!("/api/v1/me/plan/goals/{km_id}"), Some(&cand), json!({"comment": "Graag ochtendwerk."})).await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(g["status"], "open");

    // The klantmanager's goal due within a week becomes one task.
    let r = opstap::jobs::run_periodic(&app.state, today).await.unwrap();
    assert_eq!(r.plan_tasks, 1, "{r:?}");
    let c3 = cid.clone();
    let n: i64 =
        app.db(move |c| tasks::table.filter(tasks::candidate_id.eq(&c3)).filter(tasks::kind.eq("plan_goal")).count().get_result(c).unwrap()).await;
    assert_eq!(n, 1);
    let r = opstap::jobs::run_periodic(&app.state, today + chrono::Duration::days(1)).await.unwrap();
    assert_eq!(r.plan_tasks, 0, "once per goal");

    // Both see it on the pages; the person's comment reaches the klantmanager.
    let (s, html) = app.html_as("/kandidaat/plan", &cand).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Een cv maken met het Werkplein") && html.contains("Uw doel: stap 4"), "{html}");
    let (s, html) = app.html_as(&format!("/klantmanager/kandidaten/{cid}/plan"), &km).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Graag ochtendwerk."), "the comment is shown to the klantmanager");
}

#[actix_web::test]
async fn error_pages_keep_the_session_and_the_municipality_and_the_own_data_page_speaks_plainly() {
    let app = common::app().await;
    let km = app.login("klantmanager1@lochem.demo").await;
    // Not found and no access: in the municipality's layout, still logged in.
    for (path, status) in [
        ("/klantmanager/kandidaten/bestaat-niet", StatusCode::NOT_FOUND),
        ("/beheer", StatusCode::FORBIDDEN),
        ("/een/onbekend/adres", StatusCode::NOT_FOUND),
    ] {
        let req = actix_web::test::TestRequest::get()
            .uri(path)
            .insert_header(("Cookie", format!("opstap_session={km}")))
            .insert_header(("Accept", "text/html"));
        let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
        assert_eq!(resp.status(), status, "{path}");
        let html = String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string();
        assert!(html.contains("Uitloggen"), "{path}: the session is kept on the error page");
        assert!(html.contains("Gemeente Lochem") || html.contains("gemeente Lochem") || html.contains(">Lochem<"), "{path}: the municipality's face");
        assert!(!html.contains("href=\"/inloggen\""), "{path}: no login link for a logged-in user");
    }
    // Without a session: the site's layout and a login link.
    let (s, html) = app.html("/klantmanager/kandidaten/bestaat-niet").await;
    assert!(s == StatusCode::SEE_OTHER || html.contains("Inloggen"), "{s}");

    // A form sent after the session ended: back to its page after login, which says the action
    // did not happen (it is not lost in silence).
    let req = actix_web::test::TestRequest::post()
        .uri("/plekken/abc/interesse")
        .insert_header(("Referer", "http://127.0.0.1:8080/plekken/abc"))
        .insert_header(("Cookie", "opstap_session=verlopen-token; opstap_csrf=abababababababababababababababababababab"))
        .set_form([("csrf", "abababababababababababababababababababab")]);
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let loc = resp.headers().get("location").unwrap().to_str().unwrap().to_string();
    assert_eq!(loc, "/inloggen?terug=/plekken/abc%3Fverlopen%3D1", "{loc}");
    let (_, login) = app.html(&loc).await;
    assert!(login.contains("U was uitgelogd"), "the login page says why");
    let (_, search) = app.html("/plekken?verlopen=1").await;
    assert!(search.contains("nog niet gebeurd"), "the page after login says the action did not happen");

    // The own data page: occupations, step, education and the language level in plain words;
    // the access log in plain words.
    let cand = app.login("kandidaat1@lochem.demo").await;
    let (_, me) = app.get("/api/v1/me", Some(&cand)).await;
    let cid = me["candidate_id"].as_str().unwrap().to_string();
    let c2 = cid.clone();
    app.db(move |c| diesel::update(candidates::table.find(&c2)).set(candidates::language_level.eq(Some("3F"))).execute(c).unwrap()).await;
    let _ = app.html_as("/klantmanager", &km).await;
    let (s, html) = app.html_as("/kandidaat/gegevens", &cand).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("U spreekt goed Nederlands (niveau 3F)"), "language in plain words");
    assert!(html.contains("Uw stap") && html.contains("Stap "), "the step is shown");
    assert!(html.contains("Werk dat u kent") && html.contains("Opleiding"));
    assert!(!html.contains("(caseload)"), "staff words are not shown to the person");
}

#[actix_web::test]
async fn a_suggested_skill_joins_the_profile_once_the_klantmanager_confirms_it() {
    let app = common::app().await;
    let cand = app.login("kandidaat1@lochem.demo").await;
    let (_, me) = app.get("/api/v1/me", Some(&cand)).await;
    let cid = me["candidate_id"].as_str().unwrap().to_string();
    let c2 = cid.clone();
    let km_email: String = app
        .db(move |conn| {
            candidates::table
                .inner_join(users::table.on(users::id.eq(candidates::klantmanager_id)))
                .filter(candidates::id.eq(&c2))
                .select(users::email)
                .first(conn)
                .unwrap()
        })
        .await;
    let km = app.login(&km_email).await;
    let (s, e) = app.post("/api/v1/me/skill-suggestions", Some(&cand), json!({"skill": "xqzwvy"})).await;
    common::assert_field_error(s, &e, "skill");
    let (s, sg) = app.post("/api/v1/me/skill-suggestions", Some(&cand), json!({"skill": "heftruck besturen"})).await;
    assert_eq!(s, StatusCode::CREATED, "{sg}");
    assert_eq!(sg["status"], "voorgesteld");
    let skill_id = sg["skill_id"].as_str().unwrap().to_string();
    let (s, e) = app.post("/api/v1/me/skill-suggestions", Some(&cand), json!({"skill": skill_id})).await;
    common::assert_field_error(s, &e, "skill");
    // Not yet in the profile; only the person's own klantmanager decides.
    let has = |app_skill: String| {
        let c = cid.clone();
        move |conn: &mut opstap::db::DbConnection| -> i64 {
            candidate_skills::table
                .filter(candidate_skills::candidate_id.eq(&c))
                .filter(candidate_skills::skill_id.eq(&app_skill))
                .count()
                .get_result(conn)
                .unwrap()
        }
    };
    assert_eq!(app.db(has(skill_id.clone())).await, 0);
    let sid = sg["id"].as_str().unwrap();
    let other = if km_email == "klantmanager1@lochem.demo" { "klantmanager2@lochem.demo" } else { "klantmanager1@lochem.demo" };
    let other = app.login(other).await;
    let (s, _) = app.post(&format!("/api/v1/candidates/{cid}/skill-suggestions/{sid}"), Some(&other), json!({"decision": "bevestigd"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = app.post(&format!("/api/v1/candidates/{cid}/skill-suggestions/{sid}"), Some(&km), json!({"decision": "misschien"})).await;
    common::assert_field_error(s, &e, "decision");
    let (s, v) = app.post(&format!("/api/v1/candidates/{cid}/skill-suggestions/{sid}"), Some(&km), json!({"decision": "bevestigd"})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert_eq!(app.db(has(skill_id.clone())).await, 1, "the skill is in the profile");
    let (s, _) = app.post(&format!("/api/v1/candidates/{cid}/skill-suggestions/{sid}"), Some(&km), json!({"decision": "afgewezen"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, mine) = app.get("/api/v1/me/skill-suggestions", Some(&cand)).await;
    assert_eq!(mine[0]["status"], "bevestigd", "{mine}");
    let (s, html) = app.html_as("/kandidaat/wensen", &cand).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("staat nu in uw profiel"));
}
