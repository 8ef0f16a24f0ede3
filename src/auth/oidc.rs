//! The OpenID Connect client (authorization code flow, PKCE S256, `state` and `nonce`) for the
//! login through an external identity provider (`service::oidc` links it to an account).
//!
//! The provider's metadata and keys are fetched at first use and kept for an hour; a token
//! signed with a key not yet seen fetches the keys once more (key rotation).

use crate::config::OidcConfig;
use crate::error::{AppError, AppResult};
use base64::Engine as _;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the provider's metadata and keys are kept before they are fetched again.
const KEEP_METADATA: Duration = Duration::from_secs(3600);
/// Signature algorithms accepted on an ID token: asymmetric only (never `none`, never HS*).
const ALGORITHMS: &[Algorithm] =
    &[Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS256, Algorithm::PS384, Algorithm::PS512, Algorithm::ES256, Algorithm::ES384];

/// What the provider publishes about itself (OpenID Connect Discovery 1.0, section 3).
#[derive(Debug, Clone, Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

struct Discovered {
    meta: Metadata,
    keys: JwkSet,
    at: Instant,
}

/// The configured provider and what is known of it.
pub struct Oidc {
    pub cfg: OidcConfig,
    redirect_uri: String,
    agent: ureq::Agent,
    cache: parking_lot::Mutex<Option<Arc<Discovered>>>,
}

/// The start of a login: where to send the browser, and what the return must match (kept in a
/// cookie of the browser that started it).
#[derive(Debug, Clone, PartialEq)]
pub struct Start {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// Who the provider says logged in.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
}

/// Why an ID token is not accepted (logged; the person sees one plain message).
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    Malformed(String),
    Algorithm(String),
    UnknownKey,
    Invalid(String),
    Nonce,
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    nonce: Option<String>,
    #[serde(default)]
    aud: serde_json::Value,
    azp: Option<String>,
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
}

/// The PKCE challenge of a verifier: BASE64URL(SHA-256(verifier)) (RFC 7636, S256).
pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> AppError {
    tracing::warn!(what, error = %e, "OpenID Connect provider");
    AppError::Unavailable("De inlogdienst is nu niet bereikbaar. Probeer het later opnieuw, of log in met uw e-mailadres en wachtwoord.".into())
}

pub fn refused(r: Refusal) -> AppError {
    tracing::warn!(refusal = ?r, "OpenID Connect ID token refused");
    AppError::Unauthorized("Het inloggen via de inlogdienst is niet gelukt. Probeer het opnieuw.".into())
}

