//! Server-rendered pages (askama), in Dutch; pages for candidates in plain language (B1).
//! They work without JavaScript (forms post and redirect); `/static/app.js` only adds
//! suggestions as you type. Pages call the same services as the API, so no rule exists twice.
//!
//! Session: the JWT in an HttpOnly, SameSite=Strict cookie (Secure when the public URL is https).
//! CSRF: a random token in its own HttpOnly SameSite=Strict cookie, repeated in a hidden field of
//! every form and compared on every POST (double submit).

pub mod aanmelden;
pub mod admin;
pub mod candidate;
pub mod employer;
pub mod external;
pub mod face;
pub mod forms;
pub mod import;
pub mod inzage;
pub mod klantgroepen;
pub mod klantmanager;
pub mod matches;
pub mod monitor;
pub mod pending;
pub mod plan;
pub mod wishes;

use crate::auth::{CurrentUser, SESSION_COOKIE};
use crate::domain::Role;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{dev::Payload, web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use std::future::Future;
use std::pin::Pin;

pub const CSRF_COOKIE: &str = "opstap_csrf";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/static/app.css", web::get().to(css))
        .route("/static/app.js", web::get().to(js))
        .route("/inloggen", web::get().to(login_form))
        .route("/inloggen", web::post().to(login))
        .route("/uitloggen", web::post().to(logout))
        .route("/registreren", web::get().to(register_form))
        .route("/registreren", web::post().to(register))
        .route("/registreren/ontvangen", web::get().to(registered))
        .route("/wachtwoord-vergeten", web::get().to(forgotten_form))
        .route("/wachtwoord-vergeten", web::post().to(forgotten))
        .route("/wachtwoord-herstellen", web::get().to(reset_form))
        .route("/wachtwoord-herstellen", web::post().to(reset))
        .route("/start", web::get().to(home))
        .configure(matches::configure)
        .configure(pending::configure)
        .configure(external::configure)
        .configure(admin::configure)
        .configure(klantgroepen::configure)
        .configure(import::configure)
        .configure(inzage::configure)
        .configure(aanmelden::configure)
        .configure(wishes::configure)
        .configure(plan::configure)
        .configure(face::configure)
        .configure(monitor::configure)
        .configure(candidate::configure)
        .configure(employer::configure)
        .configure(klantmanager::configure);
}

/// What every page shows around its content.
pub struct Ctx {
    pub user: Option<UserBar>,
    pub csrf: String,
    new_csrf: bool,
    pub secure: bool,
    pub attribution_esco: &'static str,
    pub attribution_esco_nl: &'static str,
    pub attribution_geonames: &'static str,
    /// The municipality whose service this is (the user's own, else the site's default).
    pub face: std::sync::Arc<crate::domain::face::Face>,
    /// The session ended while a form was sent: the page says the action did not happen.
    pub expired: bool,
}

pub struct UserBar {
    pub name: String,
    pub role: Role,
    pub role_label: &'static str,
    pub home: &'static str,
}

impl Ctx {
    pub fn new(req: &HttpRequest, user: Option<&CurrentUser>) -> Ctx {
        let existing = req.cookie(CSRF_COOKIE).map(|c| c.value().to_string()).filter(|v| v.len() >= 32);
        let new_csrf = existing.is_none();
        let csrf = existing.unwrap_or_else(crate::auth::random_token);
        let state = req.app_data::<web::Data<AppState>>();
        let secure = state.map(|s| s.config.public_url.starts_with("https://")).unwrap_or(false);
        let face = match state {
            Some(s) => s.refdata().face(user.and_then(|u| u.municipality_id.as_deref())),
            None => std::sync::Arc::new(crate::domain::face::Face::default_for("", "")),
        };
        Ctx {
            user: user.map(|u| UserBar { name: u.name.clone(), role: u.role, role_label: role_label(u.role), home: home_of(u.role) }),
            csrf,
            new_csrf,
            secure,
            attribution_esco: crate::ATTRIBUTION_ESCO,
            attribution_esco_nl: crate::ATTRIBUTION_ESCO_NL,
            attribution_geonames: crate::ATTRIBUTION_GEONAMES,
            face,
            expired: req.query_string().contains("verlopen=1") || req.query_string().contains("verlopen%3D1"),
        }
    }
    pub fn is(&self, role: &str) -> bool {
        self.user.as_ref().map(|u| u.role.as_str() == role).unwrap_or(false)
    }
}

