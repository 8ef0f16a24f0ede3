//! The instruments of DOMAIN.md: loonkostensubsidie (LKS), job coaching, LKV banenafspraak,
//! banenafspraak jobs, SROI value, no-risk polis, trial placement, the employer's net cost.
//! Money is computed exactly in integers and rounded half-up to cents only at the end.

use super::settings::Settings;
use super::FieldError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Input of the LKS calculation.
#[derive(Debug, Clone)]
pub struct LksInput {
    /// Measured loonwaarde in percent (0..=100); None = not measured yet (forfaitair).
    pub loonwaarde: Option<f64>,
    /// Contract hours per week.
    pub hours: f64,
    /// Sector full-time hours per week (F).
    pub fulltime_hours: f64,
    pub date: NaiveDate,
    /// Age of the worker (youth minimum wage below 21); None = adult.
    pub age: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LksResult {
    /// LKS per month in cents.
    pub amount_cents: i64,
    /// True when no loonwaarde was measured and the forfaitaire loonwaarde is used.
    pub forfaitair: bool,
    /// Forfaitair: the LKS may be paid for at most this many months (Pw 10d(5); the
    /// municipality's `lks_forfaitair_months`, 6 by default); by then the loonwaarde must be measured.
    #[serde(default)]
    pub max_months: Option<i32>,
    /// Loonwaarde used, percent.
    pub loonwaarde_used: f64,
    /// True when the loonwaarde is 100% or more: not in the target group.
    pub not_in_target_group: bool,
    /// The WML row used.
    pub wml_from: NaiveDate,
    pub wml_month_cents: i64,
    /// Youth share of the WML, percent (100 for 21+).
    pub youth_pct: f64,
    /// Hours counted: min(hours, full-time hours).
    pub hours_counted: f64,
    /// The formula with the numbers filled in, for the explanation.
    pub formula: String,
}

/// Half-up rounding of a non-negative rational to an integer.
fn round_half_up(num: i128, den: i128) -> i64 {
    debug_assert!(den > 0);
    if num <= 0 {
        return 0;
    }
    ((num * 2 + den) / (2 * den)) as i64
}

/// Scales a decimal with up to `decimals` places to an integer (e.g. 23.5 -> 235 with 1).
fn fixed(v: f64, scale: i128) -> i128 {
    (v * scale as f64).round() as i128
}

/// LKS per month (Pw 10d as in force 2026-01-01):
/// WMLVB = WML x 1.08; base36 = min((1 - LW) x WMLVB, 0.70 x WMLVB);
/// LKS = base36 x min(h, F)/36 x 1.235.
pub fn loonkostensubsidie(s: &Settings, input: &LksInput) -> Result<LksResult, Vec<FieldError>> {
    let mut errs = Vec::new();
    if let Some(lw) = input.loonwaarde {
        if !(0.0..=100.0).contains(&lw) || !lw.is_finite() {
            errs.push(FieldError::new("loonwaarde", "De loonwaarde ligt tussen 0 en 100 (procent)."));
        }
    }
    if !(input.hours > 0.0 && input.hours <= 60.0) {
        errs.push(FieldError::new("hours", "Het aantal uren per week is groter dan 0 en hoogstens 60."));
    }
    if !(input.fulltime_hours > 0.0 && input.fulltime_hours <= 60.0) {
        errs.push(FieldError::new("fulltime_hours", "De voltijdsuren liggen tussen 1 en 60."));
    }
    let wml = s.wml_on(input.date);
    if wml.is_none() {
        let first = s.wml.iter().map(|e| e.from).min();
        errs.push(FieldError::new(
            "date",
            match first {
                Some(f) => format!("De WML-tabel begint op {f}; kies een datum vanaf die dag."),
                None => "Er is geen WML-tabel ingesteld.".into(),
            },
        ));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let wml = wml.expect("checked above");
    let youth_pct = s.youth_pct(input.age);
    let forfaitair = input.loonwaarde.is_none();
    let lw = input.loonwaarde.unwrap_or(100.0 - s.lks_forfaitair_pct);
    let hours_counted = input.hours.min(input.fulltime_hours);
    let not_in_target_group = !forfaitair && lw >= 100.0;

    // Shares in hundredths of a percent, hours in hundredths, factors in tenths of a percent.
    let gap_bp = fixed((100.0 - lw).max(0.0), 100).min(fixed(s.lks_cap_pct, 100)); // of WMLVB
    let youth_bp = fixed(youth_pct, 100);
    let holiday = 1000 + fixed(s.holiday_allowance_pct, 10); // per mille
    let employer = 1000 + fixed(s.employer_costs_pct, 10); // per mille
    let hours_c = fixed(hours_counted, 100);
    let num = wml.month_cents as i128 * youth_bp * holiday * gap_bp * hours_c * employer;
    let den: i128 = 10_000 * 1000 * 10_000 * 3600 * 1000;
    let amount_cents = if not_in_target_group { 0 } else { round_half_up(num, den) };

    let eur = |c: f64| format!("€ {:.2}", c / 100.0).replace('.', ",");
    let wmlvb = wml.month_cents as f64 * youth_pct / 100.0 * (1.0 + s.holiday_allowance_pct / 100.0);
    let formula = if not_in_target_group {
        format!("Loonwaarde {lw}% is 100% of meer: geen loonkostensubsidie.")
    } else {
        format!(
            "WML {} (vanaf {}){} x {:.2} vakantiegeld = {}; min({}% , {}%) daarvan = {}; x {}/36 uur x {:.3} werkgeverslasten = {} per maand{}",
            eur(wml.month_cents as f64),
            wml.from,
            if youth_pct < 100.0 { format!(" x {youth_pct}% jeugdloon") } else { String::new() },
            1.0 + s.holiday_allowance_pct / 100.0,
            eur(wmlvb),
            100.0 - lw,
            s.lks_cap_pct,
            eur(wmlvb * ((100.0 - lw).min(s.lks_cap_pct)) / 100.0),
            hours_counted,
            1.0 + s.employer_costs_pct / 100.0,
            eur(amount_cents as f64),
            if forfaitair {
                format!(
                    " (forfaitair: nog geen loonwaarde gemeten, {}%, hoogstens {} maanden)",
                    100.0 - s.lks_forfaitair_pct,
                    s.lks_forfaitair_months
                )
            } else {
                String::new()
            }
        )
    };
    Ok(LksResult {
        amount_cents,
        forfaitair,
        max_months: forfaitair.then_some(s.lks_forfaitair_months),
        loonwaarde_used: lw,
        not_in_target_group,
        wml_from: wml.from,
        wml_month_cents: wml.month_cents,
        youth_pct,
        hours_counted,
        formula,
    })
}

/// Job coaching hours per year by the internal norm (15% / 7.5% / 6% of working hours).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobCoachHours {
    pub year1_hours: f64,
    pub year2_hours: f64,
    pub later_hours_per_year: f64,
    /// Cost of year 1 at the external tariff, cents.
    pub year1_external_cost_cents: i64,
}

pub fn job_coach_hours(s: &Settings, hours_per_week: f64) -> JobCoachHours {
    let per_year = hours_per_week * 52.0;
    let r = |pct: f64| (per_year * pct / 100.0 * 10.0).round() / 10.0;
    let y1 = r(s.job_coach.year1_pct);
    JobCoachHours {
        year1_hours: y1,
        year2_hours: r(s.job_coach.year2_pct),
        later_hours_per_year: r(s.job_coach.later_pct),
        year1_external_cost_cents: (y1 * s.job_coach.external_hour_cents as f64).round() as i64,
    }
}

/// LKV banenafspraak per year: per paid hour, capped.
pub fn lkv_per_year_cents(s: &Settings, hours_per_week: f64) -> i64 {
    ((hours_per_week * 52.0 * s.lkv_hour_cents as f64).round() as i64).min(s.lkv_max_year_cents)
}

/// Banenafspraak jobs counted: 25.5 paid hours per week = 1 job, pro rata.
pub fn banenafspraak_jobs(s: &Settings, hours_per_week: f64) -> f64 {
    (hours_per_week / s.banenafspraak_hours * 100.0).round() / 100.0
}

/// What counts for the SROI value of a placement.
#[derive(Debug, Clone, Default)]
pub struct SroiInput {
    /// The person's benefit: IOAW, IOAZ and Anw count as Participatiewet, no benefit (NUG) as NUG.
    pub benefit: super::BenefitType,
    pub doelgroepregister: bool,
    pub bbl: bool,
    pub age_50_plus: bool,
    pub statushouder: bool,
    pub permanent_contract: bool,
    pub hours_per_week: f64,
    pub months: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SroiValue {
    /// Value in cents (bouwblok prorated by hours/36 and months/12).
    pub value_cents: i64,
    /// The bouwblok used.
    pub category: String,
    pub bonuses: Vec<String>,
}

pub fn sroi_value(s: &Settings, i: &SroiInput) -> SroiValue {
    let b = &s.bouwblokken;
    let mut options: Vec<(&str, i64)> = Vec::new();
    if i.doelgroepregister {
        options.push(("doelgroepregister", b.doelgroepregister));
    }
    match i.benefit {
        super::BenefitType::Nug => options.push(("nug", b.nug)),
        _ => options.push(("participatiewet", b.participatiewet)),
    }
    if i.bbl {
        options.push(("bbl", b.bbl));
    }
    let (category, base) = options.into_iter().max_by_key(|(_, v)| *v).unwrap_or(("participatiewet", b.participatiewet));
    let mut bonuses = Vec::new();
    let mut total = base;
    for (on, name) in [(i.age_50_plus, "50+"), (i.statushouder, "statushouder"), (i.permanent_contract, "vast contract")] {
        if on {
            total += b.bonus;
            bonuses.push(name.to_string());
        }
    }
    let value = total as f64 * (i.hours_per_week.min(36.0) / 36.0) * (i.months.min(12.0) / 12.0);
    SroiValue { value_cents: value.round() as i64, category: category.to_string(), bonuses }
}

/// Gross monthly wage costs: hourly wage x hours x 52/12, with holiday allowance and employer costs.
pub fn gross_monthly_wage_costs_cents(s: &Settings, hourly_cents: i64, hours_per_week: f64) -> i64 {
    let v = hourly_cents as f64 * hours_per_week * 52.0 / 12.0 * (1.0 + s.holiday_allowance_pct / 100.0) * (1.0 + s.employer_costs_pct / 100.0);
    v.round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lks(lw: Option<f64>, h: f64, f: f64, date: (i32, u32, u32)) -> i64 {
        let s = Settings::default();
        loonkostensubsidie(
            &s,
            &LksInput { loonwaarde: lw, hours: h, fulltime_hours: f, date: NaiveDate::from_ymd_opt(date.0, date.1, date.2).unwrap(), age: None },
        )
        .unwrap()
        .amount_cents
    }

    #[test]
    fn worked_examples_of_domain_md() {
        assert_eq!(lks(Some(60.0), 36.0, 36.0, (2026, 3, 1)), 122_411);
        assert_eq!(lks(Some(20.0), 36.0, 36.0, (2026, 3, 1)), 214_219);
        assert_eq!(lks(Some(50.0), 24.0, 36.0, (2026, 3, 1)), 102_009);
        assert_eq!(lks(None, 32.0, 36.0, (2026, 3, 1)), 136_012);
        assert_eq!(lks(Some(75.0), 40.0, 38.0, (2026, 3, 1)), 80_757);
        assert_eq!(lks(Some(60.0), 36.0, 36.0, (2025, 8, 1)), 119_818);
    }

    #[test]
    fn edges() {
        assert_eq!(lks(Some(100.0), 36.0, 36.0, (2026, 3, 1)), 0);
        let s = Settings::default();
        let r = loonkostensubsidie(
            &s,
            &LksInput { loonwaarde: None, hours: 36.0, fulltime_hours: 36.0, date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), age: None },
        )
        .unwrap();
        assert!(r.forfaitair);
        let e = loonkostensubsidie(
            &s,
            &LksInput { loonwaarde: Some(101.0), hours: 0.0, fulltime_hours: 36.0, date: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(), age: None },
        )
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["loonwaarde", "hours", "date"]);
        // Youth: a 19-year-old's WML is 60%.
        let y = loonkostensubsidie(
            &s,
            &LksInput {
                loonwaarde: Some(60.0),
                hours: 36.0,
                fulltime_hours: 36.0,
                date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                age: Some(19),
            },
        )
        .unwrap();
        // 2294.40 x 60% x 1.08 x 40% x 1.235 = 734.4648: rounded once, at the end.
        assert_eq!(y.amount_cents, 73_446);
        // A 17-year-old: 39.5% (WML art. 8), also with settings stored before the table listed
        // 15-17 (which then fell back to the 18-year rate of 50%).
        let seventeen = |s: &Settings| {
            loonkostensubsidie(
                s,
                &LksInput {
                    loonwaarde: Some(60.0),
                    hours: 36.0,
                    fulltime_hours: 36.0,
                    date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                    age: Some(17),
                },
            )
            .unwrap()
        };
        // 2294.40 x 39.5% x 1.08 x 40% x 1.235 = 483.5227.
        assert_eq!(seventeen(&s).amount_cents, 48_352);
        assert_eq!(seventeen(&s).youth_pct, 39.5);
        let mut old = Settings::default();
        old.youth_rates.retain(|r| r.age >= 18);
        assert_eq!(seventeen(&old).amount_cents, 48_352);
        assert_eq!((s.youth_pct(Some(16)), s.youth_pct(Some(15)), s.youth_pct(Some(14)), s.youth_pct(Some(21))), (34.5, 30.0, 30.0, 100.0));
    }

