//! `omnitouch run`: the main job, from raw exports to the report folder.

use super::args::RunArgs;
use super::validate::warn_and_exit;
use super::Exit;
use crate::pipeline::main_job::{self, MainJob, SpendReport};
use crate::pipeline::report_folder;
use crate::report::render::OutputFormat;
use crate::report::{accounting, compare, journeys as journey_tables, periods, spend};

pub fn run(args: &RunArgs, quiet: bool) -> anyhow::Result<Exit> {
    let input = main_job::input(&args.job, quiet)?;
    let job = main_job::main_job(&input, &args.job, quiet)?;
    // Timed, never drawn: the tables print to stdout as the files are written.
    let bar = crate::progress::stage("writing reports", false);
    let written = report_folder::write(&job, &args.out)?;
    print_summary(&job)?;
    bar.finish_and_clear();
    if !quiet {
        eprintln!("wrote {}: {}", args.out.display(), written.join(", "));
    }
    let exit = match input.summary() {
        Some(summary) => {
            let mut warnings = input.warnings();
            warnings.extend(job.warnings.iter().cloned());
            warn_and_exit(&args.job.input.config, summary.accounting, &warnings)
        }
        None => Exit::Ok,
    };
    if let (true, Some(largest)) = (args.job.wants_share_shift(), job.largest_shift()) {
        eprintln!(
            "largest judged share shift: {} under {}, {} against {}: {:+.1} pp",
            largest.channel,
            largest.model,
            largest.period,
            largest.previous,
            100.0 * largest.shift
        );
    }
    for t in &job.tripped {
        eprintln!("threshold tripped: {t}");
    }
    Ok(if exit == Exit::Ok && !job.tripped.is_empty() {
        Exit::Threshold
    } else {
        exit
    })
}

/// The terminal summary: accounting, people and journeys, spend, segments, the comparison.
fn print_summary(job: &MainJob) -> anyhow::Result<()> {
    let a = &job.attributed;
    println!("{}", job.context.line());
    if let Some(b) = &job.summary {
        println!("{}", accounting::summary_line(b.accounting));
        let s = b.journey_stats;
        println!(
            "{} people; {} converting journeys, {} unattributed conversions, {} non-converting journeys; {} across devices, {} online → offline",
            b.people, s.converting, s.unattributed, s.non_converting, s.cross_device, s.online_to_offline
        );
    } else {
        println!("{}", journey_tables::path_table_line(&a.table));
    }
    if let Some(s) = &job.spend {
        print_spend(s, job)?;
    }
    if let Some(segments) = &job.segments {
        println!(
            "\n{} segments: {}",
            segments.len(),
            segments
                .iter()
                .map(|s| s.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(t) = periods::latest_table(&job.shifts) {
            print!("\nShare change against the previous period\n{t}");
        }
    }
    println!(
        "\nConversion share by model (change against {} in points; * = models disagree most)",
        a.baseline
    );
    print!(
        "{}",
        compare::compare_table(&a.results, &job.comparison, &a.baseline)
    );
    if job.lift.checks.is_empty() {
        println!("\n{}", crate::report::lift::without_tests(&a.table));
    } else {
        println!(
            "\nLift tests beside the models (credit for the conversions of each test's window)"
        );
        print!("{}", crate::report::lift::table(&job.lift.checks));
        if let Some(line) = crate::report::lift::recommendation(&job.lift.checks) {
            println!("{line}");
        }
    }
    for r in &a.results {
        for n in &r.notes {
            println!("note ({}): {n}", r.model);
        }
    }
    Ok(())
}

/// The spend accounting and the CPA/ROAS table.
fn print_spend(s: &SpendReport, job: &MainJob) -> anyhow::Result<()> {
    let a = &s.spend.account();
    println!(
        "spend: {} rows read, {} loaded, {} ignored, {} rejected; total cost {:.2} on {} channels",
        a.rows_read,
        a.spend_rows,
        a.ignored,
        a.rejected_total(),
        s.cost.values().sum::<f64>(),
        s.cost.len()
    );
    for r in s.spend.rejects.iter().take(3) {
        println!("  rejected: {}", accounting::describe(r));
    }
    let unknown = s.channels_without_touches(&job.attributed.results);
    if !unknown.is_empty() {
        println!(
            "  spend on channels with no attributed touches: {}",
            unknown.join(", ")
        );
    }
    println!("\nReturn on ad spend / cost per acquisition by model");
    print!(
        "{}",
        spend::report(&job.attributed.results, &s.efficiency)?
            .text(OutputFormat::Table)
            .unwrap_or_default()
    );
    Ok(())
}
