//! The path table: the interchange format between journeys and models.
//!
//! One row per distinct (path, conversion type, segment) with conversions, value and nulls
//! (journeys that did not convert). Counts are additive: tables from shards or weeks merge by
//! summing. Version 1 has the columns `path, conversions, value, nulls, conversion_type,
//! segment`, the path written as channel names joined by `" > "`. The reader also takes the
//! ChannelAttribution layout (`path, total_conversions, total_conversion_value, total_null`,
//! channels separated by `>`), with configurable column names, separator and delimiter.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use polars::prelude::*;

use crate::config::{CsvOptions, Format};
use crate::error::{Error, Result};
use crate::ingest::raw::{self, Value};

/// Version of the path table layout written by this build.
pub const PATH_TABLE_VERSION: u32 = 1;
/// Separator written between channels.
pub const SEPARATOR: &str = " > ";
/// Column names of the written layout.
pub const COLUMNS: [&str; 6] = [
    "path",
    "conversions",
    "value",
    "nulls",
    "conversion_type",
    "segment",
];

/// A path-table row with channel names: (path, conversion type, segment, conversions, value,
/// nulls).
pub type NamedRow = (Vec<String>, String, String, u64, f64, u64);

/// One distinct (path, conversion type, segment).
#[derive(Debug, Clone, PartialEq)]
pub struct PathRow {
    /// Channel ids, indexes of [`PathTable::channels`].
    pub path: Vec<u32>,
    /// Conversion type ("" for non-converting journeys and untyped tables).
    pub conversion_type: String,
    /// Segment value ("" when not segmented).
    pub segment: String,
    /// Journeys that converted.
    pub conversions: u64,
    /// Their conversion value.
    pub value: f64,
    /// Journeys that did not convert.
    pub nulls: u64,
}

/// A path table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathTable {
    /// Channel names, sorted; path elements index this.
    pub channels: Vec<String>,
    /// Rows, sorted by path names, conversion type, segment.
    pub rows: Vec<PathRow>,
}

impl PathTable {
    /// Builds a canonical table from rows whose paths are channel names: channels sorted,
    /// duplicate keys summed, rows sorted.
    pub fn from_named(rows: impl IntoIterator<Item = NamedRow>) -> PathTable {
        type Key = (Vec<String>, String, String);
        let mut sums: BTreeMap<Key, (u64, f64, u64)> = BTreeMap::new();
        for (path, ctype, segment, conversions, value, nulls) in rows {
            let e = sums.entry((path, ctype, segment)).or_default();
            e.0 += conversions;
            e.1 += value;
            e.2 += nulls;
        }
        let mut channels: Vec<String> = sums
            .keys()
            .flat_map(|(p, _, _)| p.iter().cloned())
            .collect();
        channels.sort();
        channels.dedup();
        let id: HashMap<&str, u32> = channels
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i as u32))
            .collect();
        let rows = sums
            .iter()
            .map(|((path, ctype, segment), (c, v, n))| PathRow {
                path: path.iter().map(|ch| id[ch.as_str()]).collect(),
                conversion_type: ctype.clone(),
                segment: segment.clone(),
                conversions: *c,
                value: *v,
                nulls: *n,
            })
            .collect();
        PathTable { channels, rows }
    }

    /// The rows with channel names instead of ids.
    pub fn named_rows(&self) -> impl Iterator<Item = NamedRow> + '_ {
        self.rows.iter().map(|r| {
            (
                r.path
                    .iter()
                    .map(|c| self.channels[*c as usize].clone())
                    .collect(),
                r.conversion_type.clone(),
                r.segment.clone(),
                r.conversions,
                r.value,
                r.nulls,
            )
        })
    }

    /// Sums two tables (their channel sets may differ).
    pub fn merge(&self, other: &PathTable) -> PathTable {
        PathTable::from_named(self.named_rows().chain(other.named_rows()))
    }

    /// A path as text, channels joined by `" > "`.
    pub fn path_text(&self, path: &[u32]) -> String {
        path.iter()
            .map(|c| self.channels[*c as usize].as_str())
            .collect::<Vec<_>>()
            .join(SEPARATOR)
    }

    /// Total conversions.
    pub fn conversions(&self) -> u64 {
        self.rows.iter().map(|r| r.conversions).sum()
    }

    /// Total conversion value.
    pub fn value(&self) -> f64 {
        self.rows.iter().map(|r| r.value).sum()
    }

    /// Total non-converting journeys.
    pub fn nulls(&self) -> u64 {
        self.rows.iter().map(|r| r.nulls).sum()
    }
}

