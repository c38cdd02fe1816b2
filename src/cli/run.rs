//! `omnitouch run`: the main job, from raw exports to the report folder.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use super::args::RunArgs;
use super::pipeline;
use super::validate::strict_exit;
use super::Exit;
use crate::journey::path_table;
use crate::output::write_text;
use crate::report::credits::{self, OutputFormat};
use crate::report::spend as spend_report;
use crate::report::thresholds::{self, Measure};
use crate::report::{accounting, journeys as journey_tables};
use crate::report::{compare, html, periods};

/// Layout version of the JSON summaries in the report folder.
const SUMMARY_VERSION: u32 = 1;

fn write_json(path: &Path, value: &serde_json::Value) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)? + "\n";
    write_text(path, &text)?;
    Ok(())
}

pub fn run(args: &RunArgs, quiet: bool) -> anyhow::Result<Exit> {
    let input = match shards(args)? {
        Some(n) => {
            let split = args.input.journey.by.is_some()
                || args.periods.period.is_some()
                || args.periods.from.is_some()
                || args.periods.to.is_some();
            anyhow::ensure!(
                !split && args.bootstrap.bootstrap.is_none(),
                "--by, --period, --from, --to and --bootstrap need every journey at once, which a run in shards does not keep: leave out --shards and --memory-limit"
            );
            pipeline::input_in_shards(&args.input, &args.models, n, quiet)?
        }
        None => pipeline::input(&args.input, quiet)?,
    };
    let pipeline::Attributed {
        table,
        built: _,
        results,
        baseline,
        intervals,
        specs,
    } = pipeline::attribute(
        &input,
        &args.models,
        args.baseline.as_deref(),
        Some(&args.bootstrap),
        quiet,
    )?;
    let summary = input.summary();
    let wants_shift = args.fail_on.iter().any(|t| t.metric == "share_shift");
    anyhow::ensure!(
        !wants_shift || args.periods.compare_previous,
        "the share_shift threshold needs --period and --compare-previous"
    );
    let by = args.input.journey.by.as_deref();
    let segments = pipeline::segments(&input, &specs, by, &args.periods, &args.bootstrap, quiet)?;
    let comparison = compare::compare(&results, &baseline);

    let out = &args.out;
    // Timed, never drawn: the tables print to stdout as the files are written.
    let bar = crate::progress::stage("writing reports", false);
    std::fs::create_dir_all(out)
        .map_err(|e| anyhow::anyhow!("cannot create the report folder {}: {e}", out.display()))?;
    credits::write(
        &results,
        intervals.as_ref(),
        OutputFormat::Csv,
        Some(&out.join("credits.csv")),
    )?;
    credits::write(
        &results,
        intervals.as_ref(),
        OutputFormat::Json,
        Some(&out.join("credits.json")),
    )?;
    credits::write(
        &results,
        intervals.as_ref(),
        OutputFormat::Markdown,
        Some(&out.join("credits.md")),
    )?;
    path_table::write(&table, &out.join("paths.parquet"))?;
    let compare_md = compare::render(&results, &comparison, &baseline, OutputFormat::Markdown)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    write_text(&out.join("compare.md"), &compare_md)?;
    write_json(
        &out.join("compare.json"),
        &json!({ "version": SUMMARY_VERSION, "baseline": baseline,
                 "models": results.iter().map(|a| a.model.clone()).collect::<Vec<_>>(),
                 "channels": comparison }),
    )?;
    if let Some(b) = &summary {
        write_json(
            &out.join("data-quality.json"),
            &json!({ "version": SUMMARY_VERSION, "sources": b.accounting.sources,
                     "total": b.accounting.total(),
                     // The row content is left out: reports never carry raw identifiers.
                     "reject_examples": b.rejects.iter().map(|r| json!({
                         "source": r.source, "file": r.file, "line": r.line,
                         "reason": r.reason, "column": r.column, "detail": r.detail,
                     })).collect::<Vec<_>>() }),
        )?;
        write_json(
            &out.join("identity.json"),
            &json!({ "version": SUMMARY_VERSION, "stitching": b.stitch }),
        )?;
        write_json(
            &out.join("journeys.json"),
            &json!({ "version": SUMMARY_VERSION, "stats": b.journey_stats,
                     "conversions_in": b.conversions_in,
                     "path_table": { "rows": table.rows.len(), "conversions": table.conversions(),
                                     "value": table.value(), "nulls": table.nulls() } }),
        )?;
        println!("{}", accounting::summary_line(b.accounting));
        let s = b.journey_stats;
        println!(
            "{} people; {} converting journeys, {} unattributed conversions, {} non-converting journeys; {} across devices, {} online → offline",
            b.people, s.converting, s.unattributed, s.non_converting, s.cross_device, s.online_to_offline
        );
    } else {
        println!("{}", journey_tables::path_table_line(&table));
    }
    let spend_rows = match &summary {
        Some(b) => match crate::ingest::load_spend(b.config)? {
            Some(spend) => Some(report_spend(&spend, &results, out)?),
            None => None,
        },
        None => None,
    };
    let html = html::render(&html::Page {
        results: &results,
        comparison: &comparison,
        baseline: &baseline,
        table: &table,
        accounting: summary.as_ref().map(|b| b.accounting),
        people: summary.as_ref().map(|b| b.stitch),
        journeys: summary.as_ref().map(|b| html::JourneySummary {
            stats: b.journey_stats,
            time_to_conversion: &b.time_to_conversion,
        }),
        spend: spend_rows.as_deref(),
        intervals: intervals.as_ref(),
    })
    .map_err(anyhow::Error::msg)?;
    write_text(&out.join("report.html"), &html)?;
    let mut shifts = Vec::new();
    if let Some(segments) = &segments {
        credits::write_segmented(
            segments,
            OutputFormat::Csv,
            Some(&out.join("credits_by_segment.csv")),
        )?;
        credits::write_segmented(
            segments,
            OutputFormat::Json,
            Some(&out.join("credits_by_segment.json")),
        )?;
        if args.periods.compare_previous {
            shifts = periods::shifts(segments);
            let text =
                periods::render(&shifts, OutputFormat::Csv).map_err(|e| anyhow::anyhow!("{e}"))?;
            write_text(&out.join("period_shifts.csv"), &text)?;
        }
        println!(
            "\n{} segments: {}",
            segments.len(),
            segments
                .iter()
                .map(|s| s.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(t) = periods::latest_table(&shifts) {
            println!("\nShare change against the previous period\n{t}");
        }
    }
    println!(
        "\nConversion share by model (change against {baseline} in points; * = models disagree most)"
    );
    println!(
        "{}",
        compare::compare_table(&results, &comparison, &baseline)
    );
    for a in &results {
        for n in &a.notes {
            println!("note ({}): {n}", a.model);
        }
    }
    bar.finish_and_clear();
    // Every file this run wrote; optional ones it did not write are removed, so a folder
    // reused across runs never shows a stale breakdown beside fresh credits.
    let mut written = vec![
        "report.html",
        "credits.csv",
        "credits.json",
        "credits.md",
        "paths.parquet",
        "compare.json",
        "compare.md",
    ];
    let optional = [
        ("data-quality.json", summary.is_some()),
        ("identity.json", summary.is_some()),
        ("journeys.json", summary.is_some()),
        ("spend.csv", spend_rows.is_some()),
        ("credits_by_segment.csv", segments.is_some()),
        ("credits_by_segment.json", segments.is_some()),
        (
            "period_shifts.csv",
            segments.is_some() && args.periods.compare_previous,
        ),
    ];
    for (name, wrote) in optional {
        if wrote {
            written.push(name);
        } else {
            remove_stale(&out.join(name))?;
        }
    }
    if !quiet {
        eprintln!("wrote {}: {}", out.display(), written.join(", "));
    }
    let exit = match &summary {
        Some(b) => strict_exit(&args.input.config, b.accounting),
        None => Exit::Ok,
    };
    let mut measures = measures(summary.as_ref());
    if let Some(largest) = periods::largest_latest(&shifts) {
        measures.insert(
            "share_shift".into(),
            Measure {
                count: 100.0 * largest.shift.abs(),
                base: 1.0,
            },
        );
        if wants_shift {
            eprintln!(
                "largest share shift: {} under {} in {}: {:+.1} pp",
                largest.channel,
                largest.model,
                largest.period,
                100.0 * largest.shift
            );
        }
    }
    let tripped = thresholds::tripped(&args.fail_on, &measures);
    for t in &tripped {
        eprintln!("threshold tripped: {t}");
    }
    Ok(if exit == Exit::Ok && !tripped.is_empty() {
        Exit::Threshold
    } else {
        exit
    })
}

/// Removes an optional output an earlier run left, unless it is one of this run's inputs.
fn remove_stale(path: &std::path::Path) -> anyhow::Result<()> {
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

/// Prints the spend accounting and the CPA/ROAS table; writes spend.csv.
fn report_spend(
    spend: &crate::ingest::Spend,
    results: &[crate::attribution::Attribution],
    out: &Path,
) -> anyhow::Result<Vec<spend_report::Efficiency>> {
    let cost = spend.by_channel();
    let a = &spend.account;
    println!(
        "spend: {} rows read, {} loaded, {} rejected; total cost {:.2} on {} channels",
        a.rows_read,
        a.spend_rows,
        a.rejected_total(),
        cost.values().sum::<f64>(),
        cost.len()
    );
    for r in spend.rejects.iter().take(3) {
        println!("  rejected: {}", accounting::describe(r));
    }
    if let Some(first) = results.first() {
        let unknown: Vec<&String> = cost
            .keys()
            .filter(|c| !first.channels.contains(c))
            .collect();
        if !unknown.is_empty() {
            println!(
                "  spend on channels with no attributed touches: {}",
                unknown
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let rows = spend_report::efficiency(results, &cost);
    println!("\nReturn on ad spend / cost per acquisition by model");
    println!("{}", spend_report::efficiency_table(results, &rows));
    let text = spend_report::efficiency_csv(&rows).map_err(|e| anyhow::anyhow!("{e}"))?;
    write_text(&out.join("spend.csv"), &text)?;
    Ok(rows)
}

/// The quantities `--fail-on` thresholds name.
fn measures(summary: Option<&pipeline::Summary>) -> BTreeMap<String, Measure> {
    let mut m = BTreeMap::new();
    let Some(b) = summary else {
        return m;
    };
    let total = b.accounting.total();
    let s = b.journey_stats;
    let mut put = |name: &str, count: u64, base: u64| {
        m.insert(
            name.to_string(),
            Measure {
                count: count as f64,
                base: base as f64,
            },
        );
    };
    put("rejected_rows", total.rejected_total(), total.rows_read);
    put("unassigned", total.unassigned, total.touches);
    put("unattributed", s.unattributed, b.conversions_in);
    put(
        "rows_without_person",
        b.stitch.rows_without_person,
        total.touches + total.conversions,
    );
    m
}

/// Shards from `--shards`, or from `--memory-limit` and the size of the exports; None to run
/// in one piece.
fn shards(args: &RunArgs) -> anyhow::Result<Option<usize>> {
    if let Some(n) = args.shards {
        return Ok(Some(n as usize));
    }
    let Some(limit) = args.memory_limit else {
        return Ok(None);
    };
    let path = super::validate::config_path(&args.input.config)?;
    let config = crate::config::Config::load(&path)?;
    let bytes = crate::shards::export_bytes(&config)?;
    let need = crate::shards::first_pass_need(bytes);
    if need > limit {
        eprintln!(
            "note: reading the identifiers of every row takes about {} for these exports, more than --memory-limit {}; the shards keep the rest of the run under it",
            bytesize::ByteSize(need),
            bytesize::ByteSize(limit)
        );
    }
    Ok(crate::shards::shards_for(bytes, limit))
}
