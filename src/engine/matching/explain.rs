//! The score factors and their explanations: Dutch for the klantmanager, plain Dutch (B1)
//! for the candidate.

use super::{occupation_similarity, skill_coverage, CandidateFeatures, Factor, InstrumentPackage, PlacementFeatures};
use crate::domain::settings::Settings;
use crate::domain::{ladder, language, PlacementKind};
use chrono::NaiveDate;

/// How far the work is, in plain words.
fn distance_b1(d: f64, detail: bool) -> String {
    if d < 1.0 {
        "Het werk is vlak bij uw huis, minder dan 1 km.".into()
    } else {
        txt!(detail, "Het werk is ongeveer {d:.0} km van uw huis.")
    }
}

fn f(factor: &str, fraction: f64, weight: f64, explanation: String, b1: String) -> Factor {
    let fraction = fraction.clamp(0.0, 1.0);
    Factor { factor: factor.into(), contribution: (fraction * weight * 10.0).round() / 10.0, max: weight, explanation, explanation_b1: b1 }
}

/// Ladder fit: every step up counts; a bigger step up ranks above the next step, which ranks
/// above staying on the same step.
pub fn ladder_fraction(step: Option<i32>, kind: PlacementKind) -> f64 {
    let Some(step) = step else { return 0.5 };
    let gain = kind.leads_to_step() - step;
    match gain {
        g if g >= 2 => 1.0,
        1 => 0.8,
        0 if step == 6 => 1.0,
        0 => 0.3,
        _ => 0.0,
    }
}

