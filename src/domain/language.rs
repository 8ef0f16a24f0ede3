//! Dutch language levels: referentieniveaus 1F-4F and CEFR A1-C2 on one ordinal scale.
//! 1F ~ A2, 2F ~ B1, 3F ~ B2, 4F ~ C1 (Meijerink/CEFR alignment as used in inburgering).

/// Rank on a 1..=6 scale (A1=1, A2/1F=2, B1/2F=3, B2/3F=4, C1/4F=5, C2=6); None if unknown.
pub fn rank(level: &str) -> Option<u8> {
    match level.trim().to_ascii_uppercase().as_str() {
        "A1" => Some(1),
        "A2" | "1F" => Some(2),
        "B1" | "2F" => Some(3),
        "B2" | "3F" => Some(4),
        "C1" | "4F" => Some(5),
        "C2" | "MOEDERTAAL" | "NT1" => Some(6),
        _ => None,
    }
}

/// Normalised spelling of a level ("1f" -> "1F").
pub fn normalise(level: &str) -> Option<String> {
    rank(level).map(|_| level.trim().to_ascii_uppercase())
}

/// A level in plain words for the person (B1): "Taal 3F" means nothing to most readers.
pub fn explain_b1(level: &str) -> String {
    let words = match rank(level) {
        Some(1) => "een beetje Nederlands",
        Some(2) => "eenvoudig Nederlands",
        Some(3) => "Nederlands voor gewone dingen van elke dag",
        Some(4) => "goed Nederlands",
        Some(5) => "heel goed Nederlands",
        Some(6) => "Nederlands zo goed als een moedertaal",
        _ => return "niet bekend".into(),
    };
    format!("U spreekt {words} (niveau {})", normalise(level).unwrap_or_default())
}

pub const LEVELS: &[&str] = &["A1", "A2", "1F", "B1", "2F", "B2", "3F", "C1", "4F", "C2", "moedertaal"];

/// The taaleis (Pw 18b) level: 1F.
pub const TAALEIS_RANK: u8 = 2;

/// Whether a candidate with `candidate` level meets a `required` level.
pub fn meets(candidate: Option<&str>, required: Option<&str>) -> bool {
    match required.and_then(rank) {
        None => true,
        Some(req) => candidate.and_then(rank).is_some_and(|c| c >= req),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn scale() {
        assert_eq!(rank("1f"), rank("A2"));
        assert!(meets(Some("B1"), Some("1F")));
        assert!(!meets(Some("A1"), Some("1F")));
        assert!(!meets(None, Some("1F")));
        assert!(meets(None, None));
        assert_eq!(rank("X"), None);
    }
}
