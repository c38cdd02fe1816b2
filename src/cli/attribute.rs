//! `omnitouch attribute` and `omnitouch models`.

use super::args::{AttributeArgs, ModelChoice, ModelsArgs};
use super::pipeline::{self, Input};
use super::validate::strict_exit;
use super::Exit;
use crate::attribution::{self, spec, Catalogue, ModelInput, ModelSpec};
use crate::report::credits;

/// The specs to run: the named ones, or every model. Models that need touch times are left
/// out of "every model" when only a path table is available, with a note.
fn chosen(choice: &ModelChoice, has_times: bool, quiet: bool) -> anyhow::Result<Vec<ModelSpec>> {
    let catalogue = Catalogue::load(&choice.models_dir)?;
    if !choice.model.is_empty() {
        anyhow::ensure!(
            choice.all.is_none(),
            "give either --model NAME (repeatable) or --models all, not both"
        );
        return choice
            .model
            .iter()
            .map(|m| catalogue.resolve(m).map_err(anyhow::Error::from))
            .collect();
    }
    let mut specs = Vec::new();
    for s in catalogue.specs() {
        let needs_times = spec::base(&s.base).is_some_and(|b| b.needs_times);
        if needs_times && !has_times {
            if !quiet {
                eprintln!(
                    "note: {} left out: it needs touch times, which a path table does not have",
                    s.name
                );
            }
            continue;
        }
        specs.push(s.clone());
    }
    Ok(specs)
}

pub fn run(args: &AttributeArgs, quiet: bool) -> anyhow::Result<Exit> {
    let input = pipeline::input(&args.input, quiet)?;
    let (table, journeys, exit) = match &input {
        Input::Paths(table) => (table.clone(), None, Exit::Ok),
        Input::Raw(built) => (
            built.journeys.path_table(),
            Some(&built.journeys),
            strict_exit(&args.input.config, &built.touchpoints),
        ),
    };
    let specs = chosen(&args.models, journeys.is_some(), quiet)?;
    let model_input = ModelInput {
        table: &table,
        journeys,
    };
    let results = attribution::run(&specs, &model_input)?;
    credits::write(&results, args.format, args.output.as_deref())?;
    Ok(exit)
}

pub fn list(args: &ModelsArgs) -> anyhow::Result<Exit> {
    let catalogue = Catalogue::load(&args.models_dir)?;
    println!("{}", credits::models_table(&catalogue));
    println!("\nChoose with --model NAME or NAME:key=value,key=value (e.g. markov:order=3); spec files: name, model, description, params (see models/).");
    Ok(Exit::Ok)
}
