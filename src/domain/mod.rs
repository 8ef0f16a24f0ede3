//! Pure rules of the domain (see ../shared/docs/DOMAIN.md). No I/O, no actix, no diesel.

pub mod face;
pub mod geo;
pub mod instruments;
pub mod kinds;
pub mod klantgroep;
pub mod ladder;
pub mod language;
pub mod monitor;
pub mod nl;
pub mod settings;
pub mod support;
pub mod transition;
pub mod validation;
pub mod workflow;

pub use kinds::PlacementKind;

use serde::{Deserialize, Serialize};

/// One field that failed validation, with a message a person can act on (Dutch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), message: message.into() }
    }
}

/// The four roles of the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Beheerder,
    Klantmanager,
    Werkgever,
    Kandidaat,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "beheerder" | "admin" => Some(Role::Beheerder),
            "klantmanager" => Some(Role::Klantmanager),
            "werkgever" | "employer" => Some(Role::Werkgever),
            "kandidaat" | "candidate" => Some(Role::Kandidaat),
            _ => None,
        }
    }
    /// Dutch, as staff read it in histories and lists.
    pub fn label_nl(self) -> &'static str {
        match self {
            Role::Beheerder => "Beheerder",
            Role::Klantmanager => "Klantmanager",
            Role::Werkgever => "Werkgever",
            Role::Kandidaat => "Kandidaat",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A KvK (Chamber of Commerce) number: exactly 8 digits, not all zero.
/// KvK numbers carry no check digit (KvK, since 2009), so the format is all that can be checked.
pub fn validate_kvk(kvk: &str) -> Result<(), &'static str> {
    let k = kvk.trim();
    if k.len() != 8 || !k.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Een KvK-nummer bestaat uit precies 8 cijfers.");
    }
    if k.bytes().all(|b| b == b'0') {
        return Err("Dit KvK-nummer bestaat niet (alleen nullen).");
    }
    Ok(())
}

/// A PC4 postcode: four digits, the first not zero.
pub fn is_pc4_format(pc4: &str) -> bool {
    let b = pc4.as_bytes();
    b.len() == 4 && b.iter().all(|c| c.is_ascii_digit()) && b[0] != b'0'
}

/// Age in whole years on a date.
pub fn age_on(birth: chrono::NaiveDate, on: chrono::NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// An amount in cents as Dutch money: "€ 1.234,56".
pub fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.abs();
    let whole = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    format!("{sign}€ {grouped},{:02}", c % 100)
}

/// A range of hours per week (wished by a candidate, offered by a placement): the minimum not above
/// the maximum, said beside both fields.
pub fn hours_range_errors<T: PartialOrd>(min: T, max: T) -> Vec<FieldError> {
    if min > max {
        let m = "Het minimum aantal uren is groter dan het maximum.";
        vec![FieldError::new("hours_min", m), FieldError::new("hours_max", m)]
    } else {
        vec![]
    }
}

/// The benefit a person receives from the municipality (DOMAIN.md "Benefit type"), or none (NUG:
/// niet-uitkeringsgerechtigd). It decides the SROI bouwblok and splits the monitor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum BenefitType {
    #[default]
    Participatiewet,
    Ioaw,
    Ioaz,
    Anw,
    /// No benefit (niet-uitkeringsgerechtigd).
    Nug,
}

impl BenefitType {
    pub const ALL: [BenefitType; 5] = [BenefitType::Participatiewet, BenefitType::Ioaw, BenefitType::Ioaz, BenefitType::Anw, BenefitType::Nug];
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    /// As staff read it.
    pub fn label_nl(self) -> &'static str {
        match self {
            BenefitType::Participatiewet => "Participatiewet (bijstand)",
            BenefitType::Ioaw => "IOAW",
            BenefitType::Ioaz => "IOAZ",
            BenefitType::Anw => "Anw",
            BenefitType::Nug => "Geen uitkering (NUG)",
        }
    }
}

