use crate::common::{self, PW};
use actix_web::http::StatusCode;
use base64::Engine;
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
    assert_eq!(s, StatusCode::CREATED, "{reg}");
    assert_eq!(reg["organisation"]["verified"], false);
    assert_eq!(reg["user"]["role"], "werkgever");
    let org = reg["organisation"]["id"].as_str().unwrap().to_string();
    let tok = reg["token"].as_str().unwrap().to_string();

    // The same e-mail (other case) or KvK number again: 409 naming the field.
    let mut again = body.clone();
    again["organisation"]["kvk_number"] = json!("45645645");
    again["email"] = json!("els@KEERKRING.example");
    let (s, v) = app.post("/api/v1/auth/register-employer", None, again).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["fields"][0]["field"], "email");
    let mut again = body.clone();
    again["email"] = json!("ander@keerkring.example");
    let (s, v) = app.post("/api/v1/auth/register-employer", None, again).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["fields"][0]["field"], "kvk_number");

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
    assert!(page.contains(opstap::ATTRIBUTION_ESCO) && page.contains("Postcode data © GeoNames (geonames.org), CC BY 4.0, modified."));
    assert!(page.contains("lang=\"nl\""));
    let (s, _, body) = app.raw(actix_web::test::TestRequest::get().uri("/api/v1/does-not-exist")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
}
