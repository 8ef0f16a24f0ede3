//! Pages for candidates (plain language, B1) and the public placement pages: search with
//! filters, a placement page (with schema.org JobPosting for regular jobs), "I am interested",
//! my proposals, my data and who viewed it, my consents and saved search.

use super::forms::FormState;
use super::{check_csrf, render, see_other, CheckedForm, Ctx, PageError, PageUser};
use crate::db::models::{Candidate, Match};
use crate::db::queries::{PlacementFull, PlacementHitRow};
use crate::domain::workflow::MatchStatus;
use crate::domain::{PlacementKind, Role};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::api::search::{placement_query, PlacementSearchParams};
use crate::web::auth::MaybeUser;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/plekken", web::get().to(search))
        .route("/plekken/{id}", web::get().to(placement))
        .route("/plekken/{id}/interesse", web::post().to(interest))
        .route("/kandidaat", web::get().to(mine))
        .route("/kandidaat/gegevens", web::get().to(my_data))
        .route("/kandidaat/toestemming", web::post().to(consents))
        .route("/kandidaat/zoekopdracht", web::post().to(save_search))
        .route("/kandidaat/zoekopdracht/stoppen", web::post().to(stop_search));
}

pub struct Hit {
    pub id: String,
    pub title: String,
    pub kind: String,
    /// What the kind means, in plain words.
    pub kind_b1: &'static str,
    pub employer: String,
    pub place: String,
    pub hours: String,
    pub distance_km: Option<f64>,
    pub support: Vec<&'static str>,
}

fn support_of(p: &PlacementHitRow) -> Vec<&'static str> {
    crate::domain::support::offered(p.internal_supervisor, p.job_coach_welcome, p.adapted_workplace, p.language_learning)
        .into_iter()
        .map(|s| s.label_nl())
        .collect()
}

fn hit(st: &AppState, p: &PlacementHitRow, from: Option<(f64, f64)>) -> Hit {
    let rd = st.refdata();
    let loc = rd.pc4.get(&p.pc4);
    Hit {
        id: p.id.clone(),
        title: p.title.clone(),
        kind: p.kind.label_nl().into(),
        kind_b1: p.kind.explain_b1(),
        employer: p.organisation_name.clone(),
        place: loc.map(|x| x.place.clone()).unwrap_or_else(|| p.pc4.clone()),
        hours: crate::domain::nl::hours(p.hours_min, p.hours_max),
        distance_km: match (from, loc) {
            (Some((a, b)), Some(l)) => Some((crate::domain::geo::haversine_km(a, b, l.lat, l.lon)).round()),
            _ => None,
        },
        support: support_of(p),
    }
}

#[derive(Template)]
#[template(path = "pages/search.html")]
struct SearchPage {
    ctx: Ctx,
    form: FormState,
    hits: Vec<Hit>,
    total: usize,
    kinds: Vec<(&'static str, &'static str)>,
    searched: bool,
    is_candidate: bool,
    /// The candidate gets e-mail (an address and the consent): only then alerts are offered.
    can_email: bool,
    saved: bool,
    /// When nothing was found: what to try instead (text, link).
    suggestions: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "pages/placement.html")]
struct PlacementPage {
    ctx: Ctx,
    p: Hit,
    description: String,
    start_date: Option<chrono::NaiveDate>,
    language: Option<String>,
    json_ld: Option<String>,
    is_candidate: bool,
    interested: bool,
    skills: Vec<String>,
}

pub struct MineRow {
    pub id: String,
    pub title: String,
    pub status: &'static str,
    pub todo: bool,
}

#[derive(Template)]
#[template(path = "pages/candidate_home.html")]
struct MinePage {
    ctx: Ctx,
    first_name: String,
    rows: Vec<MineRow>,
    interests: Vec<crate::service::tasks::InterestRow>,
    /// Placements that may suit her, by the matcher: (id, title, kind, place, fit label, reasons).
    suggestions: Vec<Suggestion>,
}

pub struct Suggestion {
    pub id: String,
    pub title: String,
    pub kind: String,
    /// What the kind means, in plain words.
    pub kind_b1: &'static str,
    pub place: String,
    pub fit: String,
    pub reasons: Vec<String>,
    /// The skills still to learn for it, in plain words.
    pub to_learn: Option<String>,
}

pub struct AccessRow {
    pub at: String,
    pub who: String,
    pub what: String,
    pub purpose: String,
}

