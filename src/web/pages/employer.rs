//! Employer pages: overview (organisation, placements, proposals received, SROI contracts) and
//! posting a placement with ESCO suggestions.

use super::forms::{self, FormState, Kind, Posted};
use super::{render, render_status, see_other, CheckedForm, Ctx, PageError, PageUser};
use crate::db::models::Organisation;
use crate::domain::{PlacementKind, Role};
use crate::error::AppError;
use crate::service::placements::{create_placement, PlacementInput};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/werkgever", web::get().to(dashboard))
        .route("/werkgever/plekken/nieuw", web::get().to(new_form))
        .route("/werkgever/plekken/nieuw", web::post().to(create))
        .route("/werkgever/plekken/{id}/bewerken", web::get().to(edit_form))
        .route("/werkgever/plekken/{id}/bewerken", web::post().to(edit_save))
        .route("/werkgever/organisatie", web::get().to(org_form))
        .route("/werkgever/organisatie", web::post().to(org_save));
}

pub use crate::domain::euros;

pub struct PlacementRow {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub status: String,
}

pub use crate::service::employer::MatchRow;

pub struct SroiRow {
    pub reference: String,
    pub obligation: String,
    pub realised: String,
    pub pct: f64,
}

#[derive(Template)]
#[template(path = "pages/employer_dashboard.html")]
struct Dashboard {
    ctx: Ctx,
    org: Organisation,
    placements: Vec<PlacementRow>,
    matches: Vec<MatchRow>,
    sroi: Vec<SroiRow>,
}

#[derive(Template)]
#[template(path = "pages/placement_form.html")]
struct PlacementForm {
    ctx: Ctx,
    /// Where the form posts; an edit when it is not the "new" address.
    action: String,
    form: FormState,
    kinds: Vec<(&'static str, &'static str)>,
    verified: bool,
}
crate::page!(Dashboard, PlacementForm);

async fn dashboard(req: HttpRequest, state: web::Data<AppState>, user: PageUser) -> Result<HttpResponse, PageError> {
    let u = user.0;
    u.require(&[Role::Werkgever])?;
    let st = state.get_ref().clone();
    let u2 = u.clone();
    let (org, ps, ms, sroi) = state
        .db(move |conn| {
            let rd = st.env();
            let ctx = crate::service::Ctx::new(&u2, &rd);
            let (org, ps, rows) = crate::service::employer::dashboard(conn, &ctx)?;
            let sroi = crate::service::sroi::list(conn, &ctx)?
                .into_iter()
                .map(|c| SroiRow { reference: c.reference, obligation: euros(c.obligation_cents), realised: euros(c.realised_cents), pct: c.met_pct })
                .collect::<Vec<_>>();
            Ok((org, ps, rows, sroi))
        })
        .await?;
    let placements = ps
        .into_iter()
        .map(|p| PlacementRow { kind: p.kind.label_nl().to_string(), status: p.status.label_nl().to_string(), id: p.id, title: p.title })
        .collect();
    render(&Dashboard { ctx: Ctx::new(&req, Some(&u)), org, placements, matches: ms, sroi })
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    PlacementKind::ALL.iter().map(|k| (k.as_str(), k.label_nl())).collect()
}

async fn new_form(req: HttpRequest, user: PageUser) -> Result<HttpResponse, PageError> {
    let u = user.0;
    u.require(&[Role::Werkgever])?;
    let mut form = FormState::default();
    form.set("hours_min", "16");
    form.set("hours_max", "32");
    form.set("positions", "1");
    form.set("status", "open");
    render(&PlacementForm {
        ctx: Ctx::new(&req, Some(&u)),
        action: "/werkgever/plekken/nieuw".into(),
        form,
        kinds: kinds(),
        verified: u.organisation_verified,
    })
}

/// How many skill fields the placement form shows.
pub const SKILL_FIELDS: usize = 5;

const PLACEMENT_FIELDS: &[(&str, Kind)] = &[
    ("kind", Kind::ReqText),
    ("title", Kind::ReqText),
    ("description", Kind::Text),
    ("occupation_id", Kind::Text),
    ("hours_min", Kind::ReqInt),
    ("hours_max", Kind::ReqInt),
    ("pc4", Kind::ReqText),
    ("hourly_wage_cents", Kind::EuroCents),
    ("language_level_required", Kind::Text),
    ("internal_supervisor", Kind::Bool),
    ("job_coach_welcome", Kind::Bool),
    ("adapted_workplace", Kind::Bool),
    ("lks_accepted", Kind::Bool),
    ("counts_banenafspraak", Kind::Bool),
    ("language_learning", Kind::Bool),
    ("positions", Kind::Int),
    ("start_date", Kind::Text),
    ("duration_months", Kind::Int),
    ("status", Kind::Text),
    ("version", Kind::Int),
];

