//! `omnitouch journeys`: journeys and the path table.

use super::args::JourneysArgs;
use super::pipeline;
use super::validate::{load, strict_exit};
use super::Exit;
use crate::journey::{self, path_table};
use crate::report::{accounting, journeys as tables};

pub fn run(args: &JourneysArgs, quiet: bool) -> anyhow::Result<Exit> {
    if let Some(paths) = &args.paths {
        let table = path_table::read(paths, &pipeline::read_options(&args.paths_format))?;
        println!("{}", tables::path_table_line(&table));
        println!("\n{}", tables::path_length_table(&table));
        println!("\nTop paths\n{}", tables::top_paths_table(&table, args.top));
        if let Some(out) = &args.paths_out {
            path_table::write(&table, out)?;
        }
        return Ok(Exit::Ok);
    }
    let (config, loaded) = load(&args.config, quiet)?;
    let people = pipeline::people(&config, &loaded, &args.people)?;
    let options = pipeline::journey_options(&config, &args.journey)?;
    let journeys = journey::build(&loaded, &people, &options)?;
    let table = journeys.path_table();
    println!("{}", accounting::summary_line(&loaded.accounting));
    println!("people: {}", people.people);
    println!("\n{}", tables::journeys_table(&journeys));
    println!("\n{}", tables::path_length_table(&table));
    println!("\n{}", tables::time_to_conversion_table(&journeys));
    println!("\nTop paths\n{}", tables::top_paths_table(&table, args.top));
    println!("\n{}", tables::path_table_line(&table));
    if let Some(out) = &args.paths_out {
        path_table::write(&table, out)?;
        if !quiet {
            eprintln!("wrote the path table to {}", out.display());
        }
    }
    Ok(strict_exit(&args.config, &loaded))
}
