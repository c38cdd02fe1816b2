//! Timestamp parsing: RFC 3339, strftime patterns, epoch seconds or milliseconds, with an
//! IANA time zone for naive times. Every result is UTC microseconds since the epoch.

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// Earliest accepted time: 1970-01-01T00:00:00Z.
pub const MIN_MICROS: i64 = 0;
/// First rejected time: 2200-01-01T00:00:00Z. Later values are almost always unit mistakes
/// (milliseconds read as seconds) or junk.
pub const MAX_MICROS: i64 = 7_258_118_400_000_000;

/// Why a timestamp was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimestampError {
    /// The text does not match the format.
    Unparseable,
    /// It parsed, but lies outside 1970..2200.
    OutOfRange,
    /// A naive local time that does not exist in the time zone (skipped by a DST change).
    NonexistentLocalTime,
}

/// The configured format of a timestamp column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimestampFormat {
    /// RFC 3339, then `YYYY-MM-DD[ T]HH:MM:SS[.f]`, then `YYYY-MM-DD`; numbers as epoch
    /// seconds, or milliseconds when above 10^11.
    Auto,
    /// RFC 3339 with offset (`2026-07-01T10:00:00Z`, `…+02:00`).
    Rfc3339,
    /// Seconds since the epoch (fractions allowed).
    EpochSeconds,
    /// Milliseconds since the epoch.
    EpochMillis,
    /// A strftime pattern; naive unless it contains `%z`, `%:z` or `%#z`.
    Pattern {
        pattern: String,
        has_offset: bool,
        has_time: bool,
    },
}

impl TimestampFormat {
    /// Reads a format name or pattern from the config.
    pub fn parse(spec: &str) -> Result<TimestampFormat, String> {
        match spec {
            "auto" => Ok(TimestampFormat::Auto),
            "rfc3339" | "iso8601" => Ok(TimestampFormat::Rfc3339),
            "epoch_s" | "epoch_seconds" => Ok(TimestampFormat::EpochSeconds),
            "epoch_ms" | "epoch_millis" => Ok(TimestampFormat::EpochMillis),
            pattern if pattern.contains('%') => {
                if StrftimeItems::new(pattern).any(|item| matches!(item, Item::Error)) {
                    return Err(format!("\"{pattern}\" is not a valid strftime pattern"));
                }
                let has_offset = ["%z", "%:z", "%#z", "%::z"]
                    .iter()
                    .any(|z| pattern.contains(z));
                let has_time = ["%H", "%I", "%T", "%R", "%s", "%X", "%c", "%r"]
                    .iter()
                    .any(|t| pattern.contains(t));
                Ok(TimestampFormat::Pattern {
                    pattern: pattern.to_string(),
                    has_offset,
                    has_time,
                })
            }
            other => Err(format!(
                "\"{other}\" is not a format: use auto, rfc3339, epoch_s, epoch_ms or a strftime pattern such as \"%Y-%m-%d %H:%M:%S\""
            )),
        }
    }
}

/// Parses an IANA time zone name (`UTC`, `Europe/London`).
pub fn parse_timezone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>()
        .map_err(|_| format!("\"{name}\" is not an IANA time zone name (e.g. Europe/London)"))
}

/// Turns cells of one timestamp column into UTC microseconds.
#[derive(Debug, Clone)]
pub struct TimestampParser {
    format: TimestampFormat,
    tz: Tz,
    /// The pattern's items, parsed once: a pattern parsed again for every cell cost 8% of
    /// loading 100M rows.
    items: Vec<Item<'static>>,
    /// The auto format's patterns, parsed once, in the order they are tried.
    auto: Vec<Vec<Item<'static>>>,
}

/// The patterns the auto format tries after RFC 3339, in order: date and time ones, then a
/// date.
const AUTO_PATTERNS: [&str; 4] = [
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
];

/// A pattern's items (none when it does not parse: [`TimestampFormat::parse`] refuses those).
fn items_of(pattern: &str) -> Vec<Item<'static>> {
    StrftimeItems::new(pattern)
        .parse_to_owned()
        .unwrap_or_default()
}

