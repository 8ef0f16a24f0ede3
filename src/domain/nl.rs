//! Numbers, money, percentages and dates as people in the Netherlands write them (nl-NL): a
//! decimal comma, a dot between thousands, "€ 1.234,56", "12,5%", "02-12-2026" or
//! "woensdag 2 december 2026". Every page, e-mail and export formats through here.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

pub use super::euros;

/// A value a template may hand over by value or by (double) reference.
pub trait Val<T> {
    fn val(&self) -> T;
}
macro_rules! val {
    ($t:ty) => {
        impl Val<$t> for $t {
            fn val(&self) -> $t {
                *self
            }
        }
        impl Val<$t> for &$t {
            fn val(&self) -> $t {
                **self
            }
        }
        impl Val<$t> for &&$t {
            fn val(&self) -> $t {
                ***self
            }
        }
    };
}
val!(f64);
val!(NaiveDate);
val!(NaiveDateTime);

const MONTHS: [&str; 12] =
    ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"];
const WEEKDAYS: [&str; 7] = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"];

fn group_thousands(whole: &str) -> String {
    let mut out = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    out
}

/// A number with `decimals` decimals: 1234.5 → "1.234,5". Whole numbers lose a trailing ",0"
/// only when `decimals` is 0.
pub fn number(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let s = format!("{:.*}", decimals, x.abs());
    let (whole, frac) = s.split_once('.').unwrap_or((s.as_str(), ""));
    let negative = x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0');
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&group_thousands(whole));
    if !frac.is_empty() {
        out.push(',');
        out.push_str(frac);
    }
    out
}

/// A number with at most one decimal, without ",0": 7.0 → "7", 7.14 → "7,1".
pub fn short(x: impl Val<f64>) -> String {
    let x = x.val();
    let r = (x * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        number(r, 0)
    } else {
        number(r, 1)
    }
}

/// A percentage: 12.5 → "12,5%" (one decimal at most, none when whole).
pub fn pct(x: impl Val<f64>) -> String {
    format!("{}%", short(x))
}

/// A distance in km: 7.14 → "7,1 km".
pub fn km(x: impl Val<f64>) -> String {
    format!("{} km", short(x))
}

/// Euros in a form field, without the sign: 144000 cents → "1440,00".
pub fn euro_input(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{},{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// "02-12-2026".
pub fn date(d: impl Val<NaiveDate>) -> String {
    d.val().format("%d-%m-%Y").to_string()
}

/// "2 december 2026".
pub fn date_long(d: impl Val<NaiveDate>) -> String {
    let d = d.val();
    format!("{} {} {}", d.day(), MONTHS[d.month0() as usize], d.year())
}

/// "woensdag 2 december 2026".
pub fn date_with_day(d: impl Val<NaiveDate>) -> String {
    let d = d.val();
    format!("{} {}", WEEKDAYS[d.weekday().num_days_from_monday() as usize], date_long(d))
}

/// A moment stored in UTC, shown in Amsterdam time: "02-12-2026 14:05".
pub fn datetime(utc: impl Val<NaiveDateTime>) -> String {
    crate::clock::local_datetime(utc.val()).format("%d-%m-%Y %H:%M").to_string()
}

/// Dutch alphabetical order of names: case and accents do not count, and a prefix ("de",
/// "van der", "'t") is skipped, as in a Dutch phone book ("de Boer" under B).
pub fn name_sort_key(last_name: &str, first_name: &str) -> String {
    const PREFIXES: [&str; 14] =
        ["van der ", "van den ", "van de ", "van het ", "van 't ", "in 't ", "van ", "de ", "den ", "der ", "het ", "'t ", "te ", "ter "];
    let folded = crate::refdata::fold(last_name.trim());
    let mut rest = folded.as_str();
    for p in PREFIXES {
        if let Some(r) = rest.strip_prefix(p) {
            rest = r;
            break;
        }
    }
    format!("{rest} {}", crate::refdata::fold(first_name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_formats() {
        assert_eq!(number(1234.5, 1), "1.234,5");
        assert_eq!(number(-0.04, 1), "0,0");
        assert_eq!(number(-1234567.0, 0), "-1.234.567");
        assert_eq!(short(81.94), "81,9");
        assert_eq!(short(100.0), "100");
        assert_eq!(pct(100.0), "100%");
        assert_eq!(pct(12.46), "12,5%");
        assert_eq!(km(7.14), "7,1 km");
        assert_eq!(euro_input(144000), "1440,00");
        assert_eq!(euro_input(5), "0,05");
        let d = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(date(d), "02-12-2026");
        assert_eq!(date_long(d), "2 december 2026");
        assert_eq!(date_with_day(d), "woensdag 2 december 2026");
    }

    #[test]
    fn names_sort_as_in_a_dutch_phone_book() {
        let mut names = [("Yilmaz", "Ayse"), ("de Boer", "Jan"), ("Bakker", "Piet"), ("van der Berg", "Anna"), ("Çelik", "Emre")];
        names.sort_by_key(|(l, f)| name_sort_key(l, f));
        assert_eq!(names.iter().map(|(l, _)| *l).collect::<Vec<_>>(), ["Bakker", "van der Berg", "de Boer", "Çelik", "Yilmaz"]);
    }
}