/// The placement input of a posted form, or every field error at once.
fn placement_input(state: &AppState, fs: &mut FormState) -> Result<PlacementInput, Vec<crate::domain::FieldError>> {
    let mut extra = vec![];
    if fs.v("occupation_id").is_empty() && !fs.v("occupation").trim().is_empty() {
        match state.refdata().suggest_occupations(fs.v("occupation"), 1).into_iter().next() {
            Some(s) => {
                fs.set("occupation_id", s.id);
                fs.set("occupation", s.label);
            }
            None => extra.push(crate::domain::FieldError::new("occupation", "Dit beroep kennen we niet. Kies een beroep uit de lijst.")),
        }
    }
    // Required skills: typed labels (or ids from the suggestions) to ESCO skill ids.
    let mut skills = vec![];
    for i in 1..=SKILL_FIELDS {
        let key = format!("skill_{i}");
        let typed = fs.v(&key).trim().to_string();
        if typed.is_empty() {
            continue;
        }
        let rd = state.env();
        let found = rd.skill(&typed).map(|_| typed.clone()).or_else(|| rd.suggest_skills(&typed, 1).into_iter().next().map(|s| s.id));
        match found {
            Some(id) => {
                fs.set(&key, crate::web::api::skill_ref(&rd, &id).label);
                if !skills.contains(&id) {
                    skills.push(id);
                }
            }
            None => extra.push(crate::domain::FieldError::new(key, "Deze vaardigheid kennen we niet. Kies er een uit de lijst.")),
        }
    }
    let (mut json, type_errs) = forms::to_json(fs, PLACEMENT_FIELDS);
    json["required_skills"] = serde_json::json!(skills);
    extra.extend(type_errs);
    if PlacementKind::parse(fs.v("kind")).is_none() {
        extra.push(crate::domain::FieldError::new("kind", "Kies de soort plek."));
        json["kind"] = serde_json::json!(PlacementKind::ReguliereBaan.as_str());
    }
    // Every field in one round (a wrong date does not hide a missing title).
    forms::read_json(json, extra, |input: &PlacementInput| {
        let mut more = crate::web::extract::validation_errors_of(input);
        more.extend(input.check(&state.refdata()));
        more
    })
}

async fn edit_form(req: HttpRequest, state: web::Data<AppState>, user: PageUser, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let u = user.0;
    u.require(&[Role::Werkgever])?;
    let id = path.into_inner();
    let p = crate::service::placements::own(&state, &u, &id).await?;
    let pl = &p.placement;
    let mut f = FormState::default();
    let rd = state.env();
    for (k, v) in [
        ("kind", pl.kind.as_str().to_string()),
        ("title", pl.title.clone()),
        ("description", pl.description.clone()),
        ("occupation_id", pl.occupation_id.clone().unwrap_or_default()),
        ("occupation", pl.occupation_id.as_deref().and_then(|o| rd.occupation(o)).map(|o| o.label_nl.clone()).unwrap_or_default()),
        ("hours_min", pl.hours_min.to_string()),
        ("hours_max", pl.hours_max.to_string()),
        ("pc4", pl.pc4.clone()),
        ("hourly_wage_cents", pl.hourly_wage_cents.map(|c| format!("{},{:02}", c / 100, c % 100)).unwrap_or_default()),
        ("language_level_required", pl.language_level_required.clone().unwrap_or_default()),
        ("positions", pl.positions.to_string()),
        ("start_date", pl.start_date.map(|d| d.to_string()).unwrap_or_default()),
        ("duration_months", pl.duration_months.map(|d| d.to_string()).unwrap_or_default()),
        ("status", pl.status.as_str().to_string()),
        ("version", pl.version.to_string()),
    ] {
        f.set(k, v);
    }
    for (i, sk) in p.skills.iter().filter(|s| s.required).take(SKILL_FIELDS).enumerate() {
        f.set(&format!("skill_{}", i + 1), crate::web::api::skill_ref(&rd, &sk.skill_id).label);
    }
    for (k, on) in [
        ("internal_supervisor", pl.internal_supervisor),
        ("job_coach_welcome", pl.job_coach_welcome),
        ("adapted_workplace", pl.adapted_workplace),
        ("lks_accepted", pl.lks_accepted),
        ("counts_banenafspraak", pl.counts_banenafspraak),
        ("language_learning", pl.language_learning),
    ] {
        if on {
            f.set(k, "on");
        }
    }
    render(&PlacementForm {
        ctx: Ctx::new(&req, Some(&u)),
        action: format!("/werkgever/plekken/{id}/bewerken"),
        form: f,
        kinds: kinds(),
        verified: u.organisation_verified,
    })
}

