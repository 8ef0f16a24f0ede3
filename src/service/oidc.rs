//! Login through an external identity provider with OpenID Connect, switched on by
//! configuration (`OPSTAP_OIDC_*`; the protocol is `auth::oidc`). The provider proves who
//! someone is; the account and its role stay Opstap's: the provider's subject is linked to one
//! account (`external_identities`), at the first external login by the provider's verified
//! e-mail address. No account is made here: people sign up (`/aanmelden`) or are registered by
//! their klantmanager, and a DigiD broker only adds a way in.

use crate::auth::oidc::{refused, Refusal};
pub use crate::auth::oidc::{Identity, Oidc, Start};
use crate::db::models::User;
use crate::db::schema::{external_identities, users};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::service::accounts::LoginOk;
use crate::state::AppState;
use diesel::prelude::*;
use std::sync::Arc;

/// The account an identity logs in to: the one linked to it before, or else the active account
/// with the provider's verified e-mail address, which is then linked. None: no such account.
pub fn account_for(conn: &mut DbConnection, issuer: &str, id: &Identity) -> AppResult<Option<User>> {
    let linked: Option<String> =
        external_identities::table.find((issuer, &id.subject)).select(external_identities::user_id).first(conn).optional()?;
    let t = now();
    if let Some(uid) = linked {
        diesel::update(external_identities::table.find((issuer, &id.subject))).set(external_identities::last_login_at.eq(t)).execute(conn)?;
        return Ok(users::table.find(&uid).select(User::as_select()).first(conn).optional()?);
    }
    let Some(email) = id.email.as_deref().filter(|_| id.email_verified) else { return Ok(None) };
    let u: Option<User> =
        users::table.filter(users::email_normalized.eq(crate::auth::normalize_email(email))).select(User::as_select()).first(conn).optional()?;
    if let Some(u) = &u {
        diesel::insert_into(external_identities::table)
            .values((
                external_identities::issuer.eq(issuer),
                external_identities::subject.eq(&id.subject),
                external_identities::user_id.eq(&u.id),
                external_identities::created_at.eq(t),
                external_identities::last_login_at.eq(t),
            ))
            .execute(conn)?;
    }
    Ok(u)
}

/// The configured provider, or 404 when there is none.
fn provider(state: &AppState) -> AppResult<Arc<Oidc>> {
    state.oidc.clone().ok_or(AppError::NotFound)
}

/// Starts an external login (fetching the provider's metadata on first use).
pub async fn start(state: &AppState) -> AppResult<Start> {
    let p = provider(state)?;
    actix_web::web::block(move || p.start()).await.map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?
}

/// Ends an external login: the code traded and checked, the account found (or linked), a
/// session opened. `iss` is the issuer the provider named in its answer (RFC 9207), if it did:
/// it must be ours (an answer from another provider is not traded here).
pub async fn login(state: &AppState, code: String, verifier: String, nonce: String, iss: Option<String>) -> AppResult<LoginOk> {
    let p = provider(state)?;
    let issuer = p.cfg.issuer.clone();
    if iss.as_ref().is_some_and(|i| *i != issuer) {
        return Err(refused(Refusal::Invalid(format!("authorization response from issuer {iss:?}"))));
    }
    let id = actix_web::web::block(move || p.finish(&code, &verifier, &nonce)).await.map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))??;
    let ttl = state.config.token_ttl_minutes;
    state
        .tx(move |conn| {
            let Some(u) = account_for(conn, &issuer, &id)? else {
                return Err(AppError::Unauthorized(
                    "Bij deze inlogdienst hoort nog geen account in Opstap. Log in met uw e-mailadres en wachtwoord, of meld u aan.".into(),
                ));
            };
            if !u.active {
                return Err(AppError::Unauthorized(
                    "Dit account is (nog) niet actief. Bevestig eerst uw e-mailadres, of vraag uw klantmanager.".into(),
                ));
            }
            crate::service::accounts::open_session(conn, u, ttl)
        })
        .await
}