#[allow(clippy::too_many_arguments)]
pub fn factors(
    c: &CandidateFeatures,
    p: &PlacementFeatures,
    s: &Settings,
    today: NaiveDate,
    distance_km: Option<f64>,
    max_km: f64,
    hours: Option<f64>,
    inst: &InstrumentPackage,
    rel: super::Relevance,
    detail: bool,
) -> (Vec<Factor>, Vec<String>) {
    let w = &s.weights;
    let kind = p.kind.unwrap_or(PlacementKind::ReguliereBaan);
    let mut out = Vec::new();
    let mut unmet = Vec::new();

    // 1. Occupation and skills: the relevance that gates the score (see `super::relevance`).
    let occ = occupation_similarity(c, p);
    let cov = skill_coverage(c, p);
    let fraction = rel.value;
    let occ_text = match rel.basis {
        super::RelevanceBasis::OpenToAll => "De plaats vraagt geen beroep of vaardigheden: geschikt voor iedereen.".to_string(),
        super::RelevanceBasis::CandidateUnknown => {
            "De kandidaat heeft nog geen beroep of vaardigheden in het profiel: relevantie onbekend (neutraal geteld).".to_string()
        }
        _ if p.occupation_id.is_none() => "De plaats noemt geen ESCO-beroep.".to_string(),
        _ if occ >= 1.0 => "Zelfde beroep als de kandidaat.".to_string(),
        _ if occ > 0.0 => {
            txt!(detail, "Verborgen match: een verwant beroep; de beroepen van de kandidaat lijken voor {:.0}% op dit beroep.", occ * 100.0)
        }
        _ => "Ander beroep, zonder gedeelde vaardigheden.".to_string(),
    };
    let skill_text = match cov {
        Some((_, hr, nr, hd, nd)) => txt!(detail, " Vereiste vaardigheden: {hr} van {nr}; gewenste: {hd} van {nd}."),
        None => String::new(),
    };
    if let Some((_, hr, nr, _, _)) = cov {
        if hr < nr {
            unmet.push(txt!(detail, "{} van de {} vereiste vaardigheden ontbreken nog.", nr - hr, nr));
        }
    }
    let b1 = match rel.basis {
        super::RelevanceBasis::OpenToAll => "Voor dit werk hoeft u nog niets te kunnen.",
        super::RelevanceBasis::CandidateUnknown => "Uw klantmanager weet nog niet goed wat u kunt.",
        _ if fraction >= 0.7 => "Dit werk past goed bij wat u kunt.",
        _ if fraction >= 0.3 => "U kunt al een deel van dit werk. De rest leert u op de werkplek.",
        _ => "Dit werk is nieuw voor u. U leert het op de werkplek.",
    };
    out.push(f("skills", fraction, w.skills, txt!(detail, "{occ_text}{skill_text}"), b1.into()));

    // 2. Ladder. Under 27 without a startkwalificatie, education comes first (DOMAIN.md): a BBL
    // place counts as at least as good a step as a regular job, at every ladder step. With a
    // startkwalificatie there is no priority.
    let under_age = c.age.is_some_and(|a| a < s.youth_age);
    let young = under_age && !c.startkwalificatie;
    let education_first = young && kind == PlacementKind::LeerwerkplekBbl;
    let lf = if education_first {
        ladder_fraction(c.ladder_step, kind).max(ladder_fraction(c.ladder_step, PlacementKind::ReguliereBaan))
    } else {
        ladder_fraction(c.ladder_step, kind)
    };
    let to = kind.leads_to_step();
    let (lt, lb1) = match c.ladder_step {
        Some(st) if education_first => (
            txt!(detail, "Jonger dan {}: werken en leren (BBL) telt als de beste stap vanaf trede {st}; een diploma gaat voor.", s.youth_age),
            "Met dit werk haalt u een diploma. Dat is de beste stap voor u.".to_string(),
        ),
        None => ("Trede onbekend: leg eerst een laddermeting vast.".to_string(), "We weten nog niet welke stap bij u past.".to_string()),
        Some(st) if to > st => (
            txt!(
                detail,
                "{} leidt naar trede {to} ({}); kandidaat staat op trede {st}: {} omhoog.",
                kind.label_nl(),
                ladder::step_name(to),
                if to - st == 1 { "één trede".to_string() } else { txt!(detail, "{} treden", to - st) }
            ),
            "Met dit werk zet u een stap vooruit.".to_string(),
        ),
        Some(6) => ("Kandidaat werkt al zonder ondersteuning (trede 6); dit houdt dat vast.".to_string(), "Dit werk past bij uw stap.".to_string()),
        Some(st) if to == st => {
            (txt!(detail, "{} houdt de kandidaat op trede {st}.", kind.label_nl()), "Met dit werk blijft u op dezelfde stap.".to_string())
        }
        Some(st) => {
            (txt!(detail, "{} leidt naar trede {to}, lager dan de huidige trede {st}.", kind.label_nl()), "Dit werk is een stap terug.".to_string())
        }
    };
    out.push(f("ladder", lf, w.ladder, lt, lb1));

    // 3. Distance
    let (df, dt, db1) = match distance_km {
        Some(d) if max_km > 0.0 => {
            (1.0 - d / max_km, txt!(detail, "{} van de woonplaats (maximaal {max_km:.0} km).", crate::domain::nl::km(d)), distance_b1(d, detail))
        }
        Some(d) => {
            (if d < 1.0 { 1.0 } else { 0.0 }, txt!(detail, "{}; de kandidaat wil niet reizen.", crate::domain::nl::km(d)), distance_b1(d, detail))
        }
        None => (0.5, "Afstand onbekend (postcode niet in de tabel).".into(), "We weten niet hoe ver het werk is.".into()),
    };
    out.push(f("distance", df, w.distance, dt, db1));

    // 4. Hours
    let (hf, ht, hb1) = match hours {
        Some(h) => {
            let want = (c.hours_max - c.hours_min).max(0) as f64;
            let lo = c.hours_min.max(p.hours_min) as f64;
            let overlap = (h - lo).max(0.0);
            let frac = if want == 0.0 { 1.0 } else { ((overlap + 1.0) / (want + 1.0)).min(1.0) };
            if (p.hours_max as f64) < c.hours_max as f64 {
                unmet.push(txt!(detail, "Kandidaat wil tot {} uur werken; deze plaats biedt hoogstens {} uur.", c.hours_max, p.hours_max));
            }
            (
                frac,
                txt!(detail, "{h:.0} uur per week past bij de wens van {}-{} uur.", c.hours_min, c.hours_max),
                txt!(detail, "U werkt ongeveer {h:.0} uur per week."),
            )
        }
        None => (0.0, "Uren passen niet.".into(), "De uren passen niet bij u.".into()),
    };
    out.push(f("hours", hf, w.hours, ht, hb1));

    // 5. Language
    let cr = c.language_level.as_deref().and_then(language::rank);
    let rr = p.language_level_required.as_deref().and_then(language::rank);
    let (lgf, lgt, lgb1) = match (rr, cr) {
        (None, _) => (1.0, "Geen taaleis.".to_string(), "U hoeft voor dit werk niet goed Nederlands te spreken.".to_string()),
        (Some(r), Some(cv)) if cv > r => (
            1.0,
            txt!(
                detail,
                "Taalniveau ruim voldoende ({} boven de eis {}).",
                c.language_level.as_deref().unwrap_or(""),
                p.language_level_required.as_deref().unwrap_or("")
            ),
            "Uw Nederlands is goed genoeg voor dit werk.".to_string(),
        ),
        (Some(_), Some(_)) => (
            0.8,
            txt!(detail, "Taalniveau voldoet precies aan de eis {}.", p.language_level_required.as_deref().unwrap_or("")),
            "Uw Nederlands is goed genoeg voor dit werk.".to_string(),
        ),
        (Some(_), None) => (0.0, "Taalniveau onbekend.".to_string(), "We weten niet hoe goed u Nederlands spreekt.".to_string()),
    };
    out.push(f("language", lgf, w.language, lgt, lgb1));

    // 6. Support
    let (sf, st, sb1) = if c.needs_job_coach {
        if p.job_coach_welcome {
            (
                1.0,
                "Kandidaat heeft een jobcoach nodig en de werkplek verwelkomt een jobcoach.".to_string(),
                "U krijgt hulp van een jobcoach op uw werk.".to_string(),
            )
        } else if p.internal_supervisor {
            (
                0.6,
                "Kandidaat heeft een jobcoach nodig; de werkplek biedt een interne begeleider.".to_string(),
                "Iemand van het bedrijf helpt u op uw werk.".to_string(),
            )
        } else {
            unmet.push("Begeleiding: de kandidaat heeft een jobcoach nodig, de werkplek biedt geen begeleiding aan.".into());
            (
                0.0,
                "Kandidaat heeft een jobcoach nodig; de werkplek biedt geen begeleiding.".to_string(),
                "Op deze plek is geen begeleider.".to_string(),
            )
        }
    } else {
        let extra = p.job_coach_welcome || p.internal_supervisor || p.adapted_workplace;
        (
            1.0,
            txt!(detail, "Geen jobcoach nodig{}.", if extra { "; de werkplek biedt wel begeleiding" } else { "" }),
            if extra { "Op deze plek is begeleiding als u die nodig heeft.".to_string() } else { "U werkt zelfstandig.".to_string() },
        )
    };
    out.push(f("support", sf, w.support, st, sb1));

    // 7. Start date
    let (sdf, sdt, sdb1) = match (c.available_from, p.start_date) {
        (Some(a), Some(st)) if a <= st => (
            1.0,
            txt!(detail, "Kandidaat is beschikbaar vóór de start ({}).", crate::domain::nl::date(st)),
            txt!(detail, "U kunt op tijd beginnen ({}).", crate::domain::nl::date_long(st)),
        ),
        (Some(a), Some(st)) => {
            let delay = (a - st).num_days() as f64;
            unmet.push(txt!(
                detail,
                "Kandidaat is pas beschikbaar vanaf {}; de plaats begint {}.",
                crate::domain::nl::date(a),
                crate::domain::nl::date(st)
            ));
            (
                (1.0 - delay / 90.0).max(0.0),
                txt!(detail, "Kandidaat is {delay:.0} dagen na de start beschikbaar."),
                "U kunt pas later beginnen dan het bedrijf wil.".to_string(),
            )
        }
        (a, None) => {
            let ready = a.is_none_or(|a| a <= today + chrono::Duration::days(30));
            (if ready { 0.8 } else { 0.5 }, "Startdatum van de plaats niet opgegeven.".to_string(), "De begindatum is nog niet bekend.".to_string())
        }
        (None, Some(st)) => (
            0.7,
            txt!(detail, "Beschikbaarheid van de kandidaat onbekend; start {}.", crate::domain::nl::date(st)),
            txt!(detail, "Het werk begint op {}.", crate::domain::nl::date_long(st)),
        ),
    };
    out.push(f("start_date", sdf, w.start_date, sdt, sdb1));

    // 8. Under 27: education first (training and BBL)
    let (uf, ut, ub1) = if young {
        match kind {
            PlacementKind::LeerwerkplekBbl => {
                (1.0, txt!(detail, "Jonger dan {}: leren en werken (BBL) gaat voor.", s.youth_age), "U werkt en u haalt een diploma.".to_string())
            }
            PlacementKind::Werkervaringsplaats | PlacementKind::Proefplaatsing => (
                0.5,
                txt!(detail, "Jonger dan {}: werkervaring telt, maar een opleiding gaat voor.", s.youth_age),
                "U doet werkervaring op.".to_string(),
            ),
            _ => (
                0.0,
                txt!(detail, "Jonger dan {}: een opleiding of BBL-plek heeft voorrang boven deze plaats.", s.youth_age),
                "Kijk ook naar werk waarbij u een diploma haalt.".to_string(),
            ),
        }
    } else if under_age {
        (0.0, txt!(detail, "Niet van toepassing: jonger dan {}, maar met een startkwalificatie.", s.youth_age), String::new())
    } else {
        (0.0, txt!(detail, "Niet van toepassing ({} jaar of ouder).", s.youth_age), String::new())
    };
    out.push(f("under_27", uf, w.under_27, ut, ub1));

    // 9. Statushouder: work combined with language learning
    let (hf2, ht2, hb2) = if c.statushouder {
        if p.language_learning {
            (1.0, "Statushouder: deze plaats combineert werk met het leren van Nederlands.".to_string(), "U werkt en u leert Nederlands.".to_string())
        } else if matches!(kind, PlacementKind::LeerwerkplekBbl | PlacementKind::Werkervaringsplaats) {
            (0.5, "Statushouder: leerplaats, maar zonder taalcomponent.".to_string(), "U leert op de werkplek.".to_string())
        } else {
            (0.0, "Statushouder: deze plaats biedt geen taalcomponent.".to_string(), "Op deze plek leert u geen Nederlands.".to_string())
        }
    } else {
        (0.0, "Niet van toepassing.".to_string(), String::new())
    };
    out.push(f("statushouder", hf2, w.statushouder, ht2, hb2));

    // 10. Instrument value: the instruments that apply and are available here
    let mut applicable = 0.0;
    let mut available = 0.0;
    let mut notes = Vec::new();
    if inst.paid && (c.lks_target_group || c.loonwaarde.is_some_and(|l| l < 100)) {
        applicable += 1.0;
        if inst.employer_accepts_lks {
            available += 1.0;
            notes.push("loonkostensubsidie");
        }
    }
    if inst.job_coach.applicable {
        applicable += 1.0;
        if p.job_coach_welcome {
            available += 1.0;
            notes.push("jobcoach");
        }
    }
    if inst.paid && c.doelgroepregister {
        applicable += 1.0;
        if p.counts_banenafspraak {
            available += 1.0;
            notes.push("banenafspraak");
        }
    }
    if let Some(sr) = &inst.sroi {
        if sr.open_obligation_cents > 0 {
            applicable += 1.0;
            available += 1.0;
            notes.push("social return");
        }
    }
    let (inf, int) = if applicable == 0.0 {
        (0.5, "Geen instrumenten van toepassing.".to_string())
    } else {
        (
            available / applicable,
            if notes.is_empty() {
                "Geen van de passende instrumenten is hier beschikbaar.".to_string()
            } else {
                txt!(detail, "Beschikbaar: {}.", notes.join(", "))
            },
        )
    };
    out.push(f("instruments", inf, w.instruments, int, "De gemeente kan de werkgever helpen met geld of begeleiding.".into()));

    // 11. The person's own wishes: sector and kind of work (each one said counts; none said is
    // no objection).
    let (wf, wt, wb1) = wishes(c, p, kind, detail, &mut unmet);
    out.push(f("wishes", wf, w.wishes, wt, wb1));
    let _ = today;
    (out, unmet)
}

