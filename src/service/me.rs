//! What a candidate manages of its own (consents, the saved search, who viewed its data) and
//! the beheerder's audit-log query.

use super::Ctx;
use crate::audit::{self, Act, Actor};
use crate::auth::CurrentUser;
use crate::db::models::{AuditEntry, Match, Organisation, SavedSearch, User};
use crate::db::now;
use crate::db::schema::{audit_log, candidates, matches, organisations, saved_searches, users};
use crate::db::DbConnection;
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult};
use crate::service::matches::{self as svc, ActionInput};
use crate::service::search::{placement_query, PlacementSearchParams};
use crate::state::AppState;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccessEntry {
    pub at: NaiveDateTime,
    /// Who, as the candidate may know it: the name of a municipal employee, the organisation
    /// of an employer, or "Opstap" for the platform itself.
    pub who: String,
    pub role: String,
    pub action: String,
    pub what: String,
    pub purpose: String,
    pub channel: String,
}

fn describe(conn: &mut DbConnection, rows: Vec<AuditEntry>) -> QueryResult<Vec<(AuditEntry, String)>> {
    let uids: Vec<String> = rows.iter().filter_map(|r| r.actor_id.clone()).collect();
    let oids: Vec<String> = rows.iter().filter_map(|r| r.organisation_id.clone()).collect();
    let unames: HashMap<String, String> =
        users::table.filter(users::id.eq_any(&uids)).select(User::as_select()).load(conn)?.into_iter().map(|u| (u.id, u.name)).collect();
    let onames: HashMap<String, String> = organisations::table
        .filter(organisations::id.eq_any(&oids))
        .select(Organisation::as_select())
        .load(conn)?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let who = match (r.actor_role.as_str(), &r.organisation_id, &r.actor_id) {
                ("werkgever", Some(o), _) => onames.get(o).cloned().unwrap_or_else(|| "Een werkgever".into()),
                ("systeem", _, _) => "Opstap".into(),
                ("kandidaat", _, _) => "Uzelf".into(),
                (_, _, Some(u)) => unames.get(u).cloned().unwrap_or_else(|| "Een medewerker (account verwijderd)".into()),
                _ => "Onbekend".into(),
            };
            (r, who)
        })
        .collect())
}

/// The newest entries about one candidate, described for the candidate.
pub fn access_log_of(conn: &mut DbConnection, cid: &str, limit: i64) -> QueryResult<Vec<AccessEntry>> {
    access_log_page(conn, cid, limit, 0)
}

