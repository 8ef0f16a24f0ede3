//! The current user of a request: the session token from the `Authorization` header (the API)
//! or the session cookie (the pages), verified, and its user loaded (`service::sessions`).

use crate::auth::{CurrentUser, SESSION_COOKIE};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;

pub fn token_from(req: &HttpRequest) -> Option<String> {
    if let Some(h) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let s = h.to_str().ok()?;
        let (scheme, tok) = s.split_once(' ')?;
        if scheme.eq_ignore_ascii_case("bearer") {
            return Some(tok.trim().to_string());
        }
        return None;
    }
    req.cookie(SESSION_COOKIE).map(|c| c.value().to_string())
}

/// A request's verified token whose user is not loaded yet. `CurrentUser` loads the user in a
/// database call of its own; a handler on a hot path takes a `Token` instead and loads the user
/// (`Token::user`: the same checks) inside its own database call, which saves a hand-off to the
/// blocking pool and a read transaction per request.
#[derive(Debug, Clone)]
pub struct Token {
    user_id: String,
    sid: String,
    channel: crate::auth::Channel,
}

impl Token {
    fn from_request_sync(req: &HttpRequest) -> Result<Token, AppError> {
        let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| AppError::Internal(anyhow::anyhow!("app state missing")))?;
        let bearer = req.headers().contains_key(actix_web::http::header::AUTHORIZATION);
        let channel = if bearer { crate::auth::Channel::Api } else { crate::auth::Channel::Page };
        let token = token_from(req).ok_or_else(AppError::unauthorized)?;
        let claims = state.jwt.verify(&token)?;
        Ok(Token { user_id: claims.sub, sid: claims.sid, channel })
    }

    /// The token's user, if the session is live and the account active (as `CurrentUser`).
    pub fn user(&self, conn: &mut crate::db::DbConnection) -> Result<CurrentUser, AppError> {
        let mut user = crate::service::sessions::current_user(conn, &self.user_id, Some(&self.sid))?;
        user.channel = self.channel;
        Ok(user)
    }
}

impl FromRequest for Token {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Token::from_request_sync(req))
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = Token::from_request_sync(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::Internal(anyhow::anyhow!("app state missing")))?;
            let token = token?;
            let mut user = crate::service::sessions::load_current(&state, token.user_id, Some(token.sid)).await?;
            user.channel = token.channel;
            Ok(user)
        })
    }
}

/// Like `CurrentUser`, but anonymous visitors are allowed (public pages and search).
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequest for MaybeUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, p: &mut Payload) -> Self::Future {
        let has_token = token_from(req).is_some();
        let fut = CurrentUser::from_request(req, p);
        Box::pin(async move {
            if !has_token {
                return Ok(MaybeUser(None));
            }
            // A token that is present but invalid is an error, not an anonymous visit.
            fut.await.map(|u| MaybeUser(Some(u)))
        })
    }
}

/// Revokes the session named by the request's token (Bearer or cookie), if any.
pub async fn end_session(req: &HttpRequest, state: &AppState) -> AppResult<()> {
    if let Some(claims) = token_from(req).and_then(|t| state.jwt.verify(&t).ok()) {
        state.tx(move |conn| Ok(crate::service::sessions::revoke(conn, &claims.sid)?)).await?;
    }
    Ok(())
}
