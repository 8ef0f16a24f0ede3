//! Aanmelden: an inwoner signs up (also without a benefit: NUG). The person confirms the e-mail
//! address, and then waits as "aangemeld" in the municipality of their postcode until a
//! beheerder assigns a klantmanager and a klantgroep. Until then the person is a `registrations`
//! row and an account, never a candidate: no search, proposal, caseload or employer view can
//! return them, and only the beheerders of that municipality see the registration.
//!
//! Logging in is by e-mail and password like every account; an external identity provider
//! (OpenID Connect, for DigiD later) would sit beside it in `accounts::login` and hand over the
//! same account, so nothing here depends on how the person proved who they are.

use super::{validate_with, Ctx};
use crate::auth::{self, CurrentUser};
use crate::db::models::{Candidate, Registration, User};
use crate::db::schema::{municipalities, registrations, users};
use crate::db::{new_id, now, DbConnection};
use crate::domain::{BenefitType, FieldError, Role};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// At most this many sign-ups per client address per hour (like the employer's).
const SIGNUPS_PER_HOUR: i64 = 10;
/// How long the confirmation link works.
pub const CONFIRM_HOURS: i64 = 72;

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct SignupInput {
    #[validate(length(min = 1, max = 100, message = "Vul uw voornaam in."))]
    pub first_name: String,
    #[validate(length(min = 1, max = 100, message = "Vul uw achternaam in."))]
    pub last_name: String,
    #[validate(email(message = "Dit is geen goed e-mailadres."), length(max = 254, message = "Hoogstens 254 tekens."))]
    pub email: String,
    pub password: String,
    #[validate(length(max = 40, message = "Hoogstens 40 tekens."))]
    pub phone: Option<String>,
    pub birth_date: NaiveDate,
    /// The four digits of the postcode (a full postcode "7241 AB" is taken too).
    pub pc4: String,
    /// One of the education levels (`geen`, `vmbo`, `mbo2`, ...).
    pub education_level: String,
    /// participatiewet, ioaw, ioaz, anw or nug (no benefit).
    #[serde(default)]
    pub benefit_type: BenefitType,
    #[validate(range(min = 0, max = 60, message = "Uren per week liggen tussen 0 en 60."))]
    pub hours_min: i32,
    #[validate(range(min = 1, max = 60, message = "Uren per week liggen tussen 1 en 60."))]
    pub hours_max: i32,
    /// What the person is looking for, in their own words.
    #[serde(default)]
    #[validate(length(max = 2000, message = "Hoogstens 2000 tekens."))]
    pub message: String,
    #[serde(default)]
    pub consent_matching: bool,
    #[serde(default)]
    pub consent_anonymous_profile: bool,
    #[serde(default)]
    pub consent_email: bool,
}

/// The four digits of a Dutch postcode, or None.
pub fn pc4_of(s: &str) -> Option<String> {
    let d: String = s.trim().chars().take(4).collect();
    (d.len() == 4 && d.chars().all(|c| c.is_ascii_digit()) && !d.starts_with('0')).then_some(d)
}

impl SignupInput {
    fn check(&self, conn: &mut DbConnection, rd: &crate::refdata::RefData, today: NaiveDate) -> AppResult<(Vec<FieldError>, Option<String>)> {
        let mut errs = vec![];
        if let Err(m) = auth::check_password_policy(&self.password) {
            errs.push(FieldError::new("password", m));
        }
        if !crate::domain::EDUCATION_LEVELS.contains(&self.education_level.as_str()) {
            errs.push(FieldError::new("education_level", "Kies uw hoogste opleiding."));
        }
        if self.hours_min > self.hours_max {
            errs.push(FieldError::new("hours_min", "Het minste aantal uren is hoger dan het meeste."));
        }
        let age = crate::domain::age_on(self.birth_date, today);
        if !(15..=67).contains(&age) {
            errs.push(FieldError::new("birth_date", "Vul uw geboortedatum in. U bent tussen 15 en 67 jaar."));
        }
        let mut municipality = None;
        match pc4_of(&self.pc4).and_then(|p| rd.pc4.get(&p).map(|i| i.municipality_code.clone())) {
            None => errs.push(FieldError::new("pc4", "Vul de 4 cijfers van uw postcode in.")),
            Some(code) => {
                municipality = municipalities::table.filter(municipalities::cbs_code.eq(&code)).select(municipalities::id).first(conn).optional()?;
                if municipality.is_none() {
                    errs.push(FieldError::new("pc4", "Uw gemeente werkt nog niet met Opstap. Neem contact op met uw gemeente."));
                }
            }
        }
        Ok((errs, municipality))
    }
}