/// The Dutch name of a factor, for pages.
/// Whether a placement's sector is one the person wants: the same word, or one contains the
/// other ("zorg" and "Zorg en welzijn"), without regard to case.
pub fn sector_wanted(wishes: &[String], sector: &str) -> bool {
    let s = sector.trim().to_lowercase();
    !s.is_empty() && wishes.iter().map(|w| w.trim().to_lowercase()).filter(|w| !w.is_empty()).any(|w| s == w || s.contains(&w) || w.contains(&s))
}

fn wishes(c: &CandidateFeatures, p: &PlacementFeatures, kind: PlacementKind, detail: bool, unmet: &mut Vec<String>) -> (f64, String, String) {
    let mut said = 0.0;
    let mut met = 0.0;
    let mut text = vec![];
    let mut b1 = vec![];
    if !c.sector_preferences.is_empty() {
        said += 1.0;
        let wanted = c.sector_preferences.join(", ");
        let sector = if p.organisation_sector.trim().is_empty() { "een andere sector".to_string() } else { p.organisation_sector.to_lowercase() };
        if sector_wanted(&c.sector_preferences, &p.organisation_sector) {
            met += 1.0;
            text.push(txt!(detail, "sector {sector} is een wens"));
            b1.push(txt!(detail, "U wilt werken in: {wanted}. Dit werk is in {sector}."));
        } else {
            text.push(txt!(detail, "wil werken in {wanted}, dit is {sector}"));
            b1.push(txt!(detail, "U wilt werken in: {wanted}. Dit werk is in {sector}."));
            unmet.push(txt!(detail, "Wens: werken in {wanted}; deze plaats is in {sector}."));
        }
    }
    if !c.kind_preferences.is_empty() {
        said += 1.0;
        let wanted = c.kind_preferences.iter().map(|k| k.label_nl().to_lowercase()).collect::<Vec<_>>().join(", ");
        if c.kind_preferences.contains(&kind) {
            met += 1.0;
            text.push(txt!(detail, "{} is een gewenste soort werk", kind.label_nl()));
            b1.push(txt!(detail, "U zoekt: {wanted}. Dit is {}.", kind.label_nl().to_lowercase()));
        } else {
            text.push(txt!(detail, "zoekt {wanted}, dit is {}", kind.label_nl().to_lowercase()));
            b1.push(txt!(detail, "U zoekt: {wanted}. Dit is {}.", kind.label_nl().to_lowercase()));
            unmet.push(txt!(detail, "Wens: {wanted}; deze plaats is {}.", kind.label_nl().to_lowercase()));
        }
    }
    if said == 0.0 {
        return (1.0, "Geen wensen over sector of soort werk opgegeven.".into(), String::new());
    }
    let mut t = text.join("; ");
    if let Some(first) = t.get(0..1) {
        t = format!("{}{}.", first.to_uppercase(), &t[1..]);
    }
    (met / said, t, b1.join(" "))
}

