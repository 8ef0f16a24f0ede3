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
