//! Aanmelden pages: an inwoner signs up in plain Dutch (B1), confirms the address from the mail,
//! and sees what happens next; the beheerder assigns a klantmanager and a klantgroep. The
//! service (`service::aanmelden`) holds every rule.

use super::forms::{self, FormState, Kind, Posted};
use super::{render, render_status, see_other, CheckedForm, Ctx, MessagePage, PageError, PageUser};
use crate::domain::Role;
use crate::service::aanmelden::{self as svc, AssignInput, RegistrationView, SignupInput};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/aanmelden", web::get().to(form))
        .route("/aanmelden", web::post().to(save))
        .route("/aanmelden/ontvangen", web::get().to(received))
        .route("/aanmelden/bevestigen", web::get().to(confirm_form))
        .route("/aanmelden/bevestigen", web::post().to(confirm))
        .route("/beheer/aanmeldingen", web::get().to(waiting))
        .route("/beheer/aanmeldingen/{id}", web::post().to(assign));
}

/// Education levels in plain words, for the sign-up form.
pub const EDUCATION_B1: &[(&str, &str)] = &[
    ("geen", "Geen diploma"),
    ("basisonderwijs", "Basisschool"),
    ("vmbo", "Vmbo of mavo"),
    ("mbo1", "Mbo niveau 1 (entree)"),
    ("mbo2", "Mbo niveau 2"),
    ("mbo3", "Mbo niveau 3"),
    ("mbo4", "Mbo niveau 4"),
    ("havo", "Havo"),
    ("vwo", "Vwo"),
    ("hbo", "Hbo"),
    ("wo", "Universiteit"),
    ("buitenlands", "Diploma uit een ander land"),
];

/// Benefits in plain words.
pub const BENEFIT_B1: &[(&str, &str)] = &[
    ("nug", "Ik heb geen uitkering"),
    ("participatiewet", "Bijstand (Participatiewet)"),
    ("ioaw", "IOAW"),
    ("ioaz", "IOAZ"),
    ("anw", "Anw (nabestaanden)"),
];

const FIELDS: &[(&str, Kind)] = &[
    ("first_name", Kind::ReqText),
    ("last_name", Kind::ReqText),
    ("email", Kind::ReqText),
    ("password", Kind::ReqText),
    ("phone", Kind::Text),
    ("birth_date", Kind::ReqText),
    ("pc4", Kind::ReqText),
    ("education_level", Kind::ReqText),
    ("benefit_type", Kind::Text),
    ("hours_min", Kind::ReqInt),
    ("hours_max", Kind::ReqInt),
    ("message", Kind::Text),
    ("consent_matching", Kind::Bool),
    ("consent_anonymous_profile", Kind::Bool),
    ("consent_email", Kind::Bool),
];

#[derive(Template)]
#[template(path = "pages/signup.html")]
struct SignupPage {
    ctx: Ctx,
    form: FormState,
    education: &'static [(&'static str, &'static str)],
    benefits: &'static [(&'static str, &'static str)],
}

#[derive(Template)]
#[template(path = "pages/signup_confirm.html")]
struct ConfirmPage {
    ctx: Ctx,
    token: String,
    form: FormState,
}

#[derive(Template)]
#[template(path = "pages/admin_registrations.html")]
struct WaitingPage {
    ctx: Ctx,
    rows: Vec<RegistrationView>,
    kms: Vec<(String, String, bool, i64)>,
    groups: Vec<(String, String)>,
    form: FormState,
    failed: String,
    notice: Option<&'static str>,
}
crate::page!(SignupPage, ConfirmPage, WaitingPage);

async fn form(req: HttpRequest) -> Result<HttpResponse, PageError> {
    let mut fs = FormState::default();
    fs.set("hours_min", "8".to_string());
    fs.set("hours_max", "24".to_string());
    fs.set("benefit_type", "nug".to_string());
    fs.set("consent_matching", "on".to_string());
    render(&SignupPage { ctx: Ctx::new(&req, None), form: fs, education: EDUCATION_B1, benefits: BENEFIT_B1 })
}

