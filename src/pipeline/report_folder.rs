//! The report folder of the main job: every file it writes, from one [`MainJob`].

use std::path::Path;

use serde::Serialize;

use super::main_job::ReportContext;
use super::MainJob;
use crate::identity::StitchStats;
use crate::ingest::{RejectReason, SourceAccount};
use crate::journey::{path_table, JourneyStats};
use crate::output::write_text;
use crate::report::compare;
use crate::report::credits::{self, OutputFormat};
use crate::report::{html, periods, render, spend as spend_report};

/// Layout version of the JSON summaries in the report folder.
const SUMMARY_VERSION: u32 = 1;

/// `data-quality.json`: the row accounting per source and in total, and examples of
/// rejected rows (their content left out: reports never carry raw identifiers).
#[derive(Serialize)]
struct DataQualityDoc<'a> {
    reject_examples: Vec<RejectExample<'a>>,
    report: &'a ReportContext,
    sources: &'a [SourceAccount],
    total: SourceAccount,
    version: u32,
}

/// One rejected row, without its content.
#[derive(Serialize)]
struct RejectExample<'a> {
    column: &'a Option<String>,
    detail: &'a str,
    file: &'a Path,
    line: u64,
    reason: RejectReason,
    source: &'a str,
}

/// `identity.json`: the stitching statistics.
#[derive(Serialize)]
struct IdentityDoc<'a> {
    report: &'a ReportContext,
    stitching: &'a StitchStats,
    version: u32,
}

/// `journeys.json`: journey statistics and the path table's totals.
#[derive(Serialize)]
struct JourneysDoc<'a> {
    conversions_in: u64,
    path_table: PathTableTotals,
    report: &'a ReportContext,
    stats: &'a JourneyStats,
    version: u32,
}

/// Totals of the path table the models read.
#[derive(Serialize)]
struct PathTableTotals {
    conversions: u64,
    nulls: u64,
    rows: usize,
    value: f64,
}

fn write_json<T: Serialize>(path: &Path, doc: &T) -> anyhow::Result<()> {
    write_text(path, &render::json_text(doc))?;
    Ok(())
}

/// Writes the report folder `out` (created when missing) and returns the names of the files
/// written. Optional files this run does not write are removed, so a folder reused across
/// runs never shows a stale breakdown beside fresh credits.
pub fn write(job: &MainJob, out: &Path) -> anyhow::Result<Vec<&'static str>> {
    std::fs::create_dir_all(out)
        .map_err(|e| anyhow::anyhow!("cannot create the report folder {}: {e}", out.display()))?;
    write_credits(job, out)?;
    if let Some(s) = &job.summary {
        write_summaries(job, s, out)?;
    }
    if let Some(spend) = &job.spend {
        spend_report::report(&job.attributed.results, &spend.efficiency)?
            .write(OutputFormat::Csv, Some(&out.join("spend.csv")))?;
        if !spend.by_period.is_empty() {
            spend_report::by_period_report(&spend.by_period)?
                .write(OutputFormat::Csv, Some(&out.join("spend_by_period.csv")))?;
        }
    }
    write_text(&out.join("report.html"), &html_page(job))?;
    let has_lift = !job.lift.checks.is_empty();
    if has_lift {
        write_json(
            &out.join("experiments.json"),
            &crate::report::lift::json(&job.lift.checks, &job.lift.calibrated),
        )?;
    }
    let per_conversion = write_conversions(job, out)?;
    if let Some(segments) = &job.segments {
        let by_segment = credits::segmented_report(segments)?;
        by_segment.write(OutputFormat::Csv, Some(&out.join("credits_by_segment.csv")))?;
        by_segment.write(
            OutputFormat::Json,
            Some(&out.join("credits_by_segment.json")),
        )?;
    }
    let compared_periods = job.segments.is_some() && job.compare_previous;
    if compared_periods {
        periods::report(&job.shifts)?
            .write(OutputFormat::Csv, Some(&out.join("period_shifts.csv")))?;
    }
    let mut written = vec![
        "report.html",
        "credits.csv",
        "credits.json",
        "credits.md",
        "paths.parquet",
        "compare.json",
        "compare.md",
    ];
    let has_summary = job.summary.is_some();
    let optional = [
        ("data-quality.json", has_summary),
        ("identity.json", has_summary),
        ("journeys.json", has_summary),
        ("spend.csv", job.spend.is_some()),
        (
            "spend_by_period.csv",
            job.spend.as_ref().is_some_and(|s| !s.by_period.is_empty()),
        ),
        ("conversions.parquet", per_conversion),
        ("credits_by_segment.csv", job.segments.is_some()),
        ("credits_by_segment.json", job.segments.is_some()),
        ("period_shifts.csv", compared_periods),
        ("experiments.json", has_lift),
    ];
    for (name, wrote) in optional {
        if wrote {
            written.push(name);
        } else {
            remove_stale(&out.join(name))?;
        }
    }
    Ok(written)
}

