//! The matcher: scenario orderings the rules demand, the instrument package, fairness, the
//! proposal log, settings taking effect without a restart, and the employer's anonymous view.

use crate::common;
use actix_web::http::StatusCode;
use diesel::prelude::*;
use opstap::db::schema::proposal_logs;
use serde_json::{json, Value};

/// An organisation in Lochem owned by werkgever1 (Groenwerk, verified).
async fn setup<S, B>(app: &common::TestApp<S>) -> (String, String, String)
where
    S: actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let km = app.login("klantmanager1@lochem.demo").await;
    let w = app.login("werkgever1@demo.nl").await;
    let occ = app.get("/api/v1/esco/occupations?q=hovenier&limit=1", None).await.1["items"][0]["id"].as_str().unwrap().to_string();
    (km, w, occ)
}

fn placement(kind: &str, title: &str, occ: &str, pc4: &str) -> Value {
    let mut b = json!({
        "kind": kind, "title": title, "description": "Groenonderhoud in de wijk.",
        "occupation_id": occ, "hours_min": 16, "hours_max": 32, "pc4": pc4,
        "job_coach_welcome": true, "lks_accepted": true, "start_date": "2026-12-01"
    });
    match kind {
        "reguliere_baan" | "detachering" | "leerwerkplek_bbl" | "beschut_werk" => b["hourly_wage_cents"] = json!(1500),
        "proefplaatsing" | "werkervaringsplaats" => b["duration_months"] = json!(2),
        _ => {}
    }
    b
}

fn candidate(occ: &str, step: i32, pc4: &str) -> Value {
    json!({
        "first_name": "Sam", "last_name": "Scenario", "birth_date": "1985-03-01", "pc4": pc4,
        "language_level": "2F", "hours_min": 16, "hours_max": 32, "max_travel_km": 25, "own_transport": true,
        "consent_matching": true, "consent_anonymous_profile": true,
        "occupations": [{"occupation_id": occ, "experience": "ervaren"}], "ladder_step": step
    })
}

async fn proposals_for<S, B>(app: &common::TestApp<S>, tok: &str, cid: &str, extra: &str) -> Value
where
    S: actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let limit = if extra.contains("limit=") { "" } else { "limit=100" };
    let (s, v) = app.get(&format!("/api/v1/candidates/{cid}/proposals?{limit}{extra}"), Some(tok)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

fn position(v: &Value, pid: &str) -> Option<usize> {
    v["proposals"].as_array().unwrap().iter().position(|p| p["placement"]["id"] == pid)
}

fn find<'a>(v: &'a Value, pid: &str) -> &'a Value {
    v["proposals"].as_array().unwrap().iter().find(|p| p["placement"]["id"] == pid).unwrap_or_else(|| panic!("{pid} not proposed: {v}"))
}

#[actix_web::test]
async fn ladder_scenarios_rank_the_next_step_up_first() {
    let app = common::app().await;
    let (km, w, occ) = setup(&app).await;
    let mut ids = std::collections::HashMap::new();
    for kind in ["werkervaringsplaats", "vrijwilligerswerk", "reguliere_baan", "detachering"] {
        let (s, p) = app.post("/api/v1/placements", Some(&w), placement(kind, &format!("Scenario {kind}"), &occ, "7241")).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        ids.insert(kind, p["id"].as_str().unwrap().to_string());
    }
    app.flush_index().await;

    // Trede 3: a werkervaringsplaats (towards 5) above an identical volunteering place (towards 4).
    let (_, c3) = app.post("/api/v1/candidates", Some(&km), candidate(&occ, 3, "7241")).await;
    app.flush_index().await;
    let v = proposals_for(&app, &km, c3["id"].as_str().unwrap(), "").await;
    let wep = position(&v, &ids["werkervaringsplaats"]).expect("werkervaringsplaats proposed");
    let vol = position(&v, &ids["vrijwilligerswerk"]).expect("volunteering proposed");
    assert!(wep < vol, "werkervaringsplaats must rank above volunteering for trede 3: {v}");
    let fw = find(&v, &ids["werkervaringsplaats"]);
    let fv = find(&v, &ids["vrijwilligerswerk"]);
    assert!(fw["score"].as_f64().unwrap() > fv["score"].as_f64().unwrap());
    let ladder = |p: &Value| p["factors"].as_array().unwrap().iter().find(|f| f["factor"] == "ladder").unwrap()["contribution"].as_f64().unwrap();
    assert!(ladder(fw) > ladder(fv));
    // A regular job does not suit trede 3 (by default it suits 4-6): not proposed, and with
    // include_excluded it is shown with the reason.
    assert!(position(&v, &ids["reguliere_baan"]).is_none());
    let v = proposals_for(&app, &km, c3["id"].as_str().unwrap(), "&include_excluded=true").await;
    let rb = find(&v, &ids["reguliere_baan"]);
    assert_eq!(rb["excluded"][0]["rule"], "ladder_step", "{rb}");
    assert_eq!(rb["score"], 0.0);

    // Trede 5: a step up (regular job, towards 6) ranks above staying on 5 (secondment).
    let (_, c5) = app.post("/api/v1/candidates", Some(&km), candidate(&occ, 5, "7241")).await;
    app.flush_index().await;
    let v = proposals_for(&app, &km, c5["id"].as_str().unwrap(), "").await;
    assert!(position(&v, &ids["reguliere_baan"]).unwrap() < position(&v, &ids["detachering"]).unwrap(), "{v}");
    // Every result explains itself factor by factor, and the contributions add up to the score.
    for p in v["proposals"].as_array().unwrap() {
        let sum: f64 = p["factors"].as_array().unwrap().iter().map(|f| f["contribution"].as_f64().unwrap()).sum();
        assert!((sum - p["score"].as_f64().unwrap()).abs() < 0.25, "{p}");
        assert!(p["factors"].as_array().unwrap().iter().all(|f| !f["explanation"].as_str().unwrap().is_empty()));
        assert!(p["score"].as_f64().unwrap() <= 100.0);
    }
}

