//! A realistic demo region, seeded into an empty database with a fixed seed: two
//! municipalities (Lochem and Zutphen), their beheerders and klantmanagers, employers with
//! placements of every kind, and 60 candidates spread over the ladder steps.

use crate::auth::{hash_password, normalize_email};
use crate::db::models::*;
use crate::db::{new_id, now, schema::*, DbConnection};
use crate::domain::PlacementKind;
use crate::refdata::RefData;
use chrono::{Datelike, Duration, NaiveDate};
use diesel::prelude::*;

pub const DEMO_PASSWORD: &str = "opstap-demo-2026";

#[derive(Debug, Default)]
pub struct DemoReport {
    /// (role, e-mail, what it is)
    pub accounts: Vec<(String, String, String)>,
    pub placements: usize,
    pub candidates: usize,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Demo data: {} placements, {} candidates. Accounts (password for all: {DEMO_PASSWORD}):", self.placements, self.candidates)?;
        for (role, email, what) in &self.accounts {
            writeln!(f, "  {role:<13} {email:<34} {what}")?;
        }
        Ok(())
    }
}

const FIRST: &[&str] = &[
    "Anna", "Mohammed", "Sanne", "Daan", "Fatima", "Jeroen", "Priya", "Kees", "Yasmin", "Thomas", "Ilse", "Ahmed", "Marloes", "Bram", "Noura",
    "Henk", "Esra", "Ruud", "Lotte", "Tesfaye", "Mirjam", "Sven", "Aylin", "Gerrit", "Saskia", "Omar", "Wendy", "Dirk", "Hiba", "Martijn",
];
const LAST: &[&str] = &[
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "de Graaf",
    "van der Meer",
    "Kok",
    "Jacobs",
    "Haddou",
    "Yilmaz",
    "Tesfay",
    "Wolters",
    "Hulshof",
    "Nijhof",
    "Eggink",
];

/// Occupation labels typical for this target group, looked up in ESCO by label.
const OCCUPATIONS: &[&str] = &[
    "schoonmaker gebouwen",
    "magazijnmedewerker",
    "vakkenvuller",
    "keukenhulp",
    "hovenier",
    "productiemedewerker",
    "kassamedewerker",
    "bakker",
    "verzorgende",
    "receptionist",
    "chauffeur",
    "schilder bouw",
    "administratief medewerker",
    "postbode",
    "fietsenmaker",
    "kok",
];

struct Employer {
    name: &'static str,
    kvk: &'static str,
    sector: &'static str,
    municipality_code: &'static str,
    contact: &'static str,
    occupations: &'static [usize],
    verified: bool,
}

const EMPLOYERS: &[Employer] = &[
    Employer {
        name: "Groenwerk Achterhoek B.V.",
        kvk: "08123456",
        sector: "Groen en hoveniers",
        municipality_code: "0262",
        contact: "Gerda Nijenhuis",
        occupations: &[4, 0, 11],
        verified: true,
    },
    Employer {
        name: "Zorgcentrum De Berkel",
        kvk: "41234567",
        sector: "Zorg en welzijn",
        municipality_code: "0301",
        contact: "Peter Ribbers",
        occupations: &[8, 3, 0, 9],
        verified: true,
    },
    Employer {
        name: "Logistiek Centrum IJsselpoort",
        kvk: "62345678",
        sector: "Logistiek",
        municipality_code: "0301",
        contact: "Sandra Oosterink",
        occupations: &[1, 10, 5],
        verified: true,
    },
    Employer {
        name: "Bakkerij en Lunchroom Van Lochem",
        kvk: "73456789",
        sector: "Voedingsmiddelen en horeca",
        municipality_code: "0262",
        contact: "Jan Lubbers",
        occupations: &[7, 3, 15, 6],
        verified: true,
    },
    Employer {
        name: "Werkpunt Zutphen (sociale onderneming)",
        kvk: "84567890",
        sector: "Sociaal ondernemen",
        municipality_code: "0301",
        contact: "Ingrid Wesselink",
        occupations: &[5, 14, 2, 12, 13],
        verified: true,
    },
    Employer {
        name: "Fietsenwinkel Het Spaakje",
        kvk: "95678901",
        sector: "Detailhandel",
        municipality_code: "0262",
        contact: "Rob Harbers",
        occupations: &[14, 6],
        verified: false,
    },
];

fn pick<'a, T>(rng: &mut fastrand::Rng, xs: &'a [T]) -> &'a T {
    &xs[rng.usize(..xs.len())]
}

