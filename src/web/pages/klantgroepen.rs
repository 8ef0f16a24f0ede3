//! Beheerder pages for klantgroepen: the list with members, a new group, one group's norm and
//! default target step, its yearly targets, and removing it (members move to the default group).
//! Every write goes through `service::client_groups`, as the API's does.

use super::forms::{self, FormState, Kind, Posted};
use super::{render, render_status, see_other, CheckedForm, Ctx, PageError, PageUser};
use crate::domain::klantgroep::{ClientGroupInput, TargetIndicator};
use crate::domain::Role;
use crate::service::client_groups::{self as svc, ClientGroupView, TargetsInput};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/beheer/klantgroepen", web::get().to(list))
        .route("/beheer/klantgroepen", web::post().to(create))
        .route("/beheer/klantgroepen/{id}", web::get().to(edit))
        .route("/beheer/klantgroepen/{id}", web::post().to(save))
        .route("/beheer/klantgroepen/{id}/doelen", web::post().to(save_targets))
        .route("/beheer/klantgroepen/{id}/verwijderen", web::post().to(remove))
        .route("/beheer/overdracht", web::get().to(handover_form))
        .route("/beheer/overdracht", web::post().to(handover_save));
}

const GROUP_FIELDS: &[(&str, Kind)] = &[
    ("name", Kind::ReqText),
    ("description", Kind::Text),
    ("contact_norm_days", Kind::ReqInt),
    ("default_target_step", Kind::Int),
    ("version", Kind::Int),
];

const TARGET_FIELDS: &[(&str, Kind)] =
    &[("instroom", Kind::Int), ("uitstroom", Kind::Int), ("uitstroom_werk", Kind::Int), ("trede_omhoog", Kind::Int)];

#[derive(Template)]
#[template(path = "pages/admin_groups.html")]
struct ListPage {
    ctx: Ctx,
    groups: Vec<ClientGroupView>,
    form: FormState,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/admin_group.html")]
struct GroupPage {
    ctx: Ctx,
    g: ClientGroupView,
    form: FormState,
    targets: FormState,
    indicators: Vec<(&'static str, &'static str)>,
    notice: Option<&'static str>,
}
#[derive(Template)]
#[template(path = "pages/admin_handover.html")]
struct HandoverPage {
    ctx: Ctx,
    /// (id, name, active, active caseload)
    kms: Vec<(String, String, bool, i64)>,
    form: FormState,
    notice: Option<String>,
}
crate::page!(ListPage, GroupPage, HandoverPage);

async fn kms(state: &AppState, u: &crate::auth::CurrentUser) -> Result<Vec<(String, String, bool, i64)>, crate::error::AppError> {
    let (u2, rd) = (u.clone(), state.env());
    let list = state.db(move |conn| crate::service::handover::klantmanagers(conn, &crate::service::Ctx::new(&u2, &rd))).await?;
    Ok(list.into_iter().map(|(u, n)| (u.id, u.name, u.active, n)).collect())
}

async fn handover_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    q: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    admin(&u)?;
    let q = FormState::from_pairs(&q.into_inner());
    let notice = match q.v("overgedragen") {
        "" => None,
        n => Some(format!("{n} kandidaten zijn overgedragen. De nieuwe klantmanager ziet per kandidaat een taak om kennis te maken.")),
    };
    render(&HandoverPage { ctx: Ctx::new(&req, Some(&u)), kms: kms(&state, &u).await?, form: FormState::default(), notice })
}

