//! `omnitouch budget`: next period's budget per channel.

use std::collections::BTreeMap;

use super::args::{BudgetArgs, ModelChoice};
use super::validate::input_exit;
use super::Exit;
use crate::pipeline::{self, Input};
use crate::report::budget;

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
            "the config has no [spend] section: budget needs today's spend per channel (see docs/config.md, `[spend]`)"
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
    budget::report(&plan, &result.model, crate::report::credits::JSON_VERSION)?
        .write(args.destination.format, args.destination.output.as_deref())?;
    Ok(input_exit(&args.input.config, &input))
}