/// Days of the week as stored in a person's availability, with their Dutch names.
pub const DAYS: &[(&str, &str)] =
    &[("ma", "maandag"), ("di", "dinsdag"), ("wo", "woensdag"), ("do", "donderdag"), ("vr", "vrijdag"), ("za", "zaterdag"), ("zo", "zondag")];

/// Where a candidate stands in the municipality's caseload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateStatus {
    /// In the caseload ("in beeld"): matched, counted, reminded.
    Actief,
    /// Left the caseload (uitstroom), with a date and a reason.
    Uitgestroomd,
}

impl CandidateStatus {
    pub const ALL: [CandidateStatus; 2] = [CandidateStatus::Actief, CandidateStatus::Uitgestroomd];
    pub const fn as_str(self) -> &'static str {
        match self {
            CandidateStatus::Actief => "actief",
            CandidateStatus::Uitgestroomd => "uitgestroomd",
        }
    }
    pub fn parse(s: &str) -> Option<CandidateStatus> {
        CandidateStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Candidate status values, as stored.
pub const CANDIDATE_STATUSES: &[&str] = &[CandidateStatus::Actief.as_str(), CandidateStatus::Uitgestroomd.as_str()];
/// The stored value of an active candidate (for queries).
pub const ACTIEF: &str = CandidateStatus::Actief.as_str();
/// The stored value of a candidate who left the caseload (for queries).
pub const UITGESTROOMD: &str = CandidateStatus::Uitgestroomd.as_str();
/// Reasons for uitstroom (outflow), for the quarterly monitor.
pub const OUTFLOW_REASONS: &[&str] =
    &["betaald_werk", "betaald_werk_met_ondersteuning", "opleiding", "verhuizing", "andere_uitkering", "overlijden", "overig"];
/// An outflow reason as staff read it.
pub fn outflow_label(code: &str) -> &'static str {
    match code {
        "betaald_werk" => "Werk zonder ondersteuning",
        "betaald_werk_met_ondersteuning" => "Werk met ondersteuning",
        "opleiding" => "Opleiding",
        "verhuizing" => "Verhuisd",
        "andere_uitkering" => "Andere uitkering",
        "overlijden" => "Overleden",
        _ => "Andere reden",
    }
}

/// A placement kind code as staff read it ("werkervaringsplaats" → "Werkervaringsplaats").
pub fn kind_label(code: &str) -> &'static str {
    PlacementKind::parse(code).map(|k| k.label_nl()).unwrap_or("Onbekende soort")
}

/// Where a placement stands: only an open placement of a verified organisation is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlacementStatus {
    Draft,
    Open,
    Filled,
    Closed,
}

impl PlacementStatus {
    pub const ALL: [PlacementStatus; 4] = [PlacementStatus::Draft, PlacementStatus::Open, PlacementStatus::Filled, PlacementStatus::Closed];
    pub const fn as_str(self) -> &'static str {
        match self {
            PlacementStatus::Draft => "draft",
            PlacementStatus::Open => "open",
            PlacementStatus::Filled => "filled",
            PlacementStatus::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<PlacementStatus> {
        PlacementStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// The Dutch word shown on pages.
    pub const fn label_nl(self) -> &'static str {
        match self {
            PlacementStatus::Draft => "concept",
            PlacementStatus::Open => "open",
            PlacementStatus::Filled => "vervuld",
            PlacementStatus::Closed => "gesloten",
        }
    }
}

/// The conversions the column mapping (`db::enums`) and strum-derived enums share, for the enums
/// whose names must be `const` (they build the constant lists of stored values).
macro_rules! stored_names {
    ($($t:ty),*) => {$(
        impl From<$t> for &'static str {
            fn from(s: $t) -> &'static str {
                s.as_str()
            }
        }
        impl std::str::FromStr for $t {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                <$t>::parse(s).ok_or(())
            }
        }
    )*};
}
stored_names!(PlacementStatus, CandidateStatus);

/// Placement status values, as stored.
pub const PLACEMENT_STATUSES: &[&str] =
    &[PlacementStatus::Draft.as_str(), PlacementStatus::Open.as_str(), PlacementStatus::Filled.as_str(), PlacementStatus::Closed.as_str()];
