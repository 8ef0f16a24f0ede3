//! Municipality settings: matcher weights, the dated WML table, SROI bouwblokken, job-coach
//! norms and tariffs, thresholds. Defaults from DOMAIN.md; a beheerder can change them and the
//! change takes effect at the next request (settings are read per request, with a version).

use super::FieldError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One row of the WML (statutory minimum wage, 21+) table, valid from a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WmlEntry {
    pub from: NaiveDate,
    /// Monthly minimum wage (referentieminimumloon) in cents.
    pub month_cents: i64,
    /// Hourly minimum wage in cents (for wage costs).
    pub hour_cents: i64,
}

/// Youth minimum wage as a share of the adult WML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct YouthRate {
    pub age: i32,
    pub pct: f64,
}

/// The youth minimum wage as a share of the adult WML, by age (WML art. 8, as published by the
/// Rijksoverheid): 20 80%, 19 60%, 18 50%, 17 39.5%, 16 34.5%, 15 30%.
pub const LEGAL_YOUTH_RATES: [(i32, f64); 6] = [(20, 80.0), (19, 60.0), (18, 50.0), (17, 39.5), (16, 34.5), (15, 30.0)];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Weights {
    pub skills: f64,
    pub ladder: f64,
    pub distance: f64,
    pub hours: f64,
    pub language: f64,
    pub support: f64,
    pub start_date: f64,
    pub under_27: f64,
    pub statushouder: f64,
    pub instruments: f64,
    /// The person's own wishes: sector and kind of work.
    pub wishes: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            skills: 35.0,
            ladder: 15.0,
            distance: 7.0,
            hours: 10.0,
            language: 5.0,
            support: 10.0,
            start_date: 3.0,
            under_27: 4.0,
            statushouder: 3.0,
            instruments: 3.0,
            wishes: 5.0,
        }
    }
}

impl Weights {
    pub fn total(&self) -> f64 {
        self.skills
            + self.ladder
            + self.distance
            + self.hours
            + self.language
            + self.support
            + self.start_date
            + self.under_27
            + self.statushouder
            + self.instruments
            + self.wishes
    }
}

/// SROI bouwblokken: value per person-year at 36 h/week, in cents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Bouwblokken {
    pub participatiewet: i64,
    pub doelgroepregister: i64,
    pub wia_wao: i64,
    pub ww: i64,
    pub bbl: i64,
    pub nug: i64,
    /// Bonus each for age 50+, statushouder, permanent contract.
    pub bonus: i64,
    /// Contracts above this value carry an SROI obligation.
    pub threshold_cents: i64,
    /// Default share of the contract value.
    pub default_pct: f64,
}