use crate::service::accounts::token_hash;

/// Signs an inwoner up (API and pages). The answer is the same whether or not the address has an
/// account already: then nothing is created and the owner gets a note (at most once a day).
/// Otherwise an inactive account and the registration are stored, and a confirmation link is
/// mailed. `address` is the client's, for the hourly limit.
pub async fn signup(state: &AppState, input: SignupInput, address: Option<String>) -> AppResult<()> {
    // Hashed before anything is known, so the time taken does not tell whether the address exists.
    let hash = auth::hash_password(&input.password)?;
    let env = state.env();
    let base = state.config.public_url.trim_end_matches('/').to_string();
    state
        .tx(move |conn| {
            if let Some(a) = address.as_deref() {
                let wait = crate::service::throttle::hourly(conn, "signup", a, SIGNUPS_PER_HOUR)?;
                if wait > 0 {
                    return Err(AppError::TooManyRequests { retry_after: wait as u64 });
                }
            }
            let today = crate::clock::today();
            let (errs, municipality) = input.check(conn, &env.refdata, today)?;
            validate_with(&input, errs)?;
            let municipality = municipality.ok_or(AppError::Internal(anyhow::anyhow!("checked above")))?;
            let norm = auth::normalize_email(&input.email);
            let existing: Option<User> = users::table.filter(users::email_normalized.eq(&norm)).select(User::as_select()).first(conn).optional()?;
            if let Some(owner) = existing {
                if crate::service::throttle::once_a_day(conn, "signup_exists", &owner.email_normalized)? {
                    let mail = crate::mail::templates::AccountMail {
                        kind: "signup_exists",
                        subject: "Aanmelding met uw e-mailadres".into(),
                        name: owner.name.clone(),
                        paragraphs: vec![
                            "Iemand heeft zich bij Opstap aangemeld met uw e-mailadres. U heeft al een account. Daarom hebben we geen nieuw account gemaakt.".into(),
                            "Was u dit zelf? Log dan in met uw account. Weet u uw wachtwoord niet meer? Vraag dan een nieuw wachtwoord aan.".into(),
                            "Was u dit niet? Dan hoeft u niets te doen.".into(),
                        ],
                        link: format!("{base}/wachtwoord-vergeten"),
                        link_text: "Nieuw wachtwoord aanvragen".into(),
                    };
                    let to = crate::mail::Recipient { address: owner.email.clone(), name: owner.name.clone(), role: owner.role.as_str() };
                    crate::mail::enqueue(conn, &to, &mail, owner.candidate_id.as_deref())?;
                }
                return Ok(());
            }
            let t = now();
            let name = format!("{} {}", input.first_name.trim(), input.last_name.trim());
            let user = User {
                id: new_id(),
                email: input.email.trim().to_string(),
                email_normalized: norm,
                password_hash: hash,
                role: Role::Kandidaat,
                name: name.clone(),
                municipality_id: Some(municipality.clone()),
                organisation_id: None,
                candidate_id: None,
                // Until the address is confirmed.
                active: false,
                created_at: t,
                last_login_at: None,
            };
            let token = crate::auth::random_token();
            let reg = Registration {
                id: new_id(),
                municipality_id: municipality,
                user_id: Some(user.id.clone()),
                first_name: input.first_name.trim().into(),
                last_name: input.last_name.trim().into(),
                email: user.email.clone(),
                phone: input.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(String::from),
                birth_date: input.birth_date,
                pc4: pc4_of(&input.pc4).unwrap_or_default(),
                education_level: input.education_level.clone(),
                benefit_type: input.benefit_type,
                hours_min: input.hours_min,
                hours_max: input.hours_max,
                message: input.message.trim().into(),
                consent_matching: input.consent_matching,
                consent_anonymous_profile: input.consent_anonymous_profile,
                consent_email: input.consent_email,
                status: "onbevestigd".into(),
                confirm_token_hash: Some(token_hash(&token)),
                confirm_expires_at: Some(t + chrono::Duration::hours(CONFIRM_HOURS)),
                confirmed_at: None,
                candidate_id: None,
                assigned_by: None,
                assigned_at: None,
                created_at: t,
                updated_at: t,
            };
            diesel::insert_into(users::table).values(&user).execute(conn)?;
            diesel::insert_into(registrations::table).values(&reg).execute(conn)?;
            let mail = crate::mail::templates::AccountMail {
                kind: "signup_confirm",
                subject: "Bevestig uw aanmelding bij Opstap".into(),
                name,
                paragraphs: vec![
                    "U heeft zich aangemeld bij Opstap. Klik op de knop om te laten zien dat dit uw e-mailadres is.".into(),
                    format!("De knop werkt {CONFIRM_HOURS} uur. Heeft u zich niet aangemeld? Dan hoeft u niets te doen."),
                ],
                link: format!("{base}/aanmelden/bevestigen?token={token}"),
                link_text: "Mijn e-mailadres bevestigen".into(),
            };
            let to = crate::mail::Recipient { address: user.email.clone(), name: user.name.clone(), role: "kandidaat" };
            crate::mail::enqueue(conn, &to, &mail, None)?;
            Ok(())
        })
        .await
}

