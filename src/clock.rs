//! "Today" and date boundaries in Europe/Amsterdam. Timestamps are stored as UTC; every date a
//! user sees or a rule compares (a measurement "not in the future", quarters, ISO weeks, due
//! dates) is the Dutch calendar date, which differs from the UTC date between 00:00 and 01:00
//! (winter) or 02:00 (summer) local time.

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Amsterdam;

/// The calendar date in the Netherlands now.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&Amsterdam).date_naive()
}

/// The Dutch calendar date of a stored UTC timestamp.
pub fn local_date(utc: NaiveDateTime) -> NaiveDate {
    Utc.from_utc_datetime(&utc).with_timezone(&Amsterdam).date_naive()
}

/// The UTC instant at which `date` begins in the Netherlands (for `created_at >= ...` filters).
pub fn start_of_day_utc(date: NaiveDate) -> NaiveDateTime {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    // Midnight always exists in Amsterdam (DST changes at 02:00/03:00), so `earliest` is exact.
    match Amsterdam.from_local_datetime(&midnight).earliest() {
        Some(t) => t.naive_utc(),
        None => midnight,
    }
}

/// Local time of a stored UTC timestamp, for display.
pub fn local_datetime(utc: NaiveDateTime) -> NaiveDateTime {
    Utc.from_utc_datetime(&utc).with_timezone(&Amsterdam).naive_local()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn dutch_date_runs_ahead_of_utc_after_midnight() {
        // 23:30 UTC on 31 March 2026 is 01:30 on 1 April in summer time (UTC+2).
        assert_eq!(local_date(utc("2026-03-31 23:30")), NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
        // 23:30 UTC on 31 December 2025 is 00:30 on 1 January 2026 (UTC+1): a new quarter.
        assert_eq!(local_date(utc("2025-12-31 23:30")), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(local_date(utc("2026-01-01 22:59")), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(local_date(utc("2026-01-01 23:00")), NaiveDate::from_ymd_opt(2026, 1, 2).unwrap());
    }

    #[test]
    fn start_of_day_follows_daylight_saving() {
        assert_eq!(start_of_day_utc(NaiveDate::from_ymd_opt(2026, 1, 15).unwrap()), utc("2026-01-14 23:00"));
        assert_eq!(start_of_day_utc(NaiveDate::from_ymd_opt(2026, 7, 15).unwrap()), utc("2026-07-14 22:00"));
    }
}