/// Writes a table as Parquet (`.parquet`) or CSV (anything else), atomically. Values are
/// written with full precision.
pub fn write(table: &PathTable, path: &Path) -> Result<()> {
    if Format::from_path(path) == Some(Format::Parquet) {
        let paths: Vec<String> = table
            .rows
            .iter()
            .map(|r| table.path_text(&r.path))
            .collect();
        let n = table.rows.len();
        let mut df = DataFrame::new(
            n,
            vec![
                Column::new(COLUMNS[0].into(), paths),
                Column::new(
                    COLUMNS[1].into(),
                    table
                        .rows
                        .iter()
                        .map(|r| r.conversions)
                        .collect::<Vec<u64>>(),
                ),
                Column::new(
                    COLUMNS[2].into(),
                    table.rows.iter().map(|r| r.value).collect::<Vec<f64>>(),
                ),
                Column::new(
                    COLUMNS[3].into(),
                    table.rows.iter().map(|r| r.nulls).collect::<Vec<u64>>(),
                ),
                Column::new(
                    COLUMNS[4].into(),
                    table
                        .rows
                        .iter()
                        .map(|r| r.conversion_type.as_str())
                        .collect::<Vec<&str>>(),
                ),
                Column::new(
                    COLUMNS[5].into(),
                    table
                        .rows
                        .iter()
                        .map(|r| r.segment.as_str())
                        .collect::<Vec<&str>>(),
                ),
            ],
        )
        .map_err(|e| Error::write(path, e))?;
        crate::output::write_parquet(path, &mut df)
    } else {
        crate::output::write_atomic(path, |w| {
            let mut csv = csv::Writer::from_writer(w);
            csv.write_record(COLUMNS)?;
            for r in &table.rows {
                csv.write_record([
                    table.path_text(&r.path),
                    r.conversions.to_string(),
                    // `{}` on f64 prints the shortest text that reads back to the same value.
                    format!("{}", r.value),
                    r.nulls.to_string(),
                    r.conversion_type.clone(),
                    r.segment.clone(),
                ])?;
            }
            csv.flush()?;
            Ok(())
        })
    }
}

/// How to read a path table; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Path column (default `path`).
    pub path_column: Option<String>,
    /// Conversions column (default `conversions`, or `total_conversions`).
    pub conversions_column: Option<String>,
    /// Value column (default `value`, or `total_conversion_value`).
    pub value_column: Option<String>,
    /// Nulls column (default `nulls`, or `total_null`).
    pub nulls_column: Option<String>,
    /// Channel separator inside a path (default `>`; spaces around channels are trimmed).
    pub separator: Option<String>,
    /// CSV delimiter; detected among `,` `;` tab when absent.
    pub delimiter: Option<String>,
}

/// Reads a path table (omnitouch or ChannelAttribution layout, CSV or Parquet).
pub fn read(path: &Path, options: &ReadOptions) -> Result<PathTable> {
    let format = Format::from_path(path).unwrap_or(Format::Csv);
    let delimiter = match (&options.delimiter, format) {
        (Some(d), _) => Some(d.clone()),
        (None, Format::Csv) => Some(detect_delimiter(path)?),
        _ => None,
    };
    let csv = CsvOptions {
        delimiter,
        ..CsvOptions::default()
    };
    let header = raw::column_names(path, format, &csv)?;
    let pick = |given: &Option<String>, ours: &str, theirs: &str| -> String {
        given.clone().unwrap_or_else(|| {
            if header.iter().any(|h| h == ours) || !header.iter().any(|h| h == theirs) {
                ours.to_string()
            } else {
                theirs.to_string()
            }
        })
    };
    let path_col = options.path_column.clone().unwrap_or_else(|| "path".into());
    let conv_col = pick(
        &options.conversions_column,
        "conversions",
        "total_conversions",
    );
    let value_col = pick(&options.value_column, "value", "total_conversion_value");
    let nulls_col = pick(&options.nulls_column, "nulls", "total_null");
    let mut wanted = vec![
        path_col.clone(),
        conv_col.clone(),
        value_col.clone(),
        nulls_col.clone(),
    ];
    let has_type = header.iter().any(|h| h == COLUMNS[4]);
    let has_segment = header.iter().any(|h| h == COLUMNS[5]);
    if has_type {
        wanted.push(COLUMNS[4].into());
    }
    if has_segment {
        wanted.push(COLUMNS[5].into());
    }
    let separator = options.separator.clone().unwrap_or_else(|| ">".into());
    if separator.trim().is_empty() {
        return Err(Error::format(path, "the path separator is empty"));
    }
    let mut rows = Vec::new();
    raw::read_rows(path, format, &csv, &wanted, "path table", |line, cells| {
        let at = |col: &str, what: String| {
            Error::format(path, format!("line {line} column {col}: {what}"))
        };
        let text = cells[0].text().unwrap_or_default();
        let channels: Vec<String> = text
            .split(separator.as_str())
            .map(|c| c.trim().to_string())
            .collect();
        if channels.iter().any(String::is_empty) {
            return Err(at(&path_col, format!("\"{text}\" has an empty channel")));
        }
        let conversions = count(cells[1]).map_err(|e| at(&conv_col, e))?;
        let value = cells[2].amount().map_err(|e| at(&value_col, e))?;
        let nulls = count(cells[3]).map_err(|e| at(&nulls_col, e))?;
        let text_at = |i: usize| cells.get(i).and_then(|c| c.text()).unwrap_or_default();
        let ctype = if has_type { text_at(4) } else { String::new() };
        let segment = if has_segment {
            text_at(4 + usize::from(has_type))
        } else {
            String::new()
        };
        rows.push((channels, ctype, segment, conversions, value, nulls));
        Ok(())
    })?;
    Ok(PathTable::from_named(rows))
}