async fn edit_save(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: CheckedForm,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    u.require(&[Role::Werkgever])?;
    let id = path.into_inner();
    let mut fs = form.0;
    let input = placement_input(&state, &mut fs);
    let call = |input| crate::service::placements::update_from_form(&state, &u, &id, input);
    match forms::submit(fs, input, call).await? {
        Posted::Done(_) => Ok(see_other("/werkgever?bewaard=1")),
        Posted::Again(fs) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PlacementForm {
                ctx: Ctx::new(&req, Some(&u)),
                action: format!("/werkgever/plekken/{id}/bewerken"),
                form: fs,
                kinds: kinds(),
                verified: u.organisation_verified,
            },
        ),
    }
}

async fn create(req: HttpRequest, state: web::Data<AppState>, user: PageUser, form: CheckedForm) -> Result<HttpResponse, PageError> {
    let u = user.0;
    u.require(&[Role::Werkgever])?;
    let mut fs = form.0;
    let input = placement_input(&state, &mut fs);
    match forms::submit(fs, input, |input| create_placement(&state, &u, input)).await? {
        Posted::Done(_) => Ok(see_other("/werkgever?geplaatst=1")),
        Posted::Again(fs) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PlacementForm {
                ctx: Ctx::new(&req, Some(&u)),
                action: "/werkgever/plekken/nieuw".into(),
                form: fs,
                kinds: kinds(),
                verified: u.organisation_verified,
            },
        ),
    }
}

#[derive(Template)]
#[template(path = "pages/organisation_form.html")]
struct OrgForm {
    ctx: Ctx,
    form: FormState,
    verified: bool,
    saved: bool,
}
crate::page!(OrgForm);

const ORG_FIELDS: &[(&str, Kind)] = &[
    ("name", Kind::ReqText),
    ("kvk_number", Kind::ReqText),
    ("sector", Kind::ReqText),
    ("pc4", Kind::ReqText),
    ("contact_name", Kind::ReqText),
    ("contact_email", Kind::ReqText),
    ("contact_phone", Kind::Text),
];

async fn org_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    u.require(&[Role::Werkgever])?;
    let org_id = u.organisation_id.clone().ok_or(AppError::Forbidden)?;
    let u2 = u.clone();
    let o: Organisation = state.db(move |conn| crate::service::organisations::load_visible(conn, &u2, &org_id)).await?;
    let mut form = FormState::default();
    for (k, v) in [
        ("name", &o.name),
        ("kvk_number", &o.kvk_number),
        ("sector", &o.sector),
        ("pc4", &o.pc4),
        ("contact_name", &o.contact_name),
        ("contact_email", &o.contact_email),
        ("contact_phone", &o.contact_phone),
    ] {
        form.set(k, v.clone());
    }
    render(&OrgForm { ctx: Ctx::new(&req, Some(&u)), form, verified: o.verified, saved: q.contains_key("opgeslagen") })
}

async fn org_save(req: HttpRequest, state: web::Data<AppState>, user: PageUser, form: CheckedForm) -> Result<HttpResponse, PageError> {
    let u = user.0;
    u.require(&[Role::Werkgever])?;
    let org_id = u.organisation_id.clone().ok_or(AppError::Forbidden)?;
    let fs = form.0;
    let input = forms::read::<crate::web::api::organisations::OrganisationInput>(&fs, ORG_FIELDS);
    let call = |input| crate::service::organisations::update_organisation(&state, &u, org_id, input);
    match forms::submit(fs, input, call).await? {
        Posted::Done(_) => Ok(see_other("/werkgever/organisatie?opgeslagen=1")),
        Posted::Again(fs) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &OrgForm { ctx: Ctx::new(&req, Some(&u)), form: fs, verified: u.organisation_verified, saved: false },
        ),
    }
}