/// `conversions.parquet`, each conversion's credit per channel and model, when asked for and
/// the run kept its journeys (raw exports in one piece, or a warehouse run's handed back);
/// returns whether it was written. Not
/// by default: raking the models that split no single conversion costs more than the rest
/// of a run (38 s against 9 s, debug build, on a generated set of 39,000 conversions).
fn write_conversions(job: &MainJob, out: &Path) -> anyhow::Result<bool> {
    let a = &job.attributed;
    let Some(journeys) = a.journeys.filter(|_| job.per_conversion) else {
        return Ok(false);
    };
    let credits = crate::attribution::per_conversion::credits(&a.specs, &a.results, journeys)?;
    let models: Vec<String> = a.results.iter().map(|r| r.model.clone()).collect();
    let mut frame = crate::report::conversions::frame(journeys, &models, &credits)
        .map_err(|e| anyhow::anyhow!("conversions table: {e}"))?;
    crate::output::write_parquet(&out.join("conversions.parquet"), &mut frame)?;
    Ok(true)
}

/// Credits (CSV, JSON, Markdown), the path table and the model comparison.
fn write_credits(job: &MainJob, out: &Path) -> anyhow::Result<()> {
    let a = &job.attributed;
    let credits = credits::report(&a.results, a.intervals.as_ref())?;
    credits.write(OutputFormat::Csv, Some(&out.join("credits.csv")))?;
    write_stated(&credits, &job.context, out, "credits")?;
    path_table::write(&a.table, &out.join("paths.parquet"))?;
    let comparison = compare::report(&a.results, &job.comparison, &a.baseline)?;
    write_stated(&comparison, &job.context, out, "compare")?;
    Ok(())
}

/// Writes `NAME.json` and `NAME.md` of a report, each saying what the report covers: the JSON
/// document with a `report` object, the Markdown with a first line.
fn write_stated(
    report: &render::Report,
    context: &ReportContext,
    out: &Path,
    name: &str,
) -> anyhow::Result<()> {
    let mut doc: serde_json::Value = serde_json::from_str(&report.json)?;
    if let Some(object) = doc.as_object_mut() {
        object.insert("report".into(), serde_json::to_value(context)?);
    }
    write_json(&out.join(format!("{name}.json")), &doc)?;
    let markdown = report.text(OutputFormat::Markdown).unwrap_or_default();
    write_text(
        &out.join(format!("{name}.md")),
        &format!("_{}_\n\n{markdown}", context.line()),
    )?;
    Ok(())
}

/// The data-quality, identity and journey summaries of a run on raw exports.
fn write_summaries(job: &MainJob, b: &super::Summary, out: &Path) -> anyhow::Result<()> {
    let table = &job.attributed.table;
    let reject_examples = b
        .rejects
        .iter()
        .map(|r| RejectExample {
            column: &r.column,
            detail: &r.detail,
            file: &r.file,
            line: r.line,
            reason: r.reason,
            source: &r.source,
        })
        .collect();
    write_json(
        &out.join("data-quality.json"),
        &DataQualityDoc {
            reject_examples,
            report: &job.context,
            sources: &b.accounting.sources,
            total: b.accounting.total(),
            version: SUMMARY_VERSION,
        },
    )?;
    write_json(
        &out.join("identity.json"),
        &IdentityDoc {
            report: &job.context,
            stitching: b.stitch,
            version: SUMMARY_VERSION,
        },
    )?;
    write_json(
        &out.join("journeys.json"),
        &JourneysDoc {
            conversions_in: b.conversions_in,
            path_table: PathTableTotals {
                conversions: table.conversions(),
                nulls: table.nulls(),
                rows: table.rows.len(),
                value: table.value(),
            },
            report: &job.context,
            stats: b.journey_stats,
            version: SUMMARY_VERSION,
        },
    )
}

/// The HTML page.
fn html_page(job: &MainJob) -> String {
    let a = &job.attributed;
    let summary = job.summary.as_ref();
    html::render(&html::Page {
        results: &a.results,
        comparison: &job.comparison,
        baseline: &a.baseline,
        table: &a.table,
        accounting: summary.map(|b| b.accounting),
        people: summary.map(|b| b.stitch),
        journeys: summary.map(|b| html::JourneySummary {
            stats: b.journey_stats,
            time_to_conversion: &b.time_to_conversion,
        }),
        spend: job.spend.as_ref().map(|s| s.efficiency.as_slice()),
        intervals: a.intervals.as_ref(),
        context: Some(&job.context.line()),
        models: job.page_models.clone(),
        periods: job.page_periods.as_ref().map(|p| html::PeriodView {
            period: p.period.name(),
            segments: &p.segments,
            partial: &p.partial,
        }),
        lift: &job.lift.checks,
        calibrated: &job.lift.calibrated,
    })
}

/// Removes an optional output an earlier run left, unless it is one of this run's inputs.
fn remove_stale(path: &Path) -> anyhow::Result<()> {
    if crate::files::is_input(path) {
        return Ok(());
    }
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(anyhow::anyhow!(
            "cannot remove the stale {}: {e}",
            path.display()
        )),
    }
}