/// A count cell: a non-negative whole number (empty means 0).
fn count(v: &Value) -> std::result::Result<u64, String> {
    let bad = |s: String| Err(format!("{s} is not a count (a whole number ≥ 0)"));
    match v {
        Value::Null => Ok(0),
        Value::Int(i) if *i >= 0 => Ok(*i as u64),
        Value::Int(i) => bad(i.to_string()),
        Value::Float(f) if f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 2f64.powi(63) => {
            Ok(*f as u64)
        }
        Value::Float(f) => bad(f.to_string()),
        Value::Str(s) if s.trim().is_empty() => Ok(0),
        Value::Str(s) => {
            let t = s.trim();
            if let Ok(n) = t.parse::<u64>() {
                return Ok(n);
            }
            match t.parse::<f64>() {
                Ok(f) if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < 2f64.powi(63) => {
                    Ok(f as u64)
                }
                _ => bad(format!("\"{t}\"")),
            }
        }
        Value::Datetime { .. } => bad("a datetime".into()),
    }
}

/// Picks the delimiter among `,` `;` tab that the header line uses most.
fn detect_delimiter(path: &Path) -> Result<String> {
    use std::io::BufRead;
    let file = crate::files::open(path)?;
    let mut first = Vec::new();
    std::io::BufReader::new(file)
        .read_until(b'\n', &mut first)
        .map_err(|e| Error::io(path, e))?;
    let best = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| (first.iter().filter(|c| *c == d).count(), *d == b','))
        .unwrap_or(b',');
    Ok(if best == b'\t' {
        "tab".into()
    } else {
        (best as char).to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_must_be_whole_and_non_negative() {
        assert_eq!(count(&Value::Str("3".into())), Ok(3));
        assert_eq!(count(&Value::Str("3.0".into())), Ok(3));
        assert_eq!(count(&Value::Str("".into())), Ok(0));
        assert_eq!(count(&Value::Float(2.0)), Ok(2));
        assert!(count(&Value::Str("2.5".into())).is_err());
        assert!(count(&Value::Str("-1".into())).is_err());
        assert!(count(&Value::Int(-1)).is_err());
        assert!(count(&Value::Float(f64::NAN)).is_err());
        assert!(count(&Value::Str("1e400".into())).is_err());
    }

    #[test]
    fn values_must_be_finite_and_non_negative() {
        assert_eq!(Value::Str(" 12.5 ".into()).amount(), Ok(12.5));
        assert_eq!(Value::Null.amount(), Ok(0.0));
        assert!(Value::Str("-1".into()).amount().is_err());
        assert!(Value::Str("inf".into()).amount().is_err());
        assert!(Value::Float(f64::NAN).amount().is_err());
        assert!(Value::Str("x".into()).amount().is_err());
    }

    #[test]
    fn merging_sums_counts_by_key() {
        let a = PathTable::from_named([
            (
                vec!["A".to_string(), "B".to_string()],
                String::new(),
                String::new(),
                2,
                10.0,
                1,
            ),
            (
                vec!["C".to_string()],
                String::new(),
                String::new(),
                0,
                0.0,
                4,
            ),
        ]);
        let b = PathTable::from_named([(
            vec!["A".to_string(), "B".to_string()],
            String::new(),
            String::new(),
            1,
            5.0,
            0,
        )]);
        let m = a.merge(&b);
        assert_eq!(m.channels, ["A", "B", "C"]);
        assert_eq!(m.rows.len(), 2);
        assert_eq!(
            (m.rows[0].conversions, m.rows[0].value, m.rows[0].nulls),
            (3, 15.0, 1)
        );
        assert_eq!((m.conversions(), m.nulls()), (3, 5));
    }
}
