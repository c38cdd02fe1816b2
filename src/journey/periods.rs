//! Periods: days, ISO weeks, months, as segment keys of journeys.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// A reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    /// `day`, `week` or `month`, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// The period a UTC time falls in: `2026-07-01`, `2026-W27` (ISO week), `2026-07`.
    pub fn key(self, micros: i64) -> String {
        let t = DateTime::<Utc>::from_timestamp_micros(micros).unwrap_or_default();
        match self {
            Period::Day => t.format("%Y-%m-%d").to_string(),
            Period::Week => {
                let w = t.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            Period::Month => t.format("%Y-%m").to_string(),
        }
    }
}

impl Period {
    /// The first instant of the period `key` names ([`Period::key`]) and the first after it;
    /// None for a key of another layout.
    pub fn range(self, key: &str) -> Option<(i64, i64)> {
        let (first, next) = match self {
            Period::Day => {
                let d = NaiveDate::parse_from_str(key, "%Y-%m-%d").ok()?;
                (d, d.succ_opt()?)
            }
            Period::Week => {
                let (year, week) = key.split_once("-W")?;
                let d = NaiveDate::from_isoywd_opt(
                    year.parse().ok()?,
                    week.parse().ok()?,
                    chrono::Weekday::Mon,
                )?;
                (d, d.checked_add_days(chrono::Days::new(7))?)
            }
            Period::Month => {
                let d = NaiveDate::parse_from_str(&format!("{key}-01"), "%Y-%m-%d").ok()?;
                (d, d.checked_add_months(chrono::Months::new(1))?)
            }
        };
        Some((day_start(first), day_start(next)))
    }
}

/// UTC microseconds of a date's midnight.
pub fn day_start(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_micros())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gives_back_its_period() {
        for (period, t) in [
            (Period::Day, "2026-07-01T13:00:00Z"),
            (Period::Week, "2026-12-31T23:00:00Z"),
            (Period::Month, "2026-02-15T00:00:00Z"),
        ] {
            let micros = chrono::DateTime::parse_from_rfc3339(t)
                .expect("time")
                .timestamp_micros();
            let (start, end) = period.range(&period.key(micros)).expect("a range");
            assert!(start <= micros && micros < end, "{period:?} {t}");
            assert_eq!(period.key(start), period.key(micros));
            assert_ne!(period.key(end), period.key(micros));
        }
        // ISO week 53 of 2026 starts on Monday 28 December.
        let (start, _) = Period::Week.range("2026-W53").expect("week 53");
        assert_eq!(Period::Day.key(start), "2026-12-28");
        assert_eq!(Period::Month.range("not a month"), None);
    }

    #[test]
    fn keys_for_each_period() {
        // 2026-07-01 is a Wednesday in ISO week 27; 2027-01-01 belongs to 2026-W53.
        let t = day_start(NaiveDate::from_ymd_opt(2026, 7, 1).expect("date")) + 3_600_000_000;
        assert_eq!(Period::Day.key(t), "2026-07-01");
        assert_eq!(Period::Week.key(t), "2026-W27");
        assert_eq!(Period::Month.key(t), "2026-07");
        let ny = day_start(NaiveDate::from_ymd_opt(2027, 1, 1).expect("date"));
        assert_eq!(Period::Week.key(ny), "2026-W53");
    }
}
