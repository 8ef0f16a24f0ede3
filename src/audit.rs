//! The audit log of access to candidates' personal data: who (user, role, organisation), when,
//! which candidate, what, for which purpose, through which channel. Written in the same
//! transaction as the access where that is a change; a read writes its entry before the data
//! leaves the server.

use crate::auth::CurrentUser;
use crate::db::models::AuditEntry;
use crate::db::schema::audit_log;
use crate::db::{new_id, now, DbConnection};
use diesel::prelude::*;

/// Who accessed the data.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<String>,
    pub role: String,
    pub organisation_id: Option<String>,
    /// The door the actor came through (API, page, or e-mail for the platform's own jobs).
    pub channel: Channel,
}

impl Actor {
    /// A caseload import from the client system, run by the municipality's IT department.
    pub fn importer() -> Actor {
        Actor { id: None, role: "systeem".into(), organisation_id: None, channel: Channel::Import }
    }

    /// The platform itself (background jobs, e-mail).
    pub fn system() -> Actor {
        Actor { id: None, role: "systeem".into(), organisation_id: None, channel: Channel::Email }
    }
}

impl From<&CurrentUser> for Actor {
    fn from(u: &CurrentUser) -> Actor {
        Actor { id: Some(u.id.clone()), role: u.role.as_str().into(), organisation_id: u.organisation_id.clone(), channel: u.channel }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Act {
    View,
    Create,
    Update,
    Delete,
    Email,
    Disclose,
    Erase,
    Export,
}

impl Act {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

pub use crate::auth::Channel;

/// Dutch labels of the audit log's codes, for the beheerder's page.
pub const ACT_LABELS: &[(&str, &str)] = &[
    ("view", "Bekeken"),
    ("create", "Aangemaakt"),
    ("update", "Gewijzigd"),
    ("delete", "Verwijderd"),
    ("email", "E-mail verstuurd"),
    ("disclose", "Doorgegeven aan werkgever"),
    ("erase", "Gewist"),
    ("export", "Geëxporteerd"),
];

/// What an audit entry names, in plain words for the person it is about (B1): the entries are
/// written for staff ("naam, trede en klantgroep (caseload)").
pub fn what_b1(what: &str) -> String {
    let known: &[(&str, &str)] = &[
        ("naam, trede en klantgroep (caseload)", "uw naam en uw stap, in de lijst van uw klantmanager"),
        ("profiel, trede en contactmomenten", "uw gegevens, uw stap en uw gesprekken"),
        ("profiel (passend werk zoeken)", "uw gegevens, om passend werk te zoeken"),
        ("profiel (bewerken)", "uw gegevens (veranderd)"),
        ("profiel (voorstel doen)", "uw gegevens, voor een voorstel"),
        ("profiel", "uw gegevens"),
        ("laddermetingen", "uw stappen op de participatieladder"),
        ("contactmomenten", "uw gesprekken met de gemeente"),
        ("toestemmingen", "waar u toestemming voor gaf"),
        ("voorstel (match)", "een voorstel voor werk"),
        ("naam (taak)", "uw naam, in een taak van uw klantmanager"),
        ("naam en contactgegevens aan werkgever", "uw naam en hoe de werkgever u kan bereiken, doorgegeven aan de werkgever"),
        ("klantmanager (overdracht)", "wie uw klantmanager is (u heeft een andere klantmanager)"),
        ("interesse in een plek", "dat u interesse heeft in een plek"),
        ("plan van aanpak", "uw plan"),
        ("nazorg", "hoe het gaat in uw werk"),
    ];
    known.iter().find(|(k, _)| *k == what).map(|(_, b)| b.to_string()).unwrap_or_else(|| what.to_string())
}

pub fn act_label(code: &str) -> &'static str {
    ACT_LABELS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("Anders")
}

pub fn channel_label(code: &str) -> &'static str {
    match code {
        "api" => "API (koppeling)",
        "page" => "Website",
        "email" => "E-mail",
        "export" => "Export",
        "import" => "Import uit het cliëntsysteem",
        "" => "–",
        _ => "Anders",
    }
}

/// One access to describe: what (e.g. "profiel", "anoniem profiel") and why (e.g. "begeleiding").
#[derive(Debug, Clone, Copy)]
pub struct Access<'a> {
    pub act: Act,
    pub what: &'a str,
    pub purpose: &'a str,
    /// None: the channel of the actor's request (so a service shared by API and pages records
    /// the real one).
    pub channel: Option<Channel>,
}