async fn save(req: HttpRequest, state: web::Data<AppState>, form: CheckedForm) -> Result<HttpResponse, PageError> {
    let fs = form.0;
    // Every mistake in one round: the type errors and the input's own rules together.
    let (json, errs) = forms::to_json(&fs, FIELDS);
    let input = forms::read_json(json, errs, |t: &SignupInput| crate::domain::validation::validation_errors_of(t));
    let call = |input| svc::signup(&state, input, crate::web::client::client_address(&req));
    match forms::submit(fs, input, call).await? {
        // The same answer whether or not the address had an account.
        Posted::Done(()) => Ok(see_other("/aanmelden/ontvangen")),
        Posted::Again(mut fs) => {
            fs.set("password", String::new());
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SignupPage { ctx: Ctx::new(&req, None), form: fs, education: EDUCATION_B1, benefits: BENEFIT_B1 },
            )
        }
    }
}

async fn received(req: HttpRequest) -> Result<HttpResponse, PageError> {
    render(&MessagePage {
        ctx: Ctx::new(&req, None),
        title: "Kijk in uw e-mail".into(),
        message: crate::web::api::registrations::SIGNUP_MESSAGE.into(),
        link: String::new(),
        link_text: String::new(),
    })
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The link from the mail shows a button: a mail program that opens links by itself does not
/// confirm anything.
async fn confirm_form(req: HttpRequest, q: web::Query<TokenQuery>) -> Result<HttpResponse, PageError> {
    render(&ConfirmPage { ctx: Ctx::new(&req, None), token: q.into_inner().token, form: FormState::default() })
}

async fn confirm(req: HttpRequest, state: web::Data<AppState>, form: CheckedForm) -> Result<HttpResponse, PageError> {
    let fs = form.0;
    let token = fs.v("token").to_string();
    let call = |t: String| async move { svc::confirm(&state, &t).await };
    match forms::submit(fs, Ok(token.clone()), call).await? {
        Posted::Done(()) => render(&MessagePage {
            ctx: Ctx::new(&req, None),
            title: "Uw e-mailadres is bevestigd".into(),
            message: "Dank u. U kunt nu inloggen. De gemeente kiest een klantmanager voor u. Dat is iemand die u helpt bij het vinden van werk. U krijgt een e-mail als het zover is.".into(),
            link: "/inloggen".into(),
            link_text: "Inloggen".into(),
        }),
        Posted::Again(fs) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &ConfirmPage { ctx: Ctx::new(&req, None), token, form: fs }),
    }
}

async fn waiting_page(
    req: &HttpRequest,
    state: &AppState,
    u: &crate::auth::CurrentUser,
    form: FormState,
    failed: String,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    u.require(&[Role::Beheerder])?;
    let (u2, env) = (u.clone(), state.env());
    let (rows, kms, groups) = state
        .tx(move |conn| {
            let ctx = crate::service::Ctx::new(&u2, &env);
            let rows = svc::waiting(conn, &ctx)?;
            let kms = crate::service::handover::klantmanagers(conn, &ctx)?;
            let groups = crate::service::client_groups::list(conn, &ctx, None)?;
            Ok((rows, kms, groups))
        })
        .await?;
    let kms = kms.into_iter().filter(|(k, _)| k.active).map(|(k, n)| (k.id, k.name, k.active, n)).collect();
    let groups = groups.into_iter().map(|g| (g.id, g.name)).collect();
    let notice = req
        .query_string()
        .contains("toegewezen=1")
        .then_some("De klantmanager is gekozen. De persoon staat nu in diens caseload en krijgt een e-mail.");
    render_status(status, &WaitingPage { ctx: Ctx::new(req, Some(u)), rows, kms, groups, form, failed, notice })
}

async fn waiting(req: HttpRequest, state: web::Data<AppState>, user: PageUser) -> Result<HttpResponse, PageError> {
    waiting_page(&req, &state, &user.0, FormState::default(), String::new(), StatusCode::OK).await
}

async fn assign(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: CheckedForm,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    u.require(&[Role::Beheerder])?;
    let id = path.into_inner();
    let fs = form.0;
    let input = forms::read::<AssignInput>(&fs, &[("klantmanager_id", Kind::ReqText), ("client_group_id", Kind::Text)]);
    let call = |input| svc::assign_for(&state, &u, &id, input);
    match forms::submit(fs, input, call).await? {
        Posted::Done(_) => {
            state.caught_up().await?;
            Ok(see_other("/beheer/aanmeldingen?toegewezen=1"))
        }
        Posted::Again(fs) => waiting_page(&req, &state, &u, fs, id, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}
