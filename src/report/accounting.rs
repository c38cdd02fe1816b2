//! Tables of the data accounting: rows per source, rejections per reason, channel mix.

use std::collections::BTreeMap;

use super::table::{self, percent, right, Cell, View};
use crate::ingest::{Accounting, Reject, RejectReason, SourceAccount, Spend};

/// Rows read, loaded, ignored and rejected per source, with a total row. Columns for merged
/// rows and for touches made by conversion rows appear when some source has them.
pub fn sources_table(accounting: &Accounting) -> View {
    let total = accounting.total();
    let merged = total.merged() > 0;
    let conversion_touches = total.conversion_touches > 0;
    let mut header = vec![
        "source",
        "format",
        "files",
        "rows read",
        "touches",
        "conversions",
    ];
    if conversion_touches {
        header.push("also touches");
    }
    header.extend(["identity", "ignored"]);
    if merged {
        header.push("merged");
    }
    header.extend(["rejected", "unassigned"]);
    let mut t = table::new(&header);
    for s in accounting.sources.iter().chain(std::iter::once(&total)) {
        let mut row = vec![
            Cell::new(&s.source),
            Cell::new(&s.format),
            right(s.files),
            right(s.rows_read),
            right(s.touches),
            right(s.conversions),
        ];
        if conversion_touches {
            row.push(right(s.conversion_touches));
        }
        row.extend([right(s.identity_rows), right(s.ignored)]);
        if merged {
            row.push(right(s.merged()));
        }
        row.extend([
            right(format!(
                "{} ({})",
                s.rejected_total(),
                percent(s.rejected_total() as f64, s.rows_read as f64)
            )),
            right(s.unassigned),
        ]);
        t.add_row(row);
    }
    t
}

/// Rows read, loaded, ignored and rejected per spend export, with the cost loaded.
pub fn spend_table(spend: &Spend) -> View {
    let mut t = table::new(&[
        "spend export",
        "format",
        "files",
        "rows read",
        "loaded",
        "ignored",
        "rejected",
    ]);
    let total = SourceAccount {
        source: "total".into(),
        ..spend.account()
    };
    for s in spend.accounts.iter().chain(std::iter::once(&total)) {
        t.add_row(vec![
            Cell::new(&s.source),
            Cell::new(&s.format),
            right(s.files),
            right(s.rows_read),
            right(s.spend_rows),
            right(s.ignored),
            right(format!(
                "{} ({})",
                s.rejected_total(),
                percent(s.rejected_total() as f64, s.rows_read as f64)
            )),
        ]);
    }
    t
}

/// Rejected rows per source and reason, with the first example of each.
pub fn rejections_table(accounting: &Accounting, rejects: &[Reject]) -> View {
    let mut first: BTreeMap<(&str, RejectReason), &Reject> = BTreeMap::new();
    for r in rejects {
        first.entry((r.source.as_str(), r.reason)).or_insert(r);
    }
    let mut t = table::new(&["source", "reason", "rows", "first example"]);
    for s in &accounting.sources {
        for (reason, count) in &s.rejected {
            let example = first
                .get(&(s.source.as_str(), *reason))
                .map(|r| describe(r))
                .unwrap_or_default();
            t.add_row(vec![
                Cell::new(&s.source),
                Cell::new(reason.name()),
                right(count),
                Cell::new(example),
            ]);
        }
    }
    t
}

/// `file:line column: detail` for one reject.
pub fn describe(r: &Reject) -> String {
    let file = r
        .file
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_else(|| r.file.display().to_string());
    match &r.column {
        Some(c) => format!("{file}:{} column {c}: {}", r.line, r.detail),
        None => format!("{file}:{}: {}", r.line, r.detail),
    }
}

/// Touches per channel for each source that has touches.
pub fn channel_mix_table(accounting: &Accounting) -> View {
    let mut t = table::new(&["source", "channel", "touches", "share"]);
    for s in &accounting.sources {
        let mut rows: Vec<(&String, &u64)> = s.channels.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (channel, n) in rows {
            t.add_row(vec![
                Cell::new(&s.source),
                Cell::new(channel),
                right(n),
                right(percent(
                    *n as f64,
                    (s.touches + s.conversion_touches) as f64,
                )),
            ]);
        }
    }
    t
}

/// One line: rows read, loaded, ignored, merged, rejected, unassigned.
pub fn summary_line(accounting: &Accounting) -> String {
    let t = accounting.total();
    let also = match t.conversion_touches {
        0 => String::new(),
        n => format!(" ({n} also touches)"),
    };
    let merged = match t.merged() {
        0 => String::new(),
        n => format!(
            ", {n} merged ({} into sessions, {} into conversions)",
            t.merged_into_sessions, t.merged_into_conversions
        ),
    };
    format!(
        "{} rows read from {} sources: {} loaded ({} touches, {} conversions{also}, {} identity), {} ignored{merged}, {} rejected ({}); {} touches unassigned ({})",
        t.rows_read,
        accounting.sources.len(),
        t.loaded(),
        t.touches,
        t.conversions,
        t.identity_rows,
        t.ignored,
        t.rejected_total(),
        percent(t.rejected_total() as f64, t.rows_read as f64),
        t.unassigned,
        percent(t.unassigned as f64, (t.touches + t.conversion_touches) as f64),
    )
}