/// The entries of one access, one per candidate. `subjects` are (candidate id, municipality id).
pub fn entries(actor: &Actor, subjects: &[(&str, Option<&str>)], a: Access<'_>) -> Vec<AuditEntry> {
    let t = now();
    subjects
        .iter()
        .map(|(cid, mid)| AuditEntry {
            id: new_id(),
            actor_id: actor.id.clone(),
            actor_role: actor.role.clone(),
            organisation_id: actor.organisation_id.clone(),
            candidate_id: (*cid).to_string(),
            municipality_id: mid.map(String::from),
            action: a.act.as_str().into(),
            what: a.what.into(),
            purpose: a.purpose.into(),
            channel: a.channel.unwrap_or(actor.channel),
            created_at: t,
        })
        .collect()
}

/// Writes one entry per candidate. `subjects` are (candidate id, municipality id).
pub fn record(conn: &mut DbConnection, actor: &Actor, subjects: &[(&str, Option<&str>)], a: Access<'_>) -> QueryResult<()> {
    if subjects.is_empty() {
        return Ok(());
    }
    let rows = entries(actor, subjects, a);
    crate::insert_all!(conn, audit_log::table, &rows)?;
    Ok(())
}

/// Shorthand for one candidate.
pub fn one(conn: &mut DbConnection, actor: &Actor, candidate_id: &str, municipality_id: &str, a: Access<'_>) -> QueryResult<()> {
    record(conn, actor, &[(candidate_id, Some(municipality_id))], a)
}

/// The subject of an entry about a list (accounts, the audit log itself): not one person.
pub const LIST_SUBJECT: &str = "lijst";

/// A list that shows personal data of many people (names of accounts), logged once as a list
/// view: `what` says which list and how many people it held. It does not appear in each
/// person's own "who saw my data" (that lists the accesses to the person's record).
pub fn list_view(conn: &mut DbConnection, actor: &Actor, municipality_id: &str, what: &str, purpose: &str) -> QueryResult<()> {
    record(conn, actor, &[(LIST_SUBJECT, Some(municipality_id))], Access { act: Act::View, what, purpose, channel: None })
}

/// Deletes entries older than the retention period (at least 6 months; see config).
pub fn purge(conn: &mut DbConnection, retention_days: i64) -> QueryResult<usize> {
    let cutoff = now() - chrono::Duration::days(retention_days.max(183));
    diesel::delete(audit_log::table.filter(audit_log::created_at.lt(cutoff))).execute(conn)
}

impl<'a> Access<'a> {
    pub fn with_what(self, what: &'a str) -> Access<'a> {
        Access { what, ..self }
    }
}

/// A message about the person sent by e-mail.
pub const fn emailed(what: &'static str, purpose: &'static str) -> Access<'static> {
    Access { act: Act::Email, what, purpose, channel: Some(Channel::Email) }
}

/// An access through the actor's own channel.
pub const fn access(act: Act, what: &'static str, purpose: &'static str) -> Access<'static> {
    Access { act, what, purpose, channel: None }
}

/// Purposes, in Dutch as the candidate reads them.
pub mod purpose {
    pub const BEGELEIDING: &str = "begeleiding naar werk";
    pub const MATCHING: &str = "zoeken naar passend werk";
    pub const BEMIDDELING: &str = "voorstel en kennismaking";
    pub const EIGEN_GEGEVENS: &str = "inzage eigen gegevens";
    pub const BERICHT: &str = "bericht over uw voorstel";
    pub const BEHEER: &str = "beheer";
    pub const VERWIJDERING: &str = "verwijdering op verzoek";
    pub const INZAGEVERZOEK: &str = "inzageverzoek van betrokkene";
}
