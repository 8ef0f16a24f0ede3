//! The eight placement kinds of DOMAIN.md and their rules.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum PlacementKind {
    #[serde(alias = "regular_job")]
    ReguliereBaan,
    #[serde(alias = "work_experience")]
    Werkervaringsplaats,
    #[serde(alias = "trial_placement")]
    Proefplaatsing,
    #[serde(alias = "bbl", alias = "leerwerkplek")]
    LeerwerkplekBbl,
    #[serde(alias = "secondment")]
    Detachering,
    #[serde(alias = "sheltered_work")]
    BeschutWerk,
    #[serde(alias = "volunteering", alias = "participatieplaats")]
    Vrijwilligerswerk,
    #[serde(alias = "day_activities", alias = "dagbesteding")]
    ArbeidsmatigeDagbesteding,
}

/// Legal maximum of a trial placement (Pw 8a(2)(d)): 2 months, extended by at most 4.
pub const TRIAL_MAX_MONTHS: i32 = 2;
pub const TRIAL_MAX_EXTENSION_MONTHS: i32 = 4;

impl PlacementKind {
    pub const ALL: [PlacementKind; 8] = [
        PlacementKind::ReguliereBaan,
        PlacementKind::Werkervaringsplaats,
        PlacementKind::Proefplaatsing,
        PlacementKind::LeerwerkplekBbl,
        PlacementKind::Detachering,
        PlacementKind::BeschutWerk,
        PlacementKind::Vrijwilligerswerk,
        PlacementKind::ArbeidsmatigeDagbesteding,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<PlacementKind> {
        serde_json::from_value(serde_json::Value::String(s.trim().to_ascii_lowercase())).ok()
    }

    /// The words that name this kind in a search ("vrijwilligerswerk", "bbl"), as one word or two
    /// ("beschut werk"), lower case.
    fn names(self) -> &'static [&'static str] {
        match self {
            PlacementKind::ReguliereBaan => &["reguliere baan", "reguliere banen"],
            PlacementKind::Werkervaringsplaats => &["werkervaringsplaats", "werkervaringsplaatsen", "werkervaringsplek", "werkervaringsplekken"],
            PlacementKind::Proefplaatsing => &["proefplaatsing", "proefplaatsingen"],
            PlacementKind::LeerwerkplekBbl => &["bbl", "leerwerkplek", "leerwerkplekken", "leerwerkplaats", "leerwerkplaatsen"],
            PlacementKind::Detachering => &["detachering", "detacheringen"],
            PlacementKind::BeschutWerk => &["beschut werk", "beschutwerk"],
            PlacementKind::Vrijwilligerswerk => &["vrijwilligerswerk", "participatieplaats", "participatieplaatsen"],
            PlacementKind::ArbeidsmatigeDagbesteding => &["dagbesteding", "arbeidsmatige dagbesteding"],
        }
    }