/// How a klantmanager was in contact with a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "lowercase")]
pub enum ContactChannel {
    Gesprek,
    Huisbezoek,
    Telefoon,
    Video,
    Email,
    Brief,
}

impl ContactChannel {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    /// Whether it counts as a personal contact for the contact norm.
    pub fn personal(self) -> bool {
        PERSONAL_CHANNELS.contains(&self.as_str())
    }
    /// As staff read it.
    pub fn label_nl(self) -> &'static str {
        channel_label(self.as_str())
    }
}

/// Contact channels.
pub const CONTACT_CHANNELS: &[&str] = &["gesprek", "huisbezoek", "telefoon", "video", "email", "brief"];
/// Channels that count as a personal contact for the contact norm.
pub const PERSONAL_CHANNELS: &[&str] = &["gesprek", "huisbezoek", "telefoon", "video"];

/// A contact channel as staff read it.
pub fn channel_label(code: &str) -> &'static str {
    match code {
        "gesprek" => "Gesprek",
        "huisbezoek" => "Huisbezoek",
        "telefoon" => "Telefoon",
        "video" => "Videobellen",
        "email" => "E-mail",
        "brief" => "Brief",
        _ => "Anders",
    }
}

/// The contact norm (DOMAIN.md): at least one personal contact per candidate per year, or as often
/// as the candidate's klantgroep asks (`norm_days`; `None` = the year). Met on `on` when a personal
/// contact lies in the norm's period up to and including `on`. The one definition behind the
/// caseload's "overdue", the weekly digest and the quarterly monitor.
pub fn contact_norm_met(norm_days: Option<i32>, personal_contacts: impl IntoIterator<Item = chrono::NaiveDate>, on: chrono::NaiveDate) -> bool {
    let from = match norm_days {
        Some(d) => on - chrono::Duration::days(i64::from(d.max(1))),
        None => on.checked_sub_months(chrono::Months::new(12)).unwrap_or(on),
    };
    personal_contacts.into_iter().any(|d| d > from && d <= on)
}

/// The placement status in which it can be published.
pub const PUBLISHED_STATUS: &str = PlacementStatus::Open.as_str();

/// Published (visible to the public, proposable): open, of a verified organisation.
pub fn placement_published(status: PlacementStatus, organisation_verified: bool) -> bool {
    status == PlacementStatus::Open && organisation_verified
}

/// The SROI obligation of a contract: its value times the percentage, in whole cents.
pub fn sroi_obligation_cents(contract_value_cents: i64, percentage: f64) -> i64 {
    (contract_value_cents as f64 * percentage / 100.0).round() as i64
}
/// Education levels (Dutch system).
pub const EDUCATION_LEVELS: &[&str] = &["geen", "basisonderwijs", "vmbo", "mbo1", "mbo2", "mbo3", "mbo4", "havo", "vwo", "hbo", "wo", "buitenlands"];
/// Experience levels for an occupation.
pub const EXPERIENCE_LEVELS: &[&str] = &["geen", "beginner", "ervaren", "zeer_ervaren"];
/// Skill levels.
pub const SKILL_LEVELS: &[&str] = &["basis", "gevorderd", "expert"];
/// The 13 ZRM domains (Zelfredzaamheidsmatrix).
pub const ZRM_DOMAINS: &[&str] = &[
    "financien",
    "werk_opleiding",
    "tijdsbesteding",
    "huisvesting",
    "huiselijke_relaties",
    "geestelijke_gezondheid",
    "lichamelijke_gezondheid",
    "middelengebruik",
    "basale_adl",
    "instrumentele_adl",
    "sociaal_netwerk",
    "maatschappelijke_participatie",
    "justitie",
];

