//! Inzage (AVG art. 15): every stored field about one person, as JSON (download) and as a
//! readable, printable page. The person, their klantmanager and a beheerder of the municipality
//! may produce it; each export is audited.
//!
//! The export is table by table and column by column, as stored, so nothing is left out by
//! a summary: a test compares every column of every table that refers to a candidate with it.
//! What never leaves the server: the password hash and the tokens of sessions and password
//! resets (they are keys, not data about the person).

use super::Ctx;
use crate::audit::{self, Act, Actor};
use crate::db::models::{AuditEntry, Candidate, CandidateOccupation, CandidateSkill, ContactMoment, LadderMeasurement, Match, MatchEvent};
use crate::db::models::{OutboxMessage, ProposalLog, SavedSearch, Task, User};
use crate::db::schema::*;
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::service::candidates::{authorize_only, Access};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Everything stored about one person.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataExport {
    pub candidate_id: String,
    pub generated_at: NaiveDateTime,
    /// Table name → its rows about the person, each row column → value as stored. Proposal
    /// logs of a placement that ranked the person appear under `proposal_log_mentions`, with
    /// only the person's own entry of the ranking.
    #[schema(value_type = Object)]
    pub tables: BTreeMap<String, Vec<Value>>,
}

/// The sections of the export, in the order the readable page shows them, with their Dutch
/// titles and what each is, in plain words.
pub const SECTIONS: &[(&str, &str, &str)] = &[
    ("candidates", "Uw gegevens", "Wat de gemeente over u heeft vastgelegd."),
    ("candidate_occupations", "Beroepen", "Beroepen die u heeft gedaan of wilt doen."),
    ("candidate_skills", "Vaardigheden", "Wat u kunt."),
    ("skill_suggestions", "Vaardigheden die u voorstelde", "Wat u zelf zei dat u kunt, en wat uw klantmanager ervan vond."),
    ("ladder_measurements", "Participatieladder", "Op welke trede u stond, en wanneer."),
    ("contact_moments", "Gesprekken en contact", "Wanneer de gemeente contact met u had, met de aantekeningen."),
    ("plan_goals", "Mijn plan", "De afspraken in uw plan: wat, wie het doet en wanneer."),
    ("matches", "Voorstellen", "Werk dat aan u of een werkgever is voorgesteld."),
    ("match_events", "Wat er met de voorstellen gebeurde", "Elke stap in een voorstel."),
    ("proposal_logs", "Zoekopdrachten naar werk voor u", "Wanneer Opstap werk voor u zocht, met de scores."),
    ("proposal_log_mentions", "Wanneer u bij een plek werd gevonden", "Alleen uw eigen score in die lijst."),
    ("tasks", "Taken van uw klantmanager", "Wat uw klantmanager voor u moet doen."),
    ("saved_searches", "Bewaarde zoekopdracht", "Waarover u e-mail krijgt."),
    ("outbox", "E-mails", "E-mails die Opstap over u of aan u stuurde."),
    ("audit_log", "Wie uw gegevens bekeek of veranderde", "Elke keer dat iemand uw gegevens bekeek, veranderde of doorgaf."),
    ("users", "Uw account", "Uw inlog. Uw wachtwoord staat er niet in: dat kunnen wij zelf ook niet lezen."),
    ("sessions", "Wanneer u was ingelogd", "Elke keer dat u inlogde."),
    ("login_events", "Mislukte inlogpogingen", "Pogingen om met uw e-mailadres in te loggen."),
    ("password_resets", "Wachtwoord vergeten", "Wanneer een nieuw wachtwoord werd gevraagd."),
    (
        "external_identities",
        "Inloggen via een inlogdienst",
        "Met welke inlogdienst (zoals DigiD) u inlogt, en het nummer dat die dienst voor u gebruikt.",
    ),
    ("registrations", "Uw aanmelding", "Wat u zelf invulde toen u zich aanmeldde."),
    ("import_fingerprints", "Controlegetal van de import", "Een getal waarmee Opstap ziet of uw gegevens in het klantsysteem zijn veranderd."),
];

fn rows<T: Serialize>(items: Vec<T>) -> Vec<Value> {
    items.into_iter().map(|x| serde_json::to_value(x).unwrap_or(Value::Null)).collect()
}

