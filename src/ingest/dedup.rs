//! Rows that are one thing counted once: the events of one visit make one touch (a session
//! key), and the rows of one conversion id make one conversion, across line items and across
//! sources (a conversion id).
//!
//! Both need every row of a group before any is loaded, so the sources that ask for them are
//! scanned first ([`super::plan::SourcePlan::scan_file`]: the key, time and value of each
//! usable row), and the decisions are handed to the load, file by file. A merged row is not
//! lost: it is counted as merged, and its identifiers still link (the shop's e-mail and the
//! analytics cookie of one order are the same person).
//!
//! The rules, documented in docs/config.md:
//! - A session is the touch rows of one source with the same session key. It makes one touch,
//!   the session's first row (earliest time, then file and line order), with that row's
//!   channel, as GA4 takes a session's source from its first event.
//! - A conversion id's rows, from every conversion source, make one conversion: the earliest
//!   usable row of the source that comes first in `[conversions] source_priority` (then config
//!   order) among those with a usable row. Its value is that row's, or with
//!   `line_items = "sum"` the sum over that source's usable rows of the id. Every other row of
//!   the id is merged, whatever else is wrong with it (a line-item row without an order time).

use std::collections::HashMap;
use std::path::PathBuf;

use rustc_hash::FxHashMap;

use crate::config::LineItems;

/// What the load does with one row, when it is not loaded as it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Decision {
    /// Merged into its session's touch.
    MergedIntoSession,
    /// Merged into its conversion id's conversion.
    MergedIntoConversion,
    /// Loaded, with this conversion value (the sum of its line items).
    ValueOf(f64),
}

/// Decisions for the rows of one file, by line (row number for Parquet).
pub(super) type FileDecisions = FxHashMap<u64, Decision>;

/// Decisions for every file that has any, by source (config index) and file.
#[derive(Debug, Default)]
pub(super) struct Decisions {
    pub files: HashMap<(usize, PathBuf), FileDecisions>,
}

impl Decisions {
    /// The decisions for one file of a source, if any.
    pub fn of(&self, source: usize, file: &std::path::Path) -> Option<&FileDecisions> {
        self.files.get(&(source, file.to_path_buf()))
    }
}

/// What the scan found in a row that a session key or conversion id groups.
#[derive(Debug, Clone)]
pub(super) struct ScanRow {
    /// Line (row number for Parquet) in its file.
    pub line: u64,
    /// The session key or the conversion id.
    pub key: String,
    /// A conversion (grouped by id) or a touch (grouped by session).
    pub is_conversion: bool,
    /// Time of a row the load will accept; None when it will reject it.
    pub ts: Option<i64>,
    /// Conversion value (0 for touches).
    pub value: f64,
}

/// One scanned file: its source, its path and rows.
pub(super) struct ScannedFile {
    pub source: usize,
    pub path: PathBuf,
    pub rows: Vec<ScanRow>,
}

/// A row of a group, where it is, to order rows and address decisions.
#[derive(Clone, Copy)]
struct At<'a> {
    /// Priority rank of the source (conversions) or 0 (sessions).
    rank: usize,
    ts: Option<i64>,
    file: usize,
    row: &'a ScanRow,
}