/// A ZRM domain as staff read it.
pub fn zrm_label(domain: &str) -> &'static str {
    match domain {
        "financien" => "Financiën",
        "werk_opleiding" => "Werk en opleiding",
        "tijdsbesteding" => "Tijdsbesteding",
        "huisvesting" => "Huisvesting",
        "huiselijke_relaties" => "Huiselijke relaties",
        "geestelijke_gezondheid" => "Geestelijke gezondheid",
        "lichamelijke_gezondheid" => "Lichamelijke gezondheid",
        "middelengebruik" => "Middelengebruik",
        "basale_adl" => "Basale ADL",
        "instrumentele_adl" => "Instrumentele ADL",
        "sociaal_netwerk" => "Sociaal netwerk",
        "maatschappelijke_participatie" => "Maatschappelijke participatie",
        "justitie" => "Justitie",
        _ => "Onbekend domein",
    }
}

/// The ZRM domains scored 1 (acute) or 2 (not self-reliant): urgent obstacles to stabilise
/// before a placement (DOMAIN.md), as staff read them. `scores` is the stored JSON object.
pub fn urgent_obstacles(scores: &str) -> Vec<&'static str> {
    let map: std::collections::BTreeMap<String, i32> = serde_json::from_str(scores).unwrap_or_default();
    ZRM_DOMAINS.iter().filter(|d| map.get(**d).is_some_and(|s| (1..=2).contains(s))).map(|d| zrm_label(d)).collect()
}

/// Two ladder measurements a year (DOMAIN.md): a new one is needed when the last is more than six
/// months old, or there is none.
pub fn measurement_needed(last: Option<chrono::NaiveDate>, today: chrono::NaiveDate) -> bool {
    match (last, today.checked_sub_months(chrono::Months::new(6))) {
        (Some(d), Some(limit)) => d < limit,
        _ => true,
    }
}

/// Checks a ZRM score map: known domains, scores 1..=5.
pub fn validate_zrm(scores: &std::collections::BTreeMap<String, i32>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (k, v) in scores {
        if !ZRM_DOMAINS.contains(&k.as_str()) {
            errs.push(FieldError::new(format!("zrm_scores.{k}"), format!("Onbekend ZRM-domein. Kies uit: {}.", ZRM_DOMAINS.join(", "))));
        } else if !(1..=5).contains(v) {
            errs.push(FieldError::new(format!("zrm_scores.{k}"), "Een ZRM-score ligt tussen 1 en 5."));
        }
    }
    errs
}

pub fn one_of(field: &str, value: &str, allowed: &[&str]) -> Option<FieldError> {
    if allowed.contains(&value) {
        None
    } else {
        Some(FieldError::new(field, format!("Ongeldige waarde '{value}'. Kies uit: {}.", allowed.join(", "))))
    }
}

/// A list of short texts: at most `max_items`, each at most `max_chars` characters.
pub fn check_text_list(field: &str, items: &[String], max_items: usize, max_chars: usize) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if items.len() > max_items {
        errs.push(FieldError::new(field, format!("Hoogstens {max_items} items.")));
    }
    for (i, t) in items.iter().enumerate() {
        if t.chars().count() > max_chars {
            errs.push(FieldError::new(format!("{field}[{i}]"), format!("Hoogstens {max_chars} tekens.")));
        }
    }
    errs
}

/// The dates the platform accepts anywhere: a date outside 1900-2100 is a typing error (year 0001,
/// -0001 or 20266), never a real birth, measurement or start date.
pub const EARLIEST_DATE: (i32, u32, u32) = (1900, 1, 1);
pub const LATEST_DATE: (i32, u32, u32) = (2100, 12, 31);

/// `None` when `d` lies in 1900-2100; otherwise the error for `field`.
pub fn check_date_range(field: &str, d: chrono::NaiveDate) -> Option<FieldError> {
    let lo = chrono::NaiveDate::from_ymd_opt(EARLIEST_DATE.0, EARLIEST_DATE.1, EARLIEST_DATE.2)?;
    let hi = chrono::NaiveDate::from_ymd_opt(LATEST_DATE.0, LATEST_DATE.1, LATEST_DATE.2)?;
    if d < lo || d > hi {
        Some(FieldError::new(field, "Vul een datum tussen 1900 en 2100 in."))
    } else {
        None
    }
}