/// Collects every row about the person. No access check and no audit: see [`export`].
pub fn collect(conn: &mut DbConnection, c: &Candidate) -> QueryResult<BTreeMap<String, Vec<Value>>> {
    let cid = c.id.as_str();
    let mut t: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    t.insert("candidates".into(), rows(vec![c.clone()]));
    let occ: Vec<CandidateOccupation> =
        candidate_occupations::table.filter(candidate_occupations::candidate_id.eq(cid)).select(CandidateOccupation::as_select()).load(conn)?;
    t.insert("candidate_occupations".into(), rows(occ));
    let sk: Vec<CandidateSkill> =
        candidate_skills::table.filter(candidate_skills::candidate_id.eq(cid)).select(CandidateSkill::as_select()).load(conn)?;
    t.insert("candidate_skills".into(), rows(sk));
    let lad: Vec<LadderMeasurement> = ladder_measurements::table
        .filter(ladder_measurements::candidate_id.eq(cid))
        .order(ladder_measurements::measured_on)
        .select(LadderMeasurement::as_select())
        .load(conn)?;
    t.insert("ladder_measurements".into(), rows(lad));
    let cm: Vec<ContactMoment> = contact_moments::table
        .filter(contact_moments::candidate_id.eq(cid))
        .order(contact_moments::contact_date)
        .select(ContactMoment::as_select())
        .load(conn)?;
    t.insert("contact_moments".into(), rows(cm));
    let ms: Vec<Match> = matches::table.filter(matches::candidate_id.eq(cid)).order(matches::proposed_at).select(Match::as_select()).load(conn)?;
    let mids: Vec<String> = ms.iter().map(|m| m.id.clone()).collect();
    t.insert("matches".into(), rows(ms));
    let ev: Vec<MatchEvent> = match_events::table
        .filter(match_events::match_id.eq_any(&mids))
        .order(match_events::created_at)
        .select(MatchEvent::as_select())
        .load(conn)?;
    t.insert("match_events".into(), rows(ev));
    let logs: Vec<ProposalLog> = proposal_logs::table
        .filter(proposal_logs::subject_id.eq(cid))
        .order(proposal_logs::created_at)
        .select(ProposalLog::as_select())
        .load(conn)?;
    t.insert("proposal_logs".into(), rows(logs));
    t.insert("proposal_log_mentions".into(), mentions(conn, cid)?);
    let tasks_: Vec<Task> = tasks::table.filter(tasks::candidate_id.eq(cid)).order(tasks::due_on).select(Task::as_select()).load(conn)?;
    t.insert("tasks".into(), rows(tasks_));
    let ss: Vec<SavedSearch> = saved_searches::table.filter(saved_searches::candidate_id.eq(cid)).select(SavedSearch::as_select()).load(conn)?;
    t.insert("saved_searches".into(), rows(ss));
    let mail: Vec<OutboxMessage> =
        outbox::table.filter(outbox::candidate_id.eq(cid)).order(outbox::created_at).select(OutboxMessage::as_select()).load(conn)?;
    t.insert("outbox".into(), rows(mail));
    let log: Vec<AuditEntry> =
        audit_log::table.filter(audit_log::candidate_id.eq(cid)).order(audit_log::created_at).select(AuditEntry::as_select()).load(conn)?;
    t.insert("audit_log".into(), rows(log));
    let accounts: Vec<User> = users::table.filter(users::candidate_id.eq(cid)).select(User::as_select()).load(conn)?;
    let uids: Vec<String> = accounts.iter().map(|u| u.id.clone()).collect();
    // Login attempts are kept by account key; a day's notices by the address itself.
    let emails: Vec<String> =
        accounts.iter().flat_map(|u| [crate::service::throttle::account_key(&u.email_normalized), u.email_normalized.clone()]).collect();
    t.insert("users".into(), rows(accounts));
    let sess: Vec<(String, NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>)> = sessions::table
        .filter(sessions::user_id.eq_any(&uids))
        .order(sessions::created_at)
        .select((sessions::user_id, sessions::created_at, sessions::expires_at, sessions::revoked_at))
        .load(conn)?;
    t.insert(
        "sessions".into(),
        sess.into_iter().map(|(u, c, e, r)| json!({"user_id": u, "created_at": c, "expires_at": e, "revoked_at": r})).collect(),
    );
    let ev: Vec<(String, String, String, NaiveDateTime)> = login_events::table
        .filter(login_events::subject.eq_any(&emails))
        .order(login_events::at)
        .select((login_events::id, login_events::subject, login_events::kind, login_events::at))
        .load(conn)?;
    t.insert("login_events".into(), ev.into_iter().map(|(i, s, k, a)| json!({"id": i, "subject": s, "kind": k, "at": a})).collect());
    let resets: Vec<(String, NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>)> = password_resets::table
        .filter(password_resets::user_id.eq_any(&uids))
        .order(password_resets::created_at)
        .select((password_resets::user_id, password_resets::created_at, password_resets::expires_at, password_resets::used_at))
        .load(conn)?;
    t.insert(
        "password_resets".into(),
        resets.into_iter().map(|(u, c, e, x)| json!({"user_id": u, "created_at": c, "expires_at": e, "used_at": x})).collect(),
    );
    let ext: Vec<(String, String, String, NaiveDateTime, NaiveDateTime)> = external_identities::table
        .filter(external_identities::user_id.eq_any(&uids))
        .order(external_identities::created_at)
        .select((
            external_identities::issuer,
            external_identities::subject,
            external_identities::user_id,
            external_identities::created_at,
            external_identities::last_login_at,
        ))
        .load(conn)?;
    t.insert(
        "external_identities".into(),
        ext.into_iter().map(|(i, s, u, c, l)| json!({"issuer": i, "subject": s, "user_id": u, "created_at": c, "last_login_at": l})).collect(),
    );
    let goals: Vec<crate::db::models::PlanGoal> = plan_goals::table
        .filter(plan_goals::candidate_id.eq(cid))
        .order(plan_goals::created_at)
        .select(crate::db::models::PlanGoal::as_select())
        .load(conn)?;
    t.insert("plan_goals".into(), rows(goals));
    let sugg: Vec<crate::db::models::SkillSuggestion> = skill_suggestions::table
        .filter(skill_suggestions::candidate_id.eq(cid))
        .order(skill_suggestions::created_at)
        .select(crate::db::models::SkillSuggestion::as_select())
        .load(conn)?;
    t.insert("skill_suggestions".into(), rows(sugg));
    let regs: Vec<crate::db::models::Registration> =
        registrations::table.filter(registrations::candidate_id.eq(cid)).select(crate::db::models::Registration::as_select()).load(conn)?;
    t.insert("registrations".into(), rows(regs));
    let fp: Vec<(String, String)> = import_fingerprints::table
        .filter(import_fingerprints::candidate_id.eq(cid))
        .select((import_fingerprints::candidate_id, import_fingerprints::fingerprint))
        .load(conn)?;
    t.insert("import_fingerprints".into(), fp.into_iter().map(|(c, f)| json!({"candidate_id": c, "fingerprint": f})).collect());
    Ok(t)
}