/// How the points of a factor table make the score, in one sentence under the table: their sum,
/// the weights' total and the score out of 100, and how relevance (the "skills" factor) scales
/// every other factor. Empty without factors.
pub fn sum_line(factors: &[Factor], score: &f64) -> String {
    let score = *score;
    use crate::domain::nl::short;
    if factors.is_empty() {
        return String::new();
    }
    let sum: f64 = factors.iter().map(|f| f.contribution).sum();
    let total: f64 = factors.iter().map(|f| f.max).sum();
    let mut out = if (total - 100.0).abs() < 1e-9 {
        format!("Samen {} van 100 punten.", short((sum * 10.0).round() / 10.0))
    } else {
        format!("Samen {} van {} punten; omgerekend naar 100 is dat {}.", short((sum * 10.0).round() / 10.0), short(total), short(score))
    };
    if let Some(rel) = factors.iter().find(|f| f.factor == "skills").filter(|f| f.max > 0.0).map(|f| f.contribution / f.max) {
        if rel < 0.999 {
            out.push_str(&format!(
                " Het werk past voor {}% bij beroep en vaardigheden; daarom telt elke andere factor voor {}% van zijn punten mee.",
                short((rel * 100.0).round()),
                short((rel * 100.0).round())
            ));
        }
    }
    out
}

pub fn factor_label(factor: &str) -> &'static str {
    match factor {
        "skills" => "Beroep en vaardigheden",
        "ladder" => "Trede participatieladder",
        "distance" => "Afstand",
        "hours" => "Uren",
        "language" => "Taal",
        "support" => "Begeleiding",
        "start_date" => "Startdatum",
        "under_27" => "Jonger dan 27",
        "statushouder" => "Werken en taal leren",
        "instruments" => "Regelingen",
        "wishes" => "Eigen wensen",
        _ => "Overig",
    }
}
