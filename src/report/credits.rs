//! Per-channel credits of one or more models, in every output format.

use std::path::Path;

use comfy_table::Cell;
use polars::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::table::{self, right};
use crate::attribution::bootstrap::{Interval, Intervals};
use crate::attribution::Attribution;
use crate::error::{Error, Result};

/// Version of the JSON layout.
pub const JSON_VERSION: u32 = 1;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
    Markdown,
    Parquet,
}

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
    write_rows(&rows(results, intervals), results, format, output)
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
    write_rows(&all_rows, &all_results, format, output)
}

fn write_rows(
    rows: &[CreditRow],
    results: &[Attribution],
    format: OutputFormat,
    output: Option<&Path>,
) -> Result<()> {
    let segmented = rows.iter().any(|r| r.segment.is_some());
    if format == OutputFormat::Parquet {
        let path = output.ok_or_else(|| Error::Config {
            path: "--format".into(),
            message: "parquet output needs --output FILE".into(),
        })?;
        let mut columns = Vec::new();
        if segmented {
            columns.push(Column::new(
                "segment".into(),
                rows.iter()
                    .map(|r| r.segment.clone().unwrap_or_default())
                    .collect::<Vec<_>>(),
            ));
        }
        columns.extend([
            Column::new(
                "model".into(),
                rows.iter().map(|r| r.model.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "channel".into(),
                rows.iter().map(|r| r.channel.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "conversions".into(),
                rows.iter().map(|r| r.conversions).collect::<Vec<_>>(),
            ),
            Column::new(
                "value".into(),
                rows.iter().map(|r| r.value).collect::<Vec<_>>(),
            ),
            Column::new(
                "conversions_share".into(),
                rows.iter().map(|r| r.conversions_share).collect::<Vec<_>>(),
            ),
            Column::new(
                "value_share".into(),
                rows.iter().map(|r| r.value_share).collect::<Vec<_>>(),
            ),
        ]);
        for (name, values) in interval_columns(rows) {
            columns.push(Column::new(name.into(), values));
        }
        let mut df = DataFrame::new(rows.len(), columns).map_err(|e| Error::write(path, e))?;
        return crate::output::write_parquet(path, &mut df);
    }
    let text = match format {
        OutputFormat::Table => render_table(results, rows),
        OutputFormat::Csv => render_csv(rows)
            .map_err(|e| Error::write(output.unwrap_or(Path::new("(stdout)")), e))?,
        OutputFormat::Json => render_json(results, rows),
        OutputFormat::Markdown => render_markdown(results, rows),
        OutputFormat::Parquet => unreachable!("handled above"),
    };
    crate::output::emit_text(output, &text)
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

fn render_table(results: &[Attribution], rows: &[CreditRow]) -> String {
    let mut t = table::new(&["model", "channel", "conversions", "share", "value", "share"]);
    for r in rows {
        let iv = r.interval.as_ref();
        t.add_row(vec![
            Cell::new(model_label(r)),
            Cell::new(&r.channel),
            right(with_interval(
                r.conversions,
                iv.map(|i| (i.conversions_low, i.conversions_high)),
            )),
            right(format!("{:.1}%", 100.0 * r.conversions_share)),
            right(with_interval(
                r.value,
                iv.map(|i| (i.value_low, i.value_high)),
            )),
            right(format!("{:.1}%", 100.0 * r.value_share)),
        ]);
    }
    let mut s = format!("{t}\n");
    for a in results {
        for n in &a.notes {
            s.push_str(&format!("note ({}): {n}\n", a.model));
        }
    }
    s
}

fn render_csv(rows: &[CreditRow]) -> std::result::Result<String, crate::output::WriteError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let extra = interval_columns(rows);
    let segmented = rows.iter().any(|r| r.segment.is_some());
    let mut header = if segmented {
        vec!["segment"]
    } else {
        Vec::new()
    };
    header.extend([
        "model",
        "channel",
        "conversions",
        "value",
        "conversions_share",
        "value_share",
    ]);
    header.extend(extra.iter().map(|(n, _)| *n));
    w.write_record(&header)?;
    for (k, r) in rows.iter().enumerate() {
        // `{}` prints the shortest text that reads back to the same f64: full precision.
        let mut record = if segmented {
            vec![r.segment.clone().unwrap_or_default()]
        } else {
            Vec::new()
        };
        record.extend([
            r.model.clone(),
            r.channel.clone(),
            format!("{}", r.conversions),
            format!("{}", r.value),
            format!("{}", r.conversions_share),
            format!("{}", r.value_share),
        ]);
        record.extend(extra.iter().map(|(_, v)| format!("{}", v[k])));
        w.write_record(&record)?;
    }
    Ok(String::from_utf8(
        w.into_inner().map_err(|e| e.to_string())?,
    )?)
}

fn render_json(results: &[Attribution], rows: &[CreditRow]) -> String {
    let models: Vec<serde_json::Value> = results
        .iter()
        .map(|a| {
            json!({
                "model": a.model,
                "conversions": a.total_conversions(),
                "value": a.total_value(),
                "notes": a.notes,
                "diagnostics": a.diagnostics,
            })
        })
        .collect();
    let doc = json!({ "version": JSON_VERSION, "rows": rows, "models": models });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn render_markdown(results: &[Attribution], rows: &[CreditRow]) -> String {
    let mut s = String::from(
        "| model | channel | conversions | conversions share | value | value share |\n|---|---|---:|---:|---:|---:|\n",
    );
    let esc = |t: &str| t.replace('|', "\\|");
    for r in rows {
        let iv = r.interval.as_ref();
        s.push_str(&format!(
            "| {} | {} | {} | {:.1}% | {} | {:.1}% |\n",
            esc(&model_label(r)),
            esc(&r.channel),
            with_interval(
                r.conversions,
                iv.map(|i| (i.conversions_low, i.conversions_high))
            ),
            100.0 * r.conversions_share,
            with_interval(r.value, iv.map(|i| (i.value_low, i.value_high))),
            100.0 * r.value_share
        ));
    }
    for a in results {
        for n in &a.notes {
            s.push_str(&format!("\n> note ({}): {}\n", esc(&a.model), esc(n)));
        }
    }
    s
}

/// The models of a catalogue as a table.
pub fn models_table(catalogue: &crate::attribution::Catalogue) -> comfy_table::Table {
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