impl Oidc {
    pub fn new(cfg: OidcConfig, public_url: &str) -> Oidc {
        let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))).max_redirects(0).build().into();
        Oidc { redirect_uri: format!("{}/inloggen/extern/terug", public_url.trim_end_matches('/')), cfg, agent, cache: parking_lot::Mutex::new(None) }
    }

    fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> AppResult<T> {
        let mut r = self.agent.get(url).header("Accept", "application/json").call().map_err(|e| unavailable(url, e))?;
        let body = r.body_mut().with_config().limit(1 << 20).read_to_string().map_err(|e| unavailable(url, e))?;
        serde_json::from_str(&body).map_err(|e| unavailable(url, e))
    }

    /// Metadata and keys, fetched when missing, older than an hour, or `refresh`ed (blocking).
    fn discovered(&self, refresh: bool) -> AppResult<Arc<Discovered>> {
        if let Some(d) = self.cache.lock().as_ref().filter(|d| !refresh && d.at.elapsed() < KEEP_METADATA) {
            return Ok(d.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", self.cfg.issuer.trim_end_matches('/'));
        let meta: Metadata = self.get_json(&url)?;
        // Discovery 4.3: the issuer in the document is exactly the one configured.
        if meta.issuer != self.cfg.issuer {
            return Err(unavailable(&url, format!("issuer {:?} in the metadata, {:?} configured", meta.issuer, self.cfg.issuer)));
        }
        let keys: JwkSet = self.get_json(&meta.jwks_uri)?;
        let d = Arc::new(Discovered { meta, keys, at: Instant::now() });
        *self.cache.lock() = Some(d.clone());
        Ok(d)
    }

    /// Where to send the browser to log in, with a fresh state, nonce and PKCE verifier.
    pub fn start(&self) -> AppResult<Start> {
        let d = self.discovered(false)?;
        let (state, nonce, verifier) = (super::random_token(), super::random_token(), super::random_token());
        let mut url = url::Url::parse(&d.meta.authorization_endpoint).map_err(|e| unavailable("authorization_endpoint", e))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.cfg.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", &self.cfg.scopes)
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge(&verifier))
            .append_pair("code_challenge_method", "S256");
        Ok(Start { url: url.into(), state, nonce, verifier })
    }

    /// Trades the code for an ID token and checks it (blocking).
    pub fn finish(&self, code: &str, verifier: &str, nonce: &str) -> AppResult<Identity> {
        let d = self.discovered(false)?;
        let mut req = self.agent.post(&d.meta.token_endpoint).header("Accept", "application/json").config().http_status_as_error(false).build();
        let mut form =
            vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", self.redirect_uri.as_str()), ("code_verifier", verifier)];
        match &self.cfg.client_secret {
            // RFC 6749 2.3.1: both parts form-encoded, then Basic.
            Some(secret) => {
                let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", enc(&self.cfg.client_id), enc(secret)));
                req = req.header("Authorization", format!("Basic {basic}"));
            }
            None => form.push(("client_id", self.cfg.client_id.as_str())),
        }
        let mut r = req.send_form(form).map_err(|e| unavailable("token endpoint", e))?;
        let status = r.status().as_u16();
        let body = r.body_mut().with_config().limit(1 << 20).read_to_string().map_err(|e| unavailable("token endpoint", e))?;
        if status != 200 {
            // An unknown or used code, or a verifier that does not fit: the person tries again.
            tracing::warn!(status, body = %body.chars().take(300).collect::<String>(), "OpenID Connect token endpoint refused the code");
            return Err(AppError::Unauthorized("Het inloggen via de inlogdienst is niet gelukt. Probeer het opnieuw.".into()));
        }
        #[derive(Deserialize)]
        struct TokenResponse {
            id_token: String,
        }
        let t: TokenResponse = serde_json::from_str(&body).map_err(|e| unavailable("token response", e))?;
        match verify_id_token(&t.id_token, &d.keys, &self.cfg.issuer, &self.cfg.client_id, nonce) {
            Err(Refusal::UnknownKey) => {
                let d = self.discovered(true)?;
                verify_id_token(&t.id_token, &d.keys, &self.cfg.issuer, &self.cfg.client_id, nonce).map_err(refused)
            }
            other => other.map_err(refused),
        }
    }
}

/// Checks an ID token (OpenID Connect Core 3.1.3.7): an accepted asymmetric algorithm, the
/// signature by one of the provider's keys, the issuer, this client in the audience (and as
/// `azp` when there are more), not expired, and the nonce of this login.
pub fn verify_id_token(token: &str, keys: &JwkSet, issuer: &str, client_id: &str, nonce: &str) -> Result<Identity, Refusal> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| Refusal::Malformed(e.to_string()))?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(Refusal::Algorithm(format!("{:?}", header.alg)));
    }
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or(Refusal::UnknownKey)?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| Refusal::Invalid(e.to_string()))?;
    let mut v = Validation::new(header.alg);
    v.set_issuer(&[issuer]);
    v.set_audience(&[client_id]);
    v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    v.leeway = 60;
    let c = jsonwebtoken::decode::<Claims>(token, &key, &v).map_err(|e| Refusal::Invalid(e.to_string()))?.claims;
    let audiences = match &c.aud {
        serde_json::Value::Array(a) => a.len(),
        _ => 1,
    };
    if audiences > 1 && c.azp.as_deref() != Some(client_id) {
        return Err(Refusal::Invalid("several audiences and azp is not this client".into()));
    }
    if c.nonce.as_deref() != Some(nonce) {
        return Err(Refusal::Nonce);
    }
    let email_verified = match &c.email_verified {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => s == "true",
        _ => false,
    };
    Ok(Identity { subject: c.sub, email: c.email, email_verified })
}
