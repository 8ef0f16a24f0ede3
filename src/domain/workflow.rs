//! The lifecycle of a match: which action may move a match from which status to which, and who
//! may take it. Pure rules; the API (and the pages) call `transition` and nothing else decides.
//!
//! ```text
//! proposed --accept--> accepted --interested--> interested --introduce--> introduced
//!    |                    |                         |                        |--start--> started
//!    |--decline--> declined  |--not_interested--> not_interested            |--start_trial--> trial --start / not_started / extend_trial
//!                                                                            |--not_started--> not_started
//! withdraw (klantmanager) from proposed/accepted/interested/introduced --> withdrawn
//! withdraw_consent (candidate) from accepted/interested/introduced --> withdrawn;
//!     from trial/started the status stays, but nothing personal reaches the employer any more.
//! resume_consent (candidate) within `RESUME_DAYS` of withdrawing consent: back to the status
//!     before the withdrawal, with the consent in force again (`transition::apply`).
//! ```

use super::Role;
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum MatchStatus {
    Proposed,
    Declined,
    Accepted,
    NotInterested,
    Interested,
    Introduced,
    Trial,
    Started,
    NotStarted,
    Withdrawn,
}

impl MatchStatus {
    pub const ALL: [MatchStatus; 10] = [
        MatchStatus::Proposed,
        MatchStatus::Declined,
        MatchStatus::Accepted,
        MatchStatus::NotInterested,
        MatchStatus::Interested,
        MatchStatus::Introduced,
        MatchStatus::Trial,
        MatchStatus::Started,
        MatchStatus::NotStarted,
        MatchStatus::Withdrawn,
    ];
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<MatchStatus> {
        s.parse().ok()
    }
    /// Dutch label for pages and e-mails.
    pub fn label_nl(self) -> &'static str {
        match self {
            MatchStatus::Proposed => "Voorgesteld",
            MatchStatus::Declined => "Afgewezen door kandidaat",
            MatchStatus::Accepted => "Kandidaat akkoord",
            MatchStatus::NotInterested => "Werkgever niet geïnteresseerd",
            MatchStatus::Interested => "Werkgever geïnteresseerd",
            MatchStatus::Introduced => "Kennismaking",
            MatchStatus::Trial => "Proefplaatsing",
            MatchStatus::Started => "Gestart",
            MatchStatus::NotStarted => "Niet gestart",
            MatchStatus::Withdrawn => "Ingetrokken",
        }
    }
    /// The status as the candidate reads it (B1, about its own answer as "u").
    pub fn label_for_candidate(self) -> &'static str {
        match self {
            MatchStatus::Proposed => "Wacht op uw antwoord",
            MatchStatus::Declined => "U zei nee",
            MatchStatus::Accepted => "U zei ja. De werkgever kijkt ernaar",
            MatchStatus::NotInterested => "De werkgever koos iemand anders",
            MatchStatus::Interested => "De werkgever wil kennismaken",
            MatchStatus::Introduced => "Kennismaking gepland",
            MatchStatus::Trial => "U werkt op proef",
            MatchStatus::Started => "U bent begonnen",
            MatchStatus::NotStarted => "Niet begonnen",
            MatchStatus::Withdrawn => "Gestopt",
        }
    }
    /// What happens next, for the candidate (B1).
    pub fn next_for_candidate(self) -> &'static str {
        match self {
            MatchStatus::Proposed => "Lees het voorstel. Zeg ja als u wilt kennismaken, of nee als het niets voor u is.",
            MatchStatus::Accepted => {
                "De werkgever ziet nu een profiel zonder uw naam. Wil de werkgever kennismaken? Dan hoort u dat van uw klantmanager."
            }
            MatchStatus::Interested => {
                "Uw klantmanager maakt een afspraak voor de kennismaking. Daarna krijgt de werkgever uw naam en telefoonnummer."
            }
            MatchStatus::Introduced => "Ga naar de kennismaking. Daarna hoort u van uw klantmanager of u kunt beginnen.",
            MatchStatus::Trial => "U werkt op proef en houdt uw uitkering. Uw klantmanager bespreekt met u hoe het gaat.",
            MatchStatus::Started => "U bent begonnen. Uw klantmanager belt u over een paar maanden om te horen hoe het gaat.",
            MatchStatus::Declined | MatchStatus::NotInterested | MatchStatus::NotStarted | MatchStatus::Withdrawn => {
                "Dit voorstel is gestopt. Uw klantmanager zoekt met u verder."
            }
        }
    }
    /// No further transition of the process (a withdrawal of consent is still possible after start).
    pub fn is_closed(self) -> bool {
        matches!(self, MatchStatus::Declined | MatchStatus::NotInterested | MatchStatus::NotStarted | MatchStatus::Withdrawn | MatchStatus::Started)
    }
    /// Ended without (or after withdrawing from) a placement: the same candidate may be proposed
    /// for the same placement again.
    pub fn has_ended(self) -> bool {
        matches!(self, MatchStatus::Declined | MatchStatus::NotInterested | MatchStatus::NotStarted | MatchStatus::Withdrawn)
    }
    /// The statuses of a standing match (not ended), for queries.
    pub fn standing() -> Vec<&'static str> {
        MatchStatus::ALL.into_iter().filter(|s| !s.has_ended()).map(MatchStatus::as_str).collect()
    }
    /// A standing match the candidate has consented to: turning consent off withdraws it.
    pub fn consent_in_force(self) -> bool {
        !self.has_ended() && self != MatchStatus::Proposed
    }
    /// The statuses of `consent_in_force`, for queries.
    pub fn with_consent_in_force() -> Vec<&'static str> {
        MatchStatus::ALL.into_iter().filter(|s| s.consent_in_force()).map(MatchStatus::as_str).collect()
    }
    /// The employer may know of the match once the candidate has consented to an introduction
    /// (`candidate_consented`: the match went through `accepted`; a match withdrawn before that
    /// stays unknown to the employer).
    pub fn visible_to_employer(self, candidate_consented: bool) -> bool {
        candidate_consented && !matches!(self, MatchStatus::Proposed | MatchStatus::Declined)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Accept,
    Decline,
    Interested,
    NotInterested,
    Introduce,
    Start,
    StartTrial,
    ExtendTrial,
    NotStarted,
    Withdraw,
    WithdrawConsent,
    /// The candidate undoes its own withdrawal of consent (within `RESUME_DAYS`).
    ResumeConsent,
}

