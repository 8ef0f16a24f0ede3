//! "Mijn wensen": the person keeps their own wishes (B1). The service holds the rules.

use super::forms::{self, FormState, Kind, Posted};
use super::{render_status, see_other, CheckedForm, Ctx, PageError, PageUser};
use crate::domain::{PlacementKind, DAYS};
use crate::service::wishes::{self as svc, WishesInput};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/kandidaat/wensen", web::get().to(form))
        .route("/kandidaat/wensen", web::post().to(save))
        .route("/kandidaat/wensen/vaardigheid", web::post().to(suggest))
        .route("/klantmanager/kandidaten/{id}/vaardigheden/{sid}", web::post().to(decide));
}

#[derive(Template)]
#[template(path = "pages/candidate_wishes.html")]
struct WishesPage {
    ctx: Ctx,
    form: FormState,
    sectors: Vec<String>,
    kinds: Vec<(&'static str, &'static str, &'static str)>,
    days: &'static [(&'static str, &'static str)],
    saved: bool,
    suggestions: Vec<svc::SuggestionView>,
    skill_form: FormState,
    suggested: bool,
}
crate::page!(WishesPage);

fn kinds() -> Vec<(&'static str, &'static str, &'static str)> {
    PlacementKind::ALL.iter().map(|k| (k.as_str(), k.label_nl(), k.explain_b1())).collect()
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    u: &crate::auth::CurrentUser,
    form: FormState,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    page_with(req, state, u, form, FormState::default(), status).await
}

async fn page_with(
    req: &HttpRequest,
    state: &AppState,
    u: &crate::auth::CurrentUser,
    form: FormState,
    skill_form: FormState,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let (u2, env) = (u.clone(), state.env());
    let suggestions = state.db(move |conn| svc::own_suggestions(conn, &crate::service::Ctx::new(&u2, &env))).await?;
    let mut sectors = state.db(|conn| Ok(svc::sectors(conn)?)).await?;
    for s in form.values_of("sector_preferences") {
        if !sectors.contains(&s) {
            sectors.push(s);
        }
    }
    let saved = req.query_string().contains("opgeslagen=1");
    render_status(
        status,
        &WishesPage {
            ctx: Ctx::new(req, Some(u)),
            form,
            sectors,
            kinds: kinds(),
            days: DAYS,
            saved,
            suggestions,
            skill_form,
            suggested: req.query_string().contains("voorgesteld=1"),
        },
    )
}

async fn form(req: HttpRequest, state: web::Data<AppState>, user: PageUser) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let (u2, env) = (u.clone(), state.env());
    let w = state.db(move |conn| svc::own(conn, &crate::service::Ctx::new(&u2, &env))).await?.wishes;
    let mut fs = FormState::default();
    fs.set("hours_min", w.hours_min.to_string());
    fs.set("hours_max", w.hours_max.to_string());
    fs.set("max_travel_km", w.max_travel_km.to_string());
    if w.own_transport {
        fs.set("own_transport", "on");
    }
    if w.driving_licence {
        fs.set("driving_licence", "on");
    }
    fs.set_all("sector_preferences", w.sector_preferences.clone());
    fs.set_all("kind_preferences", w.kind_preferences.iter().map(|k| k.as_str().to_string()).collect());
    fs.set_all("days_available", w.days_available.clone());
    page(&req, &state, &u, fs, StatusCode::OK).await
}

const FIELDS: &[(&str, Kind)] = &[
    ("hours_min", Kind::ReqInt),
    ("hours_max", Kind::ReqInt),
    ("max_travel_km", Kind::ReqInt),
    ("own_transport", Kind::Bool),
    ("driving_licence", Kind::Bool),
    ("sector_preferences", Kind::List),
    ("kind_preferences", Kind::List),
    ("days_available", Kind::List),
];

async fn save(req: HttpRequest, state: web::Data<AppState>, user: PageUser, form: CheckedForm) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let fs = form.0;
    let (json, errs) = forms::to_json(&fs, FIELDS);
    let input = forms::read_json(json, errs, |t: &WishesInput| crate::domain::validation::validation_errors_of(t));
    let call = |input| svc::update_for(&state, &u, input);
    match forms::submit(fs, input, call).await? {
        Posted::Done(_) => Ok(see_other("/kandidaat/wensen?opgeslagen=1")),
        Posted::Again(fs) => page(&req, &state, &u, fs, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

async fn suggest(req: HttpRequest, state: web::Data<AppState>, user: PageUser, form: CheckedForm) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let fs = form.0;
    let input = svc::SuggestInput { skill: fs.v("skill").to_string() };
    let call = |input| svc::suggest_for(&state, &u, input);
    match forms::submit(fs, Ok(input), call).await? {
        Posted::Done(_) => Ok(see_other("/kandidaat/wensen?voorgesteld=1#vaardigheden")),
        Posted::Again(fs) => {
            let (u2, env) = (u.clone(), state.env());
            let w = state.db(move |conn| svc::own(conn, &crate::service::Ctx::new(&u2, &env))).await?.wishes;
            let mut wf = FormState::default();
            wf.set("hours_min", w.hours_min.to_string());
            wf.set("hours_max", w.hours_max.to_string());
            wf.set("max_travel_km", w.max_travel_km.to_string());
            page_with(&req, &state, &u, wf, fs, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// The klantmanager confirms or declines a suggested skill from the candidate's page.
async fn decide(state: web::Data<AppState>, user: PageUser, path: web::Path<(String, String)>, form: CheckedForm) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let (cid, sid) = path.into_inner();
    let input = svc::DecideInput { decision: form.0.v("decision").to_string() };
    svc::decide_for(&state, &u, &cid, &sid, input).await?;
    Ok(see_other(&format!("/klantmanager/kandidaten/{cid}#vaardigheden-voorstel")))
}
