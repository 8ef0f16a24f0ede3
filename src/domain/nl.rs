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
val!(i32);

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

/// Reads an amount in euros written the Dutch way into cents: "14,50", "14,5", "14", "1.234,50",
/// "12.000", "€ 1.440,00", "-3,20". A point is only a thousands separator (groups of three digits);
/// "14.5" or "14.50" could mean fourteen and a half or be a typing error, so it is refused with a
/// message that asks for a comma, as is anything else that is not an amount.
pub fn parse_euro_cents(input: &str) -> Result<i64, &'static str> {
    const ASK: &str = "Vul een bedrag in euro in, bijvoorbeeld 14,50 of 1.234,50.";
    const COMMA: &str = "Gebruik een komma voor de centen, bijvoorbeeld 14,50 (een punt staat alleen tussen duizendtallen: 1.234,50).";
    let s: String = input.trim().trim_start_matches('€').chars().filter(|c| !c.is_whitespace()).collect();
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, s),
    };
    let (whole, cents) = match s.split_once(',') {
        Some((w, c)) => {
            if c.is_empty() || c.len() > 2 || !c.chars().all(|x| x.is_ascii_digit()) {
                return Err(if c.contains(',') || c.contains('.') { ASK } else { "Hoogstens twee cijfers na de komma, bijvoorbeeld 14,50." });
            }
            (w, if c.len() == 1 { format!("{c}0") } else { c.to_string() })
        }
        None => (s.as_str(), "00".to_string()),
    };
    if whole.is_empty() || whole.starts_with('.') || whole.ends_with('.') {
        return Err(ASK);
    }
    let groups: Vec<&str> = whole.split('.').collect();
    if groups.iter().any(|g| g.is_empty() || !g.chars().all(|x| x.is_ascii_digit())) {
        return Err(ASK);
    }
    if groups.len() > 1 && (groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3)) {
        return Err(COMMA);
    }
    let digits: String = groups.concat();
    if digits.len() > 10 {
        return Err("Dit bedrag is te groot.");
    }
    let euros: i64 = digits.parse().map_err(|_| ASK)?;
    let cents: i64 = cents.parse().map_err(|_| ASK)?;
    let v = euros * 100 + cents;
    Ok(if negative { -v } else { v })
}

/// Hours as people write them: "24" when both ends are the same, else "16 tot 24" (the caller
/// adds "uur per week").
pub fn hours(min: impl Val<i32>, max: impl Val<i32>) -> String {
    let (min, max) = (min.val(), max.val());
    if min == max {
        min.to_string()
    } else {
        format!("{min} tot {max}")
    }
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
    let folded = fold(last_name.trim());
    let mut rest = folded.as_str();
    for p in PREFIXES {
        if let Some(r) = rest.strip_prefix(p) {
            rest = r;
            break;
        }
    }
    format!("{rest} {}", fold(first_name.trim()))
}

/// Lowercases and strips Dutch/Latin diacritics, for matching typed text against labels.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let r = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
            'ç' | 'Ç' => 'c',
            'ñ' | 'Ñ' => 'n',
            'ĳ' | 'Ĳ' => {
                out.push_str("ij");
                continue;
            }
            c => {
                for l in c.to_lowercase() {
                    out.push(l);
                }
                continue;
            }
        };
        out.push(r);
    }
    out
}

/// Whether a value could be a BSN (burgerservicenummer): nine digits (eight with the leading zero
/// left off) passing the elfproef. Opstap never stores one: a client number or an import column that
/// looks like a BSN is refused.
pub fn looks_like_bsn(value: &str) -> bool {
    let v = value.trim();
    if !(8..=9).contains(&v.len()) || !v.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = format!("{v:0>9}").chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: i64 = digits[..8].iter().enumerate().map(|(i, d)| (9 - i as i64) * *d as i64).sum::<i64>() - digits[8] as i64;
    digits.iter().any(|d| *d != 0) && sum % 11 == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bsn_is_recognised_by_the_elfproef() {
        // 111222333 is the textbook example that passes the elfproef; 123456782 passes too.
        for bsn in ["111222333", "123456782", " 111222333 "] {
            assert!(looks_like_bsn(bsn), "{bsn}");
        }
        for not in ["111222334", "12345678", "1234567890", "11122233a", "000000000", "KL-00123", ""] {
            assert!(!looks_like_bsn(not), "{not}");
        }
    }

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
    fn euro_amounts_are_read_the_dutch_way_and_ambiguous_ones_refused() {
        for (input, cents) in [
            ("14,50", 1450),
            ("14,5", 1450),
            ("14", 1400),
            ("1.234,50", 123450),
            ("12.000", 1_200_000),
            ("€ 1.440,00", 144_000),
            ("€1440", 144_000),
            (" 0,05 ", 5),
            ("-3,20", -320),
            ("1.234.567,89", 123_456_789),
        ] {
            assert_eq!(parse_euro_cents(input), Ok(cents), "{input}");
        }
        // The bug this replaces: "14.5" was read as 145 euros.
        for input in ["14.5", "14.50", "1.23", "12.0000", "1,234.50", "14,505", "", "abc", "1..234", ".5", "14,", "€", "1.234.5"] {
            assert!(parse_euro_cents(input).is_err(), "{input} must be refused");
        }
        assert!(parse_euro_cents("14.5").unwrap_err().contains("komma"));
        assert_eq!(parse_euro_cents(&euro_input(144000)), Ok(144000), "what the form shows is read back the same");
    }

    #[test]
    fn names_sort_as_in_a_dutch_phone_book() {
        let mut names = [("Yilmaz", "Ayse"), ("de Boer", "Jan"), ("Bakker", "Piet"), ("van der Berg", "Anna"), ("Çelik", "Emre")];
        names.sort_by_key(|(l, f)| name_sort_key(l, f));
        assert_eq!(names.iter().map(|(l, _)| *l).collect::<Vec<_>>(), ["Bakker", "van der Berg", "de Boer", "Çelik", "Yilmaz"]);
    }
}
