//! What an action does to a match, without a database: whether it may be taken from the match's
//! status, the checks of the fields it needs (a date of introduction not in the past, a wage for
//! paid work, instruments the proposal offers, a trial of at most two months) and the values it
//! sets. The service loads the match, authorises the user, calls `apply`, and writes the result
//! with its event, audit rows, e-mail and tasks in one transaction.

use super::workflow::{self, Action, MatchStatus};
use super::{FieldError, PlacementKind};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

/// An action on a match as asked (API JSON or a page form). `version` is the version the client
/// last saw.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// accept, decline, interested, not_interested, introduce, start, start_trial, extend_trial,
    /// not_started, withdraw, withdraw_consent, resume_consent (undo a withdrawal of consent
    /// within 7 days)
    pub action: String,
    pub version: Option<i32>,
    #[validate(length(max = 1000, message = "Maximaal 1000 tekens."))]
    pub reason: Option<String>,
    pub introduction_date: Option<NaiveDate>,
    pub start_date: Option<NaiveDate>,
    pub trial_end_date: Option<NaiveDate>,
    #[validate(length(max = 50, message = "Hoogstens 50 tekens."))]
    pub contract_type: Option<String>,
    pub hours_per_week: Option<f64>,
    pub hourly_wage_cents: Option<i32>,
    pub instruments_granted: Option<Vec<String>>,
    /// Introduction: time of day, "HH:MM".
    pub introduction_time: Option<String>,
    /// Introduction: where (default: the employer in the placement's place).
    #[validate(length(max = 200, message = "Hoogstens 200 tekens."))]
    pub introduction_place: Option<String>,
    /// Introduction: whom to ask for (default: the employer's contact person).
    #[validate(length(max = 200, message = "Hoogstens 200 tekens."))]
    pub introduction_contact: Option<String>,
}

/// What an action needs to know of the match as it is.
#[derive(Debug, Clone)]
pub struct Before {
    pub status: MatchStatus,
    pub kind: Option<PlacementKind>,
    pub start_date: Option<NaiveDate>,
    pub trial_end_date: Option<NaiveDate>,
    pub consent_withdrawn: bool,
    /// The day (Europe/Amsterdam) consent was withdrawn, and the status the match had just
    /// before: what `resume_consent` goes back to.
    pub withdrawn_on: Option<NaiveDate>,
    pub status_before_withdrawal: Option<MatchStatus>,
    /// What the proposal's package lets the klantmanager grant at the start, for paid work and
    /// for unpaid work.
    pub grantable_paid: Vec<&'static str>,
    pub grantable_unpaid: Vec<&'static str>,
}

/// The introduction agreed (date, and what was filled in of time, place and contact person).
#[derive(Debug, Clone, PartialEq)]
pub struct IntroductionSet {
    pub date: NaiveDate,
    /// "HH:MM"
    pub time: Option<String>,
    pub place: Option<String>,
    pub contact: Option<String>,
}

/// The values an action sets; `None`/`false` leaves a value as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub to: MatchStatus,
    /// The candidate answered (accept or decline) now.
    pub candidate_decided: bool,
    pub candidate_reason: Option<String>,
    /// The employer answered now.
    pub employer_decided: bool,
    pub employer_reason: Option<String>,
    /// The match is closed now (no further step for anybody).
    pub closes: bool,
    pub consent_withdrawn: bool,
    /// The candidate's consent is in force again (its withdrawal undone).
    pub consent_resumed: bool,
    /// A closed match is open again (a withdrawal undone before the start).
    pub reopens: bool,
    /// Introduce: the klantmanager consents to disclosure and the employer learns the name.
    pub introduction: Option<IntroductionSet>,
    pub start_date: Option<NaiveDate>,
    pub trial_end_date: Option<NaiveDate>,
    pub contract_type: Option<String>,
    pub hours_per_week: Option<f64>,
    pub hourly_wage_cents: Option<i32>,
    pub instruments_granted: Option<Vec<String>>,
    pub not_started_reason: Option<String>,
}

