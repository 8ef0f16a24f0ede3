use crate::common::{self, assert_field_error};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use diesel::prelude::*;
use opstap::db::schema::{organisations, placements};
use serde_json::json;

async fn count_placements<S, B>(app: &common::TestApp<S>) -> i64
where
    S: actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    app.db(|c| placements::table.count().get_result::<i64>(c).unwrap()).await
}

#[actix_web::test]
async fn placement_rules_give_field_errors_and_store_nothing() {
    let app = common::app().await;
    let tok = app.login("werkgever1@demo.nl").await;
    let before = count_placements(&app).await;

    let cases: Vec<(serde_json::Value, &str)> = vec![
        (json!({"pc4": "1000"}), "pc4"),
        (json!({"pc4": "72A1"}), "pc4"),
        (json!({"hours_min": 30, "hours_max": 20}), "hours_min"),
        (json!({"hours_min": 30, "hours_max": 20}), "hours_max"),
        (json!({"hours_max": 61}), "hours_max"),
        (json!({"kind": "proefplaatsing", "duration_months": 7}), "duration_months"),
        (json!({"kind": "proefplaatsing", "duration_months": 6, "extension_months": 5}), "extension_months"),
        (json!({"kind": "proefplaatsing", "duration_months": null}), "duration_months"),
        (json!({"ladder_steps": [3, 7]}), "ladder_steps[1]"),
        (json!({"ladder_steps": [0]}), "ladder_steps[0]"),
        (json!({"kind": "reguliere_baan"}), "hourly_wage_cents"),
        (json!({"hourly_wage_cents": 1500}), "hourly_wage_cents"),
        (json!({"language_level_required": "Z9"}), "language_level_required"),
        (json!({"occupation_id": "not-an-esco-id"}), "occupation_id"),
        (json!({"required_skills": ["nope"]}), "required_skills[0]"),
        (json!({"status": "gepubliceerd"}), "status"),
        (json!({"title": ""}), "title"),
        (json!({"kind": "baan"}), "kind"),
        (json!({"hours_min": "veel"}), "hours_min"),
    ];
    for (patch, field) in cases {
        let mut body = common::placement_body(None);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, v) = app.post("/api/v1/placements", Some(&tok), body).await;
        assert_field_error(s, &v, field);
    }
    // A missing required field is named too.
    let mut body = common::placement_body(None);
    body.as_object_mut().unwrap().remove("title");
    let (s, v) = app.post("/api/v1/placements", Some(&tok), body).await;
    assert_field_error(s, &v, "title");
    // Several errors at once.
    let mut body = common::placement_body(None);
    body["pc4"] = json!("1000");
    body["hours_min"] = json!(40);
    body["hours_max"] = json!(10);
    let (s, v) = app.post("/api/v1/placements", Some(&tok), body).await;
    assert_field_error(s, &v, "pc4");
    assert_field_error(s, &v, "hours_min");

    // Malformed JSON: 400; not JSON at all: 400.
    let (s, _, v) = app
        .raw(
            TestRequest::post()
                .uri("/api/v1/placements")
                .insert_header(("Authorization", format!("Bearer {tok}")))
                .insert_header(("content-type", "application/json"))
                .set_payload("{\"kind\": "),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["code"], "bad_request");
    let (s, _, _) =
        app.raw(TestRequest::post().uri("/api/v1/placements").insert_header(("Authorization", format!("Bearer {tok}"))).set_payload("kind=x")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    assert_eq!(count_placements(&app).await, before, "a rejected request stored something");

    // Valid trial placement of exactly the legal maximum is accepted.
    let mut ok = common::placement_body(None);
    ok["kind"] = json!("proefplaatsing");
    ok["duration_months"] = json!(6);
    ok["extension_months"] = json!(4);
    let (s, v) = app.post("/api/v1/placements", Some(&tok), ok).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["ladder_steps"], json!([4, 5]), "default ladder steps of a trial placement");
    let id = v["id"].as_str().unwrap().to_string();

    // A rejected update changes nothing.
    let mut bad = common::placement_body(None);
    bad["title"] = json!("Andere titel");
    bad["hours_min"] = json!(50);
    bad["hours_max"] = json!(10);
    let (s, v) = app.put(&format!("/api/v1/placements/{id}"), Some(&tok), bad).await;
    assert_field_error(s, &v, "hours_min");
    let (_, cur) = app.get(&format!("/api/v1/placements/{id}"), Some(&tok)).await;
    assert_eq!(cur["title"], "Werkervaringsplaats groenonderhoud");
    assert_eq!(cur["version"], 1);

    // Optimistic concurrency: version 1 succeeds once, the stale second write gets 409.
    let mut upd = common::placement_body(None);
    upd["title"] = json!("Nieuwe titel");
    upd["version"] = json!(1);
    let (s, v) = app.put(&format!("/api/v1/placements/{id}"), Some(&tok), upd.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2);
    let (s, v) = app.put(&format!("/api/v1/placements/{id}"), Some(&tok), upd).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["code"], "stale_version");

    // Unknown id: 404. Bad query parameter: 4xx, not 500.
    let (s, v) = app.get("/api/v1/placements/00000000-0000-0000-0000-000000000000", Some(&tok)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["code"], "not_found");
    let (s, _) = app.get("/api/v1/search/placements?hours=veel", None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, v) = app.get("/api/v1/search/placements?max_km=10", None).await;
    assert_field_error(s, &v, "pc4");
    let (s, v) = app.get("/api/v1/search/placements?pc4=1000&max_km=10", None).await;
    assert_field_error(s, &v, "pc4");
}

