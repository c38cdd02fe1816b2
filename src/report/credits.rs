//! Per-channel credits of one or more models, in every output format.

use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

pub use super::render::OutputFormat;
use super::render::{self, number_column, text_column, Align, FrameRows, Report, View};
use super::table::{self, Cell};
use crate::attribution::bootstrap::{Interval, Intervals};
use crate::attribution::Attribution;
use crate::error::{Error, Result};

/// Version of the JSON layout.
pub const JSON_VERSION: u32 = 1;

/// One channel's credit under one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreditRow {
    /// Segment or period, when credits are broken down (`--by`, `--period`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    pub model: String,
    pub channel: String,
    pub conversions: f64,
    pub value: f64,
    pub conversions_share: f64,
    pub value_share: f64,
    /// 90 % bootstrap interval, when `--bootstrap` was given.
    #[serde(flatten)]
    pub interval: Option<Interval>,
}

/// The rows of every result, models in the order given, channels in table order.
pub fn rows(results: &[Attribution], intervals: Option<&Intervals>) -> Vec<CreditRow> {
    let share = |x: f64, total: f64| if total != 0.0 { x / total } else { 0.0 };
    results
        .iter()
        .enumerate()
        .flat_map(|(m, a)| {
            let (tc, tv) = (a.total_conversions(), a.total_value());
            a.channels.iter().enumerate().map(move |(i, c)| CreditRow {
                segment: None,
                model: a.model.clone(),
                channel: c.clone(),
                conversions: a.conversions[i],
                value: a.value[i],
                conversions_share: share(a.conversions[i], tc),
                value_share: share(a.value[i], tv),
                interval: intervals
                    .and_then(|iv| iv.get(m))
                    .and_then(|iv| iv.get(i))
                    .copied(),
            })
        })
        .collect()
}

/// Renders `results` in `format` to `output` (atomically) or stdout.
pub fn write(
    results: &[Attribution],
    intervals: Option<&Intervals>,
    format: OutputFormat,
    output: Option<&Path>,
) -> Result<()> {
    report(results, intervals)?.write(format, output)
}

/// The credits of `results` as a report.
pub fn report(results: &[Attribution], intervals: Option<&Intervals>) -> Result<Report> {
    build(&rows(results, intervals), results)
}

/// One segment's results and intervals.
pub struct SegmentResults {
    pub key: String,
    pub results: Vec<Attribution>,
    pub intervals: Option<Intervals>,
}

/// Renders credits broken down by segment or period, with a leading `segment` column.
pub fn write_segmented(
    segments: &[SegmentResults],
    format: OutputFormat,
    output: Option<&Path>,
) -> Result<()> {
    segmented_report(segments)?.write(format, output)
}

/// Credits broken down by segment or period, as a report with a leading `segment` column.
pub fn segmented_report(segments: &[SegmentResults]) -> Result<Report> {
    let mut all_rows = Vec::new();
    let mut all_results = Vec::new();
    for s in segments {
        for mut r in rows(&s.results, s.intervals.as_ref()) {
            r.segment = Some(s.key.clone());
            all_rows.push(r);
        }
        for a in &s.results {
            let mut a = a.clone();
            a.model = format!("{} ({})", a.model, s.key);
            all_results.push(a);
        }
    }
    build(&all_rows, &all_results)
}

/// The JSON document of credits (keys in alphabetical order).
#[derive(Serialize)]
struct CreditsDoc<'a> {
    /// Each model's totals, notes and diagnostics.
    models: Vec<ModelSummary<'a>>,
    /// One object per credit row, keys as the CSV columns.
    rows: FrameRows<'a>,
    version: u32,
}

/// One model's totals in the JSON document.
#[derive(Serialize)]
struct ModelSummary<'a> {
    conversions: f64,
    diagnostics: &'a serde_json::Value,
    model: &'a str,
    notes: &'a [String],
    value: f64,
}

