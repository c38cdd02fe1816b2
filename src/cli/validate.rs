//! `omnitouch validate`: load everything, print the accounting and the channel mix.

use anyhow::Context;

use super::args::{ConfigArgs, ValidateArgs};
use super::Exit;
use crate::config::{default_config_path, Config};
use std::path::PathBuf;

use crate::ingest::{self, Accounting, Keep, LoadOptions, Reject, Touchpoints};
use crate::report::accounting as tables;

pub fn run(args: &ValidateArgs, quiet: bool) -> anyhow::Result<Exit> {
    let (_, loaded) = load(&args.config, Keep::All, quiet)?;
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
    Ok(strict_exit(&args.config, &loaded.accounting))
}

/// Loads the config's data (what `keep` says of it) and writes `--rejects`. Shared by every
/// command that starts from raw exports.
pub fn load(args: &ConfigArgs, keep: Keep, quiet: bool) -> anyhow::Result<(Config, Touchpoints)> {
    let path = config_path(args)?;
    if !quiet {
        eprintln!("config: {}", path.display());
    }
    let config = Config::load(&path)?;
    let options = LoadOptions {
        keep_all_rejects: args.rejects.is_some(),
        progress: !quiet,
    };
    let loaded = ingest::load_part(&config, &options, keep)?;
    write_rejects(args, &loaded.rejects, quiet)?;
    Ok((config, loaded))
}

/// The config given, else the default one.
pub fn config_path(args: &ConfigArgs) -> anyhow::Result<PathBuf> {
    match &args.config {
        Some(p) => Ok(p.clone()),
        None => default_config_path().ok_or_else(|| {
            anyhow::anyhow!(
                "no config given and neither ./omnitouch.toml nor ./sample-data/omnitouch.toml exists: pass --config FILE"
            )
        }),
    }
}

/// Writes the rejected rows to `--rejects`, when given.
pub fn write_rejects(args: &ConfigArgs, rejects: &[Reject], quiet: bool) -> anyhow::Result<()> {
    if let Some(out) = &args.rejects {
        ingest::write_rejects(out, rejects)
            .with_context(|| format!("writing rejects to {}", out.display()))?;
        if !quiet {
            eprintln!("wrote {} rejected rows to {}", rejects.len(), out.display());
        }
    }
    Ok(())
}

/// `--strict`: any rejected row fails the run. Call after the accounting is printed.
pub fn strict_exit(args: &ConfigArgs, accounting: &Accounting) -> Exit {
    let rejected = accounting.total().rejected_total();
    if args.strict && rejected > 0 {
        eprintln!("error: --strict: {rejected} rows were rejected (see the rejections table, or write them with --rejects)");
        Exit::Failure
    } else {
        Exit::Ok
    }
}
