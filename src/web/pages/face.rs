//! The municipality's face: the public privacy, accessibility and contact pages, the house
//! colour as a style sheet (the CSP allows no inline styles), and the beheerder's form.

use super::forms::FormState;
use super::{render, render_status, see_other, CheckedForm, Ctx, PageError, PageUser};
use crate::domain::face::Face;
use crate::domain::Role;
use crate::service::face::FaceInput;
use crate::state::AppState;
use crate::web::auth::MaybeUser;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/privacy", web::get().to(privacy))
        .route("/toegankelijkheid", web::get().to(accessibility))
        .route("/contact", web::get().to(contact))
        .route("/huisstijl/{id}", web::get().to(house_style))
        .route("/beheer/gemeente", web::get().to(form))
        .route("/beheer/gemeente", web::post().to(save));
}

#[derive(Template)]
#[template(path = "pages/statement.html")]
struct StatementPage {
    ctx: Ctx,
    title: String,
    paragraphs: Vec<String>,
    show_contact: bool,
}

#[derive(Template)]
#[template(path = "pages/admin_face.html")]
struct FaceForm {
    ctx: Ctx,
    form: FormState,
    saved: bool,
}
crate::page!(StatementPage, FaceForm);

async fn statement(
    req: HttpRequest,
    user: MaybeUser,
    title: &str,
    text: impl Fn(&Face) -> String,
    show_contact: bool,
) -> Result<HttpResponse, PageError> {
    let ctx = Ctx::new(&req, user.0.as_ref());
    let paragraphs = Face::paragraphs(&text(&ctx.face));
    render(&StatementPage { title: title.into(), paragraphs, show_contact, ctx })
}

async fn privacy(req: HttpRequest, user: MaybeUser) -> Result<HttpResponse, PageError> {
    statement(req, user, "Privacyverklaring", |f| f.privacy_statement.clone(), true).await
}

async fn accessibility(req: HttpRequest, user: MaybeUser) -> Result<HttpResponse, PageError> {
    statement(req, user, "Toegankelijkheidsverklaring", |f| f.accessibility_statement.clone(), true).await
}

async fn contact(req: HttpRequest, user: MaybeUser) -> Result<HttpResponse, PageError> {
    statement(
        req,
        user,
        "Contact",
        |f| format!("Heeft u een vraag over werk, uw voorstel of deze site? Neem contact op met {}. Heeft u een klantmanager? Dan kunt u ook hem of haar direct mailen.", f.name),
        true,
    )
    .await
}

/// `:root` colours of the municipality (the path is `{id}.css`).
async fn house_style(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let id = path.into_inner();
    let id = id.strip_suffix(".css").unwrap_or(&id);
    let face = state.refdata().face(Some(id));
    let dark = darker(&face.colour);
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "no-cache"))
        .body(format!(":root {{ --accent: {}; --accent-dark: {dark}; }}\n", face.colour))
}

/// The colour 25% darker, for hover and focus.
fn darker(hex: &str) -> String {
    let h = hex.trim_start_matches('#');
    let c = |i: usize| u8::from_str_radix(h.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0) as f64 * 0.75;
    format!("#{:02x}{:02x}{:02x}", c(0) as u8, c(2) as u8, c(4) as u8)
}

fn fields_of(f: &Face) -> FormState {
    let mut fs = FormState::default();
    fs.set("display_name", f.name.clone());
    fs.set("logo_url", f.logo_url.clone().unwrap_or_default());
    fs.set("colour", f.colour.clone());
    fs.set("contact_phone", f.contact_phone.clone());
    fs.set("contact_email", f.contact_email.clone());
    fs.set("contact_address", f.contact_address.clone());
    fs.set("contact_hours", f.contact_hours.clone());
    fs.set("privacy_statement", f.privacy_statement.clone());
    fs.set("accessibility_statement", f.accessibility_statement.clone());
    fs
}

async fn form(req: HttpRequest, user: PageUser, q: web::Query<std::collections::HashMap<String, String>>) -> Result<HttpResponse, PageError> {
    let u = user.0;
    u.require(&[Role::Beheerder])?;
    let ctx = Ctx::new(&req, Some(&u));
    let form = fields_of(&ctx.face);
    render(&FaceForm { ctx, form, saved: q.contains_key("opgeslagen") })
}

async fn save(req: HttpRequest, state: web::Data<AppState>, user: PageUser, form: CheckedForm) -> Result<HttpResponse, PageError> {
    let u = user.0;
    u.require(&[Role::Beheerder])?;
    let fs = form.0;
    let v = |k: &str| fs.v(k).to_string();
    let input = FaceInput {
        display_name: v("display_name"),
        logo_url: Some(v("logo_url")),
        colour: v("colour"),
        contact_phone: v("contact_phone"),
        contact_email: v("contact_email"),
        contact_address: v("contact_address"),
        contact_hours: v("contact_hours"),
        privacy_statement: v("privacy_statement"),
        accessibility_statement: v("accessibility_statement"),
    };
    let (u2, rd) = (u.clone(), state.env());
    let call = |input: FaceInput| state.tx(move |conn| crate::service::face::save(conn, &crate::service::Ctx::new(&u2, &rd), &input));
    match super::forms::submit(fs, Ok(input), call).await? {
        super::forms::Posted::Done(()) => {
            state.caught_up().await?;
            Ok(see_other("/beheer/gemeente?opgeslagen=1"))
        }
        super::forms::Posted::Again(fs) => {
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &FaceForm { ctx: Ctx::new(&req, Some(&u)), form: fs, saved: false })
        }
    }
}
