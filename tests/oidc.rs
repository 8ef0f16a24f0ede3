//! Login through an external identity provider (OpenID Connect): the ID token checks one by
//! one, and the whole flow against a real provider (panva's oidc-provider in Node.js, from
//! `tests/browser/node_modules`) with its redirects, cookies, PKCE and code exchange.

use crate::common;
use actix_web::http::StatusCode;
use diesel::prelude::*;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use opstap::auth::oidc::{verify_id_token, Refusal};
use opstap::db::schema::*;
use serde_json::json;
use std::io::BufRead;

/// A 2048-bit RSA key made for this test only (`openssl genpkey`, PKCS#1 DER in base64), and
/// its public half.
const KEY: &str = include_str!("data/oidc-test-key.b64");
const N: &str = "wUA5ZhemqOJ2UDz_FLUyqNR_N7O7lej29sGNTItnMGPzEUXuH2oo02CHmZtzw4TR3Dq7wj8g0oidWcVI-XMQWAfSu_i5bUY3MumuvlPbgo5Yh8GiKLruO0Ve0qZ0fYH_r2FXrIccSSm51xFYI6mUFIP722BoHI5DLk5-dyQQXbbfx3xLxiv6NTsFg0WuiWdSSx3RooSRw5ANvgoqef8_2aX3UVLfyAf7vjq9pq7mQ3Oy1r5MwIMs2IUFknwF7k2VubptjlENFOqZ3ylikNdnyPd_MG4Kl5BzDZZvmmT6_Wa6BoGAFt7zY3UHaN1dwUcnQCDEbR5tLaDEwRh55smTFw";
const ISS: &str = "https://inlog.voorbeeld.nl";

fn keys() -> JwkSet {
    serde_json::from_value(json!({"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "n": N, "e": "AQAB"}]})).unwrap()
}

fn token(claims: serde_json::Value, kid: Option<&str>) -> String {
    let mut h = Header::new(Algorithm::RS256);
    h.kid = kid.map(String::from);
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD.decode(KEY.trim()).unwrap();
    jsonwebtoken::encode(&h, &claims, &EncodingKey::from_rsa_der(&der)).unwrap()
}

fn claims() -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": ISS, "aud": "opstap", "sub": "digid-1", "iat": now, "exp": now + 300, "nonce": "n-1",
           "email": "Kandidaat1@Lochem.demo", "email_verified": true})
}

#[test]
fn an_id_token_is_accepted_only_when_every_check_holds() {
    let ks = keys();
    let ok = verify_id_token(&token(claims(), Some("k1")), &ks, ISS, "opstap", "n-1").expect("a good token");
    assert_eq!((ok.subject.as_str(), ok.email.as_deref(), ok.email_verified), ("digid-1", Some("Kandidaat1@Lochem.demo"), true));
    // Each way a token can be wrong.
    let with = |k: &str, v: serde_json::Value| {
        let mut c = claims();
        c[k] = v;
        token(c, Some("k1"))
    };
    assert_eq!(verify_id_token(&token(claims(), Some("k1")), &ks, ISS, "opstap", "n-2"), Err(Refusal::Nonce), "another login's nonce");
    assert!(matches!(verify_id_token(&with("aud", json!("iemand-anders")), &ks, ISS, "opstap", "n-1"), Err(Refusal::Invalid(_))));
    assert!(matches!(verify_id_token(&with("iss", json!("https://nep.example")), &ks, ISS, "opstap", "n-1"), Err(Refusal::Invalid(_))));
    let past = chrono::Utc::now().timestamp() - 3600;
    assert!(matches!(verify_id_token(&with("exp", json!(past)), &ks, ISS, "opstap", "n-1"), Err(Refusal::Invalid(_))), "expired");
    assert!(
        matches!(verify_id_token(&with("aud", json!(["opstap", "ander"])), &ks, ISS, "opstap", "n-1"), Err(Refusal::Invalid(_))),
        "several audiences need azp"
    );
    let mut c = claims();
    c["aud"] = json!(["opstap", "ander"]);
    c["azp"] = json!("opstap");
    assert!(verify_id_token(&token(c, Some("k1")), &ks, ISS, "opstap", "n-1").is_ok());
    assert_eq!(verify_id_token(&token(claims(), Some("k9")), &ks, ISS, "opstap", "n-1"), Err(Refusal::UnknownKey), "a key not yet fetched");
    // A token signed with something else than the provider's key.
    let mut tampered = token(claims(), Some("k1"));
    tampered.replace_range(tampered.len() - 6.., "AAAAAA");
    assert!(matches!(verify_id_token(&tampered, &ks, ISS, "opstap", "n-1"), Err(Refusal::Invalid(_))));
    // Symmetric algorithms are never accepted (the public key as an HMAC secret, or none).
    let hs = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims(), &EncodingKey::from_secret(N.as_bytes())).unwrap();
    assert!(matches!(verify_id_token(&hs, &ks, ISS, "opstap", "n-1"), Err(Refusal::Algorithm(_))));
    // An unverified address is passed on as unverified (the account is then never linked by it).
    let v = verify_id_token(&with("email_verified", json!(false)), &ks, ISS, "opstap", "n-1").unwrap();
    assert!(!v.email_verified);
}