fn role_label(r: Role) -> &'static str {
    match r {
        Role::Beheerder => "beheerder",
        Role::Klantmanager => "klantmanager",
        Role::Werkgever => "werkgever",
        Role::Kandidaat => "inwoner",
    }
}

pub fn home_of(r: Role) -> &'static str {
    match r {
        Role::Beheerder => "/beheer",
        Role::Klantmanager => "/klantmanager",
        Role::Werkgever => "/werkgever",
        Role::Kandidaat => "/kandidaat",
    }
}

fn cookie<'a>(name: &'a str, value: String, secure: bool, max_age: Option<i64>) -> Cookie<'a> {
    let mut c = Cookie::build(name, value).path("/").http_only(true).same_site(SameSite::Strict).secure(secure).finish();
    if let Some(s) = max_age {
        c.set_max_age(actix_web::cookie::time::Duration::seconds(s));
    }
    c
}

/// A page template: it carries the `Ctx` it is rendered with.
pub trait Page: Template {
    fn ctx(&self) -> &Ctx;
}

/// Implements `Page` for templates with a `ctx` field.
#[macro_export]
macro_rules! page {
    ($($t:ty),* $(,)?) => {
        $(impl $crate::web::pages::Page for $t {
            fn ctx(&self) -> &$crate::web::pages::Ctx {
                &self.ctx
            }
        })*
    };
}

/// Renders a page (status 200 unless given), setting the CSRF cookie when it is new.
pub fn render_status(status: StatusCode, t: &impl Page) -> Result<HttpResponse, PageError> {
    let ctx = t.ctx();
    let body = t.render().map_err(|e| PageError(AppError::Internal(anyhow::anyhow!("template: {e}"))))?;
    let mut r = HttpResponse::build(status);
    r.content_type("text/html; charset=utf-8").insert_header((header::CACHE_CONTROL, "no-store"));
    if ctx.new_csrf {
        r.cookie(cookie(CSRF_COOKIE, ctx.csrf.clone(), ctx.secure, None));
    }
    Ok(r.body(body))
}

pub fn render(t: &impl Page) -> Result<HttpResponse, PageError> {
    render_status(StatusCode::OK, t)
}

/// 303 to `to` (after a successful POST).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to.to_string())).finish()
}

/// Compares the form's CSRF token with the cookie.
pub fn check_csrf(req: &HttpRequest, form_token: &str) -> Result<(), PageError> {
    let cookie = req.cookie(CSRF_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    let ok = !cookie.is_empty() && cookie.len() == form_token.len() && cookie.bytes().zip(form_token.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
    if ok {
        Ok(())
    } else {
        Err(PageError(AppError::BadRequest("Dit formulier is verlopen. Ga terug, laad de pagina opnieuw en probeer het nog eens.".into())))
    }
}

/// A posted form whose CSRF token matched the session's cookie: its fields. The one way a page
/// reads a form it acts on.
pub struct CheckedForm(pub forms::FormState);

impl actix_web::FromRequest for CheckedForm {
    type Error = PageError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        let form = web::Form::<Vec<(String, String)>>::from_request(&req, payload);
        Box::pin(async move {
            let form =
                form.await.map_err(|_| PageError(AppError::BadRequest("Het formulier kon niet worden gelezen. Laad de pagina opnieuw.".into())))?;
            let fs = forms::FormState::from_pairs(&form.into_inner());
            check_csrf(&req, fs.v("csrf"))?;
            Ok(CheckedForm(fs))
        })
    }
}

/// An error shown as a page.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl From<diesel::result::Error> for PageError {
    fn from(e: diesel::result::Error) -> Self {
        PageError(e.into())
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// An unknown address: a page in the site's layout for a browser, JSON for the API and for
/// clients that do not ask for HTML.
pub async fn not_found(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    let wants_html = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if wants_html && !req.path().starts_with("/api/") {
        Err(PageError(AppError::NotFound).into())
    } else {
        Err(AppError::NotFound.into())
    }
}

#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPage<'a> {
    ctx: Ctx,
    title: &'a str,
    message: String,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }
    fn error_response(&self) -> HttpResponse {
        let title = match &self.0 {
            AppError::NotFound => "Niet gevonden",
            AppError::Forbidden => "Geen toegang",
            AppError::TooManyRequests { .. } | AppError::Busy { .. } => "Even wachten",
            AppError::Internal(_) | AppError::Unavailable(_) => "Er ging iets mis",
            _ => "Dat lukte niet",
        };
        let message = match &self.0 {
            AppError::Internal(e) => {
                log::error!("page: {e:#}");
                "Er ging iets mis aan onze kant. Probeer het later opnieuw.".to_string()
            }
            AppError::Validation(f) => f.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" "),
            other => other.to_string(),
        };
        let ctx = Ctx {
            user: None,
            csrf: String::new(),
            new_csrf: false,
            secure: false,
            attribution_esco: crate::ATTRIBUTION_ESCO,
            attribution_esco_nl: crate::ATTRIBUTION_ESCO_NL,
            attribution_geonames: crate::ATTRIBUTION_GEONAMES,
            face: std::sync::Arc::new(crate::domain::face::Face::default_for("", "")),
            expired: false,
        };
        let body = ErrorPage { ctx, title, message: message.clone() }.render().unwrap_or_else(|_| title.to_string());
        let mut r = HttpResponse::build(self.status_code());
        if let AppError::TooManyRequests { retry_after } | AppError::Busy { retry_after } = &self.0 {
            r.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        let mut resp = r.content_type("text/html; charset=utf-8").body(body);
        // Without the request here: `with_face` renders it again with the visitor's session and
        // municipality.
        resp.extensions_mut().insert(ErrorInfo { title, message });
        resp
    }
}