#[actix_web::test]
async fn organisation_candidate_and_ladder_rules() {
    let app = common::app().await;
    let km = app.login("klantmanager1@lochem.demo").await;
    let org = json!({"name": "Test BV", "kvk_number": "1234567", "sector": "Bouw", "pc4": "7241", "contact_name": "A", "contact_email": "a@b.nl"});
    let (s, v) = app.post("/api/v1/organisations", Some(&km), org.clone()).await;
    assert_field_error(s, &v, "kvk_number");
    let mut o2 = org.clone();
    o2["kvk_number"] = json!("12A45678");
    o2["contact_email"] = json!("geen-email");
    let (s, v) = app.post("/api/v1/organisations", Some(&km), o2).await;
    assert_field_error(s, &v, "kvk_number");
    assert_field_error(s, &v, "contact_email");
    // Registration names the nested field.
    let reg = json!({"organisation": org, "name": "A", "email": "a@example.org", "password": "kort"});
    let (s, v) = app.post("/api/v1/auth/register-employer", None, reg).await;
    assert_field_error(s, &v, "organisation.kvk_number");
    assert_field_error(s, &v, "password");
    let n: i64 = app.db(|c| organisations::table.filter(organisations::name.eq("Test BV")).count().get_result(c).unwrap()).await;
    assert_eq!(n, 0);

    // Candidates
    for (patch, field) in [
        (json!({"ladder_step": 7}), "ladder_step"),
        (json!({"ladder_step": 0}), "ladder_step"),
        (json!({"pc4": "1000"}), "pc4"),
        (json!({"hours_min": 40, "hours_max": 20}), "hours_min"),
        (json!({"birth_date": "2090-01-01"}), "birth_date"),
        (json!({"loonwaarde": 120, "loonwaarde_date": "2026-01-01"}), "loonwaarde"),
        (json!({"loonwaarde": 50}), "loonwaarde_date"),
        (json!({"zrm_scores": {"financien": 6}}), "zrm_scores.financien"),
        (json!({"zrm_scores": {"onbekend": 3}}), "zrm_scores.onbekend"),
        (json!({"language_level": "vloeiend"}), "language_level"),
        (json!({"status": "uitgestroomd"}), "outflow_reason"),
        (json!({"occupations": [{"occupation_id": "x"}]}), "occupations[0].occupation_id"),
        (json!({"skills": [{"level": "basis"}]}), "skills[0]"),
        (json!({"email": "niet-goed"}), "email"),
        (json!({"birth_date": "17-05-1990"}), "birth_date"),
    ] {
        let mut body = common::candidate_body();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, v) = app.post("/api/v1/candidates", Some(&km), body).await;
        assert_field_error(s, &v, field);
    }

    // Ladder measurements: step and target step 1..6.
    let (s, c) = app.post("/api/v1/candidates", Some(&km), common::candidate_body()).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_str().unwrap();
    assert_eq!(c["ladder_step"], 3);
    let path = format!("/api/v1/candidates/{cid}/ladder-measurements");
    let (s, v) = app.post(&path, Some(&km), json!({"measured_on": "2026-01-10", "step": 7})).await;
    assert_field_error(s, &v, "step");
    let (s, v) = app.post(&path, Some(&km), json!({"measured_on": "2026-01-10", "step": 4, "target_step": 0})).await;
    assert_field_error(s, &v, "target_step");
    let (_, list) = app.get(&path, Some(&km)).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "rejected measurements were stored: {list}");
    let (s, v) =
        app.post(&format!("/api/v1/candidates/{cid}/contact-moments"), Some(&km), json!({"contact_date": "2026-01-10", "channel": "postduif"})).await;
    assert_field_error(s, &v, "channel");
}

