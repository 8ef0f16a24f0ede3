//! Services: the rules and the writes that API handlers, pages, jobs and the CLI share. Each
//! takes a connection (inside the caller's transaction where it writes) and returns plain data.

pub mod aanmelden;
pub mod accounts;
pub mod candidates;
pub mod caseload;
pub mod client_groups;
pub mod employer;
pub mod employer_view;
pub mod esco;
pub mod face;
pub mod handover;
pub mod health;
pub mod import;
pub mod inzage;
pub mod labels;
pub mod matches;
pub mod me;
pub mod monitor;
pub mod oidc;
pub mod organisations;
pub mod placements;
pub mod plan;
pub mod profile_views;
pub mod proposals;
pub mod records;
pub mod retention;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod sroi;
pub mod tasks;
pub mod throttle;
pub mod wishes;

use crate::auth::CurrentUser;
use crate::domain::FieldError;
use crate::error::AppError;

/// Runs the `validator` rules of `value` and merges their errors with `extra` (domain checks):
/// 422 naming every wrong field at once, or Ok.
pub fn validate_with<T: validator::Validate>(value: &T, extra: Vec<FieldError>) -> Result<(), AppError> {
    AppError::check(crate::domain::validation::merged_errors(value, extra))
}
use crate::refdata::RefData;
use std::sync::Arc;

/// The server's keys and addresses a service may need: the pseudonym secret (never sent to a
/// client), the public URL for links in e-mail, the employer's hourly profile allowance.
pub struct Keys {
    secret: String,
    pub public_url: String,
    pub profile_views_per_hour: u32,
}

impl Keys {
    pub fn new(secret: String, public_url: String, profile_views_per_hour: u32) -> Keys {
        Keys { secret, public_url: public_url.trim_end_matches('/').to_string(), profile_views_per_hour }
    }

    /// A stable pseudonym for a candidate as seen from one placement: employers can tell
    /// proposals apart without learning an id that links the person across placements.
    pub fn pseudonym(&self, placement_id: &str, candidate_id: &str) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.secret.as_bytes());
        h.update(b"|");
        h.update(placement_id.as_bytes());
        h.update(b"|");
        h.update(candidate_id.as_bytes());
        let d = h.finalize();
        // Six characters an employer can read out on the phone: no 0/O, 1/I (32^6 ≈ 10^9).
        const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let c: Vec<char> = d.iter().take(6).map(|b| ALPHABET[(*b as usize) % 32] as char).collect();
        format!("K-{}{}{}-{}{}{}", c[0], c[1], c[2], c[3], c[4], c[5])
    }

    /// An absolute link to a page, for e-mail.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }
}

/// What a request's services read besides the database: a snapshot of the reference data and
/// the keys. Derefs to the reference data.
#[derive(Clone)]
pub struct Env {
    pub refdata: Arc<RefData>,
    pub keys: Arc<Keys>,
    pub journal: Arc<crate::journal::Journal>,
}

impl std::ops::Deref for Env {
    type Target = RefData;
    fn deref(&self) -> &RefData {
        &self.refdata
    }
}

/// What a service call knows of its request: who acts (and through which channel), the reference
/// data, the keys, and the Dutch date.
pub struct Ctx<'a> {
    pub user: &'a CurrentUser,
    pub refdata: &'a RefData,
    pub keys: &'a Keys,
    /// Group commit for the proposal path's logs and audit entries.
    pub journal: &'a crate::journal::Journal,
    pub today: chrono::NaiveDate,
}

impl<'a> Ctx<'a> {
    pub fn new(user: &'a CurrentUser, env: &'a Env) -> Ctx<'a> {
        Ctx { user, refdata: &env.refdata, keys: &env.keys, journal: &env.journal, today: crate::clock::today() }
    }
}

/// Queues an e-mail about a candidate and records it in the candidate's access log (what was
/// sent, and why), in the caller's transaction: every message about a person goes this way.
pub fn mail_about(
    conn: &mut crate::db::DbConnection,
    actor: &crate::audit::Actor,
    candidate: (&str, &str),
    to: &crate::mail::Recipient,
    mail: &dyn crate::mail::Mail,
    what: &'static str,
    purpose: &'static str,
) -> crate::error::AppResult<()> {
    let (candidate_id, municipality_id) = candidate;
    crate::mail::enqueue(conn, to, mail, Some(candidate_id))?;
    crate::audit::one(conn, actor, candidate_id, municipality_id, crate::audit::emailed(what, purpose))?;
    Ok(())
}
