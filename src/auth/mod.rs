//! Passwords (argon2id), session tokens (JWT, HS256) and who acts (`CurrentUser`). Loading the
//! user of a session is `service::sessions`; reading it from a request is `web::auth`.

pub mod oidc;

use crate::domain::Role;
use crate::error::AppError;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

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

/// A random secret of 64 hex characters (256 bits from the OS): link tokens, CSRF tokens, the
/// OpenID Connect state, nonce and PKCE verifier, a generated signing secret.
pub fn random_token() -> String {
    use argon2::password_hash::rand_core::RngCore;
    let mut raw = [0u8; 32];
    OsRng.fill_bytes(&mut raw);
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

/// Clock skew allowed on a token's expiry.
const LEEWAY_SECONDS: u64 = 5;

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
        v.leeway = LEEWAY_SECONDS;
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

impl JwtKeys {
    /// The user of a token that is genuine (our signature) but expired: whose unfinished form
    /// may be kept for after the next login (`web::pages::pending`). None for any other token.
    pub fn expired_subject(&self, token: &str) -> Option<String> {
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_exp = false;
        v.set_required_spec_claims(&["exp", "sub"]);
        let c = decode::<Claims>(token, &self.dec, &v).ok()?.claims;
        // Expired exactly as `verify` sees it (time only moves on, so `verify` refuses it too).
        (c.exp + (LEEWAY_SECONDS as i64) < chrono::Utc::now().timestamp()).then_some(c.sub)
    }
}

/// Through which door the data went (recorded in the audit log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Channel {
    Api,
    Page,
    Email,
    Export,
    /// A caseload import from the municipality's client system.
    Import,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        self.into()
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
    pub channel: Channel,
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
    /// The candidate id of a kandidaat account (403 for every other role).
    pub fn own_candidate(&self) -> Result<String, AppError> {
        self.require(&[Role::Kandidaat])?;
        self.candidate_id.clone().ok_or(AppError::Forbidden)
    }
    pub fn municipality(&self) -> Result<&str, AppError> {
        self.municipality_id.as_deref().ok_or(AppError::Forbidden)
    }
}
