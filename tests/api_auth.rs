use crate::common::{self, PW};
use actix_web::http::StatusCode;
use base64::Engine;
use diesel::prelude::*;
use serde_json::json;

const SECRET: &str = "test-secret-test-secret-test-secret"; // Config::for_dir

fn b64(v: &serde_json::Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

#[actix_web::test]
async fn login_me_and_rejected_tokens() {
    let app = common::app().await;
    // E-mail is case-insensitive.
    let tok = app.login("KlantManager1@Lochem.DEMO").await;
    let (s, me) = app.get("/api/v1/me", Some(&tok)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["role"], "klantmanager");
    assert_eq!(me["email"], "klantmanager1@lochem.demo");

    // Wrong password and unknown e-mail: the same 401.
    let (s1, v1) = app.post("/api/v1/auth/login", None, json!({"email": "klantmanager1@lochem.demo", "password": "wrong-password"})).await;
    let (s2, v2) = app.post("/api/v1/auth/login", None, json!({"email": "nobody@lochem.demo", "password": PW})).await;
    assert_eq!((s1, s2), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(v1["message"], v2["message"]);

    // No token.
    assert_eq!(app.get("/api/v1/me", None).await.0, StatusCode::UNAUTHORIZED);

    // Tampered payload (role changed, signature kept).
    let parts: Vec<&str> = tok.split('.').collect();
    let claims: serde_json::Value = serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let mut forged = claims.clone();
    forged["role"] = json!("beheerder");
    let tampered = format!("{}.{}.{}", parts[0], b64(&forged), parts[2]);
    assert_eq!(app.get("/api/v1/me", Some(&tampered)).await.0, StatusCode::UNAUTHORIZED);

    // alg: none
    let none = format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), parts[1]);
    assert_eq!(app.get("/api/v1/me", Some(&none)).await.0, StatusCode::UNAUTHORIZED);

    // Another algorithm with the right secret is rejected too (HS256 only).
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(app.get("/api/v1/me", Some(&hs512)).await.0, StatusCode::UNAUTHORIZED);

    // Expired (well past the leeway), correctly signed.
    let mut old = claims.clone();
    old["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &old,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let (s, v) = app.get("/api/v1/me", Some(&expired)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(v["message"].as_str().unwrap().contains("verlopen"), "{v}");

    // A correctly signed, unexpired token with our secret still works (control).
    let mut fresh = claims.clone();
    fresh["exp"] = json!(chrono::Utc::now().timestamp() + 600);
    let good = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &fresh,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(app.get("/api/v1/me", Some(&good)).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn employer_registers_prepares_placements_and_is_published_after_verification() {
    let app = common::app().await;
    let body = json!({
        "organisation": {"name": "Kringloop De Keerkring", "kvk_number": "12312312", "sector": "Kringloop", "pc4": "7241",
                          "contact_name": "Els Aarts", "contact_email": "els@keerkring.example"},
        "name": "Els Aarts", "email": "Els@Keerkring.example", "password": "een-goed-wachtwoord"
    });
    let (s, reg) = app.post("/api/v1/auth/register-employer", None, body.clone()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{reg}");
    assert!(reg.get("token").is_none(), "{reg}");
    let tok = app.login_pw("els@keerkring.example", "een-goed-wachtwoord").await;
    let (_, me) = app.get("/api/v1/me", Some(&tok)).await;
    assert_eq!(me["role"], "werkgever");
    assert_eq!(me["organisation_verified"], false);
    let org = me["organisation_id"].as_str().unwrap().to_string();
    let outbox = |kind: &'static str, to: &'static str| {
        use opstap::db::schema::outbox;
        app.db(move |c| outbox::table.filter(outbox::kind.eq(kind)).filter(outbox::to_address.eq(to)).count().get_result::<i64>(c).unwrap())
    };
    assert_eq!(outbox("registration_welcome", "Els@Keerkring.example").await, 1);

    // The same e-mail (other case) again: the same answer as a new one (no account enumeration),
    // nothing created, and the owner gets a mail about it.
    let orgs_before = app.db(|c| opstap::db::schema::organisations::table.count().get_result::<i64>(c).unwrap()).await;
    let mut again = body.clone();
    again["organisation"]["kvk_number"] = json!("45645645");
    again["email"] = json!("els@KEERKRING.example");
    let (s2, v2) = app.post("/api/v1/auth/register-employer", None, again).await;
    assert_eq!((s2, &v2), (s, &reg));
    assert_eq!(app.db(|c| opstap::db::schema::organisations::table.count().get_result::<i64>(c).unwrap()).await, orgs_before);
    assert_eq!(outbox("registration_exists", "Els@Keerkring.example").await, 1);
    // A candidate's address answers the same too.
    let mut cand = body.clone();
    cand["organisation"]["kvk_number"] = json!("78978978");
    cand["email"] = json!("kandidaat1@lochem.demo");
    let (s3, v3) = app.post("/api/v1/auth/register-employer", None, cand).await;
    assert_eq!((s3, &v3), (s, &reg));
    // A KvK number already registered answers as a new one too: nothing is created, the
    // organisation and the new address hear of it by mail.
    let mut again = body.clone();
    again["email"] = json!("ander@keerkring.example");
    let (s_kvk, v) = app.post("/api/v1/auth/register-employer", None, again.clone()).await;
    assert_eq!((s_kvk, &v), (s, &reg));
    assert_eq!(app.db(|c| opstap::db::schema::organisations::table.count().get_result::<i64>(c).unwrap()).await, orgs_before);
    assert_eq!(outbox("registration_kvk_used", "Els@Keerkring.example").await, 1);
    assert_eq!(outbox("registration_kvk_taken", "ander@keerkring.example").await, 1);
    // Each owner hears of it at most once a day, however often it is tried.
    for _ in 0..3 {
        assert_eq!(app.post("/api/v1/auth/register-employer", None, again.clone()).await.0, s);
        let mut known = body.clone();
        known["organisation"]["kvk_number"] = json!("45645645");
        assert_eq!(app.post("/api/v1/auth/register-employer", None, known).await.0, s);
    }
    assert_eq!(outbox("registration_kvk_used", "Els@Keerkring.example").await, 1);
    assert_eq!(outbox("registration_kvk_taken", "ander@keerkring.example").await, 1);
    assert_eq!(outbox("registration_exists", "Els@Keerkring.example").await, 1);

    // It may prepare a placement, but it is not published.
    let mut p = common::placement_body(None);
    p["title"] = json!("Kringloopmedewerker sorteren");
    let (s, pl) = app.post("/api/v1/placements", Some(&tok), p).await;
    assert_eq!(s, StatusCode::CREATED, "{pl}");
    assert_eq!(pl["published"], false);
    assert_eq!(pl["organisation_id"], org.as_str());
    let pid = pl["id"].as_str().unwrap().to_string();
    app.flush_index().await;
    assert_eq!(app.get(&format!("/api/v1/placements/{pid}"), None).await.0, StatusCode::NOT_FOUND);
    let (_, hits) = app.get("/api/v1/search/placements?q=kringloopmedewerker", None).await;
    assert_eq!(hits["total"], 0, "{hits}");
    // It sees its own placement, and no candidate data at all.
    assert_eq!(app.get(&format!("/api/v1/placements/{pid}"), Some(&tok)).await.0, StatusCode::OK);
    assert_eq!(app.get("/api/v1/candidates", Some(&tok)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/search/candidates", Some(&tok)).await.0, StatusCode::FORBIDDEN);
    // A werkgever cannot verify itself.
    assert_eq!(app.post(&format!("/api/v1/organisations/{org}/verify"), Some(&tok), json!({})).await.0, StatusCode::FORBIDDEN);

    // A klantmanager verifies it: published, and findable within a second.
    let km = app.login("klantmanager1@zutphen.demo").await;
    let (s, o) = app.post(&format!("/api/v1/organisations/{org}/verify"), Some(&km), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(o["verified"], true);
    let started = std::time::Instant::now();
    loop {
        let (_, hits) = app.get("/api/v1/search/placements?q=kringloopmedewerker", None).await;
        if hits["total"] == 1 {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "not visible within 1 s: {hits}");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (s, pv) = app.get(&format!("/api/v1/placements/{pid}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(pv["published"], true);
    let (_, me) = app.get("/api/v1/me", Some(&tok)).await;
    assert_eq!(me["organisation_verified"], true);
}

#[actix_web::test]
async fn health_openapi_and_headers() {
    let app = common::app().await;
    let (s, h) = app.get("/health", None).await;
    assert_eq!(s, StatusCode::OK, "{h}");
    assert_eq!(h["status"], "ok");
    assert_eq!(h["database"]["ok"], true);
    assert_eq!(h["index"]["ok"], true);
    assert!(h["refdata"]["detail"].as_str().unwrap().contains("4083 postcodes"), "{h}");

    let (s, doc) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/health", "get"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/register-employer", "post"),
        ("/api/v1/organisations", "post"),
        ("/api/v1/organisations/{id}/verify", "post"),
        ("/api/v1/placements/{id}", "put"),
        ("/api/v1/candidates/{id}", "delete"),
        ("/api/v1/candidates/{cid}/ladder-measurements", "post"),
        ("/api/v1/candidates/{cid}/contact-moments/{id}", "put"),
        ("/api/v1/sroi-contracts/{id}", "get"),
        ("/api/v1/search/placements", "get"),
        ("/api/v1/search/candidates", "get"),
        ("/api/v1/esco/occupations", "get"),
        ("/api/v1/esco/skills", "get"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} missing from the OpenAPI document");
    }
    assert!(doc["components"]["schemas"].get("PlacementInput").is_some());

    let (_, headers, _) = app.raw(actix_web::test::TestRequest::get().uri("/health")).await;
    assert!(headers.iter().any(|(k, v)| k == "x-content-type-options" && v == "nosniff"));
    assert!(headers.iter().any(|(k, v)| k == "content-security-policy" && v.contains("default-src 'self'")));
    // The landing page shows the attribution lines the reference data's licences require.
    let resp = actix_web::test::call_service(&app.svc, actix_web::test::TestRequest::get().uri("/").to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page = String::from_utf8(actix_web::test::read_body(resp).await.to_vec()).unwrap();
    assert!(page.contains(opstap::ATTRIBUTION_ESCO) && page.contains(opstap::ATTRIBUTION_GEONAMES));
    assert!(page.contains("lang=\"nl\""));
    let (s, _, body) = app.raw(actix_web::test::TestRequest::get().uri("/api/v1/does-not-exist")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
}

#[actix_web::test]
async fn logout_password_change_and_deactivation_end_sessions() {
    let app = common::app().await;
    // Logout ends the token's session on the server; another session of the same user lives on.
    let t1 = app.login("klantmanager1@lochem.demo").await;
    let t2 = app.login("klantmanager1@lochem.demo").await;
    let (s, _) = app.post("/api/v1/auth/logout", Some(&t1), json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get("/api/v1/me", Some(&t1)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(app.get("/api/v1/me", Some(&t2)).await.0, StatusCode::OK);
    // The proposal endpoints load the user inside their own database call: the same checks.
    let (_, list) = app.get("/api/v1/candidates?mine=true&limit=1", Some(&t2)).await;
    let cid = list["items"][0]["id"].as_str().expect("a candidate of the klantmanager").to_string();
    let (_, found) = app.get("/api/v1/search/placements?limit=1", None).await;
    let pid = found["hits"][0]["id"].as_str().expect("a published placement").to_string();
    let proposals = [format!("/api/v1/candidates/{cid}/proposals"), format!("/api/v1/placements/{pid}/proposals")];
    for path in &proposals {
        let (s, v) = app.get(path, Some(&t1)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}: {v}");
        assert!(v["message"].as_str().unwrap_or_default().contains("sessie is beëindigd"), "{path}: {v}");
        let (s, v) = app.get(path, Some(&t2)).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
    }

    // A password change ends every session of the account; the new password works.
    let (s, v) =
        app.post("/api/v1/me/password", Some(&t2), json!({"current_password": "fout-fout-fout", "new_password": "nog-een-wachtwoord"})).await;
    common::assert_field_error(s, &v, "current_password");
    assert_eq!(app.get("/api/v1/me", Some(&t2)).await.0, StatusCode::OK);
    let (s, _) = app.post("/api/v1/me/password", Some(&t2), json!({"current_password": PW, "new_password": "nog-een-wachtwoord"})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/me", Some(&t2)).await.0, StatusCode::UNAUTHORIZED);
    let t3 = app.login_pw("klantmanager1@lochem.demo", "nog-een-wachtwoord").await;

    // A beheerder deactivates the account: its sessions end at once, and reactivating does not
    // bring them back.
    let beheer = app.login("beheerder@lochem.demo").await;
    let (_, me) = app.get("/api/v1/me", Some(&t3)).await;
    let uid = me["id"].as_str().unwrap().to_string();
    let (s, _) = app.patch(&format!("/api/v1/users/{uid}"), Some(&beheer), json!({"active": false})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.get("/api/v1/me", Some(&t3)).await.0, StatusCode::UNAUTHORIZED);
    for path in &proposals {
        assert_eq!(app.get(path, Some(&t3)).await.0, StatusCode::UNAUTHORIZED, "{path}");
    }
    let (s, _) = app.patch(&format!("/api/v1/users/{uid}"), Some(&beheer), json!({"active": true})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.get("/api/v1/me", Some(&t3)).await.0, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn logins_are_throttled_per_account() {
    let app = common::app().await;
    let wrong = json!({"email": "werkgever2@demo.nl", "password": "verkeerd-wachtwoord"});
    for i in 0..5 {
        let (s, v) = app.post("/api/v1/auth/login", None, wrong.clone()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}: {v}");
    }
    // The sixth attempt waits, even with the right password: 429 with Retry-After.
    let req = actix_web::test::TestRequest::post()
        .uri("/api/v1/auth/login")
        .insert_header(("Content-Type", "application/json"))
        .set_payload(json!({"email": "werkgever2@demo.nl", "password": PW}).to_string());
    let (s, h, v) = app.raw(req).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    let retry: u64 = h.iter().find(|(k, _)| k == "retry-after").map(|(_, v)| v.parse().unwrap()).expect("Retry-After");
    assert!((1..=31).contains(&retry), "{retry}");
    // The lock-out is recorded, and another account is not affected.
    let locked = app
        .db(|c| {
            use opstap::db::schema::login_events;
            login_events::table.filter(login_events::kind.eq("locked")).count().get_result::<i64>(c).unwrap()
        })
        .await;
    assert!(locked >= 1);
    app.login("werkgever3@demo.nl").await;
    // Once the wait is over (moved back in time here), the right password works and clears the count.
    app.db(|c| {
        use opstap::db::schema::login_events;
        diesel::update(login_events::table).set(login_events::at.eq(opstap::db::now() - chrono::Duration::seconds(40))).execute(c).unwrap()
    })
    .await;
    app.login("werkgever2@demo.nl").await;
    let (s, _) = app.post("/api/v1/auth/login", None, wrong).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn password_reset_by_mail_is_single_use_and_ends_sessions() {
    let app = common::app().await;
    let before = app.login("kandidaat1@lochem.demo").await;
    // Known and unknown address: the same answer.
    let (s1, v1) = app.post("/api/v1/auth/password-reset", None, json!({"email": "Kandidaat1@lochem.demo"})).await;
    let (s2, v2) = app.post("/api/v1/auth/password-reset", None, json!({"email": "niemand@lochem.demo"})).await;
    assert_eq!(s1, StatusCode::ACCEPTED);
    assert_eq!((s1, &v1), (s2, &v2));
    // The link is in the mail (only a hash of the token is stored).
    let body = app
        .db(|c| {
            use opstap::db::schema::outbox;
            outbox::table.filter(outbox::kind.eq("password_reset")).select(outbox::body_text).get_results::<String>(c).unwrap()
        })
        .await;
    assert_eq!(body.len(), 1, "one mail, for the known address only");
    let token = body[0].split("token=").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let stored: Vec<String> = app
        .db(|c| {
            use opstap::db::schema::password_resets;
            password_resets::table.select(password_resets::token_hash).load(c).unwrap()
        })
        .await;
    assert!(!stored.contains(&token));
    // A short password is refused, naming the field; the token still works afterwards.
    let (s, v) = app.post("/api/v1/auth/password-reset/confirm", None, json!({"token": token, "password": "kort"})).await;
    common::assert_field_error(s, &v, "password");
    let (s, _) = app.post("/api/v1/auth/password-reset/confirm", None, json!({"token": token, "password": "herstelde-wachtwoord"})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // Single use; the old sessions ended; the new password works.
    let (s, v) = app.post("/api/v1/auth/password-reset/confirm", None, json!({"token": token, "password": "nog-een-keer-anders"})).await;
    common::assert_field_error(s, &v, "token");
    assert_eq!(app.get("/api/v1/me", Some(&before)).await.0, StatusCode::UNAUTHORIZED);
    app.login_pw("kandidaat1@lochem.demo", "herstelde-wachtwoord").await;
    // An expired link does not work.
    app.post("/api/v1/auth/password-reset", None, json!({"email": "kandidaat1@lochem.demo"})).await;
    let body = app
        .db(|c| {
            use opstap::db::schema::{outbox, password_resets};
            diesel::update(password_resets::table)
                .set(password_resets::expires_at.eq(opstap::db::now() - chrono::Duration::minutes(1)))
                .execute(c)
                .unwrap();
            outbox::table
                .filter(outbox::kind.eq("password_reset"))
                .order(outbox::created_at.desc())
                .select(outbox::body_text)
                .first::<String>(c)
                .unwrap()
        })
        .await;
    let token = body.split("token=").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let (s, v) = app.post("/api/v1/auth/password-reset/confirm", None, json!({"token": token, "password": "herstelde-wachtwoord-2"})).await;
    common::assert_field_error(s, &v, "token");
}
