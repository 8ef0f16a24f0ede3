//! Proposals in both directions, the LKS calculator and the municipality settings.

use crate::auth::CurrentUser;
use crate::domain::instruments::{self, LksInput, LksResult};
use crate::domain::settings::Settings;
use crate::domain::{FieldError, Role};
use crate::engine::matching::{Exclusion, Factor, InstrumentPackage};
use crate::engine::ranking::{self as proposals, Options};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::service::labels::{skill_gaps, to_learn_b1, SkillGap};
use crate::service::Ctx;
use crate::state::AppState;
use crate::web::auth::{MaybeUser, Token};
use crate::web::extract::JsonBody;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/candidates/{id}/proposals", web::get().to(candidate_proposals))
        .route("/placements/{id}/proposals", web::get().to(placement_proposals))
        .route("/instruments/loonkostensubsidie", web::get().to(lks))
        .route("/municipalities/{id}/settings", web::get().to(get_settings))
        .route("/municipalities/{id}/settings", web::put().to(put_settings));
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ProposalParams {
    /// 1..=100, default 20
    pub limit: Option<usize>,
    /// Also return excluded results, with the rule that excludes them
    pub include_excluded: Option<bool>,
}

impl ProposalParams {
    fn options(&self) -> Options {
        Options { limit: self.limit.unwrap_or(20).clamp(1, 100), include_excluded: self.include_excluded.unwrap_or(false) }
    }
}

/// A placement proposed for a candidate, for the klantmanager.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlacementProposal {
    pub placement: PlacementSummary,
    pub score: f64,
    pub factors: Vec<Factor>,
    pub unmet_wishes: Vec<String>,
    /// The placement's required and desired skills the candidate lacks, by their Dutch labels.
    pub missing_skills: Vec<SkillGap>,
    pub instruments: InstrumentPackage,
    pub distance_km: Option<f64>,
    /// Why it is excluded (only with include_excluded=true).
    pub excluded: Vec<Exclusion>,
}

/// A placement proposed to the candidate, in plain words (B1).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlainProposal {
    pub placement: PlacementSummary,
    pub score: f64,
    /// "Past goed" (score >= 60) / "Past misschien" (>= 35) / "Past (nog) niet"
    pub fit: String,
    /// Why it suits you, in plain words.
    pub reasons: Vec<String>,
    pub distance_km: Option<f64>,
    /// Why it does not suit you now (only with include_excluded=true).
    pub not_now: Vec<String>,
    /// What you still learn for this work, in plain words ("Dit leert u nog: ...").
    pub to_learn: Option<String>,
    /// The skills the work asks that you do not have yet.
    pub missing_skills: Vec<SkillGap>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CandidateProposals {
    pub candidate_id: String,
    pub settings_version: i32,
    /// Proposals support a human decision: the klantmanager decides.
    pub note: String,
    /// For the klantmanager: the ZRM domains scored 1 or 2 ("urgente belemmering") to weigh
    /// beside every proposal. Not in the candidate's own plain-words answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urgent_obstacles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposals: Option<Vec<PlacementProposal>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plain: Option<Vec<PlainProposal>>,
}

