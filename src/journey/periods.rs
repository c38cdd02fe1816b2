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