#[actix_web::test]
async fn strict_json_named_query_parameters_and_sane_dates() {
    let app = common::app().await;
    let tok = app.login("werkgever1@demo.nl").await;
    let before = count_placements(&app).await;
    // Trailing data after the JSON value is refused, and nothing is stored.
    let body = format!("{}xyz", common::placement_body(None));
    let req = TestRequest::post()
        .uri("/api/v1/placements")
        .insert_header(("Authorization", format!("Bearer {tok}")))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body);
    let (s, _, v) = app.raw(req).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(count_placements(&app).await, before);
    // A query-parameter error names the parameter, not "query".
    let (s, v) = app.get("/api/v1/placements?limit=veel", None).await;
    assert_field_error(s, &v, "limit");
    // Dates outside 1900-2100 are typing errors, refused with the field named.
    for d in ["0001-01-01", "2101-01-01", "1899-12-31"] {
        let mut body = common::placement_body(None);
        body["start_date"] = json!(d);
        let (s, v) = app.post("/api/v1/placements", Some(&tok), body).await;
        assert_field_error(s, &v, "start_date");
    }
    let mut body = common::placement_body(None);
    body["start_date"] = json!("-0001-01-01");
    let (s, _) = app.post("/api/v1/placements", Some(&tok), body).await;
    assert!(s.is_client_error(), "{s}");
    assert_eq!(count_placements(&app).await, before);
    // A search text has a length limit.
    let long = "a".repeat(201);
    let (s, v) = app.get(&format!("/api/v1/search/placements?q={long}"), None).await;
    assert_field_error(s, &v, "q");
    // Stored texts have limits: lists of short texts, e-mail addresses.
    let km = app.login("klantmanager1@lochem.demo").await;
    let mut c = common::candidate_body();
    c["sector_preferences"] = json!((0..21).map(|i| format!("sector {i}")).collect::<Vec<_>>());
    let (s, v) = app.post("/api/v1/candidates", Some(&km), c).await;
    assert_field_error(s, &v, "sector_preferences");
    let mut c = common::candidate_body();
    c["sector_preferences"] = json!(["x".repeat(101)]);
    let (s, v) = app.post("/api/v1/candidates", Some(&km), c).await;
    assert_field_error(s, &v, "sector_preferences[0]");
    let mut c = common::candidate_body();
    c["email"] = json!(format!("{}@example.org", "a".repeat(250)));
    let (s, v) = app.post("/api/v1/candidates", Some(&km), c).await;
    assert_field_error(s, &v, "email");
    // The algorithm register is public, as its OpenAPI entry says.
    let (s, _) = app.get("/api/v1/monitor/algorithm-register", None).await;
    assert_eq!(s, StatusCode::OK);
    let (_, spec) = app.get("/api/v1/openapi.json", None).await;
    let sec = &spec["paths"]["/api/v1/monitor/algorithm-register"]["get"]["security"];
    assert!(sec.as_array().is_some_and(|a| a.iter().all(|x| x.as_object().is_some_and(|o| o.is_empty()))), "{sec}");
}