#[actix_web::test]
async fn hard_rules_distance_beschut_language_hours() {
    let app = common::app().await;
    let (km, w, occ) = setup(&app).await;
    // From 7241 Lochem: 7411 Deventer is 20 km, 6813 Arnhem 40 km.
    let far = app.post("/api/v1/placements", Some(&w), placement("werkervaringsplaats", "Ver weg", &occ, "6813")).await.1["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mid = app.post("/api/v1/placements", Some(&w), placement("werkervaringsplaats", "Middelver", &occ, "7411")).await.1["id"]
        .as_str()
        .unwrap()
        .to_string();
    let near = app.post("/api/v1/placements", Some(&w), placement("werkervaringsplaats", "Dichtbij", &occ, "7241")).await.1["id"]
        .as_str()
        .unwrap()
        .to_string();
    let beschut =
        app.post("/api/v1/placements", Some(&w), placement("beschut_werk", "Beschut", &occ, "7241")).await.1["id"].as_str().unwrap().to_string();
    let mut lang = placement("werkervaringsplaats", "Taaleis", &occ, "7241");
    lang["language_level_required"] = json!("3F");
    let lang = app.post("/api/v1/placements", Some(&w), lang).await.1["id"].as_str().unwrap().to_string();
    let mut hours = placement("werkervaringsplaats", "Voltijd", &occ, "7241");
    hours["hours_min"] = json!(38);
    hours["hours_max"] = json!(40);
    let hours = app.post("/api/v1/placements", Some(&w), hours).await.1["id"].as_str().unwrap().to_string();
    let rd = app.state.refdata();
    assert!(rd.distance_km("7241", "6813").unwrap() > 39.0);
    assert!(rd.distance_km("7241", "7411").unwrap() > 15.0 && rd.distance_km("7241", "7411").unwrap() < 25.0);

    // Without own transport, even with a max travel distance of 50 km, nothing 40 km away
    // (and nothing beyond the 15 km limit without own transport).
    let mut c = candidate(&occ, 4, "7241");
    c["own_transport"] = json!(false);
    c["max_travel_km"] = json!(50);
    let (_, cv) = app.post("/api/v1/candidates", Some(&km), c).await;
    let cid = cv["id"].as_str().unwrap().to_string();
    app.flush_index().await;
    let v = proposals_for(&app, &km, &cid, "").await;
    assert!(position(&v, &far).is_none() && position(&v, &mid).is_none(), "too far for someone without own transport: {v}");
    assert!(position(&v, &near).is_some());
    for p in v["proposals"].as_array().unwrap() {
        assert!(p["distance_km"].as_f64().unwrap() <= 15.0, "{p}");
    }
    let v = proposals_for(&app, &km, &cid, "&include_excluded=true").await;
    let rule = |pid: &str| find(&v, pid)["excluded"].as_array().unwrap().iter().map(|e| e["rule"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(rule(&far), vec!["distance"]);
    assert_eq!(rule(&mid), vec!["distance"]);
    assert_eq!(rule(&beschut), vec!["beschut_werk"]);
    assert_eq!(rule(&lang), vec!["language"]);
    assert_eq!(rule(&hours), vec!["hours"]);
    assert!(rule(&near).is_empty());
    // Excluded results come after included ones.
    let arr = v["proposals"].as_array().unwrap();
    let first_excluded = arr.iter().position(|p| !p["excluded"].as_array().unwrap().is_empty()).unwrap();
    assert!(arr[first_excluded..].iter().all(|p| !p["excluded"].as_array().unwrap().is_empty()));

    // With own transport the 20 km placement is fine (max 25), the 40 km one is not.
    let mut c = candidate(&occ, 4, "7241");
    c["beschut_werk_indicatie"] = json!(true);
    let (_, cv2) = app.post("/api/v1/candidates", Some(&km), c).await;
    app.flush_index().await;
    let v = proposals_for(&app, &km, cv2["id"].as_str().unwrap(), "").await;
    assert!(position(&v, &mid).is_some() && position(&v, &far).is_none());
    assert!(position(&v, &beschut).is_some(), "with an indication, beschut werk is proposed");
}

#[actix_web::test]
async fn instrument_package_follows_the_formulas() {
    let app = common::app().await;
    let (km, w, occ) = setup(&app).await;
    let mut job = placement("reguliere_baan", "Hovenier met LKS", &occ, "7241");
    job["hours_min"] = json!(24);
    job["hours_max"] = json!(24);
    job["hourly_wage_cents"] = json!(1471);
    job["counts_banenafspraak"] = json!(true);
    let (_, pj) = app.post("/api/v1/placements", Some(&w), job).await;
    let pid = pj["id"].as_str().unwrap().to_string();
    let mut c = candidate(&occ, 4, "7241");
    c["loonwaarde"] = json!(50);
    c["loonwaarde_date"] = json!("2026-10-01");
    c["lks_target_group"] = json!(true);
    c["doelgroepregister"] = json!(true);
    c["needs_job_coach"] = json!(true);
    c["hours_min"] = json!(20);
    c["hours_max"] = json!(24);
    let (_, cv) = app.post("/api/v1/candidates", Some(&km), c).await;
    app.flush_index().await;
    let v = proposals_for(&app, &km, cv["id"].as_str().unwrap(), "").await;
    let p = find(&v, &pid);
    let i = &p["instruments"];
    // LW 50%, 24 h, WML 2026: EUR 1,020.09 (DOMAIN.md worked example).
    assert_eq!(i["loonkostensubsidie"]["amount_cents"], 102009, "{i}");
    assert_eq!(i["loonkostensubsidie"]["forfaitair"], false);
    assert_eq!(i["hours_per_week"], 24.0);
    // Job coach: 15% / 7.5% / 6% of 24 x 52 hours.
    assert_eq!(i["job_coach"]["year1_hours"], 187.2);
    assert_eq!(i["job_coach"]["year2_hours"], 93.6);
    assert_eq!(i["job_coach"]["workplace_welcomes_job_coach"], true);
    // LKV: 1.01 x 24 x 52 = 1,260.48 per year; banenafspraak 24/25.5 = 0.94 jobs.
    assert_eq!(i["lkv_per_year_cents"], 126048);
    assert_eq!(i["banenafspraak_jobs"], 0.94);
    assert_eq!(i["no_risk_polis"], true);
    assert_eq!(i["trial_placement_possible"], true);
    assert_eq!(i["trial_placement_max_months"], 6);
    // Net cost = gross wage costs - LKS - LKV/12.
    let gross = (1471.0_f64 * 24.0 * 52.0 / 12.0 * 1.08 * 1.235).round() as i64;
    assert_eq!(i["gross_monthly_wage_costs_cents"], gross);
    assert_eq!(i["employer_net_monthly_cost_cents"], gross - 102009 - 126048 / 12);

    // No loonwaarde measured: forfaitair, marked as such.
    let mut c = candidate(&occ, 4, "7241");
    c["lks_target_group"] = json!(true);
    let (_, cv) = app.post("/api/v1/candidates", Some(&km), c).await;
    app.flush_index().await;
    let v = proposals_for(&app, &km, cv["id"].as_str().unwrap(), "").await;
    let l = &find(&v, &pid)["instruments"]["loonkostensubsidie"];
    assert_eq!(l["forfaitair"], true);
    assert_eq!(l["amount_cents"], 102009, "forfaitair 50% at 24 h equals LW 50%");
    assert!(l["formula"].as_str().unwrap().contains("forfaitair"));
}

#[actix_web::test]
async fn protected_attributes_never_change_a_score() {
    let app = common::app().await;
    let (km, w, occ) = setup(&app).await;
    let (_, p) = app.post("/api/v1/placements", Some(&w), placement("werkervaringsplaats", "Eerlijk", &occ, "7241")).await;
    let pid = p["id"].as_str().unwrap().to_string();
    let mut a = candidate(&occ, 3, "7242");
    a["first_name"] = json!("Mohammed");
    a["last_name"] = json!("El Idrissi");
    a["email"] = json!("m@example.org");
    a["phone"] = json!("06-11111111");
    a["support_needs"] = json!("Diagnose: autisme; vaste structuur nodig");
    a["work_capacity_limits"] = json!("Kan niet tillen (rugklachten)");
    let mut b = a.clone();
    b["first_name"] = json!("Jan");
    b["last_name"] = json!("de Vries");
    b["email"] = json!("j@example.org");
    b["phone"] = json!("06-22222222");
    b["support_needs"] = json!("");
    b["work_capacity_limits"] = json!("");
    let (_, ca) = app.post("/api/v1/candidates", Some(&km), a).await;
    let (_, cb) = app.post("/api/v1/candidates", Some(&km), b).await;
    app.flush_index().await;
    let va = proposals_for(&app, &km, ca["id"].as_str().unwrap(), "").await;
    let vb = proposals_for(&app, &km, cb["id"].as_str().unwrap(), "").await;
    let scores = |v: &Value| {
        v["proposals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["placement"]["id"].as_str().unwrap().to_string(), p["score"].as_f64().unwrap()))
            .collect::<Vec<_>>()
    };
    assert!(!scores(&va).is_empty());
    assert_eq!(scores(&va), scores(&vb), "name, contact data and health notes changed a score");
    // And from the placement's side both get the same score.
    let (_, pv) = app.get(&format!("/api/v1/placements/{pid}/proposals?limit=100"), Some(&km)).await;
    let score_of = |id: &str| pv["proposals"].as_array().unwrap().iter().find(|p| p["candidate"]["id"] == id).unwrap()["score"].as_f64().unwrap();
    assert_eq!(score_of(ca["id"].as_str().unwrap()), score_of(cb["id"].as_str().unwrap()));
}

#[actix_web::test]
async fn calls_are_logged_and_settings_take_effect_without_restart() {
    let app = common::app().await;
    let (km, _, occ) = setup(&app).await;
    let (_, c) = app.post("/api/v1/candidates", Some(&km), candidate(&occ, 4, "7241")).await;
    let cid = c["id"].as_str().unwrap().to_string();
    app.flush_index().await;
    let before = proposals_for(&app, &km, &cid, "&limit=5").await;
    assert_eq!(before["settings_version"], 1);
    // The matcher proposes; it changes nothing.
    let (_, again) = app.get(&format!("/api/v1/candidates/{cid}"), Some(&km)).await;
    assert_eq!(again["version"], c["version"]);
    assert_eq!(again["updated_at"], c["updated_at"]);
    let top: Vec<Value> = before["proposals"].as_array().unwrap().iter().map(|p| p["placement"]["id"].clone()).collect();
    let (n, last) = {
        let cid = cid.clone();
        app.db(move |conn| {
            let n: i64 = proposal_logs::table.filter(proposal_logs::subject_id.eq(&cid)).count().get_result(conn).unwrap();
            let last: (String, String, i32, String) = proposal_logs::table
                .filter(proposal_logs::subject_id.eq(&cid))
                .select((proposal_logs::requested_by, proposal_logs::role, proposal_logs::settings_version, proposal_logs::results))
                .first(conn)
                .unwrap();
            (n, last)
        })
        .await
    };
    assert_eq!(n, 1);
    let (_, me) = app.get("/api/v1/me", Some(&km)).await;
    assert_eq!(last.0, me["id"].as_str().unwrap());
    assert_eq!(last.1, "klantmanager");
    assert_eq!(last.2, 1);
    let logged: Vec<Value> = serde_json::from_str::<Vec<Value>>(&last.3).unwrap().into_iter().map(|r| r["id"].clone()).collect();
    assert_eq!(logged, top);

    // A beheerder sets the distance weight to 0: the next call uses it.
    let beh = app.login("beheerder@lochem.demo").await;
    let mid = me["municipality_id"].as_str().unwrap();
    let (s, cur) = app.get(&format!("/api/v1/municipalities/{mid}/settings"), Some(&beh)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cur["settings"]["weights"]["skills"], 35.0);
    assert_eq!(cur["settings"]["wml"].as_array().unwrap().len(), 3);
    let mut settings = cur["settings"].clone();
    settings["weights"]["distance"] = json!(0.0);
    let (s, v) = app.put(&format!("/api/v1/municipalities/{mid}/settings"), Some(&beh), json!({"settings": settings, "version": 1})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2);
    let after = proposals_for(&app, &km, &cid, "&limit=5").await;
    assert_eq!(after["settings_version"], 2);
    for p in after["proposals"].as_array().unwrap() {
        let d = p["factors"].as_array().unwrap().iter().find(|f| f["factor"] == "distance").unwrap();
        assert_eq!(d["max"], 0.0);
        assert_eq!(d["contribution"], 0.0);
        // Still a score out of 100: the contributions (of 93 weight points: distance had 7)
        // scaled to 100.
        let sum: f64 = p["factors"].as_array().unwrap().iter().map(|f| f["contribution"].as_f64().unwrap()).sum();
        let score = p["score"].as_f64().unwrap();
        assert!((score - sum * 100.0 / 93.0).abs() < 0.2, "score {score}, contributions {sum}");
        assert!(score <= 100.0);
    }
    // Stale version: 409; invalid settings: 422 naming the field; klantmanager may not change them.
    let (s, v) = app.put(&format!("/api/v1/municipalities/{mid}/settings"), Some(&beh), json!({"settings": settings, "version": 1})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["code"], "stale_version", "{v}");
    let mut bad = settings.clone();
    bad["weights"]["skills"] = json!(-5);
    let (s, v) = app.put(&format!("/api/v1/municipalities/{mid}/settings"), Some(&beh), json!({"settings": bad})).await;
    common::assert_field_error(s, &v, "settings.weights.skills");
    assert_eq!(app.put(&format!("/api/v1/municipalities/{mid}/settings"), Some(&km), json!({"settings": settings})).await.0, StatusCode::FORBIDDEN);
    // A beheerder of another municipality: 404.
    let beh_z = app.login("beheerder@zutphen.demo").await;
    assert_eq!(app.get(&format!("/api/v1/municipalities/{mid}/settings"), Some(&beh_z)).await.0, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn lks_calculator_endpoint() {
    let app = common::app().await;
    for (q, cents) in [
        ("loonwaarde=60&hours=36&date=2026-03-01", 122411),
        ("loonwaarde=20&hours=36&date=2026-03-01", 214219),
        ("loonwaarde=50&hours=24&date=2026-03-01", 102009),
        ("hours=32&date=2026-03-01", 136012),
        ("loonwaarde=75&hours=40&fulltime_hours=38&date=2026-03-01", 80757),
        ("loonwaarde=60&hours=36&date=2025-08-01", 119818),
        ("loonwaarde=100&hours=36&date=2026-03-01", 0),
    ] {
        let (s, v) = app.get(&format!("/api/v1/instruments/loonkostensubsidie?{q}"), None).await;
        assert_eq!(s, StatusCode::OK, "{q}: {v}");
        assert_eq!(v["amount_cents"], cents, "{q}: {v}");
    }
    let (_, v) = app.get("/api/v1/instruments/loonkostensubsidie?hours=32&date=2026-03-01", None).await;
    assert_eq!(v["forfaitair"], true);
    for (q, field) in [
        ("loonwaarde=120&hours=36", "loonwaarde"),
        ("loonwaarde=-1&hours=36", "loonwaarde"),
        ("loonwaarde=abc&hours=36", "loonwaarde"),
        ("loonwaarde=50&hours=0", "hours"),
        ("loonwaarde=50&hours=61", "hours"),
        ("loonwaarde=50", "hours"),
        ("loonwaarde=50&hours=36&date=2024-12-31", "date"),
        ("loonwaarde=50&hours=36&date=31-12-2025", "date"),
        ("loonwaarde=50&hours=36&fulltime_hours=0", "fulltime_hours"),
    ] {
        let (s, v) = app.get(&format!("/api/v1/instruments/loonkostensubsidie?{q}"), None).await;
        common::assert_field_error(s, &v, field);
    }
}

#[actix_web::test]
async fn employer_sees_anonymous_profiles_only() {
    let app = common::app().await;
    let (km, w, occ) = setup(&app).await;
    let (_, p) = app.post("/api/v1/placements", Some(&w), placement("werkervaringsplaats", "Anoniem", &occ, "7241")).await;
    let pid = p["id"].as_str().unwrap().to_string();
    let mut c = candidate(&occ, 3, "7241");
    c["first_name"] = json!("Zichtbaarnietdoen");
    c["email"] = json!("geheim@example.org");
    c["phone"] = json!("06-98765432");
    c["zrm_scores"] = json!({"huisvesting": 1, "financien": 4});
    let (_, cv) = app.post("/api/v1/candidates", Some(&km), c).await;
    let cid = cv["id"].as_str().unwrap().to_string();
    app.flush_index().await;

    let (s, v) = app.get(&format!("/api/v1/placements/{pid}/proposals?limit=100"), Some(&w)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let text = v.to_string();
    assert!(!v["proposals"].as_array().unwrap().is_empty());
    for banned in [
        "Zichtbaarnietdoen",
        "Scenario",
        "geheim@example.org",
        "06-98765432",
        "1985-03-01",
        cid.as_str(),
        "first_name",
        "birth_date",
        "klantmanager_id",
        "urgent_obstacles",
        "Huisvesting",
    ] {
        assert!(!text.contains(banned), "employer response contains {banned}");
    }
    let prof = &v["proposals"][0]["profile"];
    assert!(prof["reference"].as_str().unwrap().starts_with("K-"));
    assert!(prof["occupations"].is_array());
    // Only candidates who allow an anonymous profile; none of another employer's placement.
    let (_, all) = app.get(&format!("/api/v1/placements/{pid}/proposals?limit=100"), Some(&km)).await;
    let mine = all["proposals"].as_array().unwrap().iter().find(|p| p["candidate"]["id"] == cid.as_str()).expect("the candidate is proposed");
    // The klantmanager sees the urgent ZRM obstacle beside the proposal (score 1), not a score of 4.
    assert_eq!(mine["candidate"]["urgent_obstacles"], json!(["Huisvesting"]), "{mine}");
    let (_, forc) = app.get(&format!("/api/v1/candidates/{cid}/proposals"), Some(&km)).await;
    assert_eq!(forc["urgent_obstacles"], json!(["Huisvesting"]), "{forc}");
    let w3 = app.login("werkgever3@demo.nl").await;
    assert_eq!(app.get(&format!("/api/v1/placements/{pid}/proposals"), Some(&w3)).await.0, StatusCode::NOT_FOUND);
    let k = app.login("kandidaat1@lochem.demo").await;
    assert_eq!(app.get(&format!("/api/v1/placements/{pid}/proposals"), Some(&k)).await.0, StatusCode::FORBIDDEN);
    let beh = app.login("beheerder@lochem.demo").await;
    assert_eq!(app.get(&format!("/api/v1/placements/{pid}/proposals"), Some(&beh)).await.0, StatusCode::FORBIDDEN);
    // An unverified employer sees no candidates at all.
    let w6 = app.login("werkgever6@demo.nl").await;
    let (s, own) = app.post("/api/v1/placements", Some(&w6), placement("werkervaringsplaats", "Nog niet", &occ, "7241")).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = app.get(&format!("/api/v1/placements/{}/proposals", own["id"].as_str().unwrap()), Some(&w6)).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v.get("proposals").is_none());

    // The candidate sees its own proposals in plain words; not someone else's.
    let kt = app.login("kandidaat1@lochem.demo").await;
    let (_, me) = app.get("/api/v1/me", Some(&kt)).await;
    let own_id = me["candidate_id"].as_str().unwrap();
    let (s, v) = app.get(&format!("/api/v1/candidates/{own_id}/proposals"), Some(&kt)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v.get("proposals").is_none() && v["plain"].is_array());
    if let Some(first) = v["plain"].as_array().unwrap().first() {
        assert!(first["fit"].as_str().unwrap().starts_with("Past"));
        assert!(first.get("instruments").is_none());
    }
    assert_eq!(app.get(&format!("/api/v1/candidates/{cid}/proposals"), Some(&kt)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/api/v1/candidates/{cid}/proposals"), Some(&w)).await.0, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn hidden_matches_find_work_under_another_occupation_name() {
    let app = common::app().await;
    let (km, w, _) = setup(&app).await;
    let rd = app.state.refdata();
    // Pick an occupation and its best hidden match from ESCO itself.
    let a = rd.suggest_occupations("magazijnmedewerker", 1)[0].id.clone();
    let (b, overlap) = rd.hidden_matches(std::slice::from_ref(&a), 1, 0.3)[0].clone();
    assert!(overlap >= 0.3);
    let mut p = placement("werkervaringsplaats", "Verborgen match", &b, "7241");
    p["description"] = json!("Werk.");
    let (_, pv) = app.post("/api/v1/placements", Some(&w), p).await;
    let pid = pv["id"].as_str().unwrap().to_string();
    let (_, c) = app.post("/api/v1/candidates", Some(&km), candidate(&a, 4, "7241")).await;
    app.flush_index().await;
    let v = proposals_for(&app, &km, c["id"].as_str().unwrap(), "").await;
    let hit = find(&v, &pid);
    let skills = hit["factors"].as_array().unwrap().iter().find(|f| f["factor"] == "skills").unwrap();
    assert!(skills["explanation"].as_str().unwrap().contains("Verborgen match"), "{skills}");
    assert!(skills["contribution"].as_f64().unwrap() > 0.0);
}

/// Retrieval takes its hidden matches from the related occupations the features carry: the same
/// list as asking the reference data for them directly, for single occupations and for
/// combinations (where the best relatedness over the candidate's occupations counts).
#[actix_web::test]
async fn hidden_matches_of_the_features_are_those_of_the_reference_data() {
    let app = common::app().await;
    let rd = app.state.refdata();
    let ids: Vec<String> = rd.occupations.iter().step_by(97).map(|o| o.id.clone()).collect();
    assert!(ids.len() > 20, "reference data loaded: {} occupations", rd.occupations.len());
    let mut asked: Vec<Vec<String>> = ids.iter().map(|o| vec![o.clone()]).collect();
    asked.extend(ids.windows(3).step_by(5).map(|w| w.to_vec()));
    let mut some_cut = false;
    for occupations in asked {
        let carried = rd.hidden_matches(&occupations, opstap::engine::relatedness::KEEP, 0.0);
        let from_features: Vec<(String, f64)> = opstap::engine::ranking::hidden_matches(&carried).cloned().collect();
        let direct = rd.hidden_matches(&occupations, opstap::engine::ranking::HIDDEN_LIMIT, opstap::engine::ranking::HIDDEN_MIN);
        assert_eq!(from_features, direct, "{occupations:?}");
        some_cut |= direct.len() < carried.len();
    }
    assert!(some_cut, "the limit or the minimum left out a related occupation at least once");
}

/// The index pre-filter (strict retrieval) is derived from the hard rules of `evaluate`: over
/// every candidate and placement of the demo region, plus a candidate without a ladder
/// measurement, no pair that `evaluate` keeps is missing from retrieval, in either direction.
#[actix_web::test]
async fn the_index_pre_filter_never_drops_a_pair_that_evaluate_keeps() {
    use opstap::db::models::{Candidate, Placement};
    use opstap::db::schema::{candidates, placements};
    let app = common::app().await;
    let (km, w, occ) = setup(&app).await;
    let mut c = candidate(&occ, 3, "7241");
    c.as_object_mut().unwrap().remove("ladder_step");
    let (s, c) = app.post("/api/v1/candidates", Some(&km), c).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let unmeasured = c["id"].as_str().unwrap().to_string();
    let (s, p) = app.post("/api/v1/placements", Some(&w), placement("werkervaringsplaats", "Prefilter hovenier", &occ, "7241")).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    app.flush_index().await;
    let state = app.state.clone();
    let (pairs, kept, unmeasured_kept) = actix_web::web::block(move || {
        let mut conn = state.pool.get().unwrap();
        let rd = state.refdata();
        let today = opstap::clock::today();
        let cs: Vec<Candidate> = candidates::table.select(Candidate::as_select()).load(&mut conn).unwrap();
        let cs = opstap::db::queries::candidates_full(&mut conn, cs).unwrap();
        let ps: Vec<Placement> = placements::table.select(Placement::as_select()).load(&mut conn).unwrap();
        let ps = opstap::db::queries::placements_full(&mut conn, ps).unwrap();
        let sroi = opstap::engine::ranking::sroi_states(&mut conn, &ps).unwrap();
        let pfs: Vec<_> = ps
            .iter()
            .map(|p| opstap::engine::ranking::placement_features(p, &rd, p.placement.sroi_contract_id.as_ref().and_then(|id| sroi.get(id).cloned())))
            .collect();
        let mut settings = std::collections::HashMap::new();
        for c in &cs {
            let m = c.candidate.municipality_id.clone();
            settings.entry(m.clone()).or_insert_with(|| opstap::engine::ranking::load_settings(&mut conn, &m).unwrap().0);
        }
        let (mut pairs, mut kept, mut unmeasured_kept) = (0, 0, 0);
        for c in &cs {
            let s = &settings[&c.candidate.municipality_id];
            let cf = opstap::engine::ranking::candidate_features(c, &rd, today);
            // Candidate -> placements.
            let r = opstap::engine::ranking::placement_retrieval(&cf, &rd, s, true, 100_000);
            let found: std::collections::HashSet<String> = state.engine.retrieve_placements(&r).unwrap().into_iter().map(|(id, _)| id).collect();
            for (p, pf) in ps.iter().zip(&pfs) {
                pairs += 1;
                let e = opstap::engine::matching::evaluate(&cf, pf, s, today);
                if !e.is_excluded() {
                    kept += 1;
                    assert!(found.contains(&p.placement.id), "pre-filter dropped {} for {}: {:?}", p.placement.title, c.candidate.id, e.factors);
                }
            }
        }
        for (p, pf) in ps.iter().zip(&pfs) {
            for (m, s) in &settings {
                // Placement -> candidates of one municipality, within the search radius.
                let radius = s.candidate_search_radius_km;
                let r = opstap::engine::ranking::candidate_retrieval(pf, Some(m.clone()), vec![], true, 100_000, radius);
                let found: std::collections::HashSet<String> = state.engine.retrieve_candidates(&r).unwrap().into_iter().map(|(id, _)| id).collect();
                for c in cs.iter().filter(|c| &c.candidate.municipality_id == m) {
                    let cf = opstap::engine::ranking::candidate_features(c, &rd, today);
                    let e = opstap::engine::matching::evaluate(&cf, pf, s, today);
                    if !e.is_excluded() && e.distance_km.is_none_or(|d| d <= radius) {
                        assert!(found.contains(&c.candidate.id), "pre-filter dropped candidate {} for {}", c.candidate.id, p.placement.title);
                        if c.candidate.id == unmeasured {
                            unmeasured_kept += 1;
                        }
                    }
                }
            }
        }
        (pairs, kept, unmeasured_kept)
    })
    .await
    .unwrap();
    assert!(pairs > 1000 && kept > 20, "{pairs} pairs, {kept} kept");
    assert!(unmeasured_kept > 0, "the candidate without a ladder measurement is kept by evaluate for some placement and proposed");
}

/// DOMAIN.md: the municipality sets how long a werkervaringsplaats may last, and how long a
/// forfaitaire loonkostensubsidie (no loonwaarde measured yet) may run; both are enforced.
#[actix_web::test]
async fn municipal_maximum_durations_are_enforced() {
    let app = common::app().await;
    let (km, w, occ) = setup(&app).await;
    let mut long = placement("werkervaringsplaats", "Lange werkervaringsplaats", &occ, "7241");
    long["duration_months"] = json!(18);
    // Lochem allows 12 months by default: posting 18 in Lochem is refused, naming the field.
    let (s, e) = app.post("/api/v1/placements", Some(&w), long.clone()).await;
    common::assert_field_error(s, &e, "duration_months");
    assert!(e.to_string().contains("Lochem") && e.to_string().contains("12 maanden"), "{e}");

    // The beheerder of Lochem allows 24 months and 3 forfaitaire months; now it can be posted.
    let beh = app.login("beheerder@lochem.demo").await;
    let (_, me) = app.get("/api/v1/me", Some(&beh)).await;
    let mid = me["municipality_id"].as_str().unwrap().to_string();
    let (_, cur) = app.get(&format!("/api/v1/municipalities/{mid}/settings"), Some(&beh)).await;
    let mut settings = cur["settings"].clone();
    settings["werkervaringsplaats_max_months"] = json!(24);
    settings["lks_forfaitair_months"] = json!(3);
    let (s, v) =
        app.put(&format!("/api/v1/municipalities/{mid}/settings"), Some(&beh), json!({"settings": settings, "version": cur["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, p) = app.post("/api/v1/placements", Some(&w), long).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let pid = p["id"].as_str().unwrap().to_string();

    // A Lochem candidate may be proposed; for a Zutphen candidate (12 months) it is excluded
    // by the binding rule, and a proposal is refused.
    let (_, c) = app.post("/api/v1/candidates", Some(&km), candidate(&occ, 3, "7241")).await;
    let cid = c["id"].as_str().unwrap().to_string();
    let kmz = app.login("klantmanager1@zutphen.demo").await;
    let (s, cz) = app.post("/api/v1/candidates", Some(&kmz), candidate(&occ, 3, "7203")).await;
    assert_eq!(s, StatusCode::CREATED, "{cz}");
    let czid = cz["id"].as_str().unwrap().to_string();
    app.flush_index().await;
    let v = proposals_for(&app, &km, &cid, "").await;
    assert!(find(&v, &pid)["excluded"].as_array().unwrap().is_empty());
    let (s, m) = app.post("/api/v1/matches", Some(&km), json!({"candidate_id": cid, "placement_id": pid})).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let v = proposals_for(&app, &kmz, &czid, "&include_excluded=true").await;
    let x = find(&v, &pid);
    assert_eq!(x["excluded"][0]["rule"], "werkervaringsplaats_duration", "{x}");
    assert!(x["excluded"][0]["reason"].as_str().unwrap().contains("12 maanden"));
    let (s, e) = app.post("/api/v1/matches", Some(&kmz), json!({"candidate_id": czid, "placement_id": pid})).await;
    common::assert_field_error(s, &e, "placement_id");

    // A forfaitaire LKS says for how long, from the municipality's setting.
    let (s, l) = app.get("/api/v1/instruments/loonkostensubsidie?hours=32&date=2026-03-01", Some(&km)).await;
    assert_eq!(s, StatusCode::OK, "{l}");
    assert_eq!(l["forfaitair"], true, "{l}");
    assert_eq!(l["max_months"], 3, "{l}");
    assert!(l["formula"].as_str().unwrap().contains("hoogstens 3 maanden"), "{l}");
}

/// Skill suggestions find Dutch word forms and parts of compounds: the placement form's own
/// example ("planten snoeien") gets Dutch suggestions, and pages show no English skill terms.
#[actix_web::test]
async fn skill_suggestions_understand_dutch_and_pages_show_dutch_skills() {
    let app = common::app().await;
    let (s, v) = app.get("/api/v1/esco/skills?q=planten%20snoeien&limit=5", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty(), "no suggestion for the form's own example: {v}");
    assert_eq!(items[0]["language"], "nl", "{v}");
    // English-only skills are summarised in the occupation's Dutch wording.
    let rd = app.state.refdata();
    let english: Vec<&str> = rd.skills.iter().filter(|s| s.label_nl.is_none()).take(3).map(|s| s.id.as_str()).collect();
    let dutch = rd.skills.iter().find(|s| s.label_nl.is_some()).unwrap();
    let occ = rd.suggest_occupations("hovenier", 1)[0].id.clone();
    let mut ids = english.clone();
    ids.push(&dutch.id);
    let shown = rd.skill_labels_nl(&ids, Some(&occ));
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert_eq!(&shown[0], dutch.label_nl.as_ref().unwrap());
    assert!(shown[1].starts_with("3 andere vaardigheden van een "), "{shown:?}");
    for id in &english {
        let en = &rd.skill(id).unwrap().label_en;
        assert!(!shown.iter().any(|s| s.contains(en.as_str())), "{shown:?}");
    }
}

/// Issue 14: the proposal path reads features from the in-memory store instead of the database
/// rows. On the demo region (fixed seed) both give the same features for every placement and
/// candidate, and the same ranking, scores and explanations in both directions.
#[actix_web::test]
async fn the_in_memory_features_rank_exactly_as_the_database_rows() {
    use opstap::db::models::{Candidate, Placement};
    use opstap::db::schema::{candidates, municipalities, placements};
    use opstap::engine::ranking::{Audience, Options};
    // The test database holds the demo region (seeded into the template); a few of its
    // placements are linked to the demo's SROI contract, through the change feed.
    let app = common::app().await;
    app.db(|conn| {
        use opstap::db::changes::{record, Entity};
        let contract: String = opstap::db::schema::sroi_contracts::table.select(opstap::db::schema::sroi_contracts::id).first(conn).unwrap();
        let ids: Vec<String> = placements::table.select(placements::id).order(placements::id).limit(6).load(conn).unwrap();
        for id in &ids {
            diesel::update(placements::table.find(id)).set(placements::sroi_contract_id.eq(Some(&contract))).execute(conn).unwrap();
            record(conn, Entity::Placement, id).unwrap();
        }
        record(conn, Entity::Sroi, &contract).unwrap();
    })
    .await;
    app.flush_index().await;
    let state = app.state.clone();
    let (pairs, results) = actix_web::web::block(move || {
        let mut conn = state.pool.get().unwrap();
        let rd = state.refdata();
        let today = opstap::clock::today();
        let search = &state.engine;
        let cs: Vec<Candidate> = candidates::table.select(Candidate::as_select()).load(&mut conn).unwrap();
        let cs = opstap::db::queries::candidates_for_matching(&mut conn, cs).unwrap();
        let ps: Vec<Placement> = placements::table.select(Placement::as_select()).load(&mut conn).unwrap();
        let ps = opstap::db::queries::placements_full(&mut conn, ps).unwrap();
        let sroi = opstap::engine::ranking::sroi_states(&mut conn, &ps).unwrap();
        assert!(!sroi.is_empty(), "the demo links a placement to an SROI contract");
        // The same features, field by field.
        for p in &ps {
            let from_db =
                opstap::engine::ranking::placement_features(p, &rd, p.placement.sroi_contract_id.as_ref().and_then(|id| sroi.get(id).cloned()));
            let stored = search.features.read(|f| f.placement(&p.placement.id)).expect("placement in the store");
            assert_eq!(stored, from_db);
            // What a public search shows of it, too.
            let shown = search.features.read(|f| f.placement_hit(&p.placement.id)).expect("placement in the store");
            assert_eq!(vec![shown], opstap::db::queries::placement_hits(&mut conn, std::slice::from_ref(&p.placement.id)).unwrap());
        }
        for c in &cs {
            let stored = search.features.read(|f| f.candidate(&c.candidate.id, today)).expect("candidate in the store");
            assert_eq!(stored, opstap::engine::ranking::candidate_features(c, &rd, today));
        }
        // Retrieval that requires a relevance term first (when enough documents have one) gives
        // exactly the top k of the one full query.
        let mut two_pass = 0;
        for c in &cs {
            let (s, _) = opstap::engine::ranking::load_settings(&mut conn, &c.candidate.municipality_id).unwrap();
            let cf = opstap::engine::ranking::candidate_features(c, &rd, today);
            for k in [1, 3, 8] {
                let mut r = opstap::engine::ranking::placement_retrieval(&cf, &rd, &s, true, k);
                let fast = search.retrieve_placements(&r).unwrap();
                r.single_pass = true;
                assert_eq!(fast, search.retrieve_placements(&r).unwrap(), "candidate {} k {k}", c.candidate.id);
                two_pass += (fast.len() == k) as usize;
            }
        }
        for p in &ps {
            let pf = opstap::engine::ranking::placement_features(p, &rd, None);
            for (m, k) in [(None, 2), (None, 10), (Some(cs[0].candidate.municipality_id.clone()), 3)] {
                let mut r = opstap::engine::ranking::candidate_retrieval(&pf, m, vec![], true, k, 60.0);
                let fast = search.retrieve_candidates(&r).unwrap();
                r.single_pass = true;
                assert_eq!(fast, search.retrieve_candidates(&r).unwrap(), "placement {} k {k}", p.placement.title);
                two_pass += (fast.len() == k) as usize;
            }
        }
        assert!(two_pass > 50, "the two-pass path ran {two_pass} times");
        // The same rankings as evaluating the database rows of every retrieved item (the path
        // before the store).
        let opts = Options { limit: 20, include_excluded: false };
        let (mut pairs, mut results) = (0usize, 0usize);
        for c in &cs {
            let (s, _) = opstap::engine::ranking::load_settings(&mut conn, &c.candidate.municipality_id).unwrap();
            let cf = opstap::engine::ranking::candidate_features(c, &rd, today);
            // The index has applied every change: the subject comes from the store, the same.
            let subject = opstap::engine::ranking::subject_candidate(&mut conn, search, &rd, &c.candidate.id, today).unwrap().unwrap();
            assert_eq!(subject, cf);
            let got = opstap::engine::ranking::for_candidate(&mut conn, search, &rd, &subject, &s, opts, today).unwrap();
            let hits = search.retrieve_placements(&opstap::engine::ranking::placement_retrieval(&cf, &rd, &s, true, s.retrieval_size)).unwrap();
            let ids: Vec<String> = hits.into_iter().map(|(id, _)| id).collect();
            let rows = opstap::db::queries::placements_full_by_ids(&mut conn, &ids).unwrap();
            let st = opstap::engine::ranking::sroi_states(&mut conn, &rows).unwrap();
            let ev: Vec<(String, opstap::engine::matching::Evaluation, ())> = rows
                .iter()
                .map(|p| {
                    let pf =
                        opstap::engine::ranking::placement_features(p, &rd, p.placement.sroi_contract_id.as_ref().and_then(|id| st.get(id).cloned()));
                    (p.placement.id.clone(), opstap::engine::matching::evaluate(&cf, &pf, &s, today), ())
                })
                .collect();
            pairs += ev.len();
            let want = opstap::engine::matching::rank(ev, false, 20);
            let got: Vec<(String, &opstap::engine::matching::Evaluation)> = got.iter().map(|(p, e)| (p.placement.id.clone(), e)).collect();
            let want: Vec<(String, &opstap::engine::matching::Evaluation)> = want.iter().map(|(id, e, _)| (id.clone(), e)).collect();
            assert_eq!(got, want, "candidate {}", c.candidate.id);
            results += got.len();
        }
        let munis: Vec<String> = municipalities::table.select(municipalities::id).load(&mut conn).unwrap();
        for p in &ps {
            for audience in munis.iter().map(|m| Audience::Klantmanager { municipality_id: m.clone() }).chain([Audience::Werkgever]) {
                let got = opstap::engine::ranking::for_placement(&mut conn, search, &rd, p, &audience, opts, today).unwrap();
                let pf =
                    opstap::engine::ranking::placement_features(p, &rd, p.placement.sroi_contract_id.as_ref().and_then(|id| sroi.get(id).cloned()));
                let (m, flags) = match &audience {
                    Audience::Klantmanager { municipality_id } => (Some(municipality_id.clone()), vec![]),
                    Audience::Werkgever => (None, vec!["consent_anonymous_profile".to_string()]),
                };
                let base = match &m {
                    Some(m) => opstap::engine::ranking::load_settings(&mut conn, m).unwrap().0,
                    None => opstap::domain::settings::Settings::default(),
                };
                let r = opstap::engine::ranking::candidate_retrieval(
                    &pf,
                    m.clone(),
                    flags,
                    true,
                    base.candidate_retrieval_size,
                    base.candidate_search_radius_km,
                );
                let ids: Vec<String> = search.retrieve_candidates(&r).unwrap().into_iter().map(|(id, _)| id).collect();
                let ev: Vec<(String, opstap::engine::matching::Evaluation, ())> = cs
                    .iter()
                    .filter(|c| ids.contains(&c.candidate.id))
                    .filter(|c| match &m {
                        Some(m) => &c.candidate.municipality_id == m,
                        None => c.candidate.consent_anonymous_profile,
                    })
                    .map(|c| {
                        let (s, _) = opstap::engine::ranking::load_settings(&mut conn, &c.candidate.municipality_id).unwrap();
                        let cf = opstap::engine::ranking::candidate_features(c, &rd, today);
                        (c.candidate.id.clone(), opstap::engine::matching::evaluate(&cf, &pf, &s, today), ())
                    })
                    .collect();
                pairs += ev.len();
                let want = opstap::engine::matching::rank(ev, false, 20);
                let got: Vec<(String, &opstap::engine::matching::Evaluation)> = got.iter().map(|(c, e)| (c.candidate.id.clone(), e)).collect();
                let want: Vec<(String, &opstap::engine::matching::Evaluation)> = want.iter().map(|(id, e, _)| (id.clone(), e)).collect();
                assert_eq!(got, want, "placement {} for {audience:?}", p.placement.title);
                results += got.len();
            }
        }
        (pairs, results)
    })
    .await
    .unwrap();
    assert!(pairs > 500 && results > 100, "{pairs} pairs evaluated, {results} results compared");
}

/// The journal stores proposal logs on a connection of its own: had it shared the pool, a
/// request of a pool of one connection (or 64 requests on a pool of 8) would wait for itself
/// until the pool timed out (503). Every answer still waits until its log is stored.
#[actix_web::test]
async fn proposals_answer_with_a_pool_of_one_connection() {
    let app = common::app_with(|c| c.db_pool_size = 1).await;
    let (km, _, occ) = setup(&app).await;
    let (s, c) = app.post("/api/v1/candidates", Some(&km), candidate(&occ, 4, "7241")).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_str().unwrap().to_string();
    app.flush_index().await;
    for _ in 0..3 {
        let v = proposals_for(&app, &km, &cid, "&limit=5").await;
        assert!(v["proposals"].is_array(), "{v}");
    }
    let logged = app.db(move |conn| proposal_logs::table.filter(proposal_logs::subject_id.eq(&cid)).count().get_result::<i64>(conn).unwrap()).await;
    assert_eq!(logged, 3, "every answered proposal call is logged");
}

/// Issue 14: the candidate or placement asked about comes from the in-memory store only when the
/// store has applied every committed change. A change still on its way to this instance's store
/// (here: not even committed, so no writer can have it) is read from the database, so proposals
/// asked right after an edit use the edit.
#[actix_web::test]
async fn the_subject_of_a_proposal_is_never_older_than_the_database() {
    use opstap::db::changes::{record, Entity};
    use opstap::db::models::{Candidate, Placement};
    use opstap::db::schema::{candidates, placements};
    let app = common::app().await;
    app.flush_index().await;
    let state = app.state.clone();
    actix_web::web::block(move || {
        let mut conn = state.pool.get().unwrap();
        let (rd, today, search) = (state.refdata(), opstap::clock::today(), &state.engine);
        let c: Candidate = candidates::table.select(Candidate::as_select()).order(candidates::id).first(&mut conn).unwrap();
        let stored = |id: &str| search.features.read(|f| f.candidate(id, today)).unwrap();
        let before = opstap::engine::ranking::subject_candidate(&mut conn, search, &rd, &c.id, today).unwrap().unwrap();
        assert_eq!(before, stored(&c.id), "caught up: from the store");
        assert_eq!(before.hours_max, c.hours_max);
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            diesel::update(candidates::table.find(&c.id)).set(candidates::hours_max.eq(c.hours_max + 3)).execute(conn)?;
            record(conn, Entity::Candidate, &c.id)?;
            let now = opstap::engine::ranking::subject_candidate(conn, search, &rd, &c.id, today).unwrap().unwrap();
            assert_eq!(stored(&c.id).hours_max, c.hours_max, "the store cannot have an uncommitted change");
            assert_eq!(now.hours_max, c.hours_max + 3, "the subject is read from the database");
            Ok(())
        })
        .unwrap();
        search.flush();
        assert_eq!(stored(&c.id).hours_max, c.hours_max + 3, "the writer applied the change");
        let after = opstap::engine::ranking::subject_candidate(&mut conn, search, &rd, &c.id, today).unwrap().unwrap();
        assert_eq!(after, stored(&c.id));
        // The same for the placement asked about.
        let p: Placement = placements::table.select(Placement::as_select()).order(placements::id).first(&mut conn).unwrap();
        let stored_p = |id: &str| search.features.read(|f| f.placement(id)).unwrap();
        let full = opstap::db::queries::placement_full(&mut conn, &p.id).unwrap().unwrap();
        assert_eq!(opstap::engine::ranking::subject_placement(&mut conn, search, &rd, &full).unwrap(), stored_p(&p.id));
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            diesel::update(placements::table.find(&p.id)).set(placements::hours_max.eq(p.hours_max + 2)).execute(conn)?;
            record(conn, Entity::Placement, &p.id)?;
            let full = opstap::db::queries::placement_full(conn, &p.id)?.unwrap();
            let now = opstap::engine::ranking::subject_placement(conn, search, &rd, &full).unwrap();
            assert_eq!(stored_p(&p.id).hours_max, p.hours_max, "the store cannot have an uncommitted change");
            assert_eq!(now.hours_max, p.hours_max + 2, "the subject is built from the database row");
            Ok(())
        })
        .unwrap();
    })
    .await
    .unwrap();
}

/// An employer with three placements of its own cannot work out where a proposed candidate
/// lives from anything it receives: moving the candidate's home within the same three distance
/// bands changes nothing the employer sees (profile, score, factors, texts), and trilateration
/// over the demo's candidates narrows a home only to the PC4s with the same three bands.
#[actix_web::test]
async fn an_employer_cannot_narrow_a_candidates_home_below_the_distance_band() {
    use opstap::db::schema::candidates;
    let app = common::app_with(|c| c.employer_profile_views_per_hour = 10_000).await;
    let (km, w, occ) = setup(&app).await;
    let rd = app.state.refdata();
    let at = |pc4: &str| {
        let p = rd.pc4.get(pc4).unwrap_or_else(|| panic!("PC4 {pc4} not in the reference data"));
        (p.lat, p.lon)
    };
    let sites = ["7241", "7231", "7251"];
    let mut pids = vec![];
    for (i, pc4) in sites.iter().enumerate() {
        let (s, p) = app.post("/api/v1/placements", Some(&w), placement("werkervaringsplaats", &format!("Driehoek {i}"), &occ, pc4)).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        pids.push(p["id"].as_str().unwrap().to_string());
    }
    let bands_of = |pc4: &str| -> Vec<&'static str> {
        let (la, lo) = at(pc4);
        sites
            .iter()
            .map(|s| {
                let (sa, so) = at(s);
                opstap::domain::geo::distance_band(opstap::domain::geo::haversine_km(la, lo, sa, so))
            })
            .collect()
    };
    // A home, and another PC4 in the same three bands but at other distances.
    let home = "7242";
    let twin = rd
        .pc4
        .keys()
        .filter(|k| k.as_str() != home && bands_of(k) == bands_of(home))
        .min_by(|a, b| {
            let d = |k: &str| {
                let (x, y) = (at(k), at(home));
                opstap::domain::geo::haversine_km(x.0, x.1, y.0, y.1)
            };
            d(b).partial_cmp(&d(a)).unwrap()
        })
        .expect("a PC4 with the same bands")
        .clone();
    let mut body = candidate(&occ, 3, home);
    body["max_travel_km"] = json!(60);
    let (s, cv) = app.post("/api/v1/candidates", Some(&km), body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{cv}");
    let cid = cv["id"].as_str().unwrap().to_string();
    app.flush_index().await;

    let seen = |v: &Value, pid: &str| -> Value {
        let reference = app.state.keys.pseudonym(pid, &cid);
        v["proposals"].as_array().unwrap().iter().find(|p| p["profile"]["reference"] == reference.as_str()).cloned().unwrap_or(Value::Null)
    };
    let views = |label: &'static str| {
        let (app, w, pids) = (&app, &w, &pids);
        async move {
            let mut out = vec![];
            for pid in pids {
                let (s, v) = app.get(&format!("/api/v1/placements/{pid}/proposals?limit=100"), Some(w)).await;
                assert_eq!(s, StatusCode::OK, "{label}: {v}");
                out.push(v);
            }
            out
        }
    };
    let before: Vec<Value> = views("before").await.iter().zip(&pids).map(|(v, p)| seen(v, p)).collect();
    assert!(before.iter().all(|v| !v.is_null()), "the candidate is proposed at all three: {before:?}");
    for v in &before {
        let text = v.to_string();
        assert!(v["distance_km"].is_null(), "{v}");
        assert!(!text.contains(" km van"), "an exact distance in {text}");
        let d = v["factors"].as_array().unwrap().iter().find(|f| f["factor"] == "distance").unwrap();
        assert!(d["explanation"].as_str().unwrap().contains(v["profile"]["distance_band"].as_str().unwrap()), "{d}");
    }

    // Moved within the same bands: not one byte of what the employer sees changes.
    let version = app.get(&format!("/api/v1/candidates/{cid}"), Some(&km)).await.1["version"].clone();
    let mut moved = body.clone();
    moved["pc4"] = json!(twin);
    moved["version"] = version;
    moved.as_object_mut().unwrap().remove("ladder_step");
    let (s, v) = app.put(&format!("/api/v1/candidates/{cid}"), Some(&km), moved.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.flush_index().await;
    let after: Vec<Value> = views("after").await.iter().zip(&pids).map(|(v, p)| seen(v, p)).collect();
    assert_eq!(before, after, "moving home from {home} to {twin} (same bands) changed the employer's view");
    // The klantmanager does see the difference: the test could fail.
    let (_, kmv) = app.get(&format!("/api/v1/placements/{}/proposals?limit=100", pids[0]), Some(&km)).await;
    let mine = kmv["proposals"].as_array().unwrap().iter().find(|p| p["candidate"]["id"] == cid.as_str()).unwrap();
    assert!(mine["distance_km"].is_number(), "{mine}");

    // Trilateration over every demo candidate the employer is shown at all three placements:
    // the PC4s consistent with everything it received are those with the same three bands.
    let all = views("demo").await;
    let cands: Vec<(String, String)> = app.db(|c| candidates::table.select((candidates::id, candidates::pc4)).load(c).unwrap()).await;
    let mut sizes = vec![];
    for (id, pc4) in &cands {
        let refs: Vec<Option<&Value>> = all
            .iter()
            .zip(&pids)
            .map(|(v, pid)| {
                let r = app.state.keys.pseudonym(pid, id);
                v["proposals"].as_array().unwrap().iter().find(|p| p["profile"]["reference"] == r.as_str())
            })
            .collect();
        if refs.iter().any(|r| r.is_none()) || !rd.pc4.contains_key(pc4.as_str()) {
            continue;
        }
        let observed: Vec<String> = refs.iter().map(|r| r.unwrap()["profile"]["distance_band"].as_str().unwrap_or("").to_string()).collect();
        let feasible: Vec<&String> = rd.pc4.keys().filter(|k| bands_of(k).iter().zip(&observed).all(|(a, b)| a == b)).collect();
        assert!(feasible.contains(&pc4), "the home is among the PC4s with the observed bands");
        sizes.push(feasible.len());
    }
    sizes.sort_unstable();
    assert!(!sizes.is_empty(), "no demo candidate was shown at all three placements");
    eprintln!(
        "trilateration from 3 placements: {} candidates; PC4s left per candidate: min {}, median {}, max {} (without bands: 1 each)",
        sizes.len(),
        sizes[0],
        sizes[sizes.len() / 2],
        sizes[sizes.len() - 1]
    );
    assert!(sizes[sizes.len() / 2] > 1, "bands still pin most homes down: {sizes:?}");
}

/// A proposal names the skills the candidate still lacks, by their Dutch labels: on the API for
/// the klantmanager, in plain words for the candidate, and on both their pages.
#[actix_web::test]
async fn a_proposal_names_the_missing_skills_by_their_dutch_labels() {
    let app = common::app().await;
    let (km, w, occ) = setup(&app).await;
    // Five Dutch-labelled skills that a hovenier does not have by the occupation alone: the
    // candidate states three, two stay missing.
    let rd = app.state.refdata();
    let implied = rd.essential_skills_of(std::slice::from_ref(&occ));
    let picked: Vec<(String, String)> = rd
        .skills
        .iter()
        .filter(|s| s.municipality_id.is_none() && !implied.contains(&s.id))
        .filter_map(|s| s.label_nl.clone().filter(|l| l.len() > 4 && !l.contains(',')).map(|l| (s.id.clone(), l)))
        .take(5)
        .collect();
    assert_eq!(picked.len(), 5);
    let mut body = candidate(&occ, 3, "7241");
    body["email"] = json!("gaptest@example.org");
    body["skills"] = json!(picked[..3].iter().map(|(id, _)| json!({"skill_id": id})).collect::<Vec<_>>());
    let (s, c) = app.post("/api/v1/candidates", Some(&km), body).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_str().unwrap().to_string();
    let mut p = placement("werkervaringsplaats", "Hovenier met vijf vaardigheden (gaptest)", &occ, "7241");
    p["required_skills"] = json!(picked.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>());
    let (s, pl) = app.post("/api/v1/placements", Some(&w), p).await;
    assert_eq!(s, StatusCode::CREATED, "{pl}");
    let pid = pl["id"].as_str().unwrap().to_string();
    app.flush_index().await;

    let v = proposals_for(&app, &km, &cid, "&include_excluded=true").await;
    let hit = find(&v, &pid);
    let missing: Vec<(&str, &str, bool)> = hit["missing_skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["skill"]["id"].as_str().unwrap(), g["skill"]["label"].as_str().unwrap(), g["required"].as_bool().unwrap()))
        .collect();
    let expected: Vec<(&str, &str, bool)> = picked[3..].iter().map(|(id, l)| (id.as_str(), l.as_str(), true)).collect();
    assert_eq!(missing, expected, "exactly the two skills not stated, with their Dutch labels");
    // The klantmanager's page says which.
    let (_, html) = app.html_as(&format!("/klantmanager/kandidaten/{cid}/plekken"), &km).await;
    assert!(html.contains(&format!("Ontbreekt nog: {} (vereist), {} (vereist).", picked[3].1, picked[4].1)), "km page names the gap");

    // The candidate, in plain words.
    let (s, v) = app.post(&format!("/api/v1/candidates/{cid}/invite"), Some(&km), json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let mail: String = app
        .db(|c| {
            use opstap::db::schema::outbox;
            outbox::table.filter(outbox::to_address.eq("gaptest@example.org")).select(outbox::body_text).first(c).unwrap()
        })
        .await;
    let token = mail.split("token=").nth(1).expect("link").split_whitespace().next().unwrap().to_string();
    let (s, v) = app.post("/api/v1/auth/password-reset/confirm", None, json!({"token": token, "password": "mijn-eigen-wachtwoord"})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let cand = app.login_pw("gaptest@example.org", "mijn-eigen-wachtwoord").await;
    let (s, mine) = app.get(&format!("/api/v1/candidates/{cid}/proposals?limit=100&include_excluded=true"), Some(&cand)).await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    let plain = mine["plain"].as_array().unwrap().iter().find(|x| x["placement"]["id"] == pid.as_str()).expect("the placement for her");
    assert_eq!(plain["to_learn"], format!("Dit leert u nog: {} en {}.", picked[3].1, picked[4].1));
    // And on her proposal page, once proposed.
    let (s, m) = app.post("/api/v1/matches", Some(&km), json!({"candidate_id": cid, "placement_id": pid})).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let (_, page) = app.html_as(&format!("/matches/{}", m["id"].as_str().unwrap()), &cand).await;
    assert!(page.contains(&format!("Dit leert u nog: {} en {}.", picked[3].1, picked[4].1)), "the candidate's proposal page");
}

/// One travel distance everywhere: without own transport the matcher's limit, and the profile
/// page says the same figure.
#[actix_web::test]
async fn the_profile_shows_the_travel_distance_the_matcher_uses() {
    let app = common::app().await;
    let (km, _, occ) = setup(&app).await;
    let mut body = candidate(&occ, 3, "7241");
    body["max_travel_km"] = json!(40);
    body["own_transport"] = json!(false);
    let (s, c) = app.post("/api/v1/candidates", Some(&km), body).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_str().unwrap().to_string();
    let cap = opstap::domain::settings::Settings::default().no_transport_max_km;
    let (_, html) = app.html_as(&format!("/klantmanager/kandidaten/{cid}"), &km).await;
    let shown = format!("tot {} km: zonder eigen vervoer (wil zelf tot 40 km)", opstap::domain::nl::short(cap));
    assert!(html.contains(&shown), "profile: {shown}");
    app.flush_index().await;
    let v = proposals_for(&app, &km, &cid, "&include_excluded=true").await;
    let d =
        v["proposals"].as_array().unwrap().iter().flat_map(|p| p["factors"].as_array().unwrap().iter()).find(|f| f["factor"] == "distance").unwrap();
    assert!(d["explanation"].as_str().unwrap().contains(&format!("{} km", opstap::domain::nl::short(cap))), "{d}");
}
