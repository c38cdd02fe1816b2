//! `omnitouch attribute` and `omnitouch models`.

use super::args::{AttributeArgs, CompareArgs, ModelsArgs};
use super::validate::input_exit;
use super::Exit;
use crate::attribution::{Catalogue, ModelInput};
use crate::pipeline;
use crate::report::{compare, credits, periods};

pub fn run(args: &AttributeArgs, quiet: bool) -> anyhow::Result<Exit> {
    let input = pipeline::input_in_window(&args.input, Some(&args.periods), quiet)?;
    let table = input.table();
    let journeys = input.built().map(|b| &b.journeys);
    let exit = input_exit(&args.input.config, &input);
    let specs = pipeline::chosen(&args.models, None, journeys.is_some(), quiet)?;
    let model_input = ModelInput {
        table: &table,
        journeys,
    };
    let by = args.input.journey.by.as_deref();
    let segments = pipeline::segments(&input, &specs, by, &args.periods, &args.bootstrap, quiet)?;
    match segments {
        Some(segments) if args.periods.compare_previous => {
            let rules = pipeline::shift_rules(&input, &args.periods, &segments)?;
            periods::report(&periods::shifts(&segments, &rules))?
                .write(args.destination.format, args.destination.output.as_deref())?;
        }
        Some(segments) => {
            credits::write_segmented(
                &segments,
                args.destination.format,
                args.destination.output.as_deref(),
            )?;
        }
        None => {
            let (results, intervals) =
                pipeline::run_models(&specs, &model_input, Some(&args.bootstrap), quiet)?;
            credits::write(
                &results,
                intervals.as_ref(),
                args.destination.format,
                args.destination.output.as_deref(),
            )?;
        }
    }
    Ok(exit)
}

pub fn compare(args: &CompareArgs, quiet: bool) -> anyhow::Result<Exit> {
    let input = pipeline::input(&args.input, quiet)?;
    let a = pipeline::attribute(&input, &args.models, args.baseline.as_deref(), None, quiet)?;
    let rows = compare::compare(&a.results, &a.baseline);
    compare::report(&a.results, &rows, &a.baseline)?
        .write(args.destination.format, args.destination.output.as_deref())?;
    Ok(input_exit(&args.input.config, &input))
}

pub fn list(args: &ModelsArgs) -> anyhow::Result<Exit> {
    let catalogue = Catalogue::load(&args.models_dir)?;
    println!("{}", credits::models_table(&catalogue));
    println!("\nChoose with --model NAME or NAME:key=value,key=value (e.g. markov:order=3); spec files: name, model, description, params (see models/).");
    Ok(Exit::Ok)
}