/// Every write endpoint of the API (from its OpenAPI description) refuses a field it does not
/// know with 422 naming it, and never stores anything for it; a control character in a text is
/// refused the same way.
#[actix_web::test]
async fn unknown_fields_and_control_characters_are_refused_on_every_write_endpoint() {
    let app = common::app().await;
    let mut tokens = vec![None];
    for e in ["beheerder@lochem.demo", "klantmanager1@lochem.demo", "werkgever1@demo.nl", "kandidaat1@lochem.demo"] {
        tokens.push(Some(app.login(e).await));
    }
    let (_, spec) = app.get("/api/v1/openapi.json", None).await;
    let mut checked = vec![];
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch"] {
            let Some(op) = ops.get(method) else { continue };
            if op.get("requestBody").is_none() {
                continue;
            }
            let uri = path
                .split('/')
                .map(|seg| if seg.starts_with('{') { "0190a000-0000-7000-8000-000000000000" } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            let m = actix_web::http::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            // A file upload (multipart/form-data): an unknown part is refused by name, and a JSON
            // body is a 4xx naming the file.
            if op["requestBody"]["content"].get("application/json").is_none() {
                let b = "grens-onbekend";
                let body = format!("--{b}\r\nContent-Disposition: form-data; name=\"zz_onbekend\"\r\n\r\n1\r\n--{b}--\r\n");
                let req = actix_web::test::TestRequest::default()
                    .method(m.clone())
                    .uri(&uri)
                    .insert_header(("Authorization", format!("Bearer {}", tokens[1].as_deref().unwrap())))
                    .insert_header(("Content-Type", format!("multipart/form-data; boundary={b}")))
                    .set_payload(body);
                let (s, _, v) = app.raw(req).await;
                assert_field_error(s, &v, "zz_onbekend");
                let (s, v) = app.call(m.clone(), &uri, tokens[1].as_deref(), Some(json!({"zz_onbekend": 1}))).await;
                assert!(s.is_client_error() && v["fields"][0]["field"] == "file", "{method} {path}: {s} {v}");
                checked.push(format!("{method} {path}"));
                continue;
            }
            let mut named = false;
            for t in &tokens {
                let (s, v) = app.call(m.clone(), &uri, t.as_deref(), Some(json!({"zz_onbekend": 1}))).await;
                assert!(!s.is_success() && !s.is_server_error(), "{method} {path}: {s} {v}");
                if s == StatusCode::UNPROCESSABLE_ENTITY {
                    named |= v["fields"].as_array().is_some_and(|f| f.iter().any(|f| f["field"] == "zz_onbekend"));
                }
            }
            assert!(named, "{method} {path}: an unknown field is not refused by name for any role");
            checked.push(format!("{method} {path}"));
        }
    }
    assert!(checked.len() >= 18, "write endpoints found: {checked:?}");
    // `PUT /me/saved-search` with only unknown fields no longer empties the saved search.
    let k = app.login("kandidaat1@lochem.demo").await;
    let (s, v) = app.put("/api/v1/me/saved-search", Some(&k), json!({"zoekterm": "kok"})).await;
    assert_field_error(s, &v, "zoekterm");
    // A NUL character in a text is refused by name, and nothing is stored.
    let w = app.login("werkgever1@demo.nl").await;
    let before = count_placements(&app).await;
    let mut body = common::placement_body(None);
    body["title"] = json!("Kok\u{0}in de keuken");
    let (s, v) = app.post("/api/v1/placements", Some(&w), body).await;
    assert_field_error(s, &v, "title");
    assert_eq!(count_placements(&app).await, before);
    eprintln!("strict bodies: {} write endpoints refuse unknown fields by name", checked.len());
}