#[derive(Template)]
#[template(path = "pages/candidate_data.html")]
struct DataPage {
    ctx: Ctx,
    /// Occupations by their Dutch names, the step on the ladder, the education in words.
    occupations: Vec<String>,
    step: Option<(i32, &'static str)>,
    education: &'static str,
    c: Candidate,
    place: String,
    log: Vec<AccessRow>,
    saved: Option<String>,
}
#[derive(Template)]
#[template(path = "pages/candidate_waiting.html")]
struct WaitingPage {
    ctx: Ctx,
    r: crate::service::aanmelden::RegistrationView,
}
crate::page!(SearchPage, PlacementPage, MinePage, DataPage, WaitingPage);

fn kinds() -> Vec<(&'static str, &'static str)> {
    PlacementKind::ALL.iter().map(|k| (k.as_str(), k.label_nl())).collect()
}

/// The candidate's own row (home postcode for distances).
async fn me(state: &AppState, u: &crate::auth::CurrentUser) -> Result<Option<Candidate>, AppError> {
    let u = u.clone();
    state.db(move |conn| crate::service::me::own_row(conn, &u)).await
}

#[derive(serde::Deserialize, Default)]
struct SearchForm {
    q: Option<String>,
    soort: Option<String>,
    afstand: Option<String>,
    uren: Option<String>,
    steun: Option<String>,
    bewaard: Option<String>,
}

async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    q: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let pairs = q.into_inner();
    let mut form = FormState::from_pairs(&pairs);
    let sf: SearchForm =
        serde_json::from_value(serde_json::to_value(pairs.iter().cloned().collect::<std::collections::HashMap<_, _>>()).unwrap_or_default())
            .unwrap_or_default();
    let cand = match &u {
        Some(u) if u.role == Role::Kandidaat => me(&state, u).await?,
        _ => None,
    };
    let params = PlacementSearchParams {
        q: sf.q.clone().filter(|s| !s.trim().is_empty()),
        kind: sf.soort.clone().filter(|s| !s.is_empty()),
        pc4: cand.as_ref().map(|c| c.pc4.clone()).filter(|_| sf.afstand.as_deref().is_some_and(|a| !a.is_empty())),
        max_km: sf.afstand.as_deref().and_then(|a| a.parse().ok()),
        hours: sf.uren.as_deref().and_then(|h| h.parse().ok()),
        with_support: sf.steun.as_deref().map(|s| s == "on"),
        limit: Some(50),
        ..Default::default()
    };
    let searched = !pairs.is_empty();
    let from = cand.as_ref().and_then(|c| state.refdata().pc4.get(&c.pc4).map(|l| (l.lat, l.lon)));
    let (hits, total) = match placement_query(&state, &params, false) {
        Ok(pq) => {
            let found = crate::service::search::placements(&state, &pq).await?;
            (found.hits.iter().map(|(p, _)| hit(&state, p, from)).collect(), found.total)
        }
        Err(AppError::Validation(errs)) => {
            form.errors = errs;
            (vec![], 0)
        }
        Err(e) => return Err(e.into()),
    };
    let suggestions = if searched && total == 0 && form.errors.is_empty() { zero_result_suggestions(&state, &sf).await? } else { vec![] };
    render(&SearchPage {
        ctx: Ctx::new(&req, u.as_ref()),
        form,
        hits,
        total,
        kinds: kinds(),
        searched,
        is_candidate: cand.is_some(),
        can_email: cand.as_ref().is_some_and(|c| c.consent_email && c.email.as_deref().is_some_and(|e| !e.trim().is_empty())),
        saved: sf.bewaard.is_some(),
        suggestions,
    })
}

