//! Passwords (argon2id), session tokens (JWT, HS256) and the current-user extractor.

use crate::db::models::User;
use crate::db::schema::{organisations, users};
use crate::domain::Role;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use diesel::prelude::*;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;

pub const SESSION_COOKIE: &str = "opstap_session";

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok()).unwrap_or(false)
}

/// A fixed hash to verify against when the e-mail is unknown, so that timing does not reveal
/// which e-mail addresses have an account.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("dummy-password-for-timing").unwrap_or_default())
}

/// Password policy: at least 10 characters.
pub fn check_password_policy(pw: &str) -> Result<(), &'static str> {
    if pw.chars().count() < 10 {
        return Err("Een wachtwoord heeft minstens 10 tekens.");
    }
    if pw.chars().count() > 200 {
        return Err("Een wachtwoord heeft hoogstens 200 tekens.");
    }
    Ok(())
}

pub fn normalize_email(e: &str) -> String {
    e.trim().to_lowercase()
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    /// The server-side session (`service::sessions`); a token without a live session is refused.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
}

pub struct JwtKeys {
    enc: EncodingKey,
    dec: DecodingKey,
    pub ttl_minutes: i64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl_minutes: i64) -> Self {
        JwtKeys { enc: EncodingKey::from_secret(secret), dec: DecodingKey::from_secret(secret), ttl_minutes }
    }

    /// A token for an open session (`service::sessions::open`), expiring with it.
    pub fn issue(&self, user_id: &str, role: &str, sid: &str, exp: i64) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims { sub: user_id.into(), role: role.into(), sid: sid.into(), iat: now, exp };
        Ok(encode(&Header::new(Algorithm::HS256), &claims, &self.enc)?)
    }

    /// Decodes and checks a token: HS256 only (so `alg: none` and other algorithms are
    /// rejected), signature, expiry (5 s leeway).
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 5;
        v.set_required_spec_claims(&["exp", "sub"]);
        // A token without `sid` (issued before sessions were kept) fails to decode: log in again.
        decode::<Claims>(token, &self.dec, &v).map(|d| d.claims).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => AppError::Unauthorized("Uw sessie is verlopen. Log opnieuw in.".into()),
                _ => AppError::Unauthorized("Ongeldige sessie. Log opnieuw in.".into()),
            }
        })
    }
}

/// The authenticated user of a request, loaded fresh from the database.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: String,
    pub role: Role,
    pub name: String,
    pub email: String,
    pub municipality_id: Option<String>,
    pub organisation_id: Option<String>,
    pub candidate_id: Option<String>,
    /// For werkgevers: whether their organisation is verified.
    pub organisation_verified: bool,
    /// How the request came in: a Bearer token is the API, the session cookie the pages.
    pub channel: crate::audit::Channel,
}

impl CurrentUser {
    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }
    /// Fails with 403 unless the user has one of the roles.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
    pub fn municipality(&self) -> Result<&str, AppError> {
        self.municipality_id.as_deref().ok_or(AppError::Forbidden)
    }
}

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

/// Loads the user of a verified token; inactive or deleted users and ended sessions (logout,
/// password change, deactivation) are rejected. `sid` None only for a session opened in the same
/// request.
pub async fn load_current(state: &AppState, user_id: String, sid: Option<String>) -> Result<CurrentUser, AppError> {
    state.read(move |conn| current_user(conn, &user_id, sid.as_deref())).await
}

/// `load_current` on a connection the caller holds.
pub fn current_user(conn: &mut crate::db::DbConnection, user_id: &str, sid: Option<&str>) -> Result<CurrentUser, AppError> {
    if let Some(sid) = sid {
        if !crate::service::sessions::is_live(conn, sid, user_id)? {
            return Err(AppError::Unauthorized("Uw sessie is beëindigd. Log opnieuw in.".into()));
        }
    }
    let u: Option<User> = users::table.find(user_id).select(User::as_select()).first(conn).optional()?;
    let Some(u) = u else { return Err(AppError::Unauthorized("Ongeldige sessie. Log opnieuw in.".into())) };
    if !u.active {
        return Err(AppError::Unauthorized("Dit account is niet actief.".into()));
    }
    let role = Role::parse(&u.role).ok_or_else(|| AppError::Internal(anyhow::anyhow!("bad role {}", u.role)))?;
    let verified = match &u.organisation_id {
        Some(org) => organisations::table.find(org).select(organisations::verified).first(conn).optional()?.unwrap_or(false),
        None => false,
    };
    Ok(CurrentUser {
        id: u.id,
        role,
        name: u.name,
        email: u.email,
        municipality_id: u.municipality_id,
        organisation_id: u.organisation_id,
        candidate_id: u.candidate_id,
        organisation_verified: verified,
        channel: crate::audit::Channel::Api,
    })
}

/// A request's verified token whose user is not loaded yet. `CurrentUser` loads the user in a
/// database call of its own; a handler on a hot path takes a `Token` instead and loads the user
/// (`Token::user`: the same checks) inside its own database call, which saves a hand-off to the
/// blocking pool and a read transaction per request.
#[derive(Debug, Clone)]
pub struct Token {
    user_id: String,
    sid: String,
    channel: crate::audit::Channel,
}

impl Token {
    fn from_request_sync(req: &HttpRequest) -> Result<Token, AppError> {
        let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| AppError::Internal(anyhow::anyhow!("app state missing")))?;
        let bearer = req.headers().contains_key(actix_web::http::header::AUTHORIZATION);
        let channel = if bearer { crate::audit::Channel::Api } else { crate::audit::Channel::Page };
        let token = token_from(req).ok_or_else(AppError::unauthorized)?;
        let claims = state.jwt.verify(&token)?;
        Ok(Token { user_id: claims.sub, sid: claims.sid, channel })
    }

    /// The token's user, if the session is live and the account active (as `CurrentUser`).
    pub fn user(&self, conn: &mut crate::db::DbConnection) -> Result<CurrentUser, AppError> {
        let mut user = current_user(conn, &self.user_id, Some(&self.sid))?;
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
            let mut user = load_current(&state, token.user_id, Some(token.sid)).await?;
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
