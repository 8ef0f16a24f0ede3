//! Server-side sessions behind the JWTs: a token names its session (`sid`), and a request is
//! authenticated only while that session is neither revoked nor expired. Kept in the database,
//! so a logout on one instance ends the session on all of them.

use crate::db::schema::sessions;
use crate::db::{new_id, now, DbConnection};
use crate::error::AppResult;
use diesel::prelude::*;

/// Opens a session for the user; returns its id and the expiry (Unix seconds) the token carries.
pub fn open(conn: &mut DbConnection, user_id: &str, ttl_minutes: i64) -> AppResult<(String, i64)> {
    let t = now();
    let expires = t + chrono::Duration::minutes(ttl_minutes);
    let id = new_id();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&id),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(t),
            sessions::expires_at.eq(expires),
            sessions::revoked_at.eq(None::<chrono::NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok((id, expires.and_utc().timestamp()))
}

/// Whether the session exists for this user, is not revoked and has not expired.
pub fn is_live(conn: &mut DbConnection, sid: &str, user_id: &str) -> QueryResult<bool> {
    let at = now();
    // On every authenticated request: the backend's own connection (see `db::native`).
    let n: i64 = crate::native!(conn, c => sessions::table
        .find(sid)
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(at))
        .count()
        .get_result(c))?;
    Ok(n > 0)
}

/// Ends one session (logout).
pub fn revoke(conn: &mut DbConnection, sid: &str) -> QueryResult<usize> {
    diesel::update(sessions::table.find(sid).filter(sessions::revoked_at.is_null())).set(sessions::revoked_at.eq(Some(now()))).execute(conn)
}

/// Ends every session of a user (password change or reset, deactivation).
pub fn revoke_all(conn: &mut DbConnection, user_id: &str) -> QueryResult<usize> {
    diesel::update(sessions::table.filter(sessions::user_id.eq(user_id)).filter(sessions::revoked_at.is_null()))
        .set(sessions::revoked_at.eq(Some(now())))
        .execute(conn)
}

/// Removes sessions that ended more than a day ago (housekeeping).
pub fn prune(conn: &mut DbConnection) -> QueryResult<usize> {
    let before = now() - chrono::Duration::days(1);
    diesel::delete(sessions::table.filter(sessions::expires_at.lt(before).or(sessions::revoked_at.lt(before)))).execute(conn)
}
