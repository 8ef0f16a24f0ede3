//! A form sent just after the session expired is not lost: its fields are kept in a short-lived
//! cookie, and after logging in again the person sees what they were doing and sends it with
//! one button (`/doorgaan`). Nothing is done without that click: the form gets a fresh CSRF
//! token, and the kept fields are offered only to the same user whose session expired.

use super::{home_of, render, safe_back, Ctx, PageError, PageUser};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};

pub const PENDING_COOKIE: &str = "opstap_bezig";
/// How long a kept form waits for the login (seconds).
const KEEP_SECONDS: i64 = 30 * 60;
/// Larger forms are not kept (a cookie holds about 4 kB); the page then says to do it again.
const MAX_COOKIE: usize = 3500;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/doorgaan", web::get().to(resume_page));
}

/// A form as kept: where it was sent, from which page, for whom, and its fields (without the
/// old CSRF token).
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    pub action: String,
    pub page: String,
    pub user_id: String,
    pub fields: Vec<(String, String)>,
}

fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

fn dec(s: &str) -> Option<String> {
    percent_decode_str(s).decode_utf8().ok().map(|c| c.into_owned())
}

impl Kept {
    /// The cookie value: `key=value` pairs joined by `&`, each part percent-encoded (only
    /// characters a cookie may hold).
    pub fn encode(&self) -> String {
        let head = [("_action", self.action.as_str()), ("_page", self.page.as_str()), ("_user", self.user_id.as_str())];
        head.into_iter()
            .chain(self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The kept form, if the value is whole and both paths are on this site.
    pub fn decode(value: &str) -> Option<Kept> {
        let mut k = Kept { action: String::new(), page: String::new(), user_id: String::new(), fields: vec![] };
        for pair in value.split('&').filter(|p| !p.is_empty()) {
            let (a, b) = pair.split_once('=')?;
            let (a, b) = (dec(a)?, dec(b)?);
            match a.as_str() {
                "_action" => k.action = b,
                "_page" => k.page = b,
                "_user" => k.user_id = b,
                "csrf" => {}
                _ => k.fields.push((a, b)),
            }
        }
        let ok = safe_back(&k.action).is_some() && safe_back(&k.page).is_some() && !k.user_id.is_empty();
        ok.then_some(k)
    }

    /// What the person was doing, in plain words (the kind of form, not its contents).
    pub fn described(&self) -> String {
        let field = |name: &str| self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("");
        if self.action.ends_with("/interesse") {
            return "Laten weten dat u interesse heeft in deze plek.".into();
        }
        if self.action.starts_with("/matches/") {
            return match field("action") {
                "accept" => "Ja zeggen op het voorstel.".into(),
                "decline" => "Nee zeggen op het voorstel.".into(),
                "withdraw_consent" => "Stoppen met het voorstel.".into(),
                "resume_consent" => "Toch doorgaan met het voorstel.".into(),
                other => match crate::domain::workflow::Action::parse(other) {
                    Some(a) => format!("Een stap in dit voorstel vastleggen: {}.", a.label_nl().to_lowercase()),
                    None => "Iets doen met dit voorstel.".into(),
                },
            };
        }
        if self.action.starts_with("/kandidaat/wensen") {
            return "Uw wensen opslaan.".into();
        }
        if self.action.starts_with("/kandidaat/plan") {
            return "Iets in uw plan afvinken of een reactie geven.".into();
        }
        if self.action.starts_with("/kandidaat/gegevens") {
            return "Uw keuzes over uw gegevens opslaan.".into();
        }
        "Het formulier versturen dat u had ingevuld.".into()
    }
}

/// The user of the request's session token when it is genuine but has expired, for a form sent
/// by a browser (the API answers 401 as always).
pub fn expired_user(req: &HttpRequest) -> Option<String> {
    let state = req.app_data::<web::Data<crate::state::AppState>>()?;
    let token = req.cookie(crate::auth::SESSION_COOKIE)?;
    let form = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return None;
    }
    state.jwt.expired_subject(token.value())
}

/// The cookie that keeps a form sent to `action` from `page` by `user_id`, or None when it is
/// too large to keep.
pub fn keep_cookie(action: &str, page: &str, user_id: String, pairs: Vec<(String, String)>, secure: bool) -> Option<Cookie<'static>> {
    let kept = Kept {
        action: action.to_string(),
        page: page.to_string(),
        user_id,
        fields: pairs.into_iter().filter(|(k, _)| k != "csrf" && !k.starts_with('_')).collect(),
    };
    let value = kept.encode();
    if value.len() > MAX_COOKIE || safe_back(action).is_none() {
        return None;
    }
    let mut c = Cookie::build(PENDING_COOKIE, value).path("/").http_only(true).same_site(SameSite::Strict).secure(secure).finish();
    c.set_max_age(actix_web::cookie::time::Duration::seconds(KEEP_SECONDS));
    Some(c)
}

#[derive(Template)]
#[template(path = "pages/pending.html")]
struct PendingPage {
    ctx: Ctx,
    kept: Kept,
    described: String,
}
crate::page!(PendingPage);

/// After the login: what the person was doing, with one button to send it now. The cookie is
/// removed at once (what it held is in the page now); another user gets their home page.
async fn resume_page(req: HttpRequest, user: PageUser) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let kept = req.cookie(PENDING_COOKIE).and_then(|c| Kept::decode(c.value())).filter(|k| k.user_id == u.id);
    let mut gone = Cookie::build(PENDING_COOKIE, "").path("/").finish();
    gone.make_removal();
    let mut resp = match kept {
        Some(kept) => {
            let described = kept.described();
            render(&PendingPage { ctx: Ctx::new(&req, Some(&u)), kept, described })?
        }
        None => super::see_other(home_of(u.role)),
    };
    resp.add_cookie(&gone).map_err(|e| PageError(crate::error::AppError::Internal(anyhow::anyhow!("cookie: {e}"))))?;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_form_survives_the_cookie_and_refuses_other_sites() {
        let k = Kept {
            action: "/matches/m1".into(),
            page: "/matches/m1?x=1".into(),
            user_id: "u1".into(),
            fields: vec![("action".into(), "accept".into()), ("reason".into(), "Ik wil graag; ja & \"zeker\" é".into())],
        };
        let v = k.encode();
        assert!(!v.contains(';') && !v.contains(' ') && !v.contains('"') && !v.contains(','), "{v}");
        assert_eq!(Kept::decode(&v), Some(k.clone()));
        assert_eq!(k.described(), "Ja zeggen op het voorstel.");
        let evil = Kept { action: "//evil.example/x".into(), ..k };
        assert_eq!(Kept::decode(&evil.encode()), None);
    }
}