/// How many days (Europe/Amsterdam) after withdrawing consent a candidate may undo it.
pub const RESUME_DAYS: i64 = 7;

impl Action {
    pub const ALL: [Action; 12] = [
        Action::Accept,
        Action::Decline,
        Action::Interested,
        Action::NotInterested,
        Action::Introduce,
        Action::Start,
        Action::StartTrial,
        Action::ExtendTrial,
        Action::NotStarted,
        Action::Withdraw,
        Action::WithdrawConsent,
        Action::ResumeConsent,
    ];
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<Action> {
        s.parse().ok()
    }
    /// Dutch label for the history of a match.
    pub fn label_nl(self) -> &'static str {
        match self {
            Action::Accept => "Kandidaat zegt ja",
            Action::Decline => "Kandidaat zegt nee",
            Action::Interested => "Werkgever heeft interesse",
            Action::NotInterested => "Werkgever heeft geen interesse",
            Action::Introduce => "Kennismaking bevestigd",
            Action::Start => "Gestart",
            Action::StartTrial => "Proefplaatsing begonnen",
            Action::ExtendTrial => "Proefplaatsing verlengd",
            Action::NotStarted => "Niet gestart",
            Action::Withdraw => "Voorstel ingetrokken",
            Action::WithdrawConsent => "Toestemming ingetrokken",
            Action::ResumeConsent => "Toch doorgegaan (toestemming terug)",
        }
    }

    /// Who may take the action. The candidate's decisions may also be recorded by its
    /// klantmanager (many candidates give consent in a conversation, not in the app); the
    /// employer's answer only by the employer; the introduction (the klantmanager's consent to
    /// disclosure) and the outcome only by the klantmanager.
    pub fn allowed_for(self, role: Role) -> bool {
        match self {
            Action::Accept | Action::Decline | Action::WithdrawConsent | Action::ResumeConsent => {
                matches!(role, Role::Kandidaat | Role::Klantmanager)
            }
            Action::Interested | Action::NotInterested => role == Role::Werkgever,
            Action::Introduce | Action::Start | Action::StartTrial | Action::ExtendTrial | Action::NotStarted | Action::Withdraw => {
                role == Role::Klantmanager
            }
        }
    }
}