fn build(rows: &[CreditRow], results: &[Attribution]) -> Result<Report> {
    let frame = frame(rows).map_err(|e| Error::write("(credits)", e))?;
    let models = results
        .iter()
        .map(|a| ModelSummary {
            conversions: a.total_conversions(),
            diagnostics: &a.diagnostics,
            model: &a.model,
            notes: &a.notes,
            value: a.total_value(),
        })
        .collect();
    let json = render::json_text(&CreditsDoc {
        models,
        rows: FrameRows(&frame),
        version: JSON_VERSION,
    });
    let cells: Vec<Vec<String>> = rows.iter().map(view_row).collect();
    let notes = |line: &dyn Fn(&str, &str) -> String| -> String {
        results
            .iter()
            .flat_map(|a| a.notes.iter().map(|n| line(&a.model, n)))
            .collect()
    };
    let esc = |t: &str| t.replace('|', "\\|");
    let align = vec![
        Align::Left,
        Align::Left,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
    ];
    let markdown = View {
        headers: [
            "model",
            "channel",
            "conversions",
            "conversions share",
            "value",
            "value share",
        ]
        .map(String::from)
        .to_vec(),
        align: align.clone(),
        rows: cells.clone(),
        after: notes(&|m, n| format!("\n> note ({}): {}\n", esc(m), esc(n))),
        ..View::default()
    };
    let terminal = View {
        headers: ["model", "channel", "conversions", "share", "value", "share"]
            .map(String::from)
            .to_vec(),
        align,
        rows: cells,
        after: notes(&|m, n| format!("note ({m}): {n}\n")),
        ..View::default()
    };
    Ok(Report {
        frame,
        json,
        markdown,
        terminal,
    })
}

/// The typed frame: `segment` (when broken down), model, channel, conversions, value, both
/// shares, and the four interval bounds when there are intervals.
fn frame(rows: &[CreditRow]) -> PolarsResult<DataFrame> {
    let mut columns = Vec::new();
    if rows.iter().any(|r| r.segment.is_some()) {
        columns.push(Column::new(
            "segment".into(),
            rows.iter()
                .map(|r| r.segment.clone().unwrap_or_default())
                .collect::<Vec<_>>(),
        ));
    }
    let text = |name: &str, f: fn(&CreditRow) -> &str| text_column(name, rows, f);
    let number = |name: &str, f: fn(&CreditRow) -> f64| number_column(name, rows, f);
    columns.extend([
        text("model", |r| &r.model),
        text("channel", |r| &r.channel),
        number("conversions", |r| r.conversions),
        number("value", |r| r.value),
        number("conversions_share", |r| r.conversions_share),
        number("value_share", |r| r.value_share),
    ]);
    for (name, values) in interval_columns(rows) {
        columns.push(Column::new(name.into(), values));
    }
    DataFrame::new(rows.len(), columns)
}

/// A credit row as people read it: shares in percent, amounts with their interval.
fn view_row(r: &CreditRow) -> Vec<String> {
    let iv = r.interval.as_ref();
    vec![
        model_label(r),
        r.channel.clone(),
        with_interval(
            r.conversions,
            iv.map(|i| (i.conversions_low, i.conversions_high)),
        ),
        format!("{:.1}%", 100.0 * r.conversions_share),
        with_interval(r.value, iv.map(|i| (i.value_low, i.value_high))),
        format!("{:.1}%", 100.0 * r.value_share),
    ]
}

/// The four interval columns, when the rows have intervals.
fn interval_columns(rows: &[CreditRow]) -> Vec<(&'static str, Vec<f64>)> {
    if rows.iter().all(|r| r.interval.is_none()) {
        return Vec::new();
    }
    let get = |f: fn(&Interval) -> f64| -> Vec<f64> {
        rows.iter()
            .map(|r| r.interval.as_ref().map_or(f64::NAN, f))
            .collect()
    };
    vec![
        ("conversions_low", get(|i| i.conversions_low)),
        ("conversions_high", get(|i| i.conversions_high)),
        ("value_low", get(|i| i.value_low)),
        ("value_high", get(|i| i.value_high)),
    ]
}

/// The model, with the segment when there is one: `markov (2026-W27)`.
fn model_label(r: &CreditRow) -> String {
    match &r.segment {
        Some(s) => format!("{} ({s})", r.model),
        None => r.model.clone(),
    }
}

/// `12.00` or, with an interval, `12.00 [10.10–14.00]`.
fn with_interval(x: f64, interval: Option<(f64, f64)>) -> String {
    match interval {
        Some((lo, hi)) => format!("{x:.2} [{lo:.2}–{hi:.2}]"),
        None => format!("{x:.2}"),
    }
}

/// The models of a catalogue as a table.
pub fn models_table(catalogue: &crate::attribution::Catalogue) -> View {
    let mut t = table::new(&["model", "base", "parameters", "description", "from"]);
    for spec in catalogue.specs() {
        let params = if spec.origin == "built-in" {
            crate::attribution::spec::base(&spec.base)
                .map(|b| {
                    b.params
                        .iter()
                        .map(|p| format!("{}={} ({})", p.name, p.default, p.help))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default()
        } else {
            spec.params
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        t.add_row(vec![
            Cell::new(&spec.name),
            Cell::new(&spec.base),
            Cell::new(params),
            Cell::new(&spec.description),
            Cell::new(&spec.origin),
        ]);
    }
    t
}
