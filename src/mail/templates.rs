//! The messages the platform sends, each with a plain-text and an HTML template under
//! `templates/email/` (Dutch; messages to candidates in plain language, level B1).
//!
//! Privacy: `ProposalEmployer` is the only message an employer gets before disclosure, and its
//! fields hold no name, contact data, address or birth date, only the anonymous profile.

use askama::Template;

/// A message that can be rendered.
pub trait Mail {
    fn kind(&self) -> &'static str;
    fn subject(&self) -> String;
    /// (plain text, HTML)
    fn render(&self) -> askama::Result<(String, String)>;
}

macro_rules! mail {
    ($data:ident, $kind:literal, $text:ident, $html:ident, |$s:ident| $subject:expr) => {
        impl Mail for $data {
            fn kind(&self) -> &'static str {
                $kind
            }
            fn subject(&self) -> String {
                let $s = self;
                $subject
            }
            fn render(&self) -> askama::Result<(String, String)> {
                Ok(($text { m: self }.render()?, $html { m: self }.render()?))
            }
        }
    };
}

/// 1. To the candidate: a klantmanager proposes a placement.
#[derive(Debug, Clone)]
pub struct ProposalCandidate {
    pub name: String,
    pub placement_title: String,
    pub kind: String,
    pub employer: String,
    pub place: String,
    pub hours: String,
    pub klantmanager: String,
    pub note: String,
    pub link: String,
}
#[derive(Template)]
#[template(path = "email/proposal_candidate.txt")]
struct ProposalCandidateText<'a> {
    m: &'a ProposalCandidate,
}
#[derive(Template)]
#[template(path = "email/proposal_candidate.html")]
struct ProposalCandidateHtml<'a> {
    m: &'a ProposalCandidate,
}
mail!(ProposalCandidate, "proposal_candidate", ProposalCandidateText, ProposalCandidateHtml, |m| format!("Voorstel voor u: {}", m.placement_title));

/// 2. To the klantmanager: the candidate consented (or declined).
#[derive(Debug, Clone)]
pub struct ConsentKlantmanager {
    pub name: String,
    pub candidate_name: String,
    pub accepted: bool,
    pub reason: String,
    pub placement_title: String,
    pub employer: String,
    pub link: String,
}
#[derive(Template)]
#[template(path = "email/consent_klantmanager.txt")]
struct ConsentKlantmanagerText<'a> {
    m: &'a ConsentKlantmanager,
}
#[derive(Template)]
#[template(path = "email/consent_klantmanager.html")]
struct ConsentKlantmanagerHtml<'a> {
    m: &'a ConsentKlantmanager,
}
mail!(ConsentKlantmanager, "consent_klantmanager", ConsentKlantmanagerText, ConsentKlantmanagerHtml, |m| format!(
    "{} {} het voorstel {}",
    m.candidate_name,
    if m.accepted { "accepteert" } else { "wijst af:" },
    m.placement_title
));

/// 3. To the employer: an anonymous candidate is proposed (the candidate has consented).
#[derive(Debug, Clone)]
pub struct ProposalEmployer {
    pub contact_name: String,
    pub placement_title: String,
    pub reference: String,
    pub occupations: Vec<String>,
    pub skills: Vec<String>,
    pub ladder_step: String,
    pub hours: String,
    pub distance_band: String,
    pub instruments: Vec<String>,
    pub net_cost: String,
    pub link: String,
}
#[derive(Template)]
#[template(path = "email/proposal_employer.txt")]
struct ProposalEmployerText<'a> {
    m: &'a ProposalEmployer,
}
#[derive(Template)]
#[template(path = "email/proposal_employer.html")]
struct ProposalEmployerHtml<'a> {
    m: &'a ProposalEmployer,
}
mail!(ProposalEmployer, "proposal_employer", ProposalEmployerText, ProposalEmployerHtml, |m| format!(
    "Kandidaat {} voorgesteld voor {}",
    m.reference, m.placement_title
));

/// 4a. To the employer at disclosure: name and contact details, introduction date.
#[derive(Debug, Clone)]
pub struct IntroductionEmployer {
    pub contact_name: String,
    pub placement_title: String,
    pub reference: String,
    pub candidate_name: String,
    pub candidate_email: String,
    pub candidate_phone: String,
    pub introduction_date: String,
    pub place: String,
    pub klantmanager: String,
    pub klantmanager_email: String,
    pub link: String,
}
#[derive(Template)]
#[template(path = "email/introduction_employer.txt")]
struct IntroductionEmployerText<'a> {
    m: &'a IntroductionEmployer,
}
#[derive(Template)]
#[template(path = "email/introduction_employer.html")]
struct IntroductionEmployerHtml<'a> {
    m: &'a IntroductionEmployer,
}
mail!(IntroductionEmployer, "introduction_employer", IntroductionEmployerText, IntroductionEmployerHtml, |m| format!(
    "Kennismaking op {}: {}",
    m.introduction_date, m.placement_title
));

/// 4b. To the candidate at disclosure.
#[derive(Debug, Clone)]
pub struct IntroductionCandidate {
    pub name: String,
    pub placement_title: String,
    pub employer: String,
    pub contact_name: String,
    pub place: String,
    pub introduction_date: String,
    pub klantmanager: String,
    pub link: String,
}
#[derive(Template)]
#[template(path = "email/introduction_candidate.txt")]
struct IntroductionCandidateText<'a> {
    m: &'a IntroductionCandidate,
}
#[derive(Template)]
#[template(path = "email/introduction_candidate.html")]
struct IntroductionCandidateHtml<'a> {
    m: &'a IntroductionCandidate,
}
mail!(IntroductionCandidate, "introduction_candidate", IntroductionCandidateText, IntroductionCandidateHtml, |m| format!(
    "Kennismaking bij {} op {}",
    m.employer, m.introduction_date
));