/// The date-range errors of several (field, date) pairs; absent dates are skipped.
pub fn check_date_ranges<'a>(dates: impl IntoIterator<Item = (&'a str, Option<chrono::NaiveDate>)>) -> Vec<FieldError> {
    dates.into_iter().filter_map(|(f, d)| d.and_then(|d| check_date_range(f, d))).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_stored_contact_channel_is_a_channel_and_back() {
        for c in CONTACT_CHANNELS {
            let ch: ContactChannel = c.parse().expect("a listed channel parses");
            assert_eq!(ch.as_str(), *c);
            assert_eq!(ch.personal(), PERSONAL_CHANNELS.contains(c));
            assert_ne!(ch.label_nl(), "Anders");
        }
        assert!("duif".parse::<ContactChannel>().is_err());
        for s in ["actief", "uitgestroomd"] {
            assert_eq!(s.parse::<CandidateStatus>().map(|c| c.as_str()), Ok(s));
        }
        for s in PLACEMENT_STATUSES {
            assert_eq!(s.parse::<PlacementStatus>().map(<&'static str>::from), Ok(*s));
        }
    }

    use super::*;

    #[test]
    fn kvk_format() {
        assert!(validate_kvk("12345678").is_ok());
        assert!(validate_kvk("1234567").is_err());
        assert!(validate_kvk("1234567a").is_err());
        assert!(validate_kvk("00000000").is_err());
    }

    #[test]
    fn age() {
        let b = chrono::NaiveDate::from_ymd_opt(2000, 6, 15).unwrap();
        assert_eq!(age_on(b, chrono::NaiveDate::from_ymd_opt(2026, 6, 14).unwrap()), 25);
        assert_eq!(age_on(b, chrono::NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()), 26);
    }
}

#[cfg(test)]
mod money_tests {
    #[test]
    fn euros() {
        assert_eq!(super::euros(123456), "€ 1.234,56");
        assert_eq!(super::euros(5), "€ 0,05");
        assert_eq!(super::euros(-10_000_000), "-€ 100.000,00");
    }
}

#[cfg(test)]
mod norm_tests {
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn contact_norm_is_twelve_months_up_to_the_day() {
        let on = d("2026-12-02");
        assert!(super::contact_norm_met(None, [d("2026-01-10")], on));
        assert!(super::contact_norm_met(None, [d("2025-12-03")], on));
        assert!(!super::contact_norm_met(None, [d("2025-12-02")], on), "exactly a year ago is overdue");
        assert!(!super::contact_norm_met(None, [d("2026-12-03")], on), "a contact after the day does not count for it");
        assert!(!super::contact_norm_met(None, None, on));
    }

    #[test]
    fn urgent_obstacles_and_measurements_due() {
        assert_eq!(super::urgent_obstacles(r#"{"financien":2,"huisvesting":1,"justitie":3}"#), ["Financiën", "Huisvesting"]);
        assert!(super::urgent_obstacles("{}").is_empty());
        let today = d("2026-12-07");
        assert!(super::measurement_needed(None, today));
        assert!(super::measurement_needed(Some(d("2026-06-06")), today));
        assert!(!super::measurement_needed(Some(d("2026-06-07")), today));
    }

    #[test]
    fn a_klantgroep_sets_the_norm_in_days() {
        let on = d("2026-12-02");
        let forty_days_ago = [on - chrono::Duration::days(40)];
        assert!(!super::contact_norm_met(Some(30), forty_days_ago, on));
        assert!(super::contact_norm_met(Some(365), forty_days_ago, on));
        assert!(super::contact_norm_met(Some(30), [on - chrono::Duration::days(29)], on));
        assert!(!super::contact_norm_met(Some(30), [on - chrono::Duration::days(30)], on), "exactly the norm ago is overdue");
    }

    #[test]
    fn sroi_obligation_and_publication() {
        assert_eq!(super::sroi_obligation_cents(45_000_000, 5.0), 2_250_000);
        assert_eq!(super::sroi_obligation_cents(10_001, 5.0), 500);
        assert!(super::placement_published(super::PlacementStatus::Open, true));
        assert!(!super::placement_published(super::PlacementStatus::Open, false) && !super::placement_published(super::PlacementStatus::Draft, true));
    }
}
