//! The match workflow as a service used by the API and the pages, one file per use case:
//! `propose` (a klantmanager proposes a candidate for a placement), `act` (an action of the state
//! machine, whose rules are pure in `domain::transition`), `notify` (the e-mail an action causes),
//! `followup` (the tasks after a start), `view` (a match as each role may see it, lists, audit).
//! Every change is written with its event, audit rows, e-mail and tasks in one transaction.

use crate::auth::CurrentUser;
use crate::db::models::{Candidate, Match, MatchEvent, Organisation};
use crate::db::schema::{match_events, matches};
use crate::db::{new_id, now, DbConnection};
use crate::domain::workflow::MatchStatus;
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult};
use crate::mail::Recipient;
use crate::service::Ctx;
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

mod act;
mod followup;
mod notify;
mod propose;
mod view;

pub use crate::domain::transition::ActionInput;
pub use crate::engine::matching::Chosen;
pub use act::act;
pub use followup::ladder_recorded;
pub use propose::propose;
pub use view::{audit_views, list, show, view, CandidatePerson, EventView, Introduction, ListFilter, MatchView, NextStep, StaffContact};

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeInput {
    #[validate(length(min = 1, max = 64, message = "Kies een kandidaat."))]
    pub candidate_id: String,
    #[validate(length(min = 1, max = 64, message = "Kies een plek."))]
    pub placement_id: String,
    #[serde(default)]
    pub instruments: Chosen,
    /// A note for the candidate (not shown to the employer).
    #[serde(default)]
    #[validate(length(max = 2000, message = "Maximaal 2000 tekens."))]
    pub note: String,
}

fn field(errs: &mut Vec<FieldError>, f: &str, msg: impl Into<String>) {
    errs.push(FieldError::new(f, msg));
}

fn date_nl(d: NaiveDate) -> String {
    crate::domain::nl::date_long(d)
}

fn link(keys: &crate::service::Keys, m: &str) -> String {
    keys.link(&format!("/matches/{m}"))
}

fn org_recipient(o: &Organisation) -> Recipient {
    Recipient { address: o.contact_email.clone(), name: o.contact_name.clone(), role: "werkgever" }
}

fn candidate_recipient(c: &Candidate) -> Option<Recipient> {
    match (&c.email, c.consent_email) {
        (Some(e), true) if !e.trim().is_empty() => {
            Some(Recipient { address: e.clone(), name: format!("{} {}", c.first_name, c.last_name), role: "kandidaat" })
        }
        _ => None,
    }
}

fn full_name(c: &Candidate) -> String {
    format!("{} {}", c.first_name, c.last_name)
}

fn event(
    conn: &mut DbConnection,
    match_id: &str,
    action: &str,
    from: Option<MatchStatus>,
    to: MatchStatus,
    user: &CurrentUser,
    detail: serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(match_events::table)
        .values(&MatchEvent {
            id: new_id(),
            match_id: match_id.into(),
            action: action.into(),
            from_status: from,
            to_status: to,
            actor_id: Some(user.id.clone()),
            actor_role: user.role,
            detail: detail.to_string(),
            created_at: now(),
        })
        .execute(conn)?;
    Ok(())
}

/// Loads a match the user may see. Out of reach = 404 (as if it did not exist).
pub fn load_for(conn: &mut DbConnection, user: &CurrentUser, id: &str) -> AppResult<Match> {
    let m: Match = matches::table.find(id).select(Match::as_select()).first(conn).optional()?.ok_or(AppError::NotFound)?;
    let ok = match user.role {
        Role::Klantmanager | Role::Beheerder => user.municipality_id.as_deref() == Some(m.municipality_id.as_str()),
        Role::Kandidaat => user.candidate_id.is_some() && user.candidate_id == m.candidate_id,
        Role::Werkgever => {
            user.organisation_verified
                && user.organisation_id.is_some()
                && user.organisation_id == m.organisation_id
                && m.status.visible_to_employer(m.candidate_decided_at.is_some())
        }
    };
    if ok {
        Ok(m)
    } else {
        Err(AppError::NotFound)
    }
}

/// Acts on a match and shows the result to the actor; after a withdrawal of consent the employer
/// still sees the match, without the person.
pub fn act_and_view(conn: &mut DbConnection, ctx: &Ctx, id: &str, input: &ActionInput) -> AppResult<MatchView> {
    let m = act(conn, ctx, id, input)?;
    match load_for(conn, ctx.user, &m.id) {
        Ok(m) => view(conn, ctx, &m),
        Err(_) => view(conn, ctx, &m),
    }
}

/// Proposes a match and shows it to the klantmanager.
pub fn propose_and_view(conn: &mut DbConnection, ctx: &Ctx, input: &ProposeInput) -> AppResult<MatchView> {
    let id = propose(conn, ctx, input)?;
    let m = load_for(conn, ctx.user, &id)?;
    view(conn, ctx, &m)
}