/// The fields `text` gives under `items`.
fn parse_items(text: &str, items: &[Item<'static>]) -> Result<Parsed, TimestampError> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text, items.iter())
        .map_err(|_| TimestampError::Unparseable)?;
    Ok(parsed)
}

/// The naive date and time of parsed fields.
fn naive_date_time(parsed: Parsed) -> Result<NaiveDateTime, TimestampError> {
    parsed
        .to_naive_datetime_with_offset(0)
        .map_err(|_| TimestampError::Unparseable)
}

/// The date of parsed fields.
fn naive_date(parsed: Parsed) -> Result<NaiveDate, TimestampError> {
    parsed
        .to_naive_date()
        .map_err(|_| TimestampError::Unparseable)
}

impl TimestampParser {
    /// A parser for `format`, reading naive times in `tz`.
    pub fn new(format: TimestampFormat, tz: Tz) -> Self {
        let items = match &format {
            TimestampFormat::Pattern { pattern, .. } => items_of(pattern),
            _ => Vec::new(),
        };
        let auto = match format {
            TimestampFormat::Auto => AUTO_PATTERNS.iter().map(|p| items_of(p)).collect(),
            _ => Vec::new(),
        };
        TimestampParser {
            format,
            tz,
            items,
            auto,
        }
    }

    /// Parses a text cell.
    pub fn parse_str(&self, text: &str) -> Result<i64, TimestampError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TimestampError::Unparseable);
        }
        match &self.format {
            TimestampFormat::Rfc3339 => DateTime::parse_from_rfc3339(text)
                .map(|t| t.timestamp_micros())
                .map_err(|_| TimestampError::Unparseable)
                .and_then(check_range),
            TimestampFormat::EpochSeconds | TimestampFormat::EpochMillis => {
                let n: f64 = text.parse().map_err(|_| TimestampError::Unparseable)?;
                self.parse_f64(n)
            }
            TimestampFormat::Pattern {
                has_offset,
                has_time,
                ..
            } => {
                // As DateTime, NaiveDateTime and NaiveDate parse_from_str do.
                let parsed = parse_items(text, &self.items)?;
                if *has_offset {
                    parsed
                        .to_datetime()
                        .map(|t| t.timestamp_micros())
                        .map_err(|_| TimestampError::Unparseable)
                        .and_then(check_range)
                } else if *has_time {
                    self.local(naive_date_time(parsed)?)
                } else {
                    self.local(naive_date(parsed)?.and_time(chrono::NaiveTime::MIN))
                }
            }
            TimestampFormat::Auto => self.parse_auto(text),
        }
    }

    fn parse_auto(&self, text: &str) -> Result<i64, TimestampError> {
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return check_range(t.timestamp_micros());
        }
        let (date_times, date) = self.auto.split_at(AUTO_PATTERNS.len() - 1);
        for items in date_times {
            if let Ok(naive) = parse_items(text, items).and_then(naive_date_time) {
                return self.local(naive);
            }
        }
        for items in date {
            if let Ok(date) = parse_items(text, items).and_then(naive_date) {
                return self.local(date.and_time(chrono::NaiveTime::MIN));
            }
        }
        if let Ok(n) = text.parse::<f64>() {
            return self.parse_f64(n);
        }
        Err(TimestampError::Unparseable)
    }

    /// Parses an integer cell (epoch seconds or milliseconds by the format).
    pub fn parse_i64(&self, n: i64) -> Result<i64, TimestampError> {
        let micros = match self.format {
            TimestampFormat::EpochMillis => n.checked_mul(1_000),
            TimestampFormat::EpochSeconds => n.checked_mul(1_000_000),
            TimestampFormat::Auto if n.unsigned_abs() > 100_000_000_000 => n.checked_mul(1_000),
            TimestampFormat::Auto => n.checked_mul(1_000_000),
            _ => return Err(TimestampError::Unparseable),
        };
        micros
            .ok_or(TimestampError::OutOfRange)
            .and_then(check_range)
    }

    /// Parses a floating-point cell (epoch seconds or milliseconds by the format).
    pub fn parse_f64(&self, n: f64) -> Result<i64, TimestampError> {
        if !n.is_finite() {
            return Err(TimestampError::Unparseable);
        }
        let scale = match self.format {
            TimestampFormat::EpochMillis => 1e3,
            TimestampFormat::EpochSeconds => 1e6,
            TimestampFormat::Auto if n.abs() > 1e11 => 1e3,
            TimestampFormat::Auto => 1e6,
            _ => return Err(TimestampError::Unparseable),
        };
        let micros = (n * scale).round();
        if micros < MIN_MICROS as f64 || micros >= MAX_MICROS as f64 {
            return Err(TimestampError::OutOfRange);
        }
        Ok(micros as i64)
    }

    /// Converts a native datetime cell: `micros` since the epoch, either already UTC
    /// (`utc = true`, a zoned Parquet column) or a naive wall-clock time in the source's zone.
    pub fn from_native(&self, micros: i64, utc: bool) -> Result<i64, TimestampError> {
        if utc {
            return check_range(micros);
        }
        let naive = DateTime::from_timestamp_micros(micros)
            .ok_or(TimestampError::OutOfRange)?
            .naive_utc();
        self.local(naive)
    }

    fn local(&self, naive: NaiveDateTime) -> Result<i64, TimestampError> {
        // Ambiguous times (the repeated hour when clocks go back) take the earlier instant.
        let t = self
            .tz
            .from_local_datetime(&naive)
            .earliest()
            .ok_or(TimestampError::NonexistentLocalTime)?;
        check_range(t.timestamp_micros())
    }
}

