//! Loads the facts of one municipality for the quarterly monitor (`domain::monitor`) and
//! renders the aggregate export. Erased candidates count through their anonymous remainder.

use crate::db::models::{Candidate, ErasedSubject, Match, SroiContract};
use crate::db::schema::{candidates, contact_moments, erased_subjects, ladder_measurements, matches, placements, sroi_contracts};
use crate::db::DbConnection;
use crate::domain::monitor::{published, ClientGroupFact, MatchFact, Monitor, Quarter, SroiFact, Subject};
use crate::domain::PERSONAL_CHANNELS;
use crate::engine::matching::InstrumentPackage;
use chrono::NaiveDate;
use diesel::prelude::*;
use std::collections::HashMap;

/// Everything the monitor needs; `on` is the day ages (the derived group "under 27") are taken on.
pub fn facts(conn: &mut DbConnection, municipality_id: &str, on: NaiveDate) -> QueryResult<(Vec<Subject>, Vec<MatchFact>, Vec<SroiFact>)> {
    let cs: Vec<Candidate> = candidates::table.filter(candidates::municipality_id.eq(municipality_id)).select(Candidate::as_select()).load(conn)?;
    let ids: Vec<&String> = cs.iter().map(|c| &c.id).collect();
    let mut ladder: HashMap<String, Vec<(NaiveDate, i32)>> = HashMap::new();
    for (c, d, s) in ladder_measurements::table
        .filter(ladder_measurements::candidate_id.eq_any(&ids))
        .select((ladder_measurements::candidate_id, ladder_measurements::measured_on, ladder_measurements::step))
        .load::<(String, NaiveDate, i32)>(conn)?
    {
        ladder.entry(c).or_default().push((d, s));
    }
    let mut contacts: HashMap<String, Vec<NaiveDate>> = HashMap::new();
    for (c, d) in contact_moments::table
        .filter(contact_moments::candidate_id.eq_any(&ids))
        .filter(contact_moments::channel.eq_any(PERSONAL_CHANNELS))
        .select((contact_moments::candidate_id, contact_moments::contact_date))
        .load::<(String, NaiveDate)>(conn)?
    {
        contacts.entry(c).or_default().push(d);
    }
    let norms = crate::db::client_groups::norms(conn, municipality_id)?;
    let youth_age = crate::engine::ranking::load_settings(conn, municipality_id)?.0.youth_age;
    // Who works with loonkostensubsidie: a started match with it granted, or left for work with support.
    let with_lks: std::collections::HashSet<String> = matches::table
        .filter(matches::municipality_id.eq(municipality_id))
        .filter(matches::status.eq(crate::domain::workflow::MatchStatus::Started))
        .select((matches::candidate_id, matches::instruments_granted))
        .load::<(Option<String>, Option<String>)>(conn)?
        .into_iter()
        .filter(|(_, g)| g.as_deref().is_some_and(|g| g.contains("loonkostensubsidie")))
        .filter_map(|(c, _)| c)
        .collect();
    let today = on;
    let mut subjects: Vec<Subject> = cs
        .iter()
        .map(|c| Subject {
            id: c.id.clone(),
            client_group: c.client_group_id.clone(),
            norm_days: crate::db::client_groups::norm_of(&norms, c.client_group_id.as_ref()),
            derived: crate::domain::klantgroep::derived_groups(&crate::domain::klantgroep::DerivedFacts {
                statushouder: c.statushouder,
                age: crate::domain::age_on(c.birth_date, today),
                youth_age,
                doelgroepregister: c.doelgroepregister,
                beschut_werk: c.beschut_werk_indicatie,
                working_with_lks: with_lks.contains(&c.id) || c.outflow_reason.as_deref() == Some("betaald_werk_met_ondersteuning"),
                benefit: c.benefit_type,
            }),
            klantmanager: Some(c.klantmanager_id.clone()),
            registered_on: c.registration_date,
            outflow: match (c.status, c.outflow_date, &c.outflow_reason) {
                (crate::domain::CandidateStatus::Uitgestroomd, Some(d), Some(r)) => Some((d, r.clone())),
                (crate::domain::CandidateStatus::Uitgestroomd, Some(d), None) => Some((d, "overig".into())),
                _ => None,
            },
            erased_on: None,
            ladder: ladder.remove(&c.id).unwrap_or_default(),
            contacts: contacts.remove(&c.id).unwrap_or_default(),
        })
        .collect();
    let erased: Vec<ErasedSubject> =
        erased_subjects::table.filter(erased_subjects::municipality_id.eq(municipality_id)).select(ErasedSubject::as_select()).load(conn)?;
    for e in erased {
        let ladder: Vec<(String, i32)> = serde_json::from_str(&e.ladder_history).unwrap_or_default();
        let contacts: Vec<String> = serde_json::from_str(&e.contact_dates).unwrap_or_default();
        subjects.push(Subject {
            id: e.id.clone(),
            norm_days: crate::db::client_groups::norm_of(&norms, e.client_group_id.as_ref()),
            client_group: e.client_group_id,
            // Nothing about the person is left to derive a target group from.
            derived: vec![],
            klantmanager: e.klantmanager_id,
            registered_on: e.registered_on,
            outflow: match (crate::domain::CandidateStatus::parse(&e.status), e.outflow_date, e.outflow_reason) {
                (Some(crate::domain::CandidateStatus::Uitgestroomd), Some(d), r) => Some((d, r.unwrap_or_else(|| "overig".into()))),
                _ => None,
            },
            erased_on: Some(e.erased_on),
            ladder: ladder.into_iter().filter_map(|(d, s)| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok().map(|d| (d, s))).collect(),
            // The remainder keeps the dates of personal contacts only.
            contacts: contacts.into_iter().filter_map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()).collect(),
        });
    }
    let ms: Vec<(Match, Option<bool>)> = matches::table
        .left_join(placements::table)
        .filter(matches::municipality_id.eq(municipality_id))
        .select((Match::as_select(), placements::counts_banenafspraak.nullable()))
        .load(conn)?;
    let facts = ms
        .into_iter()
        .map(|(m, banen)| {
            let granted: Vec<String> = m.instruments_granted.as_deref().and_then(|g| serde_json::from_str(g).ok()).unwrap_or_default();
            let pkg: Option<InstrumentPackage> = serde_json::from_str(&m.package).ok();
            let has = |i: &str| granted.iter().any(|g| g == i);
            MatchFact {
                candidate: m.candidate_id.clone().or_else(|| m.erased_subject_id.clone()),
                kind: m.placement_kind.as_str().to_string(),
                klantmanager: m.klantmanager_id.clone(),
                proposed_on: crate::clock::local_date(m.proposed_at),
                consented: m.candidate_decided_at.is_some() && m.status != crate::domain::workflow::MatchStatus::Declined,
                interested: m.employer_decided_at.is_some() && m.status != crate::domain::workflow::MatchStatus::NotInterested,
                introduced: m.disclosed_at.is_some(),
                started: m.status == crate::domain::workflow::MatchStatus::Started,
                start_date: m.start_date,
                retention_6: m.retention_6.clone(),
                retention_12: m.retention_12.clone(),
                hours_per_week: m.hours_per_week,
                lks_month_cents: if has("loonkostensubsidie") {
                    pkg.as_ref().and_then(|p| p.loonkostensubsidie.as_ref()).map(|l| l.amount_cents)
                } else {
                    None
                },
                lks_max_months: pkg.as_ref().and_then(|p| p.loonkostensubsidie.as_ref()).and_then(|l| l.max_months),
                job_coach_hours_year1: if has("job_coach") { pkg.as_ref().map(|p| p.job_coach.year1_hours) } else { None },
                lkv_year_cents: if has("lkv") { pkg.as_ref().and_then(|p| p.lkv_per_year_cents) } else { None },
                counts_banenafspraak: banen.unwrap_or(false),
            }
        })
        .collect();
    let contracts: Vec<SroiContract> = sroi_contracts::table
        .filter(sroi_contracts::municipality_id.eq(municipality_id))
        .order(sroi_contracts::reference)
        .select(SroiContract::as_select())
        .load(conn)?;
    let ids: Vec<String> = contracts.iter().map(|c| c.id.clone()).collect();
    let refs: Vec<&String> = ids.iter().collect();
    let realised = crate::db::queries::sroi_realised(conn, &refs)?;
    let sroi = contracts
        .into_iter()
        .map(|c| SroiFact {
            obligation_cents: crate::domain::sroi_obligation_cents(c.contract_value_cents, c.percentage),
            realised_cents: realised.get(&c.id).copied().unwrap_or(0),
            reference: c.reference,
        })
        .collect();
    Ok((subjects, facts, sroi))
}

