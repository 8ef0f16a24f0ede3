//! The quarterly monitor: indicators computed from plain facts (no I/O). Definitions:
//!
//! - **Caseload at a date**: registered on or before it, not flowed out on or before it, not
//!   erased on or before it.
//! - **In view**: in the caseload at quarter end with a ladder measurement in the 12 months up to
//!   quarter end.
//! - **Ladder**: a person's step at a date is that of the latest measurement on or before it.
//!   Movement compares quarter end with the previous quarter end for those in the caseload at both
//!   with a step at both; **doorstroom** is the number that moved up.
//! - **Instroom**: registered within the quarter. **Uitstroom**: flowed out within the quarter, by
//!   reason; "to work without support" is `betaald_werk`.
//! - **Funnel**: the matches proposed within the quarter, and how many of them reached each stage
//!   (a stage once reached stays counted); median days from proposal to start for those started.
//! - **Started by kind** and **instruments committed**: matches that started within the quarter.
//!   **Retention**: matches whose 6 (12) month point falls within the quarter, and how many of those
//!   were recorded as still working.
//! - **Contact norm**: in the caseload at quarter end with a personal contact (conversation, home
//!   visit, phone, video) in the 12 months up to quarter end.

use super::klantgroep::{is_work, DerivedGroup, TargetIndicator};
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarter {
    pub year: i32,
    pub q: u32,
}

impl Quarter {
    /// "2026-Q1"
    pub fn parse(s: &str) -> Option<Quarter> {
        let (y, q) = s.trim().split_once("-Q").or_else(|| s.trim().split_once("-q"))?;
        let year: i32 = y.parse().ok()?;
        let q: u32 = q.parse().ok()?;
        ((1..=4).contains(&q) && (2000..=2100).contains(&year)).then_some(Quarter { year, q })
    }
    pub fn of(d: NaiveDate) -> Quarter {
        Quarter { year: d.year(), q: (d.month() - 1) / 3 + 1 }
    }
    pub fn start(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, (self.q - 1) * 3 + 1, 1).expect("valid quarter start")
    }
    pub fn end(self) -> NaiveDate {
        self.next().start().pred_opt().expect("valid date")
    }
    pub fn next(self) -> Quarter {
        if self.q == 4 {
            Quarter { year: self.year + 1, q: 1 }
        } else {
            Quarter { year: self.year, q: self.q + 1 }
        }
    }
    pub fn prev(self) -> Quarter {
        if self.q == 1 {
            Quarter { year: self.year - 1, q: 4 }
        } else {
            Quarter { year: self.year, q: self.q - 1 }
        }
    }
    pub fn contains(self, d: NaiveDate) -> bool {
        d >= self.start() && d <= self.end()
    }
    pub fn label(self) -> String {
        format!("{}-Q{}", self.year, self.q)
    }
}

/// One person of the caseload (a candidate, or the anonymous remainder of an erased one).
#[derive(Debug, Clone, Default)]
pub struct Subject {
    /// The candidate (or its anonymous remainder); matches refer to it.
    pub id: String,
    pub klantmanager: Option<String>,
    /// The klantgroep (None: a remainder from before klantgroepen).
    pub client_group: Option<String>,
    /// The group's contact norm in days (None: a year).
    pub norm_days: Option<i32>,
    /// The derived target groups on the quarter's last day.
    pub derived: Vec<DerivedGroup>,
    pub registered_on: NaiveDate,
    pub outflow: Option<(NaiveDate, String)>,
    pub erased_on: Option<NaiveDate>,
    /// (date, step), any order.
    pub ladder: Vec<(NaiveDate, i32)>,
    /// Dates of personal contacts.
    pub contacts: Vec<NaiveDate>,
}

impl Subject {
    pub fn in_caseload(&self, d: NaiveDate) -> bool {
        self.registered_on <= d && self.outflow.as_ref().map(|(o, _)| *o > d).unwrap_or(true) && self.erased_on.map(|e| e > d).unwrap_or(true)
    }
    pub fn step_on(&self, d: NaiveDate) -> Option<i32> {
        self.ladder.iter().filter(|(m, _)| *m <= d).max_by_key(|(m, _)| *m).map(|(_, s)| *s)
    }
    fn within_year(dates: impl Iterator<Item = NaiveDate>, end: NaiveDate) -> bool {
        let from = end.checked_sub_months(Months::new(12)).unwrap_or(end);
        dates.into_iter().any(|d| d > from && d <= end)
    }
    pub fn in_view(&self, end: NaiveDate) -> bool {
        Self::within_year(self.ladder.iter().map(|(d, _)| *d), end)
    }
    pub fn contact_ok(&self, end: NaiveDate) -> bool {
        super::contact_norm_met(self.norm_days, self.contacts.iter().copied(), end)
    }
}

