//! Klantgroepen (DOMAIN.md): each municipality's own client groups with a contact norm, a default
//! target step and yearly targets set in advance; the derived target groups the monitor also
//! reports on; and the doelgroepregister route.

use super::FieldError;
use serde::{Deserialize, Serialize};

/// The contact norm of a group lies between a day and two years.
pub const NORM_DAYS: std::ops::RangeInclusive<i32> = 1..=730;

/// What a beheerder writes about a klantgroep.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct ClientGroupInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// At least one personal contact every this many days (1..730).
    pub contact_norm_days: i32,
    /// The target step a new ladder measurement proposes for people in this group (1..6).
    pub default_target_step: Option<i32>,
    /// For updates: the version you read.
    pub version: Option<i32>,
}

impl ClientGroupInput {
    pub fn check(&self) -> Vec<FieldError> {
        let mut errs = vec![];
        let name = self.name.trim();
        if name.is_empty() {
            errs.push(FieldError::new("name", "Geef de klantgroep een naam."));
        } else if name.chars().count() > 100 {
            errs.push(FieldError::new("name", "Hoogstens 100 tekens."));
        }
        if self.description.chars().count() > 1000 {
            errs.push(FieldError::new("description", "Hoogstens 1000 tekens."));
        }
        if !NORM_DAYS.contains(&self.contact_norm_days) {
            errs.push(FieldError::new("contact_norm_days", "De contactnorm is een aantal dagen van 1 tot 730."));
        }
        if let Some(s) = self.default_target_step {
            if !super::ladder::is_valid_step(s) {
                errs.push(FieldError::new("default_target_step", "Een doeltrede ligt tussen 1 en 6."));
            }
        }
        errs
    }
}

/// What a yearly target counts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema, strum::IntoStaticStr, strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum TargetIndicator {
    /// People registered in the year.
    Instroom,
    /// People who left the caseload in the year, for any reason.
    Uitstroom,
    /// People who left for paid work, with or without support.
    UitstroomWerk,
    /// People one or more steps higher on the ladder at the end than at the start of the year.
    TredeOmhoog,
}

impl TargetIndicator {
    pub const ALL: [TargetIndicator; 4] =
        [TargetIndicator::Instroom, TargetIndicator::Uitstroom, TargetIndicator::UitstroomWerk, TargetIndicator::TredeOmhoog];
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn label_nl(self) -> &'static str {
        match self {
            TargetIndicator::Instroom => "Instroom",
            TargetIndicator::Uitstroom => "Uitstroom",
            TargetIndicator::UitstroomWerk => "Uitstroom naar werk",
            TargetIndicator::TredeOmhoog => "Trede omhoog",
        }
    }
}

/// An outflow reason that counts as work (with or without support).
pub fn is_work(reason: &str) -> bool {
    matches!(reason, "betaald_werk" | "betaald_werk_met_ondersteuning")
}

/// The target groups derived from a person's record, for reporting (DOMAIN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DerivedGroup {
    Statushouder,
    Onder27,
    Doelgroepregister,
    BeschutWerk,
    WerkMetLks,
    GeenUitkering,
}

impl DerivedGroup {
    pub const ALL: [DerivedGroup; 6] = [
        DerivedGroup::Statushouder,
        DerivedGroup::Onder27,
        DerivedGroup::Doelgroepregister,
        DerivedGroup::BeschutWerk,
        DerivedGroup::WerkMetLks,
        DerivedGroup::GeenUitkering,
    ];
    pub fn label_nl(self) -> &'static str {
        match self {
            DerivedGroup::Statushouder => "Statushouders",
            DerivedGroup::Onder27 => "Jonger dan 27",
            DerivedGroup::Doelgroepregister => "Doelgroepregister",
            DerivedGroup::BeschutWerk => "Beschut werk",
            DerivedGroup::WerkMetLks => "Aan het werk met loonkostensubsidie",
            DerivedGroup::GeenUitkering => "Geen uitkering (NUG)",
        }
    }
}

/// The facts a person's derived groups are read from.
pub struct DerivedFacts {
    pub statushouder: bool,
    /// Age on the reporting date.
    pub age: i32,
    pub youth_age: i32,
    pub doelgroepregister: bool,
    pub beschut_werk: bool,
    pub working_with_lks: bool,
    pub benefit: super::BenefitType,
}