impl Default for Bouwblokken {
    fn default() -> Self {
        Bouwblokken {
            participatiewet: 4_000_000,
            doelgroepregister: 5_000_000,
            wia_wao: 4_000_000,
            ww: 2_000_000,
            bbl: 3_500_000,
            nug: 1_000_000,
            bonus: 1_000_000,
            threshold_cents: 10_000_000,
            default_pct: 5.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct JobCoach {
    /// Coaching hours as a share of working hours: year 1, year 2, from year 3.
    pub year1_pct: f64,
    pub year2_pct: f64,
    pub later_pct: f64,
    /// Tariff of an external job coach, cents per hour.
    pub external_hour_cents: i64,
    /// Compensation for internal coaching, cents per hour.
    pub internal_hour_cents: i64,
}

impl Default for JobCoach {
    fn default() -> Self {
        JobCoach { year1_pct: 15.0, year2_pct: 7.5, later_pct: 6.0, external_hour_cents: 7_500, internal_hour_cents: 4_000 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Settings {
    pub weights: Weights,
    pub wml: Vec<WmlEntry>,
    pub youth_rates: Vec<YouthRate>,
    /// Holiday allowance on top of the WML, percent.
    pub holiday_allowance_pct: f64,
    /// Employer costs on top of wage + holiday allowance, percent (LKS formula).
    pub employer_costs_pct: f64,
    /// LKS cap as a share of WML + holiday allowance, percent.
    pub lks_cap_pct: f64,
    /// Forfaitaire loonwaarde while none is measured, percent.
    pub lks_forfaitair_pct: f64,
    /// How long the forfaitaire LKS may be used, months.
    pub lks_forfaitair_months: i32,
    /// Default sector full-time hours per week.
    pub fulltime_hours: f64,
    pub job_coach: JobCoach,
    /// LKV banenafspraak per paid hour, cents; and its yearly maximum.
    pub lkv_hour_cents: i64,
    pub lkv_max_year_cents: i64,
    /// Hours per week that count as one banenafspraak job.
    pub banenafspraak_hours: f64,
    pub bouwblokken: Bouwblokken,
    /// Maximum distance for a candidate without own transport, km.
    pub no_transport_max_km: f64,
    /// Maximum duration of a werkervaringsplaats, months.
    pub werkervaringsplaats_max_months: i32,
    /// Candidates younger than this get training and BBL first.
    pub youth_age: i32,
    /// How many placements the index hands to the re-ranker (candidate -> placements).
    pub retrieval_size: usize,
    /// How many candidates the index hands to the re-ranker (placement -> candidates); each is
    /// loaded from the database, so this is kept smaller.
    pub candidate_retrieval_size: usize,
    /// Placement -> candidates: candidates living within this radius are considered (each
    /// candidate's own maximum travel distance is then applied as a rule).
    pub candidate_search_radius_km: f64,
    /// Retention: a candidate is anonymised this many years after uitstroom (the municipality's
    /// selection list; DOMAIN.md default 5).
    pub retention_years_after_outflow: i32,
    /// Proposal logs are purged after this many months (AI Act deployer logs: at least 6).
    pub proposal_log_months: i32,
}

impl Default for Settings {
    fn default() -> Self {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("valid date");
        Settings {
            weights: Weights::default(),
            wml: vec![
                WmlEntry { from: d(2025, 1, 1), month_cents: 219_180, hour_cents: 1_406 },
                WmlEntry { from: d(2025, 7, 1), month_cents: 224_580, hour_cents: 1_440 },
                WmlEntry { from: d(2026, 1, 1), month_cents: 229_440, hour_cents: 1_471 },
            ],
            youth_rates: LEGAL_YOUTH_RATES.iter().map(|&(age, pct)| YouthRate { age, pct }).collect(),
            holiday_allowance_pct: 8.0,
            employer_costs_pct: 23.5,
            lks_cap_pct: 70.0,
            lks_forfaitair_pct: 50.0,
            lks_forfaitair_months: 6,
            fulltime_hours: 36.0,
            job_coach: JobCoach::default(),
            lkv_hour_cents: 101,
            lkv_max_year_cents: 200_000,
            banenafspraak_hours: 25.5,
            bouwblokken: Bouwblokken::default(),
            no_transport_max_km: 15.0,
            werkervaringsplaats_max_months: 12,
            youth_age: 27,
            retrieval_size: 300,
            candidate_retrieval_size: 150,
            candidate_search_radius_km: 60.0,
            retention_years_after_outflow: 5,
            proposal_log_months: 12,
        }
    }
}

impl Settings {
    /// The WML entry in force on a date; None before the table begins.
    pub fn wml_on(&self, date: NaiveDate) -> Option<&WmlEntry> {
        self.wml.iter().filter(|e| e.from <= date).max_by_key(|e| e.from)
    }

    /// How far someone can be asked to travel (km): their own limit, and without their own
    /// transport at most `no_transport_max_km`. The matcher's rule and every page's figure.
    pub fn travel_km(&self, max_travel_km: i32, own_transport: bool) -> f64 {
        let own = max_travel_km.max(0) as f64;
        if own_transport {
            own
        } else {
            own.min(self.no_transport_max_km)
        }
    }

    /// Youth share (percent) of the WML for an age; 100 for 21+ or unknown. An age the
    /// municipality's table does not list takes the legal rate (settings stored before the table
    /// had 15-17 would otherwise give a 17-year-old the 18-year rate); below 15, the 15-year rate.
    pub fn youth_pct(&self, age: Option<i32>) -> f64 {
        let Some(age) = age else { return 100.0 };
        if age >= 21 {
            return 100.0;
        }
        let age = age.max(15);
        if let Some(r) = self.youth_rates.iter().find(|r| r.age == age) {
            return r.pct;
        }
        LEGAL_YOUTH_RATES.iter().find(|(a, _)| *a == age).map(|(_, p)| *p).unwrap_or(100.0)
    }

    pub fn check(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        let w = &self.weights;
        for (name, v) in [
            ("skills", w.skills),
            ("ladder", w.ladder),
            ("distance", w.distance),
            ("hours", w.hours),
            ("language", w.language),
            ("support", w.support),
            ("start_date", w.start_date),
            ("under_27", w.under_27),
            ("statushouder", w.statushouder),
            ("instruments", w.instruments),
            ("wishes", w.wishes),
        ] {
            if !(0.0..=100.0).contains(&v) || !v.is_finite() {
                e.push(FieldError::new(format!("weights.{name}"), "Een gewicht ligt tussen 0 en 100."));
            }
        }
        // The score is scaled to 0..100 whatever the sum (see `matching::evaluate`).
        if w.total() <= 0.0 {
            e.push(FieldError::new("weights", "Minstens één gewicht moet groter dan 0 zijn."));
        }
        if self.wml.is_empty() {
            e.push(FieldError::new("wml", "De WML-tabel heeft minstens één regel."));
        }
        let mut froms = std::collections::HashSet::new();
        for (i, r) in self.wml.iter().enumerate() {
            if r.month_cents <= 0 || r.hour_cents <= 0 {
                e.push(FieldError::new(format!("wml[{i}]"), "Bedragen in de WML-tabel zijn groter dan 0."));
            }
            if !froms.insert(r.from) {
                e.push(FieldError::new(format!("wml[{i}].from"), "Deze ingangsdatum staat er al."));
            }
        }
        for (i, r) in self.youth_rates.iter().enumerate() {
            if !(0.0..=100.0).contains(&r.pct) || !(14..=21).contains(&r.age) {
                e.push(FieldError::new(format!("youth_rates[{i}]"), "Leeftijd 14-21 en percentage 0-100."));
            }
        }
        for (name, v, lo, hi) in [
            ("holiday_allowance_pct", self.holiday_allowance_pct, 0.0, 50.0),
            ("employer_costs_pct", self.employer_costs_pct, 0.0, 100.0),
            ("lks_cap_pct", self.lks_cap_pct, 0.0, 100.0),
            ("lks_forfaitair_pct", self.lks_forfaitair_pct, 0.0, 100.0),
            ("fulltime_hours", self.fulltime_hours, 1.0, 60.0),
            ("job_coach.year1_pct", self.job_coach.year1_pct, 0.0, 100.0),
            ("job_coach.year2_pct", self.job_coach.year2_pct, 0.0, 100.0),
            ("job_coach.later_pct", self.job_coach.later_pct, 0.0, 100.0),
            ("banenafspraak_hours", self.banenafspraak_hours, 1.0, 60.0),
            ("no_transport_max_km", self.no_transport_max_km, 0.0, 500.0),
            ("candidate_search_radius_km", self.candidate_search_radius_km, 1.0, 500.0),
            ("bouwblokken.default_pct", self.bouwblokken.default_pct, 0.0, 100.0),
        ] {
            if !(lo..=hi).contains(&v) || !v.is_finite() {
                e.push(FieldError::new(name, format!("Waarde ligt tussen {lo} en {hi}.")));
            }
        }
        if !(1..=60).contains(&self.werkervaringsplaats_max_months) {
            e.push(FieldError::new("werkervaringsplaats_max_months", "Tussen 1 en 60 maanden."));
        }
        if !(10..=5000).contains(&self.retrieval_size) {
            e.push(FieldError::new("retrieval_size", "Tussen 10 en 5000."));
        }
        if !(1..=30).contains(&self.retention_years_after_outflow) {
            e.push(FieldError::new("retention_years_after_outflow", "Tussen 1 en 30 jaar."));
        }
        // The AI Act asks deployers to keep the logs at least six months.
        if !(6..=120).contains(&self.proposal_log_months) {
            e.push(FieldError::new("proposal_log_months", "Tussen 6 en 120 maanden (minstens 6: AI-verordening)."));
        }
        if !(10..=5000).contains(&self.candidate_retrieval_size) {
            e.push(FieldError::new("candidate_retrieval_size", "Tussen 10 en 5000."));
        }
        e
    }
}