/// Seeds the demo when there is no municipality yet; returns None if the database has data.
pub fn seed_if_empty(conn: &mut DbConnection, rd: &RefData) -> anyhow::Result<Option<DemoReport>> {
    let n: i64 = municipalities::table.count().get_result(conn)?;
    if n > 0 {
        return Ok(None);
    }
    let r = conn.transaction::<_, anyhow::Error, _>(|conn| seed(conn, rd))?;
    Ok(Some(r))
}

fn pc4s_of(rd: &RefData, code: &str, fallback: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = rd.pc4.iter().filter(|(_, p)| p.municipality_code == code).map(|(k, _)| k.clone()).collect();
    v.sort();
    if v.is_empty() {
        v = fallback.iter().map(|s| s.to_string()).collect();
    }
    v
}

fn seed(conn: &mut DbConnection, rd: &RefData) -> anyhow::Result<DemoReport> {
    let mut rng = fastrand::Rng::with_seed(2026);
    let mut report = DemoReport::default();
    let t = now();
    let today = crate::clock::today();
    let pw = hash_password(DEMO_PASSWORD)?;
    let mut add_user = |conn: &mut DbConnection,
                        email: &str,
                        role: &str,
                        name: &str,
                        m: Option<&str>,
                        org: Option<&str>,
                        cand: Option<&str>,
                        what: String|
     -> anyhow::Result<String> {
        let u = User {
            id: new_id(),
            email: email.into(),
            email_normalized: normalize_email(email),
            password_hash: pw.clone(),
            role: role.parse().map_err(|_| anyhow::anyhow!("unknown role {role}"))?,
            name: name.into(),
            municipality_id: m.map(String::from),
            organisation_id: org.map(String::from),
            candidate_id: cand.map(String::from),
            active: true,
            created_at: t,
            last_login_at: None,
        };
        diesel::insert_into(users::table).values(&u).execute(conn)?;
        report.accounts.push((role.into(), email.into(), what));
        Ok(u.id)
    };

    // Occupations: ESCO ids found by label, each with a few skills (Dutch labels first).
    let occ: Vec<Option<(String, Vec<String>)>> = OCCUPATIONS
        .iter()
        .map(|label| {
            let s = rd.suggest_occupations(label, 1).into_iter().next()?;
            let o = rd.occupation(&s.id)?;
            let mut skills: Vec<&crate::refdata::SkillInfo> = o.essential.iter().map(|&i| &rd.skills[i as usize]).collect();
            skills.sort_by_key(|s| (s.label_nl.is_none(), s.id.clone()));
            Some((o.id.clone(), skills.iter().take(6).map(|s| s.id.clone()).collect()))
        })
        .collect();

    let mut muni_ids = Vec::new();
    let mut muni_groups: Vec<Vec<String>> = Vec::new();
    for (code, name, fallback) in
        [("0262", "Lochem", &["7241", "7242", "7244", "7245"][..]), ("0301", "Zutphen", &["7201", "7202", "7203", "7204"][..])]
    {
        let id = new_id();
        diesel::insert_into(municipalities::table)
            .values(&Municipality {
                id: id.clone(),
                name: name.into(),
                cbs_code: code.into(),
                settings: "{}".into(),
                settings_version: 1,
                created_at: t,
            })
            .execute(conn)?;
        muni_groups.push(demo_groups(conn, &id, t)?);
        muni_ids.push((id, name, code, pc4s_of(rd, code, fallback)));
    }

    // Staff
    let mut kms: Vec<Vec<String>> = Vec::new();
    for (mid, name, _, _) in &muni_ids {
        let lower = name.to_lowercase();
        add_user(
            conn,
            &format!("beheerder@{lower}.demo"),
            "beheerder",
            &format!("Beheerder {name}"),
            Some(mid),
            None,
            None,
            format!("beheerder, gemeente {name}"),
        )?;
        let mut ks = Vec::new();
        for (i, kname) in [(1, "Karin Groot Wassink"), (2, "Hamid El Amrani")] {
            let id = add_user(
                conn,
                &format!("klantmanager{i}@{lower}.demo"),
                "klantmanager",
                kname,
                Some(mid),
                None,
                None,
                format!("klantmanager Werk, gemeente {name}"),
            )?;
            ks.push(id);
        }
        kms.push(ks);
    }

    // Employers and their placements
    let mut orgs = Vec::new();
    for (i, e) in EMPLOYERS.iter().enumerate() {
        let pcs = pc4s_of(rd, e.municipality_code, &["7241", "7201"]);
        let org = Organisation {
            id: new_id(),
            name: e.name.into(),
            kvk_number: e.kvk.into(),
            sector: e.sector.into(),
            pc4: pick(&mut rng, &pcs).clone(),
            contact_name: e.contact.into(),
            contact_email: format!("info@werkgever{}.demo", i + 1),
            contact_phone: format!("0575-{:06}", 100000 + i * 1111),
            verified: e.verified,
            verified_at: e.verified.then_some(t),
            verified_by: None,
            created_at: t,
            updated_at: t,
        };
        diesel::insert_into(organisations::table).values(&org).execute(conn)?;
        add_user(
            conn,
            &format!("werkgever{}@demo.nl", i + 1),
            "werkgever",
            e.contact,
            None,
            Some(&org.id),
            None,
            format!("werkgever, {}{}", e.name, if e.verified { "" } else { " (nog niet geverifieerd)" }),
        )?;
        orgs.push((org, pcs));
    }
    // One SROI contract: the logistics centre supplies the municipality of Zutphen.
    let sroi = SroiContract {
        id: new_id(),
        organisation_id: orgs[2].0.id.clone(),
        municipality_id: muni_ids[1].0.clone(),
        reference: "ZUT-2026-017".into(),
        description: "Raamovereenkomst logistieke dienstverlening".into(),
        contract_value_cents: 45_000_000,
        percentage: 5.0,
        period_start: NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
        period_end: NaiveDate::from_ymd_opt(today.year() + 2, 12, 31).unwrap_or(today),
        created_at: t,
        updated_at: t,
    };
    diesel::insert_into(sroi_contracts::table).values(&sroi).execute(conn)?;

    let n_placements = 32;
    for i in 0..n_placements {
        let kind = PlacementKind::ALL[i % 8];
        // Employers that fit the kind: sheltered work and secondment at the social enterprise.
        let ei = match kind {
            PlacementKind::BeschutWerk | PlacementKind::Detachering | PlacementKind::ArbeidsmatigeDagbesteding => 4,
            _ => i % 4 + if i % 9 == 8 { 1 } else { 0 },
        };
        let (org, pcs) = &orgs[ei];
        let e = &EMPLOYERS[ei];
        let oi = e.occupations[(i / 8) % e.occupations.len()];
        let (occ_id, skills) = match &occ[oi] {
            Some((id, s)) => (Some(id.clone()), s.clone()),
            None => (None, vec![]),
        };
        let label = occ_id.as_deref().and_then(|o| rd.occupation(o)).map(|o| o.label_nl.clone()).unwrap_or_else(|| OCCUPATIONS[oi].into());
        let title = match kind {
            PlacementKind::ReguliereBaan => format!("{} (vaste baan)", capitalise(&label)),
            PlacementKind::Werkervaringsplaats => format!("Werkervaringsplaats {label}"),
            PlacementKind::Proefplaatsing => format!("Proefplaatsing {label}"),
            PlacementKind::LeerwerkplekBbl => format!("Leerwerkplek (BBL) {label}"),
            PlacementKind::Detachering => format!("Detachering als {label}"),
            PlacementKind::BeschutWerk => format!("Beschut werk: {label}"),
            PlacementKind::Vrijwilligerswerk => format!("Vrijwilliger {label}"),
            PlacementKind::ArbeidsmatigeDagbesteding => {
                format!("Dagbesteding: meehelpen als {label}")
            }
        };
        let hmin = [8, 12, 16, 20, 24][rng.usize(..5)];
        let hmax = (hmin + [0, 4, 8, 12, 16][rng.usize(..5)]).min(38);
        let status = match i {
            30 => crate::domain::PlacementStatus::Draft,
            31 => crate::domain::PlacementStatus::Filled,
            _ => crate::domain::PlacementStatus::Open,
        };
        let p = Placement {
            id: new_id(),
            organisation_id: org.id.clone(),
            kind,
            title,
            description: format!(
                "Bij {} werkt u mee als {label}. U krijgt een vaste begeleider en leert het werk stap voor stap. {}",
                org.name,
                if kind.is_paid() { "U krijgt een salaris volgens de cao." } else { "U houdt uw uitkering; het werk is onbetaald." }
            ),
            occupation_id: occ_id,
            hours_min: hmin,
            hours_max: hmax,
            pc4: pick(&mut rng, pcs).clone(),
            hourly_wage_cents: kind.is_paid().then(|| 1471 + rng.i32(0..400)),
            language_level_required: match rng.u8(..4) {
                0 => Some("1F".into()),
                1 => Some("2F".into()),
                _ => None,
            },
            ladder_steps: kind.default_ladder_steps().iter().map(|s| s.to_string()).collect::<Vec<_>>().join(","),
            internal_supervisor: rng.bool(),
            job_coach_welcome: rng.u8(..3) > 0,
            adapted_workplace: matches!(kind, PlacementKind::BeschutWerk) || rng.u8(..4) == 0,
            lks_accepted: kind.is_paid() && rng.bool(),
            counts_banenafspraak: kind.is_paid() && rng.bool(),
            sroi_contract_id: (ei == 2 && kind.is_paid()).then(|| sroi.id.clone()),
            positions: 1 + rng.i32(0..3),
            start_date: Some(today + Duration::days(rng.i64(7..90))),
            duration_months: match kind {
                PlacementKind::Proefplaatsing => Some(2),
                PlacementKind::Werkervaringsplaats => Some(6),
                PlacementKind::LeerwerkplekBbl => Some(24),
                _ => None,
            },
            extension_months: None,
            status,
            version: 1,
            created_at: t - Duration::minutes(i as i64),
            updated_at: t,
            language_learning: matches!(kind, PlacementKind::Werkervaringsplaats | PlacementKind::Vrijwilligerswerk) && i % 3 == 0,
        };
        diesel::insert_into(placements::table).values(&p).execute(conn)?;
        let ps: Vec<PlacementSkill> = skills
            .iter()
            .take(4)
            .enumerate()
            .map(|(j, s)| PlacementSkill { placement_id: p.id.clone(), skill_id: s.clone(), required: j < 2 })
            .collect();
        if !ps.is_empty() {
            crate::insert_all!(conn, placement_skills::table, &ps)?;
        }
        report.placements += 1;
    }

    // Candidates: 30 per municipality, ladder steps 1..6 evenly spread.
    for (mi, (mid, name, _, pcs)) in muni_ids.iter().enumerate() {
        for i in 0..30 {
            let step = (i % 6) as i32 + 1;
            let age = [19, 23, 26, 31, 38, 45, 52, 58, 61][rng.usize(..9)];
            let birth = NaiveDate::from_ymd_opt(today.year() - age, 1 + rng.u32(0..12), 1 + rng.u32(0..28)).unwrap_or(today);
            let first = FIRST[(i + mi * 7) % FIRST.len()];
            let last = LAST[(i * 7 + mi * 3) % LAST.len()];
            let km = &kms[mi][i % 2];
            let statushouder = i % 7 == 3;
            let c = Candidate {
                id: new_id(),
                municipality_id: mid.clone(),
                klantmanager_id: km.clone(),
                first_name: first.into(),
                last_name: last.into(),
                email: Some(format!("{}.{}{}@voorbeeld.demo", first.to_lowercase(), last.replace(' ', "").to_lowercase(), i)),
                phone: Some(format!("06-{:08}", 20000000 + mi * 1000 + i)),
                birth_date: birth,
                pc4: pick(&mut rng, pcs).clone(),
                education_level: pick(&mut rng, &["geen", "vmbo", "mbo1", "mbo2", "havo", "buitenlands"]).to_string(),
                startkwalificatie: rng.u8(..3) == 0,
                language_level: Some(if statushouder { "A2" } else { pick(&mut rng, &["1F", "2F", "2F", "3F", "B1"]) }.into()),
                hours_min: [0, 8, 16, 20][rng.usize(..4)],
                hours_max: [24, 32, 36, 40][rng.usize(..4)],
                max_travel_km: [5, 10, 15, 25, 40][rng.usize(..5)],
                driving_licence: rng.bool(),
                own_transport: rng.u8(..3) > 0,
                loonwaarde: (step >= 4 && rng.bool()).then(|| [35, 50, 60, 75, 85][rng.usize(..5)]),
                loonwaarde_date: None,
                // The two exclude each other (Besluit SUWI art. 3.2(3)).
                doelgroepregister: step >= 4 && i % 4 == 0 && i % 11 != 5,
                beschut_werk_indicatie: i % 11 == 5,
                lks_target_group: step >= 4 && i % 3 == 0,
                needs_job_coach: i % 3 == 1,
                statushouder,
                work_capacity_limits: if i % 5 == 0 { "Kan niet lang staan; maximaal 4 uur per dag.".into() } else { String::new() },
                support_needs: if i % 3 == 1 { "Vaste begeleider op de werkvloer, duidelijke taken.".into() } else { String::new() },
                zrm_scores: format!(
                    r#"{{"financien":{},"werk_opleiding":{},"huisvesting":{},"sociaal_netwerk":{}}}"#,
                    1 + rng.u8(..5),
                    1 + (step as u8).min(4),
                    2 + rng.u8(..4),
                    1 + rng.u8(..5)
                ),
                sector_preferences: r#"["groen","logistiek"]"#.into(),
                available_from: Some(today + Duration::days(rng.i64(0..60))),
                consent_matching: true,
                consent_anonymous_profile: i % 6 != 5,
                consent_email: rng.bool(),
                status: if i == 29 { crate::domain::CandidateStatus::Uitgestroomd } else { crate::domain::CandidateStatus::Actief },
                outflow_reason: (i == 29).then(|| "betaald_werk".into()),
                outflow_date: (i == 29).then_some(today - Duration::days(20)),
                version: 1,
                created_at: t - Duration::days(400 - i as i64 * 10),
                updated_at: t,
                client_number: Some(format!("{}{:04}", mi + 1, i + 1)),
                // Mostly bijstand; some without a benefit (NUG) and one IOAW per municipality.
                benefit_type: match i % 10 {
                    7 => crate::domain::BenefitType::Nug,
                    _ if i == 4 => crate::domain::BenefitType::Ioaw,
                    _ => crate::domain::BenefitType::Participatiewet,
                },
                registration_date: crate::clock::local_date(t - Duration::days(400 - i as i64 * 10)),
                // Steps 1-2 participatie, 3-4 ontwikkelen, 5-6 direct bemiddelbaar.
                client_group_id: Some(muni_groups[mi][((step - 1) / 2) as usize].clone()),
                doelgroepregister_route: (step >= 4 && i % 4 == 0 && i % 11 != 5).then_some(crate::domain::klantgroep::DoelgroepRoute::UwvIndicatie),
                doelgroepregister_date: (step >= 4 && i % 4 == 0 && i % 11 != 5).then(|| today - Duration::days(200)),
                kind_preferences: "[]".into(),
                days_available: "[]".into(),
                wishes_changed_at: None,
            };
            let c = Candidate { loonwaarde_date: c.loonwaarde.map(|_| today - Duration::days(90)), ..c };
            diesel::insert_into(candidates::table).values(&c).execute(conn)?;
            // 1-2 occupations, their first skills, sometimes a free-text skill.
            let oi = (i + mi * 5) % OCCUPATIONS.len();
            let mut occs = vec![oi];
            if i % 3 == 0 {
                occs.push((oi + 3) % OCCUPATIONS.len());
            }
            for (k, o) in occs.iter().enumerate() {
                if let Some((oid, skills)) = &occ[*o] {
                    diesel::insert_into(candidate_occupations::table)
                        .values(&CandidateOccupation {
                            candidate_id: c.id.clone(),
                            occupation_id: oid.clone(),
                            experience: ["beginner", "ervaren"][k % 2].into(),
                        })
                        .execute(conn)?;
                    let rows: Vec<CandidateSkill> = skills
                        .iter()
                        .skip(k)
                        .take(3)
                        .map(|s| CandidateSkill {
                            id: new_id(),
                            candidate_id: c.id.clone(),
                            skill_id: Some(s.clone()),
                            free_text: None,
                            level: "basis".into(),
                        })
                        .collect();
                    if !rows.is_empty() {
                        crate::insert_all!(conn, candidate_skills::table, &rows)?;
                    }
                }
            }
            if i % 4 == 2 {
                diesel::insert_into(candidate_skills::table)
                    .values(&CandidateSkill {
                        id: new_id(),
                        candidate_id: c.id.clone(),
                        skill_id: None,
                        free_text: Some("heftruckcertificaat".into()),
                        level: "gevorderd".into(),
                    })
                    .execute(conn)?;
            }
            // Two ladder measurements: half a year ago and recently (some moved up).
            let earlier = (step - (i % 3 == 0) as i32).max(1);
            for (d, s) in [(190, earlier), (20 + (i as i64 % 30), step)] {
                diesel::insert_into(ladder_measurements::table)
                    .values(&LadderMeasurement {
                        id: new_id(),
                        candidate_id: c.id.clone(),
                        measured_on: today - Duration::days(d),
                        step: s,
                        target_step: Some((step + 1).min(6)),
                        measured_by: Some(km.clone()),
                        note: String::new(),
                        created_at: t,
                    })
                    .execute(conn)?;
            }
            // Contact moments; every fifth is overdue (last contact over a year ago).
            let days = if i % 5 == 4 { 420 } else { 10 + rng.i64(0..200) };
            diesel::insert_into(contact_moments::table)
                .values(&ContactMoment {
                    id: new_id(),
                    candidate_id: c.id.clone(),
                    contact_date: today - Duration::days(days),
                    channel: *pick(
                        &mut rng,
                        &[crate::domain::ContactChannel::Gesprek, crate::domain::ContactChannel::Telefoon, crate::domain::ContactChannel::Huisbezoek],
                    ),
                    by_user_id: Some(km.clone()),
                    note: "Voortgang besproken.".into(),
                    created_at: t,
                })
                .execute(conn)?;
            if i < 2 {
                let lower = name.to_lowercase();
                add_user(
                    conn,
                    &format!("kandidaat{}@{lower}.demo", i + 1),
                    "kandidaat",
                    &format!("{first} {last}"),
                    Some(mid),
                    None,
                    Some(&c.id),
                    format!("kandidaat, trede {step}, gemeente {name}"),
                )?;
            }
            report.candidates += 1;
        }
    }
    Ok(report)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Finds a municipality by CBS code or name; creates it from the PC4 table (or with the
/// given code as name) when it does not exist yet. For `opstap user create`.
pub fn find_or_create_municipality(conn: &mut DbConnection, key: &str) -> anyhow::Result<String> {
    let key = key.trim();
    let found: Option<String> = municipalities::table
        .filter(municipalities::cbs_code.eq(key).or(municipalities::name.eq(key)))
        .select(municipalities::id)
        .first(conn)
        .optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    let by_code: Option<(String, String)> = pc4_areas::table
        .filter(pc4_areas::municipality_code.eq(key).or(pc4_areas::municipality.eq(key)))
        .select((pc4_areas::municipality, pc4_areas::municipality_code))
        .first(conn)
        .optional()?;
    let Some((name, code)) = by_code else {
        anyhow::bail!("unknown municipality '{key}': give a CBS code (e.g. 0262) or a name from nl_pc4.csv");
    };
    let id = new_id();
    diesel::insert_into(municipalities::table)
        .values(&Municipality { id: id.clone(), name, cbs_code: code, settings: "{}".into(), settings_version: 1, created_at: now() })
        .execute(conn)?;
    crate::db::client_groups::default_for(conn, &id)?;
    Ok(id)
}

/// The demo municipality's klantgroepen (participatie, ontwikkelen, direct bemiddelbaar), each
/// with its contact norm, default target step and this year's targets; their ids in that order.
fn demo_groups(conn: &mut DbConnection, municipality: &str, t: chrono::NaiveDateTime) -> anyhow::Result<Vec<String>> {
    use crate::domain::klantgroep::TargetIndicator;
    crate::db::client_groups::default_for(conn, municipality)?;
    let year = crate::clock::local_date(t).year();
    let mut ids = vec![];
    for (name, description, norm, target, goals) in [
        ("Participatie", "Meedoen en zelfredzaamheid eerst; werk is nog ver weg.", 180, 3, [(TargetIndicator::TredeOmhoog, 4)]),
        ("Ontwikkelen", "Werkfit worden met werkervaring, scholing of een proefplaatsing.", 60, 4, [(TargetIndicator::TredeOmhoog, 6)]),
        ("Direct bemiddelbaar", "Kan binnen een half jaar aan het werk; traject met veel contact.", 14, 6, [(TargetIndicator::UitstroomWerk, 5)]),
    ] {
        let g = crate::db::models::ClientGroup {
            id: new_id(),
            municipality_id: municipality.into(),
            name: name.into(),
            description: description.into(),
            contact_norm_days: norm,
            default_target_step: Some(target),
            is_default: false,
            version: 1,
            created_at: t,
            updated_at: t,
        };
        crate::db::client_groups::insert(conn, &g)?;
        for (indicator, n) in goals {
            crate::db::client_groups::set_target(conn, &g.id, year, indicator, Some(n))?;
        }
        ids.push(g.id);
    }
    Ok(ids)
}