/// The provider as a child process, stopped when dropped.
struct Provider {
    child: std::process::Child,
    port: u16,
}

impl Provider {
    fn start(redirect_uri: &str) -> Provider {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
        assert!(dir.join("node_modules/oidc-provider").exists(), "oidc-provider missing: run `npm ci --prefix tests/browser` (see README, Tests)");
        let port = common::smtp::free_port();
        let mut child = std::process::Command::new(std::env::var("NODE").unwrap_or_else(|_| "node".into()))
            .arg("oidc-provider.mjs")
            .arg(port.to_string())
            .arg(redirect_uri)
            .current_dir(&dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("run node");
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the provider did not start");
        // The provider keeps writing notices; a closed pipe would stop it (EPIPE).
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        Provider { child, port }
    }
    fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    fn next_account(&self, sub: &str) {
        ureq::post(&format!("{}/test/next-account?sub={sub}", self.issuer())).send_empty().unwrap();
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Walks the provider's redirects like a browser (its own cookies kept) until it sends the
/// browser back to Opstap; returns that address's path and query.
fn through_provider(start: &str, back_prefix: &str) -> String {
    let agent: ureq::Agent = ureq::Agent::config_builder().max_redirects(0).http_status_as_error(false).max_idle_connections(0).build().into();
    let mut jar: std::collections::BTreeMap<String, String> = Default::default();
    let mut url = url::Url::parse(start).unwrap();
    for _ in 0..10 {
        let cookie = jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let r = agent.get(url.as_str()).header("Cookie", cookie).call().unwrap();
        for c in r.headers().get_all("set-cookie") {
            let kv = c.to_str().unwrap().split(';').next().unwrap().to_string();
            if let Some((k, v)) = kv.split_once('=') {
                jar.insert(k.to_string(), v.to_string());
            }
        }
        let loc = r.headers().get("location").unwrap_or_else(|| panic!("no redirect from {url} ({})", r.status())).to_str().unwrap().to_string();
        url = url.join(&loc).unwrap();
        if url.as_str().starts_with(back_prefix) {
            return format!("{}?{}", url.path(), url.query().unwrap_or(""));
        }
    }
    panic!("the provider never sent the browser back");
}

type Answer = (StatusCode, Option<String>, Option<String>, String, String, String);

/// One external login as a browser does it: start here, through the provider as `sub`, back
/// here. Returns the answer's status, location, session, body, and the return address and flow
/// cookie (to replay them).
async fn login_once<S, B>(app: &common::TestApp<S>, idp: &Provider, redirect: &str, sub: &str) -> Answer
where
    S: actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    idp.next_account(sub);
    let resp =
        actix_web::test::call_service(&app.svc, actix_web::test::TestRequest::get().uri("/inloggen/extern?terug=/kandidaat/wensen").to_request())
            .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = resp.headers().get("location").unwrap().to_str().unwrap().to_string();
    assert!(to.starts_with(&idp.issuer()) && to.contains("code_challenge_method=S256") && to.contains("nonce="), "{to}");
    let flow = resp.response().cookies().find(|c| c.name() == "opstap_oidc").expect("flow cookie");
    assert_eq!(flow.same_site(), Some(actix_web::cookie::SameSite::Lax));
    assert_eq!(flow.http_only(), Some(true));
    let flow = flow.value().to_string();
    let redirect = redirect.to_string();
    let back = tokio::task::spawn_blocking(move || through_provider(&to, &redirect)).await.unwrap();
    let req = actix_web::test::TestRequest::get().uri(&back).insert_header(("Cookie", format!("opstap_oidc={flow}")));
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    let status = resp.status();
    let location = resp.headers().get("location").map(|l| l.to_str().unwrap().to_string());
    let session = resp.response().cookies().find(|c| c.name() == "opstap_session").map(|c| c.value().to_string()).filter(|v| !v.is_empty());
    let body = String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string();
    (status, location, session, body, back, flow)
}

#[actix_web::test]
async fn logging_in_through_a_real_openid_connect_provider_links_the_account_once() {
    let public = "http://127.0.0.1:18090";
    let redirect = format!("{public}/inloggen/extern/terug");
    let idp = Provider::start(&redirect);
    let issuer = idp.issuer();
    let iss1 = issuer.clone();
    let app = common::app_with(move |c| {
        c.public_url = public.into();
        c.oidc = opstap::config::OidcConfig::from_parts(
            Some(&iss1),
            Some("opstap"),
            Some("geheim-van-de-test-geheim-van-de-test"),
            "Inloggen met DigiD (test)",
            "email",
        )
        .unwrap();
    })
    .await;
    let (_, login) = app.html("/inloggen?terug=/kandidaat/wensen").await;
    assert!(login.contains("Inloggen met DigiD (test)") && login.contains("href=\"/inloggen/extern?terug=/kandidaat/wensen\""), "{login}");

    // An address the provider does not vouch for links nothing; neither does an unknown person.
    for sub in ["digid-000000002", "digid-000000003"] {
        let (status, _, session, body, _, _) = login_once(&app, &idp, &redirect, sub).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{sub}");
        assert!(session.is_none());
        assert!(body.contains("Bij deze inlogdienst hoort nog geen account in Opstap"), "{body}");
    }
    // The verified address of an account: linked, logged in, and on to where the person was going.
    let (status, location, session, _, back, flow) = login_once(&app, &idp, &redirect, "digid-000000001").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/kandidaat/wensen"));
    let session = session.expect("a session");
    let (_, me) = app.get("/api/v1/me", Some(&session)).await;
    assert_eq!(me["email"], "kandidaat1@lochem.demo", "{me}");
    let iss2 = issuer.clone();
    let links: Vec<(String, String)> = app
        .db(move |c| {
            external_identities::table
                .filter(external_identities::issuer.eq(&iss2))
                .select((external_identities::subject, external_identities::user_id))
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].0, "digid-000000001");
    assert_eq!(links[0].1, me["id"].as_str().unwrap());
    // The same answer twice (a replayed code) is refused by the provider: no second session.
    let req = actix_web::test::TestRequest::get().uri(&back).insert_header(("Cookie", format!("opstap_oidc={flow}")));
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "a used code");
    // An answer without this browser's flow cookie (another window, or forged): refused before
    // anything is traded.
    let resp = actix_web::test::call_service(&app.svc, actix_web::test::TestRequest::get().uri(&back).to_request()).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body = String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string();
    assert!(body.contains("in een ander venster begonnen"), "{body}");
    // Later the link decides, even when the account's address no longer matches the provider's.
    let uid = me["id"].as_str().unwrap().to_string();
    app.db(move |c| {
        diesel::update(users::table.find(&uid))
            .set((users::email.eq("nieuw-adres@voorbeeld.nl"), users::email_normalized.eq("nieuw-adres@voorbeeld.nl")))
            .execute(c)
            .unwrap()
    })
    .await;
    let (status, location, session, ..) = login_once(&app, &idp, &redirect, "digid-000000001").await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/kandidaat/wensen")));
    let (_, me2) = app.get("/api/v1/me", Some(&session.unwrap())).await;
    assert_eq!(me2["id"], me["id"]);

    // The provider down: the login page says so, and the password still works.
    drop(idp);
    let resp = actix_web::test::call_service(&app.svc, actix_web::test::TestRequest::get().uri("/inloggen/extern").to_request()).await;
    // Metadata fetched before are kept an hour, so the start may still succeed; a fresh app
    // cannot reach the provider at all.
    assert!(resp.status() == StatusCode::SEE_OTHER || resp.status() == StatusCode::SERVICE_UNAVAILABLE, "{}", resp.status());
    let down = common::app_with(move |c| {
        c.oidc = opstap::config::OidcConfig::from_parts(Some(&issuer), Some("opstap"), None, "", "").unwrap();
    })
    .await;
    let resp = actix_web::test::call_service(&down.svc, actix_web::test::TestRequest::get().uri("/inloggen/extern").to_request()).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = String::from_utf8_lossy(&actix_web::test::read_body(resp).await).to_string();
    assert!(body.contains("De inlogdienst is nu niet bereikbaar") && body.contains("wachtwoord"), "{body}");
    let (s, _) = down.post("/api/v1/auth/login", None, json!({"email": "kandidaat1@lochem.demo", "password": common::PW})).await;
    assert_eq!(s, StatusCode::OK);
    // Without a provider configured there is no external login at all.
    let none = common::app().await;
    let resp = actix_web::test::call_service(&none.svc, actix_web::test::TestRequest::get().uri("/inloggen/extern").to_request()).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let (_, login) = none.html("/inloggen").await;
    assert!(!login.contains("/inloggen/extern"));
}

#[test]
fn a_provider_is_configured_over_https_with_a_client_id() {
    use opstap::config::OidcConfig;
    assert_eq!(OidcConfig::from_parts(None, None, None, "", "").unwrap().map(|c| c.issuer), None);
    assert!(OidcConfig::from_parts(Some("http://inlog.voorbeeld.nl"), Some("x"), None, "", "").unwrap_err().contains("https"));
    assert!(OidcConfig::from_parts(Some("https://inlog.voorbeeld.nl"), None, None, "", "").unwrap_err().contains("CLIENT_ID"));
    let c = OidcConfig::from_parts(Some("https://inlog.voorbeeld.nl"), Some("opstap"), Some(""), "", "email profile").unwrap().unwrap();
    assert_eq!((c.scopes.as_str(), c.client_secret.is_none()), ("openid email profile", true));
}