/// What an error page says, kept on the response so that `with_face` can render it again.
#[derive(Clone)]
struct ErrorInfo {
    title: &'static str,
    message: String,
}

/// Middleware step (`ErrorHandlers`): an error page keeps the municipality's face and the
/// session (the user bar, logout) instead of a bare page, for every 4xx and 5xx a page handler
/// answers (not found, no access, a CSRF mismatch, a validation error outside a form).
pub fn with_face<B: actix_web::body::MessageBody + 'static>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    use actix_web::middleware::ErrorHandlerResponse;
    let Some(info) = res.response().extensions().get::<ErrorInfo>().cloned() else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    Ok(ErrorHandlerResponse::Future(Box::pin(async move {
        let (req, old) = res.into_parts();
        let has_session = crate::web::auth::token_from(&req).is_some();
        let user = if has_session { CurrentUser::from_request(&req, &mut Payload::None).await.ok() } else { None };
        let ctx = Ctx::new(&req, user.as_ref());
        let body = match (ErrorPage { ctx, title: info.title, message: info.message }).render() {
            Ok(b) => b,
            Err(_) => return Ok(actix_web::dev::ServiceResponse::new(req, old).map_into_left_body()),
        };
        let mut r = HttpResponse::build(old.status());
        for (k, v) in old.headers() {
            if k != header::CONTENT_LENGTH {
                r.insert_header((k.clone(), v.clone()));
            }
        }
        let resp = r.content_type("text/html; charset=utf-8").body(body);
        Ok(actix_web::dev::ServiceResponse::new(req, resp).map_into_right_body())
    })))
}

/// The logged-in user of a page; without a valid session the browser is sent to the login page,
/// and back here after logging in.
pub struct PageUser(pub CurrentUser);

/// To the login page, and after it to `back`; `kept` holds a form sent after the session
/// expired (`pending`), offered again on `/doorgaan`.
pub struct LoginRedirect {
    back: String,
    kept: Option<Cookie<'static>>,
}

