//! Tables describing journeys and path tables.

use std::collections::BTreeMap;

use super::table::{self, percent, right, Cell, View};
use crate::journey::{Journeys, PathTable};

/// Journey counts and the cross-device / cross-source / online→offline shares.
pub fn journeys_table(j: &Journeys) -> View {
    let s = &j.stats;
    let converting = s.converting as f64;
    let mut t = table::new(&["journeys", "value"]);
    let rows: Vec<(&str, String)> = vec![
        ("conversions in the data", j.conversions_in.to_string()),
        ("converting journeys", s.converting.to_string()),
        (
            "unattributed conversions (no touch in the window)",
            s.unattributed.to_string(),
        ),
        (
            "conversions without a person",
            s.conversions_without_person.to_string(),
        ),
        ("non-converting journeys", s.non_converting.to_string()),
        ("open journeys left out", s.open_excluded.to_string()),
        (
            "touches outside the lookback window",
            s.touches_outside_window.to_string(),
        ),
        (
            "touches without a person",
            s.touches_without_person.to_string(),
        ),
        (
            "converting journeys across devices",
            format!(
                "{} ({})",
                s.cross_device,
                percent(s.cross_device as f64, converting)
            ),
        ),
        (
            "converting journeys across sources",
            format!(
                "{} ({})",
                s.cross_source,
                percent(s.cross_source as f64, converting)
            ),
        ),
        (
            "online touches → offline conversion",
            format!(
                "{} ({})",
                s.online_to_offline,
                percent(s.online_to_offline as f64, converting)
            ),
        ),
    ];
    for (k, v) in rows {
        t.add_row(vec![Cell::new(k), right(v)]);
    }
    t
}

/// Journeys by path length (touches after transforms, 10 and more together): label,
/// conversions, non-converting journeys.
pub fn path_lengths(table_: &PathTable) -> Vec<(String, u64, u64)> {
    let mut by_len: BTreeMap<usize, (u64, u64)> = BTreeMap::new();
    for r in &table_.rows {
        let e = by_len.entry(r.path.len().min(10)).or_default();
        e.0 += r.conversions;
        e.1 += r.nulls;
    }
    by_len
        .into_iter()
        .map(|(len, (c, n))| {
            let label = if len >= 10 {
                "10+".to_string()
            } else {
                len.to_string()
            };
            (label, c, n)
        })
        .collect()
}

/// Journeys by path length: converting and non-converting.
pub fn path_length_table(table_: &PathTable) -> View {
    let (conv, nulls) = (table_.conversions() as f64, table_.nulls() as f64);
    let mut t = table::new(&[
        "path length",
        "conversions",
        "share",
        "non-converting",
        "share",
    ]);
    for (label, c, n) in path_lengths(table_) {
        t.add_row(vec![
            Cell::new(label),
            right(c),
            right(percent(c as f64, conv)),
            right(n),
            right(percent(n as f64, nulls)),
        ]);
    }
    t
}

/// The `n` paths with most conversions.
pub fn top_paths_table(table_: &PathTable, n: usize) -> View {
    let rows = table_.top_rows(n);
    let mut t = table::new(&[
        "path",
        "conversions",
        "value",
        "non-converting",
        "conversion rate",
    ]);
    for r in rows {
        t.add_row(vec![
            Cell::new(table_.path_text(&r.path)),
            right(r.conversions),
            right(format!("{:.2}", r.value)),
            right(r.nulls),
            right(percent(
                r.conversions as f64,
                (r.conversions + r.nulls) as f64,
            )),
        ]);
    }
    t
}

/// Time from a journey's first touch to its conversion.
pub fn time_to_conversion_table(j: &Journeys) -> View {
    let (buckets, hours) = crate::journey::time_to_conversion(j);
    let mut t = table::new(&["time to conversion", "conversions", "share"]);
    for (label, n) in buckets {
        t.add_row(vec![
            Cell::new(label),
            right(n),
            right(percent(n as f64, hours.len() as f64)),
        ]);
    }
    if !hours.is_empty() {
        let q = |p: f64| hours[((hours.len() - 1) as f64 * p).round() as usize];
        t.add_row(vec![
            Cell::new("median / 90th percentile"),
            right(format!("{:.1} h / {:.1} h", q(0.5), q(0.9))),
            Cell::new(""),
        ]);
    }
    t
}

/// Totals of a path table.
pub fn path_table_line(t: &PathTable) -> String {
    format!(
        "path table: {} rows, {} channels, {} conversions, value {:.2}, {} non-converting journeys",
        t.rows.len(),
        t.channels.len(),
        t.conversions(),
        t.value(),
        t.nulls()
    )
}