/// One match, reduced to what the monitor counts.
#[derive(Debug, Clone, Default)]
pub struct MatchFact {
    pub kind: String,
    /// The candidate proposed (None once erased).
    pub candidate: Option<String>,
    pub klantmanager: Option<String>,
    pub proposed_on: NaiveDate,
    pub consented: bool,
    pub interested: bool,
    pub introduced: bool,
    pub started: bool,
    pub start_date: Option<NaiveDate>,
    pub retention_6: Option<String>,
    pub retention_12: Option<String>,
    pub hours_per_week: Option<f64>,
    /// Granted at the start, from the package computed at the proposal.
    pub lks_month_cents: Option<i64>,
    /// A forfaitaire LKS (no loonwaarde measured) is paid for at most this many months.
    pub lks_max_months: Option<i32>,
    pub job_coach_hours_year1: Option<f64>,
    pub lkv_year_cents: Option<i64>,
    pub counts_banenafspraak: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SroiFact {
    pub reference: String,
    pub obligation_cents: i64,
    pub realised_cents: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InView {
    pub caseload: u64,
    pub in_view: u64,
    pub share_pct: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ladder {
    /// Steps 1..6 at quarter end.
    pub distribution: [u64; 6],
    /// In the caseload without any measurement.
    pub unknown: u64,
    pub up: u64,
    pub same: u64,
    pub down: u64,
    /// transitions[from - 1][to - 1]: previous quarter end -> this quarter end.
    pub transitions: [[u64; 6]; 6],
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Flow {
    pub instroom: u64,
    pub doorstroom: u64,
    pub uitstroom: u64,
    /// To paid work without support.
    pub uitstroom_work: u64,
    pub uitstroom_by_reason: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Funnel {
    pub proposed: u64,
    pub consented: u64,
    pub interested: u64,
    pub introduced: u64,
    pub started: u64,
    pub median_days_to_start: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Retention {
    pub due_6: u64,
    pub working_6: u64,
    pub due_12: u64,
    pub working_12: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    pub caseload: u64,
    pub with_contact: u64,
    pub share_pct: Option<f64>,
    pub overdue: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Instruments {
    pub lks_starts: u64,
    pub lks_month_cents: i64,
    pub lks_year_cents: i64,
    pub job_coach_starts: u64,
    pub job_coach_hours_year1: f64,
    pub lkv_year_cents: i64,
    /// Counted jobs (25.5 hours a week = 1).
    pub banenafspraak_jobs: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SroiLine {
    pub reference: String,
    pub obligation_cents: i64,
    pub realised_cents: i64,
    pub met_pct: Option<f64>,
}

/// The caseload indicators of one group (the municipality or one klantmanager).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Group {
    pub in_view: InView,
    pub ladder: Ladder,
    pub flow: Flow,
    pub contact: Contact,
    pub funnel: Funnel,
    pub started: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KindLine {
    pub kind: String,
    pub funnel: Funnel,
    pub started_in_quarter: u64,
    pub retention: Retention,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Monitor {
    pub quarter: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub total: Group,
    pub started_by_kind: BTreeMap<String, u64>,
    pub retention: Retention,
    pub instruments: Instruments,
    pub sroi: Vec<SroiLine>,
    /// klantmanager id -> the caseload indicators of its candidates.
    pub per_klantmanager: BTreeMap<String, Group>,
    pub per_kind: Vec<KindLine>,
    /// One line per klantgroep of 5 or more people; the smaller groups (and people without one)
    /// together in one line, so that the lines add up to the total.
    pub per_client_group: Vec<GroupLine>,
    /// The derived target groups (they overlap: a person can be in several).
    pub per_target_group: Vec<GroupLine>,
    /// The year's targets per klantgroep against the realisation from 1 January to the quarter's end.
    pub targets: Vec<TargetLine>,
}

/// The indicators of one klantgroep or target group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GroupLine {
    /// The group's id, a derived group's code, or "overig" for the small groups together.
    pub key: String,
    pub name: String,
    /// People in the caseload at the quarter's end, or in or out during it.
    pub people: u64,
    pub group: Group,
}

/// One yearly target of one klantgroep against its realisation so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TargetLine {
    pub client_group: String,
    pub name: String,
    pub year: i32,
    pub indicator: TargetIndicator,
    pub target: i64,
    /// From 1 January to the end of the quarter.
    pub realised: u64,
}

/// The share of a target reached, in percent (a target of 0 is reached by anything).
pub fn target_pct(realised: u64, target: i64) -> f64 {
    if target <= 0 {
        100.0
    } else {
        realised as f64 * 100.0 / target as f64
    }
}

/// A klantgroep as the monitor knows it: its name and the targets of the quarter's year.
#[derive(Debug, Clone, Default)]
pub struct ClientGroupFact {
    pub id: String,
    pub name: String,
    pub targets: Vec<(TargetIndicator, i64)>,
}

/// Fewer people than this in a group: not shown on its own (DOMAIN.md, publication).
pub const SMALL_GROUP: u64 = 5;

/// What an indicator counts for `subjects` from `from` to `to` (both included).
pub fn realised(subjects: &[&Subject], from: NaiveDate, to: NaiveDate, indicator: TargetIndicator) -> u64 {
    let within = |d: NaiveDate| d >= from && d <= to;
    let before = from.pred_opt().unwrap_or(from);
    subjects
        .iter()
        .filter(|s| match indicator {
            TargetIndicator::Instroom => within(s.registered_on),
            TargetIndicator::Uitstroom => s.outflow.as_ref().is_some_and(|(d, _)| within(*d)),
            TargetIndicator::UitstroomWerk => s.outflow.as_ref().is_some_and(|(d, r)| within(*d) && is_work(r)),
            TargetIndicator::TredeOmhoog => {
                // The step on the last day it was in the caseload in the period, against the start.
                let end = s.outflow.as_ref().map(|(d, _)| (*d).min(to)).unwrap_or(to);
                // Registered during the year: its first measurement in the year is the start.
                let first = || s.ladder.iter().filter(|(d, _)| within(*d)).min_by_key(|(d, _)| *d).map(|(_, st)| *st);
                match (s.step_on(before).or_else(first), s.step_on(end)) {
                    (Some(a), Some(b)) => b > a,
                    _ => false,
                }
            }
        })
        .count() as u64
}

fn pct(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| (n as f64 * 1000.0 / d as f64).round() / 10.0)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

fn funnel<'a>(q: Quarter, ms: impl Iterator<Item = &'a MatchFact>) -> Funnel {
    let mut f = Funnel::default();
    let mut days = vec![];
    for m in ms.filter(|m| q.contains(m.proposed_on)) {
        f.proposed += 1;
        f.consented += m.consented as u64;
        f.interested += m.interested as u64;
        f.introduced += m.introduced as u64;
        if m.started {
            f.started += 1;
            if let Some(s) = m.start_date {
                days.push((s - m.proposed_on).num_days() as f64);
            }
        }
    }
    f.median_days_to_start = median(days);
    f
}

fn retention<'a>(q: Quarter, ms: impl Iterator<Item = &'a MatchFact>) -> Retention {
    let mut r = Retention::default();
    for m in ms.filter(|m| m.started) {
        let Some(s) = m.start_date else { continue };
        if s.checked_add_months(Months::new(6)).is_some_and(|d| q.contains(d)) {
            r.due_6 += 1;
            r.working_6 += (m.retention_6.as_deref() == Some("in_dienst")) as u64;
        }
        if s.checked_add_months(Months::new(12)).is_some_and(|d| q.contains(d)) {
            r.due_12 += 1;
            r.working_12 += (m.retention_12.as_deref() == Some("in_dienst")) as u64;
        }
    }
    r
}

fn group<'a>(q: Quarter, subjects: &[&Subject], ms: impl Iterator<Item = &'a MatchFact> + Clone) -> Group {
    let (end, prev_end) = (q.end(), q.prev().end());
    let mut g = Group::default();
    for s in subjects {
        if q.contains(s.registered_on) {
            g.flow.instroom += 1;
        }
        if let Some((d, reason)) = &s.outflow {
            if q.contains(*d) {
                g.flow.uitstroom += 1;
                g.flow.uitstroom_work += (reason == "betaald_werk") as u64;
                *g.flow.uitstroom_by_reason.entry(reason.clone()).or_insert(0) += 1;
            }
        }
        if !s.in_caseload(end) {
            continue;
        }
        g.in_view.caseload += 1;
        g.in_view.in_view += s.in_view(end) as u64;
        g.contact.caseload += 1;
        if s.contact_ok(end) {
            g.contact.with_contact += 1;
        } else {
            g.contact.overdue += 1;
        }
        let now = s.step_on(end);
        match now {
            Some(st) if (1..=6).contains(&st) => g.ladder.distribution[(st - 1) as usize] += 1,
            _ => g.ladder.unknown += 1,
        }
        if let (true, Some(before), Some(now)) = (s.in_caseload(prev_end), s.step_on(prev_end), now) {
            if (1..=6).contains(&before) && (1..=6).contains(&now) {
                g.ladder.transitions[(before - 1) as usize][(now - 1) as usize] += 1;
                match now.cmp(&before) {
                    std::cmp::Ordering::Greater => g.ladder.up += 1,
                    std::cmp::Ordering::Equal => g.ladder.same += 1,
                    std::cmp::Ordering::Less => g.ladder.down += 1,
                }
            }
        }
    }
    g.flow.doorstroom = g.ladder.up;
    g.in_view.share_pct = pct(g.in_view.in_view, g.in_view.caseload);
    g.contact.share_pct = pct(g.contact.with_contact, g.contact.caseload);
    g.funnel = funnel(q, ms.clone());
    g.started = ms.filter(|m| m.started && m.start_date.is_some_and(|d| q.contains(d))).count() as u64;
    g
}

pub fn compute(
    q: Quarter,
    subjects: &[Subject],
    matches: &[MatchFact],
    sroi: &[SroiFact],
    banenafspraak_hours: f64,
    client_groups: &[ClientGroupFact],
) -> Monitor {
    let all: Vec<&Subject> = subjects.iter().collect();
    let total = group(q, &all, matches.iter());
    let mut kms: Vec<String> =
        subjects.iter().filter_map(|s| s.klantmanager.clone()).chain(matches.iter().filter_map(|m| m.klantmanager.clone())).collect();
    kms.sort();
    kms.dedup();
    let per_klantmanager = kms
        .into_iter()
        .map(|k| {
            let ss: Vec<&Subject> = subjects.iter().filter(|s| s.klantmanager.as_deref() == Some(k.as_str())).collect();
            let g = group(q, &ss, matches.iter().filter(|m| m.klantmanager.as_deref() == Some(k.as_str())));
            (k, g)
        })
        .collect();
    let started_in_q: Vec<&MatchFact> = matches.iter().filter(|m| m.started && m.start_date.is_some_and(|d| q.contains(d))).collect();
    let mut started_by_kind = BTreeMap::new();
    let mut ins = Instruments::default();
    for m in &started_in_q {
        *started_by_kind.entry(m.kind.clone()).or_insert(0) += 1;
        if let Some(l) = m.lks_month_cents {
            ins.lks_starts += 1;
            ins.lks_month_cents += l;
            // A forfaitaire LKS runs for at most its maximum months of the first year.
            ins.lks_year_cents += l * i64::from(m.lks_max_months.unwrap_or(12).clamp(0, 12));
        }
        if let Some(h) = m.job_coach_hours_year1 {
            ins.job_coach_starts += 1;
            ins.job_coach_hours_year1 += h;
        }
        ins.lkv_year_cents += m.lkv_year_cents.unwrap_or(0);
        if m.counts_banenafspraak && banenafspraak_hours > 0.0 {
            ins.banenafspraak_jobs += m.hours_per_week.unwrap_or(0.0) / banenafspraak_hours;
        }
    }
    ins.job_coach_hours_year1 = (ins.job_coach_hours_year1 * 10.0).round() / 10.0;
    ins.banenafspraak_jobs = (ins.banenafspraak_jobs * 100.0).round() / 100.0;
    let mut kinds: Vec<String> = matches.iter().map(|m| m.kind.clone()).collect();
    kinds.sort();
    kinds.dedup();
    let per_kind = kinds
        .into_iter()
        .map(|k| {
            let of = || matches.iter().filter(|m| m.kind == k);
            KindLine {
                funnel: funnel(q, of()),
                started_in_quarter: of().filter(|m| m.started && m.start_date.is_some_and(|d| q.contains(d))).count() as u64,
                retention: retention(q, of()),
                kind: k.clone(),
            }
        })
        .collect();
    Monitor {
        quarter: q.label(),
        start: q.start(),
        end: q.end(),
        total,
        started_by_kind,
        retention: retention(q, matches.iter()),
        instruments: ins,
        sroi: sroi
            .iter()
            .map(|s| SroiLine {
                reference: s.reference.clone(),
                obligation_cents: s.obligation_cents,
                realised_cents: s.realised_cents,
                met_pct: (s.obligation_cents > 0).then(|| (s.realised_cents as f64 * 1000.0 / s.obligation_cents as f64).round() / 10.0),
            })
            .collect(),
        per_klantmanager,
        per_kind,
        per_client_group: per_client_group(q, subjects, matches, client_groups),
        per_target_group: DerivedGroup::ALL
            .iter()
            .map(|d| {
                let ss: Vec<&Subject> = subjects.iter().filter(|s| s.derived.contains(d)).collect();
                line(q, format!("{d:?}").to_lowercase(), d.label_nl().into(), &ss, matches)
            })
            .collect(),
        targets: targets(q, subjects, client_groups),
    }
}

fn touched(q: Quarter, s: &Subject) -> bool {
    s.in_caseload(q.end()) || q.contains(s.registered_on) || s.outflow.as_ref().is_some_and(|(d, _)| q.contains(*d))
}

fn line(q: Quarter, key: String, name: String, subjects: &[&Subject], matches: &[MatchFact]) -> GroupLine {
    let ids: std::collections::HashSet<&str> = subjects.iter().map(|s| s.id.as_str()).collect();
    let ms = matches.iter().filter(|m| m.candidate.as_deref().is_some_and(|c| ids.contains(c)));
    GroupLine { key, name, people: subjects.iter().filter(|s| touched(q, s)).count() as u64, group: group(q, subjects, ms) }
}

/// One line per klantgroep; groups under 5 people, people without a group and matches of people
/// no longer known together in the line "overig", so that the lines add up to the total.
fn per_client_group(q: Quarter, subjects: &[Subject], matches: &[MatchFact], groups: &[ClientGroupFact]) -> Vec<GroupLine> {
    let mut lines = vec![];
    let mut shown: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for g in groups {
        let ss: Vec<&Subject> = subjects.iter().filter(|s| s.client_group.as_deref() == Some(g.id.as_str())).collect();
        if ss.iter().filter(|s| touched(q, s)).count() as u64 >= SMALL_GROUP {
            lines.push(line(q, g.id.clone(), g.name.clone(), &ss, matches));
            shown.insert(g.id.as_str());
        }
    }
    let rest: Vec<&Subject> = subjects.iter().filter(|s| !s.client_group.as_deref().is_some_and(|g| shown.contains(g))).collect();
    let known: std::collections::HashSet<&str> = subjects.iter().map(|s| s.id.as_str()).collect();
    let rest_ids: std::collections::HashSet<&str> = rest.iter().map(|s| s.id.as_str()).collect();
    let rest_matches: Vec<MatchFact> = matches
        .iter()
        .filter(|m| match m.candidate.as_deref() {
            Some(c) => rest_ids.contains(c) || !known.contains(c),
            None => true,
        })
        .map(|m| MatchFact { candidate: None, ..m.clone() })
        .collect();
    if !rest.is_empty() || !rest_matches.is_empty() {
        let ms = rest_matches.iter();
        lines.push(GroupLine {
            key: "overig".into(),
            name: "Kleinere groepen en zonder klantgroep".into(),
            people: rest.iter().filter(|s| touched(q, s)).count() as u64,
            group: group(q, &rest, ms),
        });
    }
    lines
}

fn targets(q: Quarter, subjects: &[Subject], groups: &[ClientGroupFact]) -> Vec<TargetLine> {
    let from = NaiveDate::from_ymd_opt(q.year, 1, 1).unwrap_or(q.start());
    let mut out = vec![];
    for g in groups {
        let ss: Vec<&Subject> = subjects.iter().filter(|s| s.client_group.as_deref() == Some(g.id.as_str())).collect();
        for (indicator, target) in &g.targets {
            out.push(TargetLine {
                client_group: g.id.clone(),
                name: g.name.clone(),
                year: q.year,
                indicator: *indicator,
                target: *target,
                realised: realised(&ss, from, q.end(), *indicator),
            });
        }
    }
    out
}

/// A count as published in an aggregate export: below 5 is shown as "<5" so that nobody can be
/// recognised.
pub fn published(n: u64) -> String {
    if n < 5 {
        "<5".into()
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn quarters() {
        let q = Quarter::parse("2026-Q1").unwrap();
        assert_eq!((q.start(), q.end()), (d("2026-01-01"), d("2026-03-31")));
        assert_eq!(q.prev().label(), "2025-Q4");
        assert_eq!(q.prev().end(), d("2025-12-31"));
        assert_eq!(Quarter::parse("2026-Q4").unwrap().end(), d("2026-12-31"));
        assert!(Quarter::parse("2026-Q5").is_none());
        assert!(Quarter::parse("2026").is_none());
        assert_eq!(Quarter::of(d("2026-08-15")).label(), "2026-Q3");
        assert_eq!(published(4), "<5");
        assert_eq!(published(0), "<5");
        assert_eq!(published(5), "5");
    }
}

#[cfg(test)]
mod lks_year_tests {
    use super::*;

    #[test]
    fn a_forfaitaire_lks_counts_only_its_months_in_the_year() {
        let q = Quarter::parse("2026-Q1").unwrap();
        let fact = |max: Option<i32>| MatchFact {
            kind: "reguliere_baan".into(),
            started: true,
            start_date: chrono::NaiveDate::from_ymd_opt(2026, 2, 1),
            lks_month_cents: Some(100_000),
            lks_max_months: max,
            ..Default::default()
        };
        let m = compute(q, &[], &[fact(None), fact(Some(6))], &[], 25.5, &[]);
        assert_eq!(m.instruments.lks_month_cents, 200_000);
        assert_eq!(m.instruments.lks_year_cents, 100_000 * 12 + 100_000 * 6);
    }
}

#[cfg(test)]
mod client_group_tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn person(i: usize, group: &str, norm: i32) -> Subject {
        Subject {
            id: format!("c{i}"),
            client_group: Some(group.into()),
            norm_days: Some(norm),
            registered_on: d(2025, 1, 1),
            contacts: vec![d(2026, 12, 31) - chrono::Duration::days(40)],
            ladder: vec![(d(2025, 6, 1), 2)],
            ..Default::default()
        }
    }

    #[test]
    fn lines_per_group_add_up_to_the_total_and_small_groups_are_merged() {
        let q = Quarter::parse("2026-Q4").unwrap();
        let mut subjects: Vec<Subject> = (0..6).map(|i| person(i, "kort", 30)).collect();
        subjects.extend((6..13).map(|i| person(i, "lang", 365)));
        subjects.extend((13..15).map(|i| person(i, "klein", 365)));
        subjects.push(Subject { client_group: None, ..person(15, "", 365) });
        // Two move up a step in the year, one of them leaves for work.
        subjects[6].ladder.push((d(2026, 5, 1), 4));
        subjects[7].ladder.push((d(2026, 3, 1), 3));
        subjects[7].outflow = Some((d(2026, 11, 1), "betaald_werk_met_ondersteuning".into()));
        let groups = vec![
            ClientGroupFact { id: "kort".into(), name: "Traject".into(), targets: vec![] },
            ClientGroupFact {
                id: "lang".into(),
                name: "Participatie".into(),
                targets: vec![(TargetIndicator::UitstroomWerk, 20), (TargetIndicator::TredeOmhoog, 40)],
            },
            ClientGroupFact { id: "klein".into(), name: "Klein".into(), targets: vec![] },
        ];
        let m = compute(q, &subjects, &[], &[], 25.5, &groups);
        let names: Vec<&str> = m.per_client_group.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["Traject", "Participatie", "Kleinere groepen en zonder klantgroep"]);
        let sum = |f: fn(&Group) -> u64| m.per_client_group.iter().map(|l| f(&l.group)).sum::<u64>();
        assert_eq!(sum(|g| g.in_view.caseload), m.total.in_view.caseload);
        assert_eq!(sum(|g| g.contact.overdue), m.total.contact.overdue);
        assert_eq!(sum(|g| g.flow.uitstroom), m.total.flow.uitstroom);
        // 40 days without contact: overdue under a 30-day norm, not under a year.
        assert_eq!(m.per_client_group[0].group.contact.overdue, 6);
        assert_eq!(m.per_client_group[1].group.contact.overdue, 0);
        let t: Vec<(TargetIndicator, i64, u64)> = m.targets.iter().map(|t| (t.indicator, t.target, t.realised)).collect();
        assert_eq!(t, [(TargetIndicator::UitstroomWerk, 20, 1), (TargetIndicator::TredeOmhoog, 40, 2)]);
    }
}
