//! `omnitouch validate`: load everything, print the accounting and the channel mix.

use anyhow::Context;

use super::args::{ConfigArgs, ValidateArgs};
use super::Exit;
use crate::config::{default_config_path, Config};
use crate::ingest::{self, LoadOptions, Touchpoints};
use crate::report::accounting as tables;

pub fn run(args: &ValidateArgs, quiet: bool) -> anyhow::Result<Exit> {
    let (_, loaded) = load(&args.config, quiet)?;
    println!("{}", tables::sources_table(&loaded.accounting));
    if loaded.accounting.total().rejected_total() > 0 {
        println!("\nRejected rows");
        println!(
            "{}",
            tables::rejections_table(&loaded.accounting, &loaded.rejects)
        );
    }
    println!("\nChannel mix (touches)");
    println!("{}", tables::channel_mix_table(&loaded.accounting));
    println!("\n{}", tables::summary_line(&loaded.accounting));
    Ok(strict_exit(&args.config, &loaded))
}

/// Loads the config's data and writes `--rejects`. Shared by every command that starts from
/// raw exports.
pub fn load(args: &ConfigArgs, quiet: bool) -> anyhow::Result<(Config, Touchpoints)> {
    let path = match &args.config {
        Some(p) => p.clone(),
        None => default_config_path().ok_or_else(|| {
            anyhow::anyhow!(
                "no config given and neither ./omnitouch.toml nor ./sample-data/omnitouch.toml exists: pass --config FILE"
            )
        })?,
    };
    if !quiet {
        eprintln!("config: {}", path.display());
    }
    let config = Config::load(&path)?;
    let options = LoadOptions {
        keep_all_rejects: args.rejects.is_some(),
        progress: !quiet,
    };
    let loaded = ingest::load(&config, &options)?;
    if let Some(out) = &args.rejects {
        ingest::write_rejects(out, &loaded.rejects)
            .with_context(|| format!("writing rejects to {}", out.display()))?;
        if !quiet {
            eprintln!(
                "wrote {} rejected rows to {}",
                loaded.rejects.len(),
                out.display()
            );
        }
    }
    Ok((config, loaded))
}

/// `--strict`: any rejected row fails the run. Call after the accounting is printed.
pub fn strict_exit(args: &ConfigArgs, loaded: &Touchpoints) -> Exit {
    let rejected = loaded.accounting.total().rejected_total();
    if args.strict && rejected > 0 {
        eprintln!("error: --strict: {rejected} rows were rejected (see the rejections table, or write them with --rejects)");
        Exit::Failure
    } else {
        Exit::Ok
    }
}
