use crate::common;
use actix_web::http::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Polls a search until `pred` holds; fails if that takes a second or more.
async fn within_a_second<S, B>(app: &common::TestApp<S>, path: &str, token: Option<&str>, pred: impl Fn(&Value) -> bool) -> Value
where
    S: actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let started = Instant::now();
    loop {
        let (s, v) = app.get(path, token).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        if pred(&v) {
            return v;
        }
        assert!(started.elapsed() < Duration::from_secs(1), "{path}: change not visible within 1 s: {v}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

fn ids(v: &Value) -> Vec<String> {
    v["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect()
}

#[actix_web::test]
async fn create_update_delete_visible_within_a_second() {
    let app = common::app().await;
    let w = app.login("werkgever1@demo.nl").await;
    let mut body = common::placement_body(None);
    body["title"] = json!("Fietsenstalling beheerder");
    body["description"] = json!("Toezicht houden in de fietsenstallingen van het station.");
    let (s, p) = app.post("/api/v1/placements", Some(&w), body.clone()).await;
    assert_eq!(s, StatusCode::CREATED);
    let id = p["id"].as_str().unwrap().to_string();
    // Dutch stemming: "fietsenstallingen" finds "Fietsenstalling".
    let v = within_a_second(&app, "/api/v1/search/placements?q=fietsenstallingen", None, |v| v["total"] == 1).await;
    assert_eq!(ids(&v), vec![id.clone()]);

    body["title"] = json!("Parkeergarage toezichthouder");
    body["description"] = json!("Toezicht in de parkeergarage.");
    let (s, _) = app.put(&format!("/api/v1/placements/{id}"), Some(&w), body).await;
    assert_eq!(s, StatusCode::OK);
    let v = within_a_second(&app, "/api/v1/search/placements?q=parkeergarage", None, |v| v["total"] == 1).await;
    assert_eq!(v["hits"][0]["title"], "Parkeergarage toezichthouder", "a hit shows the placement as it is now: {v}");
    within_a_second(&app, "/api/v1/search/placements?q=fietsenstalling", None, |v| v["total"] == 0).await;
    // A hit shows its organisation's name as it is now, also after a rename.
    let org = p["organisation_id"].as_str().unwrap().to_string();
    let (s, got) = app.get(&format!("/api/v1/organisations/{org}"), Some(&w)).await;
    assert_eq!(s, StatusCode::OK, "{got}");
    assert_eq!(v["hits"][0]["organisation_name"], got["name"], "{v}");
    // The input's fields only: a field the endpoint does not take (id, verified, ...) is refused.
    let mut o = json!({});
    for f in ["name", "kvk_number", "sector", "pc4", "contact_name", "contact_email", "contact_phone"] {
        o[f] = got[f].clone();
    }
    o["name"] = json!("Stallingbeheer Noord B.V.");
    let (s, r) = app.put(&format!("/api/v1/organisations/{org}"), Some(&w), o).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    within_a_second(&app, "/api/v1/search/placements?q=parkeergarage", None, |v| v["hits"][0]["organisation_name"] == "Stallingbeheer Noord B.V.")
        .await;

    assert_eq!(app.delete(&format!("/api/v1/placements/{id}"), Some(&w)).await.0, StatusCode::NO_CONTENT);
    within_a_second(&app, "/api/v1/search/placements?q=parkeergarage", None, |v| v["total"] == 0).await;

    // Candidates: visible to search by occupation, never by name.
    let km = app.login("klantmanager1@lochem.demo").await;
    let occ = app.get("/api/v1/esco/occupations?q=postbode&limit=1", None).await.1["items"][0]["id"].as_str().unwrap().to_string();
    let mut c = common::candidate_body();
    c["occupations"] = json!([{"occupation_id": occ}]);
    let (s, cv) = app.post("/api/v1/candidates", Some(&km), c).await;
    assert_eq!(s, StatusCode::CREATED);
    let v = within_a_second(&app, &format!("/api/v1/search/candidates?occupation_id={occ}"), Some(&km), |v| {
        ids(v).contains(&cv["id"].as_str().unwrap().to_string())
    })
    .await;
    assert!(v["hits"][0]["first_name"].is_string(), "the klantmanager sees names, read from the database");
    let (_, by_name) = app.get("/api/v1/search/candidates?q=Zoekmij", Some(&km)).await;
    assert_eq!(by_name["total"], 0, "names must not be indexed: {by_name}");
    let (_, by_occ) = app.get("/api/v1/search/candidates?q=postbode", Some(&km)).await;
    assert!(ids(&by_occ).contains(&cv["id"].as_str().unwrap().to_string()));
}

#[actix_web::test]
async fn candidate_documents_hold_no_personal_data() {
    let app = common::app().await;
    let schema = app.state.engine.candidates.index.schema();
    let stored: Vec<String> = schema.fields().filter(|(_, e)| e.is_stored()).map(|(_, e)| e.name().to_string()).collect();
    assert_eq!(stored, vec!["id".to_string()], "only the id may be stored");
    for banned in ["name", "first_name", "last_name", "email", "phone", "birth_date", "support_needs", "work_capacity_limits"] {
        assert!(schema.get_field(banned).is_err(), "candidate index has field {banned}");
    }
    // And no indexed term is a candidate's name or e-mail.
    let searcher = app.state.engine.candidates.reader.searcher();
    let f = &app.state.engine.candidates.fields;
    let (first, last, email): (String, String, String) = app
        .db(|c| {
            use diesel::prelude::*;
            use opstap::db::schema::candidates::dsl::*;
            let (a, b, e): (String, String, Option<String>) = candidates.select((first_name, last_name, email)).first(c).unwrap();
            (a, b, e.unwrap_or_default())
        })
        .await;
    for text_field in [f.skills_text] {
        for word in [first.to_lowercase(), last.to_lowercase().replace(' ', ""), email.clone()] {
            let term = tantivy::Term::from_field_text(text_field, &word);
            assert_eq!(searcher.doc_freq(&term).unwrap(), 0, "term {word} found in the candidate index");
        }
    }
}

#[actix_web::test]
async fn filters_distance_and_facets() {
    let app = common::app().await;
    let rd = app.state.refdata();
    let (_, all) = app.get("/api/v1/search/placements?limit=100", None).await;
    let total_published = all["total"].as_u64().unwrap();
    assert!(total_published >= 25, "{all}");
    // Facet counts over kinds add up to the total (one kind per placement).
    let kinds: u64 = all["facets"]["kind"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(kinds, total_published);
    assert_eq!(all["facets"]["kind"].as_object().unwrap().len(), 8, "demo has every kind: {}", all["facets"]["kind"]);

    // Distance: exactly the published placements within 8 km of 7241, by PC4 centroids.
    let (_, near) = app.get("/api/v1/search/placements?pc4=7241&max_km=8&limit=100", None).await;
    let expected: Vec<String> = all["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| rd.distance_km("7241", h["pc4"].as_str().unwrap()).unwrap() <= 8.0)
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect();
    let mut got = ids(&near);
    let mut exp = expected.clone();
    got.sort();
    exp.sort();
    assert_eq!(got, exp);
    assert!(!exp.is_empty() && exp.len() < total_published as usize, "the filter must include some and exclude some");
    assert!(near["hits"].as_array().unwrap().iter().all(|h| h["distance_km"].as_f64().unwrap() <= 8.0));
    // A distance asked and no words: nearest first, also across pages.
    let d: Vec<f64> = near["hits"].as_array().unwrap().iter().map(|h| h["distance_km"].as_f64().unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1] + 0.05), "nearest first: {d:?}");
    let (_, page2) = app.get("/api/v1/search/placements?pc4=7241&max_km=8&limit=2&offset=2", None).await;
    assert_eq!(ids(&page2), ids(&near)[2..4.min(ids(&near).len())].to_vec(), "the second page continues the order");

    // A kind is found by its own name in the text, as the kind filter finds it.
    let (_, by_name) = app.get("/api/v1/search/placements?q=vrijwilligerswerk&limit=100", None).await;
    let (_, by_kind) = app.get("/api/v1/search/placements?kind=vrijwilligerswerk&limit=100", None).await;
    assert!(by_kind["total"].as_u64().unwrap() > 0);
    assert_eq!(by_name["total"], by_kind["total"], "{by_name}");
    let (_, bbl) = app.get("/api/v1/search/placements?q=BBL&limit=100", None).await;
    assert!(bbl["total"].as_u64().unwrap() > 0 && bbl["hits"].as_array().unwrap().iter().all(|h| h["kind"] == "leerwerkplek_bbl"), "{bbl}");
    // On the page each result says in plain words what the kind means (not only its name).
    let (_, html) = app.html("/plekken?q=vrijwilligerswerk").await;
    assert!(html.contains(opstap::domain::PlacementKind::Vrijwilligerswerk.explain_b1()), "the kind explained under the result");

    // Kind, hours and support filters agree with the hits' own fields.
    let (_, f) = app.get("/api/v1/search/placements?kind=vrijwilligerswerk,werkervaringsplaats&hours=20&with_support=true&limit=100", None).await;
    assert!(f["total"].as_u64().unwrap() > 0);
    for h in f["hits"].as_array().unwrap() {
        assert!(["vrijwilligerswerk", "werkervaringsplaats"].contains(&h["kind"].as_str().unwrap()));
        assert!(h["hours_min"].as_i64().unwrap() <= 20 && h["hours_max"].as_i64().unwrap() >= 20, "{h}");
        assert!(h["job_coach_welcome"] == true || h["internal_supervisor"] == true || h["adapted_workplace"] == true);
    }
    // Ladder step 1: only kinds that suit step 1 (dagbesteding by default).
    let (_, l1) = app.get("/api/v1/search/placements?ladder_step=1&limit=100", None).await;
    assert!(l1["total"].as_u64().unwrap() > 0);
    assert!(l1["hits"].as_array().unwrap().iter().all(|h| h["kind"] == "arbeidsmatige_dagbesteding"));

    // Candidate search stays in the klantmanager's municipality.
    let km = app.login("klantmanager1@zutphen.demo").await;
    let (_, me) = app.get("/api/v1/me", Some(&km)).await;
    let (_, cs) = app.get("/api/v1/search/candidates?limit=100", Some(&km)).await;
    assert!(cs["total"].as_u64().unwrap() >= 25);
    for h in cs["hits"].as_array().unwrap() {
        let (s, c) = app.get(&format!("/api/v1/candidates/{}", h["id"].as_str().unwrap()), Some(&km)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(c["municipality_id"], me["municipality_id"]);
    }
    let (_, steps) = app.get("/api/v1/search/candidates?ladder_min=5&ladder_max=6&limit=100", Some(&km)).await;
    assert!(steps["hits"].as_array().unwrap().iter().all(|h| h["ladder_step"].as_i64().unwrap() >= 5));
    let ladder_facets: u64 = cs["facets"]["ladder"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(ladder_facets, cs["total"].as_u64().unwrap());
}

#[actix_web::test]
async fn reindexed_index_answers_like_the_live_one() {
    let app = common::app().await;
    // Make the live index go through creates, updates and deletes first.
    let w = app.login("werkgever3@demo.nl").await;
    let km = app.login("klantmanager1@lochem.demo").await;
    let mut made = Vec::new();
    for (i, title) in ["Orderpicker nachtdienst", "Heftruckchauffeur", "Inpakker webwinkel"].iter().enumerate() {
        let mut b = common::placement_body(None);
        b["title"] = json!(title);
        b["pc4"] = json!(["7201", "7241", "7207"][i]);
        let (s, p) = app.post("/api/v1/placements", Some(&w), b).await;
        assert_eq!(s, StatusCode::CREATED);
        made.push(p["id"].as_str().unwrap().to_string());
    }
    let mut b = common::placement_body(None);
    b["title"] = json!("Orderpicker dagdienst");
    assert_eq!(app.put(&format!("/api/v1/placements/{}", made[0]), Some(&w), b).await.0, StatusCode::OK);
    assert_eq!(app.delete(&format!("/api/v1/placements/{}", made[2]), Some(&w)).await.0, StatusCode::NO_CONTENT);
    let (s, _) = app.post("/api/v1/candidates", Some(&km), common::candidate_body()).await;
    assert_eq!(s, StatusCode::CREATED);
    app.flush_index().await;

    let km_queries = [
        "/api/v1/search/candidates?limit=100",
        "/api/v1/search/candidates?ladder_min=3&ladder_max=4&limit=100",
        "/api/v1/search/candidates?pc4=7241&max_km=12&limit=100",
        "/api/v1/search/candidates?q=medewerker&limit=100",
        "/api/v1/search/candidates?flags=needs_job_coach&limit=100",
    ];
    let pub_queries = [
        "/api/v1/search/placements?limit=100",
        "/api/v1/search/placements?q=orderpicker&limit=100",
        "/api/v1/search/placements?q=medewerker&limit=100",
        "/api/v1/search/placements?pc4=7201&max_km=15&limit=100",
        "/api/v1/search/placements?kind=reguliere_baan&hours=24&limit=100",
        "/api/v1/search/placements?with_support=true&language_level=1F&limit=100",
    ];
    async fn snapshot<S, B>(app: &common::TestApp<S>, qs: &[&str], tok: Option<&str>) -> Vec<(u64, Vec<String>, Value, Vec<String>)>
    where
        S: actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
        B: actix_web::body::MessageBody,
    {
        let mut out = Vec::new();
        for q in qs {
            let (s, v) = app.get(q, tok).await;
            assert_eq!(s, StatusCode::OK, "{q}: {v}");
            let ordered = ids(&v);
            let mut sorted = ordered.clone();
            sorted.sort();
            // Without free text the order is defined (newest first) and must match exactly;
            // with free text, BM25 statistics may count deleted documents, so compare the set.
            let order = if q.contains("q=") { vec![] } else { ordered };
            out.push((v["total"].as_u64().unwrap(), sorted, v["facets"].clone(), order));
        }
        out
    }
    let live_p = snapshot(&app, &pub_queries, None).await;
    let live_c = snapshot(&app, &km_queries, Some(&km)).await;
    assert!(live_p[1].0 == 1, "the updated placement is found: {:?}", live_p[1]);

    let beh = app.login("beheerder@lochem.demo").await;
    let (s, r) = app.post("/api/v1/admin/reindex", Some(&beh), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert!(r["placements"].as_u64().unwrap() >= 34);

    assert_eq!(snapshot(&app, &pub_queries, None).await, live_p);
    assert_eq!(snapshot(&app, &km_queries, Some(&km)).await, live_c);
}

#[actix_web::test]
async fn index_is_rebuilt_when_missing_or_of_another_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("index");
    let (_, why) = opstap::search::open(&p, false).unwrap();
    assert!(why.is_some(), "a missing index must be rebuilt");
    let (_, why) = opstap::search::open(&p, false).unwrap();
    assert_eq!(why, None, "an index of the current version is kept");
    std::fs::write(p.join("SCHEMA_VERSION"), "0").unwrap();
    let (_, why) = opstap::search::open(&p, false).unwrap();
    assert!(why.unwrap_or_default().contains("schema version"), "an index of another schema version must be rebuilt");

    // And at start-up the rebuilt index holds the database's contents.
    let db = common::fresh_db();
    let cfg = common::config_for(&db);
    let (state, startup) = actix_web::web::block(move || opstap::build_state(cfg, false)).await.unwrap().unwrap();
    assert!(startup.index.rebuilt.is_some());
    assert_eq!((startup.index.placements, startup.index.candidates), (32, 60));
    assert_eq!(state.engine.num_docs(), (32, 60));
}

/// Dutch search: a part of a compound finds the whole word, a typo of one letter is forgiven,
/// and a placement that has the word itself ranks above one that only has it inside a compound.
#[actix_web::test]
async fn dutch_compounds_and_typos_are_found_exact_words_first() {
    let app = common::app().await;
    let w = app.login("werkgever1@demo.nl").await;
    let mut made = Vec::new();
    for (title, desc) in [
        ("Fietsenmaker in de werkplaats", "Banden plakken en remmen afstellen."),
        ("Productiemedewerker verpakkingen", "Dozen vullen aan de lopende band."),
        ("Medewerker thuiszorg", "Ouderen helpen in hun eigen huis."),
        ("Fiets koerier", "Pakketjes bezorgen in de stad."),
    ] {
        let mut body = common::placement_body(None);
        body["title"] = json!(title);
        body["description"] = json!(desc);
        let (s, p) = app.post("/api/v1/placements", Some(&w), body).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        made.push(p["id"].as_str().unwrap().to_string());
    }
    app.flush_index().await;
    let search = |q: &'static str| {
        let app = &app;
        async move { ids(&app.get(&format!("/api/v1/search/placements?q={q}&limit=50"), None).await.1) }
    };
    // Parts of compounds.
    let hits = search("productie").await;
    assert!(hits.contains(&made[1]), "productie: {hits:?}");
    let hits = search("zorg").await;
    assert!(hits.contains(&made[2]), "zorg: {hits:?}");
    // Exact word first: "fiets" is a word of the courier's title and a part of "fietsenmaker".
    let hits = search("fiets").await;
    let (courier, maker) = (hits.iter().position(|h| h == &made[3]), hits.iter().position(|h| h == &made[0]));
    assert!(courier.is_some() && maker.is_some(), "fiets: {hits:?}");
    assert!(courier < maker, "the exact word ranks first: {hits:?}");
    // A typo of one letter.
    let hits = search("fietsenmakr").await;
    assert!(hits.contains(&made[0]), "fietsenmakr: {hits:?}");
    let hits = search("prodcutiemedewerker").await;
    assert!(!hits.contains(&made[3]), "no unrelated hit: {hits:?}");
    // Nothing of the kind: no hits at all, not everything.
    let hits = search("xylofoonstemmer").await;
    assert!(!hits.iter().any(|h| made.contains(h)), "{hits:?}");
}

/// Documents carry the ids of their occupation and skills; the labels' words are looked up when
/// a search runs. A placement is found by an alternative label of its occupation, a part of
/// one of its words, a typo in one, and a word of a skill's label; a label a beheerder gives a
/// skill finds its placements and candidates at once, without a reindex.
#[actix_web::test]
async fn occupation_and_skill_labels_are_searched_as_they_are_now() {
    let app = common::app().await;
    let w = app.login("werkgever1@demo.nl").await;
    let km = app.login("klantmanager1@lochem.demo").await;
    let beh = app.login("beheerder@lochem.demo").await;
    let occ = app.get("/api/v1/esco/occupations?q=fietsenmaker&limit=1", None).await.1["items"][0]["id"].as_str().unwrap().to_string();
    let skill = app.get("/api/v1/esco/skills?q=manage%20musical%20staff&limit=1", None).await.1["items"][0]["id"].as_str().unwrap().to_string();
    let mut body = common::placement_body(None);
    body["title"] = json!("Werkplaats algemeen");
    body["description"] = json!("Meewerken in een kleine werkplaats.");
    body["occupation_id"] = json!(occ);
    body["desired_skills"] = json!([skill]);
    let (s, p) = app.post("/api/v1/placements", Some(&w), body).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let pid = p["id"].as_str().unwrap().to_string();
    let mut c = common::candidate_body();
    c["skills"] = json!([{"skill_id": skill}]);
    let (s, cv) = app.post("/api/v1/candidates", Some(&km), c).await;
    assert_eq!(s, StatusCode::CREATED, "{cv}");
    let cid = cv["id"].as_str().unwrap().to_string();
    app.flush_index().await;
    let placements = |q: &'static str| {
        let app = &app;
        async move { ids(&app.get(&format!("/api/v1/search/placements?q={q}&limit=100"), None).await.1) }
    };
    // An alternative label of the occupation ("bromfietsreparateur"), as typed and as a part.
    for q in ["bromfietsreparateur", "bromfiets", "reparateur", "fietsenmakr", "musical", "fietsenmaker%20musical"] {
        assert!(placements(q).await.contains(&pid), "{q}");
    }
    // Every word must be found somewhere.
    assert!(!placements("fietsenmaker%20xylofoon").await.contains(&pid));
    assert!(!placements("xylofoon").await.contains(&pid));
    // The English label was the skill's label; a Dutch one replaces it, for search too.
    let (s, _) = app.put(&format!("/api/v1/esco/skills/{skill}"), Some(&beh), json!({"label_nl": "muzikaal personeel aansturen"})).await;
    assert_eq!(s, StatusCode::OK);
    within_a_second(&app, "/api/v1/search/placements?q=muzikaal&limit=100", None, |v| ids(v).contains(&pid)).await;
    within_a_second(&app, "/api/v1/search/candidates?q=muzikaal&limit=100", Some(&km), |v| ids(v).contains(&cid)).await;
    assert!(!placements("musical").await.contains(&pid), "the English label is no longer the skill's label");
    let (_, v) = app.get("/api/v1/search/candidates?q=musical&limit=100", Some(&km)).await;
    assert!(!ids(&v).contains(&cid), "{v}");
}

/// "Under 27" in the candidate search is the municipality's youth age on today's date, asked
/// from the birth dates at query time: changing the setting changes the result at once.
#[actix_web::test]
async fn the_youth_filter_uses_the_municipalitys_age_limit_at_query_time() {
    let app = common::app().await;
    let km = app.login("klantmanager1@lochem.demo").await;
    let (_, me) = app.get("/api/v1/me", Some(&km)).await;
    let mid = me["municipality_id"].as_str().unwrap().to_string();
    let expected = |years: i32| {
        let m = mid.clone();
        app.db(move |c| {
            use diesel::prelude::*;
            use opstap::db::schema::candidates;
            let born_after = opstap::clock::today().checked_sub_months(chrono::Months::new(12 * years as u32)).unwrap();
            let mut ids: Vec<String> = candidates::table
                .filter(candidates::municipality_id.eq(&m))
                .filter(candidates::status.eq("actief"))
                .filter(candidates::birth_date.gt(born_after))
                .select(candidates::id)
                .load(c)
                .unwrap();
            ids.sort();
            ids
        })
    };
    let found = |v: &serde_json::Value| {
        let mut ids: Vec<String> = v["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    };
    let (s, young) = app.get("/api/v1/search/candidates?flags=under_27&limit=100", Some(&km)).await;
    assert_eq!(s, StatusCode::OK, "{young}");
    let under27 = expected(27).await;
    assert!(!under27.is_empty(), "the demo has young people");
    assert_eq!(found(&young), under27);
    // The beheerder lowers the age to 25: fewer, without a reindex.
    let beh = app.login("beheerder@lochem.demo").await;
    let (_, cur) = app.get(&format!("/api/v1/municipalities/{mid}/settings"), Some(&beh)).await;
    let mut settings = cur["settings"].clone();
    settings["youth_age"] = json!(25);
    let (s, v) =
        app.put(&format!("/api/v1/municipalities/{mid}/settings"), Some(&beh), json!({"settings": settings, "version": cur["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, young) = app.get("/api/v1/search/candidates?flags=under_27&limit=100", Some(&km)).await;
    let under25 = expected(25).await;
    assert_eq!(found(&young), under25);
    assert!(under25.len() <= under27.len());
}
