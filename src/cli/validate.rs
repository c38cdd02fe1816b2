//! `omnitouch validate`: check everything `run` checks before its models, print the
//! accounting and the channel mix, and warn about what would quietly spoil a result.

use super::args::{ConfigArgs, ValidateArgs};
use super::Exit;
use crate::ingest::{Accounting, Keep};
use crate::pipeline::{self, checks::Warning, Input};
use crate::report::accounting as tables;

pub fn run(args: &ValidateArgs, quiet: bool) -> anyhow::Result<Exit> {
    // The canonical frame is built only when asked for: the accounting needs none of it.
    let keep = match args.frame_out {
        Some(_) => Keep::All,
        None => Keep::Identities,
    };
    let mut v = pipeline::validate(&args.config, keep, quiet)?;
    if let Some(path) = &args.frame_out {
        crate::report::render::write_frame(path, &mut v.touchpoints.frame)?;
        if !quiet {
            eprintln!(
                "wrote the canonical table ({} rows) to {}",
                v.touchpoints.frame.height(),
                path.display()
            );
        }
    }
    let accounting = &v.touchpoints.accounting;
    println!("{}", tables::sources_table(accounting));
    if accounting.total().rejected_total() > 0 {
        println!("\nRejected rows");
        println!(
            "{}",
            tables::rejections_table(accounting, &v.touchpoints.rejects)
        );
    }
    println!("\nChannel mix (touches)");
    println!("{}", tables::channel_mix_table(accounting));
    if let Some(spend) = &v.spend {
        println!("\nSpend");
        println!("{}", tables::spend_table(spend));
        let by_export = Accounting {
            sources: spend.accounts.clone(),
        };
        if spend.account().rejected_total() > 0 {
            println!("{}", tables::rejections_table(&by_export, &spend.rejects));
        }
    }
    println!("\n{}", tables::summary_line(accounting));
    let s = &v.journey_stats;
    println!(
        "{} people; {} of {} conversions in converting journeys, {} unattributed, {} without a person",
        v.people, s.converting, v.conversions_in, s.unattributed, s.conversions_without_person
    );
    Ok(warn_and_exit(&args.config, accounting, &v.warnings))
}

/// Prints the warnings, then applies `--strict`: rejected rows or warnings fail the run.
/// Call after the accounting is printed.
pub fn warn_and_exit(args: &ConfigArgs, accounting: &Accounting, warnings: &[Warning]) -> Exit {
    for w in warnings {
        eprintln!("warning: {w}");
    }
    if let Some(why) = crate::pipeline::strict_failure(args, accounting, warnings) {
        eprintln!("error: --strict: {why}");
        Exit::Failure
    } else {
        Exit::Ok
    }
}

/// [`warn_and_exit`] for an input: its warnings, and its accounting when it has one.
pub fn input_exit(args: &ConfigArgs, input: &Input) -> Exit {
    match input.summary() {
        Some(summary) => warn_and_exit(args, summary.accounting, &input.warnings()),
        None => Exit::Ok,
    }
}
