//! Login throttling, shared by all instances (kept in the database): per account (the
//! normalised e-mail address, known or not) and per client address. After `ACCOUNT_FREE` failed
//! attempts within `WINDOW_MINUTES` an account must wait before the next attempt, 30 s doubling
//! per further failure up to 15 minutes; an address gets `ADDRESS_FREE` failures. A refused
//! attempt is answered 429 with Retry-After and recorded as a lock-out (the audit trail of the
//! throttle, together with the failures themselves); the password is not even checked then.

use crate::db::schema::login_events;
use crate::db::{new_id, now, DbConnection};
use diesel::prelude::*;

pub const WINDOW_MINUTES: i64 = 15;
pub const ACCOUNT_FREE: i64 = 5;
pub const ADDRESS_FREE: i64 = 30;
const FIRST_WAIT_SECS: i64 = 30;
const MAX_WAIT_SECS: i64 = 15 * 60;

pub fn account_key(normalised_email: &str) -> String {
    format!("account:{normalised_email}")
}

pub fn address_key(addr: &str) -> String {
    format!("address:{addr}")
}

/// The wait after `failures` failed attempts of which `free` are allowed: 0 while within the
/// allowance, then 30 s, 60 s, 120 s ... at most 15 minutes.
pub fn wait_secs(failures: i64, free: i64) -> i64 {
    if failures < free {
        return 0;
    }
    let doublings = (failures - free).min(10) as u32;
    (FIRST_WAIT_SECS << doublings).min(MAX_WAIT_SECS)
}

/// Seconds the subject still has to wait before another attempt, or 0.
fn remaining(conn: &mut DbConnection, subject: &str, free: i64) -> QueryResult<i64> {
    let t = now();
    let since = t - chrono::Duration::minutes(WINDOW_MINUTES);
    let fails: Vec<chrono::NaiveDateTime> = login_events::table
        .filter(login_events::subject.eq(subject))
        .filter(login_events::kind.eq("failure"))
        .filter(login_events::at.gt(since))
        .order(login_events::at.desc())
        .select(login_events::at)
        .load(conn)?;
    let Some(last) = fails.first() else { return Ok(0) };
    let wait = wait_secs(fails.len() as i64, free);
    let until = *last + chrono::Duration::seconds(wait);
    Ok((until - t).num_seconds().max(0) + if until > t { 1 } else { 0 })
}

/// Before checking a password: the seconds to wait if the account or the address is throttled
/// (the refusal is recorded), or 0.
pub fn check(conn: &mut DbConnection, account: &str, address: Option<&str>) -> QueryResult<i64> {
    let mut wait = remaining(conn, account, ACCOUNT_FREE)?;
    if let Some(a) = address {
        wait = wait.max(remaining(conn, a, ADDRESS_FREE)?);
    }
    if wait > 0 {
        record(conn, account, "locked")?;
        log::warn!("login refused for {wait} s: too many failed attempts ({account})");
    }
    Ok(wait)
}

/// A failed attempt, against the account and the address.
pub fn failed(conn: &mut DbConnection, account: &str, address: Option<&str>) -> QueryResult<()> {
    record(conn, account, "failure")?;
    if let Some(a) = address {
        record(conn, a, "failure")?;
    }
    Ok(())
}

/// A successful login clears the account's failures (not the address's).
pub fn succeeded(conn: &mut DbConnection, account: &str) -> QueryResult<usize> {
    diesel::delete(login_events::table.filter(login_events::subject.eq(account)).filter(login_events::kind.eq("failure"))).execute(conn)
}

fn record(conn: &mut DbConnection, subject: &str, kind: &str) -> QueryResult<usize> {
    diesel::insert_into(login_events::table)
        .values((login_events::id.eq(new_id()), login_events::subject.eq(subject), login_events::kind.eq(kind), login_events::at.eq(now())))
        .execute(conn)
}

/// Requests of one kind (registration, password reset) from one client address: at most
/// `per_hour` in the last hour. Returns the seconds to wait (the request is then refused and
/// not counted), or 0 after counting this one. Shared by all instances (in the database).
pub fn hourly(conn: &mut DbConnection, kind: &str, address: &str, per_hour: i64) -> QueryResult<i64> {
    let subject = format!("{kind}:{}", address_key(address));
    let t = now();
    let times: Vec<chrono::NaiveDateTime> = login_events::table
        .filter(login_events::subject.eq(&subject))
        .filter(login_events::kind.eq("request"))
        .filter(login_events::at.gt(t - chrono::Duration::hours(1)))
        .order(login_events::at.asc())
        .select(login_events::at)
        .load(conn)?;
    if times.len() as i64 >= per_hour.max(1) {
        let oldest = times[0];
        log::warn!("{kind} refused: {} requests from one address this hour", times.len());
        return Ok(((oldest + chrono::Duration::hours(1)) - t).num_seconds().max(1));
    }
    record(conn, &subject, "request")?;
    Ok(0)
}

/// Whether a notice about `about` (e.g. "registratie met een bekend adres" for one address) may
/// be sent now: at most once a day. Counts it when it may. The subject is hashed, so the
/// throttle's rows hold no address.
pub fn once_a_day(conn: &mut DbConnection, kind: &str, about: &str) -> QueryResult<bool> {
    use sha2::{Digest, Sha256};
    let hash: String = Sha256::digest(about.as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect();
    let subject = format!("notice:{kind}:{hash}");
    let recent: i64 = login_events::table
        .filter(login_events::subject.eq(&subject))
        .filter(login_events::kind.eq("notice"))
        .filter(login_events::at.gt(now() - chrono::Duration::days(1)))
        .count()
        .get_result(conn)?;
    if recent > 0 {
        return Ok(false);
    }
    record(conn, &subject, "notice")?;
    Ok(true)
}

/// Removes events older than 30 days (housekeeping; lock-outs stay that long for review).
pub fn prune(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(login_events::table.filter(login_events::at.lt(now() - chrono::Duration::days(30)))).execute(conn)
}

#[cfg(test)]
mod tests {
    use super::wait_secs;

    #[test]
    fn waits_grow_exponentially_and_are_capped() {
        assert_eq!(wait_secs(4, 5), 0);
        assert_eq!(wait_secs(5, 5), 30);
        assert_eq!(wait_secs(6, 5), 60);
        assert_eq!(wait_secs(7, 5), 120);
        assert_eq!(wait_secs(30, 5), 900);
    }
}