/// 5. The outcome, to candidate and employer.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub name: String,
    pub placement_title: String,
    /// Who it is about, as the recipient may know it (name after disclosure, else reference).
    pub about: String,
    pub outcome: String,
    pub details: Vec<String>,
    pub link: String,
    pub to_candidate: bool,
}
#[derive(Template)]
#[template(path = "email/outcome.txt")]
struct OutcomeText<'a> {
    m: &'a Outcome,
}
#[derive(Template)]
#[template(path = "email/outcome.html")]
struct OutcomeHtml<'a> {
    m: &'a Outcome,
}
mail!(Outcome, "outcome", OutcomeText, OutcomeHtml, |m| format!("{}: {}", m.outcome, m.placement_title));

/// 6. To the klantmanager: a retention check is due.
#[derive(Debug, Clone)]
pub struct RetentionReminder {
    pub name: String,
    pub candidate_name: String,
    pub placement_title: String,
    pub employer: String,
    pub check: String,
    pub due: String,
    pub link: String,
}
#[derive(Template)]
#[template(path = "email/retention_reminder.txt")]
struct RetentionReminderText<'a> {
    m: &'a RetentionReminder,
}
#[derive(Template)]
#[template(path = "email/retention_reminder.html")]
struct RetentionReminderHtml<'a> {
    m: &'a RetentionReminder,
}
mail!(RetentionReminder, "retention_reminder", RetentionReminderText, RetentionReminderHtml, |m| format!("Nazorg: {} bij {}", m.check, m.employer));

/// 7. Weekly, to the klantmanager: candidates without a personal contact in the last 12 months.
#[derive(Debug, Clone)]
pub struct ContactDigest {
    pub name: String,
    /// (candidate name, last contact or "nooit", link)
    pub rows: Vec<(String, String, String)>,
    pub week: String,
    pub link: String,
}
#[derive(Template)]
#[template(path = "email/contact_digest.txt")]
struct ContactDigestText<'a> {
    m: &'a ContactDigest,
}
#[derive(Template)]
#[template(path = "email/contact_digest.html")]
struct ContactDigestHtml<'a> {
    m: &'a ContactDigest,
}
mail!(ContactDigest, "contact_digest", ContactDigestText, ContactDigestHtml, |m| format!(
    "{} kandidaten zonder contact in het afgelopen jaar (week {})",
    m.rows.len(),
    m.week
));

/// 8. To the candidate: new placements that fit the saved search.
#[derive(Debug, Clone)]
pub struct PlacementDigest {
    pub name: String,
    /// (title, kind, employer, place, hours, link)
    pub rows: Vec<PlacementLine>,
    pub link: String,
    pub stop_link: String,
}
#[derive(Debug, Clone)]
pub struct PlacementLine {
    pub title: String,
    pub kind: String,
    pub employer: String,
    pub place: String,
    pub hours: String,
    pub link: String,
}
#[derive(Template)]
#[template(path = "email/placement_digest.txt")]
struct PlacementDigestText<'a> {
    m: &'a PlacementDigest,
}
#[derive(Template)]
#[template(path = "email/placement_digest.html")]
struct PlacementDigestHtml<'a> {
    m: &'a PlacementDigest,
}
mail!(PlacementDigest, "placement_digest", PlacementDigestText, PlacementDigestHtml, |m| if m.rows.len() == 1 {
    "Er is 1 nieuwe plek voor u".to_string()
} else {
    format!("Er zijn {} nieuwe plekken voor u", m.rows.len())
});

/// Ninth: to an account holder, on registration, on a registration attempt with an existing
/// address, or for a password reset. One plain message with an optional link.
#[derive(Debug, Clone)]
pub struct AccountMail {
    pub kind: &'static str,
    pub subject: String,
    pub name: String,
    pub paragraphs: Vec<String>,
    pub link: String,
    pub link_text: String,
}
#[derive(Template)]
#[template(path = "email/account.txt")]
struct AccountText<'a> {
    m: &'a AccountMail,
}
#[derive(Template)]
#[template(path = "email/account.html")]
struct AccountHtml<'a> {
    m: &'a AccountMail,
}
impl Mail for AccountMail {
    fn kind(&self) -> &'static str {
        self.kind
    }
    fn subject(&self) -> String {
        self.subject.clone()
    }
    fn render(&self) -> askama::Result<(String, String)> {
        Ok((AccountText { m: self }.render()?, AccountHtml { m: self }.render()?))
    }
}

/// To the klantmanager: a candidate of the caseload said "Ik heb interesse" in a placement.
#[derive(Debug, Clone)]
pub struct InterestKlantmanager {
    pub name: String,
    pub candidate_name: String,
    pub placement_title: String,
    pub kind: String,
    pub employer: String,
    pub place: String,
    pub due: String,
    pub link: String,
}
#[derive(Template)]
#[template(path = "email/interest_klantmanager.txt")]
struct InterestKlantmanagerText<'a> {
    m: &'a InterestKlantmanager,
}
#[derive(Template)]
#[template(path = "email/interest_klantmanager.html")]
struct InterestKlantmanagerHtml<'a> {
    m: &'a InterestKlantmanager,
}
mail!(InterestKlantmanager, "interest_klantmanager", InterestKlantmanagerText, InterestKlantmanagerHtml, |m| format!(
    "{} heeft interesse in {}",
    m.candidate_name, m.placement_title
));
