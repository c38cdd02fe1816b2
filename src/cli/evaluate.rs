//! `omnitouch evaluate`: the scores as tables, and as JSON with `-o`.

use comfy_table::{presets, Cell, CellAlignment, Table};

use super::args::EvaluateArgs;
use super::Exit;
use crate::attribution::Catalogue;
use crate::evaluate::{evaluate, EvaluateConfig, EvaluateOptions, Evaluation};
use crate::generate::Scenario;

/// Every model of the catalogue, the opt-in data_driven included.
fn default_models() -> anyhow::Result<Vec<String>> {
    let catalogue = Catalogue::load(&[])?;
    Ok(catalogue.specs().iter().map(|s| s.name.clone()).collect())
}

pub fn run(args: &EvaluateArgs, quiet: bool) -> anyhow::Result<Exit> {
    let settings = match &args.config {
        Some(path) => Some(EvaluateConfig::load(path)?),
        None => None,
    };
    let from_file = |f: fn(&EvaluateConfig) -> Option<u64>| settings.as_ref().and_then(f);
    let people = args.people.or(from_file(|c| c.people)).unwrap_or(20_000);
    let seeds = args.seeds.or(from_file(|c| c.seeds)).unwrap_or(3);
    anyhow::ensure!(seeds > 0, "--seeds must be at least 1");
    let models = match (
        &args.model,
        settings.as_ref().and_then(|c| c.models.clone()),
    ) {
        (given, _) if !given.is_empty() => given.clone(),
        (_, Some(listed)) => listed,
        _ => default_models()?,
    };
    let scenarios = match (
        &args.scenario,
        settings.as_ref().and_then(|c| c.scenarios.clone()),
    ) {
        (given, _) if !given.is_empty() => given.clone(),
        (_, Some(listed)) => listed,
        _ => vec![
            Scenario::Baseline,
            Scenario::Intent,
            Scenario::Starter,
            Scenario::Unstitched,
            Scenario::Offline,
        ],
    };
    let mut evaluations = Vec::new();
    for scenario in scenarios {
        let bar = crate::progress::stage("generating and scoring", !quiet);
        let evaluation = evaluate(&EvaluateOptions {
            scenario,
            effects: settings
                .as_ref()
                .map(|c| c.effects.clone())
                .unwrap_or_default(),
            days: settings.as_ref().and_then(|c| c.days).unwrap_or(90),
            junk_rate: settings.as_ref().and_then(|c| c.junk_rate).unwrap_or(0.005),
            shared_devices: settings
                .as_ref()
                .and_then(|c| c.shared_devices)
                .unwrap_or(0.02),
            people,
            seeds: (1..=seeds).collect(),
            models: models.clone(),
        })?;
        bar.finish_and_clear();
        println!("{}", render(&evaluation));
        evaluations.push(evaluation);
    }
    if let Some(file) = &args.output {
        crate::output::write_text(file, &serde_json::to_string_pretty(&evaluations)?)?;
    }
    if let Some(file) = &args.chart {
        crate::output::write_text(file, &chart_page(&evaluations))?;
    }
    Ok(Exit::Ok)
}

/// A page with one chart: each model's mean error (points) per scenario, models in the order
/// of the first scenario's scores.
fn chart_page(evaluations: &[Evaluation]) -> String {
    use crate::report::charts::{BarChart, Series};
    let models: Vec<String> = evaluations
        .first()
        .map(|e| e.models.iter().map(|m| m.model.clone()).collect())
        .unwrap_or_default();
    let series: Vec<Series> = evaluations
        .iter()
        .map(|e| {
            let values = models
                .iter()
                .map(|name| {
                    e.models
                        .iter()
                        .find(|m| &m.model == name)
                        .map_or(0.0, |m| m.mean_error())
                })
                .collect();
            Series::new(e.scenario.clone(), values)
        })
        .collect();
    let chart = BarChart::new(
        "Error against the planted truth",
        "model",
        "mean absolute error of channel shares (points)",
        &models,
        &series,
    )
    .horizontal()
    .figure();
    let subtitle = evaluations
        .first()
        .map(|e| {
            format!(
                "{} people per set, {} seeds per scenario",
                e.people,
                e.seeds.len()
            )
        })
        .unwrap_or_default();
    crate::report::html::standalone_page("Which model to believe", &subtitle, &chart)
}

fn table(header: Vec<String>) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED);
    t.set_header(header);
    t
}

/// Models whose shares are shown beside the truth (all are in the JSON).
const SHOWN: usize = 4;

/// The scores, then each channel's true share beside the best models' mean shares.
fn render(e: &Evaluation) -> String {
    let seeds: Vec<String> = e.seeds.iter().map(u64::to_string).collect();
    let mut scores = table(vec![
        "model".into(),
        "error (points, mean)".into(),
        "error range".into(),
        "rank correlation (mean)".into(),
    ]);
    for m in &e.models {
        let (lo, hi) = m
            .error_points
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| {
                (l.min(*x), h.max(*x))
            });
        scores.add_row(vec![
            Cell::new(&m.model),
            Cell::new(format!("{:.2}", m.mean_error())).set_alignment(CellAlignment::Right),
            Cell::new(format!("{lo:.2}–{hi:.2}")).set_alignment(CellAlignment::Right),
            Cell::new(format!("{:.2}", m.mean_rank())).set_alignment(CellAlignment::Right),
        ]);
    }
    let mut header = vec!["channel".to_string(), "truth".to_string()];
    let shown = &e.models[..e.models.len().min(SHOWN)];
    header.extend(shown.iter().map(|m| m.model.clone()));
    let mut shares = table(header);
    for (channel, truth) in &e.truth {
        let mut row = vec![
            Cell::new(channel),
            Cell::new(format!("{:.1}%", 100.0 * truth)),
        ];
        for m in shown {
            let share = m.shares.get(channel).copied().unwrap_or(0.0);
            row.push(
                Cell::new(format!("{:.1}%", 100.0 * share)).set_alignment(CellAlignment::Right),
            );
        }
        shares.add_row(row);
    }
    format!(
        "Scenario {}: {} people per set, seeds {}. Error: mean absolute difference between a model's channel shares and the true incremental shares planted by the generator, in points; rank correlation: Spearman, 1 = same order.\n{scores}\nChannel shares, mean over the seeds (the {} models of least error; every model in -o FILE)\n{shares}\n",
        e.scenario,
        e.people,
        seeds.join(", "),
        shown.len()
    )
}
