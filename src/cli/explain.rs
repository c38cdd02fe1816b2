//! `omnitouch explain`: one conversion or path, model by model.

use super::args::ExplainArgs;
use super::validate::input_exit;
use super::Exit;
use crate::pipeline::explain::{self, Explanation, Target};
use crate::pipeline::{self};
use crate::report::render::{self, right, Cell};
use crate::report::table;

pub fn run(args: &ExplainArgs, quiet: bool) -> anyhow::Result<Exit> {
    let input = pipeline::input_in_window(&args.input, Some(&args.periods), quiet)?;
    let attributed = pipeline::attribute(&input, &args.models, None, None, quiet)?;
    let target = match (&args.conversion, &args.path) {
        (Some(id), _) => Target::Conversion(id.clone()),
        (None, Some(path)) => Target::Path(
            path.split('>')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect(),
        ),
        (None, None) => anyhow::bail!("give --conversion ID or --path \"A > B\""),
    };
    let e = explain::explain(&attributed, &target)?;
    if args.format == "json" {
        print!("{}", render::json_text(&e));
    } else {
        print_explanation(&e);
    }
    Ok(input_exit(&args.input.config, &input))
}

fn print_explanation(e: &Explanation) {
    if let Some(c) = &e.conversion {
        let time = chrono::DateTime::from_timestamp_micros(c.ts)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        println!(
            "conversion {} ({}, {time}, value {:.2}, person {})",
            c.id, c.conversion_type, c.value, c.person_id
        );
    }
    println!("path: {}", e.path.join(" > "));
    if e.splits.is_empty() {
        println!("no conversion in the data has this path: no split to show");
    }
    for s in &e.splits {
        println!("\n{} ({})", s.model, s.method);
        let mut t = table::new(&["channel", "credit", "value credit"]);
        // Traces raking leaves outside a path are not shown.
        for (channel, c, v) in s
            .credits
            .iter()
            .filter(|(_, c, v)| c.abs() >= 5e-5 || v.abs() >= 5e-3)
        {
            t.add_row(vec![
                Cell::new(channel),
                right(format!("{c:.4}")),
                right(format!("{v:.2}")),
            ]);
        }
        println!("{t}");
    }
    for m in &e.markov {
        println!("\n{}: removal effects", m.model);
        let mut t = table::new(&["channel", "removal effect"]);
        for (channel, r) in &m.removal_effects {
            t.add_row(vec![Cell::new(channel), right(format!("{r:.4}"))]);
        }
        println!("{t}");
        if !m.transitions.is_empty() {
            println!("{}: transitions along the path", m.model);
            let mut t = table::new(&["from", "to", "probability"]);
            for (from, to, p) in &m.transitions {
                t.add_row(vec![
                    Cell::new(from),
                    Cell::new(to),
                    right(format!("{p:.4}")),
                ]);
            }
            println!("{t}");
        }
    }
    for s in &e.shapley {
        println!(
            "\n{}: coalitions of the path's channels (game: {})",
            s.model, s.game
        );
        for c in &s.coalitions {
            println!("  {c}");
        }
    }
}