pub fn access_log_page(conn: &mut DbConnection, cid: &str, limit: i64, offset: i64) -> QueryResult<Vec<AccessEntry>> {
    let rows: Vec<AuditEntry> = audit_log::table
        .filter(audit_log::candidate_id.eq(cid))
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(AuditEntry::as_select())
        .load(conn)?;
    Ok(describe(conn, rows)?
        .into_iter()
        .map(|(r, who)| AccessEntry {
            at: r.created_at,
            who,
            role: r.actor_role,
            action: r.action,
            what: r.what,
            purpose: r.purpose,
            channel: r.channel.as_str().into(),
        })
        .collect())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditView {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor: String,
    pub actor_role: String,
    pub organisation_id: Option<String>,
    pub candidate_id: String,
    /// The person's name and client number (for the municipality's beheerders, who may see them);
    /// none for an erased person or a list view.
    pub candidate_name: Option<String>,
    pub client_number: Option<String>,
    pub action: String,
    pub what: String,
    pub purpose: String,
    pub channel: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub total: i64,
    pub items: Vec<AuditView>,
}

/// Audit entries of a municipality, newest first (API and pages).
pub fn audit_entries(
    conn: &mut DbConnection,
    m: &str,
    candidate: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    limit: i64,
    offset: i64,
) -> QueryResult<(i64, Vec<AuditView>)> {
    audit_entries_between(conn, m, candidate, actor, action, None, None, limit, offset)
}

#[allow(clippy::too_many_arguments)]
pub fn audit_entries_between(
    conn: &mut DbConnection,
    m: &str,
    candidate: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    limit: i64,
    offset: i64,
) -> QueryResult<(i64, Vec<AuditView>)> {
    // A person is found by id (or its first characters), client number or name.
    let subjects = match candidate.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(q) => Some(subjects_matching(conn, m, q)?),
        None => None,
    };
    let build = || {
        let mut b = audit_log::table.filter(audit_log::municipality_id.eq(m.to_string())).into_boxed();
        if let Some(ids) = &subjects {
            b = b.filter(audit_log::candidate_id.eq_any(ids.clone()));
        }
        if let Some(a) = &actor {
            b = b.filter(audit_log::actor_id.eq(a.clone()));
        }
        if let Some(a) = &action {
            b = b.filter(audit_log::action.eq(a.clone()));
        }
        if let Some(f) = from {
            b = b.filter(audit_log::created_at.ge(crate::clock::start_of_day_utc(f)));
        }
        if let Some(t) = to {
            b = b.filter(audit_log::created_at.lt(crate::clock::start_of_day_utc(t.succ_opt().unwrap_or(t))));
        }
        b
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows: Vec<AuditEntry> =
        build().order((audit_log::created_at.desc(), audit_log::id.desc())).limit(limit).offset(offset).select(AuditEntry::as_select()).load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.candidate_id.as_str()).collect();
    let people: HashMap<String, (String, String, Option<String>)> = candidates::table
        .filter(candidates::id.eq_any(&ids))
        .select((candidates::id, candidates::first_name, candidates::last_name, candidates::client_number))
        .load::<(String, String, String, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, f, l, n)| (id, (f, l, n)))
        .collect();
    let items = describe(conn, rows)?
        .into_iter()
        .map(|(r, who)| AuditView {
            candidate_name: people.get(&r.candidate_id).map(|(f, l, _)| format!("{f} {l}")),
            client_number: people.get(&r.candidate_id).and_then(|(_, _, n)| n.clone()),
            id: r.id,
            at: r.created_at,
            actor_id: r.actor_id,
            actor: who,
            actor_role: r.actor_role,
            organisation_id: r.organisation_id,
            candidate_id: r.candidate_id,
            action: r.action,
            what: r.what,
            purpose: r.purpose,
            channel: r.channel.as_str().into(),
        })
        .collect();
    Ok((total, items))
}