impl Change {
    fn to(to: MatchStatus) -> Change {
        Change {
            to,
            candidate_decided: false,
            candidate_reason: None,
            employer_decided: false,
            employer_reason: None,
            closes: false,
            consent_withdrawn: false,
            consent_resumed: false,
            reopens: false,
            introduction: None,
            start_date: None,
            trial_end_date: None,
            contract_type: None,
            hours_per_week: None,
            hourly_wage_cents: None,
            instruments_granted: None,
            not_started_reason: None,
        }
    }
    /// Whether the work is paid once started (the kind is paid and the contract is not the
    /// unpaid placement).
    pub fn paid(&self, kind: Option<PlacementKind>) -> bool {
        kind.map(|k| k.is_paid()).unwrap_or(true) && self.contract_type.as_deref() != Some("onbetaald")
    }
}

/// Why an action cannot be taken.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    /// The action leads nowhere from this status (the allowed ones are in `workflow::allowed`).
    Illegal { from: MatchStatus, action: Action },
    /// It was done before (withdrawing consent twice).
    AlreadyDone(&'static str),
    /// Fields missing or wrong, each with its message.
    Fields(Vec<FieldError>),
    /// It could be done, but no longer (undoing a stop after `RESUME_DAYS`).
    TooLate(String),
}

fn text(x: &Option<String>) -> Option<String> {
    x.as_deref().map(str::trim).filter(|x| !x.is_empty()).map(String::from)
}

