//! The employer's harvest limit: anonymous candidate profiles shown to one employer account, and
//! to all accounts of one organisation together, in any rolling hour. Kept in the database, so
//! every instance on one PostgreSQL shares it and a restart does not reset it.

use crate::db::schema::profile_views;
use crate::db::{new_id, now, DbConnection};
use crate::error::AppError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

const WINDOW_SECS: i64 = 3600;

/// Counts `n` profiles against the allowance of `user_id` and of `organisation_id` (each
/// `per_hour` in any 60 minutes). Over the limit: 429 with the seconds until enough of the
/// window has passed; nothing is counted then.
pub fn charge(conn: &mut DbConnection, user_id: &str, organisation_id: Option<&str>, n: usize, per_hour: u32) -> Result<(), AppError> {
    if n == 0 {
        return Ok(());
    }
    let per_hour = i64::from(per_hour.max(1));
    let n = n.min(i32::MAX as usize) as i64;
    if n > per_hour {
        return Err(AppError::TooManyRequests { retry_after: WINDOW_SECS as u64 });
    }
    crate::db::write_transaction(conn, |conn| {
        // Serialise the check-and-count per organisation (or account) across instances.
        #[cfg(feature = "postgres")]
        if let DbConnection::Pg(pg) = conn {
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind::<diesel::sql_types::Text, _>(format!("profile_views:{}", organisation_id.unwrap_or(user_id)))
                .execute(pg)?;
        }
        let t = now();
        let since = t - chrono::Duration::seconds(WINDOW_SECS);
        let window = |conn: &mut DbConnection, by_org: bool, key: &str| -> QueryResult<Vec<(NaiveDateTime, i32)>> {
            let q = profile_views::table.filter(profile_views::viewed_at.gt(since)).into_boxed();
            let q = if by_org { q.filter(profile_views::organisation_id.eq(key)) } else { q.filter(profile_views::user_id.eq(key)) };
            q.order(profile_views::viewed_at).select((profile_views::viewed_at, profile_views::profiles)).load(conn)
        };
        let mut wait = wait_secs(&window(conn, false, user_id)?, n, per_hour, t);
        if let Some(org) = organisation_id {
            wait = wait.max(wait_secs(&window(conn, true, org)?, n, per_hour, t));
        }
        if wait > 0 {
            return Err(AppError::TooManyRequests { retry_after: wait as u64 });
        }
        diesel::insert_into(profile_views::table)
            .values((
                profile_views::id.eq(new_id()),
                profile_views::user_id.eq(user_id),
                profile_views::organisation_id.eq(organisation_id),
                profile_views::profiles.eq(n as i32),
                profile_views::viewed_at.eq(t),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Counts `n` profiles shown to the context's employer account and organisation.
pub fn charge_for(conn: &mut DbConnection, ctx: &crate::service::Ctx, n: usize) -> Result<(), AppError> {
    charge(conn, &ctx.user.id, ctx.user.organisation_id.as_deref(), n, ctx.keys.profile_views_per_hour)
}

/// Seconds until `n` more fit in the window given the views in it (oldest first); 0 = now.
fn wait_secs(window: &[(NaiveDateTime, i32)], n: i64, per_hour: i64, now: NaiveDateTime) -> i64 {
    let used: i64 = window.iter().map(|(_, k)| i64::from(*k)).sum();
    let mut excess = used + n - per_hour;
    if excess <= 0 {
        return 0;
    }
    for (at, k) in window {
        excess -= i64::from(*k);
        if excess <= 0 {
            return ((*at + chrono::Duration::seconds(WINDOW_SECS)) - now).num_seconds().max(1);
        }
    }
    WINDOW_SECS
}

/// Forgets views older than the window (called by the periodic job).
pub fn purge(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(profile_views::table.filter(profile_views::viewed_at.lt(now() - chrono::Duration::seconds(2 * WINDOW_SECS)))).execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_until_enough_of_the_window_has_passed() {
        let t0 = NaiveDateTime::parse_from_str("2026-12-02 10:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        let w = vec![(t0, 60), (t0 + chrono::Duration::minutes(30), 40)];
        let now = t0 + chrono::Duration::minutes(40);
        assert_eq!(wait_secs(&w, 0, 100, now), 0);
        // 100 used: one more needs the first 60 to leave the window, at t0 + 60 min.
        assert_eq!(wait_secs(&w, 1, 100, now), 20 * 60);
        // 61 more need both to leave: t0 + 90 min.
        assert_eq!(wait_secs(&w, 61, 100, now), 50 * 60);
        assert_eq!(wait_secs(&w[..1], 40, 100, now), 0);
    }
}