#[utoipa::path(get, path = "/api/v1/candidates/{id}/proposals", tag = "matching", params(ProposalParams),
    responses((status = 200, body = CandidateProposals), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn candidate_proposals(
    state: web::Data<AppState>,
    token: Token,
    path: web::Path<String>,
    q: web::Query<ProposalParams>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let opts = q.options();
    let rd = state.env();
    let search = state.engine.clone();
    let out = state
        .read(move |conn| {
            // The user is loaded in this same read (see `Token`).
            let user = token.user(conn)?;
            let plain_words = user.role == Role::Kandidaat;
            Ok(crate::service::proposals::for_candidate(conn, &Ctx::new(&user, &rd), &search, &id, opts, false)?.map(|found| {
                let (version, res) = (found.settings_version, found.results);
                let urgent = crate::domain::urgent_obstacles(&found.candidate.zrm_scores).into_iter().map(String::from).collect();
                let note = "Dit zijn voorstellen van de matcher. De klantmanager beslist.".to_string();
                if plain_words {
                    CandidateProposals {
                        candidate_id: id,
                        settings_version: version,
                        note: "Dit zijn plekken die bij u kunnen passen. Bespreek ze met uw klantmanager.".into(),
                        urgent_obstacles: vec![],
                        proposals: None,
                        plain: Some(
                            res.iter()
                                .map(|(p, e)| {
                                    let (fit, reasons, not_now) = crate::engine::matching::plain(e);
                                    let gaps = skill_gaps(&rd, &e.missing_skills);
                                    PlainProposal {
                                        placement: summary(p, &rd),
                                        score: e.score,
                                        fit,
                                        reasons,
                                        distance_km: e.distance_km,
                                        not_now,
                                        to_learn: to_learn_b1(&gaps),
                                        missing_skills: gaps,
                                    }
                                })
                                .collect(),
                        ),
                    }
                } else {
                    CandidateProposals {
                        candidate_id: id,
                        settings_version: version,
                        note,
                        urgent_obstacles: urgent,
                        proposals: Some(
                            res.into_iter()
                                .map(|(p, e)| PlacementProposal {
                                    placement: summary(&p, &rd),
                                    score: e.score,
                                    factors: e.factors,
                                    unmet_wishes: e.unmet_wishes,
                                    missing_skills: skill_gaps(&rd, &e.missing_skills),
                                    instruments: e.instruments,
                                    distance_km: e.distance_km,
                                    excluded: e.excluded,
                                })
                                .collect(),
                        ),
                        plain: None,
                    }
                }
            }))
        })
        .await?
        .stored()
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CandidateSummary {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub ladder_step: Option<i32>,
    pub pc4: String,
    pub place: Option<String>,
    pub klantmanager_id: String,
    /// ZRM domains scored 1 or 2 ("urgente belemmering"); never sent to an employer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urgent_obstacles: Vec<String>,
}

pub use crate::service::employer_view::{anonymous_profile, AnonymousProfile};
pub use crate::service::placements::{summary, PlacementSummary};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CandidateProposal {
    /// For klantmanagers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate: Option<CandidateSummary>,
    /// For the employer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<AnonymousProfile>,
    pub score: f64,
    pub factors: Vec<Factor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmet_wishes: Vec<String>,
    /// The skills the candidate lacks (klantmanagers only).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub missing_skills: Vec<SkillGap>,
    pub instruments: InstrumentPackage,
    pub distance_km: Option<f64>,
    pub excluded: Vec<Exclusion>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlacementProposals {
    pub placement_id: String,
    pub note: String,
    pub proposals: Vec<CandidateProposal>,
}

#[utoipa::path(get, path = "/api/v1/placements/{id}/proposals", tag = "matching", params(ProposalParams),
    responses((status = 200, body = PlacementProposals), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn placement_proposals(
    state: web::Data<AppState>,
    token: Token,
    path: web::Path<String>,
    q: web::Query<ProposalParams>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let opts = q.options();
    let rd = state.env();
    let search = state.engine.clone();
    let out = state
        .db(move |conn| {
            // The user is loaded in this same call (see `Token`).
            let user = token.user(conn)?;
            let ctx = Ctx::new(&user, &rd);
            Ok(crate::service::proposals::for_placement(conn, &ctx, &search, &id, opts, false)?.map(|found| {
                let (p, employer, res) = (found.placement, found.employer, found.results);
                let mut proposals: Vec<CandidateProposal> = res
                    .into_iter()
                    .map(|(c, e)| {
                        if employer {
                            let profile = anonymous_profile(ctx.keys, &rd, &p.placement, &c);
                            let v = crate::service::employer_view::evaluation(e, profile.distance_band.as_deref());
                            CandidateProposal {
                                candidate: None,
                                profile: Some(profile),
                                score: v.score,
                                factors: v.factors,
                                unmet_wishes: vec![],
                                missing_skills: vec![],
                                instruments: v.instruments,
                                distance_km: None,
                                excluded: v.excluded,
                            }
                        } else {
                            CandidateProposal {
                                candidate: Some(CandidateSummary {
                                    id: c.candidate.id.clone(),
                                    first_name: c.candidate.first_name.clone(),
                                    last_name: c.candidate.last_name.clone(),
                                    ladder_step: c.ladder.as_ref().map(|l| l.step),
                                    pc4: c.candidate.pc4.clone(),
                                    place: rd.pc4.get(&c.candidate.pc4).map(|x| x.place.clone()),
                                    klantmanager_id: c.candidate.klantmanager_id.clone(),
                                    urgent_obstacles: crate::domain::urgent_obstacles(&c.candidate.zrm_scores)
                                        .into_iter()
                                        .map(String::from)
                                        .collect(),
                                }),
                                profile: None,
                                score: e.score,
                                factors: e.factors,
                                unmet_wishes: e.unmet_wishes,
                                missing_skills: skill_gaps(&rd, &e.missing_skills),
                                instruments: e.instruments,
                                distance_km: e.distance_km,
                                excluded: e.excluded,
                            }
                        }
                    })
                    .collect();
                if employer {
                    // In the order of what the employer sees: the full score's order would tell
                    // something of what is hidden from it.
                    let key =
                        |p: &CandidateProposal| (p.excluded.is_empty(), p.score, p.profile.as_ref().map(|x| std::cmp::Reverse(x.reference.clone())));
                    proposals.sort_by(|a, b| key(b).partial_cmp(&key(a)).unwrap_or(std::cmp::Ordering::Equal));
                }
                PlacementProposals {
                    placement_id: id,
                    note: "Voorstellen van de matcher; de klantmanager beslist wie wordt voorgesteld.".into(),
                    proposals,
                }
            }))
        })
        .await?
        .stored()
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LksParams {
    /// Loonwaarde in percent, 0..100; leave out when not measured (forfaitair 50%)
    pub loonwaarde: Option<String>,
    /// Contract hours per week, > 0 and <= 60
    pub hours: Option<String>,
    /// Sector full-time hours (default from the settings, 36)
    pub fulltime_hours: Option<String>,
    /// Date (YYYY-MM-DD) the WML is taken from; default today
    pub date: Option<String>,
    /// Age of the worker, for the youth minimum wage
    pub age: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LksView {
    #[serde(flatten)]
    pub result: LksResult,
    /// The same amount in euros, for reading.
    pub amount_eur: f64,
    pub settings_version: i32,
}

fn num(field: &str, v: &Option<String>, errs: &mut Vec<FieldError>) -> Option<f64> {
    let s = v.as_deref()?.trim();
    if s.is_empty() {
        return None;
    }
    match s.replace(',', ".").parse::<f64>() {
        Ok(x) if x.is_finite() => Some(x),
        _ => {
            errs.push(FieldError::new(field, format!("'{s}' is geen getal.")));
            None
        }
    }
}

#[utoipa::path(get, path = "/api/v1/instruments/loonkostensubsidie", tag = "matching", params(LksParams),
    responses((status = 200, body = LksView), (status = 422, body = ErrorBody)))]
pub async fn lks(state: web::Data<AppState>, user: MaybeUser, q: web::Query<LksParams>) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let mut errs = Vec::new();
    let loonwaarde = num("loonwaarde", &q.loonwaarde, &mut errs);
    let hours = num("hours", &q.hours, &mut errs);
    let fulltime = num("fulltime_hours", &q.fulltime_hours, &mut errs);
    let age = num("age", &q.age, &mut errs).map(|a| a as i32);
    let date = match q.date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(crate::clock::today()),
        Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errs.push(FieldError::new("date", "Gebruik een datum als JJJJ-MM-DD."));
                None
            }
        },
    };
    if hours.is_none() && !errs.iter().any(|e| e.field == "hours") {
        errs.push(FieldError::new("hours", "Geef het aantal uren per week op."));
    }
    AppError::check(errs)?;
    let municipality = user.0.as_ref().and_then(|u| u.municipality_id.clone());
    let (settings, version) = match municipality {
        Some(m) => state.db(move |conn| Ok(proposals::load_settings(conn, &m)?)).await?,
        None => (Settings::default(), 0),
    };
    let input = LksInput {
        loonwaarde,
        hours: hours.unwrap_or(0.0),
        fulltime_hours: fulltime.unwrap_or(settings.fulltime_hours),
        date: date.unwrap_or_default(),
        age,
    };
    let result = instruments::loonkostensubsidie(&settings, &input).map_err(AppError::Validation)?;
    Ok(HttpResponse::Ok().json(LksView { amount_eur: result.amount_cents as f64 / 100.0, result, settings_version: version }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SettingsView {
    pub municipality_id: String,
    pub version: i32,
    pub settings: Settings,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SettingsInput {
    pub settings: Settings,
    /// The version you read; a stale version gets 409.
    pub version: Option<i32>,
}

fn own_municipality(user: &CurrentUser, id: &str) -> AppResult<()> {
    user.require(&[Role::Beheerder, Role::Klantmanager])?;
    if user.municipality_id.as_deref() != Some(id) {
        return Err(AppError::NotFound);
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/municipalities/{id}/settings", tag = "matching",
    responses((status = 200, body = SettingsView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_settings(state: web::Data<AppState>, user: CurrentUser, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    own_municipality(&user, &id)?;
    let (settings, version) = state
        .db({
            let id = id.clone();
            move |conn| Ok(proposals::load_settings(conn, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(SettingsView { municipality_id: id, version, settings }))
}

#[utoipa::path(put, path = "/api/v1/municipalities/{id}/settings", tag = "matching", request_body = SettingsInput,
    responses((status = 200, body = SettingsView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_settings(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: JsonBody<SettingsInput>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    own_municipality(&user, &id)?;
    user.require(&[Role::Beheerder])?;
    let input = body.0;
    let errs: Vec<FieldError> = input.settings.check().into_iter().map(|e| FieldError::new(format!("settings.{}", e.field), e.message)).collect();
    AppError::check(errs)?;
    let version = crate::service::settings::save_settings(&state, &id, &input.settings, input.version).await?;
    let (settings, _) = state
        .db({
            let id = id.clone();
            move |conn| Ok(proposals::load_settings(conn, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(SettingsView { municipality_id: id, version, settings }))
}