/// What `action` does to a match in the state `before`, on `today` (Europe/Amsterdam).
pub fn apply(before: &Before, action: Action, input: &ActionInput, today: NaiveDate) -> Result<Change, Refused> {
    let from = before.status;
    if action == Action::ResumeConsent {
        return resume(before, today);
    }
    let Some(to) = workflow::next(from, action) else {
        return Err(Refused::Illegal { from, action });
    };
    if action == Action::WithdrawConsent && before.consent_withdrawn {
        return Err(Refused::AlreadyDone("De toestemming is al ingetrokken."));
    }
    let mut errs = super::check_date_ranges([
        ("introduction_date", input.introduction_date),
        ("start_date", input.start_date),
        ("trial_end_date", input.trial_end_date),
    ]);
    let mut field = |f: &str, msg: String| errs.push(FieldError::new(f, msg));
    let reason = text(&input.reason);
    let mut c = Change::to(to);
    match action {
        Action::Accept => c.candidate_decided = true,
        Action::Decline => {
            c.candidate_decided = true;
            c.candidate_reason = reason;
            c.closes = true;
        }
        Action::Interested => c.employer_decided = true,
        Action::NotInterested => {
            c.employer_decided = true;
            c.employer_reason = reason;
            c.closes = true;
        }
        Action::Introduce => match input.introduction_date {
            None => field("introduction_date", "Kies de datum van de kennismaking.".into()),
            Some(d) if d < today => field("introduction_date", "De kennismaking kan niet in het verleden liggen.".into()),
            Some(date) => {
                let time = match text(&input.introduction_time).map(|x| chrono::NaiveTime::parse_from_str(&x, "%H:%M")) {
                    Some(Err(_)) => {
                        field("introduction_time", "Vul een tijd in als uu:mm, bijvoorbeeld 10:30.".into());
                        None
                    }
                    Some(Ok(tm)) => Some(tm.format("%H:%M").to_string()),
                    None => None,
                };
                c.introduction =
                    Some(IntroductionSet { date, time, place: text(&input.introduction_place), contact: text(&input.introduction_contact) });
            }
        },
        Action::Start => {
            // After a trial, the start is not before the trial began.
            let min_start = if from == MatchStatus::Trial { before.start_date } else { None };
            match input.start_date {
                None => field("start_date", "Vul de startdatum in.".into()),
                Some(d) if min_start.is_some_and(|s| d < s) => {
                    field("start_date", "De start kan niet vóór het begin van de proefplaatsing liggen.".into())
                }
                Some(d) => c.start_date = Some(d),
            }
            let unpaid_kind = before.kind.is_some_and(|k| !k.is_paid());
            match input.contract_type.as_deref() {
                // Unpaid work (volunteering, dagbesteding, werkervaringsplaats) keeps the benefit.
                None | Some("") if unpaid_kind => c.contract_type = Some("onbetaald".into()),
                Some(t) if unpaid_kind && t != "onbetaald" => {
                    field("contract_type", "Bij deze plek hoort geen arbeidscontract: kies 'Onbetaalde plaatsing (behoud van uitkering)'.".into())
                }
                Some(t) if workflow::label_of(workflow::CONTRACT_TYPES, t).is_some() => c.contract_type = Some(t.into()),
                _ => field(
                    "contract_type",
                    format!("Kies het soort contract: {}.", workflow::CONTRACT_TYPES.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")),
                ),
            }
            match input.hours_per_week {
                Some(h) if h.is_finite() && (1.0..=40.0).contains(&h) => c.hours_per_week = Some(h),
                _ => field("hours_per_week", "Vul het aantal uren per week in (1 tot 40).".into()),
            }
            let paid = c.paid(before.kind);
            match input.hourly_wage_cents {
                Some(w) if w > 0 => c.hourly_wage_cents = Some(w),
                Some(_) => field("hourly_wage_cents", "Het uurloon moet groter dan 0 zijn.".into()),
                None if paid => field("hourly_wage_cents", "Vul het bruto uurloon in voor betaald werk.".into()),
                None => {}
            }
            let granted = input.instruments_granted.clone().unwrap_or_default();
            let grantable = if paid { &before.grantable_paid } else { &before.grantable_unpaid };
            if let Some(bad) = granted.iter().find(|g| !workflow::INSTRUMENTS.contains(&g.as_str())) {
                field("instruments_granted", format!("Onbekende regeling {bad:?}; kies uit: {}.", workflow::INSTRUMENTS.join(", ")));
            } else if let Some(bad) = granted.iter().find(|g| !grantable.contains(&g.as_str())) {
                field(
                    "instruments_granted",
                    if grantable.is_empty() {
                        "Bij deze plaatsing horen geen regelingen (onbetaald werk of geen regeling mogelijk).".to_string()
                    } else {
                        format!(
                            "{} is hier niet mogelijk; wel: {}.",
                            workflow::instrument_label(bad),
                            grantable.iter().map(|g| workflow::instrument_label(g)).collect::<Vec<_>>().join(", ")
                        )
                    },
                );
            }
            c.instruments_granted = Some(granted);
            c.closes = true;
        }
        Action::StartTrial => match (input.start_date, input.trial_end_date) {
            (Some(s), Some(e)) => match workflow::check_trial_end(s, e, false) {
                Ok(()) => {
                    c.start_date = Some(s);
                    c.trial_end_date = Some(e);
                }
                Err(msg) => field("trial_end_date", msg),
            },
            (s, e) => {
                if s.is_none() {
                    field("start_date", "Vul de startdatum van de proefplaatsing in.".into());
                }
                if e.is_none() {
                    field("trial_end_date", "Vul de einddatum van de proefplaatsing in (ten hoogste 2 maanden).".into());
                }
            }
        },
        Action::ExtendTrial => match (before.start_date, input.trial_end_date) {
            (Some(s), Some(e)) => {
                if before.trial_end_date.is_some_and(|old| e <= old) {
                    field("trial_end_date", "De nieuwe einddatum moet na de huidige einddatum liggen.".into());
                } else if let Err(msg) = workflow::check_trial_end(s, e, true) {
                    field("trial_end_date", msg);
                } else {
                    c.trial_end_date = Some(e);
                }
            }
            _ => field("trial_end_date", "Vul de nieuwe einddatum in.".into()),
        },
        Action::NotStarted => match input.reason.as_deref() {
            Some(r) if workflow::label_of(workflow::NOT_STARTED_REASONS, r).is_some() => {
                c.not_started_reason = Some(r.into());
                c.closes = true;
            }
            _ => {
                field("reason", format!("Kies een reden: {}.", workflow::NOT_STARTED_REASONS.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")))
            }
        },
        Action::Withdraw => c.closes = true,
        Action::WithdrawConsent => {
            c.consent_withdrawn = true;
            // Before the start the match ends; in a trial or a job it stays, without the person.
            c.closes = to == MatchStatus::Withdrawn;
        }
        Action::ResumeConsent => unreachable!("handled by resume"),
    }
    if errs.is_empty() {
        Ok(c)
    } else {
        Err(Refused::Fields(errs))
    }
}

/// The last day (Europe/Amsterdam) a withdrawal of consent made on `withdrawn_on` can be undone.
pub fn resume_until(withdrawn_on: NaiveDate) -> NaiveDate {
    withdrawn_on + chrono::Duration::days(workflow::RESUME_DAYS)
}

/// Whether the candidate can still undo its stop on `today`, and the status it goes back to.
pub fn resumable(before: &Before, today: NaiveDate) -> Option<MatchStatus> {
    let on = before.withdrawn_on.filter(|_| before.consent_withdrawn)?;
    if today > resume_until(on) {
        return None;
    }
    // Before the start the match was closed as withdrawn; after it, the status stayed.
    if before.status == MatchStatus::Withdrawn {
        before.status_before_withdrawal.filter(|s| s.consent_in_force())
    } else {
        Some(before.status)
    }
}

/// Undoing a withdrawal of consent: back to where the match was, within `RESUME_DAYS`.
fn resume(before: &Before, today: NaiveDate) -> Result<Change, Refused> {
    let (from, action) = (before.status, Action::ResumeConsent);
    let Some(on) = before.withdrawn_on.filter(|_| before.consent_withdrawn) else {
        return Err(Refused::Illegal { from, action });
    };
    let Some(to) = resumable(before, today) else {
        return if today > resume_until(on) {
            Err(Refused::TooLate(format!(
                "Terugdraaien kon tot en met {}. Wilt u toch verder? Neem contact op met uw klantmanager.",
                super::nl::date_long(resume_until(on))
            )))
        } else {
            Err(Refused::Illegal { from, action })
        };
    };
    let mut c = Change::to(to);
    c.consent_resumed = true;
    c.reopens = from == MatchStatus::Withdrawn;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn before(status: MatchStatus, kind: PlacementKind) -> Before {
        Before {
            status,
            kind: Some(kind),
            start_date: None,
            trial_end_date: None,
            consent_withdrawn: false,
            withdrawn_on: None,
            status_before_withdrawal: None,
            grantable_paid: vec!["loonkostensubsidie", "job_coach"],
            grantable_unpaid: vec!["job_coach"],
        }
    }
    fn input(action: &str) -> ActionInput {
        ActionInput { action: action.into(), version: Some(1), ..Default::default() }
    }
    fn fields(r: Result<Change, Refused>) -> Vec<(String, String)> {
        match r {
            Err(Refused::Fields(f)) => f.into_iter().map(|e| (e.field, e.message)).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }
    const TODAY: &str = "2026-12-07";

    #[test]
    fn an_action_that_leads_nowhere_from_the_status_is_refused() {
        let b = before(MatchStatus::Started, PlacementKind::ReguliereBaan);
        assert_eq!(
            apply(&b, Action::Accept, &input("accept"), d(TODAY)),
            Err(Refused::Illegal { from: MatchStatus::Started, action: Action::Accept })
        );
        let b = before(MatchStatus::Proposed, PlacementKind::ReguliereBaan);
        assert!(matches!(apply(&b, Action::Introduce, &input("introduce"), d(TODAY)), Err(Refused::Illegal { .. })));
    }

    #[test]
    fn answers_record_who_decided_and_a_no_closes_the_match() {
        let b = before(MatchStatus::Proposed, PlacementKind::ReguliereBaan);
        let c = apply(&b, Action::Accept, &input("accept"), d(TODAY)).unwrap();
        assert_eq!((c.to, c.candidate_decided, c.closes), (MatchStatus::Accepted, true, false));
        let mut i = input("decline");
        i.reason = Some("  Te ver weg  ".into());
        let c = apply(&b, Action::Decline, &i, d(TODAY)).unwrap();
        assert_eq!((c.to, c.candidate_reason.as_deref(), c.closes), (MatchStatus::Declined, Some("Te ver weg"), true));
        let b = before(MatchStatus::Accepted, PlacementKind::ReguliereBaan);
        let c = apply(&b, Action::NotInterested, &input("not_interested"), d(TODAY)).unwrap();
        assert_eq!((c.to, c.employer_decided, c.closes), (MatchStatus::NotInterested, true, true));
    }

    #[test]
    fn an_introduction_needs_a_date_not_in_the_past_and_a_real_time() {
        let b = before(MatchStatus::Interested, PlacementKind::ReguliereBaan);
        assert_eq!(fields(apply(&b, Action::Introduce, &input("introduce"), d(TODAY)))[0].0, "introduction_date");
        let mut i = input("introduce");
        i.introduction_date = Some(d("2026-12-06"));
        assert!(fields(apply(&b, Action::Introduce, &i, d(TODAY)))[0].1.contains("verleden"));
        i.introduction_date = Some(d(TODAY));
        i.introduction_time = Some("half elf".into());
        assert_eq!(fields(apply(&b, Action::Introduce, &i, d(TODAY)))[0].0, "introduction_time");
        i.introduction_time = Some("9:05".into());
        i.introduction_place = Some("  ".into());
        i.introduction_contact = Some(" Mw. de Vries ".into());
        let c = apply(&b, Action::Introduce, &i, d(TODAY)).unwrap();
        assert_eq!(
            c.introduction,
            Some(IntroductionSet { date: d(TODAY), time: Some("09:05".into()), place: None, contact: Some("Mw. de Vries".into()) })
        );
        assert_eq!(c.to, MatchStatus::Introduced);
    }

    #[test]
    fn a_start_in_paid_work_needs_contract_hours_wage_and_only_offered_instruments() {
        let b = before(MatchStatus::Introduced, PlacementKind::ReguliereBaan);
        let got = fields(apply(&b, Action::Start, &input("start"), d(TODAY)));
        let names: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(names, ["start_date", "contract_type", "hours_per_week", "hourly_wage_cents"]);
        let mut i = input("start");
        i.start_date = Some(d("2027-01-04"));
        i.contract_type = Some("bepaalde_tijd".into());
        i.hours_per_week = Some(24.0);
        i.hourly_wage_cents = Some(1450);
        i.instruments_granted = Some(vec!["no_risk_polis".into()]);
        let got = fields(apply(&b, Action::Start, &i, d(TODAY)));
        assert_eq!(got[0].0, "instruments_granted");
        assert!(got[0].1.contains("wel: Loonkostensubsidie"), "{}", got[0].1);
        i.instruments_granted = Some(vec!["loonkostensubsidie".into()]);
        let c = apply(&b, Action::Start, &i, d(TODAY)).unwrap();
        assert_eq!((c.to, c.closes, c.hourly_wage_cents, c.paid(b.kind)), (MatchStatus::Started, true, Some(1450), true));
        i.hours_per_week = Some(41.0);
        assert_eq!(fields(apply(&b, Action::Start, &i, d(TODAY)))[0].0, "hours_per_week");
    }

    #[test]
    fn unpaid_work_starts_without_a_contract_or_wage_and_keeps_the_benefit() {
        let b = before(MatchStatus::Introduced, PlacementKind::Vrijwilligerswerk);
        let mut i = input("start");
        i.start_date = Some(d("2027-01-04"));
        i.hours_per_week = Some(8.0);
        let c = apply(&b, Action::Start, &i, d(TODAY)).unwrap();
        assert_eq!((c.contract_type.as_deref(), c.paid(b.kind)), (Some("onbetaald"), false));
        i.contract_type = Some("bepaalde_tijd".into());
        assert_eq!(fields(apply(&b, Action::Start, &i, d(TODAY)))[0].0, "contract_type");
        // Only what unpaid work allows.
        i.contract_type = None;
        i.instruments_granted = Some(vec!["loonkostensubsidie".into()]);
        assert_eq!(fields(apply(&b, Action::Start, &i, d(TODAY)))[0].0, "instruments_granted");
    }

    #[test]
    fn a_trial_lasts_at_most_two_months_and_the_start_after_it_not_before_it() {
        let b = before(MatchStatus::Introduced, PlacementKind::ReguliereBaan);
        let mut i = input("start_trial");
        i.start_date = Some(d("2027-01-04"));
        i.trial_end_date = Some(d("2027-03-15"));
        assert_eq!(fields(apply(&b, Action::StartTrial, &i, d(TODAY)))[0].0, "trial_end_date");
        i.trial_end_date = Some(d("2027-03-04"));
        let c = apply(&b, Action::StartTrial, &i, d(TODAY)).unwrap();
        assert_eq!((c.to, c.start_date, c.trial_end_date), (MatchStatus::Trial, Some(d("2027-01-04")), Some(d("2027-03-04"))));
        let mut t = before(MatchStatus::Trial, PlacementKind::ReguliereBaan);
        t.start_date = Some(d("2027-01-04"));
        t.trial_end_date = Some(d("2027-03-04"));
        let mut e = input("extend_trial");
        e.trial_end_date = Some(d("2027-02-01"));
        assert!(fields(apply(&t, Action::ExtendTrial, &e, d(TODAY)))[0].1.contains("na de huidige einddatum"));
        let mut s = input("start");
        s.start_date = Some(d("2027-01-01"));
        s.contract_type = Some("bepaalde_tijd".into());
        s.hours_per_week = Some(20.0);
        s.hourly_wage_cents = Some(1500);
        assert!(fields(apply(&t, Action::Start, &s, d(TODAY)))[0].1.contains("vóór het begin van de proefplaatsing"));
    }

    #[test]
    fn not_started_needs_a_listed_reason() {
        let b = before(MatchStatus::Introduced, PlacementKind::ReguliereBaan);
        let mut i = input("not_started");
        i.reason = Some("zomaar".into());
        assert_eq!(fields(apply(&b, Action::NotStarted, &i, d(TODAY)))[0].0, "reason");
        i.reason = Some(workflow::NOT_STARTED_REASONS[0].0.into());
        let c = apply(&b, Action::NotStarted, &i, d(TODAY)).unwrap();
        assert_eq!((c.to, c.closes, c.not_started_reason.as_deref()), (MatchStatus::NotStarted, true, Some(workflow::NOT_STARTED_REASONS[0].0)));
    }

    #[test]
    fn a_stop_can_be_undone_for_seven_days_back_to_where_the_match_was() {
        // Withdrawn before the start, on 1 December: back to "interested", open again.
        let mut b = before(MatchStatus::Withdrawn, PlacementKind::ReguliereBaan);
        b.consent_withdrawn = true;
        b.withdrawn_on = Some(d("2026-12-01"));
        b.status_before_withdrawal = Some(MatchStatus::Interested);
        let c = apply(&b, Action::ResumeConsent, &input("resume_consent"), d("2026-12-08")).unwrap();
        assert_eq!((c.to, c.consent_resumed, c.reopens, c.closes), (MatchStatus::Interested, true, true, false));
        // The eighth day is too late, with the last day named.
        match apply(&b, Action::ResumeConsent, &input("resume_consent"), d("2026-12-09")) {
            Err(Refused::TooLate(msg)) => assert!(msg.contains("8 december 2026"), "{msg}"),
            other => panic!("expected too late, got {other:?}"),
        }
        // Withdrawn by the klantmanager (no consent withdrawn): nothing to undo.
        let mut k = before(MatchStatus::Withdrawn, PlacementKind::ReguliereBaan);
        k.status_before_withdrawal = Some(MatchStatus::Interested);
        assert!(matches!(apply(&k, Action::ResumeConsent, &input("resume_consent"), d(TODAY)), Err(Refused::Illegal { .. })));
        // In a job the status stays and only the consent comes back.
        let mut s = before(MatchStatus::Started, PlacementKind::ReguliereBaan);
        s.consent_withdrawn = true;
        s.withdrawn_on = Some(d(TODAY));
        let c = apply(&s, Action::ResumeConsent, &input("resume_consent"), d(TODAY)).unwrap();
        assert_eq!((c.to, c.consent_resumed, c.reopens), (MatchStatus::Started, true, false));
        assert_eq!(resumable(&s, d(TODAY)), Some(MatchStatus::Started));
    }

    #[test]
    fn withdrawn_consent_ends_a_match_before_the_start_keeps_a_job_and_cannot_be_withdrawn_twice() {
        let b = before(MatchStatus::Interested, PlacementKind::ReguliereBaan);
        let c = apply(&b, Action::WithdrawConsent, &input("withdraw_consent"), d(TODAY)).unwrap();
        assert_eq!((c.to, c.closes, c.consent_withdrawn), (MatchStatus::Withdrawn, true, true));
        let mut s = before(MatchStatus::Started, PlacementKind::ReguliereBaan);
        let c = apply(&s, Action::WithdrawConsent, &input("withdraw_consent"), d(TODAY)).unwrap();
        assert_eq!((c.to, c.closes, c.consent_withdrawn), (MatchStatus::Started, false, true));
        s.consent_withdrawn = true;
        assert!(matches!(apply(&s, Action::WithdrawConsent, &input("withdraw_consent"), d(TODAY)), Err(Refused::AlreadyDone(_))));
    }
}