fn check_range(micros: i64) -> Result<i64, TimestampError> {
    if (MIN_MICROS..MAX_MICROS).contains(&micros) {
        Ok(micros)
    } else {
        Err(TimestampError::OutOfRange)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser(format: &str, tz: &str) -> TimestampParser {
        TimestampParser::new(
            TimestampFormat::parse(format).expect("format"),
            parse_timezone(tz).expect("tz"),
        )
    }

    // 2026-07-01T10:00:00Z
    const T: i64 = 1_782_900_000_000_000;

    #[test]
    fn rfc3339_with_zulu_and_offset() {
        let p = parser("rfc3339", "UTC");
        assert_eq!(p.parse_str("2026-07-01T10:00:00Z"), Ok(T));
        assert_eq!(p.parse_str("2026-07-01T12:00:00+02:00"), Ok(T));
        assert_eq!(p.parse_str("2026-07-01T10:00:00.5Z"), Ok(T + 500_000));
        assert_eq!(p.parse_str("01/07/2026"), Err(TimestampError::Unparseable));
    }

    #[test]
    fn naive_pattern_uses_the_time_zone_with_summer_time() {
        let p = parser("%d/%m/%Y %H:%M:%S", "Europe/London");
        assert_eq!(p.parse_str("01/07/2026 11:00:00"), Ok(T));
        let ny = parser("%Y-%m-%d %H:%M:%S", "America/New_York");
        assert_eq!(ny.parse_str("2026-07-01 06:00:00"), Ok(T));
    }

    #[test]
    fn pattern_with_offset_ignores_the_zone() {
        let p = parser("%Y-%m-%d %H:%M:%S %z", "America/New_York");
        assert_eq!(p.parse_str("2026-07-01 10:00:00 +0000"), Ok(T));
    }

    #[test]
    fn date_only_pattern_is_local_midnight() {
        let p = parser("%Y%m%d", "UTC");
        assert_eq!(p.parse_str("20260701"), Ok(T - 10 * 3_600_000_000));
    }

    #[test]
    fn epochs_in_seconds_and_millis() {
        assert_eq!(parser("epoch_s", "UTC").parse_str("1782900000"), Ok(T));
        assert_eq!(parser("epoch_s", "UTC").parse_i64(1_782_900_000), Ok(T));
        assert_eq!(
            parser("epoch_ms", "UTC").parse_i64(1_782_900_000_000),
            Ok(T)
        );
        assert_eq!(
            parser("epoch_ms", "UTC").parse_str("1782900000000.0"),
            Ok(T)
        );
        assert_eq!(
            parser("epoch_s", "UTC").parse_str("NaN"),
            Err(TimestampError::Unparseable)
        );
    }

    #[test]
    fn auto_tries_the_common_forms() {
        let p = parser("auto", "UTC");
        assert_eq!(p.parse_str("2026-07-01T10:00:00Z"), Ok(T));
        assert_eq!(p.parse_str("2026-07-01 10:00:00"), Ok(T));
        assert_eq!(p.parse_str("2026-07-01T10:00:00.000"), Ok(T));
        assert_eq!(p.parse_str("1782900000"), Ok(T));
        assert_eq!(p.parse_str("1782900000000"), Ok(T));
        assert_eq!(p.parse_i64(1_782_900_000_000), Ok(T));
        assert_eq!(p.parse_str("yesterday"), Err(TimestampError::Unparseable));
        assert_eq!(p.parse_str("  "), Err(TimestampError::Unparseable));
    }

    #[test]
    fn out_of_range_and_overflow_are_rejected_not_panics() {
        let p = parser("auto", "UTC");
        assert_eq!(
            p.parse_str("1969-12-31T23:59:59Z"),
            Err(TimestampError::OutOfRange)
        );
        assert_eq!(
            p.parse_str("2300-01-01T00:00:00Z"),
            Err(TimestampError::OutOfRange)
        );
        assert_eq!(p.parse_i64(i64::MAX), Err(TimestampError::OutOfRange));
        assert_eq!(
            parser("epoch_s", "UTC").parse_f64(1e300),
            Err(TimestampError::OutOfRange)
        );
    }

    #[test]
    fn nonexistent_local_time_is_reported() {
        // Clocks jump from 01:00 to 02:00 in London on 2026-03-29.
        let p = parser("%Y-%m-%d %H:%M:%S", "Europe/London");
        assert_eq!(
            p.parse_str("2026-03-29 01:30:00"),
            Err(TimestampError::NonexistentLocalTime)
        );
    }

    #[test]
    fn native_naive_values_are_local() {
        let p = parser("auto", "Europe/London");
        // 11:00 wall clock in London in summer is 10:00 UTC.
        assert_eq!(p.from_native(T + 3_600_000_000, false), Ok(T));
        assert_eq!(p.from_native(T, true), Ok(T));
    }

    #[test]
    fn bad_format_specs_are_refused() {
        assert!(TimestampFormat::parse("dd/mm/yyyy").is_err());
        assert!(TimestampFormat::parse("%Y-%m-%d %Q").is_err());
        assert!(parse_timezone("Mars/Olympus").is_err());
    }
}