/// What to try when a search finds nothing: the same words without the filters, each word on
/// its own, and ESCO occupations that look like the words; only suggestions that find something.
async fn zero_result_suggestions(state: &AppState, sf: &SearchForm) -> Result<Vec<(String, String)>, AppError> {
    let q = sf.q.clone().unwrap_or_default().trim().to_string();
    let filtered = [&sf.soort, &sf.afstand, &sf.uren, &sf.steun].iter().any(|f| f.as_deref().is_some_and(|v| !v.is_empty()));
    let mut tries: Vec<(String, String)> = Vec::new();
    if filtered {
        tries.push((q.clone(), if q.is_empty() { "Zoek zonder filters".into() } else { format!("Zoek op \"{q}\" zonder filters") }));
    }
    let words: Vec<&str> = q.split_whitespace().collect();
    if words.len() > 1 {
        for w in &words {
            tries.push((w.to_string(), format!("Zoek alleen op \"{w}\"")));
        }
    }
    if !q.is_empty() {
        for o in state.refdata().suggest_occupations(&q, 3) {
            tries.push((o.label.clone(), format!("Zoek op het beroep \"{}\"", o.label)));
        }
    }
    let mut out = Vec::new();
    for (text, label) in tries {
        if out.len() >= 4 {
            break;
        }
        let params = PlacementSearchParams { q: Some(text.clone()).filter(|t| !t.is_empty()), limit: Some(1), ..Default::default() };
        let Ok(pq) = placement_query(state, &params, false) else { continue };
        let search = state.engine.clone();
        let found = web::block(move || search.search_placements(&pq)).await.map_err(AppError::from)?.map_err(AppError::Internal)?.total;
        if found > 0 {
            out.push((
                format!("{label} ({found} {})", if found == 1 { "plek" } else { "plekken" }),
                format!("/plekken?q={}", super::urlencode(&text)),
            ));
        }
    }
    if out.is_empty() {
        out.push(("Bekijk alle open plekken".into(), "/plekken?q=".into()));
    }
    Ok(out)
}

fn json_ld(p: &PlacementFull, place: &str, public_url: &str) -> Option<String> {
    if p.placement.kind != crate::domain::PlacementKind::ReguliereBaan || !p.is_published() {
        return None;
    }
    let mut v = serde_json::json!({
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": p.placement.title,
        "description": p.placement.description,
        "datePosted": crate::clock::local_date(p.placement.created_at).to_string(),
        "employmentType": if p.placement.hours_max >= 32 { "FULL_TIME" } else { "PART_TIME" },
        "hiringOrganization": {"@type": "Organization", "name": p.organisation.name},
        "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "postalCode": p.placement.pc4, "addressLocality": place, "addressCountry": "NL"}},
        "url": format!("{}/plekken/{}", public_url.trim_end_matches('/'), p.placement.id),
        "directApply": false,
    });
    if let Some(w) = p.placement.hourly_wage_cents {
        v["baseSalary"] = serde_json::json!({"@type": "MonetaryAmount", "currency": "EUR", "value": {"@type": "QuantitativeValue", "value": w as f64 / 100.0, "unitText": "HOUR"}});
    }
    if let Some(d) = p.placement.start_date {
        v["jobStartDate"] = serde_json::json!(d.to_string());
    }
    // Inside <script type="application/ld+json">: keep "</" out of the text.
    Some(v.to_string().replace("</", "<\\/"))
}

async fn placement(req: HttpRequest, state: web::Data<AppState>, user: MaybeUser, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let id = path.into_inner();
    // Unpublished placements: only their own employer and municipal staff.
    let p = crate::service::placements::show(&state, u.as_ref(), &id).await?;
    let cand = match &u {
        Some(u) if u.role == Role::Kandidaat => me(&state, u).await?,
        _ => None,
    };
    let interested = match &u {
        Some(u) if cand.is_some() => {
            let (u, pid) = (u.clone(), id.clone());
            state.db(move |conn| crate::service::me::interest_shown(conn, &u, &pid)).await?
        }
        _ => false,
    };
    let from = cand.as_ref().and_then(|c| state.refdata().pc4.get(&c.pc4).map(|l| (l.lat, l.lon)));
    let h = hit(&state, &PlacementHitRow::from(&p), from);
    let ld = json_ld(&p, &h.place, &state.config.public_url);
    let rd = state.env();
    let ids: Vec<&str> = p.skills.iter().map(|s| s.skill_id.as_str()).collect();
    let skills = rd.skill_labels_nl(&ids, p.placement.occupation_id.as_deref());
    render(&PlacementPage {
        skills,
        ctx: Ctx::new(&req, u.as_ref()),
        description: p.placement.description.clone(),
        start_date: p.placement.start_date,
        language: p.placement.language_level_required.clone(),
        json_ld: ld,
        is_candidate: cand.is_some(),
        interested,
        p: h,
    })
}

#[derive(serde::Deserialize)]
struct CsrfOnly {
    csrf: String,
}

