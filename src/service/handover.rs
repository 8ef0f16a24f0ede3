//! Handover: when a klantmanager leaves or caseloads are rebalanced, a beheerder hands one
//! candidate, or a klantmanager's whole active caseload, to another klantmanager of the same
//! municipality. The candidates' open proposals and tasks go along; each person's access log
//! records the handover; the new klantmanager gets a task per person to get acquainted.

use super::Ctx;
use crate::audit::{self, Act, Actor};
use crate::db::models::User;
use crate::db::schema::{candidates, matches, tasks, users};
use crate::db::DbConnection;
use crate::domain::workflow::{MatchStatus, TaskKind};
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct HandoverInput {
    /// The klantmanager whose candidates are handed over.
    pub from_klantmanager_id: String,
    /// The klantmanager who takes them over (same municipality, active).
    pub to_klantmanager_id: String,
    /// Only these candidates (of `from_klantmanager_id`); all of its active caseload when left out.
    #[serde(default)]
    pub candidate_ids: Option<Vec<String>>,
    /// Or only the candidate with this number in the client system.
    #[serde(default)]
    pub client_number: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HandoverResult {
    /// The candidates handed over.
    pub candidate_ids: Vec<String>,
    /// Their open proposals and open tasks that went along.
    pub matches: usize,
    pub tasks: usize,
}

/// The active klantmanagers of the beheerder's municipality, by name (for the handover form).
pub fn klantmanagers(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<Vec<(User, i64)>> {
    ctx.user.require(&[Role::Beheerder])?;
    let m = ctx.user.municipality()?.to_string();
    let kms: Vec<User> = users::table
        .filter(users::municipality_id.eq(&m))
        .filter(users::role.eq(Role::Klantmanager.as_str()))
        .order(users::name)
        .select(User::as_select())
        .load(conn)?;
    let counts: Vec<(String, i64)> = candidates::table
        .filter(candidates::municipality_id.eq(&m))
        .filter(candidates::status.eq(crate::domain::ACTIEF))
        .group_by(candidates::klantmanager_id)
        .select((candidates::klantmanager_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(kms
        .into_iter()
        .map(|u| {
            let n = counts.iter().find(|(k, _)| *k == u.id).map(|(_, n)| *n).unwrap_or(0);
            (u, n)
        })
        .collect())
}

fn klantmanager(conn: &mut DbConnection, municipality: &str, id: &str, field: &str) -> AppResult<User> {
    users::table
        .find(id)
        .filter(users::municipality_id.eq(municipality))
        .filter(users::role.eq(Role::Klantmanager.as_str()))
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::field(field, "Kies een klantmanager van uw gemeente."))
}

/// Hands candidates over (beheerder), in the caller's transaction.
pub fn hand_over(conn: &mut DbConnection, ctx: &Ctx, input: &HandoverInput) -> AppResult<HandoverResult> {
    ctx.user.require(&[Role::Beheerder])?;
    let m = ctx.user.municipality()?.to_string();
    let from = klantmanager(conn, &m, input.from_klantmanager_id.trim(), "from_klantmanager_id")?;
    let to = klantmanager(conn, &m, input.to_klantmanager_id.trim(), "to_klantmanager_id")?;
    if from.id == to.id {
        return Err(AppError::field("to_klantmanager_id", "Kies een andere klantmanager dan de huidige."));
    }
    if !to.active {
        return Err(AppError::field("to_klantmanager_id", "Deze klantmanager kan niet meer inloggen: kies een actieve klantmanager."));
    }
    let mut wanted = input.candidate_ids.clone();
    if let Some(n) = input.client_number.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        let id: Option<String> = candidates::table
            .filter(candidates::municipality_id.eq(&m))
            .filter(candidates::client_number.eq(n))
            .select(candidates::id)
            .first(conn)
            .optional()?;
        match id {
            Some(id) => wanted.get_or_insert_with(Vec::new).push(id),
            None => return Err(AppError::field("client_number", "Geen kandidaat van uw gemeente met dit klantnummer.")),
        }
    }
    let mut q = candidates::table.filter(candidates::municipality_id.eq(&m)).filter(candidates::klantmanager_id.eq(&from.id)).into_boxed();
    match &wanted {
        Some(ids) if ids.is_empty() => return Err(AppError::field("candidate_ids", "Kies minstens één kandidaat.")),
        Some(ids) => q = q.filter(candidates::id.eq_any(ids)),
        None => q = q.filter(candidates::status.eq(crate::domain::ACTIEF)),
    }
    let found: Vec<(String, i32)> = q.select((candidates::id, candidates::version)).load(conn)?;
    if let Some(ids) = &wanted {
        let missing: Vec<&String> = ids.iter().filter(|i| !found.iter().any(|(f, _)| f == *i)).collect();
        if !missing.is_empty() {
            return Err(AppError::Validation(vec![FieldError::new(
                if input.client_number.is_some() { "client_number" } else { "candidate_ids" },
                format!("Niet in de caseload van {}: {}.", from.name, missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")),
            )]));
        }
    }
    let ids: Vec<String> = found.iter().map(|(id, _)| id.clone()).collect();
    let t = crate::db::now();
    for (id, version) in &found {
        diesel::update(candidates::table.find(id))
            .set((candidates::klantmanager_id.eq(&to.id), candidates::version.eq(version + 1), candidates::updated_at.eq(t)))
            .execute(conn)?;
        crate::db::changes::record(conn, crate::db::changes::Entity::Candidate, id)?;
    }
    let open: Vec<&str> = MatchStatus::ALL.into_iter().filter(|s| !s.has_ended()).map(MatchStatus::as_str).collect();
    let n_matches = diesel::update(matches::table.filter(matches::candidate_id.eq_any(&ids)).filter(matches::status.eq_any(&open)))
        .set(matches::klantmanager_id.eq(Some(to.id.clone())))
        .execute(conn)?;
    let n_tasks = diesel::update(tasks::table.filter(tasks::candidate_id.eq_any(&ids)).filter(tasks::done_at.is_null()))
        .set(tasks::klantmanager_id.eq(Some(to.id.clone())))
        .execute(conn)?;
    let due = ctx.today + chrono::Duration::days(14);
    let rows: Vec<crate::db::models::Task> =
        ids.iter().map(|c| super::tasks::new_task(&m, Some(to.id.clone()), c, None, TaskKind::Handover, due)).collect();
    crate::insert_all!(conn, tasks::table, &rows)?;
    let subjects: Vec<(&str, Option<&str>)> = ids.iter().map(|c| (c.as_str(), Some(m.as_str()))).collect();
    audit::record(conn, &Actor::from(ctx.user), &subjects, audit::access(Act::Update, "klantmanager (overdracht)", audit::purpose::BEHEER))?;
    Ok(HandoverResult { candidate_ids: ids, matches: n_matches, tasks: n_tasks })
}
