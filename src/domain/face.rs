//! The municipality's own face on its pages: the name residents know, logo, house colour,
//! contact details, and the privacy and accessibility statements every Dutch municipal site
//! publishes. A beheerder sets them; until then sensible defaults say what is true.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Face {
    pub municipality_id: String,
    /// "Gemeente Lochem"
    pub name: String,
    /// An image URL (https, or a path on this site); none = the name only.
    pub logo_url: Option<String>,
    /// House colour "#RRGGBB", dark enough for white text (WCAG AA, 4.5:1).
    pub colour: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub contact_address: String,
    pub contact_hours: String,
    /// Paragraphs separated by blank lines.
    pub privacy_statement: String,
    pub accessibility_statement: String,
    /// Whether the beheerder has filled it in (else the defaults).
    pub configured: bool,
}

pub const DEFAULT_COLOUR: &str = "#00558c";

impl Face {
    /// The defaults for a municipality without a profile.
    pub fn default_for(municipality_id: &str, name: &str) -> Face {
        Face {
            municipality_id: municipality_id.into(),
            name: if name.is_empty() { "Opstap".into() } else { format!("Gemeente {name}") },
            logo_url: None,
            colour: DEFAULT_COLOUR.into(),
            contact_phone: "14 0 + netnummer".into(),
            contact_email: String::new(),
            contact_address: String::new(),
            contact_hours: "Maandag tot en met vrijdag van 9.00 tot 17.00 uur".into(),
            privacy_statement: default_privacy(name),
            accessibility_statement: default_accessibility(name),
            configured: false,
        }
    }
    /// The statement split into paragraphs, for pages.
    pub fn paragraphs(text: &str) -> Vec<String> {
        text.split("\n\n").map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
    }
}

fn default_privacy(name: &str) -> String {
    let g = if name.is_empty() { "de gemeente".to_string() } else { format!("de gemeente {name}") };
    format!(
        "Opstap is de dienst van {g} die inwoners met een bijstandsuitkering helpt aan werk of een volgende stap. {g} is verantwoordelijk voor uw gegevens (Algemene verordening gegevensbescherming, AVG).\n\n\
Wij gebruiken uw gegevens alleen om u te begeleiden naar werk, op grond van de Participatiewet. Uw klantmanager ziet uw profiel. Een werkgever ziet eerst een profiel zonder uw naam. Uw naam en telefoonnummer krijgt een werkgever pas als u en uw klantmanager daar ja op zeggen.\n\n\
Elke keer dat iemand uw gegevens bekijkt of verandert, schrijven wij dat op. Onder 'Mijn gegevens' ziet u wie dat was en waarom.\n\n\
U mag uw gegevens inzien, laten verbeteren of laten verwijderen. U mag uw toestemming altijd intrekken. Vraag het uw klantmanager. Bent u het niet met ons eens? Dan kunt u een klacht indienen bij de Autoriteit Persoonsgegevens."
    )
}

fn default_accessibility(name: &str) -> String {
    let g = if name.is_empty() { "De gemeente".to_string() } else { format!("De gemeente {name}") };
    format!(
        "{g} wil dat iedereen Opstap kan gebruiken. Daarom bouwen wij de pagina's volgens de toegankelijkheidsnorm WCAG 2.1, niveau AA, zoals de wet voor overheidswebsites vraagt (Besluit digitale toegankelijkheid overheid).\n\n\
Bij elke wijziging controleren wij de pagina's automatisch op toegankelijkheid, ook op een telefoon. Teksten voor inwoners schrijven wij in eenvoudig Nederlands (taalniveau B1).\n\n\
Loopt u toch ergens tegenaan? Laat het ons weten via de contactgegevens op deze site. Wij antwoorden binnen 5 werkdagen."
    )
}

/// Relative luminance (WCAG 2.1) of "#RRGGBB".
fn luminance(hex: &str) -> Option<f64> {
    let h = hex.strip_prefix('#')?;
    if h.len() != 6 {
        return None;
    }
    let c = |i: usize| -> Option<f64> {
        let v = u8::from_str_radix(&h[i..i + 2], 16).ok()? as f64 / 255.0;
        Some(if v <= 0.03928 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) })
    };
    Some(0.2126 * c(0)? + 0.7152 * c(2)? + 0.0722 * c(4)?)
}

/// The contrast of white text on the colour, or None when it is not "#RRGGBB".
pub fn contrast_with_white(hex: &str) -> Option<f64> {
    luminance(hex).map(|l| 1.05 / (l + 0.05))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn the_house_colour_must_carry_white_text() {
        assert!(contrast_with_white(DEFAULT_COLOUR).unwrap() >= 4.5);
        assert!(contrast_with_white("#ffcc00").unwrap() < 4.5);
        assert!((contrast_with_white("#000000").unwrap() - 21.0).abs() < 0.01);
        assert_eq!(contrast_with_white("rood"), None);
        assert_eq!(Face::paragraphs("a\n\n\nb\n\n"), vec!["a", "b"]);
    }
}