/// Rankings for a placement that held the person: the log's facts and only the person's own
/// entry (the other people in the ranking are not the person's data).
fn mentions(conn: &mut DbConnection, cid: &str) -> QueryResult<Vec<Value>> {
    let logs: Vec<ProposalLog> = proposal_logs::table
        .filter(proposal_logs::subject_id.ne(cid))
        .filter(proposal_logs::results.like(format!("%{cid}%")))
        .order(proposal_logs::created_at)
        .select(ProposalLog::as_select())
        .load(conn)?;
    Ok(logs
        .into_iter()
        .filter_map(|l| {
            let results: Vec<Value> = serde_json::from_str(&l.results).ok()?;
            let own = results.into_iter().find(|r| r.get("id").and_then(Value::as_str) == Some(cid))?;
            Some(json!({
                "id": l.id, "direction": l.direction, "subject_id": l.subject_id, "requested_by": l.requested_by,
                "role": l.role, "settings_version": l.settings_version, "created_at": l.created_at, "result": own,
            }))
        })
        .collect())
}

/// The export for the person themself, their klantmanager or a beheerder of the municipality
/// (anyone else: 404, an employer 403); audited as an export.
pub fn export(conn: &mut DbConnection, ctx: &Ctx, cid: &str) -> AppResult<DataExport> {
    let c = authorize_only(conn, ctx.user, cid, Access::Read)?;
    // Another klantmanager of the municipality may read the profile (to stand in), but the
    // complete file goes only to the person's own klantmanager.
    if ctx.user.role == crate::domain::Role::Klantmanager && c.klantmanager_id != ctx.user.id {
        return Err(crate::error::AppError::Forbidden);
    }
    let tables = collect(conn, &c)?;
    let (what, purpose) = match ctx.user.role {
        crate::domain::Role::Kandidaat => ("alle gegevens (inzage, zelf opgevraagd)", audit::purpose::EIGEN_GEGEVENS),
        _ => ("alle gegevens (inzage, voor betrokkene)", audit::purpose::INZAGEVERZOEK),
    };
    audit::one(conn, &Actor::from(ctx.user), &c.id, &c.municipality_id, audit::access(Act::Export, what, purpose))?;
    Ok(DataExport { candidate_id: c.id, generated_at: crate::db::now(), tables })
}

/// One section of the readable page.
pub struct Section {
    pub key: &'static str,
    pub title: &'static str,
    pub about: &'static str,
    /// Each row as (label, value) pairs.
    pub rows: Vec<Vec<(String, String)>>,
}