/// The status an action leads to from `from`, or None when the action is not allowed there.
pub fn next(from: MatchStatus, action: Action) -> Option<MatchStatus> {
    use Action as A;
    use MatchStatus as S;
    Some(match (from, action) {
        (S::Proposed, A::Accept) => S::Accepted,
        (S::Proposed, A::Decline) => S::Declined,
        (S::Accepted, A::Interested) => S::Interested,
        (S::Accepted, A::NotInterested) => S::NotInterested,
        (S::Interested, A::Introduce) => S::Introduced,
        (S::Introduced, A::Start) | (S::Trial, A::Start) => S::Started,
        (S::Introduced, A::StartTrial) => S::Trial,
        (S::Trial, A::ExtendTrial) => S::Trial,
        (S::Introduced, A::NotStarted) | (S::Trial, A::NotStarted) => S::NotStarted,
        (S::Proposed | S::Accepted | S::Interested | S::Introduced, A::Withdraw) => S::Withdrawn,
        (S::Accepted | S::Interested | S::Introduced, A::WithdrawConsent) => S::Withdrawn,
        // After the start the match stays as it is; the consent flag closes the employer's view.
        (S::Trial, A::WithdrawConsent) => S::Trial,
        (S::Started, A::WithdrawConsent) => S::Started,
        // Resuming depends on the match's history (the status before the withdrawal): decided by
        // `transition::apply`, never by the status alone.
        _ => return None,
    })
}

/// The actions possible from a status, with where they lead.
pub fn allowed(from: MatchStatus) -> Vec<(Action, MatchStatus)> {
    Action::ALL.into_iter().filter_map(|a| next(from, a).map(|s| (a, s))).collect()
}

/// One step of the candidate's journey through a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JourneyStep {
    pub label: String,
    /// done | current | todo | stopped
    pub state: String,
}

/// The steps of a proposal as the candidate sees them (voorstel, uw antwoord, werkgever kijkt,
/// kennismaking, beginnen), from what happened: the first step not done is the current one, or
/// the one where it stopped.
pub fn candidate_journey(status: MatchStatus, accepted: bool, employer_interested: bool, introduced: bool) -> Vec<JourneyStep> {
    let labels =
        ["Voorstel", "Uw antwoord", "Werkgever kijkt", "Kennismaking", if status == MatchStatus::Trial { "Op proef werken" } else { "Beginnen" }];
    let done = [true, accepted, employer_interested, introduced, status == MatchStatus::Started];
    let ended = status.has_ended();
    let mut first_open = true;
    labels
        .iter()
        .zip(done)
        .map(|(l, d)| {
            let state = if d {
                "done"
            } else if first_open {
                first_open = false;
                if ended {
                    "stopped"
                } else {
                    "current"
                }
            } else {
                "todo"
            };
            JourneyStep { label: (*l).into(), state: state.into() }
        })
        .collect()
}

/// Whether the employer may see the candidate's name and contact details: both consents and the
/// employer's interest were given (disclosure happened at the introduction), and the candidate has
/// not withdrawn consent since.
pub fn disclosed(disclosed_at_set: bool, consent_withdrawn: bool) -> bool {
    disclosed_at_set && !consent_withdrawn
}

/// Reasons a match did not start (fixed list, for the monitor).
pub const NOT_STARTED_REASONS: &[(&str, &str)] = &[
    ("kandidaat_ziet_af", "Kandidaat ziet af"),
    ("werkgever_ziet_af", "Werkgever ziet af"),
    ("niet_passend", "Werk past niet bij de kandidaat"),
    ("gezondheid", "Gezondheid of persoonlijke omstandigheden"),
    ("vacature_vervuld", "Vacature al vervuld"),
    ("proefplaatsing_niet_geslaagd", "Proefplaatsing niet geslaagd"),
    ("geen_reactie", "Geen reactie"),
    ("anders", "Andere reden"),
];

/// Contract types of a started match.
pub const CONTRACT_TYPES: &[(&str, &str)] = &[
    ("onbepaalde_tijd", "Vast contract (onbepaalde tijd)"),
    ("bepaalde_tijd", "Tijdelijk contract (bepaalde tijd)"),
    ("detachering", "Detachering"),
    ("leerwerk", "Leerwerkovereenkomst (BBL)"),
    ("beschut_werk", "Dienstverband beschut werk"),
    ("onbetaald", "Onbetaalde plaatsing (behoud van uitkering)"),
];

