//! Klantmanager pages: the caseload dashboard, a candidate's page (ladder measurements and
//! contact moments), and "find placements for this candidate" with the explanation and the
//! instrument package per result and a button to propose.

use super::forms::{self, FormState, Kind, Posted};
use super::{check_csrf, render, render_status, see_other, CheckedForm, Ctx, PageError, PageUser};
use crate::db::models::{Candidate, ContactMoment, LadderMeasurement};
use crate::domain::{ladder, Role, CONTACT_CHANNELS};
use crate::engine::matching::{Evaluation, Factor};
use crate::engine::ranking::Options;
use crate::error::AppError;
use crate::service::matches::{self as svc, Chosen, ProposeInput};
use crate::service::records::{insert_contact, insert_ladder, ContactInput, LadderInput};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/klantmanager", web::get().to(dashboard))
        // Before "/klantmanager/kandidaten/{id}", which would take "nieuw" for an id.
        .route("/klantmanager/taken/{id}", web::post().to(complete_task))
        .route("/klantmanager/kandidaten/nieuw", web::get().to(new_form))
        .route("/klantmanager/kandidaten/nieuw", web::post().to(new_save))
        .route("/klantmanager/kandidaten/{id}", web::get().to(candidate_page))
        .route("/klantmanager/kandidaten/{id}/trede", web::post().to(add_ladder))
        .route("/klantmanager/kandidaten/{id}/contact", web::post().to(add_contact))
        .route("/klantmanager/kandidaten/{id}/plekken", web::get().to(find_placements))
        .route("/klantmanager/kandidaten/{id}/voorstellen", web::post().to(propose))
        .route("/klantmanager/plekken/{id}", web::get().to(placement_candidates))
        .route("/klantmanager/kandidaten/{id}/bewerken", web::get().to(edit_form))
        .route("/klantmanager/kandidaten/{id}/bewerken", web::post().to(edit_save))
        .route("/klantmanager/kandidaten/{id}/uitnodigen", web::post().to(invite));
}

pub use crate::service::caseload::{CaseRow, TaskRow};

#[derive(Template)]
#[template(path = "pages/km_dashboard.html")]
struct Dashboard {
    ctx: Ctx,
    c: crate::service::caseload::Caseload,
    view: crate::service::caseload::CaseView,
    notice: Option<&'static str>,
}

impl Dashboard {
    /// This view's link with one parameter changed (others kept).
    pub fn link(&self, key: &str, value: &str) -> String {
        let v = &self.view;
        let mut ps: Vec<(&str, String)> = vec![];
        let mut put = |k: &'static str, cur: &Option<String>| {
            let val = if k == key { Some(value.to_string()) } else { cur.clone() };
            if let Some(val) = val.filter(|x| !x.is_empty()) {
                ps.push((k, val));
            }
        };
        put("groep", &v.groep);
        put("sorteer", &v.sorteer);
        put("alleen", &v.alleen);
        put("taken_tot", &v.taken_tot);
        put("voorstellen", &v.voorstellen);
        let q: Vec<String> =
            ps.iter().map(|(k, v)| format!("{k}={}", percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC))).collect();
        if q.is_empty() {
            "/klantmanager".into()
        } else {
            format!("/klantmanager?{}", q.join("&"))
        }
    }
    pub fn group_selected(&self, id: &str) -> bool {
        self.view.groep.as_deref() == Some(id)
    }
}

pub struct MatchLine {
    pub id: String,
    pub title: String,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "pages/km_candidate.html")]
struct CandidatePage {
    ctx: Ctx,
    c: Candidate,
    place: String,
    occupations: Vec<String>,
    skills: Vec<String>,
    urgent: Vec<&'static str>,
    ladder: Vec<LadderMeasurement>,
    contacts: Vec<ContactMoment>,
    matches: Vec<MatchLine>,
    form: FormState,
    channels: &'static [&'static str],
    step_names: Vec<(i32, &'static str)>,
    /// The person's own wishes in words: sectors, kinds of work, days.
    wishes: Vec<(&'static str, String)>,
    wish_changes: Vec<(String, String)>,
    signup_message: Option<String>,
    has_account: bool,
    invited: bool,
    suggestions: Vec<crate::service::wishes::SuggestionView>,
    /// The travel distance the matcher uses, in words.
    travel: String,
}

pub struct ProposalCard {
    pub placement_id: String,
    pub title: String,
    pub kind: String,
    pub employer: String,
    pub place: String,
    pub hours: String,
    pub score: f64,
    pub distance_km: Option<f64>,
    pub factors: Vec<Factor>,
    pub unmet: Vec<String>,
    /// The skills the candidate lacks, named ("Ontbreekt nog: ...").
    pub gaps: Option<String>,
    pub excluded: Vec<String>,
    pub instruments: Vec<String>,
    pub net_cost: Option<String>,
    pub lks_possible: bool,
    pub job_coach_possible: bool,
    pub trial_possible: bool,
    pub no_risk_possible: bool,
    pub already: bool,
}

#[derive(Template)]
#[template(path = "pages/km_proposals.html")]
struct ProposalsPage {
    ctx: Ctx,
    c: Candidate,
    cards: Vec<ProposalCard>,
    form: FormState,
    failed_for: String,
    /// ZRM domains scored 1 or 2, shown beside every proposal.
    urgent: Vec<&'static str>,
}
crate::page!(Dashboard, CandidatePage, ProposalsPage);

impl ProposalsPage {
    pub fn label(&self, factor: &str) -> &'static str {
        crate::engine::matching::explain::factor_label(factor)
    }
}

