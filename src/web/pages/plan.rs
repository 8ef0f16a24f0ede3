//! Mijn plan on the pages: the person sees the plan and marks their own actions done (B1); the
//! klantmanager adds goals and changes them on the candidate's own plan page.

use super::forms::{self, FormState, Kind, Posted};
use super::{render_status, see_other, CheckedForm, Ctx, PageError, PageUser};
use crate::db::models::PlanGoal;
use crate::domain::Role;
use crate::service::plan::{self as svc, GoalInput, OwnGoalInput, PlanView};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/kandidaat/plan", web::get().to(own))
        .route("/kandidaat/plan/{gid}", web::post().to(own_save))
        .route("/klantmanager/kandidaten/{id}/plan", web::get().to(staff))
        .route("/klantmanager/kandidaten/{id}/plan", web::post().to(staff_add))
        .route("/klantmanager/kandidaten/{id}/plan/{gid}", web::post().to(staff_save));
}

pub struct GoalLine {
    pub g: PlanGoal,
    pub who: &'static str,
    pub status: &'static str,
    pub due: String,
    /// The person may tick it (their own or a shared goal).
    pub own: bool,
}

#[derive(Template)]
#[template(path = "pages/plan.html")]
struct PlanPage {
    ctx: Ctx,
    staff: bool,
    cid: String,
    target: Option<(i32, &'static str)>,
    current: Option<(i32, &'static str)>,
    goals: Vec<GoalLine>,
    form: FormState,
    failed: String,
    who: &'static [(&'static str, &'static str)],
    statuses: &'static [(&'static str, &'static str)],
    notice: Option<&'static str>,
}
crate::page!(PlanPage);

fn lines(p: &PlanView) -> Vec<GoalLine> {
    p.goals
        .iter()
        .map(|g| GoalLine {
            who: svc::who_label(&g.who),
            status: svc::status_label(&g.status),
            due: g.due_on.map(crate::domain::nl::date_long).unwrap_or_else(|| "geen datum".into()),
            own: g.who != "klantmanager",
            g: g.clone(),
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn show(
    req: &HttpRequest,
    state: &AppState,
    u: &crate::auth::CurrentUser,
    cid: &str,
    staff: bool,
    form: FormState,
    failed: String,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let p = svc::get_for(state, u, cid).await?;
    let step = |s: i32| (s, crate::domain::ladder::step_name(s));
    let notice = req.query_string().contains("opgeslagen=1").then_some("Bewaard.");
    let page = PlanPage {
        ctx: Ctx::new(req, Some(u)),
        staff,
        cid: cid.to_string(),
        target: p.target_step.map(step),
        current: p.current_step.map(step),
        goals: lines(&p),
        form,
        failed,
        who: svc::WHO,
        statuses: svc::STATUSES,
        notice,
    };
    render_status(status, &page)
}

async fn own(req: HttpRequest, state: web::Data<AppState>, user: PageUser) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let cid = u.own_candidate()?;
    show(&req, &state, &u, &cid, false, FormState::default(), String::new(), StatusCode::OK).await
}

async fn own_save(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: CheckedForm,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let cid = u.own_candidate()?;
    let gid = path.into_inner();
    let fs = form.0;
    let input = OwnGoalInput { done: Some(fs.checked("done")).filter(|_| fs.v("can_tick") == "1"), comment: Some(fs.v("comment").to_string()) };
    let call = |input| svc::own_update_for(&state, &u, &gid, input);
    match forms::submit(fs, Ok(input), call).await? {
        Posted::Done(_) => Ok(see_other("/kandidaat/plan?opgeslagen=1")),
        Posted::Again(fs) => show(&req, &state, &u, &cid, false, fs, gid.clone(), StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

async fn staff(req: HttpRequest, state: web::Data<AppState>, user: PageUser, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let u = user.0;
    u.require(&[Role::Klantmanager, Role::Beheerder])?;
    let mut fs = FormState::default();
    fs.set("who", "kandidaat");
    show(&req, &state, &u, &path.into_inner(), true, fs, String::new(), StatusCode::OK).await
}

const GOAL_FIELDS: &[(&str, Kind)] = &[("what", Kind::ReqText), ("who", Kind::ReqText), ("due_on", Kind::Text), ("status", Kind::Text)];

async fn staff_add(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: CheckedForm,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let cid = path.into_inner();
    let fs = form.0;
    let (json, errs) = forms::to_json(&fs, GOAL_FIELDS);
    let input = forms::read_json(json, errs, |t: &GoalInput| crate::domain::validation::validation_errors_of(t));
    let call = |input| svc::add_for(&state, &u, &cid, input);
    match forms::submit(fs, input, call).await? {
        Posted::Done(_) => Ok(see_other(&format!("/klantmanager/kandidaten/{cid}/plan?opgeslagen=1"))),
        Posted::Again(fs) => show(&req, &state, &u, &cid, true, fs, "nieuw".into(), StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

async fn staff_save(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String)>,
    form: CheckedForm,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let (cid, gid) = path.into_inner();
    let fs = form.0;
    let (json, errs) = forms::to_json(&fs, GOAL_FIELDS);
    let input = forms::read_json(json, errs, |t: &GoalInput| crate::domain::validation::validation_errors_of(t));
    let call = |input| svc::update_for(&state, &u, &cid, &gid, input);
    match forms::submit(fs, input, call).await? {
        Posted::Done(_) => Ok(see_other(&format!("/klantmanager/kandidaten/{cid}/plan?opgeslagen=1"))),
        Posted::Again(fs) => show(&req, &state, &u, &cid, true, fs, gid.clone(), StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}