/// Instruments that can be granted at the start.
pub const INSTRUMENTS: &[&str] = &["loonkostensubsidie", "job_coach", "no_risk_polis", "lkv", "proefplaatsing"];

/// Dutch labels of the instruments (codes of `INSTRUMENTS` and of a proposal's choice).
pub fn instrument_label(code: &str) -> &'static str {
    match code {
        "loonkostensubsidie" => "Loonkostensubsidie",
        "job_coach" => "Jobcoach",
        "no_risk_polis" => "No-riskpolis",
        "lkv" => "Loonkostenvoordeel (LKV)",
        "proefplaatsing" => "Proefplaatsing",
        _ => "Onbekende regeling",
    }
}

pub fn label_of(list: &[(&'static str, &'static str)], code: &str) -> Option<&'static str> {
    list.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// Trial placement (Pw 8a(2)(d)): at most 2 months, extendable once or more to at most 2 + 4 months
/// in all. Returns the message for `trial_end_date` when `end` is beyond the maximum.
pub fn check_trial_end(start: NaiveDate, end: NaiveDate, extension: bool) -> Result<(), String> {
    if end <= start {
        return Err("De einddatum moet na de startdatum liggen.".into());
    }
    let months = if extension { 6 } else { 2 };
    let max = start.checked_add_months(Months::new(months)).unwrap_or(start);
    if end > max {
        return Err(if extension {
            format!("Een proefplaatsing duurt met verlenging ten hoogste 6 maanden: uiterlijk {}.", max.format("%d-%m-%Y"))
        } else {
            format!("Een proefplaatsing duurt eerst ten hoogste 2 maanden (daarna verlengen tot 6): uiterlijk {}.", max.format("%d-%m-%Y"))
        });
    }
    Ok(())
}

/// Due dates of the retention checks after a start: 6 and 12 months.
pub fn retention_checks(start: NaiveDate) -> [(TaskKind, NaiveDate); 2] {
    [
        (TaskKind::Retention6, start.checked_add_months(Months::new(6)).unwrap_or(start)),
        (TaskKind::Retention12, start.checked_add_months(Months::new(12)).unwrap_or(start)),
    ]
}

/// What a klantmanager's task is about; stored as text in `tasks.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum TaskKind {
    /// Follow-up 6 months after a start: does the candidate still work there?
    #[strum(serialize = "retention_6")]
    Retention6,
    /// Follow-up 12 months after a start.
    #[strum(serialize = "retention_12")]
    Retention12,
    /// Record the new ladder step after a start (closed by the next measurement).
    LadderUpdate,
    /// Have the loonwaarde measured before the forfaitaire LKS runs out.
    LoonwaardeMeasurement,
    /// The candidate said "Ik heb interesse" in a placement.
    Interest,
    /// The employer said yes to a proposal: plan the introduction.
    EmployerYes,
    /// The candidate answered a proposal (yes or no): follow it up.
    CandidateAnswer,
    /// A beheerder handed the candidate over to this klantmanager: get acquainted.
    Handover,
    /// A goal of the person's plan for the klantmanager (or both) comes due.
    PlanGoal,
}