impl std::fmt::Debug for LoginRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "login redirect to {}", self.back)
    }
}
impl std::fmt::Display for LoginRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Log in om verder te gaan.")
    }
}
impl ResponseError for LoginRedirect {
    fn status_code(&self) -> StatusCode {
        StatusCode::SEE_OTHER
    }
    fn error_response(&self) -> HttpResponse {
        let loc = format!("/inloggen?terug={}", urlencode(&self.back));
        let mut expired = Cookie::build(SESSION_COOKIE, "").path("/").finish();
        expired.make_removal();
        let mut r = HttpResponse::SeeOther();
        r.insert_header((header::LOCATION, loc)).cookie(expired);
        if let Some(k) = &self.kept {
            r.cookie(k.clone());
        }
        r.finish()
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl FromRequest for PageUser {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, p: &mut Payload) -> Self::Future {
        let post = req.method() != actix_web::http::Method::GET;
        let back = if !post {
            req.uri().path_and_query().map(|x| x.to_string()).unwrap_or_else(|| "/".into())
        } else {
            // A form sent after the session ended: back to the page it was sent from, which then
            // says the action did not happen (`Ctx::expired`), so nothing is lost in silence.
            let page =
                req.headers().get(header::REFERER).and_then(|r| r.to_str().ok()).and_then(local_path).unwrap_or_else(|| req.path().to_string());
            let page: String = page.split('#').next().unwrap_or("/").to_string();
            if page.contains("verlopen=1") {
                page
            } else {
                format!("{page}{}verlopen=1", if page.contains('?') { '&' } else { '?' })
            }
        };
        // Better still: a form of a session that merely expired is kept for after the login
        // (the handler never runs without a user, so its body is free to read here).
        let keep = if post { pending::expired_user(req) } else { None };
        let kept_form = keep.as_ref().map(|_| {
            let mut body = p.take();
            // The handler's own form extractor (after this one) gets a body that never ends: it
            // waits while this one reads the real body, and this one always fails (the token has
            // expired), so the handler never runs and that wait is dropped. An empty body would
            // fail at once with a misleading "form expired" and win the race.
            *p = Payload::Stream { payload: Box::pin(futures_util::stream::pending()) };
            web::Form::<Vec<(String, String)>>::from_request(req, &mut body)
        });
        let action = req.path().to_string();
        let secure = req.app_data::<web::Data<AppState>>().map(|s| s.config.public_url.starts_with("https://")).unwrap_or(false);
        let fut = CurrentUser::from_request(req, p);
        Box::pin(async move {
            match fut.await {
                Ok(u) => Ok(PageUser(u)),
                Err(AppError::Unauthorized(_)) => {
                    if let (Some(uid), Some(form)) = (keep, kept_form) {
                        let page = back.replace("?verlopen=1", "").replace("&verlopen=1", "");
                        if let Some(c) = form.await.ok().and_then(|f| pending::keep_cookie(&action, &page, uid, f.into_inner(), secure)) {
                            return Err(LoginRedirect { back: "/doorgaan".into(), kept: Some(c) }.into());
                        }
                    }
                    Err(LoginRedirect { back, kept: None }.into())
                }
                Err(e) => Err(PageError(e).into()),
            }
        })
    }
}

/// The path of a URL on this site, or None.
fn local_path(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let path = rest.find('/').map(|i| &rest[i..])?;
    Some(path.to_string())
}

/// Only paths on this site may be a "back" target (no open redirect).
/// A place to return to after login: only a path on this site. Browsers strip tabs and
/// newlines from a URL and treat `\\` as `/`, so `/\t/evil.example/` would leave the site: any
/// control character, backslash or `//` at the start is refused, and the path must parse as a
/// same-origin URL.
pub fn safe_back(t: &str) -> Option<&str> {
    if !t.starts_with('/') || t.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    if t.starts_with("//") || t.starts_with("/%2f") || t.starts_with("/%2F") || t.starts_with("/%5c") || t.starts_with("/%5C") {
        return None;
    }
    // Must stay on the origin when resolved against it.
    let base = "https://opstap.invalid";
    match url_host_of(&format!("{base}{t}")) {
        Some(h) if h == "opstap.invalid" => Some(t),
        _ => None,
    }
}

/// The host of an absolute http(s) URL, as a browser would read it (lowercased, up to the first
/// `/`, `?` or `#`, without userinfo and port).
fn url_host_of(u: &str) -> Option<String> {
    let rest = u.strip_prefix("https://").or_else(|| u.strip_prefix("http://"))?;
    let auth = rest.split(['/', '?', '#']).next()?;
    let host = auth.rsplit('@').next()?.split(':').next()?;
    Some(host.to_ascii_lowercase())
}

// ---------------------------------------------------------------- public pages

#[derive(Template)]
#[template(path = "pages/index.html")]
struct IndexPage {
    ctx: Ctx,
    placements: i64,
    municipalities: i64,
}

async fn index(req: HttpRequest, state: web::Data<AppState>, user: crate::web::auth::MaybeUser) -> Result<HttpResponse, PageError> {
    let (p, m) = state.db(crate::service::placements::front_page_counts).await?;
    render(&IndexPage { ctx: Ctx::new(&req, user.0.as_ref()), placements: p, municipalities: m })
}

async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../../templates/static/app.css"))
}

async fn js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../../templates/static/app.js"))
}

async fn home(user: PageUser) -> HttpResponse {
    see_other(home_of(user.0.role))
}

#[derive(Template)]
#[template(path = "pages/login.html")]
struct LoginPage {
    ctx: Ctx,
    email: String,
    back: String,
    error: Option<String>,
    /// The button of the external identity provider, when one is configured.
    external: Option<String>,
}

