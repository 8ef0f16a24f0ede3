//! The e-mail an action on a match causes, to the candidate, the employer and the klantmanager,
//! each with only what it may know, and an audit row for every message about the person.

use super::view::introduction_of;
use super::{candidate_recipient, date_nl, full_name, link, org_recipient, Chosen};
use crate::audit::{self, Act, Actor};
use crate::db::models::{Candidate, Match, Organisation, Placement};
use crate::db::queries::candidate_full;
use crate::db::schema::{organisations, placements};
use crate::db::DbConnection;
use crate::domain::euros;
use crate::domain::workflow::{self, Action, MatchStatus};
use crate::engine::matching::InstrumentPackage;
use crate::error::{AppError, AppResult};
use crate::mail::{self, templates as mt, Recipient};
use crate::service::employer_view::anonymous_profile;
use crate::service::Ctx;
use diesel::prelude::*;

pub(super) fn instrument_lines(p: &InstrumentPackage, chosen: &Chosen) -> Vec<String> {
    let mut v = Vec::new();
    if chosen.loonkostensubsidie {
        if let Some(l) = &p.loonkostensubsidie {
            v.push(format!("Loonkostensubsidie: {} per maand", euros(l.amount_cents)));
        }
    }
    if chosen.job_coach {
        v.push(format!("Jobcoach: ongeveer {:.0} uur in het eerste jaar", p.job_coach.year1_hours));
    }
    if chosen.proefplaatsing {
        v.push(format!("Proefplaatsing met behoud van uitkering (ten hoogste {} maanden)", p.trial_placement_max_months));
    }
    if chosen.no_risk_polis {
        v.push("No-riskpolis: bij ziekte betaalt UWV het loon".into());
    }
    if let Some(l) = p.lkv_per_year_cents {
        v.push(format!("Loonkostenvoordeel (LKV): tot {} per jaar", euros(l)));
    }
    if v.is_empty() {
        v.push("Geen financiële regelingen gekozen; uw contactpersoon bij de gemeente helpt u verder".into());
    }
    v
}