impl TaskKind {
    pub const ALL: [TaskKind; 9] = [
        TaskKind::Retention6,
        TaskKind::Retention12,
        TaskKind::LadderUpdate,
        TaskKind::LoonwaardeMeasurement,
        TaskKind::Interest,
        TaskKind::EmployerYes,
        TaskKind::CandidateAnswer,
        TaskKind::Handover,
        TaskKind::PlanGoal,
    ];
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<TaskKind> {
        s.parse().ok()
    }
    /// Short Dutch label for lists.
    pub fn label_nl(self) -> &'static str {
        match self {
            TaskKind::Retention6 => "Nazorg na 6 maanden",
            TaskKind::Retention12 => "Nazorg na 12 maanden",
            TaskKind::LadderUpdate => "Nieuwe trede vastleggen",
            TaskKind::LoonwaardeMeasurement => "Loonwaarde meten (forfaitaire loonkostensubsidie loopt af)",
            TaskKind::Interest => "Kandidaat heeft interesse in een plek",
            TaskKind::EmployerYes => "Werkgever zegt ja: plan de kennismaking",
            TaskKind::CandidateAnswer => "Kandidaat heeft gereageerd op een voorstel",
            TaskKind::Handover => "Overgedragen aan u: maak kennis",
            TaskKind::PlanGoal => "Afspraak uit het plan",
        }
    }
    /// The answers that close a task of this kind (code, Dutch label).
    pub fn results(self) -> &'static [(&'static str, &'static str)] {
        match self {
            TaskKind::Retention6 | TaskKind::Retention12 => &[("in_dienst", "Werkt er nog"), ("uit_dienst", "Werkt er niet meer")],
            TaskKind::LadderUpdate | TaskKind::LoonwaardeMeasurement => &[("vastgelegd", "Vastgelegd")],
            TaskKind::Interest => &[("voorgesteld", "Voorstel gedaan"), ("besproken", "Besproken, geen voorstel")],
            TaskKind::EmployerYes => &[("kennismaking_gepland", "Kennismaking gepland"), ("besproken", "Besproken, geen kennismaking")],
            TaskKind::CandidateAnswer => &[("besproken", "Besproken met de kandidaat")],
            TaskKind::Handover => &[("kennisgemaakt", "Kennisgemaakt")],
            TaskKind::PlanGoal => &[("gedaan", "Gedaan"), ("besproken", "Besproken, nieuwe afspraak")],
        }
    }
    /// What to do, in Dutch.
    pub fn instruction_nl(self) -> &'static str {
        match self {
            TaskKind::Retention6 => "Nazorg na 6 maanden: werkt de kandidaat nog?",
            TaskKind::Retention12 => "Nazorg na 12 maanden: werkt de kandidaat nog?",
            TaskKind::LadderUpdate => "Leg de nieuwe trede op de participatieladder vast",
            TaskKind::LoonwaardeMeasurement => "Laat de loonwaarde op de werkplek meten: de forfaitaire loonkostensubsidie stopt op de vervaldatum",
            TaskKind::Interest => "De kandidaat heeft interesse in een plek: bespreek die en doe eventueel een voorstel",
            TaskKind::EmployerYes => "De werkgever wil de kandidaat leren kennen: plan de kennismaking",
            TaskKind::CandidateAnswer => "De kandidaat heeft ja of nee gezegd op een voorstel: bespreek de volgende stap",
            TaskKind::Handover => "Deze kandidaat is aan u overgedragen: maak kennis en bekijk het dossier",
            TaskKind::PlanGoal => "Een afspraak uit het plan van de kandidaat is bijna aan de beurt: doe het of bespreek het",
        }
    }
}