/// Confirms the address: the account works from now on and the registration waits for a
/// beheerder. A used, unknown or expired link: 422 on `token`.
pub async fn confirm(state: &AppState, token: &str) -> AppResult<()> {
    let h = token_hash(token.trim());
    state
        .tx(move |conn| {
            let reg: Option<Registration> =
                registrations::table.filter(registrations::confirm_token_hash.eq(&h)).select(Registration::as_select()).first(conn).optional()?;
            let bad = || {
                AppError::Validation(vec![FieldError::new("token", "Deze link werkt niet meer. Meld u opnieuw aan, of log in als u dat al deed.")])
            };
            let reg = reg.ok_or_else(bad)?;
            let t = now();
            if reg.confirm_expires_at.is_some_and(|e| e < t) {
                return Err(bad());
            }
            diesel::update(registrations::table.find(&reg.id))
                .set((
                    registrations::status.eq("aangemeld"),
                    registrations::confirm_token_hash.eq(None::<String>),
                    registrations::confirm_expires_at.eq(None::<chrono::NaiveDateTime>),
                    registrations::confirmed_at.eq(Some(t)),
                    registrations::updated_at.eq(t),
                ))
                .execute(conn)?;
            if let Some(u) = &reg.user_id {
                diesel::update(users::table.find(u)).set(users::active.eq(true)).execute(conn)?;
            }
            Ok(())
        })
        .await
}

/// A registration as a beheerder or the person sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationView {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub birth_date: NaiveDate,
    pub pc4: String,
    pub place: String,
    pub education_level: String,
    pub benefit_type: BenefitType,
    pub hours_min: i32,
    pub hours_max: i32,
    pub message: String,
    pub status: String,
    pub confirmed_at: Option<chrono::NaiveDateTime>,
    pub candidate_id: Option<String>,
    pub created_at: chrono::NaiveDateTime,
}

fn view(r: Registration, rd: &crate::refdata::RefData) -> RegistrationView {
    RegistrationView {
        place: rd.pc4.get(&r.pc4).map(|p| p.place.clone()).unwrap_or_default(),
        id: r.id,
        first_name: r.first_name,
        last_name: r.last_name,
        email: r.email,
        phone: r.phone,
        birth_date: r.birth_date,
        pc4: r.pc4,
        education_level: r.education_level,
        benefit_type: r.benefit_type,
        hours_min: r.hours_min,
        hours_max: r.hours_max,
        message: r.message,
        status: r.status,
        confirmed_at: r.confirmed_at,
        candidate_id: r.candidate_id,
        created_at: r.created_at,
    }
}

