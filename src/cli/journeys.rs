//! `omnitouch journeys`: journeys and the path table.

use super::args::JourneysArgs;
use super::validate::input_exit;
use super::Exit;
use crate::journey::path_table;
use crate::pipeline::{self, Input};
use crate::report::{accounting, journeys as tables};

pub fn run(args: &JourneysArgs, quiet: bool) -> anyhow::Result<Exit> {
    let input = pipeline::input(&args.input, quiet)?;
    let exit = input_exit(&args.input.config, &input);
    let table = match input {
        Input::Paths { table, .. } => {
            println!("{}", tables::path_table_line(&table));
            println!("\n{}", tables::path_length_table(&table));
            println!("\nTop paths\n{}", tables::top_paths_table(&table, args.top));
            table
        }
        Input::Raw(built) => {
            let table = built.journeys.path_table();
            println!(
                "{}",
                accounting::summary_line(&built.touchpoints.accounting)
            );
            println!("people: {}", built.people.people);
            println!("\n{}", tables::journeys_table(&built.journeys));
            println!("\n{}", tables::path_length_table(&table));
            println!("\n{}", tables::time_to_conversion_table(&built.journeys));
            println!("\nTop paths\n{}", tables::top_paths_table(&table, args.top));
            println!("\n{}", tables::path_table_line(&table));
            table
        }
        Input::Sharded { .. } => {
            anyhow::bail!("journeys lists journeys, which a run in shards does not keep")
        }
    };
    if let Some(out) = &args.paths_out {
        path_table::write(&table, out)?;
        if !quiet {
            eprintln!("wrote the path table to {}", out.display());
        }
    }
    Ok(exit)
}
