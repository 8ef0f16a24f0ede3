//! Accounts: login, employer self-registration, and the users a beheerder manages (a
//! klantmanager creates the accounts of candidates in its own caseload). Shared by the API, the
//! pages and the `opstap user` command.

use super::Ctx;
use crate::auth::{self, CurrentUser};
use crate::db::models::{Candidate, Municipality, Organisation, User};
use crate::db::{new_id, now, schema::*, DbConnection};
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult};
use crate::service::organisations::OrganisationInput;
use crate::service::validate_with;
use crate::state::AppState;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

/// A successful login: the user, and the session its token names.
#[derive(Debug, Clone)]
pub struct LoginOk {
    pub user_id: String,
    pub role: String,
    pub session_id: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// A login that succeeded (by password or an external provider): the account's last login is
/// now, and a session of `ttl_minutes` is opened.
pub fn open_session(conn: &mut DbConnection, u: User, ttl_minutes: i64) -> AppResult<LoginOk> {
    diesel::update(users::table.find(&u.id)).set(users::last_login_at.eq(Some(now()))).execute(conn)?;
    let (sid, exp) = crate::service::sessions::open(conn, &u.id, ttl_minutes)?;
    Ok(LoginOk { user_id: u.id, role: u.role.as_str().into(), session_id: sid, expires_at: exp })
}

/// Checks e-mail and password under the login throttle (`service::throttle`, per account and per
/// client address, shared by all instances) and opens a session. Unknown address and wrong
/// password get the same answer, after the same work.
pub async fn login(state: &AppState, email: &str, password: &str, address: Option<String>) -> AppResult<LoginOk> {
    use crate::service::throttle;
    let norm = auth::normalize_email(email);
    let account = throttle::account_key(&norm);
    let addr = address.as_deref().map(throttle::address_key);
    let (a2, ad2) = (account.clone(), addr.clone());
    let wait = state.tx(move |conn| Ok(throttle::check(conn, &a2, ad2.as_deref())?)).await?;
    if wait > 0 {
        return Err(AppError::TooManyRequests { retry_after: wait as u64 });
    }
    let password = password.to_string();
    let found = state
        .db(move |conn| {
            let u: Option<User> = users::table.filter(users::email_normalized.eq(&norm)).select(User::as_select()).first(conn).optional()?;
            let ok = match &u {
                Some(u) => auth::verify_password(&u.password_hash, &password) && u.active,
                None => {
                    let _ = auth::verify_password(auth::dummy_hash(), &password);
                    false
                }
            };
            Ok(u.filter(|_| ok))
        })
        .await?;
    let ttl = state.config.token_ttl_minutes;
    state
        .tx(move |conn| match found {
            Some(u) => {
                throttle::succeeded(conn, &account)?;
                Ok(Ok(open_session(conn, u, ttl)?))
            }
            None => {
                throttle::failed(conn, &account, addr.as_deref())?;
                Ok(Err(AppError::Unauthorized("E-mailadres of wachtwoord klopt niet.".into())))
            }
        })
        .await?
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct RegisterEmployerInput {
    #[validate(nested)]
    pub organisation: OrganisationInput,
    #[validate(length(min = 1, max = 200, message = "Vul uw naam in."))]
    pub name: String,
    #[validate(email(message = "Dit is geen geldig e-mailadres."), length(max = 254, message = "Hoogstens 254 tekens."))]
    pub email: String,
    pub password: String,
}

/// What registration answers, whether or not the address already had an account: the answer
/// does not reveal which addresses are registered; the mail tells the owner.
pub const REGISTERED_MESSAGE: &str = "Uw aanmelding is ontvangen. We hebben u een e-mail gestuurd. Log daarna in met uw e-mailadres en wachtwoord.";

/// Registrations one client address may send per hour.
pub const REGISTRATIONS_PER_HOUR: i64 = 20;
/// Password-reset requests one client address may send per hour (besides the 3 mails per
/// account and hour).
pub const RESET_REQUESTS_PER_HOUR: i64 = 20;

/// Refuses the request (429) when `address` sent too many of this kind this hour.
fn check_rate(conn: &mut DbConnection, kind: &str, address: Option<&str>, per_hour: i64) -> AppResult<()> {
    if let Some(a) = address {
        let wait = crate::service::throttle::hourly(conn, kind, a, per_hour)?;
        if wait > 0 {
            return Err(AppError::TooManyRequests { retry_after: wait as u64 });
        }
    }
    Ok(())
}

/// Registers an employer organisation with its first account, unverified (API and pages).
/// Returns the new organisation and account, or `None` when the address already has an account
/// or the KvK number is registered already: then nothing is created, and the answer to the
/// caller is the same as for a new registration, so that nobody can find out this way who has
/// an account or which organisation takes part. The mail tells: the owner of a known address
/// gets a note (a registration attempt with their address, and how to reset the password), an
/// organisation whose KvK number was used gets one, and so does the new address; each at most
/// once a day. `address` is the client's, for the hourly limit per address.
pub async fn register(state: &AppState, input: RegisterEmployerInput, address: Option<String>) -> AppResult<Option<(Organisation, User)>> {
    let mut errs = input.organisation.check(&state.refdata());
    if let Err(m) = auth::check_password_policy(&input.password) {
        errs.push(crate::domain::FieldError::new("password", m));
    }
    validate_with(&input, errs)?;
    // Hashed in both cases, so the time taken does not tell either.
    let hash = auth::hash_password(&input.password)?;
    let t = now();
    let org = input.organisation.into_new(new_id(), false, t);
    let user = User {
        id: new_id(),
        email: input.email.trim().to_string(),
        email_normalized: auth::normalize_email(&input.email),
        password_hash: hash,
        role: Role::Werkgever,
        name: input.name.trim().to_string(),
        municipality_id: None,
        organisation_id: Some(org.id.clone()),
        candidate_id: None,
        active: true,
        created_at: t,
        last_login_at: None,
    };
    let base = state.config.public_url.trim_end_matches('/').to_string();
    state
        .tx(move |conn| {
            check_rate(conn, "register", address.as_deref(), REGISTRATIONS_PER_HOUR)?;
            let existing: Option<User> =
                users::table.filter(users::email_normalized.eq(&user.email_normalized)).select(User::as_select()).first(conn).optional()?;
            if let Some(owner) = existing {
                if !crate::service::throttle::once_a_day(conn, "registration_exists", &owner.email_normalized)? {
                    return Ok(None);
                }
                let mail = crate::mail::templates::AccountMail {
                    kind: "registration_exists",
                    subject: "Aanmelding met uw e-mailadres".into(),
                    name: owner.name.clone(),
                    paragraphs: vec![
                        "Iemand heeft zich bij Opstap aangemeld met uw e-mailadres. U heeft al een account, dus we hebben geen nieuw account gemaakt.".into(),
                        "Was u dit zelf? Log dan in met uw bestaande account. Weet u uw wachtwoord niet meer? Vraag dan een nieuw wachtwoord aan.".into(),
                        "Was u dit niet? Dan hoeft u niets te doen.".into(),
                    ],
                    link: format!("{base}/wachtwoord-vergeten"),
                    link_text: "Nieuw wachtwoord aanvragen".into(),
                };
                let to = crate::mail::Recipient { address: owner.email.clone(), name: owner.name.clone(), role: owner.role.as_str() };
                crate::mail::enqueue(conn, &to, &mail, owner.candidate_id.as_deref())?;
                return Ok(None);
            }
            let holder: Option<String> =
                organisations::table.filter(organisations::kvk_number.eq(&org.kvk_number)).select(organisations::id).first(conn).optional()?;
            if let Some(holder) = holder {
                kvk_taken_notices(conn, &base, &holder, &user)?;
                return Ok(None);
            }
            diesel::insert_into(organisations::table).values(&org).execute(conn)?;
            diesel::insert_into(users::table).values(&user).execute(conn)?;
            let mail = crate::mail::templates::AccountMail {
                kind: "registration_welcome",
                subject: "Welkom bij Opstap".into(),
                name: user.name.clone(),
                paragraphs: vec![
                    format!("U heeft {} aangemeld bij Opstap. U kunt nu inloggen en plekken klaarzetten.", org.name),
                    "De gemeente controleert uw organisatie. Daarna zijn uw plekken voor iedereen te zien.".into(),
                ],
                link: format!("{base}/inloggen"),
                link_text: "Inloggen".into(),
            };
            let to = crate::mail::Recipient { address: user.email.clone(), name: user.name.clone(), role: "werkgever" };
            crate::mail::enqueue(conn, &to, &mail, None)?;
            Ok(Some((org, user)))
        })
        .await
}

/// A registration with a KvK number that is registered already: the organisation's active
/// accounts hear of it (at most once a day per organisation), and so does the address that
/// registered (at most once a day per address), with what to do instead.
fn kvk_taken_notices(conn: &mut DbConnection, base: &str, organisation_id: &str, new: &User) -> AppResult<()> {
    use crate::mail::templates::AccountMail;
    if crate::service::throttle::once_a_day(conn, "kvk_used", organisation_id)? {
        let holders: Vec<User> =
            users::table.filter(users::organisation_id.eq(organisation_id)).filter(users::active.eq(true)).select(User::as_select()).load(conn)?;
        for h in holders {
            let mail = AccountMail {
                kind: "registration_kvk_used",
                subject: "Aanmelding met het KvK-nummer van uw organisatie".into(),
                name: h.name.clone(),
                paragraphs: vec![
                    "Iemand heeft zich bij Opstap aangemeld met het KvK-nummer van uw organisatie. Uw organisatie heeft al een account, dus we hebben geen nieuw account gemaakt.".into(),
                    "Wil een collega ook inloggen? Neem dan contact op met de gemeente. Kent u deze aanmelding niet? Dan hoeft u niets te doen.".into(),
                ],
                link: format!("{base}/inloggen"),
                link_text: "Inloggen".into(),
            };
            let to = crate::mail::Recipient { address: h.email.clone(), name: h.name.clone(), role: "werkgever" };
            crate::mail::enqueue(conn, &to, &mail, None)?;
        }
    }
    if crate::service::throttle::once_a_day(conn, "kvk_taken", &new.email_normalized)? {
        let mail = AccountMail {
            kind: "registration_kvk_taken",
            subject: "Uw aanmelding bij Opstap".into(),
            name: new.name.clone(),
            paragraphs: vec![
                "U heeft zich aangemeld bij Opstap. Met dit KvK-nummer is al een organisatie aangemeld, dus we hebben geen nieuw account gemaakt.".into(),
                "Werkt u bij die organisatie? Vraag dan een collega die al inlogt, of neem contact op met de gemeente. Dan krijgt u een eigen account.".into(),
            ],
            link: format!("{base}/inloggen"),
            link_text: "Naar Opstap".into(),
        };
        let to = crate::mail::Recipient { address: new.email.clone(), name: new.name.clone(), role: "werkgever" };
        crate::mail::enqueue(conn, &to, &mail, None)?;
    }
    Ok(())
}

/// How long a password-reset link works.
pub const RESET_MINUTES: i64 = 60;
/// At most this many reset mails per account per hour.
const RESETS_PER_HOUR: i64 = 3;

/// What is stored of a mailed token (reset, invitation, sign-up confirmation): its SHA-256.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A new single-use link token for `user_id` that sets a password (a reset, or an invitation),
/// valid for `valid_for`; only its hash is stored. Returns the token for the mail.
pub fn issue_password_token(conn: &mut DbConnection, user_id: &str, valid_for: chrono::Duration) -> QueryResult<String> {
    use crate::db::schema::password_resets;
    let token = auth::random_token();
    let t = now();
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::token_hash.eq(token_hash(&token)),
            password_resets::user_id.eq(user_id),
            password_resets::created_at.eq(t),
            password_resets::expires_at.eq(t + valid_for),
            password_resets::used_at.eq(None::<chrono::NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Starts a password reset for any role: when an active account has this address, a single-use
/// link (valid for an hour) is mailed to it. The answer is the same whether or not it exists.
pub async fn request_reset(state: &AppState, email: &str, address: Option<String>) -> AppResult<()> {
    let norm = auth::normalize_email(email);
    let base = state.config.public_url.trim_end_matches('/').to_string();
    state
        .tx(move |conn| {
            use crate::db::schema::password_resets;
            check_rate(conn, "password_reset", address.as_deref(), RESET_REQUESTS_PER_HOUR)?;
            let u: Option<User> = users::table.filter(users::email_normalized.eq(&norm)).select(User::as_select()).first(conn).optional()?;
            let Some(u) = u.filter(|u| u.active) else { return Ok(()) };
            let t = now();
            let recent: i64 = password_resets::table
                .filter(password_resets::user_id.eq(&u.id))
                .filter(password_resets::created_at.gt(t - chrono::Duration::hours(1)))
                .count()
                .get_result(conn)?;
            if recent >= RESETS_PER_HOUR {
                log::warn!("password reset not sent: {RESETS_PER_HOUR} already sent this hour");
                return Ok(());
            }
            let token = issue_password_token(conn, &u.id, chrono::Duration::minutes(RESET_MINUTES))?;
            let mail = crate::mail::templates::AccountMail {
                kind: "password_reset",
                subject: "Nieuw wachtwoord voor Opstap".into(),
                name: u.name.clone(),
                paragraphs: vec![
                    "U heeft een nieuw wachtwoord voor Opstap aangevraagd. Met de link hieronder kiest u een nieuw wachtwoord.".into(),
                    format!("De link werkt één keer en {RESET_MINUTES} minuten lang. Heeft u dit niet aangevraagd? Dan hoeft u niets te doen."),
                ],
                link: format!("{base}/wachtwoord-herstellen?token={token}"),
                link_text: "Nieuw wachtwoord kiezen".into(),
            };
            let to = crate::mail::Recipient { address: u.email.clone(), name: u.name.clone(), role: u.role.as_str() };
            crate::mail::enqueue(conn, &to, &mail, u.candidate_id.as_deref())?;
            Ok(())
        })
        .await
}

/// Sets a new password with a reset token (single use, not expired) and ends every session of
/// the account.
pub async fn confirm_reset(state: &AppState, token: &str, password: &str) -> AppResult<()> {
    if let Err(m) = auth::check_password_policy(password) {
        return Err(AppError::field("password", m));
    }
    let hash = auth::hash_password(password)?;
    let th = token_hash(token.trim());
    state
        .tx(move |conn| {
            use crate::db::schema::password_resets;
            let t = now();
            let row: Option<(String, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>)> = password_resets::table
                .find(&th)
                .select((password_resets::user_id, password_resets::expires_at, password_resets::used_at))
                .first(conn)
                .optional()?;
            let invalid = || AppError::field("token", "Deze link is ongeldig, al gebruikt of verlopen. Vraag een nieuwe aan.");
            let Some((uid, expires, used)) = row else { return Err(invalid()) };
            if used.is_some() || expires <= t {
                return Err(invalid());
            }
            let n = diesel::update(password_resets::table.find(&th).filter(password_resets::used_at.is_null()))
                .set(password_resets::used_at.eq(Some(t)))
                .execute(conn)?;
            if n == 0 {
                return Err(invalid());
            }
            diesel::update(users::table.find(&uid)).set(users::password_hash.eq(&hash)).execute(conn)?;
            // Other links of the account stop working too.
            diesel::update(password_resets::table.filter(password_resets::user_id.eq(&uid)).filter(password_resets::used_at.is_null()))
                .set(password_resets::used_at.eq(Some(t)))
                .execute(conn)?;
            crate::service::sessions::revoke_all(conn, &uid)?;
            Ok(())
        })
        .await
}

/// The user changes its own password (the current one is asked); every session ends.
pub async fn change_own_password(state: &AppState, user: &CurrentUser, current: &str, new: &str) -> AppResult<()> {
    if let Err(m) = auth::check_password_policy(new) {
        return Err(AppError::field("new_password", m));
    }
    let hash = auth::hash_password(new)?;
    let (uid, current) = (user.id.clone(), current.to_string());
    state
        .tx(move |conn| {
            let u: User = users::table.find(&uid).select(User::as_select()).first(conn)?;
            if !auth::verify_password(&u.password_hash, &current) {
                return Err(AppError::field("current_password", "Uw huidige wachtwoord klopt niet."));
            }
            diesel::update(users::table.find(&uid)).set(users::password_hash.eq(&hash)).execute(conn)?;
            crate::service::sessions::revoke_all(conn, &uid)?;
            Ok(())
        })
        .await
}

pub fn ensure_email_free(conn: &mut DbConnection, norm: &str) -> AppResult<()> {
    let n: i64 = users::table.filter(users::email_normalized.eq(norm)).count().get_result(conn)?;
    if n > 0 {
        return Err(AppError::conflict_on(crate::error::ConflictCode::AlreadyExists, "email", "Er bestaat al een account met dit e-mailadres."));
    }
    Ok(())
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UserInput {
    #[validate(email(message = "Dit is geen geldig e-mailadres."), length(max = 254, message = "Hoogstens 254 tekens."))]
    pub email: String,
    pub password: String,
    /// beheerder | klantmanager | werkgever | kandidaat
    pub role: String,
    #[validate(length(min = 1, max = 200, message = "Vul een naam in."))]
    pub name: String,
    /// For werkgever accounts.
    pub organisation_id: Option<String>,
    /// For kandidaat accounts.
    pub candidate_id: Option<String>,
}

/// Creates a user; shared by the API and the `opstap user create` command. `by` is None for
/// the command line (no authorisation: the operator has the database).
pub fn create_user_in(
    conn: &mut DbConnection,
    input: &UserInput,
    by: Option<&CurrentUser>,
    municipality_for_staff: Option<String>,
) -> AppResult<User> {
    let mut errs = Vec::new();
    let role = Role::parse(&input.role);
    if role.is_none() {
        errs.push(FieldError::new("role", "Kies beheerder, klantmanager, werkgever of kandidaat."));
    }
    if let Err(m) = auth::check_password_policy(&input.password) {
        errs.push(FieldError::new("password", m));
    }
    AppError::check(errs)?;
    let role = role.unwrap_or(Role::Kandidaat);
    let mut municipality_id = None;
    let mut organisation_id = None;
    let mut candidate_id = None;
    match role {
        Role::Beheerder | Role::Klantmanager => {
            if let Some(by) = by {
                by.require(&[Role::Beheerder])?;
                municipality_id = by.municipality_id.clone();
            } else {
                municipality_id = municipality_for_staff;
            }
            let Some(m) = &municipality_id else {
                return Err(AppError::field("municipality", "Geef de gemeente op (CBS-code of naam)."));
            };
            let exists: i64 = municipalities::table.find(m).count().get_result(conn)?;
            if exists == 0 {
                return Err(AppError::field("municipality", "Onbekende gemeente."));
            }
        }
        Role::Werkgever => {
            if let Some(by) = by {
                by.require(&[Role::Beheerder, Role::Klantmanager])?;
            }
            let Some(org) = &input.organisation_id else {
                return Err(AppError::field("organisation_id", "Een werkgeversaccount hoort bij een organisatie."));
            };
            let exists: i64 = organisations::table.find(org).count().get_result(conn)?;
            if exists == 0 {
                return Err(AppError::field("organisation_id", "Onbekende organisatie."));
            }
            organisation_id = Some(org.clone());
        }
        Role::Kandidaat => {
            if let Some(by) = by {
                by.require(&[Role::Beheerder, Role::Klantmanager])?;
            }
            let Some(cid) = &input.candidate_id else {
                return Err(AppError::field("candidate_id", "Een kandidaataccount hoort bij een kandidaat."));
            };
            let c: Option<Candidate> = candidates::table.find(cid).select(Candidate::as_select()).first(conn).optional()?;
            let Some(c) = c else { return Err(AppError::field("candidate_id", "Onbekende kandidaat.")) };
            if let Some(by) = by {
                if by.municipality_id.as_deref() != Some(c.municipality_id.as_str()) {
                    return Err(AppError::field("candidate_id", "Onbekende kandidaat."));
                }
                if by.role == Role::Klantmanager && c.klantmanager_id != by.id {
                    return Err(AppError::Forbidden);
                }
            }
            let taken: i64 = users::table.filter(users::candidate_id.eq(cid)).count().get_result(conn)?;
            if taken > 0 {
                return Err(AppError::conflict_on(crate::error::ConflictCode::AlreadyExists, "candidate_id", "Deze kandidaat heeft al een account."));
            }
            municipality_id = Some(c.municipality_id.clone());
            candidate_id = Some(c.id);
        }
    }
    let norm = auth::normalize_email(&input.email);
    ensure_email_free(conn, &norm)?;
    let u = User {
        id: new_id(),
        email: input.email.trim().into(),
        email_normalized: norm,
        password_hash: auth::hash_password(&input.password)?,
        role,
        name: input.name.trim().into(),
        municipality_id,
        organisation_id,
        candidate_id,
        active: true,
        created_at: now(),
        last_login_at: None,
    };
    diesel::insert_into(users::table).values(&u).execute(conn)?;
    Ok(u)
}

/// The accounts of the beheerder's municipality (candidates' accounts are audited: they carry
/// name and e-mail address).
pub fn list_users(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<Vec<User>> {
    let user = ctx.user;
    user.require(&[Role::Beheerder])?;
    let m = user.municipality()?.to_string();
    let list: Vec<User> =
        users::table.filter(users::municipality_id.eq(&m)).order((users::role, users::email_normalized)).select(User::as_select()).load(conn)?;
    let people = list.iter().filter(|u| u.candidate_id.is_some()).count();
    if people > 0 {
        let what = format!("lijst van accounts: naam en e-mail van {people} kandidaten");
        crate::audit::list_view(conn, &crate::audit::Actor::from(user), &m, &what, crate::audit::purpose::BEHEER)?;
    }
    Ok(list)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UserPatch {
    #[validate(length(min = 1, max = 200, message = "Vul een naam in."))]
    pub name: Option<String>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

/// A beheerder changes an account of its municipality: name, active, password.
pub fn update_user(conn: &mut DbConnection, ctx: &Ctx, id: &str, patch: UserPatch) -> AppResult<User> {
    let user = ctx.user;
    user.require(&[Role::Beheerder])?;
    if let Some(pw) = &patch.password {
        if let Err(m) = auth::check_password_policy(pw) {
            return Err(AppError::field("password", m));
        }
    }
    let hash = patch.password.as_deref().map(auth::hash_password).transpose()?;
    let mut u: User = users::table.find(id).select(User::as_select()).first(conn).optional()?.ok_or(AppError::NotFound)?;
    if u.municipality_id.is_none() || u.municipality_id != user.municipality_id {
        return Err(AppError::NotFound);
    }
    if let Some(n) = patch.name {
        u.name = n;
    }
    if let Some(a) = patch.active {
        if u.id == user.id && !a {
            return Err(AppError::field("active", "U kunt uw eigen account niet uitzetten."));
        }
        u.active = a;
    }
    let end_sessions = hash.is_some() || !u.active;
    if let Some(h) = hash {
        u.password_hash = h;
    }
    diesel::update(users::table.find(&u.id)).set(&u).execute(conn)?;
    if end_sessions {
        crate::service::sessions::revoke_all(conn, &u.id)?;
    }
    Ok(u)
}

/// The municipalities that use this instance.
pub fn municipalities(conn: &mut DbConnection) -> AppResult<Vec<Municipality>> {
    Ok(municipalities::table.order(municipalities::name).select(Municipality::as_select()).load(conn)?)
}

/// What the beheerder's overview shows: the municipality's name, its staff accounts and the
/// employers waiting for verification.
pub fn admin_overview(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<(String, Vec<User>, Vec<Organisation>)> {
    let users = list_users(conn, ctx)?;
    let name = crate::db::queries::municipality_name(conn, ctx.user.municipality()?)?;
    let unverified = crate::service::organisations::unverified(conn, ctx)?;
    Ok((name, users, unverified))
}
