//! The tasks that follow a start: the retention checks after 6 and 12 months, the loonwaarde
//! measurement before a forfaitaire loonkostensubsidie ends, and the new ladder step.

use super::Chosen;
use crate::db::models::{Candidate, Match, Task};
use crate::db::schema::tasks;
use crate::db::{now, DbConnection};
use crate::domain::workflow::{self};
use crate::engine::matching::{self};
use crate::error::AppResult;
use crate::service::tasks::new_task;
use chrono::NaiveDate;
use diesel::prelude::*;

/// The tasks a start causes, for the klantmanager of the match (or of the candidate).
pub(super) fn after_start(conn: &mut DbConnection, today: NaiveDate, m: &Match, cand: &Candidate) -> AppResult<()> {
    let kmid = m.klantmanager_id.clone().or(Some(cand.klantmanager_id.clone()));
    let start = m.start_date.unwrap_or(today);
    let mut rows: Vec<Task> = workflow::retention_checks(start)
        .into_iter()
        .map(|(kind, due)| new_task(&m.municipality_id, kmid.clone(), &cand.id, Some(&m.id), kind, due))
        .collect();
    // A forfaitaire LKS (no loonwaarde measured) runs for at most its maximum months:
    // the loonwaarde must be measured at the workplace before then.
    let granted: Chosen = serde_json::from_str(&m.instruments).unwrap_or_default();
    let pkg: Option<matching::InstrumentPackage> = serde_json::from_str(&m.package).ok();
    if let Some(months) = pkg.as_ref().and_then(|p| p.loonkostensubsidie.as_ref()).and_then(|l| l.max_months).filter(|_| granted.loonkostensubsidie) {
        let due = start.checked_add_months(chrono::Months::new(months.max(0) as u32)).unwrap_or(start);
        rows.push(new_task(&m.municipality_id, kmid.clone(), &cand.id, Some(&m.id), workflow::TaskKind::LoonwaardeMeasurement, due));
    }
    // The klantmanager records the new ladder step.
    rows.push(new_task(&m.municipality_id, kmid, &cand.id, Some(&m.id), workflow::TaskKind::LadderUpdate, today));
    crate::insert_all!(conn, tasks::table, &rows)?;
    Ok(())
}

/// An employer's yes and a candidate's answer each make a task for the klantmanager, due in
/// two working days' time (the answer is in the match; the task makes sure it is acted on).
pub(super) fn after_answer(conn: &mut DbConnection, today: NaiveDate, m: &Match, cand: &Candidate, action: workflow::Action) -> AppResult<()> {
    let kind = match action {
        workflow::Action::Interested => workflow::TaskKind::EmployerYes,
        workflow::Action::Accept | workflow::Action::Decline => workflow::TaskKind::CandidateAnswer,
        _ => return Ok(()),
    };
    let kmid = m.klantmanager_id.clone().or(Some(cand.klantmanager_id.clone()));
    let t = new_task(&m.municipality_id, kmid, &cand.id, Some(&m.id), kind, today + chrono::Duration::days(2));
    crate::insert_all!(conn, tasks::table, &[t])?;
    Ok(())
}

/// Marks open ladder-update tasks of a candidate done (a new ladder measurement was recorded).
pub fn ladder_recorded(conn: &mut DbConnection, candidate_id: &str, by: &str) -> QueryResult<usize> {
    diesel::update(
        tasks::table
            .filter(tasks::candidate_id.eq(candidate_id))
            .filter(tasks::kind.eq(workflow::TaskKind::LadderUpdate))
            .filter(tasks::done_at.is_null()),
    )
    .set((tasks::done_at.eq(Some(now())), tasks::done_by.eq(Some(by.to_string())), tasks::result.eq(Some("vastgelegd".to_string()))))
    .execute(conn)
}
