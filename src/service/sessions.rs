//! Server-side sessions behind the JWTs: a token names its session (`sid`), and a request is
//! authenticated only while that session is neither revoked nor expired. Kept in the database,
//! so a logout on one instance ends the session on all of them.

use crate::db::schema::sessions;
use crate::db::{new_id, now, DbConnection};
use crate::error::{AppError, AppResult};
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

/// Loads the user of a verified token; inactive or deleted users and ended sessions (logout,
/// password change, deactivation) are rejected. `sid` None only for a session opened in the same
/// request.
pub async fn load_current(state: &crate::state::AppState, user_id: String, sid: Option<String>) -> Result<crate::auth::CurrentUser, AppError> {
    state.read(move |conn| current_user(conn, &user_id, sid.as_deref())).await
}

/// `load_current` on a connection the caller holds.
pub fn current_user(conn: &mut DbConnection, user_id: &str, sid: Option<&str>) -> Result<crate::auth::CurrentUser, AppError> {
    if let Some(sid) = sid {
        if !is_live(conn, sid, user_id)? {
            return Err(AppError::Unauthorized("Uw sessie is beëindigd. Log opnieuw in.".into()));
        }
    }
    let u: Option<crate::db::models::User> =
        crate::db::schema::users::table.find(user_id).select(crate::db::models::User::as_select()).first(conn).optional()?;
    let Some(u) = u else { return Err(AppError::Unauthorized("Ongeldige sessie. Log opnieuw in.".into())) };
    if !u.active {
        return Err(AppError::Unauthorized("Dit account is niet actief.".into()));
    }
    let role = u.role;
    let verified = match &u.organisation_id {
        Some(org) => crate::db::schema::organisations::table
            .find(org)
            .select(crate::db::schema::organisations::verified)
            .first(conn)
            .optional()?
            .unwrap_or(false),
        None => false,
    };
    Ok(crate::auth::CurrentUser {
        id: u.id,
        role,
        name: u.name,
        email: u.email,
        municipality_id: u.municipality_id,
        organisation_id: u.organisation_id,
        candidate_id: u.candidate_id,
        organisation_verified: verified,
        channel: crate::auth::Channel::Api,
    })
}