    #[test]
    fn other_instruments() {
        let s = Settings::default();
        let j = job_coach_hours(&s, 20.0);
        assert_eq!((j.year1_hours, j.year2_hours, j.later_hours_per_year), (156.0, 78.0, 62.4));
        assert_eq!(lkv_per_year_cents(&s, 20.0), 105_040);
        assert_eq!(lkv_per_year_cents(&s, 40.0), 200_000);
        assert_eq!(banenafspraak_jobs(&s, 25.5), 1.0);
        assert_eq!(banenafspraak_jobs(&s, 12.75), 0.5);
        let v = sroi_value(&s, &SroiInput { doelgroepregister: true, statushouder: true, hours_per_week: 18.0, months: 6.0, ..Default::default() });
        assert_eq!(v.category, "doelgroepregister");
        // No benefit (NUG) is valued with the NUG bouwblok, a quarter of the Participatiewet one;
        // IOAW, IOAZ and Anw as Participatiewet; the doelgroepregister outweighs both.
        let year = |benefit, doelgroepregister| {
            sroi_value(&s, &SroiInput { benefit, doelgroepregister, hours_per_week: 36.0, months: 12.0, ..Default::default() })
        };
        assert_eq!(
            (year(super::super::BenefitType::Nug, false).value_cents, year(super::super::BenefitType::Nug, false).category.as_str()),
            (1_000_000, "nug")
        );
        assert_eq!(year(super::super::BenefitType::Ioaw, false).value_cents, 4_000_000);
        assert_eq!(year(super::super::BenefitType::Anw, false).category, "participatiewet");
        assert_eq!(year(super::super::BenefitType::Nug, true).value_cents, 5_000_000);
        assert_eq!(v.value_cents, 1_500_000); // (50k + 10k) x 0.5 x 0.5
    }
}