pub fn derived_groups(f: &DerivedFacts) -> Vec<DerivedGroup> {
    let mut out = vec![];
    if f.statushouder {
        out.push(DerivedGroup::Statushouder);
    }
    if f.age < f.youth_age {
        out.push(DerivedGroup::Onder27);
    }
    if f.doelgroepregister {
        out.push(DerivedGroup::Doelgroepregister);
    }
    if f.beschut_werk {
        out.push(DerivedGroup::BeschutWerk);
    }
    if f.working_with_lks {
        out.push(DerivedGroup::WerkMetLks);
    }
    if f.benefit == super::BenefitType::Nug {
        out.push(DerivedGroup::GeenUitkering);
    }
    out
}

/// How a person came into the doelgroepregister (banenafspraak).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DoelgroepRoute {
    /// UWV indication "niet in staat tot het wettelijk minimumloon".
    UwvIndicatie,
    /// The Praktijkroute (a work assessment at an employer).
    Praktijkroute,
    /// Pupils of praktijkonderwijs (PrO) or voortgezet speciaal onderwijs (VSO).
    ProVso,
    Wajong,
    /// The Wsw waiting list or a Wsw indication.
    Wsw,
}

impl DoelgroepRoute {
    pub const ALL: [DoelgroepRoute; 5] =
        [DoelgroepRoute::UwvIndicatie, DoelgroepRoute::Praktijkroute, DoelgroepRoute::ProVso, DoelgroepRoute::Wajong, DoelgroepRoute::Wsw];
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn label_nl(self) -> &'static str {
        match self {
            DoelgroepRoute::UwvIndicatie => "Indicatie van UWV",
            DoelgroepRoute::Praktijkroute => "Praktijkroute",
            DoelgroepRoute::ProVso => "Praktijkonderwijs of voortgezet speciaal onderwijs",
            DoelgroepRoute::Wajong => "Wajong",
            DoelgroepRoute::Wsw => "Wsw (wachtlijst of indicatie)",
        }
    }
}

/// Beschut werk and the doelgroepregister exclude each other: the registration ends when the
/// beschut-werk indication is given (Besluit SUWI art. 3.2(3)). Route and date only with the
/// registration.
pub fn check_registration(
    doelgroepregister: bool,
    beschut_werk: bool,
    route: Option<DoelgroepRoute>,
    date: Option<chrono::NaiveDate>,
    today: chrono::NaiveDate,
) -> Vec<FieldError> {
    let mut errs = vec![];
    if doelgroepregister && beschut_werk {
        errs.push(FieldError::new(
            "doelgroepregister",
            "Iemand met een indicatie beschut werk staat niet meer in het doelgroepregister (Besluit SUWI art. 3.2 lid 3). Kies één van beide.",
        ));
    }
    if !doelgroepregister {
        if route.is_some() {
            errs.push(FieldError::new("doelgroepregister_route", "Alleen in te vullen als de persoon in het doelgroepregister staat."));
        }
        if date.is_some() {
            errs.push(FieldError::new("doelgroepregister_date", "Alleen in te vullen als de persoon in het doelgroepregister staat."));
        }
    }
    if date.is_some_and(|d| d > today) {
        errs.push(FieldError::new("doelgroepregister_date", "De datum van registratie ligt in de toekomst."));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn beschut_werk_and_the_register_exclude_each_other() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let errs = check_registration(true, true, None, None, today);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "doelgroepregister");
        assert!(errs[0].message.contains("beschut werk"));
        assert!(check_registration(true, false, Some(DoelgroepRoute::Praktijkroute), Some(today), today).is_empty());
        let errs = check_registration(false, true, Some(DoelgroepRoute::Wajong), None, today);
        assert_eq!(errs.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["doelgroepregister_route"]);
    }

    #[test]
    fn a_group_needs_a_name_and_a_norm_in_days() {
        let g = ClientGroupInput { name: " ".into(), description: String::new(), contact_norm_days: 0, default_target_step: Some(7), version: None };
        let fields: Vec<String> = g.check().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "contact_norm_days", "default_target_step"]);
    }

    #[test]
    fn derived_groups_follow_the_record() {
        let f = DerivedFacts {
            statushouder: true,
            age: 26,
            youth_age: 27,
            doelgroepregister: false,
            beschut_werk: true,
            working_with_lks: false,
            benefit: crate::domain::BenefitType::Nug,
        };
        assert_eq!(derived_groups(&f), [DerivedGroup::Statushouder, DerivedGroup::Onder27, DerivedGroup::BeschutWerk, DerivedGroup::GeenUitkering]);
    }
}