/// The e-mail an action causes (inside the same transaction).
pub(super) fn notify(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    m: &Match,
    cand: &Candidate,
    from: MatchStatus,
    action: Action,
) -> AppResult<()> {
    let (user, _today) = (ctx.user, ctx.today);
    let org: Option<Organisation> = match &m.organisation_id {
        Some(o) => organisations::table.find(o).select(Organisation::as_select()).first(conn).optional()?,
        None => None,
    };
    let placement: Option<Placement> = match &m.placement_id {
        Some(p) => placements::table.find(p).select(Placement::as_select()).first(conn).optional()?,
        None => None,
    };
    let km = crate::mail::user_recipient(conn, m.klantmanager_id.as_deref().or(Some(cand.klantmanager_id.as_str())))?;
    let employer_name = org.as_ref().map(|o| o.name.clone()).unwrap_or_default();
    let reference = ctx.keys.pseudonym(m.placement_id.as_deref().unwrap_or(""), &cand.id);
    let url = link(ctx.keys, &m.id);
    let enqueue = |conn: &mut DbConnection, to: &Recipient, mail: &dyn mail::Mail, what: &'static str| -> AppResult<()> {
        crate::service::mail_about(conn, actor, (&cand.id, &cand.municipality_id), to, mail, what, audit::purpose::BERICHT)
    };
    // The candidate's answer to its klantmanager; the klantmanager who recorded it needs no e-mail.
    let tell_klantmanager = |accepted: bool, reason: String, what: &'static str, conn: &mut DbConnection| -> AppResult<()> {
        match &km {
            Some((u, to)) if u.id != user.id => {
                let mail = mt::ConsentKlantmanager {
                    name: u.name.clone(),
                    candidate_name: full_name(cand),
                    accepted,
                    reason,
                    placement_title: m.placement_title.clone(),
                    employer: employer_name.clone(),
                    link: url.clone(),
                };
                enqueue(conn, to, &mail, what)
            }
            _ => Ok(()),
        }
    };
    let disclosed = workflow::disclosed(m.disclosed_at.is_some(), m.consent_withdrawn_at.is_some());
    match action {
        Action::Accept | Action::Decline => {
            let reason = m.candidate_reason.clone().unwrap_or_default();
            tell_klantmanager(action == Action::Accept, reason, "reactie kandidaat aan klantmanager", conn)?;
            if action == Action::Accept {
                if let (Some(o), Some(p)) = (&org, &placement) {
                    let c = candidate_full(conn, &cand.id)?.ok_or(AppError::NotFound)?;
                    let prof = anonymous_profile(ctx.keys, ctx.refdata, p, &c);
                    let chosen: Chosen = serde_json::from_str(&m.instruments).unwrap_or_default();
                    let pkg: Option<InstrumentPackage> = serde_json::from_str(&m.package).ok();
                    let mail = mt::ProposalEmployer {
                        contact_name: o.contact_name.clone(),
                        placement_title: m.placement_title.clone(),
                        reference: prof.reference.clone(),
                        occupations: prof.occupations.iter().map(|x| x.label.clone()).collect(),
                        skills: prof.skills_nl.clone(),
                        ladder_step: prof.ladder_step.map(|s| s.to_string()).unwrap_or_else(|| "onbekend".into()),
                        hours: crate::domain::nl::hours(prof.hours_min, prof.hours_max),
                        distance_band: prof.distance_band.clone().unwrap_or_else(|| "onbekend".into()),
                        instruments: pkg.as_ref().map(|p| instrument_lines(p, &chosen)).unwrap_or_default(),
                        net_cost: m.employer_net_cost_cents.map(euros).unwrap_or_else(|| "niet van toepassing (onbetaalde plek)".into()),
                        link: url.clone(),
                    };
                    enqueue(conn, &org_recipient(o), &mail, "anoniem profiel aan werkgever")?;
                }
            }
        }
        Action::Introduce => {
            let place_name = placement.as_ref().and_then(|p| ctx.refdata.pc4.get(&p.pc4).map(|x| x.place.clone())).unwrap_or_default();
            let intro = introduction_of(m, &employer_name, org.as_ref().map(|o| o.contact_name.as_str()).unwrap_or(""), &place_name);
            let date = intro.as_ref().map(|i| i.when.clone()).unwrap_or_default();
            let intro_place = intro.as_ref().map(|i| i.place.clone()).unwrap_or_default();
            if let Some(o) = &org {
                let (kname, kmail) = km.as_ref().map(|(u, _)| (u.name.clone(), u.email.clone())).unwrap_or_default();
                let mail = mt::IntroductionEmployer {
                    contact_name: o.contact_name.clone(),
                    placement_title: m.placement_title.clone(),
                    reference: reference.clone(),
                    candidate_name: full_name(cand),
                    candidate_email: cand.email.clone().unwrap_or_else(|| "(geen)".into()),
                    candidate_phone: cand.phone.clone().unwrap_or_else(|| "(geen)".into()),
                    introduction_date: date.clone(),
                    place: intro_place.clone(),
                    klantmanager: kname,
                    klantmanager_email: kmail,
                    link: url.clone(),
                };
                enqueue(conn, &org_recipient(o), &mail, "naam en contactgegevens aan werkgever")?;
                audit::one(
                    conn,
                    actor,
                    &cand.id,
                    &cand.municipality_id,
                    audit::access(Act::Disclose, "naam en contactgegevens aan werkgever", audit::purpose::BEMIDDELING),
                )?;
            }
            if let Some(to) = candidate_recipient(cand) {
                let mail = mt::IntroductionCandidate {
                    name: cand.first_name.clone(),
                    placement_title: m.placement_title.clone(),
                    employer: employer_name.clone(),
                    contact_name: intro.as_ref().map(|i| i.contact.clone()).unwrap_or_default(),
                    place: intro_place,
                    introduction_date: date,
                    klantmanager: km.as_ref().map(|(u, _)| u.name.clone()).unwrap_or_default(),
                    link: url.clone(),
                };
                enqueue(conn, &to, &mail, "kennismaking aan kandidaat")?;
            }
        }
        Action::Start | Action::StartTrial | Action::NotStarted | Action::Withdraw | Action::WithdrawConsent => {
            let (outcome, details): (String, Vec<String>) = match action {
                Action::Start => (
                    "gestart".into(),
                    vec![
                        format!("Startdatum: {}", m.start_date.map(date_nl).unwrap_or_default()),
                        format!("Uren per week: {}", m.hours_per_week.map(crate::domain::nl::short).unwrap_or_default()),
                    ],
                ),
                Action::StartTrial => (
                    "proefplaatsing gestart".into(),
                    vec![
                        format!("Van {} tot {}", m.start_date.map(date_nl).unwrap_or_default(), m.trial_end_date.map(date_nl).unwrap_or_default()),
                        "Tijdens de proefplaatsing houdt de kandidaat de uitkering.".into(),
                    ],
                ),
                Action::NotStarted => (
                    "niet gestart".into(),
                    vec![format!(
                        "Reden: {}",
                        m.not_started_reason.as_deref().and_then(|r| workflow::label_of(workflow::NOT_STARTED_REASONS, r)).unwrap_or("")
                    )],
                ),
                Action::Withdraw => ("voorstel ingetrokken door de klantmanager".into(), vec![]),
                _ => (
                    "de kandidaat heeft de toestemming ingetrokken".into(),
                    vec!["Gebruik de gegevens van de kandidaat niet meer en verwijder ze.".into()],
                ),
            };
            // To the candidate (not about its own withdrawal, which it just did itself).
            if action != Action::WithdrawConsent {
                if let Some(to) = candidate_recipient(cand) {
                    let mail = mt::Outcome {
                        name: cand.first_name.clone(),
                        placement_title: m.placement_title.clone(),
                        about: String::new(),
                        outcome: outcome.clone(),
                        details: details.clone(),
                        link: url.clone(),
                        to_candidate: true,
                    };
                    enqueue(conn, &to, &mail, "uitkomst aan kandidaat")?;
                }
            }
            // To the employer, when it knows of the match; the name only while disclosed.
            let from_visible = from.visible_to_employer(m.candidate_decided_at.is_some());
            if let (Some(o), true) = (&org, from_visible) {
                let about = if disclosed { full_name(cand) } else { format!("kandidaat {reference}") };
                let mail = mt::Outcome {
                    name: o.contact_name.clone(),
                    placement_title: m.placement_title.clone(),
                    about,
                    outcome: outcome.clone(),
                    details: if action == Action::WithdrawConsent { details.clone() } else { vec![] },
                    link: url.clone(),
                    to_candidate: false,
                };
                mail::enqueue(conn, &org_recipient(o), &mail, if disclosed { Some(&cand.id) } else { None })?;
                if disclosed {
                    audit::one(conn, actor, &cand.id, &cand.municipality_id, audit::emailed("uitkomst aan werkgever", audit::purpose::BERICHT))?;
                }
            }
            if action == Action::WithdrawConsent {
                tell_klantmanager(false, "De kandidaat heeft de toestemming ingetrokken.".into(), "intrekking toestemming aan klantmanager", conn)?;
            }
        }
        Action::ResumeConsent => {
            let outcome = "de kandidaat heeft de stop teruggedraaid en doet weer mee".to_string();
            // The employer hears of it when it knew of the match; the name only while disclosed.
            if let (Some(o), true) = (&org, m.status.visible_to_employer(m.candidate_decided_at.is_some())) {
                let mail = mt::Outcome {
                    name: o.contact_name.clone(),
                    placement_title: m.placement_title.clone(),
                    about: if disclosed { full_name(cand) } else { format!("kandidaat {reference}") },
                    outcome: outcome.clone(),
                    details: vec![],
                    link: url.clone(),
                    to_candidate: false,
                };
                mail::enqueue(conn, &org_recipient(o), &mail, if disclosed { Some(&cand.id) } else { None })?;
                if disclosed {
                    audit::one(conn, actor, &cand.id, &cand.municipality_id, audit::emailed("uitkomst aan werkgever", audit::purpose::BERICHT))?;
                }
            }
            if let Some((u, to)) = km.as_ref().filter(|(u, _)| u.id != user.id) {
                let mail = mt::Outcome {
                    name: u.name.clone(),
                    placement_title: m.placement_title.clone(),
                    about: full_name(cand),
                    outcome,
                    details: vec![format!("De match staat weer op: {}.", m.status.label_nl().to_lowercase())],
                    link: url.clone(),
                    to_candidate: false,
                };
                enqueue(conn, to, &mail, "stop teruggedraaid aan klantmanager")?;
            }
        }
        Action::Interested | Action::NotInterested | Action::ExtendTrial => {}
    }
    Ok(())
}