/// Dutch labels of the columns, in the order the page shows them; a column without a label is
/// shown by its own name after these (so a new column is never hidden).
const LABELS: &[(&str, &str)] = &[
    ("first_name", "Voornaam"),
    ("last_name", "Achternaam"),
    ("email", "E-mail"),
    ("phone", "Telefoon"),
    ("birth_date", "Geboortedatum"),
    ("pc4", "Postcode (cijfers)"),
    ("client_number", "Klantnummer"),
    ("benefit_type", "Uitkering"),
    ("registration_date", "Ingeschreven op"),
    ("status", "Stand"),
    ("education_level", "Opleiding"),
    ("startkwalificatie", "Startkwalificatie"),
    ("language_level", "Taalniveau"),
    ("hours_min", "Uren per week, minstens"),
    ("hours_max", "Uren per week, hoogstens"),
    ("max_travel_km", "Reisafstand (km)"),
    ("driving_licence", "Rijbewijs"),
    ("own_transport", "Eigen vervoer"),
    ("sector_preferences", "Sectoren die u wilt"),
    ("available_from", "Beschikbaar vanaf"),
    ("work_capacity_limits", "Beperkingen bij werk"),
    ("support_needs", "Hulp die u nodig heeft"),
    ("zrm_scores", "Zelfredzaamheid (ZRM)"),
    ("loonwaarde", "Loonwaarde (%)"),
    ("loonwaarde_date", "Loonwaarde gemeten op"),
    ("doelgroepregister", "Doelgroepregister"),
    ("doelgroepregister_route", "Doelgroepregister, route"),
    ("doelgroepregister_date", "Doelgroepregister, datum"),
    ("beschut_werk_indicatie", "Indicatie beschut werk"),
    ("lks_target_group", "Loonkostensubsidie mogelijk"),
    ("needs_job_coach", "Jobcoach nodig"),
    ("statushouder", "Statushouder"),
    ("consent_matching", "Toestemming: werk zoeken"),
    ("consent_anonymous_profile", "Toestemming: profiel zonder naam"),
    ("consent_email", "Toestemming: e-mail"),
    ("outflow_reason", "Reden uitstroom"),
    ("outflow_date", "Datum uitstroom"),
    ("client_group_id", "Klantgroep"),
    ("klantmanager_id", "Klantmanager"),
    ("municipality_id", "Gemeente"),
    ("occupation_id", "Beroep (ESCO)"),
    ("experience", "Ervaring"),
    ("skill_id", "Vaardigheid (ESCO)"),
    ("free_text", "Omschrijving"),
    ("level", "Niveau"),
    ("measured_on", "Gemeten op"),
    ("step", "Trede"),
    ("target_step", "Doel-trede"),
    ("measured_by", "Gemeten door"),
    ("contact_date", "Datum"),
    ("channel", "Hoe"),
    ("by_user_id", "Door"),
    ("note", "Aantekening"),
    ("placement_title", "Plek"),
    ("placement_kind", "Soort werk"),
    ("kind", "Soort"),
    ("due_on", "Uiterlijk op"),
    ("done_at", "Gedaan op"),
    ("result", "Uitkomst"),
    ("subject", "Onderwerp"),
    ("to_address", "Aan"),
    ("body_text", "Tekst"),
    ("sent_at", "Verstuurd op"),
    ("action", "Wat"),
    ("what", "Welke gegevens"),
    ("purpose", "Waarom"),
    ("actor_role", "Rol"),
    ("query", "Zoekopdracht"),
    ("role", "Rol"),
    ("name", "Naam"),
    ("last_login_at", "Laatst ingelogd"),
    ("who", "Wie doet het"),
    ("comment", "Uw opmerking"),
    ("created_at", "Vastgelegd op"),
    ("updated_at", "Gewijzigd op"),
];

fn show(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(true) => "ja".into(),
        Value::Bool(false) => "nee".into(),
        Value::String(s) if s.is_empty() => "—".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The export as the readable page shows it: every section, every column.
pub fn sections(e: &DataExport) -> Vec<Section> {
    SECTIONS
        .iter()
        .map(|(key, title, about)| {
            let rows = e
                .tables
                .get(*key)
                .map(|rows| {
                    rows.iter()
                        .filter_map(Value::as_object)
                        .map(|o| {
                            let mut out: Vec<(String, String)> =
                                LABELS.iter().filter_map(|(k, l)| o.get(*k).map(|v| (l.to_string(), show(v)))).collect();
                            out.extend(o.iter().filter(|(k, _)| !LABELS.iter().any(|(l, _)| l == k)).map(|(k, v)| (k.clone(), show(v))));
                            out
                        })
                        .collect()
                })
                .unwrap_or_default();
            Section { key, title, about, rows }
        })
        .collect()
}

/// [`export`] in its own transaction (the audit entry is written with it), for API and pages.
pub async fn export_for(state: &crate::state::AppState, user: &crate::auth::CurrentUser, cid: &str) -> AppResult<DataExport> {
    let (user, env, cid) = (user.clone(), state.env(), cid.to_string());
    state.tx(move |conn| export(conn, &Ctx::new(&user, &env), &cid)).await
}