impl LoginPage {
    fn new(req: &HttpRequest, email: String, back: String, error: Option<String>) -> LoginPage {
        let external = req.app_data::<web::Data<AppState>>().and_then(|s| s.oidc.as_ref()).map(|o| o.cfg.label.clone());
        LoginPage { ctx: Ctx::new(req, None), email, back, error, external }
    }
}

#[derive(Template)]
#[template(path = "pages/message.html")]
pub struct MessagePage {
    pub ctx: Ctx,
    pub title: String,
    pub message: String,
    pub link: String,
    pub link_text: String,
}

#[derive(Template)]
#[template(path = "pages/password_forgotten.html")]
struct ForgottenPage {
    ctx: Ctx,
    email: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/password_reset.html")]
struct ResetPage {
    ctx: Ctx,
    token: String,
    error: Option<String>,
}

page!(IndexPage, LoginPage, MessagePage, ForgottenPage, ResetPage);

/// After registration: the same page for a new and an already registered address.
async fn registered(req: HttpRequest) -> Result<HttpResponse, PageError> {
    render(&MessagePage {
        ctx: Ctx::new(&req, None),
        title: "Aanmelding ontvangen".into(),
        message: crate::web::api::auth::REGISTERED_MESSAGE.into(),
        link: "/inloggen".into(),
        link_text: "Naar inloggen".into(),
    })
}

async fn forgotten_form(req: HttpRequest) -> Result<HttpResponse, PageError> {
    render(&ForgottenPage { ctx: Ctx::new(&req, None), email: String::new(), error: None })
}

#[derive(serde::Deserialize)]
struct ForgottenForm {
    csrf: String,
    email: String,
}

/// Sends a reset link when the address has an account; the answer is the same either way.
async fn forgotten(req: HttpRequest, state: web::Data<AppState>, form: web::Form<ForgottenForm>) -> Result<HttpResponse, PageError> {
    let f = form.into_inner();
    check_csrf(&req, &f.csrf)?;
    let email = f.email.trim().to_string();
    if email.is_empty() || email.chars().count() > 254 {
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ForgottenPage { ctx: Ctx::new(&req, None), email, error: Some("Vul uw e-mailadres in.".into()) },
        );
    }
    crate::service::accounts::request_reset(&state, &email, crate::web::client::client_address(&req)).await?;
    render(&MessagePage {
        ctx: Ctx::new(&req, None),
        title: "Kijk in uw e-mail".into(),
        message: crate::web::api::auth::RESET_MESSAGE.into(),
        link: "/inloggen".into(),
        link_text: "Naar inloggen".into(),
    })
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn reset_form(req: HttpRequest, q: web::Query<TokenQuery>) -> Result<HttpResponse, PageError> {
    let token = q.into_inner().token.unwrap_or_default();
    render(&ResetPage { ctx: Ctx::new(&req, None), token, error: None })
}

#[derive(serde::Deserialize)]
struct ResetForm {
    csrf: String,
    token: String,
    password: String,
}

/// Sets the new password; every session of the account ends. Then log in.
async fn reset(req: HttpRequest, state: web::Data<AppState>, form: web::Form<ResetForm>) -> Result<HttpResponse, PageError> {
    let f = form.into_inner();
    check_csrf(&req, &f.csrf)?;
    match crate::service::accounts::confirm_reset(&state, &f.token, &f.password).await {
        Ok(()) => render(&MessagePage {
            ctx: Ctx::new(&req, None),
            title: "Wachtwoord opgeslagen".into(),
            message: "Uw nieuwe wachtwoord is opgeslagen. U bent overal uitgelogd. Log in met uw nieuwe wachtwoord.".into(),
            link: "/inloggen".into(),
            link_text: "Naar inloggen".into(),
        }),
        Err(AppError::Validation(errs)) => {
            let error = Some(errs.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" "));
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &ResetPage { ctx: Ctx::new(&req, None), token: f.token, error })
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
struct BackQuery {
    terug: Option<String>,
}

async fn login_form(req: HttpRequest, q: web::Query<BackQuery>) -> Result<HttpResponse, PageError> {
    let back = q.terug.as_deref().and_then(safe_back).unwrap_or("").to_string();
    render(&LoginPage::new(&req, String::new(), back, None))
}

#[derive(serde::Deserialize)]
struct LoginForm {
    csrf: String,
    email: String,
    password: String,
    #[serde(default)]
    terug: String,
}

/// After a login (password or external): the session cookie, and on to `back` (a path on this
/// site) or the role's home page.
fn logged_in(state: &AppState, ok: &crate::service::accounts::LoginOk, back: &str) -> Result<HttpResponse, PageError> {
    let token = state.jwt.issue(&ok.user_id, &ok.role, &ok.session_id, ok.expires_at).map_err(AppError::Internal)?;
    let role = Role::parse(&ok.role).ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown role {:?} stored for a user", ok.role)))?;
    let to = safe_back(back).filter(|t| !t.starts_with("/inloggen")).unwrap_or(home_of(role)).to_string();
    let secure = state.config.public_url.starts_with("https://");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .cookie(cookie(SESSION_COOKIE, token, secure, Some(state.config.token_ttl_minutes * 60)))
        .finish())
}

async fn login(req: HttpRequest, state: web::Data<AppState>, form: web::Form<LoginForm>) -> Result<HttpResponse, PageError> {
    let f = form.into_inner();
    check_csrf(&req, &f.csrf)?;
    let back = safe_back(&f.terug).unwrap_or("").to_string();
    match crate::service::accounts::login(&state, &f.email, &f.password, crate::web::client::client_address(&req)).await {
        Ok(ok) => logged_in(&state, &ok, &f.terug),
        Err(AppError::Unauthorized(_)) | Err(AppError::Validation(_)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &LoginPage::new(&req, f.email.clone(), back, Some("Het e-mailadres of het wachtwoord klopt niet.".into())),
        ),
        Err(AppError::TooManyRequests { retry_after }) => {
            let minutes = retry_after.div_ceil(60).max(1);
            let error = Some(format!(
                "U heeft te vaak een verkeerd wachtwoord ingevuld. Probeer het over {minutes} {} opnieuw, of vraag een nieuw wachtwoord aan.",
                if minutes == 1 { "minuut" } else { "minuten" }
            ));
            let mut resp = render_status(StatusCode::TOO_MANY_REQUESTS, &LoginPage::new(&req, f.email.clone(), back, error))?;
            if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// Ends the session on the server (the token stops working everywhere) and removes the cookie.
async fn logout(req: HttpRequest, state: web::Data<AppState>, form: web::Form<CsrfForm>) -> Result<HttpResponse, PageError> {
    check_csrf(&req, &form.csrf)?;
    crate::web::auth::end_session(&req, &state).await?;
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, "/inloggen")).cookie(gone).finish())
}

// ---------------------------------------------------------------- employer registration

#[derive(Template)]
#[template(path = "pages/register.html")]
struct RegisterPage {
    ctx: Ctx,
    form: forms::FormState,
}
page!(RegisterPage);

async fn register_form(req: HttpRequest) -> Result<HttpResponse, PageError> {
    render(&RegisterPage { ctx: Ctx::new(&req, None), form: forms::FormState::default() })
}

/// A new employer registers its organisation and its first account; it may prepare placements
/// at once, which are published after the municipality verified the organisation.
async fn register(req: HttpRequest, state: web::Data<AppState>, form: CheckedForm) -> Result<HttpResponse, PageError> {
    let fs = form.0;
    let v = |k: &str| fs.v(k).trim().to_string();
    let input = crate::web::api::auth::RegisterEmployerInput {
        organisation: crate::web::api::organisations::OrganisationInput {
            name: v("organisation.name"),
            kvk_number: v("organisation.kvk_number"),
            sector: v("organisation.sector"),
            pc4: v("organisation.pc4"),
            contact_name: v("name"),
            contact_email: v("email"),
            contact_phone: v("organisation.contact_phone"),
        },
        name: v("name"),
        email: v("email"),
        password: fs.v("password").to_string(),
    };
    let call = |input| crate::service::accounts::register(&state, input, crate::web::client::client_address(&req));
    match forms::submit(fs, Ok(input), call).await? {
        // The same answer whether or not the address already had an account.
        forms::Posted::Done(_) => Ok(see_other("/registreren/ontvangen")),
        forms::Posted::Again(mut fs) => {
            // The contact person is the one who registers.
            let errs = std::mem::take(&mut fs.errors).into_iter().map(|f| match f.field.as_str() {
                "organisation.contact_email" => crate::domain::FieldError::new("email", f.message),
                "organisation.contact_name" => crate::domain::FieldError::new("name", f.message),
                _ => f,
            });
            fs.errors = forms::merge(errs.collect());
            fs.set("password", "");
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &RegisterPage { ctx: Ctx::new(&req, None), form: fs })
        }
    }
}