diesel::define_sql_function! {
    /// SQL lower(text): the same on SQLite and PostgreSQL (SQLite folds ASCII letters only).
    fn lower(s: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The ids of the municipality's people a search names: the id itself (also an erased person's
/// anonymous one) or its first characters, a client number, or (part of) a name.
pub fn subjects_matching(conn: &mut DbConnection, m: &str, q: &str) -> QueryResult<Vec<String>> {
    let q = q.trim();
    let words: Vec<String> = q.split_whitespace().map(|w| format!("%{}%", w.to_lowercase().replace(['%', '_'], ""))).collect();
    let mut b = candidates::table.filter(candidates::municipality_id.eq(m)).into_boxed();
    let by_id_or_number = candidates::id.eq(q).or(candidates::client_number.eq(q));
    if q.len() >= 6 && q.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        b = b.filter(by_id_or_number.or(candidates::id.like(format!("{q}%"))));
    } else if !words.is_empty() {
        // Every word in the first or the last name.
        let mut names = candidates::table.filter(candidates::municipality_id.eq(m)).into_boxed();
        for w in &words {
            names = names.filter(lower(candidates::first_name).like(w.clone()).or(lower(candidates::last_name).like(w.clone())));
        }
        let mut ids: Vec<String> = names.select(candidates::id).limit(1000).load(conn)?;
        ids.extend(b.filter(by_id_or_number).select(candidates::id).load::<String>(conn)?);
        ids.push(q.to_string());
        return Ok(ids);
    }
    let mut ids: Vec<String> = b.select(candidates::id).limit(1000).load(conn)?;
    ids.push(q.to_string());
    Ok(ids)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SavedSearchView {
    pub query: PlacementSearchParams,
    pub created_at: NaiveDateTime,
    pub last_sent_at: NaiveDateTime,
    pub email_allowed: bool,
}

/// The candidate's saved search.
pub fn saved_search(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<SavedSearchView> {
    let cid = ctx.user.own_candidate()?;
    let s: SavedSearch = saved_searches::table.find(&cid).select(SavedSearch::as_select()).first(conn).optional()?.ok_or(AppError::NotFound)?;
    let email_allowed = crate::db::queries::consent_email(conn, &cid)?;
    Ok(SavedSearchView {
        query: serde_json::from_str(&s.query).unwrap_or_default(),
        created_at: s.created_at,
        last_sent_at: s.last_sent_at,
        email_allowed,
    })
}

/// Removes the candidate's saved search.
pub fn delete_saved_search(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<()> {
    let cid = ctx.user.own_candidate()?;
    diesel::delete(saved_searches::table.find(&cid)).execute(conn)?;
    Ok(())
}

/// Checks and stores a candidate's saved search (API and pages).
pub async fn save_search_for(state: &AppState, cid: &str, mut q: PlacementSearchParams) -> AppResult<SavedSearchView> {
    if q.status.is_some() {
        return Err(AppError::Validation(vec![FieldError::new("status", "Een bewaarde zoekopdracht zoekt altijd in open plekken.")]));
    }
    q.limit = None;
    q.offset = None;
    placement_query(state, &q, false)?;
    let json = serde_json::to_string(&q).map_err(|e| AppError::Internal(e.into()))?;
    let cid = cid.to_string();
    state
        .tx(move |conn| {
            let t = now();
            let existing: Option<SavedSearch> = saved_searches::table.find(&cid).select(SavedSearch::as_select()).first(conn).optional()?;
            let row = SavedSearch {
                candidate_id: cid.clone(),
                query: json,
                created_at: existing.as_ref().map(|e| e.created_at).unwrap_or(t),
                last_sent_at: existing.map(|e| e.last_sent_at).unwrap_or(t),
            };
            diesel::delete(saved_searches::table.find(&cid)).execute(conn)?;
            diesel::insert_into(saved_searches::table).values(&row).execute(conn)?;
            let email_allowed: bool = crate::db::queries::consent_email(conn, &cid)?;
            Ok(SavedSearchView {
                query: serde_json::from_str(&row.query).unwrap_or_default(),
                created_at: row.created_at,
                last_sent_at: row.last_sent_at,
                email_allowed,
            })
        })
        .await
}

/// The candidate's own consents. Leave a field out to keep it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentsInput {
    /// May the matcher look for work for me?
    pub consent_matching: Option<bool>,
    /// May employers see my anonymous profile in proposals?
    pub consent_anonymous_profile: Option<bool>,
    /// May Opstap send me e-mail?
    pub consent_email: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsentsView {
    pub consent_matching: bool,
    pub consent_anonymous_profile: bool,
    pub consent_email: bool,
    /// Matches whose consent to an introduction was withdrawn by this change.
    pub withdrawn_matches: Vec<String>,
}

/// Changes a candidate's own consents (API and pages).
pub async fn change_consents(state: &AppState, user: &CurrentUser, input: ConsentsInput) -> AppResult<ConsentsView> {
    user.require(&[Role::Kandidaat])?;
    let cid = user.candidate_id.clone().ok_or(AppError::Forbidden)?;
    let env = state.env();
    let c2 = cid.clone();
    let user = user.clone();
    let v = state
        .tx(move |conn| {
            let ctx = crate::service::Ctx::new(&user, &env);
            use crate::db::schema::candidates;
            let cur: crate::db::models::Candidate =
                crate::service::candidates::authorize(conn, &user, &c2, crate::service::candidates::Access::Read, "toestemmingen")?;
            let matching = input.consent_matching.unwrap_or(cur.consent_matching);
            let anonymous = input.consent_anonymous_profile.unwrap_or(cur.consent_anonymous_profile);
            let email = input.consent_email.unwrap_or(cur.consent_email);
            diesel::update(candidates::table.find(&c2))
                .set((
                    candidates::consent_matching.eq(matching),
                    candidates::consent_anonymous_profile.eq(anonymous),
                    candidates::consent_email.eq(email),
                    candidates::version.eq(cur.version + 1),
                    candidates::updated_at.eq(now()),
                ))
                .execute(conn)?;
            crate::db::changes::record(conn, crate::db::changes::Entity::Candidate, &c2)?;
            audit::one(
                conn,
                &Actor::from(&user),
                &c2,
                &cur.municipality_id,
                audit::access(Act::Update, "toestemmingen", audit::purpose::EIGEN_GEGEVENS),
            )?;
            let mut withdrawn = vec![];
            if !matching || !anonymous {
                let open: Vec<Match> = matches::table
                    .filter(matches::candidate_id.eq(&c2))
                    .filter(matches::consent_withdrawn_at.is_null())
                    .filter(matches::candidate_decided_at.is_not_null())
                    .filter(matches::status.eq_any(crate::domain::workflow::MatchStatus::with_consent_in_force()))
                    .select(Match::as_select())
                    .load(conn)?;
                for m in open {
                    let input = ActionInput { action: "withdraw_consent".into(), version: Some(m.version), ..Default::default() };
                    svc::act(conn, &ctx, &m.id, &input)?;
                    withdrawn.push(m.id);
                }
            }
            Ok(ConsentsView { consent_matching: matching, consent_anonymous_profile: anonymous, consent_email: email, withdrawn_matches: withdrawn })
        })
        .await?;
    Ok(v)
}

/// Writes the audit row of a candidate looking at their own data on the pages.
fn audit_own_view(conn: &mut DbConnection, user: &CurrentUser, candidate_id: &str, municipality_id: &str, what: &'static str) -> AppResult<()> {
    audit::one(
        conn,
        &Actor::from(user),
        candidate_id,
        municipality_id,
        audit::Access { act: Act::View, what, purpose: audit::purpose::EIGEN_GEGEVENS, channel: Some(crate::audit::Channel::Page) },
    )?;
    Ok(())
}

/// "Mijn voorstellen": the candidate's own matches and the interests they showed; the view is
/// audited.
pub fn own_matches(conn: &mut DbConnection, ctx: &Ctx, municipality_id: &str) -> AppResult<(Vec<Match>, Vec<crate::service::tasks::InterestRow>)> {
    let cid = ctx.user.own_candidate()?;
    audit_own_view(conn, ctx.user, &cid, municipality_id, "eigen voorstellen")?;
    let interests = crate::service::tasks::my_interests(conn, ctx)?;
    Ok((crate::db::queries::matches_of_candidate(conn, &cid)?, interests))
}

/// "Mijn gegevens": who looked at the candidate's data (the latest 100) and their saved search;
/// the view is audited.
pub fn own_data(conn: &mut DbConnection, ctx: &Ctx, municipality_id: &str) -> AppResult<(Vec<AccessEntry>, Option<SavedSearch>)> {
    let cid = ctx.user.own_candidate()?;
    audit_own_view(conn, ctx.user, &cid, municipality_id, "eigen gegevens")?;
    let log = access_log_of(conn, &cid, 100)?;
    Ok((log, crate::db::queries::saved_search_of(conn, &cid)?))
}

/// The candidate row of a candidate's own account (home postcode for distances), or None for
/// an account without one.
pub fn own_row(conn: &mut DbConnection, user: &CurrentUser) -> AppResult<Option<crate::db::models::Candidate>> {
    match (&user.candidate_id, user.role) {
        (Some(cid), Role::Kandidaat) => Ok(crate::db::queries::candidate_row(conn, cid)?),
        _ => Ok(None),
    }
}

/// Whether the candidate said "Ik heb interesse" in this placement before.
pub fn interest_shown(conn: &mut DbConnection, user: &CurrentUser, placement_id: &str) -> AppResult<bool> {
    match (&user.candidate_id, user.role) {
        (Some(cid), Role::Kandidaat) => Ok(crate::db::queries::interest_shown(conn, cid, placement_id)?),
        _ => Ok(false),
    }
}

/// What the person's own data page shows besides the row: the occupations and skills, and the
/// latest ladder step.
pub fn own_profile(conn: &mut DbConnection, cid: &str) -> AppResult<(Option<crate::db::queries::CandidateFull>, Option<i32>)> {
    Ok((crate::db::queries::candidate_full(conn, cid)?, crate::db::records::ladder_of(conn, cid)?.into_iter().next().map(|l| l.step)))
}
