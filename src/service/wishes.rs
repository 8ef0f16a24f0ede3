//! The person's own wishes: hours, days, travel distance and means, sectors and kinds of work.
//! The person keeps them; the matcher scores sector and kind as the "wishes" factor and names
//! the unmet ones; the klantmanager sees what the person changed and when (the audit entry of
//! each change holds the change itself).

use super::Ctx;
use crate::audit::{self, Act, Actor};
use crate::db::models::{AuditEntry, Candidate};
use crate::db::schema::{audit_log, candidates, organisations};
use crate::db::{now, DbConnection};
use crate::domain::{FieldError, PlacementKind, Role};
use crate::error::{AppError, AppResult};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct WishesInput {
    #[validate(range(min = 0, max = 60, message = "Uren per week liggen tussen 0 en 60."))]
    pub hours_min: i32,
    #[validate(range(min = 1, max = 60, message = "Uren per week liggen tussen 1 en 60."))]
    pub hours_max: i32,
    #[validate(range(min = 0, max = 200, message = "Reisafstand ligt tussen 0 en 200 km."))]
    pub max_travel_km: i32,
    #[serde(default)]
    pub own_transport: bool,
    #[serde(default)]
    pub driving_licence: bool,
    /// Sectors, in the person's words ("zorg", "groen").
    #[serde(default)]
    pub sector_preferences: Vec<String>,
    #[serde(default)]
    pub kind_preferences: Vec<PlacementKind>,
    /// ma, di, wo, do, vr, za, zo.
    #[serde(default)]
    pub days_available: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WishesView {
    #[serde(flatten)]
    pub wishes: WishesInput,
    /// When the person last changed them.
    pub changed_at: Option<NaiveDateTime>,
}

fn of(c: &Candidate) -> WishesInput {
    WishesInput {
        hours_min: c.hours_min,
        hours_max: c.hours_max,
        max_travel_km: c.max_travel_km,
        own_transport: c.own_transport,
        driving_licence: c.driving_licence,
        sector_preferences: serde_json::from_str(&c.sector_preferences).unwrap_or_default(),
        kind_preferences: serde_json::from_str(&c.kind_preferences).unwrap_or_default(),
        days_available: serde_json::from_str(&c.days_available).unwrap_or_default(),
    }
}

fn own_row(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<Candidate> {
    let cid = ctx.user.own_candidate()?;
    candidates::table.find(&cid).select(Candidate::as_select()).first(conn).optional()?.ok_or(AppError::NotFound)
}

/// The person's wishes as stored.
pub fn own(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<WishesView> {
    let c = own_row(conn, ctx)?;
    Ok(WishesView { wishes: of(&c), changed_at: c.wishes_changed_at })
}

fn check(w: &WishesInput) -> Vec<FieldError> {
    let mut e = crate::domain::hours_range_errors(w.hours_min, w.hours_max);
    e.extend(crate::domain::check_text_list("sector_preferences", &w.sector_preferences, 20, 100));
    if w.days_available.iter().any(|d| !crate::domain::DAYS.iter().any(|(c, _)| c == d)) {
        e.push(FieldError::new("days_available", "Kies dagen uit ma, di, wo, do, vr, za, zo."));
    }
    e
}

/// What changed, in words the klantmanager reads ("uren 16-24 → 20-32; sectoren zorg → groen").
fn changes(a: &WishesInput, b: &WishesInput) -> Vec<String> {
    let list = |v: &[String]| if v.is_empty() { "geen".to_string() } else { v.join(", ") };
    let kinds = |v: &[PlacementKind]| {
        if v.is_empty() {
            "geen".to_string()
        } else {
            v.iter().map(|k| k.label_nl().to_lowercase()).collect::<Vec<_>>().join(", ")
        }
    };
    let yn = |x: bool| if x { "ja" } else { "nee" };
    let mut out = vec![];
    if (a.hours_min, a.hours_max) != (b.hours_min, b.hours_max) {
        out.push(format!("uren {}-{} → {}-{}", a.hours_min, a.hours_max, b.hours_min, b.hours_max));
    }
    if a.max_travel_km != b.max_travel_km {
        out.push(format!("reisafstand {} → {} km", a.max_travel_km, b.max_travel_km));
    }
    if a.own_transport != b.own_transport {
        out.push(format!("eigen vervoer {} → {}", yn(a.own_transport), yn(b.own_transport)));
    }
    if a.driving_licence != b.driving_licence {
        out.push(format!("rijbewijs {} → {}", yn(a.driving_licence), yn(b.driving_licence)));
    }
    if a.sector_preferences != b.sector_preferences {
        out.push(format!("sectoren {} → {}", list(&a.sector_preferences), list(&b.sector_preferences)));
    }
    if a.kind_preferences != b.kind_preferences {
        out.push(format!("soort werk {} → {}", kinds(&a.kind_preferences), kinds(&b.kind_preferences)));
    }
    if a.days_available != b.days_available {
        out.push(format!("dagen {} → {}", list(&a.days_available), list(&b.days_available)));
    }
    out
}

/// The person changes their own wishes; the matcher uses them from the next request on.
pub fn update(conn: &mut DbConnection, ctx: &Ctx, input: &WishesInput) -> AppResult<WishesView> {
    ctx.user.require(&[Role::Kandidaat])?;
    super::validate_with(input, check(input))?;
    let c = own_row(conn, ctx)?;
    let mut next = input.clone();
    next.sector_preferences = next.sector_preferences.iter().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()).collect();
    next.sector_preferences.dedup();
    next.kind_preferences.sort_by_key(|k| k.as_str());
    next.kind_preferences.dedup();
    next.days_available.sort_by_key(|d| crate::domain::DAYS.iter().position(|(c, _)| c == d));
    next.days_available.dedup();
    let diff = changes(&of(&c), &next);
    if diff.is_empty() {
        return Ok(WishesView { wishes: next, changed_at: c.wishes_changed_at });
    }
    let t = now();
    diesel::update(candidates::table.find(&c.id))
        .set((
            candidates::hours_min.eq(next.hours_min),
            candidates::hours_max.eq(next.hours_max),
            candidates::max_travel_km.eq(next.max_travel_km),
            candidates::own_transport.eq(next.own_transport),
            candidates::driving_licence.eq(next.driving_licence),
            candidates::sector_preferences.eq(serde_json::to_string(&next.sector_preferences).unwrap_or_else(|_| "[]".into())),
            candidates::kind_preferences.eq(serde_json::to_string(&next.kind_preferences).unwrap_or_else(|_| "[]".into())),
            candidates::days_available.eq(serde_json::to_string(&next.days_available).unwrap_or_else(|_| "[]".into())),
            candidates::wishes_changed_at.eq(Some(t)),
            candidates::version.eq(c.version + 1),
            candidates::updated_at.eq(t),
        ))
        .execute(conn)?;
    let what = format!("eigen wensen: {}", diff.join("; "));
    audit::one(
        conn,
        &Actor::from(ctx.user),
        &c.id,
        &c.municipality_id,
        audit::Access { act: Act::Update, what: &what, purpose: audit::purpose::EIGEN_GEGEVENS, channel: None },
    )?;
    crate::db::changes::record(conn, crate::db::changes::Entity::Candidate, &c.id)?;
    Ok(WishesView { wishes: next, changed_at: Some(t) })
}

/// The person's own changes to their wishes, newest first, for the klantmanager's page.
pub fn changes_by_person(conn: &mut DbConnection, cid: &str, limit: i64) -> QueryResult<Vec<(NaiveDateTime, String)>> {
    let rows: Vec<AuditEntry> = audit_log::table
        .filter(audit_log::candidate_id.eq(cid))
        .filter(audit_log::actor_role.eq("kandidaat"))
        .filter(audit_log::action.eq(Act::Update.as_str()))
        .filter(audit_log::what.like("eigen wensen:%"))
        .order(audit_log::created_at.desc())
        .limit(limit)
        .select(AuditEntry::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.created_at, r.what.trim_start_matches("eigen wensen: ").to_string())).collect())
}

