//! Page behaviour that does not need a browser: session cookie flags, CSRF, login redirects,
//! role checks, security headers, JSON-LD only on published regular vacancies.

use crate::common;
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use diesel::prelude::*;
use opstap::db::schema::*;

fn header<'a>(h: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    h.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
}

/// (csrf cookie value) from a GET of the login page.
async fn csrf<S, B>(app: &common::TestApp<S>) -> String
where
    S: actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let (_, h, _) = app.raw(TestRequest::get().uri("/inloggen")).await;
    let c = header(&h, "set-cookie").into_iter().find(|c| c.starts_with("opstap_csrf=")).expect("csrf cookie").to_string();
    c.trim_start_matches("opstap_csrf=").split(';').next().unwrap().to_string()
}

async fn login<S, B>(app: &common::TestApp<S>, email: &str, back: &str) -> (StatusCode, Vec<(String, String)>, String)
where
    S: actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let token = csrf(app).await;
    let req = TestRequest::post().uri("/inloggen").insert_header(("Cookie", format!("opstap_csrf={token}"))).set_form([
        ("csrf", token.as_str()),
        ("email", email),
        ("password", common::PW),
        ("terug", back),
    ]);
    let (s, h, _) = app.raw(req).await;
    (s, h, token)
}

#[actix_web::test]
async fn session_cookie_csrf_redirects_and_headers() {
    let app = common::app().await;
    // Without a session a page sends you to the login page, with the way back.
    let (s, h, _) = app.raw(TestRequest::get().uri("/klantmanager?x=1")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(header(&h, "location"), vec!["/inloggen?terug=/klantmanager%3Fx%3D1"]);
    // Login: HttpOnly, SameSite=Strict, not Secure over plain http; back to where you were.
    let (s, h, _) = login(&app, "klantmanager1@lochem.demo", "/klantmanager").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(header(&h, "location"), vec!["/klantmanager"]);
    let session = header(&h, "set-cookie").into_iter().find(|c| c.starts_with("opstap_session=")).expect("session cookie").to_string();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict") && !session.contains("Secure"), "{session}");
    // No open redirect: every way a browser would leave the site lands on the role's home, and a
    // header-breaking target is no 500.
    for back in [
        "//evil.example/",
        "/\t/evil.example/",
        "/\\evil.example",
        "/%2F%2Fevil.example",
        "/\r\nSet-Cookie: x=1",
        "https://evil.example/",
        "/\n/evil.example",
    ] {
        let (s, h, _) = login(&app, "klantmanager1@lochem.demo", back).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{back:?}");
        assert_eq!(header(&h, "location"), vec!["/klantmanager"], "{back:?}");
    }
    let (_, h, _) = login(&app, "klantmanager1@lochem.demo", "/klantmanager/kandidaten/nieuw?x=1").await;
    assert_eq!(header(&h, "location"), vec!["/klantmanager/kandidaten/nieuw?x=1"]);
    // A wrong password: the form again, 422, no cookie.
    let token = csrf(&app).await;
    let req = TestRequest::post().uri("/inloggen").insert_header(("Cookie", format!("opstap_csrf={token}"))).set_form([
        ("csrf", token.as_str()),
        ("email", "klantmanager1@lochem.demo"),
        ("password", "fout"),
    ]);
    let (s, h, _) = app.raw(req).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(header(&h, "set-cookie").iter().all(|c| !c.starts_with("opstap_session=")));
    // Security headers on pages and on the API.
    for uri in ["/", "/plekken", "/api/v1/search/placements"] {
        let (_, h, _) = app.raw(TestRequest::get().uri(uri)).await;
        let csp = header(&h, "content-security-policy").join("");
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert_eq!(header(&h, "x-content-type-options"), vec!["nosniff"]);
        assert_eq!(header(&h, "x-frame-options"), vec!["DENY"]);
    }
}

#[actix_web::test]
async fn session_cookie_is_secure_behind_tls() {
    let app = common::app_with(|c| c.public_url = "https://opstap.example.nl".into()).await;
    let (_, h, _) = login(&app, "werkgever1@demo.nl", "").await;
    let session = header(&h, "set-cookie").into_iter().find(|c| c.starts_with("opstap_session=")).unwrap().to_string();
    assert!(session.contains("Secure"), "{session}");
}

#[actix_web::test]
async fn forms_without_the_csrf_token_change_nothing() {
    let app = common::app().await;
    let token = app.login("werkgever1@demo.nl").await;
    let count = || app.db(|c| placements::table.count().get_result::<i64>(c).unwrap());
    let before = count().await;
    let fields =
        [("kind", "vrijwilligerswerk"), ("title", "CSRF-poging"), ("hours_min", "4"), ("hours_max", "8"), ("pc4", "7241"), ("status", "open")];
    // No token, and a token that does not match the cookie.
    for (cookie, form_token) in
        [(String::new(), ""), ("opstap_csrf=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_string(), "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")]
    {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", form_token));
        let req =
            TestRequest::post().uri("/werkgever/plekken/nieuw").insert_header(("Cookie", format!("opstap_session={token}; {cookie}"))).set_form(form);
        let (s, h, _) = app.raw(req).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(header(&h, "content-type").join("").starts_with("text/html"));
    }
    assert_eq!(count().await, before);
    // With the token it works.
    let t = "cccccccccccccccccccccccccccccccccccccccc";
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf", t));
    let req = TestRequest::post()
        .uri("/werkgever/plekken/nieuw")
        .insert_header(("Cookie", format!("opstap_session={token}; opstap_csrf={t}")))
        .set_form(form);
    let (s, _, _) = app.raw(req).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(count().await, before + 1);
}

#[actix_web::test]
async fn roles_json_ld_and_unpublished_placements() {
    let app = common::app().await;
    let cand = app.login("kandidaat1@lochem.demo").await;
    let req = TestRequest::get().uri("/werkgever").insert_header(("Cookie", format!("opstap_session={cand}")));
    let (s, h, _) = app.raw(req).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(header(&h, "content-type").join("").starts_with("text/html"));
    let ids: Vec<(String, String, String)> = app
        .db(|c| {
            placements::table
                .inner_join(organisations::table)
                .filter(organisations::verified.eq(true))
                .select((placements::id, placements::kind, placements::status))
                .load(c)
                .unwrap()
        })
        .await;
    let regular = ids.iter().find(|(_, k, s)| k == "reguliere_baan" && s == "open").expect("open regular job");
    let (s, html) = app.html(&format!("/plekken/{}", regular.0)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(r#"<script type="application/ld+json">"#) && html.contains(r#""@type":"JobPosting""#), "JSON-LD on a regular job");
    let other = ids.iter().find(|(_, k, s)| k == "werkervaringsplaats" && s == "open").expect("open werkervaringsplaats");
    let (s, html) = app.html(&format!("/plekken/{}", other.0)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains("application/ld+json"), "no JobPosting for a placement that is not a vacancy");
    // A draft is not public.
    let id = regular.0.clone();
    app.db(move |c| diesel::update(placements::table.find(&id)).set(placements::status.eq("draft")).execute(c).unwrap()).await;
    let (s, _) = app.html(&format!("/plekken/{}", regular.0)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn klantmanager_edits_a_profile_through_the_form_and_keeps_what_the_form_does_not_show() {
    let app = common::app().await;
    let km = app.login("klantmanager1@lochem.demo").await;
    let (_, list) = app.get("/api/v1/candidates?mine=true&limit=1", Some(&km)).await;
    let c = list["items"][0].clone();
    let id = c["id"].as_str().unwrap().to_string();
    let skills_before = c["skills"].as_array().unwrap().len();
    assert!(skills_before > 0);
    let t = "dddddddddddddddddddddddddddddddddddddddd";
    let cookie = format!("opstap_session={km}; opstap_csrf={t}");
    let occ: Vec<String> = c["occupations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["occupation"]["id"].as_str().or(o["occupation_id"].as_str()).unwrap().to_string())
        .collect();
    let version = c["version"].to_string();
    let mut form: Vec<(String, String)> = vec![
        ("csrf", t),
        ("version", &version),
        ("first_name", "Geertje"),
        ("last_name", c["last_name"].as_str().unwrap()),
        ("birth_date", c["birth_date"].as_str().unwrap()),
        ("pc4", c["pc4"].as_str().unwrap()),
        ("education_level", c["education_level"].as_str().unwrap()),
        ("hours_min", "40"),
        ("hours_max", "12"),
        ("max_travel_km", "veel"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    for o in &occ {
        form.push(("occupation_keep".into(), o.clone()));
    }
    let req = TestRequest::post().uri(&format!("/klantmanager/kandidaten/{id}/bewerken")).insert_header(("Cookie", cookie.clone())).set_form(&form);
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string();
    assert!(html.contains(r##"href="#max_travel_km""##) && html.contains(r##"href="#hours_min""##), "every wrong field in the summary");
    assert!(html.contains(r#"value="Geertje""#), "input kept");
    let (_, still) = app.get(&format!("/api/v1/candidates/{id}"), Some(&km)).await;
    assert_eq!(still["first_name"], c["first_name"], "nothing stored");
    // Fixed: saved, and skills and occupations stay.
    for (k, v) in form.iter_mut() {
        match k.as_str() {
            "hours_min" => *v = "12".into(),
            "hours_max" => *v = "24".into(),
            "max_travel_km" => *v = "20".into(),
            _ => {}
        }
    }
    let req = TestRequest::post().uri(&format!("/klantmanager/kandidaten/{id}/bewerken")).insert_header(("Cookie", cookie)).set_form(&form);
    let (s, h, _) = app.raw(req).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{h:?}");
    let (_, after) = app.get(&format!("/api/v1/candidates/{id}"), Some(&km)).await;
    assert_eq!(after["first_name"], "Geertje");
    assert_eq!(after["hours_max"], 24);
    assert_eq!(after["skills"].as_array().unwrap().len(), skills_before);
    assert_eq!(after["occupations"].as_array().unwrap().len(), occ.len());
    // The shared service records the door the klantmanager used: the form is "page", the JSON
    // API "api".
    let cid = id.clone();
    let (channels, api_views): (Vec<(String, String)>, i64) = app
        .db(move |c| {
            use diesel::prelude::*;
            use opstap::db::schema::audit_log;
            let mine = audit_log::table.filter(audit_log::candidate_id.eq(&cid));
            let updates = mine.filter(audit_log::action.eq("update")).select((audit_log::what, audit_log::channel)).load(c).unwrap();
            let api = mine.filter(audit_log::channel.eq("api")).count().get_result(c).unwrap();
            (updates, api)
        })
        .await;
    assert!(!channels.is_empty() && channels.iter().all(|(_, ch)| ch == "page"), "{channels:?}");
    assert!(api_views > 0);
}

#[actix_web::test]
async fn a_candidate_stops_the_e_mail_alerts_from_its_page() {
    let app = common::app().await;
    let cand = app.login("kandidaat1@lochem.demo").await;
    let (s, _) = app.put("/api/v1/me/saved-search", Some(&cand), serde_json::json!({"kind": "vrijwilligerswerk"})).await;
    assert_eq!(s, StatusCode::OK);
    let t = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
    let cookie = format!("opstap_session={cand}; opstap_csrf={t}");
    let (s, html) = {
        let req = TestRequest::get().uri("/kandidaat/gegevens").insert_header(("Cookie", cookie.clone()));
        let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
        (resp.status(), String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string())
    };
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Stop deze e-mails") && html.contains("Vrijwilligerswerk"), "the saved search is shown with a way to stop it");
    let req = TestRequest::post().uri("/kandidaat/zoekopdracht/stoppen").insert_header(("Cookie", cookie)).set_form([("csrf", t)]);
    let (s, _, _) = app.raw(req).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _) = app.get("/api/v1/me/saved-search", Some(&cand)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn logout_ends_the_session_on_the_server() {
    let app = common::app().await;
    let (_, h, csrf_token) = login(&app, "klantmanager1@lochem.demo", "").await;
    let session = header(&h, "set-cookie").into_iter().find(|c| c.starts_with("opstap_session=")).unwrap().to_string();
    let session = session.trim_start_matches("opstap_session=").split(';').next().unwrap().to_string();
    let cookie = format!("opstap_session={session}; opstap_csrf={csrf_token}");
    let (s, _, _) = app.raw(TestRequest::get().uri("/klantmanager").insert_header(("Cookie", cookie.clone()))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) =
        app.raw(TestRequest::post().uri("/uitloggen").insert_header(("Cookie", cookie.clone())).set_form([("csrf", csrf_token.as_str())])).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // The same cookie (kept by an attacker, or a second tab) no longer works, on pages or the API.
    let (s, h, _) = app.raw(TestRequest::get().uri("/klantmanager").insert_header(("Cookie", cookie))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(header(&h, "location")[0].starts_with("/inloggen"));
    assert_eq!(app.get("/api/v1/me", Some(&session)).await.0, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn the_login_form_is_throttled_too() {
    let app = common::app().await;
    let mut last = StatusCode::OK;
    let mut retry = Vec::new();
    for _ in 0..6 {
        let token = csrf(&app).await;
        let req = TestRequest::post().uri("/inloggen").insert_header(("Cookie", format!("opstap_csrf={token}"))).set_form([
            ("csrf", token.as_str()),
            ("email", "werkgever4@demo.nl"),
            ("password", "verkeerd-wachtwoord"),
        ]);
        let (s, h, _) = app.raw(req).await;
        last = s;
        retry = header(&h, "retry-after").into_iter().map(String::from).collect();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry.len(), 1);
    // The right password has to wait as well.
    let (s, _, _) = login(&app, "werkgever4@demo.nl", "").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}

#[actix_web::test]
async fn a_search_without_results_suggests_what_to_try() {
    let app = common::app().await;
    let (s, html) = app.html("/plekken?q=hovenier+xylofoon&soort=vrijwilligerswerk").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("0 plekken gevonden"), "{html}");
    assert!(html.contains("Probeer dit"), "{html}");
    // Each suggestion finds something: here the occupation on its own, without the filter.
    assert!(html.contains("/plekken?q=hovenier"), "{html}");
}

#[actix_web::test]
async fn a_beheerder_gives_a_skill_people_see_a_dutch_name() {
    let app = common::app().await;
    let t = "ffffffffffffffffffffffffffffffffffffffff";
    let get = |cookie: String, path: String| {
        let app = &app;
        async move {
            let req = TestRequest::get().uri(&path).insert_header(("Cookie", cookie));
            let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
            (resp.status(), String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string())
        }
    };
    let beheer = format!("opstap_session={}; opstap_csrf={t}", app.login("beheerder@lochem.demo").await);
    let km = format!("opstap_session={}; opstap_csrf={t}", app.login("klantmanager1@lochem.demo").await);
    assert_eq!(get(km, "/beheer/vaardigheden".into()).await.0, StatusCode::FORBIDDEN);

    // The work list: skills in use without a Dutch name.
    let (s, html) = get(beheer.clone(), "/beheer/vaardigheden".into()).await;
    assert_eq!(s, StatusCode::OK);
    let id = html.split("href=\"/beheer/vaardigheden/").nth(1).expect("a skill to name").split('"').next().unwrap().to_string();
    let sid = id.clone();
    let placement: Option<String> = app
        .db(move |c| {
            placement_skills::table
                .inner_join(placements::table)
                .filter(placement_skills::skill_id.eq(&sid))
                .filter(placements::status.eq("open"))
                .select(placements::id)
                .first(c)
                .optional()
                .unwrap()
        })
        .await;
    let label = "veilig werken met gereedschap";

    // An empty name is refused, naming the field; nothing changes.
    let req = TestRequest::post().uri(&format!("/beheer/vaardigheden/{id}")).insert_header(("Cookie", beheer.clone())).set_form([
        ("csrf", t),
        ("label_nl", " "),
        ("alt_labels_nl", ""),
    ]);
    let (s, _, _) = app.raw(req).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, form) = get(beheer.clone(), format!("/beheer/vaardigheden/{id}")).await;
    assert!(form.contains("Engelse naam (ESCO)") && !form.contains(label));

    let req = TestRequest::post().uri(&format!("/beheer/vaardigheden/{id}")).insert_header(("Cookie", beheer.clone())).set_form([
        ("csrf", t),
        ("label_nl", label),
        ("alt_labels_nl", "gereedschap veilig gebruiken\r\n\r\nveiligheid"),
    ]);
    let (s, h, _) = app.raw(req).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(header(&h, "location")[0].contains("opgeslagen="));
    let (_, list) = get(beheer.clone(), format!("/beheer/vaardigheden?opgeslagen={id}")).await;
    assert!(list.contains(&format!("Opgeslagen: {label}")), "{list}");
    // It is no longer on the work list, and it is found by its synonym in the suggestions.
    assert!(!list.contains(&format!("href=\"/beheer/vaardigheden/{id}\"")));
    let (_, sug) = app.get("/api/v1/esco/skills?q=gereedschap+veilig", None).await;
    assert!(sug["items"].as_array().unwrap().iter().any(|i| i["id"] == id.as_str()), "{sug}");
    // People see the Dutch name where the skill is used.
    let p = placement.expect("the most used skill is on an open placement");
    let (s, page) = app.html(&format!("/plekken/{p}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(label), "{page}");
}

/// The search page lists what the search API finds, in the index's order, with each hit's support.
#[actix_web::test]
async fn the_search_page_shows_the_apis_hits_in_the_same_order_with_their_support() {
    let app = common::app().await;
    let (s, api) = app.get("/api/v1/search/placements?q=medewerker&limit=50", None).await;
    assert_eq!(s, StatusCode::OK);
    let api_ids: Vec<String> = api["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect();
    assert!(api_ids.len() > 2, "the demo has several matches: {api}");
    let (s, html) = app.html("/plekken?q=medewerker").await;
    assert_eq!(s, StatusCode::OK);
    let mut page_ids: Vec<String> = Vec::new();
    for part in html.split("href=\"/plekken/").skip(1) {
        let id: String = part.chars().take_while(|c| *c != '"' && *c != '?' && *c != '#').collect();
        if !id.is_empty() && !page_ids.contains(&id) {
            page_ids.push(id);
        }
    }
    assert_eq!(page_ids, api_ids);
    let coach = api["hits"].as_array().unwrap().iter().filter(|h| h["job_coach_welcome"] == true).count();
    assert!(coach > 0, "some demo hits welcome a job coach");
    assert_eq!(html.matches("jobcoach welkom").count(), coach, "{html}");
}

/// Money on the forms is read the Dutch way: "15,50" is € 15,50; "15.5" is refused with a message
/// that asks for a comma (it was stored as € 155), and the form comes back with the input.
#[actix_web::test]
async fn euro_amounts_on_the_forms_are_read_the_dutch_way() {
    let app = common::app().await;
    let token = app.login("werkgever1@demo.nl").await;
    let t = "dddddddddddddddddddddddddddddddddddddddd";
    let post = |wage: &'static str, title: &'static str| {
        let form: Vec<(&str, &str)> = vec![
            ("kind", "reguliere_baan"),
            ("title", title),
            ("description", "Afwassen en schoonmaken in de keuken."),
            ("hours_min", "16"),
            ("hours_max", "24"),
            ("pc4", "7241"),
            ("hourly_wage_cents", wage),
            ("status", "open"),
            ("csrf", t),
        ];
        TestRequest::post()
            .uri("/werkgever/plekken/nieuw")
            .insert_header(("Cookie", format!("opstap_session={token}; opstap_csrf={t}")))
            .set_form(form)
    };
    let wage_of = |title: &'static str| {
        app.db(move |c| {
            placements::table.filter(placements::title.eq(title)).select(placements::hourly_wage_cents).first::<Option<i32>>(c).optional().unwrap()
        })
    };
    let resp = actix_web::test::call_service(&app.svc, post("15.5", "Afwasser punt").to_request()).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = String::from_utf8(actix_web::test::read_body(resp).await.to_vec()).unwrap();
    assert!(html.contains("komma"), "the form says to use a comma: {html}");
    assert!(html.contains("15.5"), "the input is kept");
    assert_eq!(wage_of("Afwasser punt").await, None, "nothing stored");
    let (s, _, _) = app.raw(post("15,50", "Afwasser komma")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(wage_of("Afwasser komma").await, Some(Some(1550)));
}