/// Confirmed registrations waiting for a klantmanager, oldest first: for the beheerders of the
/// municipality only (a list view in the audit log).
pub fn waiting(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<Vec<RegistrationView>> {
    ctx.user.require(&[Role::Beheerder])?;
    let m = ctx.user.municipality()?.to_string();
    let rows: Vec<Registration> = registrations::table
        .filter(registrations::municipality_id.eq(&m))
        .filter(registrations::status.eq("aangemeld"))
        .order((registrations::confirmed_at, registrations::id))
        .select(Registration::as_select())
        .load(conn)?;
    if !rows.is_empty() {
        crate::audit::list_view(
            conn,
            &crate::audit::Actor::from(ctx.user),
            &m,
            &format!("aanmeldingen ({} personen)", rows.len()),
            crate::audit::purpose::BEHEER,
        )?;
    }
    Ok(rows.into_iter().map(|r| view(r, ctx.refdata)).collect())
}

/// The person's own registration (a signed-up inwoner without a klantmanager yet).
pub fn own(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<Option<RegistrationView>> {
    ctx.user.require(&[Role::Kandidaat])?;
    let r: Option<Registration> =
        registrations::table.filter(registrations::user_id.eq(&ctx.user.id)).select(Registration::as_select()).first(conn).optional()?;
    Ok(r.map(|r| view(r, ctx.refdata)))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct AssignInput {
    #[validate(length(min = 1, message = "Kies een klantmanager."))]
    pub klantmanager_id: String,
    /// The klantgroep; the municipality's default group when left out.
    pub client_group_id: Option<String>,
}

/// A beheerder assigns a klantmanager (and a klantgroep): the candidate is made from the
/// registration, with the person's own consents and wishes, the account is linked to it, the
/// klantmanager gets an intake task and the person a mail. Returns the new candidate's id.
pub fn assign(conn: &mut DbConnection, ctx: &Ctx, id: &str, input: &AssignInput) -> AppResult<String> {
    ctx.user.require(&[Role::Beheerder])?;
    validate_with(input, vec![])?;
    let m = ctx.user.municipality()?.to_string();
    let reg: Registration = registrations::table
        .find(id)
        .filter(registrations::municipality_id.eq(&m))
        .select(Registration::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    if reg.status != "aangemeld" {
        let (code, message) = if reg.status == "toegewezen" {
            (crate::error::ConflictCode::AlreadyDone, "Deze persoon heeft al een klantmanager.")
        } else {
            (crate::error::ConflictCode::WrongStatus, "Deze aanmelding is nog niet bevestigd.")
        };
        return Err(AppError::conflict(code, message));
    }
    let row = crate::service::candidates::NewFromRegistration {
        first_name: reg.first_name.clone(),
        last_name: reg.last_name.clone(),
        email: Some(reg.email.clone()),
        phone: reg.phone.clone(),
        birth_date: reg.birth_date,
        pc4: reg.pc4.clone(),
        education_level: reg.education_level.clone(),
        benefit_type: reg.benefit_type,
        hours_min: reg.hours_min,
        hours_max: reg.hours_max,
        consent_matching: reg.consent_matching,
        consent_anonymous_profile: reg.consent_anonymous_profile,
        consent_email: reg.consent_email,
        registration_date: reg.confirmed_at.map(crate::clock::local_date).unwrap_or(ctx.today),
    };
    let c: Candidate =
        crate::service::candidates::create_from_registration(conn, ctx, &m, &input.klantmanager_id, input.client_group_id.as_deref(), row)?;
    let t = now();
    diesel::update(registrations::table.find(&reg.id))
        .set((
            registrations::status.eq("toegewezen"),
            registrations::candidate_id.eq(Some(&c.id)),
            registrations::assigned_by.eq(Some(&ctx.user.id)),
            registrations::assigned_at.eq(Some(t)),
            registrations::updated_at.eq(t),
        ))
        .execute(conn)?;
    if let Some(u) = &reg.user_id {
        diesel::update(users::table.find(u)).set(users::candidate_id.eq(Some(&c.id))).execute(conn)?;
    }
    crate::service::tasks::intake_task(conn, &c)?;
    let km_name: String = users::table.find(&input.klantmanager_id).select(users::name).first(conn)?;
    let mail = crate::mail::templates::AccountMail {
        kind: "signup_assigned",
        subject: "U heeft een klantmanager".into(),
        name: format!("{} {}", c.first_name, c.last_name),
        paragraphs: vec![
            format!("{km_name} is vanaf nu uw klantmanager bij de gemeente. {km_name} neemt contact met u op voor een eerste gesprek."),
            "Op Opstap kunt u nu plekken bekijken en zien wat er met u wordt afgesproken.".into(),
        ],
        link: ctx.keys.link("/kandidaat"),
        link_text: "Naar Opstap".into(),
    };
    let to = crate::mail::Recipient { address: reg.email.clone(), name: format!("{} {}", c.first_name, c.last_name), role: "kandidaat" };
    crate::service::mail_about(
        conn,
        &crate::audit::Actor::from(ctx.user),
        (&c.id, &c.municipality_id),
        &to,
        &mail,
        "naam van uw klantmanager",
        crate::audit::purpose::BEGELEIDING,
    )?;
    Ok(c.id)
}

/// Whether a signed-in person only has a registration (no candidate yet).
pub fn is_waiting(user: &CurrentUser) -> bool {
    user.role == Role::Kandidaat && user.candidate_id.is_none()
}

/// [`assign`] in one transaction, and the new candidate into the search index.
pub async fn assign_for(state: &AppState, user: &CurrentUser, id: &str, input: AssignInput) -> AppResult<String> {
    let (user, env, id) = (user.clone(), state.env(), id.to_string());
    state.tx(move |conn| assign(conn, &Ctx::new(&user, &env), &id, &input)).await
}

/// How long an invitation link works.
pub const INVITE_DAYS: i64 = 14;

/// The klantmanager invites a person of their caseload who has an e-mail address but no account:
/// an account is made (with no usable password) and the person gets a link to choose a
/// password (the password-reset page), valid for two weeks. A person without e-mail has no
/// account; the klantmanager acts for them (and can produce their inzage).
pub fn invite(conn: &mut DbConnection, ctx: &Ctx, cid: &str) -> AppResult<()> {
    ctx.user.require(&[Role::Klantmanager])?;
    let c = crate::service::candidates::authorize_only(conn, ctx.user, cid, crate::service::candidates::Access::Write)?;
    let Some(email) = c.email.clone().filter(|e| !e.trim().is_empty()) else {
        return Err(AppError::field("email", "Deze kandidaat heeft geen e-mailadres. Vul dat eerst in, of help de kandidaat zelf."));
    };
    let has: i64 = users::table.filter(users::candidate_id.eq(&c.id)).count().get_result(conn)?;
    if has > 0 {
        return Err(AppError::conflict(crate::error::ConflictCode::AlreadyExists, "Deze kandidaat heeft al een account."));
    }
    let norm = auth::normalize_email(&email);
    let taken: i64 = users::table.filter(users::email_normalized.eq(&norm)).count().get_result(conn)?;
    if taken > 0 {
        return Err(AppError::conflict_on(
            crate::error::ConflictCode::AlreadyExists,
            "email",
            "Met dit e-mailadres bestaat al een account van iemand anders.",
        ));
    }
    let t = now();
    let user = User {
        id: new_id(),
        email: email.trim().to_string(),
        email_normalized: norm,
        // Nobody knows a password for it until the person chooses one.
        password_hash: format!("!uitgenodigd-{}", new_id()),
        role: Role::Kandidaat,
        name: format!("{} {}", c.first_name, c.last_name),
        municipality_id: Some(c.municipality_id.clone()),
        organisation_id: None,
        candidate_id: Some(c.id.clone()),
        active: true,
        created_at: t,
        last_login_at: None,
    };
    diesel::insert_into(users::table).values(&user).execute(conn)?;
    let token = crate::service::accounts::issue_password_token(conn, &user.id, chrono::Duration::days(INVITE_DAYS))?;
    let mail = crate::mail::templates::AccountMail {
        kind: "invitation",
        subject: "Uw eigen pagina bij Opstap".into(),
        name: user.name.clone(),
        paragraphs: vec![
            format!("{} heeft een eigen pagina voor u gemaakt op Opstap. Daar ziet u werk dat bij u past, uw plan en uw gegevens.", ctx.user.name),
            format!("Kies eerst een wachtwoord met de knop hieronder. De knop werkt {INVITE_DAYS} dagen."),
        ],
        link: ctx.keys.link(&format!("/wachtwoord-herstellen?token={token}")),
        link_text: "Wachtwoord kiezen".into(),
    };
    let to = crate::mail::Recipient { address: user.email.clone(), name: user.name.clone(), role: "kandidaat" };
    crate::service::mail_about(
        conn,
        &crate::audit::Actor::from(ctx.user),
        (&c.id, &c.municipality_id),
        &to,
        &mail,
        "uitnodiging voor een account",
        crate::audit::purpose::BEGELEIDING,
    )?;
    Ok(())
}

pub async fn invite_for(state: &AppState, user: &CurrentUser, cid: &str) -> AppResult<()> {
    let (user, env, cid) = (user.clone(), state.env(), cid.to_string());
    state.tx(move |conn| invite(conn, &Ctx::new(&user, &env), &cid)).await
}