fn require_km(u: &crate::auth::CurrentUser) -> Result<(), PageError> {
    Ok(u.require(&[Role::Klantmanager])?)
}

async fn dashboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    require_km(&u)?;
    let rd = state.env();
    let u2 = u.clone();
    let view = crate::service::caseload::CaseView {
        groep: q.get("groep").cloned(),
        sorteer: q.get("sorteer").cloned(),
        alleen: q.get("alleen").cloned(),
        taken_tot: q.get("taken_tot").cloned(),
        voorstellen: q.get("voorstellen").cloned(),
    };
    let v2 = view.clone();
    let c = state.db(move |conn| crate::service::caseload::dashboard(conn, &crate::service::Ctx::new(&u2, &rd), &v2)).await?;
    let notice = match q.get("taak").map(String::as_str) {
        Some("afgerond") => Some("De taak is afgerond."),
        Some("al-afgerond") => Some("Deze taak was al afgerond."),
        _ => None,
    };
    render(&Dashboard { ctx: Ctx::new(&req, Some(&u)), c, view, notice })
}

#[derive(serde::Deserialize)]
struct TaskForm {
    csrf: String,
    #[serde(default)]
    result: String,
}

/// Closes one of the klantmanager's tasks with its answer (the same service as
/// `POST /api/v1/tasks/{id}/complete`).
async fn complete_task(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<TaskForm>,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    require_km(&u)?;
    check_csrf(&req, &form.csrf)?;
    let (id, result, rd, u2) = (path.into_inner(), form.result.clone(), state.env(), u.clone());
    match state.tx(move |conn| crate::service::tasks::complete(conn, &crate::service::Ctx::new(&u2, &rd), &id, &result)).await {
        Ok(_) => Ok(see_other("/klantmanager?taak=afgerond#taken")),
        Err(AppError::Conflict { .. }) => Ok(see_other("/klantmanager?taak=al-afgerond#taken")),
        Err(e) => Err(e.into()),
    }
}

async fn candidate_view(
    req: &HttpRequest,
    state: &AppState,
    u: &crate::auth::CurrentUser,
    id: String,
    form: FormState,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let (user, rd) = (u.clone(), state.env());
    let data = state.db(move |conn| crate::service::caseload::candidate_page(conn, &crate::service::Ctx::new(&user, &rd), &id)).await?;
    let (c, ladder, contacts, ms) = (data.candidate, data.ladder, data.contacts, data.matches);
    let mut form = form;
    if form.v("target_step").is_empty() && !form.has_errors() {
        if let Some(t) = data.default_target_step {
            form.set("target_step", t.to_string());
        }
    }
    let place = state.refdata().pc4.get(&c.pc4).map(|p| p.place.clone()).unwrap_or_default();
    let matches = ms.into_iter().map(|m| MatchLine { status: m.status.label_nl(), id: m.id, title: m.placement_title }).collect();
    let list = |json: &str| -> Vec<String> { serde_json::from_str(json).unwrap_or_default() };
    let none = |v: Vec<String>| if v.is_empty() { "geen wens".to_string() } else { v.join(", ") };
    let kinds: Vec<crate::domain::PlacementKind> = serde_json::from_str(&c.kind_preferences).unwrap_or_default();
    let days: Vec<String> =
        list(&c.days_available).iter().filter_map(|d| crate::domain::DAYS.iter().find(|(k, _)| k == d).map(|(_, n)| n.to_string())).collect();
    let wishes = vec![
        ("Sectoren", none(list(&c.sector_preferences))),
        ("Soort werk", none(kinds.iter().map(|k| k.label_nl().to_string()).collect())),
        ("Dagen", if days.is_empty() { "niet opgegeven".to_string() } else { days.join(", ") }),
    ];
    render_status(
        status,
        &CandidatePage {
            ctx: Ctx::new(req, Some(u)),
            urgent: crate::domain::urgent_obstacles(&c.zrm_scores),
            c,
            place,
            occupations: data.occupations,
            skills: data.skills,
            ladder,
            contacts,
            matches,
            form,
            channels: CONTACT_CHANNELS,
            step_names: (1..=6).map(|s| (s, ladder::step_name(s))).collect(),
            wishes,
            wish_changes: data
                .wish_changes
                .into_iter()
                .map(|(t, w)| (crate::clock::local_datetime(t).format("%d-%m-%Y %H:%M").to_string(), w))
                .collect(),
            signup_message: data.signup_message,
            has_account: data.has_account,
            suggestions: data.suggestions,
            travel: data.travel,
            invited: req.query_string().contains("uitgenodigd=1"),
        },
    )
}

