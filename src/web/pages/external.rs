//! Login through the configured external identity provider (`service::oidc`): the start sends
//! the browser there with a state, nonce and PKCE verifier kept in a cookie of this browser; the
//! return checks the state against that cookie before anything else.

use super::{logged_in, render_status, safe_back, LoginPage, PageError};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};

const FLOW_COOKIE: &str = "opstap_oidc";
const FLOW_PATH: &str = "/inloggen/extern";
/// How long the provider may take to send the person back (seconds).
const FLOW_SECONDS: i64 = 10 * 60;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/inloggen/extern", web::get().to(start)).route("/inloggen/extern/terug", web::get().to(back));
}

#[derive(serde::Deserialize)]
struct StartQuery {
    terug: Option<String>,
}

/// To the provider. The cookie travels back on the provider's redirect, a cross-site top-level
/// GET: so SameSite=Lax (Strict would stay behind), HttpOnly, only on the login paths.
async fn start(req: HttpRequest, state: web::Data<AppState>, q: web::Query<StartQuery>) -> Result<HttpResponse, PageError> {
    let back = q.terug.as_deref().and_then(safe_back).unwrap_or("").to_string();
    let s = match crate::service::oidc::start(&state).await {
        Ok(s) => s,
        Err(AppError::NotFound) => return Err(AppError::NotFound.into()),
        Err(e) => return failed(&req, back, e),
    };
    let value = format!("{}.{}.{}.{}", s.state, s.nonce, s.verifier, utf8_percent_encode(&back, NON_ALPHANUMERIC));
    let mut c = Cookie::build(FLOW_COOKIE, value)
        .path(FLOW_PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.public_url.starts_with("https://"))
        .finish();
    c.set_max_age(actix_web::cookie::time::Duration::seconds(FLOW_SECONDS));
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, s.url)).insert_header((header::CACHE_CONTROL, "no-store")).cookie(c).finish())
}

#[derive(serde::Deserialize)]
struct BackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

/// The login page again, saying what went wrong.
fn failed(req: &HttpRequest, back: String, e: AppError) -> Result<HttpResponse, PageError> {
    let (status, msg) = match e {
        AppError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m),
        AppError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m),
        other => return Err(other.into()),
    };
    let mut gone = Cookie::build(FLOW_COOKIE, "").path(FLOW_PATH).finish();
    gone.make_removal();
    let mut resp = render_status(status, &LoginPage::new(req, String::new(), back, Some(msg)))?;
    resp.add_cookie(&gone).map_err(|e| PageError(AppError::Internal(anyhow::anyhow!("cookie: {e}"))))?;
    Ok(resp)
}

/// Back from the provider: the state must be this browser's, then the code is traded.
async fn back(req: HttpRequest, state: web::Data<AppState>, q: web::Query<BackQuery>) -> Result<HttpResponse, PageError> {
    let flow = req.cookie(FLOW_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    let mut parts = flow.splitn(4, '.');
    let (st, nonce, verifier) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let back = parts.next().and_then(|b| percent_decode_str(b).decode_utf8().ok()).map(|b| b.into_owned()).unwrap_or_default();
    let again = |m: &str| AppError::Unauthorized(m.to_string());
    if st.is_empty() || q.state.as_deref() != Some(st) {
        return failed(&req, back, again("Het inloggen duurde te lang of is in een ander venster begonnen. Probeer het opnieuw."));
    }
    if q.error.is_some() {
        return failed(
            &req,
            back,
            again("Het inloggen via de inlogdienst is afgebroken. Probeer het opnieuw, of log in met uw e-mailadres en wachtwoord."),
        );
    }
    let Some(code) = q.code.clone().filter(|c| !c.is_empty()) else {
        return failed(&req, back, again("Het inloggen via de inlogdienst is niet gelukt. Probeer het opnieuw."));
    };
    match crate::service::oidc::login(&state, code, verifier.to_string(), nonce.to_string(), q.iss.clone()).await {
        Ok(ok) => {
            let mut resp = logged_in(&state, &ok, &back)?;
            let mut gone = Cookie::build(FLOW_COOKIE, "").path(FLOW_PATH).finish();
            gone.make_removal();
            resp.add_cookie(&gone).map_err(|e| PageError(AppError::Internal(anyhow::anyhow!("cookie: {e}"))))?;
            Ok(resp)
        }
        Err(e) => failed(&req, back, e),
    }
}
