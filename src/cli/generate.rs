//! `omnitouch generate`: write a synthetic export set.

use super::args::{GenerateArgs, GeneratePathsArgs};
use super::Exit;
use crate::generate::paths::{generate_paths, write_ca_layout, write_journeys, PathOptions};
use crate::generate::{generate, GenerateOptions};

pub fn run(args: &GenerateArgs, quiet: bool) -> anyhow::Result<Exit> {
    let summary = generate(&GenerateOptions {
        people: args.people,
        seed: args.seed,
        out: args.out.clone(),
        start: args.start,
        days: args.days,
        bad_rows: args.bad_rows,
        junk_rate: args.junk_rate,
        shared_devices: args.shared_devices,
        parquet: args.parquet,
        progress: !quiet,
        scenario: args.scenario,
        effects: Default::default(),
    })?;
    let rows: u64 = summary.files.values().map(|f| f.rows).sum();
    let bad: u64 = summary.files.values().map(|f| f.bad).sum();
    println!(
        "wrote {} ({} people, {} touches, {} conversions, {} rows in {} exports of which {} deliberately bad)",
        args.out.display(),
        summary.people,
        summary.touches,
        summary.conversions,
        rows,
        summary.files.len(),
        bad
    );
    println!(
        "config: {}  truth: {}",
        args.out.join("omnitouch.toml").display(),
        args.out.join("truth").display()
    );
    Ok(Exit::Ok)
}

pub fn paths(args: &GeneratePathsArgs, quiet: bool) -> anyhow::Result<Exit> {
    let bar = crate::progress::stage("drawing journeys", !quiet);
    let options = PathOptions {
        journeys: args.journeys,
        channels: args.channels,
        mean_length: args.mean_length,
        seed: args.seed,
    };
    if args.per_journey {
        let (journeys, conversions) = write_journeys(&options, &args.output)?;
        bar.finish_and_clear();
        println!(
            "wrote {}: {journeys} journeys, one row each, {} channels, {conversions} conversions",
            args.output.display(),
            args.channels
        );
        return Ok(Exit::Ok);
    }
    let table = generate_paths(&options)?;
    bar.finish_and_clear();
    write_ca_layout(&table, &args.output)?;
    println!(
        "wrote {}: {} journeys, {} distinct paths, {} channels, {} conversions",
        args.output.display(),
        table.conversions() + table.nulls(),
        table.rows.len(),
        table.channels.len(),
        table.conversions()
    );
    Ok(Exit::Ok)
}