#[cfg(test)]
mod tests {
    /// The strings stored in the database and sent by the API: derived now (strum), they must
    /// stay what the rows already hold.
    #[test]
    fn stored_strings_do_not_change() {
        let statuses: Vec<&str> = MatchStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            statuses,
            ["proposed", "declined", "accepted", "not_interested", "interested", "introduced", "trial", "started", "not_started", "withdrawn"]
        );
        let actions: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(
            actions,
            [
                "accept",
                "decline",
                "interested",
                "not_interested",
                "introduce",
                "start",
                "start_trial",
                "extend_trial",
                "not_started",
                "withdraw",
                "withdraw_consent",
                "resume_consent"
            ]
        );
        let tasks: Vec<&str> = TaskKind::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            tasks,
            [
                "retention_6",
                "retention_12",
                "ladder_update",
                "loonwaarde_measurement",
                "interest",
                "employer_yes",
                "candidate_answer",
                "handover",
                "plan_goal"
            ]
        );
        for s in statuses.iter().chain(actions.iter()).chain(tasks.iter()) {
            assert!(MatchStatus::parse(s).is_some() || Action::parse(s).is_some() || TaskKind::parse(s).is_some(), "{s} parses back");
        }
        assert_eq!(MatchStatus::parse("Proposed"), None, "unknown values are an error, not a guess");
        let kinds: Vec<&str> = crate::domain::PlacementKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "reguliere_baan",
                "werkervaringsplaats",
                "proefplaatsing",
                "leerwerkplek_bbl",
                "detachering",
                "beschut_werk",
                "vrijwilligerswerk",
                "arbeidsmatige_dagbesteding"
            ]
        );
        let roles: Vec<&str> =
            [crate::domain::Role::Beheerder, crate::domain::Role::Klantmanager, crate::domain::Role::Werkgever, crate::domain::Role::Kandidaat]
                .iter()
                .map(|r| r.as_str())
                .collect();
        assert_eq!(roles, ["beheerder", "klantmanager", "werkgever", "kandidaat"]);
    }

    use super::*;

    #[test]
    fn the_candidate_sees_where_a_proposal_stands() {
        let states = |j: Vec<JourneyStep>| j.into_iter().map(|s| s.state).collect::<Vec<_>>().join(" ");
        assert_eq!(states(candidate_journey(MatchStatus::Proposed, false, false, false)), "done current todo todo todo");
        assert_eq!(states(candidate_journey(MatchStatus::Interested, true, true, false)), "done done done current todo");
        assert_eq!(states(candidate_journey(MatchStatus::Started, true, true, true)), "done done done done done");
        assert_eq!(states(candidate_journey(MatchStatus::Trial, true, true, true)), "done done done done current");
        assert_eq!(states(candidate_journey(MatchStatus::NotInterested, true, false, false)), "done done stopped todo todo");
        assert_eq!(states(candidate_journey(MatchStatus::Declined, false, false, false)), "done stopped todo todo todo");
    }

    #[test]
    fn the_happy_path_and_its_alternatives() {
        use Action as A;
        use MatchStatus as S;
        let path = [(A::Accept, S::Accepted), (A::Interested, S::Interested), (A::Introduce, S::Introduced), (A::Start, S::Started)];
        let mut s = S::Proposed;
        for (a, want) in path {
            s = next(s, a).unwrap_or_else(|| panic!("{a:?} from {s:?}"));
            assert_eq!(s, want);
        }
        assert_eq!(next(S::Proposed, A::Interested), None, "employer cannot answer before the candidate consented");
        assert_eq!(next(S::Accepted, A::Introduce), None, "no disclosure without the employer's interest");
        assert_eq!(next(S::Started, A::Withdraw), None);
        assert_eq!(next(S::Started, A::WithdrawConsent), Some(S::Started));
        assert_eq!(next(S::Introduced, A::StartTrial), Some(S::Trial));
        assert_eq!(next(S::Trial, A::ExtendTrial), Some(S::Trial));
        assert_eq!(next(S::Declined, A::Accept), None);
        let from_proposed: Vec<_> = allowed(S::Proposed).into_iter().map(|(_, s)| s).collect();
        assert_eq!(from_proposed, vec![S::Accepted, S::Declined, S::Withdrawn]);
        assert!(allowed(S::NotStarted).is_empty());
    }

    #[test]
    fn roles() {
        assert!(Action::Accept.allowed_for(Role::Kandidaat));
        assert!(Action::Accept.allowed_for(Role::Klantmanager));
        assert!(!Action::Accept.allowed_for(Role::Werkgever));
        assert!(!Action::Interested.allowed_for(Role::Klantmanager));
        assert!(!Action::Introduce.allowed_for(Role::Werkgever));
        assert!(!Action::Start.allowed_for(Role::Beheerder));
    }

    #[test]
    fn trial_maximum() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(check_trial_end(d("2026-01-15"), d("2026-03-15"), false).is_ok());
        assert!(check_trial_end(d("2026-01-15"), d("2026-03-16"), false).is_err());
        assert!(check_trial_end(d("2026-01-15"), d("2026-07-15"), true).is_ok());
        assert!(check_trial_end(d("2026-01-15"), d("2026-07-16"), true).is_err());
        assert!(check_trial_end(d("2026-01-15"), d("2026-01-15"), false).is_err());
        assert_eq!(retention_checks(d("2026-08-31"))[0].1, d("2027-02-28"));
    }
}

#[cfg(test)]
mod status_set_tests {
    use super::MatchStatus;

    #[test]
    fn status_sets_follow_the_predicates() {
        assert_eq!(MatchStatus::standing(), vec!["proposed", "accepted", "interested", "introduced", "trial", "started"]);
        assert_eq!(MatchStatus::with_consent_in_force(), vec!["accepted", "interested", "introduced", "trial", "started"]);
        for s in MatchStatus::ALL {
            // A match the employer may see is one the candidate consented to at some point.
            if s.consent_in_force() {
                assert!(s.visible_to_employer(true), "{s:?}");
            }
        }
    }
}
