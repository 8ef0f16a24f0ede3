//! Retention periods (AVG art. 5(1)(e)): each municipality sets them (see `Settings`):
//! - a candidate who left (uitstroom) longer ago than `retention_years_after_outflow` is
//!   anonymised, the same way as an erasure on request: the personal data goes, the anonymous
//!   remainder the monitor counts stays, so the figures of past quarters do not change;
//! - proposal logs older than `proposal_log_months` (at least 6, AI Act) are deleted.
//!
//! The daily job (`jobs::run_periodic`) runs it once a day; each anonymisation is in the audit log.

use crate::db::models::Candidate;
use crate::db::schema::{candidates, municipalities, proposal_logs};
use crate::db::DbConnection;
use crate::error::AppResult;
use chrono::{Months, NaiveDate};
use diesel::prelude::*;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RetentionRun {
    pub anonymised: usize,
    pub proposal_logs_purged: usize,
}

/// Applies every municipality's retention periods as of `today` (Europe/Amsterdam).
pub fn apply(conn: &mut DbConnection, today: NaiveDate) -> AppResult<RetentionRun> {
    let mut run = RetentionRun::default();
    let ms: Vec<String> = municipalities::table.select(municipalities::id).load(conn)?;
    for m in ms {
        let (s, _) = crate::engine::ranking::load_settings(conn, &m)?;
        let years = s.retention_years_after_outflow.max(1) as u32;
        let cutoff = today.checked_sub_months(Months::new(12 * years)).unwrap_or(today);
        let due: Vec<Candidate> = candidates::table
            .filter(candidates::municipality_id.eq(&m))
            .filter(candidates::status.eq(crate::domain::UITGESTROOMD))
            .filter(candidates::outflow_date.lt(cutoff))
            .select(Candidate::as_select())
            .load(conn)?;
        for c in &due {
            let reason = format!("bewaartermijn verstreken ({years} jaar na uitstroom)");
            crate::service::candidates::anonymise(conn, &crate::audit::Actor::system(), c, &reason)?;
        }
        run.anonymised += due.len();
        let months = s.proposal_log_months.max(6) as u32;
        let before = crate::clock::start_of_day_utc(today.checked_sub_months(Months::new(months)).unwrap_or(today));
        run.proposal_logs_purged +=
            diesel::delete(proposal_logs::table.filter(proposal_logs::municipality_id.eq(&m)).filter(proposal_logs::created_at.lt(before)))
                .execute(conn)?;
    }
    // Logs that belong to no municipality (an employer's ranking): the default period.
    let months = crate::domain::settings::Settings::default().proposal_log_months.max(6) as u32;
    let before = crate::clock::start_of_day_utc(today.checked_sub_months(Months::new(months)).unwrap_or(today));
    run.proposal_logs_purged +=
        diesel::delete(proposal_logs::table.filter(proposal_logs::municipality_id.is_null()).filter(proposal_logs::created_at.lt(before)))
            .execute(conn)?;
    Ok(run)
}
