//! `omnitouch budget`: next period's budget per channel.

use std::collections::BTreeMap;

use super::args::{BudgetArgs, ModelChoice};
use super::validate::input_exit;
use super::Exit;
use crate::pipeline::{self, Input, PeriodArgs};
use crate::report::budget;

pub fn run(args: &BudgetArgs, quiet: bool) -> anyhow::Result<Exit> {
    let choice = ModelChoice {
        model: vec![args.model.clone()],
        all: None,
        models_dir: args.models_dir.clone(),
    };
    let periods = PeriodArgs {
        period: None,
        from: args.from,
        to: args.to,
        compare_previous: false,
        min_period_conversions: 0.0,
        include_partial_periods: false,
    };
    let input = pipeline::input_in_window(&args.input, Some(&periods), quiet)?;
    let Input::Raw(built) = &input else {
        anyhow::bail!("budget needs raw exports (--config) with a [spend] section, not --paths");
    };
    let mut spend = crate::ingest::load_spend(&built.config)?.ok_or_else(|| {
        anyhow::anyhow!(
            "the config has no [spend] section: budget needs today's spend per channel (see docs/config.md, `[spend]`)"
        )
    })?;
    let window = pipeline::report_window(Some(&built.config), &periods)?;
    spend.rows.retain(|r| window.contains(r.day));
    let days = spend.days().ok_or_else(|| {
        anyhow::anyhow!("no spend in the window: budget needs today's spend per channel")
    })?;
    let attributed = pipeline::attribute(&input, &choice, None, None, quiet)?;
    let result = &attributed.results[0];
    let value: BTreeMap<String, f64> = result
        .channels
        .iter()
        .cloned()
        .zip(result.value.iter().copied())
        .collect();
    let (first, last, span) = days.span();
    let basis = budget::basis(
        &spend.by_channel(),
        &value,
        (&first, &last, span),
        args.days,
    );
    let mut plan = budget::propose(&basis.cost, &basis.value, args.total, args.max_change);
    plan.basis = Some(basis.statement);
    budget::report(&plan, &result.model, crate::report::credits::JSON_VERSION)?
        .write(args.destination.format, args.destination.output.as_deref())?;
    Ok(input_exit(&args.input.config, &input))
}