pub fn compute(conn: &mut DbConnection, municipality_id: &str, q: Quarter) -> QueryResult<Monitor> {
    let (subjects, ms, sroi) = facts(conn, municipality_id, q.end())?;
    let (settings, _) = crate::engine::ranking::load_settings(conn, municipality_id)?;
    let targets = crate::db::client_groups::targets(conn, municipality_id, q.year)?;
    let groups: Vec<ClientGroupFact> = crate::db::client_groups::of_municipality(conn, municipality_id)?
        .into_iter()
        .map(|g| ClientGroupFact {
            targets: targets.iter().filter(|t| t.client_group_id == g.id).map(|t| (t.indicator, i64::from(t.target))).collect(),
            id: g.id,
            name: g.name,
        })
        .collect();
    Ok(crate::domain::monitor::compute(q, &subjects, &ms, &sroi, settings.banenafspraak_hours, &groups))
}

/// The aggregate export: one row per indicator, breakdown and value. Counts below 5 are shown as
/// "<5", and a share is left out when its denominator is below 5; no personal data.
pub fn rows(m: &Monitor, km_names: &HashMap<String, String>) -> Vec<[String; 4]> {
    let mut out: Vec<[String; 4]> = vec![];
    let mut count =
        |section: &str, indicator: &str, breakdown: &str, n: u64| out.push([section.into(), indicator.into(), breakdown.into(), published(n)]);
    fn group_rows(count: &mut dyn FnMut(&str, &str, &str, u64), who: &str, g: &crate::domain::monitor::Group) {
        count("in beeld", "caseload", who, g.in_view.caseload);
        count("in beeld", "in beeld (laddermeting < 12 maanden)", who, g.in_view.in_view);
        for (i, n) in g.ladder.distribution.iter().enumerate() {
            count("participatieladder", &format!("trede {} aan einde kwartaal", i + 1), who, *n);
        }
        count("participatieladder", "trede onbekend", who, g.ladder.unknown);
        count("participatieladder", "omhoog", who, g.ladder.up);
        count("participatieladder", "gelijk", who, g.ladder.same);
        count("participatieladder", "omlaag", who, g.ladder.down);
        for (from, row) in g.ladder.transitions.iter().enumerate() {
            for (to, n) in row.iter().enumerate() {
                count("overgangen", &format!("trede {} naar {}", from + 1, to + 1), who, *n);
            }
        }
        count("stroom", "instroom", who, g.flow.instroom);
        count("stroom", "doorstroom", who, g.flow.doorstroom);
        count("stroom", "uitstroom", who, g.flow.uitstroom);
        count("stroom", "uitstroom naar werk zonder ondersteuning", who, g.flow.uitstroom_work);
        for (r, n) in &g.flow.uitstroom_by_reason {
            count("stroom", &format!("uitstroom: {r}"), who, *n);
        }
        count("contactnorm", "persoonlijk contact < 12 maanden", who, g.contact.with_contact);
        count("contactnorm", "te laat", who, g.contact.overdue);
        count("voorstellen", "voorgesteld", who, g.funnel.proposed);
        count("voorstellen", "toestemming kandidaat", who, g.funnel.consented);
        count("voorstellen", "interesse werkgever", who, g.funnel.interested);
        count("voorstellen", "kennismaking", who, g.funnel.introduced);
        count("voorstellen", "gestart", who, g.funnel.started);
    }
    group_rows(&mut count, "gemeente", &m.total);
    // Staff are numbered, not named: an aggregate export holds no personal data at all.
    let _ = km_names;
    for (i, g) in m.per_klantmanager.values().enumerate() {
        group_rows(&mut count, &format!("klantmanager {}", i + 1), g);
    }
    // Per klantgroep (groups under 5 people are taken together, so the rows sum to the total)
    // and per derived target group (these overlap: one person can be in several).
    for l in &m.per_client_group {
        group_rows(&mut count, &format!("klantgroep {}", l.name), &l.group);
    }
    for l in &m.per_target_group {
        group_rows(&mut count, &format!("doelgroep {}", l.name), &l.group);
    }
    for t in &m.targets {
        let b = format!("klantgroep {} {}", t.name, t.year);
        count("doelen", &format!("{}: doel", t.indicator.label_nl().to_lowercase()), &b, t.target.max(0) as u64);
        count("doelen", &format!("{}: gerealiseerd", t.indicator.label_nl().to_lowercase()), &b, t.realised);
    }
    for (kind, n) in &m.started_by_kind {
        count("plaatsingen", "gestart", &format!("soort {kind}"), *n);
    }
    for k in &m.per_kind {
        let b = format!("soort {}", k.kind);
        count("voorstellen", "voorgesteld", &b, k.funnel.proposed);
        count("voorstellen", "gestart", &b, k.funnel.started);
        count("behoud", "6 maanden: te meten", &b, k.retention.due_6);
        count("behoud", "6 maanden: aan het werk", &b, k.retention.working_6);
        count("behoud", "12 maanden: te meten", &b, k.retention.due_12);
        count("behoud", "12 maanden: aan het werk", &b, k.retention.working_12);
    }
    count("behoud", "6 maanden: te meten", "gemeente", m.retention.due_6);
    count("behoud", "6 maanden: aan het werk", "gemeente", m.retention.working_6);
    count("behoud", "12 maanden: te meten", "gemeente", m.retention.due_12);
    count("behoud", "12 maanden: aan het werk", "gemeente", m.retention.working_12);
    count("regelingen", "starts met loonkostensubsidie", "gemeente", m.instruments.lks_starts);
    count("regelingen", "starts met jobcoach", "gemeente", m.instruments.job_coach_starts);
    let share = |n: u64, d: u64| {
        if d < 5 {
            "<5".to_string()
        } else {
            format!("{:.1}", n as f64 * 100.0 / d as f64)
        }
    };
    out.push(["in beeld".into(), "aandeel in beeld (%)".into(), "gemeente".into(), share(m.total.in_view.in_view, m.total.in_view.caseload)]);
    out.push([
        "contactnorm".into(),
        "aandeel met contact (%)".into(),
        "gemeente".into(),
        share(m.total.contact.with_contact, m.total.contact.caseload),
    ]);
    // Money and hours are sums, not counts of people: shown unless they rest on fewer than 5 starts.
    let money = |n: u64, v: String| if n < 5 { "<5 starts".to_string() } else { v };
    out.push([
        "regelingen".into(),
        "loonkostensubsidie per maand (euro)".into(),
        "gemeente".into(),
        money(m.instruments.lks_starts, format!("{:.2}", m.instruments.lks_month_cents as f64 / 100.0)),
    ]);
    out.push([
        "regelingen".into(),
        "loonkostensubsidie per jaar (euro)".into(),
        "gemeente".into(),
        money(m.instruments.lks_starts, format!("{:.2}", m.instruments.lks_year_cents as f64 / 100.0)),
    ]);
    out.push([
        "regelingen".into(),
        "jobcoachuren jaar 1".into(),
        "gemeente".into(),
        money(m.instruments.job_coach_starts, format!("{:.1}", m.instruments.job_coach_hours_year1)),
    ]);
    out.push(["regelingen".into(), "LKV per jaar (euro)".into(), "gemeente".into(), format!("{:.2}", m.instruments.lkv_year_cents as f64 / 100.0)]);
    out.push(["regelingen".into(), "banenafspraak: getelde banen".into(), "gemeente".into(), format!("{:.2}", m.instruments.banenafspraak_jobs)]);
    if let Some(d) = m.total.funnel.median_days_to_start {
        out.push([
            "voorstellen".into(),
            "mediaan dagen voorstel tot start".into(),
            "gemeente".into(),
            if m.total.funnel.started < 5 { "<5 starts".into() } else { format!("{d:.1}") },
        ]);
    }
    for s in &m.sroi {
        out.push([
            "social return".into(),
            "verplichting (euro)".into(),
            format!("contract {}", s.reference),
            format!("{:.2}", s.obligation_cents as f64 / 100.0),
        ]);
        out.push([
            "social return".into(),
            "gerealiseerd (euro)".into(),
            format!("contract {}", s.reference),
            format!("{:.2}", s.realised_cents as f64 / 100.0),
        ]);
        out.push([
            "social return".into(),
            "percentage gehaald".into(),
            format!("contract {}", s.reference),
            s.met_pct.map(|p| format!("{p:.1}")).unwrap_or_default(),
        ]);
    }
    out
}