    /// The kinds a search text names, and the text without those words: a kind's own name is a
    /// filter on the kind, not a word to look for in titles (which rarely carry it).
    pub fn named_in(q: &str) -> (Vec<PlacementKind>, String) {
        let words: Vec<String> = q.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()).collect();
        let mut used = vec![false; words.len()];
        let mut kinds = vec![];
        for k in PlacementKind::ALL {
            for name in k.names() {
                let parts: Vec<&str> = name.split(' ').collect();
                for i in 0..words.len() {
                    if i + parts.len() <= words.len() && !used[i] && parts.iter().enumerate().all(|(j, p)| words[i + j] == *p) {
                        for u in used.iter_mut().skip(i).take(parts.len()) {
                            *u = true;
                        }
                        if !kinds.contains(&k) {
                            kinds.push(k);
                        }
                    }
                }
            }
        }
        let rest: Vec<&str> = q.split_whitespace().zip(used.iter()).filter(|(_, u)| !**u).map(|(w, _)| w).collect();
        (kinds, rest.join(" "))
    }

    /// Dutch label for pages.
    pub fn label_nl(self) -> &'static str {
        match self {
            PlacementKind::ReguliereBaan => "Reguliere baan",
            PlacementKind::Werkervaringsplaats => "Werkervaringsplaats",
            PlacementKind::Proefplaatsing => "Proefplaatsing",
            PlacementKind::LeerwerkplekBbl => "Leerwerkplek / BBL",
            PlacementKind::Detachering => "Detachering",
            PlacementKind::BeschutWerk => "Beschut werk",
            PlacementKind::Vrijwilligerswerk => "Vrijwilligerswerk / participatieplaats",
            PlacementKind::ArbeidsmatigeDagbesteding => "Arbeidsmatige dagbesteding",
        }
    }

    /// What the kind means for the candidate, in plain words (B1).
    pub fn explain_b1(self) -> &'static str {
        match self {
            PlacementKind::ReguliereBaan => "Een gewone baan, met een contract en loon.",
            PlacementKind::Werkervaringsplaats => "U doet ervaring op bij een werkgever. U krijgt geen loon, u houdt uw uitkering.",
            PlacementKind::Proefplaatsing => {
                "U werkt eerst op proef, meestal 2 maanden. U houdt uw uitkering. Gaat het goed? Dan krijgt u een contract."
            }
            PlacementKind::LeerwerkplekBbl => "U werkt en leert tegelijk: een paar dagen werken en een dag naar school. U krijgt loon.",
            PlacementKind::Detachering => "U werkt bij deze werkgever, maar een ander bedrijf is uw baas en betaalt uw loon.",
            PlacementKind::BeschutWerk => "Betaald werk met veel begeleiding, op een rustige plek. Alleen als u een indicatie beschut werk heeft.",
            PlacementKind::Vrijwilligerswerk => "U doet nuttig werk zonder loon. U houdt uw uitkering.",
            PlacementKind::ArbeidsmatigeDagbesteding => "U doet werk in uw eigen tempo, met begeleiding. Zonder loon, u houdt uw uitkering.",
        }
    }

    /// Whether the worker is paid a wage by the employer.
    pub fn is_paid(self) -> bool {
        matches!(self, PlacementKind::ReguliereBaan | PlacementKind::LeerwerkplekBbl | PlacementKind::Detachering | PlacementKind::BeschutWerk)
    }

    /// The ladder step this kind typically leads to.
    pub fn leads_to_step(self) -> i32 {
        match self {
            PlacementKind::ReguliereBaan => 6,
            PlacementKind::Werkervaringsplaats
            | PlacementKind::Proefplaatsing
            | PlacementKind::LeerwerkplekBbl
            | PlacementKind::Detachering
            | PlacementKind::BeschutWerk => 5,
            PlacementKind::Vrijwilligerswerk => 4,
            PlacementKind::ArbeidsmatigeDagbesteding => 3,
        }
    }

    /// The candidates' current ladder steps this kind suits, when the employer does not say.
    pub fn default_ladder_steps(self) -> &'static [i32] {
        match self {
            PlacementKind::ReguliereBaan => &[4, 5, 6],
            PlacementKind::Werkervaringsplaats => &[3, 4],
            PlacementKind::Proefplaatsing => &[4, 5],
            PlacementKind::LeerwerkplekBbl => &[3, 4, 5],
            PlacementKind::Detachering => &[4, 5],
            PlacementKind::BeschutWerk => &[3, 4, 5],
            PlacementKind::Vrijwilligerswerk => &[2, 3],
            PlacementKind::ArbeidsmatigeDagbesteding => &[1, 2],
        }
    }

    /// Only for candidates with a beschut-werk indication (Pw 10b).
    pub fn requires_beschut_indication(self) -> bool {
        self == PlacementKind::BeschutWerk
    }
}

