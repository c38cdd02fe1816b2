//! `omnitouch budget`: next period's budget per channel.

use std::collections::BTreeMap;

use super::args::{BudgetArgs, ModelChoice};
use super::pipeline::{self, Input};
use super::validate::strict_exit;
use super::Exit;
use crate::report::budget::{self, Plan, METHOD};
use crate::report::credits::OutputFormat;

fn render(plan: &Plan, model: &str, format: OutputFormat) -> anyhow::Result<String> {
    Ok(match format {
        OutputFormat::Table => {
            let mut s = format!(
                "Budget proposal from {model} (total {:.2}, each channel within ±{:.0}%)\n{}\n",
                plan.total,
                100.0 * plan.max_change,
                budget::plan_table(plan)
            );
            if let Some(n) = &plan.note {
                s.push_str(&format!("note: {n}\n"));
            }
            s.push_str(&format!("method: {METHOD}\n"));
            s
        }
        // Parquet is written from the CSV form (see cli::emit).
        OutputFormat::Csv | OutputFormat::Parquet => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "channel",
                "current",
                "roas",
                "proposed",
                "change",
                "expected_value",
            ])?;
            for p in &plan.channels {
                w.write_record([
                    p.channel.clone(),
                    format!("{}", p.current),
                    format!("{}", p.roas),
                    format!("{}", p.proposed),
                    format!("{}", p.change),
                    format!("{}", p.expected_value),
                ])?;
            }
            String::from_utf8(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?
        }
        OutputFormat::Json => {
            serde_json::to_string_pretty(&serde_json::json!({
                "version": crate::report::credits::JSON_VERSION,
                "model": model,
                "method": METHOD,
                "plan": plan,
            }))? + "\n"
        }
        OutputFormat::Markdown => {
            let mut s = format!(
                "Budget proposal from {model}: total {:.2}, each channel within ±{:.0}%.\n\n| channel | current spend | ROAS | proposed | change | expected value |\n|---|---:|---:|---:|---:|---:|\n",
                plan.total,
                100.0 * plan.max_change
            );
            for p in &plan.channels {
                s.push_str(&format!(
                    "| {} | {:.2} | {:.2} | {:.2} | {:+.1}% | {:.2} |\n",
                    p.channel.replace('|', "\\|"),
                    p.current,
                    p.roas,
                    p.proposed,
                    100.0 * p.change,
                    p.expected_value
                ));
            }
            if let Some(n) = &plan.note {
                s.push_str(&format!("\nNote: {n}\n"));
            }
            s.push_str(&format!("\nMethod: {METHOD}\n"));
            s
        }
    })
}

pub fn run(args: &BudgetArgs, quiet: bool) -> anyhow::Result<Exit> {
    let choice = ModelChoice {
        model: vec![args.model.clone()],
        all: None,
        models_dir: args.models_dir.clone(),
    };
    let input = pipeline::input(&args.input, quiet)?;
    let Input::Raw(built) = &input else {
        anyhow::bail!("budget needs raw exports (--config) with a [spend] section, not --paths");
    };
    let spend = crate::ingest::load_spend(&built.config)?.ok_or_else(|| {
        anyhow::anyhow!(
            "the config has no [spend] section: budget needs today's spend per channel (see the README)"
        )
    })?;
    let attributed = pipeline::attribute(&input, &choice, None, None, quiet)?;
    let result = &attributed.results[0];
    let value: BTreeMap<String, f64> = result
        .channels
        .iter()
        .cloned()
        .zip(result.value.iter().copied())
        .collect();
    let plan = budget::propose(&spend.by_channel(), &value, args.total, args.max_change);
    let text = render(&plan, &result.model, args.destination.format)?;
    super::emit(&text, &args.destination)?;
    Ok(strict_exit(
        &args.input.config,
        &built.touchpoints.accounting,
    ))
}