async fn handover_save(req: HttpRequest, state: web::Data<AppState>, user: PageUser, form: CheckedForm) -> Result<HttpResponse, PageError> {
    let u = user.0;
    admin(&u)?;
    let fs = form.0;
    let input = forms::read::<crate::service::handover::HandoverInput>(
        &fs,
        &[("from_klantmanager_id", Kind::ReqText), ("to_klantmanager_id", Kind::ReqText), ("client_number", Kind::Text)],
    );
    let (u2, rd) = (u.clone(), state.env());
    let call = |input| state.tx(move |conn| crate::service::handover::hand_over(conn, &crate::service::Ctx::new(&u2, &rd), &input));
    match forms::submit(fs, input, call).await? {
        Posted::Done(r) => {
            state.caught_up().await?;
            Ok(see_other(&format!("/beheer/overdracht?overgedragen={}", r.candidate_ids.len())))
        }
        Posted::Again(fs) => {
            let page = HandoverPage { ctx: Ctx::new(&req, Some(&u)), kms: kms(&state, &u).await?, form: fs, notice: None };
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

fn admin(u: &crate::auth::CurrentUser) -> Result<(), PageError> {
    Ok(u.require(&[Role::Beheerder])?)
}

async fn groups(state: &AppState, u: &crate::auth::CurrentUser) -> Result<Vec<ClientGroupView>, crate::error::AppError> {
    let (u2, rd) = (u.clone(), state.env());
    state.db(move |conn| svc::list(conn, &crate::service::Ctx::new(&u2, &rd), None)).await
}

async fn list(req: HttpRequest, state: web::Data<AppState>, user: PageUser, q: web::Query<Vec<(String, String)>>) -> Result<HttpResponse, PageError> {
    let u = user.0;
    admin(&u)?;
    let q = FormState::from_pairs(&q.into_inner());
    let notice = match q.v("verwijderd") {
        "" => None,
        n => Some(format!("De klantgroep is verwijderd. {n} mensen staan nu in de standaardgroep.")),
    };
    let mut form = FormState::default();
    form.set("contact_norm_days", "365");
    render(&ListPage { ctx: Ctx::new(&req, Some(&u)), groups: groups(&state, &u).await?, form, notice })
}

async fn create(req: HttpRequest, state: web::Data<AppState>, user: PageUser, form: CheckedForm) -> Result<HttpResponse, PageError> {
    let u = user.0;
    admin(&u)?;
    let fs = form.0;
    let input = forms::read::<ClientGroupInput>(&fs, GROUP_FIELDS);
    let (u2, rd) = (u.clone(), state.env());
    let call = |input| state.tx(move |conn| svc::create(conn, &crate::service::Ctx::new(&u2, &rd), input));
    match forms::submit(fs, input, call).await? {
        Posted::Done(g) => Ok(see_other(&format!("/beheer/klantgroepen/{}?opgeslagen=1", g.id))),
        Posted::Again(fs) => {
            let page = ListPage { ctx: Ctx::new(&req, Some(&u)), groups: groups(&state, &u).await?, form: fs, notice: None };
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

async fn one(state: &AppState, u: &crate::auth::CurrentUser, id: String, year: Option<i32>) -> Result<ClientGroupView, crate::error::AppError> {
    let (u2, rd) = (u.clone(), state.env());
    state.db(move |conn| svc::one(conn, &crate::service::Ctx::new(&u2, &rd), &id, year)).await
}

fn group_form(g: &ClientGroupView) -> FormState {
    let mut f = FormState::default();
    f.set("name", g.name.clone());
    f.set("description", g.description.clone());
    f.set("contact_norm_days", g.contact_norm_days.to_string());
    f.set("default_target_step", g.default_target_step.map(|s| s.to_string()).unwrap_or_default());
    f.set("version", g.version.to_string());
    f
}

fn targets_form(g: &ClientGroupView) -> FormState {
    let mut f = FormState::default();
    f.set("year", g.year.to_string());
    for i in TargetIndicator::ALL {
        f.set(i.as_str(), g.targets.get(i.as_str()).map(|n| n.to_string()).unwrap_or_default());
    }
    f
}

fn page(
    req: &HttpRequest,
    u: &crate::auth::CurrentUser,
    g: ClientGroupView,
    form: Option<FormState>,
    targets: Option<FormState>,
    notice: Option<&'static str>,
) -> GroupPage {
    GroupPage {
        ctx: Ctx::new(req, Some(u)),
        form: form.unwrap_or_else(|| group_form(&g)),
        targets: targets.unwrap_or_else(|| targets_form(&g)),
        g,
        indicators: TargetIndicator::ALL.iter().map(|i| (i.as_str(), i.label_nl())).collect(),
        notice,
    }
}

async fn edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    q: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    admin(&u)?;
    let q = FormState::from_pairs(&q.into_inner());
    let year = q.v("jaar").parse::<i32>().ok();
    let g = one(&state, &u, path.into_inner(), year).await?;
    let notice = match (q.v("opgeslagen"), q.v("doelen")) {
        ("1", _) => Some("De klantgroep is opgeslagen."),
        (_, "1") => Some("De doelen zijn opgeslagen."),
        _ => None,
    };
    render(&page(&req, &u, g, None, None, notice))
}

async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: CheckedForm,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    admin(&u)?;
    let id = path.into_inner();
    let fs = form.0;
    let input = forms::read::<ClientGroupInput>(&fs, GROUP_FIELDS);
    let (u2, rd, id2) = (u.clone(), state.env(), id.clone());
    let call = |input| state.tx(move |conn| svc::update(conn, &crate::service::Ctx::new(&u2, &rd), &id2, input));
    match forms::submit(fs, input, call).await? {
        Posted::Done(g) => Ok(see_other(&format!("/beheer/klantgroepen/{}?opgeslagen=1", g.id))),
        Posted::Again(fs) => {
            let g = one(&state, &u, id, None).await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&req, &u, g, Some(fs), None, None))
        }
    }
}

async fn save_targets(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: CheckedForm,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    admin(&u)?;
    let id = path.into_inner();
    let fs = form.0;
    let year = fs.v("year").trim().parse::<i32>();
    let input = match year {
        Ok(_) => forms::read::<TargetsInput>(&fs, TARGET_FIELDS),
        Err(_) => Err(vec![crate::domain::FieldError::new("year", "Vul een jaar in, bijvoorbeeld 2027.")]),
    };
    let (u2, rd, id2, y) = (u.clone(), state.env(), id.clone(), year.clone().unwrap_or(0));
    let call = |input: TargetsInput| state.tx(move |conn| svc::set_targets(conn, &crate::service::Ctx::new(&u2, &rd), &id2, y, &input));
    match forms::submit(fs, input, call).await? {
        Posted::Done(g) => Ok(see_other(&format!("/beheer/klantgroepen/{}?jaar={}&doelen=1#doelen", g.id, g.year))),
        Posted::Again(fs) => {
            let g = one(&state, &u, id, None).await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&req, &u, g, None, Some(fs), None))
        }
    }
}

async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    _form: CheckedForm,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    admin(&u)?;
    let id = path.into_inner();
    let (u2, rd, id2) = (u.clone(), state.env(), id.clone());
    match state.tx(move |conn| svc::remove(conn, &crate::service::Ctx::new(&u2, &rd), &id2)).await {
        Ok(n) => {
            state.caught_up().await?;
            Ok(see_other(&format!("/beheer/klantgroepen?verwijderd={n}")))
        }
        Err(crate::error::AppError::Conflict { message, .. }) => {
            let g = one(&state, &u, id, None).await?;
            let mut p = page(&req, &u, g, None, None, None);
            p.form.errors.push(crate::domain::FieldError::new("form", message));
            render_status(StatusCode::CONFLICT, &p)
        }
        Err(e) => Err(e.into()),
    }
}