impl std::fmt::Display for PlacementKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks the duration of a placement. For a trial placement `duration_months` is the whole
/// planned duration (at most 2 + 4 = 6 months) and `extension_months`, if given, the part of it
/// that is extension (at most 4, leaving at most 2 for the first period).
pub fn check_duration(kind: PlacementKind, duration_months: Option<i32>, extension_months: Option<i32>) -> Vec<crate::domain::FieldError> {
    use crate::domain::FieldError;
    let mut errs = Vec::new();
    if let Some(d) = duration_months {
        if d < 1 {
            errs.push(FieldError::new("duration_months", "De duur is minstens 1 maand."));
        }
    }
    if let Some(e) = extension_months {
        if e < 0 {
            errs.push(FieldError::new("extension_months", "De verlenging kan niet negatief zijn."));
        }
    }
    if kind == PlacementKind::Proefplaatsing {
        let max = TRIAL_MAX_MONTHS + TRIAL_MAX_EXTENSION_MONTHS;
        match duration_months {
            None => errs.push(FieldError::new(
                "duration_months",
                "Geef de duur van de proefplaatsing op (maximaal 2 maanden, met ten hoogste 4 maanden verlenging).",
            )),
            Some(d) if d > max => errs.push(FieldError::new(
                "duration_months",
                format!(
                    "Een proefplaatsing duurt maximaal {TRIAL_MAX_MONTHS} maanden, met ten hoogste \
                     {TRIAL_MAX_EXTENSION_MONTHS} maanden verlenging ({max} maanden in totaal; Participatiewet art. 8a)."
                ),
            )),
            Some(d) => {
                let ext = extension_months.unwrap_or(0);
                if ext > TRIAL_MAX_EXTENSION_MONTHS {
                    errs.push(FieldError::new(
                        "extension_months",
                        format!("Een proefplaatsing mag met ten hoogste {TRIAL_MAX_EXTENSION_MONTHS} maanden worden verlengd."),
                    ));
                } else if extension_months.is_some() && d - ext > TRIAL_MAX_MONTHS {
                    errs.push(FieldError::new(
                        "duration_months",
                        format!("De eerste periode van een proefplaatsing is maximaal {TRIAL_MAX_MONTHS} maanden."),
                    ));
                } else if ext > d {
                    errs.push(FieldError::new("extension_months", "De verlenging is langer dan de hele duur."));
                }
            }
        }
    } else if extension_months.is_some_and(|e| e > 0) && duration_months.is_none() {
        errs.push(FieldError::new("duration_months", "Geef de duur op als er een verlenging is."));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_aliases() {
        assert_eq!(PlacementKind::parse("trial_placement"), Some(PlacementKind::Proefplaatsing));
        assert_eq!(PlacementKind::parse("Proefplaatsing"), Some(PlacementKind::Proefplaatsing));
        assert_eq!(PlacementKind::parse("nope"), None);
        for k in PlacementKind::ALL {
            assert_eq!(PlacementKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn trial_duration() {
        let t = PlacementKind::Proefplaatsing;
        assert!(check_duration(t, Some(2), None).is_empty());
        assert!(check_duration(t, Some(6), Some(4)).is_empty());
        assert!(check_duration(t, Some(6), None).is_empty());
        assert_eq!(check_duration(t, Some(7), None)[0].field, "duration_months");
        assert_eq!(check_duration(t, Some(6), Some(5))[0].field, "extension_months");
        assert_eq!(check_duration(t, Some(6), Some(1))[0].field, "duration_months");
        assert!(!check_duration(t, None, None).is_empty());
        assert!(check_duration(PlacementKind::Werkervaringsplaats, Some(12), None).is_empty());
    }

    #[test]
    fn a_kind_is_found_by_its_own_name() {
        assert_eq!(PlacementKind::named_in("vrijwilligerswerk"), (vec![PlacementKind::Vrijwilligerswerk], String::new()));
        assert_eq!(PlacementKind::named_in("Beschut werk in Lochem"), (vec![PlacementKind::BeschutWerk], "in Lochem".to_string()));
        assert_eq!(PlacementKind::named_in("bbl kok"), (vec![PlacementKind::LeerwerkplekBbl], "kok".to_string()));
        assert_eq!(PlacementKind::named_in("vrijwilliger"), (vec![], "vrijwilliger".to_string()));
        assert_eq!(PlacementKind::named_in("werk in de zorg"), (vec![], "werk in de zorg".to_string()));
    }
}
