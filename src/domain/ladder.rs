//! The participatieladder (6 steps).

pub const STEPS: [(i32, &str); 6] = [
    (1, "Geïsoleerd"),
    (2, "Sociale contacten buitenshuis"),
    (3, "Deelname georganiseerde activiteiten"),
    (4, "Onbetaald werk"),
    (5, "Betaald werk met ondersteuning"),
    (6, "Betaald werk zonder ondersteuning"),
];

pub fn is_valid_step(step: i32) -> bool {
    (1..=6).contains(&step)
}

pub fn step_name(step: i32) -> &'static str {
    STEPS.iter().find(|(s, _)| *s == step).map(|(_, n)| *n).unwrap_or("onbekend")
}

/// Movement between two measurements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Movement {
    Up,
    Same,
    Down,
}

pub fn movement(from: i32, to: i32) -> Movement {
    match to.cmp(&from) {
        std::cmp::Ordering::Greater => Movement::Up,
        std::cmp::Ordering::Equal => Movement::Same,
        std::cmp::Ordering::Less => Movement::Down,
    }
}