/// Decides, for the scanned files, which rows are merged and which conversions take a summed
/// value. `rank` gives each source's priority (lower wins); `line_items` each source's rule.
pub(super) fn decide(files: &[ScannedFile], rank: &[usize], line_items: &[LineItems]) -> Decisions {
    let mut sessions: HashMap<(usize, &str), Vec<At>> = HashMap::new();
    let mut conversions: HashMap<&str, Vec<At>> = HashMap::new();
    for (f, file) in files.iter().enumerate() {
        for row in &file.rows {
            let at = At {
                rank: if row.is_conversion {
                    rank[file.source]
                } else {
                    0
                },
                ts: row.ts,
                file: f,
                row,
            };
            if row.is_conversion {
                conversions.entry(&row.key).or_default().push(at);
            } else {
                sessions
                    .entry((file.source, &row.key))
                    .or_default()
                    .push(at);
            }
        }
    }
    let mut decisions = Decisions::default();
    let mut set = |at: &At, decision: Decision| {
        let file = &files[at.file];
        decisions
            .files
            .entry((file.source, file.path.clone()))
            .or_default()
            .insert(at.row.line, decision);
    };
    // Files are in load order (sources in config order, files by name), so (file, line)
    // orders rows as the load reads them.
    let order = |a: &&At| (a.rank, a.ts, a.file, a.row.line);
    for rows in sessions.values() {
        let Some(first) = rows.iter().filter(|a| a.ts.is_some()).min_by_key(order) else {
            continue;
        };
        for at in rows {
            if !std::ptr::eq(at.row, first.row) {
                set(at, Decision::MergedIntoSession);
            }
        }
    }
    for rows in conversions.values() {
        let Some(kept) = rows.iter().filter(|a| a.ts.is_some()).min_by_key(order) else {
            continue;
        };
        let source = files[kept.file].source;
        if line_items[source] == LineItems::Sum {
            let total: f64 = rows
                .iter()
                .filter(|a| a.ts.is_some() && files[a.file].source == source)
                .map(|a| a.row.value)
                .sum();
            set(kept, Decision::ValueOf(total));
        }
        for at in rows {
            if !std::ptr::eq(at.row, kept.row) {
                set(at, Decision::MergedIntoConversion);
            }
        }
    }
    decisions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, key: &str, conversion: bool, ts: Option<i64>, value: f64) -> ScanRow {
        ScanRow {
            line,
            key: key.into(),
            is_conversion: conversion,
            ts,
            value,
        }
    }

    fn file(source: usize, name: &str, rows: Vec<ScanRow>) -> ScannedFile {
        ScannedFile {
            source,
            path: PathBuf::from(name),
            rows,
        }
    }

    #[test]
    fn a_session_keeps_its_first_usable_row() {
        let files = [file(
            0,
            "ga4.ndjson",
            vec![
                row(1, "a", false, Some(30), 0.0),
                row(2, "a", false, Some(10), 0.0),
                row(3, "a", false, None, 0.0),
                row(4, "b", false, Some(5), 0.0),
            ],
        )];
        let d = decide(&files, &[0], &[LineItems::Once]);
        let f = d
            .of(0, std::path::Path::new("ga4.ndjson"))
            .expect("decisions");
        assert_eq!(f.get(&1), Some(&Decision::MergedIntoSession));
        assert_eq!(f.get(&2), None, "the earliest row is the session's touch");
        assert_eq!(f.get(&3), Some(&Decision::MergedIntoSession));
        assert_eq!(f.get(&4), None, "a session of one row is left alone");
    }

    #[test]
    fn a_conversion_id_is_kept_from_the_first_source_by_priority() {
        // Source 0 (analytics) saw order 7 first and twice; source 1 (the shop) has it as two
        // line items, the second without a usable time, and is first by priority.
        let files = [
            file(
                0,
                "ga4.ndjson",
                vec![
                    row(1, "7", true, Some(100), 80.0),
                    row(2, "7", true, Some(101), 80.0),
                ],
            ),
            file(
                1,
                "orders.csv",
                vec![
                    row(2, "7", true, Some(130), 50.0),
                    row(3, "7", true, None, 30.0),
                ],
            ),
        ];
        let once = decide(&files, &[1, 0], &[LineItems::Once, LineItems::Once]);
        let ga4 = once.of(0, std::path::Path::new("ga4.ndjson")).expect("ga4");
        let shop = once
            .of(1, std::path::Path::new("orders.csv"))
            .expect("shop");
        assert_eq!(ga4.get(&1), Some(&Decision::MergedIntoConversion));
        assert_eq!(ga4.get(&2), Some(&Decision::MergedIntoConversion));
        assert_eq!(shop.get(&2), None, "the shop's first row is kept as it is");
        assert_eq!(shop.get(&3), Some(&Decision::MergedIntoConversion));

        let sum = decide(&files, &[1, 0], &[LineItems::Once, LineItems::Sum]);
        let shop = sum.of(1, std::path::Path::new("orders.csv")).expect("shop");
        assert_eq!(
            shop.get(&2),
            Some(&Decision::ValueOf(50.0)),
            "only usable line items are summed"
        );
        let by_config_order = decide(&files, &[0, 1], &[LineItems::Once, LineItems::Once]);
        let ga4 = by_config_order
            .of(0, std::path::Path::new("ga4.ndjson"))
            .expect("ga4");
        assert_eq!(
            ga4.get(&1),
            None,
            "without a priority the first source wins"
        );
    }
}