/// "I am interested": a task for the candidate's klantmanager (once per placement).
async fn interest(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    check_csrf(&req, &form.csrf)?;
    u.require(&[Role::Kandidaat])?;
    let id = path.into_inner();
    let (pid, rd) = (id.clone(), state.env());
    state.tx(move |conn| crate::service::tasks::interest(conn, &crate::service::Ctx::new(&u, &rd), &pid)).await?;
    Ok(see_other(&format!("/plekken/{id}#interesse")))
}

/// A person who signed up and waits for a klantmanager: what happens next, and what they gave.
async fn waiting(req: &HttpRequest, state: &AppState, u: &crate::auth::CurrentUser) -> Result<HttpResponse, PageError> {
    let (u2, env) = (u.clone(), state.env());
    let r = state.db(move |conn| crate::service::aanmelden::own(conn, &crate::service::Ctx::new(&u2, &env))).await?.ok_or(AppError::Forbidden)?;
    render(&WaitingPage { ctx: Ctx::new(req, Some(u)), r })
}

async fn mine(req: HttpRequest, state: web::Data<AppState>, user: PageUser) -> Result<HttpResponse, PageError> {
    let u = user.0;
    u.require(&[Role::Kandidaat])?;
    if crate::service::aanmelden::is_waiting(&u) {
        return waiting(&req, &state, &u).await;
    }
    let c = me(&state, &u).await?.ok_or(AppError::Forbidden)?;
    let (u2, rd, mid) = (u.clone(), state.env(), c.municipality_id.clone());
    let (ms, interests): (Vec<Match>, _) =
        state.db(move |conn| crate::service::me::own_matches(conn, &crate::service::Ctx::new(&u2, &rd), &mid)).await?;
    // What the matcher finds for her (only with her consent to matching; the hard rules apply).
    let suggestions = if c.consent_matching {
        let (u3, rd, search, cid) = (u.clone(), state.env(), state.engine.clone(), c.id.clone());
        let found = state
            .read(move |conn| {
                crate::service::proposals::for_candidate(
                    conn,
                    &crate::service::Ctx::new(&u3, &rd),
                    &search,
                    &cid,
                    crate::engine::ranking::Options { limit: 5, include_excluded: false },
                    false,
                )
            })
            .await?
            .stored()
            .await
            .map_err(AppError::Internal)?;
        let rd = state.refdata();
        // Not what her klantmanager already proposed (that is in the list above).
        let proposed: std::collections::HashSet<&str> = ms.iter().filter_map(|m| m.placement_id.as_deref()).collect();
        found
            .results
            .iter()
            .filter(|(p, _)| !proposed.contains(p.placement.id.as_str()))
            .filter(|(_, e)| crate::engine::matching::Fit::of(e).is_some())
            .map(|(p, e)| {
                let (fit, reasons, _) = crate::engine::matching::plain(e);
                Suggestion {
                    id: p.placement.id.clone(),
                    title: p.placement.title.clone(),
                    kind: p.placement.kind.label_nl().into(),
                    kind_b1: p.placement.kind.explain_b1(),
                    place: rd.pc4.get(&p.placement.pc4).map(|x| x.place.clone()).unwrap_or_default(),
                    fit,
                    reasons: reasons.into_iter().take(2).collect(),
                    to_learn: crate::service::labels::to_learn_b1(&crate::service::labels::skill_gaps(&rd, &e.missing_skills)),
                }
            })
            .collect()
    } else {
        vec![]
    };
    let rows = ms
        .into_iter()
        .map(|m| {
            let s = m.status;
            Ok(MineRow {
                todo: s == MatchStatus::Proposed,
                status: match s {
                    MatchStatus::Proposed => "Wacht op uw antwoord",
                    MatchStatus::Accepted => "U zei ja. De werkgever kijkt ernaar",
                    MatchStatus::Interested => "De werkgever wil kennismaken",
                    MatchStatus::Introduced => "Kennismaking gepland",
                    other => other.label_nl(),
                },
                id: m.id,
                title: m.placement_title,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    render(&MinePage { ctx: Ctx::new(&req, Some(&u)), first_name: c.first_name, rows, interests, suggestions })
}

async fn my_data(req: HttpRequest, state: web::Data<AppState>, user: PageUser) -> Result<HttpResponse, PageError> {
    let u = user.0;
    u.require(&[Role::Kandidaat])?;
    if crate::service::aanmelden::is_waiting(&u) {
        return waiting(&req, &state, &u).await;
    }
    let c = me(&state, &u).await?.ok_or(AppError::Forbidden)?;
    let (u2, rd, mid) = (u.clone(), state.env(), c.municipality_id.clone());
    let (log, saved) = state.db(move |conn| crate::service::me::own_data(conn, &crate::service::Ctx::new(&u2, &rd), &mid)).await?;
    let log = log
        .into_iter()
        .filter(|e| e.role != "kandidaat")
        .map(|e| AccessRow {
            at: crate::clock::local_datetime(e.at).format("%d-%m-%Y %H:%M").to_string(),
            who: e.who,
            what: crate::audit::what_b1(&e.what),
            purpose: e.purpose,
        })
        .collect();
    let saved = saved.map(|s| {
        let q: PlacementSearchParams = serde_json::from_str(&s.query).unwrap_or_default();
        let mut parts = vec![];
        if let Some(k) = q.kind.as_deref().and_then(PlacementKind::parse) {
            parts.push(k.label_nl().to_string());
        }
        if let Some(t) = q.q {
            parts.push(format!("\"{t}\""));
        }
        if let Some(km) = q.max_km {
            parts.push(format!("tot {km} km"));
        }
        if parts.is_empty() {
            "alle plekken".into()
        } else {
            parts.join(", ")
        }
    });
    let place = state.refdata().pc4.get(&c.pc4).map(|p| p.place.clone()).unwrap_or_default();
    let cid = c.id.clone();
    let (full, step) = state.db(move |conn| crate::service::me::own_profile(conn, &cid)).await?;
    let rd = state.refdata();
    let occupations = full
        .map(|f| {
            f.occupations
                .iter()
                .map(|o| rd.occupation(&o.occupation_id).map(|x| x.label_nl.clone()).unwrap_or_default())
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let education =
        crate::web::pages::aanmelden::EDUCATION_B1.iter().find(|(k, _)| *k == c.education_level).map(|(_, l)| *l).unwrap_or("niet bekend");
    let step = step.map(|s| (s, crate::domain::ladder::step_name(s)));
    render(&DataPage { ctx: Ctx::new(&req, Some(&u)), occupations, step, education, c, place, log, saved })
}

async fn consents(state: web::Data<AppState>, user: PageUser, form: CheckedForm) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let fs = form.0;
    u.require(&[Role::Kandidaat])?;
    let input = crate::web::api::matches::ConsentsInput {
        consent_matching: Some(fs.checked("consent_matching")),
        consent_anonymous_profile: Some(fs.checked("consent_anonymous_profile")),
        consent_email: Some(fs.checked("consent_email")),
    };
    crate::service::me::change_consents(&state, &u, input).await?;
    Ok(see_other("/kandidaat/gegevens?opgeslagen=1#toestemming"))
}

async fn save_search(state: web::Data<AppState>, user: PageUser, form: CheckedForm) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let fs = form.0;
    u.require(&[Role::Kandidaat])?;
    let c = me(&state, &u).await?.ok_or(AppError::Forbidden)?;
    let q = PlacementSearchParams {
        q: Some(fs.v("q").to_string()).filter(|s| !s.trim().is_empty()),
        kind: Some(fs.v("soort").to_string()).filter(|s| !s.is_empty()),
        pc4: Some(c.pc4.clone()).filter(|_| !fs.v("afstand").is_empty()),
        max_km: fs.v("afstand").parse().ok(),
        hours: fs.v("uren").parse().ok(),
        with_support: Some(fs.v("steun") == "on").filter(|b| *b),
        ..Default::default()
    };
    crate::service::me::save_search_for(&state, &c.id, q).await?;
    let back = format!(
        "/plekken?q={}&soort={}&afstand={}&uren={}{}&bewaard=1",
        super::urlencode(fs.v("q")),
        fs.v("soort"),
        fs.v("afstand"),
        fs.v("uren"),
        if fs.v("steun") == "on" { "&steun=on" } else { "" }
    );
    Ok(see_other(&back))
}

/// Stops the e-mail alerts: the saved search is deleted.
async fn stop_search(req: HttpRequest, state: web::Data<AppState>, user: PageUser, form: web::Form<CsrfOnly>) -> Result<HttpResponse, PageError> {
    let u = user.0;
    check_csrf(&req, &form.csrf)?;
    let rd = state.env();
    state.tx(move |conn| crate::service::me::delete_saved_search(conn, &crate::service::Ctx::new(&u, &rd))).await?;
    Ok(see_other("/kandidaat/gegevens?gestopt=1#toestemming"))
}