async fn candidate_page(req: HttpRequest, state: web::Data<AppState>, user: PageUser, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let u = user.0;
    require_km(&u)?;
    let mut form = FormState::default();
    let today = crate::clock::today().to_string();
    form.set("measured_on", today.clone());
    form.set("contact_date", today);
    candidate_view(&req, &state, &u, path.into_inner(), form, StatusCode::OK).await
}

async fn add_ladder(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: CheckedForm,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    require_km(&u)?;
    let id = path.into_inner();
    let fs = form.0;
    let input =
        forms::read::<LadderInput>(&fs, &[("measured_on", Kind::ReqText), ("step", Kind::ReqInt), ("target_step", Kind::Int), ("note", Kind::Text)]);
    let (u2, id2, rd) = (u.clone(), id.clone(), state.env());
    let call = |input| state.tx(move |conn| insert_ladder(conn, &crate::service::Ctx::new(&u2, &rd), &id2, input).map(|_| ()));
    match forms::submit(fs, input, call).await? {
        Posted::Done(()) => Ok(see_other(&format!("/klantmanager/kandidaten/{id}#trede"))),
        Posted::Again(fs) => candidate_view(&req, &state, &u, id, fs, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

async fn add_contact(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: CheckedForm,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    require_km(&u)?;
    let id = path.into_inner();
    let fs = form.0;
    let input = forms::read::<ContactInput>(&fs, &[("contact_date", Kind::ReqText), ("channel", Kind::ReqText), ("note", Kind::Text)]);
    let (u2, id2, rd) = (u.clone(), id.clone(), state.env());
    let call = |input| state.tx(move |conn| insert_contact(conn, &crate::service::Ctx::new(&u2, &rd), &id2, input).map(|_| ()));
    match forms::submit(fs, input, call).await? {
        Posted::Done(()) => Ok(see_other(&format!("/klantmanager/kandidaten/{id}#contact"))),
        Posted::Again(fs) => candidate_view(&req, &state, &u, id, fs, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

fn cards(st: &AppState, res: Vec<(crate::db::queries::PlacementFull, Evaluation)>, proposed: &[String]) -> Vec<ProposalCard> {
    let rd = st.refdata();
    res.into_iter()
        .map(|(p, e)| {
            let pkg = &e.instruments;
            let mut instruments = vec![];
            if let Some(l) = &pkg.loonkostensubsidie {
                if !l.not_in_target_group && l.amount_cents > 0 {
                    instruments.push(format!("Loonkostensubsidie {} per maand", super::employer::euros(l.amount_cents)));
                }
            }
            if pkg.job_coach.workplace_welcomes_job_coach {
                instruments.push(format!("Jobcoach: ongeveer {:.0} uur in jaar 1", pkg.job_coach.year1_hours));
            }
            if pkg.trial_placement_possible {
                instruments.push("Proefplaatsing mogelijk".into());
            }
            if pkg.no_risk_polis {
                instruments.push("No-riskpolis".into());
            }
            if let Some(s) = &pkg.sroi {
                instruments.push(format!("Social return: {} voor contract {}", super::employer::euros(s.value_cents), s.reference));
            }
            let offer = pkg.offer();
            ProposalCard {
                placement_id: p.placement.id.clone(),
                title: p.placement.title.clone(),
                kind: p.placement.kind.label_nl().into(),
                employer: p.organisation.name.clone(),
                place: rd.pc4.get(&p.placement.pc4).map(|x| x.place.clone()).unwrap_or_else(|| p.placement.pc4.clone()),
                hours: crate::domain::nl::hours(p.placement.hours_min, p.placement.hours_max),
                score: (e.score * 10.0).round() / 10.0,
                distance_km: e.distance_km.map(|d| (d * 10.0).round() / 10.0),
                unmet: e.unmet_wishes.clone(),
                gaps: crate::service::labels::gaps_text(&crate::service::labels::skill_gaps(&rd, &e.missing_skills)),
                excluded: e.excluded.iter().map(|x| x.reason.clone()).collect(),
                instruments,
                net_cost: pkg.employer_net_monthly_cost_cents.map(super::employer::euros),
                lks_possible: offer.loonkostensubsidie,
                job_coach_possible: offer.job_coach,
                trial_possible: offer.proefplaatsing,
                no_risk_possible: offer.no_risk_polis,
                already: proposed.contains(&p.placement.id),
                factors: e.factors,
            }
        })
        .collect()
}

async fn proposals_view(
    req: &HttpRequest,
    state: &AppState,
    u: &crate::auth::CurrentUser,
    id: String,
    form: FormState,
    failed_for: String,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let (user, rd) = (u.clone(), state.env());
    let st = state.clone();
    let (c, res, proposed) = state
        .read(move |conn| {
            let ctx = crate::service::Ctx::new(&user, &rd);
            let found = crate::service::proposals::for_candidate(conn, &ctx, &st.engine, &id, Options { limit: 20, include_excluded: false }, true)?;
            Ok(found.map(|found| (found.candidate, found.results, found.already_proposed)))
        })
        .await?
        .stored()
        .await
        .map_err(AppError::Internal)?;
    let cards = cards(state, res, &proposed);
    render_status(
        status,
        &ProposalsPage { ctx: Ctx::new(req, Some(u)), urgent: crate::domain::urgent_obstacles(&c.zrm_scores), c, cards, form, failed_for },
    )
}

async fn find_placements(req: HttpRequest, state: web::Data<AppState>, user: PageUser, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let u = user.0;
    require_km(&u)?;
    proposals_view(&req, &state, &u, path.into_inner(), FormState::default(), String::new(), StatusCode::OK).await
}

async fn propose(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: CheckedForm,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    require_km(&u)?;
    let id = path.into_inner();
    let fs = form.0;
    let input = ProposeInput {
        candidate_id: id.clone(),
        placement_id: fs.v("placement_id").to_string(),
        instruments: Chosen {
            loonkostensubsidie: fs.checked("loonkostensubsidie"),
            job_coach: fs.checked("job_coach"),
            proefplaatsing: fs.checked("proefplaatsing"),
            no_risk_polis: fs.checked("no_risk_polis"),
        },
        note: fs.v("note").to_string(),
    };
    let (u2, rd) = (u.clone(), state.env());
    let call = |input: ProposeInput| state.tx(move |conn| svc::propose(conn, &crate::service::Ctx::new(&u2, &rd), &input));
    match forms::submit(fs, Ok(input), call).await? {
        Posted::Done(mid) => Ok(see_other(&format!("/matches/{mid}"))),
        Posted::Again(fs) => {
            let failed = fs.v("placement_id").to_string();
            proposals_view(&req, &state, &u, id, fs, failed, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub struct CandidateCard {
    pub id: String,
    pub name: String,
    pub step: Option<i32>,
    pub place: String,
    pub score: f64,
    pub distance_km: Option<f64>,
    pub factors: Vec<Factor>,
    pub mine: bool,
    pub already: bool,
    /// ZRM domains scored 1 or 2 (DOMAIN.md: stabilise first).
    pub urgent: Vec<&'static str>,
    /// The instruments this proposal can carry (code, label).
    pub offer: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "pages/km_placement.html")]
struct PlacementCandidatesPage {
    ctx: Ctx,
    placement_id: String,
    title: String,
    employer: String,
    cards: Vec<CandidateCard>,
}
crate::page!(PlacementCandidatesPage);

impl PlacementCandidatesPage {
    pub fn label(&self, factor: &str) -> &'static str {
        crate::engine::matching::explain::factor_label(factor)
    }
}

/// A placement with the ranked candidates of the klantmanager's municipality.
pub async fn placement_candidates(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    require_km(&u)?;
    let id = path.into_inner();
    let st = state.get_ref().clone();
    let (user, rd) = (u.clone(), state.env());
    let (p, res, proposed) = state
        .db(move |conn| {
            let ctx = crate::service::Ctx::new(&user, &rd);
            let found = crate::service::proposals::for_placement(conn, &ctx, &st.engine, &id, Options { limit: 20, include_excluded: false }, true)?;
            Ok(found.map(|found| (found.placement, found.results, found.already_proposed)))
        })
        .await?
        .stored()
        .await
        .map_err(AppError::Internal)?;
    let rd = state.env();
    let cards = res
        .into_iter()
        .map(|(c, e)| CandidateCard {
            id: c.candidate.id.clone(),
            name: format!("{} {}", c.candidate.first_name, c.candidate.last_name),
            step: c.ladder.as_ref().map(|l| l.step),
            place: rd.pc4.get(&c.candidate.pc4).map(|x| x.place.clone()).unwrap_or_default(),
            score: (e.score * 10.0).round() / 10.0,
            distance_km: e.distance_km.map(|d| (d * 10.0).round() / 10.0),
            offer: {
                let o = e.instruments.offer();
                [
                    ("loonkostensubsidie", "Loonkostensubsidie", o.loonkostensubsidie),
                    ("job_coach", "Jobcoach", o.job_coach),
                    ("proefplaatsing", "Proefplaatsing", o.proefplaatsing),
                    ("no_risk_polis", "No-riskpolis", o.no_risk_polis),
                ]
                .into_iter()
                .filter(|x| x.2)
                .map(|(c, l, _)| (c, l))
                .collect()
            },
            factors: e.factors,
            urgent: crate::domain::urgent_obstacles(&c.candidate.zrm_scores),
            mine: c.candidate.klantmanager_id == u.id,
            already: proposed.contains(&c.candidate.id),
        })
        .collect();
    render(&PlacementCandidatesPage {
        ctx: Ctx::new(&req, Some(&u)),
        placement_id: p.placement.id.clone(),
        title: p.placement.title.clone(),
        employer: p.organisation.name.clone(),
        cards,
    })
}

pub struct OccRow {
    pub id: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "pages/km_candidate_form.html")]
struct EditPage {
    ctx: Ctx,
    /// Where the form posts; a new candidate when `new`.
    action: String,
    new: bool,
    id: String,
    name: String,
    form: FormState,
    occupations: Vec<OccRow>,
    /// The skills shown with their Dutch names (id, or "tekst:" and the free text).
    skills: Vec<OccRow>,
    educations: &'static [&'static str],
    /// The municipality's klantgroepen (id, name with contact norm).
    groups: Vec<(String, String)>,
}
crate::page!(EditPage);

/// ZRM scores as the select offers them.
pub const ZRM_SCORES: &[(&str, &str)] = &[
    ("1", "1 – acute problematiek"),
    ("2", "2 – niet zelfredzaam"),
    ("3", "3 – beperkt zelfredzaam"),
    ("4", "4 – voldoende zelfredzaam"),
    ("5", "5 – volledig zelfredzaam"),
];

/// The key of a candidate's skill on the form: its ESCO id, or its free text.
fn skill_key(skill_id: &Option<String>, free_text: &Option<String>) -> String {
    match (skill_id, free_text) {
        (Some(id), _) => id.clone(),
        (None, Some(t)) => format!("tekst:{t}"),
        _ => String::new(),
    }
}

fn skill_rows(st: &AppState, keys: &[String]) -> Vec<OccRow> {
    let rd = st.refdata();
    keys.iter()
        .map(|k| OccRow {
            id: k.clone(),
            label: match k.strip_prefix("tekst:") {
                Some(t) => t.to_string(),
                None => rd.skill(k).map(|x| x.label_nl.clone().unwrap_or_else(|| x.label_en.clone())).unwrap_or_else(|| k.clone()),
            },
        })
        .collect()
}

/// What the form records beside the profile fields: the skills kept and the one typed (the
/// best ESCO match by Dutch name), the ZRM score per domain, and (when editing) uitstroom with
/// its reason and date. `current` are the skills as stored (their levels are kept).
fn record_fields(
    state: &AppState,
    fs: &FormState,
    current: &[crate::db::models::CandidateSkill],
    json: &mut serde_json::Value,
    errs: &mut Vec<crate::domain::FieldError>,
    editing: bool,
) -> Vec<String> {
    use crate::domain::FieldError;
    // A form without these sections (an older page, a script posting the profile fields only)
    // leaves what is stored as it is.
    if fs.v("record_shown") != "1" {
        return current.iter().map(|s| skill_key(&s.skill_id, &s.free_text)).collect();
    }
    let mut keys: Vec<String> = fs.values.get("skill_keep").cloned().unwrap_or_default();
    let added = fs.v("skill_add").trim();
    if !added.is_empty() {
        let rd = state.refdata();
        let found = rd.skill_named(added).map(|s| s.id.clone()).or_else(|| rd.suggest_skills(added, 1).into_iter().next().map(|s| s.id));
        match found {
            Some(id) if !keys.contains(&id) => keys.push(id),
            Some(_) => {}
            None => errs.push(FieldError::new("skill_add", "Deze vaardigheid kennen we niet. Kies een vaardigheid uit de lijst.")),
        }
    }
    json["skills"] = serde_json::Value::Array(
        keys.iter()
            .map(|k| {
                let level =
                    current.iter().find(|s| &skill_key(&s.skill_id, &s.free_text) == k).map(|s| s.level.clone()).unwrap_or_else(|| "basis".into());
                match k.strip_prefix("tekst:") {
                    Some(t) => serde_json::json!({"free_text": t, "level": level}),
                    None => serde_json::json!({"skill_id": k, "level": level}),
                }
            })
            .collect(),
    );
    let mut zrm = serde_json::Map::new();
    for d in crate::domain::ZRM_DOMAINS {
        let v = fs.v(&format!("zrm_{d}")).trim();
        if v.is_empty() {
            continue;
        }
        match v.parse::<i32>() {
            Ok(n) => {
                zrm.insert(d.to_string(), n.into());
            }
            Err(_) => errs.push(FieldError::new(format!("zrm_{d}"), "Kies een score van 1 tot 5.")),
        }
    }
    json["zrm_scores"] = serde_json::Value::Object(zrm);
    if editing {
        let reason = fs.v("outflow_reason").trim();
        if reason.is_empty() {
            json["status"] = crate::domain::ACTIEF.into();
            json["outflow_reason"] = serde_json::Value::Null;
            json["outflow_date"] = serde_json::Value::Null;
        } else {
            json["status"] = crate::domain::UITGESTROOMD.into();
            json["outflow_reason"] = reason.into();
            match fs.v("outflow_date").trim() {
                "" => errs.push(FieldError::new("outflow_date", "Geef de datum van uitstroom op.")),
                d => json["outflow_date"] = d.into(),
            }
        }
    }
    keys
}

/// The klantgroepen a candidate can be put in, for the form's select.
async fn group_options(state: &AppState, u: &crate::auth::CurrentUser) -> Result<Vec<(String, String)>, AppError> {
    let (u2, rd) = (u.clone(), state.env());
    let gs = state.db(move |conn| crate::service::client_groups::list(conn, &crate::service::Ctx::new(&u2, &rd), None)).await?;
    Ok(gs.into_iter().map(|g| (g.id, format!("{} (contact elke {} dagen)", g.name, g.contact_norm_days))).collect())
}

const EDIT_FIELDS: &[(&str, Kind)] = &[
    ("first_name", Kind::ReqText),
    ("last_name", Kind::ReqText),
    ("email", Kind::Text),
    ("phone", Kind::Text),
    ("birth_date", Kind::ReqText),
    ("pc4", Kind::ReqText),
    ("education_level", Kind::ReqText),
    ("startkwalificatie", Kind::Bool),
    ("language_level", Kind::Text),
    ("hours_min", Kind::ReqInt),
    ("hours_max", Kind::ReqInt),
    ("max_travel_km", Kind::ReqInt),
    ("driving_licence", Kind::Bool),
    ("own_transport", Kind::Bool),
    ("loonwaarde", Kind::Int),
    ("loonwaarde_date", Kind::Text),
    ("doelgroepregister", Kind::Bool),
    ("beschut_werk_indicatie", Kind::Bool),
    ("lks_target_group", Kind::Bool),
    ("needs_job_coach", Kind::Bool),
    ("statushouder", Kind::Bool),
    ("work_capacity_limits", Kind::Text),
    ("support_needs", Kind::Text),
    ("available_from", Kind::Text),
    ("client_number", Kind::Text),
    ("benefit_type", Kind::Text),
    ("registration_date", Kind::Text),
    ("client_group_id", Kind::Text),
    ("doelgroepregister_route", Kind::Text),
    ("doelgroepregister_date", Kind::Text),
    ("version", Kind::Int),
];

/// The occupation typed in "occupation_add" (the best ESCO match), added once.
fn add_occupation(state: &AppState, fs: &FormState, occ: &mut Vec<String>, errs: &mut Vec<crate::domain::FieldError>) {
    let added = fs.v("occupation_add").trim();
    if added.is_empty() {
        return;
    }
    match state.refdata().suggest_occupations(added, 1).into_iter().next() {
        Some(s) if !occ.contains(&s.id) => occ.push(s.id),
        Some(_) => {}
        None => errs.push(crate::domain::FieldError::new("occupation_add", "Dit beroep kennen we niet. Kies een beroep uit de lijst.")),
    }
}

/// The candidate input of a posted form, or every field error at once: the fields that were
/// not numbers (`errs`) together with the API's own checks.
fn candidate_input(
    state: &AppState,
    json: serde_json::Value,
    errs: Vec<crate::domain::FieldError>,
) -> Result<crate::web::api::candidates::CandidateInput, Vec<crate::domain::FieldError>> {
    forms::read_json(json, errs, |input: &crate::web::api::candidates::CandidateInput| {
        let mut more = crate::web::extract::validation_errors_of(input);
        more.extend(input.check(&state.refdata(), crate::clock::today()));
        more
    })
}

fn occ_rows(st: &AppState, ids: &[String]) -> Vec<OccRow> {
    let rd = st.refdata();
    ids.iter().map(|o| OccRow { id: o.clone(), label: rd.occupation(o).map(|x| x.label_nl.clone()).unwrap_or_else(|| o.clone()) }).collect()
}

async fn load_full(state: &AppState, u: &crate::auth::CurrentUser, id: String) -> Result<crate::db::queries::CandidateFull, AppError> {
    let (user, rd) = (u.clone(), state.env());
    state.db(move |conn| crate::service::candidates::for_edit(conn, &crate::service::Ctx::new(&user, &rd), &id)).await
}

async fn edit_form(req: HttpRequest, state: web::Data<AppState>, user: PageUser, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let u = user.0;
    require_km(&u)?;
    let id = path.into_inner();
    let full = load_full(&state, &u, id.clone()).await?;
    let c = &full.candidate;
    let mut f = FormState::default();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    for (k, v) in [
        ("first_name", c.first_name.clone()),
        ("last_name", c.last_name.clone()),
        ("email", opt(&c.email)),
        ("phone", opt(&c.phone)),
        ("birth_date", c.birth_date.to_string()),
        ("pc4", c.pc4.clone()),
        ("education_level", c.education_level.clone()),
        ("language_level", opt(&c.language_level)),
        ("hours_min", c.hours_min.to_string()),
        ("hours_max", c.hours_max.to_string()),
        ("max_travel_km", c.max_travel_km.to_string()),
        ("loonwaarde", c.loonwaarde.map(|l| l.to_string()).unwrap_or_default()),
        ("loonwaarde_date", c.loonwaarde_date.map(|d| d.to_string()).unwrap_or_default()),
        ("work_capacity_limits", c.work_capacity_limits.clone()),
        ("support_needs", c.support_needs.clone()),
        ("available_from", c.available_from.map(|d| d.to_string()).unwrap_or_default()),
        ("client_number", opt(&c.client_number)),
        ("benefit_type", c.benefit_type.as_str().into()),
        ("registration_date", c.registration_date.to_string()),
        ("client_group_id", opt(&c.client_group_id)),
        ("doelgroepregister_route", c.doelgroepregister_route.map(|r| r.as_str().to_string()).unwrap_or_default()),
        ("doelgroepregister_date", c.doelgroepregister_date.map(|d| d.to_string()).unwrap_or_default()),
        ("version", c.version.to_string()),
    ] {
        f.set(k, v);
    }
    for (k, on) in [
        ("startkwalificatie", c.startkwalificatie),
        ("driving_licence", c.driving_licence),
        ("own_transport", c.own_transport),
        ("doelgroepregister", c.doelgroepregister),
        ("beschut_werk_indicatie", c.beschut_werk_indicatie),
        ("lks_target_group", c.lks_target_group),
        ("needs_job_coach", c.needs_job_coach),
        ("statushouder", c.statushouder),
    ] {
        if on {
            f.set(k, "on");
        }
    }
    let zrm: std::collections::BTreeMap<String, i32> = serde_json::from_str(&c.zrm_scores).unwrap_or_default();
    for (d, n) in zrm {
        f.set(&format!("zrm_{d}"), n.to_string());
    }
    if c.status.as_str() == crate::domain::UITGESTROOMD {
        f.set("outflow_reason", c.outflow_reason.clone().unwrap_or_default());
        f.set("outflow_date", c.outflow_date.map(|d| d.to_string()).unwrap_or_default());
    }
    let occ: Vec<String> = full.occupations.iter().map(|o| o.occupation_id.clone()).collect();
    let skills: Vec<String> = full.skills.iter().map(|s| skill_key(&s.skill_id, &s.free_text)).collect();
    render(&EditPage {
        ctx: Ctx::new(&req, Some(&u)),
        action: format!("/klantmanager/kandidaten/{id}/bewerken"),
        new: false,
        name: format!("{} {}", c.first_name, c.last_name),
        id,
        form: f,
        occupations: occ_rows(&state, &occ),
        skills: skill_rows(&state, &skills),
        educations: crate::domain::EDUCATION_LEVELS,
        groups: group_options(&state, &u).await?,
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
    require_km(&u)?;
    let id = path.into_inner();
    let fs = form.0;
    let full = load_full(&state, &u, id.clone()).await?;
    let c = &full.candidate;
    // What the form does not show stays as it is: preferences and consents.
    let mut base = serde_json::json!({
        "zrm_scores": serde_json::from_str::<serde_json::Value>(&c.zrm_scores).unwrap_or(serde_json::json!({})),
        "sector_preferences": serde_json::from_str::<serde_json::Value>(&c.sector_preferences).unwrap_or(serde_json::json!([])),
        "consent_matching": c.consent_matching,
        "consent_anonymous_profile": c.consent_anonymous_profile,
        "consent_email": c.consent_email,
        "status": c.status.as_str(),
        "benefit_type": c.benefit_type,
        "outflow_reason": c.outflow_reason,
        "outflow_date": c.outflow_date,
        "skills": full.skills.iter().map(|s| serde_json::json!({"skill_id": s.skill_id, "free_text": s.free_text, "level": s.level})).collect::<Vec<_>>(),
    });
    // Occupations: the ones kept, plus one typed (the best ESCO match).
    let mut occ: Vec<String> = fs.values.get("occupation_keep").cloned().unwrap_or_default();
    let mut errs = vec![];
    add_occupation(&state, &fs, &mut occ, &mut errs);
    base["occupations"] = serde_json::Value::Array(
        occ.iter()
            .map(|o| {
                let exp = full.occupations.iter().find(|x| &x.occupation_id == o).map(|x| x.experience.clone()).unwrap_or_else(|| "geen".into());
                serde_json::json!({"occupation_id": o, "experience": exp})
            })
            .collect(),
    );
    let (overlay, type_errs) = forms::to_json(&fs, EDIT_FIELDS);
    errs.extend(type_errs);
    if let (Some(b), Some(o)) = (base.as_object_mut(), overlay.as_object()) {
        for (k, v) in o {
            b.insert(k.clone(), v.clone());
        }
    }
    record_fields(&state, &fs, &full.skills, &mut base, &mut errs, true);
    let input = candidate_input(&state, base, errs);
    let call = |input| crate::service::candidates::update_candidate(&state, &u, &id, input);
    match forms::submit(fs, input, call).await? {
        Posted::Done(_) => Ok(see_other(&format!("/klantmanager/kandidaten/{id}"))),
        Posted::Again(fs) => {
            let keep: Vec<String> = fs.values.get("occupation_keep").cloned().unwrap_or_default();
            let skills: Vec<String> = fs.values.get("skill_keep").cloned().unwrap_or_default();
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &EditPage {
                    ctx: Ctx::new(&req, Some(&u)),
                    action: format!("/klantmanager/kandidaten/{id}/bewerken"),
                    new: false,
                    name: format!("{} {}", c.first_name, c.last_name),
                    id,
                    occupations: occ_rows(&state, &keep),
                    skills: skill_rows(&state, &skills),
                    form: fs,
                    educations: crate::domain::EDUCATION_LEVELS,
                    groups: group_options(&state, &u).await?,
                },
            )
        }
    }
}

async fn new_form(req: HttpRequest, state: web::Data<AppState>, user: PageUser) -> Result<HttpResponse, PageError> {
    let u = user.0;
    require_km(&u)?;
    let mut f = FormState::default();
    f.set("education_level", "geen");
    f.set("benefit_type", crate::domain::BenefitType::Participatiewet.as_str());
    f.set("registration_date", crate::clock::today().to_string());
    f.set("consent_matching", "on");
    render(&EditPage {
        ctx: Ctx::new(&req, Some(&u)),
        action: "/klantmanager/kandidaten/nieuw".into(),
        new: true,
        id: String::new(),
        name: "Nieuwe kandidaat".into(),
        form: f,
        occupations: vec![],
        skills: vec![],
        educations: crate::domain::EDUCATION_LEVELS,
        groups: group_options(&state, &u).await?,
    })
}

/// Registers a new candidate in the klantmanager's own caseload.
async fn new_save(req: HttpRequest, state: web::Data<AppState>, user: PageUser, form: CheckedForm) -> Result<HttpResponse, PageError> {
    let u = user.0;
    require_km(&u)?;
    let fs = form.0;
    let mut errs = vec![];
    let mut occ: Vec<String> = vec![];
    add_occupation(&state, &fs, &mut occ, &mut errs);
    let mut fields: Vec<(&str, Kind)> = EDIT_FIELDS.iter().copied().filter(|(k, _)| *k != "version").collect();
    fields.extend([
        ("ladder_step", Kind::Int),
        ("consent_matching", Kind::Bool),
        ("consent_anonymous_profile", Kind::Bool),
        ("consent_email", Kind::Bool),
    ]);
    let (mut json, type_errs) = forms::to_json(&fs, &fields);
    errs.extend(type_errs);
    json["occupations"] = serde_json::Value::Array(occ.iter().map(|o| serde_json::json!({"occupation_id": o})).collect());
    let skills = record_fields(&state, &fs, &[], &mut json, &mut errs, false);
    let input = candidate_input(&state, json, errs);
    let call = |input| crate::service::candidates::create_candidate(&state, &u, input);
    match forms::submit(fs, input, call).await? {
        Posted::Done(c) => Ok(see_other(&format!("/klantmanager/kandidaten/{}", c.candidate.id))),
        Posted::Again(fs) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &EditPage {
                ctx: Ctx::new(&req, Some(&u)),
                action: "/klantmanager/kandidaten/nieuw".into(),
                new: true,
                id: String::new(),
                name: "Nieuwe kandidaat".into(),
                occupations: occ_rows(&state, &occ),
                skills: skill_rows(&state, &skills),
                form: fs,
                educations: crate::domain::EDUCATION_LEVELS,
                groups: group_options(&state, &u).await?,
            },
        ),
    }
}

/// The klantmanager invites the person to choose a password (see `service::aanmelden::invite`).
async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: CheckedForm,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let id = path.into_inner();
    let _ = form;
    match crate::service::aanmelden::invite_for(&state, &u, &id).await {
        Ok(()) => Ok(see_other(&format!("/klantmanager/kandidaten/{id}?uitgenodigd=1#account"))),
        Err(crate::error::AppError::Validation(f)) => {
            let fs = FormState { errors: f, ..Default::default() };
            candidate_view(&req, &state, &u, id, fs, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}
