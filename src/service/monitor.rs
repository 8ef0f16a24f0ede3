//! The quarterly monitor of a municipality as staff see it: the indicators, the klantmanagers'
//! names, and for a klantmanager its own candidates who miss the contact norm.

use super::Ctx;
use crate::db::models::User;
use crate::db::schema::{candidates, contact_moments, users};
use crate::db::DbConnection;
use crate::domain::monitor::{Monitor, Quarter};
use crate::domain::{Role, PERSONAL_CHANNELS};
use crate::error::AppResult;
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OverdueCandidate {
    pub candidate_id: String,
    pub name: String,
    pub last_personal_contact: Option<NaiveDate>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MonitorView {
    pub municipality_id: String,
    #[serde(flatten)]
    pub monitor: Monitor,
    /// Names of the klantmanagers in `per_klantmanager`.
    pub klantmanagers: HashMap<String, String>,
    /// For a klantmanager: the candidates of its own caseload without a personal contact in the
    /// 12 months up to the quarter end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue: Option<Vec<OverdueCandidate>>,
}

fn km_names(conn: &mut DbConnection, m: &str) -> QueryResult<HashMap<String, String>> {
    Ok(users::table
        .filter(users::municipality_id.eq(m))
        .filter(users::role.eq("klantmanager"))
        .select(User::as_select())
        .load(conn)?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

/// The monitor of the user's municipality for quarter `q`.
pub fn view(conn: &mut DbConnection, ctx: &Ctx, q: Quarter) -> AppResult<MonitorView> {
    let user = ctx.user;
    user.require(&[Role::Klantmanager, Role::Beheerder])?;
    let m = user.municipality()?.to_string();
    let monitor = crate::monitor::compute(conn, &m, q)?;
    let klantmanagers = km_names(conn, &m)?;
    let overdue = if user.role == Role::Klantmanager {
        let end = q.end();
        let mine: Vec<crate::db::models::Candidate> =
            candidates::table.filter(candidates::klantmanager_id.eq(&user.id)).select(crate::db::models::Candidate::as_select()).load(conn)?;
        // The last personal contact up to the quarter end, for the whole caseload at once.
        let ids: Vec<&String> = mine.iter().map(|c| &c.id).collect();
        let lasts: HashMap<String, Option<NaiveDate>> = contact_moments::table
            .filter(contact_moments::candidate_id.eq_any(&ids))
            .filter(contact_moments::channel.eq_any(PERSONAL_CHANNELS))
            .filter(contact_moments::contact_date.le(end))
            .group_by(contact_moments::candidate_id)
            .select((contact_moments::candidate_id, diesel::dsl::max(contact_moments::contact_date)))
            .load::<(String, Option<NaiveDate>)>(conn)?
            .into_iter()
            .collect();
        let norms = crate::db::client_groups::norms(conn, &m)?;
        let mut out = vec![];
        for c in mine {
            let in_caseload =
                c.registration_date <= end && !(c.status == crate::domain::CandidateStatus::Uitgestroomd && c.outflow_date.is_some_and(|d| d <= end));
            if !in_caseload {
                continue;
            }
            let last = lasts.get(&c.id).copied().flatten();
            if !crate::domain::contact_norm_met(crate::db::client_groups::norm_of(&norms, c.client_group_id.as_ref()), last, end) {
                crate::audit::one(
                    conn,
                    &crate::audit::Actor::from(user),
                    &c.id,
                    &c.municipality_id,
                    crate::audit::access(crate::audit::Act::View, "naam (contactnorm, monitor)", crate::audit::purpose::BEGELEIDING),
                )?;
                out.push(OverdueCandidate { candidate_id: c.id, name: format!("{} {}", c.first_name, c.last_name), last_personal_contact: last });
            }
        }
        out.sort_by(|a, b| a.last_personal_contact.cmp(&b.last_personal_contact).then(a.name.cmp(&b.name)));
        Some(out)
    } else {
        None
    };
    Ok(MonitorView { municipality_id: m, monitor, klantmanagers, overdue })
}

/// The indicators of the user's municipality for an aggregate export, with the klantmanagers'
/// names (the exports number them).
pub fn aggregate(conn: &mut DbConnection, ctx: &Ctx, q: Quarter) -> AppResult<(Monitor, HashMap<String, String>)> {
    ctx.user.require(&[Role::Klantmanager, Role::Beheerder])?;
    let m = ctx.user.municipality()?.to_string();
    Ok((crate::monitor::compute(conn, &m, q)?, km_names(conn, &m)?))
}