/// The monitor as CSV for Dutch Excel: a UTF-8 byte-order mark (so accents survive), semicolons
/// between cells and decimal commas in the values (the nl-NL list and decimal separators).
pub fn csv(m: &Monitor, km_names: &HashMap<String, String>) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer("\u{feff}".as_bytes().to_vec());
    w.write_record(["onderdeel", "indicator", "uitsplitsing", "waarde"])?;
    for r in rows(m, km_names) {
        w.write_record(r.iter().enumerate().map(
            |(i, c)| {
                if i == 3 && c.parse::<f64>().is_ok() {
                    c.replace('.', ",")
                } else {
                    csv_cell(c).into_owned()
                }
            },
        ))?;
    }
    Ok(w.into_inner()?)
}

/// A CSV cell that a spreadsheet will not run as a formula: text starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return gets a leading apostrophe (OWASP "CSV injection"). Numbers,
/// negative ones included, stay numbers.
pub fn csv_cell(c: &str) -> std::borrow::Cow<'_, str> {
    let risky = c.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && c.replace(',', ".").parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{c}"))
    } else {
        std::borrow::Cow::Borrowed(c)
    }
}

/// The same rows as the CSV, as an Excel workbook (sheet "Monitor"); numbers as numbers.
pub fn xlsx(m: &Monitor, km_names: &HashMap<String, String>) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("Monitor")?;
    for (c, h) in ["onderdeel", "indicator", "uitsplitsing", "waarde"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, row) in rows(m, km_names).iter().enumerate() {
        let r = r as u32 + 1;
        for (c, v) in row.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) if c == 3 => {
                    ws.write_number(r, c as u16, n)?;
                }
                _ => {
                    ws.write_string(r, c as u16, v)?;
                }
            }
        }
    }
    ws.set_column_width(0, 18)?;
    ws.set_column_width(1, 44)?;
    ws.set_column_width(2, 30)?;
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod csv_tests {
    use super::csv_cell;

    #[test]
    fn formulas_are_defused_numbers_are_not() {
        assert_eq!(csv_cell("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(csv_cell("+31 6"), "'+31 6");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-cmd"), "'-cmd");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("-3"), "-3");
        assert_eq!(csv_cell("-2,5"), "-2,5");
        assert_eq!(csv_cell("contract SR-1"), "contract SR-1");
    }
}