/// Sectors of the region's employers, for the person to choose from.
pub fn sectors(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    let mut v: Vec<String> = organisations::table.select(organisations::sector).distinct().load::<String>(conn)?;
    let mut v2: Vec<String> = v.drain(..).map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()).collect();
    v2.sort();
    v2.dedup();
    Ok(v2)
}

/// [`update`] in one transaction, for API and pages.
pub async fn update_for(state: &crate::state::AppState, user: &crate::auth::CurrentUser, input: WishesInput) -> AppResult<WishesView> {
    let (user, env) = (user.clone(), state.env());
    state.tx(move |conn| update(conn, &Ctx::new(&user, &env), &input)).await
}

/// A suggested skill as the person and the klantmanager see it: the Dutch label and the state.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionView {
    pub id: String,
    pub skill_id: String,
    pub label: String,
    /// voorgesteld, bevestigd or afgewezen.
    pub status: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct SuggestInput {
    /// An ESCO skill id, or its name in Dutch ("heftruck besturen").
    #[validate(length(min = 2, max = 200, message = "Vul een vaardigheid in (2 tot 200 tekens)."))]
    pub skill: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DecideInput {
    /// bevestigd or afgewezen.
    pub decision: String,
}

fn suggestion_views(conn: &mut DbConnection, rd: &crate::refdata::RefData, cid: &str) -> QueryResult<Vec<SuggestionView>> {
    use crate::db::schema::skill_suggestions as ss;
    let rows: Vec<crate::db::models::SkillSuggestion> =
        ss::table.filter(ss::candidate_id.eq(cid)).order(ss::created_at.desc()).select(crate::db::models::SkillSuggestion::as_select()).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| SuggestionView {
            label: rd.skill(&r.skill_id).map(|s| s.label().to_string()).unwrap_or_else(|| r.skill_id.clone()),
            id: r.id,
            skill_id: r.skill_id,
            status: r.status,
            created_at: r.created_at,
        })
        .collect())
}

/// The person's own suggestions, newest first.
pub fn own_suggestions(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<Vec<SuggestionView>> {
    let c = own_row(conn, ctx)?;
    Ok(suggestion_views(conn, ctx.refdata, &c.id)?)
}

/// The suggestions of a person, for their klantmanager's page.
pub fn suggestions_of(conn: &mut DbConnection, rd: &crate::refdata::RefData, cid: &str) -> QueryResult<Vec<SuggestionView>> {
    suggestion_views(conn, rd, cid)
}

/// The person suggests a skill (by ESCO id or Dutch name); the klantmanager decides.
pub fn suggest(conn: &mut DbConnection, ctx: &Ctx, input: &SuggestInput) -> AppResult<SuggestionView> {
    use crate::db::schema::skill_suggestions as ss;
    ctx.user.require(&[Role::Kandidaat])?;
    super::validate_with(input, vec![])?;
    let c = own_row(conn, ctx)?;
    let text = input.skill.trim();
    let rd = ctx.refdata;
    let skill = rd
        .skill(text)
        .map(|s| s.id.clone())
        .or_else(|| rd.skill_named(text).map(|s| s.id.clone()))
        .or_else(|| rd.suggest_skills(text, 1).into_iter().next().map(|s| s.id))
        .ok_or_else(|| AppError::field("skill", "Deze vaardigheid kennen we niet. Probeer een ander woord."))?;
    let open: i64 =
        ss::table.filter(ss::candidate_id.eq(&c.id)).filter(ss::skill_id.eq(&skill)).filter(ss::status.eq("voorgesteld")).count().get_result(conn)?;
    if open > 0 {
        return Err(AppError::field("skill", "Deze vaardigheid heeft u al voorgesteld. Uw klantmanager kijkt ernaar."));
    }
    let row = crate::db::models::SkillSuggestion {
        id: crate::db::new_id(),
        candidate_id: c.id.clone(),
        skill_id: skill,
        status: "voorgesteld".into(),
        created_at: now(),
        decided_at: None,
        decided_by: None,
    };
    diesel::insert_into(ss::table).values(&row).execute(conn)?;
    audit::one(
        conn,
        &Actor::from(ctx.user),
        &c.id,
        &c.municipality_id,
        audit::access(Act::Create, "vaardigheid voorgesteld", audit::purpose::EIGEN_GEGEVENS),
    )?;
    Ok(SuggestionView {
        label: rd.skill(&row.skill_id).map(|s| s.label().to_string()).unwrap_or_default(),
        id: row.id,
        skill_id: row.skill_id,
        status: row.status,
        created_at: row.created_at,
    })
}

/// The klantmanager confirms (the skill joins the profile) or declines a suggestion.
pub fn decide(conn: &mut DbConnection, ctx: &Ctx, cid: &str, sid: &str, input: &DecideInput) -> AppResult<()> {
    use crate::db::schema::{candidate_skills, skill_suggestions as ss};
    ctx.user.require(&[Role::Klantmanager])?;
    let c = crate::service::candidates::authorize_only(conn, ctx.user, cid, crate::service::candidates::Access::Write)?;
    if !matches!(input.decision.as_str(), "bevestigd" | "afgewezen") {
        return Err(AppError::field("decision", "Kies bevestigd of afgewezen."));
    }
    let s: crate::db::models::SkillSuggestion = ss::table
        .find(sid)
        .filter(ss::candidate_id.eq(&c.id))
        .select(crate::db::models::SkillSuggestion::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    if s.status != "voorgesteld" {
        return Err(AppError::conflict(crate::error::ConflictCode::AlreadyDone, "Over deze vaardigheid is al besloten."));
    }
    diesel::update(ss::table.find(&s.id))
        .set((ss::status.eq(&input.decision), ss::decided_at.eq(Some(now())), ss::decided_by.eq(Some(&ctx.user.id))))
        .execute(conn)?;
    if input.decision == "bevestigd" {
        let has: i64 = candidate_skills::table
            .filter(candidate_skills::candidate_id.eq(&c.id))
            .filter(candidate_skills::skill_id.eq(&s.skill_id))
            .count()
            .get_result(conn)?;
        if has == 0 {
            diesel::insert_into(candidate_skills::table)
                .values(&crate::db::models::CandidateSkill {
                    id: crate::db::new_id(),
                    candidate_id: c.id.clone(),
                    skill_id: Some(s.skill_id.clone()),
                    free_text: None,
                    level: "basis".into(),
                })
                .execute(conn)?;
        }
        crate::db::changes::record(conn, crate::db::changes::Entity::Candidate, &c.id)?;
    }
    audit::one(
        conn,
        &Actor::from(ctx.user),
        &c.id,
        &c.municipality_id,
        audit::access(Act::Update, "voorgestelde vaardigheid", audit::purpose::BEGELEIDING),
    )?;
    Ok(())
}

pub async fn suggest_for(state: &crate::state::AppState, user: &crate::auth::CurrentUser, input: SuggestInput) -> AppResult<SuggestionView> {
    let (user, env) = (user.clone(), state.env());
    state.tx(move |conn| suggest(conn, &Ctx::new(&user, &env), &input)).await
}

pub async fn decide_for(state: &crate::state::AppState, user: &crate::auth::CurrentUser, cid: &str, sid: &str, input: DecideInput) -> AppResult<()> {
    let (user, env, cid, sid) = (user.clone(), state.env(), cid.to_string(), sid.to_string());
    state.tx(move |conn| decide(conn, &Ctx::new(&user, &env), &cid, &sid, &input)).await
}
